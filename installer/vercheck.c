// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The version check of an install: dkms 3.4's check_version_sanity()
 * (dkms.in). Before anything is placed, each module is compared with the
 * same-named module already in <installtree>/<kver>/ (another version of
 * this package, another package, or the kernel's own): refused, exit 6,
 * when that one's MODULE_VERSION is newer, or when it is the same version
 * and the same srcversion (the same module again). --force and
 * --force-version-override skip the check, as dkms's.
 *
 * Where dkms differs: it skips the refused module and installs the others
 * of the package (and aborts only when none is left); a transaction of
 * ours installs a package whole or not at all, so one refusal refuses
 * the install. A module without a version on either side, or that cannot
 * be read (not ELF, gzip), is not compared; dkms would compare its VER()
 * of an empty string.
 *
 * What is read is either root's (the install tree) or a build that the
 * collect step copied without links; both only as bytes: every ELF
 * offset is checked (validate.c), decompression is capped at
 * DKS_MODULE_MAX, and the versions printed are cut and made printable.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "internal.h"
#include "validate.h"

#define VER_MAX 512 /* VER() of a 128-byte version: at most 3 bytes per byte */

/* dkms's VER(): every number padded to at least three digits, so that
 * the strings compare like versions ("2.6.9-1" -> "002.006.009-001"). */
static void ver(const char *s, char out[VER_MAX])
{
	size_t o = 0;

	while (*s && o + 4 < VER_MAX) {
		size_t n = strspn(s, "0123456789");

		if (!n) {
			out[o++] = *s++;
			continue;
		}
		for (size_t pad = n; pad < 3; pad++)
			out[o++] = '0';
		for (size_t i = 0; i < n && o + 1 < VER_MAX; i++)
			out[o++] = *s++;
	}
	out[o] = 0;
}

/* The one file <dest>.ko[.xz|.zst|.gz] below the kernel's dir. nftw has
 * no argument for its callback: one search at a time, in this process. */
static struct {
	const char *dest;
	char path[PATH_MAX];
	int found;
} search;

static int visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	static const char *const ext[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	const char *base = path + f->base;
	size_t n = strlen(search.dest);

	if (type != FTW_F || !S_ISREG(st->st_mode) || strncmp(base, search.dest, n) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcmp(base + n, ext[i]) == 0 && search.found++ == 0)
			snprintf(search.path, sizeof(search.path), "%s", path);
	return 0;
}

/* How many files named @dest are in <installtree>/<kver>/ (links not
 * followed: the headers' build link is not walked); the first in @path. */
static int find_installed(const struct dks_install_plan *p, const char *dest, char *path,
			  size_t size)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", p->t->install_tree, p->k->kver);
	search.dest = dest;
	search.found = 0;
	if (nftw(dir, visit, 16, FTW_PHYS) < 0 && errno != ENOENT)
		return 0;
	snprintf(path, size, "%s", search.path);
	return search.found;
}

/* The version of the module at @path (decompressed when it is). 0, or -1
 * when it cannot be read as a module. */
static int verinfo_of(const char *path, struct dks_verinfo *vi)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free void *buf = NULL, *plain = NULL;
	enum dks_compression c = dks_compression_of(path);
	struct dks_error ignored = {0};
	size_t len = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > DKS_MODULE_MAX)
		return -1;
	buf = malloc((size_t)st.st_size);
	if (!buf || dks_read_full(fd, buf, (size_t)st.st_size) != st.st_size)
		return -1;
	if (c != DKS_COMPRESS_NONE &&
	    dks_decompress(c, buf, (size_t)st.st_size, DKS_MODULE_MAX, &plain, &len, &ignored) < 0)
		return -1;
	return plain ? dks_module_verinfo(plain, len, vi)
		     : dks_module_verinfo(buf, (size_t)st.st_size, vi);
}

/* One module against the installed one of its name. */
static int check_one(const struct dks_install_plan *p, const struct dks_install_entry *e,
		     struct dks_error *err)
{
	char installed[PATH_MAX], built[2 * PATH_MAX], a[VER_MAX], b[VER_MAX];
	struct dks_verinfo iv, bv;
	int n = find_installed(p, e->dest, installed, sizeof(installed));

	if (n > 1)
		printf("%s: warning: cannot do version sanity checking because multiple %s.ko "
		       "modules were found in kernel %s\n", p->what, e->dest, p->k->kver);
	snprintf(built, sizeof(built), "%s/module/%s.ko", p->build, e->dest);
	if (n != 1 || verinfo_of(installed, &iv) < 0 || verinfo_of(built, &bv) < 0)
		return 0;
	if (strcmp(iv.version, bv.version) == 0) {
		if (strcmp(iv.srcversion, bv.srcversion) != 0 || (!bv.version[0] && !bv.srcversion[0]))
			return 0;
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "%s: module %s already installed %s%s, override by specifying "
				    "--force",
				    p->what, installed, bv.version[0] ? "at version " : "",
				    bv.version[0] ? bv.version : "(unversioned module)");
	}
	if (!iv.version[0] || !bv.version[0])
		return 0;
	ver(iv.version, a);
	ver(bv.version, b);
	if (strcmp(a, b) <= 0)
		return 0;
	return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
			    "%s: module version %s for %s.ko is not newer than what is already "
			    "found in kernel %s (%s). You may override by specifying --force.",
			    p->what, bv.version, e->dest, p->k->kver, iv.version);
}

int dks_version_check(const struct dks_install_plan *p, const struct dks_install_opts *o,
		      struct dks_error *err)
{
	if (o->force || o->force_version_override)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (check_one(p, &p->e[i], err) < 0)
			return -1;
	return 0;
}
