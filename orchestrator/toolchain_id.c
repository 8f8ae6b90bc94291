// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The toolchain's identity (dks/identity.h). With a dpkg database: the
 * installed build-relevant packages, "name:arch=version" sorted; that is
 * what decides the compiler, assembler, linker and C headers a build
 * sees. Without one: the bytes of gcc, cc1, as and ld. Files are opened
 * below the root, a link resolved inside it (RESOLVE_IN_ROOT).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/identity.h"
#include "dks/strv.h"
#include "dks/toolchain.h"

#define STATUS_MAX (64u << 20)

/* Package name prefixes whose versions decide what a module build gives. */
static const char *const build_pkgs[] = {
	"gcc",	 "cpp",	   "g++",    "binutils", "libc6", "libc-dev-bin", "linux-libc-dev", "make",
	"libgcc", "libisl", "libmpc", "libmpfr",  "libelf", "clang",	   "llvm",	    "lld",
	NULL};

static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

static bool wanted(const char *pkg)
{
	for (int i = 0; build_pkgs[i]; i++)
		if (!strncmp(pkg, build_pkgs[i], strlen(build_pkgs[i])))
			return true;
	return false;
}

struct stanza {
	char pkg[128], arch[32], version[128];
	bool installed;
};

static int stanza_end(struct stanza *st, struct strv *out)
{
	char line[300];
	int rc = 0;

	if (st->installed && st->pkg[0] && wanted(st->pkg)) {
		snprintf(line, sizeof(line), "%s:%s=%s", st->pkg, st->arch, st->version);
		rc = strv_push(out, line);
	}
	memset(st, 0, sizeof(*st));
	return rc;
}

static void stanza_field(struct stanza *st, const char *line)
{
	if (!strncmp(line, "Package: ", 9))
		snprintf(st->pkg, sizeof(st->pkg), "%s", line + 9);
	else if (!strncmp(line, "Architecture: ", 14))
		snprintf(st->arch, sizeof(st->arch), "%s", line + 14);
	else if (!strncmp(line, "Version: ", 9))
		snprintf(st->version, sizeof(st->version), "%s", line + 9);
	else if (!strncmp(line, "Status: ", 8))
		st->installed = strstr(line, " installed") != NULL;
}

/* The wanted packages of a dpkg status file. 1 found, 0 none, -1 error. */
static int dpkg_packages(FILE *f, struct strv *out)
{
	struct stanza st = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			rc = stanza_end(&st, out);
		else
			stanza_field(&st, line);
	}
	if (rc == 0)
		rc = stanza_end(&st, out);
	free(line);
	return rc < 0 ? -1 : out->n > 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hash_packages(struct dks_sha256 *h, int rootfd)
{
	int fd = open_in_root(rootfd, "var/lib/dpkg/status");
	cleanup_fclose FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
	struct strv pk = {0};
	int rc;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rc = dpkg_packages(f, &pk);
	if (rc > 0) {
		qsort(pk.v, pk.n, sizeof(*pk.v), cmp_str);
		dks_sha256_str(h, "dpkg");
		for (size_t i = 0; i < pk.n; i++)
			dks_sha256_str(h, pk.v[i]);
	}
	strv_free(&pk);
	return rc;
}

/* Without dpkg: the tools' bytes (a missing one hashed as absent). */
static int hash_binaries(struct dks_sha256 *h, int rootfd, int gcc)
{
	char cc1[128], hex[DKS_SHA256_HEX];
	const char *files[] = {"usr/bin/gcc", "usr/bin/as", "usr/bin/ld", cc1};

	snprintf(cc1, sizeof(cc1), "usr/lib/gcc/x86_64-linux-gnu/%d/cc1", gcc);
	dks_sha256_str(h, "files");
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		cleanup_close int fd = open_in_root(rootfd, files[i]);

		if (fd >= 0 && dks_sha256_fd(fd, hex) < 0)
			return -1;
		dks_sha256_str(h, files[i]);
		dks_sha256_str(h, fd >= 0 ? hex : "absent");
	}
	return 0;
}

int dks_toolchain_id(const char *root, char out[DKS_SHA256_HEX], char **label,
		     struct dks_error *err)
{
	cleanup_close int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int gcc = dks_toolchain_gcc_major(root), rc;
	struct dks_sha256 *h;

	out[0] = '\0';
	if (rootfd < 0)
		return dks_err(err, errno, "%s: cannot open the toolchain", root);
	h = dks_sha256_new();
	if (!h)
		return dks_err(err, ENOMEM, "%s: sha256", root);
	dks_sha256_str(h, "dks-toolchain 1");
	rc = hash_packages(h, rootfd);
	if (rc == 0)
		rc = hash_binaries(h, rootfd, gcc);
	if (rc < 0) {
		dks_sha256_free(h);
		return dks_err(err, errno, "%s: cannot read the toolchain", root);
	}
	if (dks_sha256_final(h, out) < 0)
		return dks_err(err, ENOMEM, "%s: sha256", root);
	if (label && asprintf(label, "gcc %d", gcc) < 0)
		return dks_err(err, ENOMEM, "%s: label", root);
	return 0;
}
