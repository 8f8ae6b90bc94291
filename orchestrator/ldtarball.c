// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ldtarball, stage and check (ldtarball.h, docs/archives.md). The archive
 * is attacker data: it is extracted by fetch.c's sink (no "..", no
 * absolute path, no link of any kind, no device/FIFO/socket, no entry
 * twice, caps on size and count) into a fresh directory inside the DKMS
 * tree, where nobody looks; its shape, its manifest (and the manifest's
 * signature) and every .ko are checked there; only then does ldplace.c
 * move anything into the tree. The staging directory goes either way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "dks/identity.h"
#include "dks/recipe.h"
#include "dks/treename.h"
#include "installer/sign.h"
#include "ldtarball.h"

/* An archive of built modules: a few MiB per kernel (the log's .config is
 * 260 KB), nowhere near these; --max-size lowers the whole's cap. */
#define ARCHIVE_TOTAL_MAX (1ULL << 30)
#define ARCHIVE_ENTRY_MAX (128ULL << 20)
#define ARCHIVE_ENTRIES_MAX 20000

#define SMALL_MAX 4096 /* PACKAGE_NAME, PACKAGE_VERSION, manifest.sig */

void dks_staged_clear(struct dks_staged *s)
{
	if (s->root)
		dks_rmtree(s->root);
	for (size_t i = 0; i < s->n_kernels; i++) {
		free(s->kernels[i].kver);
		free(s->kernels[i].arch);
		free(s->kernels[i].dir);
	}
	free(s->kernels);
	dks_manifest_free(s->manifest);
	free(s->root);
	free(s->top);
	free(s->module);
	free(s->version);
}

/* A small regular file of the staged tree, whole (NULL-terminated). */
static int read_small(const char *path, size_t max, char **out, size_t *len,
		      struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max)
		return dks_err(err, EFBIG, "%s: not a regular file of at most %zu bytes", path, max);
	*out = calloc(1, (size_t)st.st_size + 1);
	if (!*out)
		return dks_err(err, ENOMEM, "%s", path);
	n = dks_read_full(fd, *out, (size_t)st.st_size);
	if (n != st.st_size) {
		free(*out);
		return dks_err(err, errno, "%s: short read", path);
	}
	*len = (size_t)n;
	return 0;
}

#define STAGE_PREFIX ".ldtarball-"

/* Staging dirs of loads that were killed: their process is gone. */
static void drop_stale(const char *dkms_tree)
{
	DIR *d = opendir(dkms_tree);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *end, path[4096];
		long pid;

		if (strncmp(e->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(STAGE_PREFIX), &end, 10);
		if (*end != '-' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dkms_tree, e->d_name);
		dks_rmtree(path);
	}
	if (d)
		closedir(d);
}

/* The archive into <dkmstree>/.ldtarball-<pid>-XXXXXX/x: in the tree (the
 * placing is a rename), under a name status and the tree's walkers skip. */
static int stage(const struct dks_ldtarball *o, struct dks_staged *s, struct dks_error *err)
{
	unsigned long long total = o->max_size ? o->max_size : ARCHIVE_TOTAL_MAX;
	struct dks_extract_limits lim = {
	    .total_max = total, .entry_max = total < ARCHIVE_ENTRY_MAX ? total : ARCHIVE_ENTRY_MAX,
	    .entries_max = ARCHIVE_ENTRIES_MAX, .no_links = true, .no_dups = true,
	    .unreadable_code = DKS_EXIT_BAD_ARCHIVE};
	const char *parent = o->stage_parent ? o->stage_parent : o->tree->dkms_tree;
	struct stat st;

	if (stat(o->archive, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, 0, "%s does not exist.", o->archive);
	if (dks_mkdir_p(parent) < 0 ||
	    asprintf(&s->root, "%s/" STAGE_PREFIX "%ld-XXXXXX", parent, (long)getpid()) < 0)
		return dks_err(err, errno, "%s", parent);
	drop_stale(parent);
	if (!mkdtemp(s->root)) {
		int e = errno;

		free(s->root);
		s->root = NULL;
		return dks_err(err, e, "cannot make a directory in %s", parent);
	}
	if (chmod(s->root, 0700) < 0 || asprintf(&s->top, "%s/x", s->root) < 0)
		return dks_err(err, errno, "%s", s->root);
	if (dks_extract(o->archive, s->top, &lim, NULL, err) == 0)
		return 0;
	/* Not an archive, cut short, corrupt: dkms's words and 7, then why. */
	if (err->exit_code == DKS_EXIT_BAD_ARCHIVE) {
		char why[DKS_ERROR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg);
		return dks_err_code(err, DKS_EXIT_BAD_ARCHIVE, 0,
				    "%s is not a valid DKMS tarball (%s)", o->archive, why);
	}
	return -1;
}

static bool is_dir(const char *top, const char *rel)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Only dkms's directories and ours at the top. */
static int check_top(const struct dks_ldtarball *o, const struct dks_staged *s,
		     struct dks_error *err)
{
	static const char *const known[] = {"dkms_main_tree", "dkms_source_tree",
					    "dkms_binaries_only", "dkms_sandbox"};
	DIR *d = opendir(s->top);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return dks_err(err, errno, "%s", s->top);
	while (rc == 0 && (e = readdir(d))) {
		bool ok = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (size_t i = 0; !ok && i < sizeof(known) / sizeof(known[0]); i++)
			ok = strcmp(e->d_name, known[i]) == 0 && is_dir(s->top, e->d_name);
		if (!ok)
			rc = dks_err_code(err, DKS_EXIT_BAD_ARCHIVE, 0,
					  "%s: '%s' is not part of a DKMS archive", o->archive,
					  e->d_name);
	}
	closedir(d);
	return rc;
}

/* One line of a dkms_binaries_only name file, checked as a tree name. */
static int name_file(const struct dks_staged *s, const char *file, const char *what, char **out,
		     struct dks_error *err)
{
	cleanup_free char *path = NULL;
	char *text = NULL;
	size_t len = 0;

	if (asprintf(&path, "%s/dkms_binaries_only/%s", s->top, file) < 0)
		return dks_err(err, ENOMEM, "%s", file);
	if (read_small(path, SMALL_MAX, &text, &len, err) < 0)
		return -1;
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	if (dks_tree_check_name(what, text, err) < 0) {
		free(text);
		return dks_err_prefix(err, "dkms_binaries_only/%s", file);
	}
	*out = text;
	return 0;
}

/* Which of dkms's layouts, and m/v: the binaries-only stub's files, or the
 * source's dkms.conf evaluated as add does (in a sandbox). */
static int identify(const struct dks_ldtarball *o, struct dks_staged *s, struct dks_error *err)
{
	cleanup_free char *conf = NULL, *dir = NULL;
	struct stat st;

	s->binaries_only = !is_dir(s->top, "dkms_source_tree");
	if (asprintf(&dir, "%s/%s", s->top,
		     s->binaries_only ? "dkms_binaries_only" : "dkms_source_tree") < 0 ||
	    asprintf(&conf, "%s/dkms.conf", dir) < 0)
		return dks_err(err, ENOMEM, "%s", o->archive);
	if (lstat(conf, &st) < 0 || !S_ISREG(st.st_mode))
		return dks_err_code(err, DKS_EXIT_BAD_ARCHIVE, 0,
				    "No valid dkms.conf in dkms_source_tree or dkms_binaries_only. "
				    "%s is not a valid DKMS tarball.", o->archive);
	if (s->binaries_only)
		return name_file(s, "PACKAGE_NAME", "module", &s->module, err) < 0 ||
				       name_file(s, "PACKAGE_VERSION", "version", &s->version, err) < 0
			       ? -1
			       : 0;
	return o->conf_names(o->conf_arg, conf, dir, &s->module, &s->version, err);
}

/* dkms_sandbox/manifest, its signature checked by the policy. */
static int read_manifest(const struct dks_ldtarball *o, struct dks_staged *s,
			 struct dks_error *err)
{
	cleanup_free char *mpath = NULL, *spath = NULL, *text = NULL, *sig = NULL, *what = NULL;
	size_t len = 0, sig_len = 0;
	bool has_sig;

	if (asprintf(&mpath, "%s/" DKS_MANIFEST_PATH, s->top) < 0 ||
	    asprintf(&spath, "%s/" DKS_MANIFEST_SIG_PATH, s->top) < 0 ||
	    asprintf(&what, "%s: " DKS_MANIFEST_PATH, o->archive) < 0)
		return dks_err(err, ENOMEM, "%s", o->archive);
	has_sig = access(spath, F_OK) == 0;
	if (access(mpath, F_OK) != 0) {
		if (o->require_signed || has_sig)
			return dks_err(err, 0, "%s: no manifest%s", o->archive,
				       has_sig ? ", but a signature" : ": a signed manifest is required");
		printf("%s: no manifest (an archive of dkms's): each module is validated against "
		       "its kernel only\n", o->archive);
		return 0;
	}
	if (read_small(mpath, DKS_MANIFEST_MAX, &text, &len, err) < 0)
		return -1;
	if (has_sig && read_small(spath, SMALL_MAX, &sig, &sig_len, err) < 0)
		return -1;
	if (!has_sig && o->require_signed)
		return dks_err(err, 0, "%s: the manifest is not signed, and a signed one is required",
			       o->archive);
	if (has_sig && !o->cert)
		return dks_err(err, 0, "%s: the manifest is signed, but no certificate is configured "
				       "to verify it (mok_cert, or --archive-cert)", o->archive);
	if (has_sig && dks_verify_detached(o->cert, text, len, sig, sig_len, what, err) < 0)
		return -1;
	return dks_manifest_parse(text, len, what, &s->manifest, err);
}

/* The source an archive carries is the one the manifest names (when it
 * names one: "-" says mktarball left links out of the copy). */
static int check_source(const struct dks_ldtarball *o, const struct dks_staged *s,
			struct dks_error *err)
{
	cleanup_free char *dir = NULL;
	char hex[DKS_SHA256_HEX] = "";

	if (!s->manifest || s->binaries_only)
		return 0;
	if (asprintf(&dir, "%s/dkms_source_tree", s->top) < 0)
		return dks_err(err, ENOMEM, "%s", o->archive);
	for (size_t i = 0; i < s->manifest->n_kernels; i++) {
		const char *want = s->manifest->kernels[i].source;

		if (!*want)
			continue;
		if (!*hex && dks_source_digest(dir, hex, err) < 0)
			return dks_err_prefix(err, "%s", o->archive);
		if (strcmp(hex, want) != 0)
			return dks_err(err, 0, "%s: dkms_source_tree has digest %s, the manifest "
					       "says %s", o->archive, hex, want);
	}
	return 0;
}

/* Is dkms_sandbox exactly the manifest and its signature? */
static int check_ours(const struct dks_ldtarball *o, const struct dks_staged *s,
		      struct dks_error *err)
{
	cleanup_free char *dir = NULL;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (asprintf(&dir, "%s/dkms_sandbox", s->top) < 0)
		return dks_err(err, ENOMEM, "%s", o->archive);
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : dks_err(err, errno, "%s", dir);
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "manifest") && strcmp(e->d_name, "manifest.sig"))
			rc = dks_err(err, 0, "%s: dkms_sandbox/%s: unknown", o->archive, e->d_name);
	closedir(d);
	return rc;
}

int dks_ldtarball_open(const struct dks_ldtarball *o, struct dks_staged *s,
		       struct dks_error *err)
{
	int rc = stage(o, s, err);

	if (rc == 0)
		rc = check_top(o, s, err);
	if (rc == 0)
		rc = identify(o, s, err);
	if (rc == 0)
		rc = check_ours(o, s, err);
	if (rc == 0)
		rc = read_manifest(o, s, err);
	if (rc == 0 && s->manifest &&
	    (strcmp(s->manifest->module, s->module) || strcmp(s->manifest->version, s->version)))
		rc = dks_err(err, 0, "%s: the manifest is for %s/%s, the archive holds %s/%s",
			     o->archive, s->manifest->module, s->manifest->version, s->module,
			     s->version);
	return rc == 0 ? check_source(o, s, err) : rc;
}

int dks_ldtarball(const struct dks_ldtarball *o, struct dks_error *err)
{
	struct dks_staged s = {0};
	int rc;

	rc = dks_ldtarball_open(o, &s, err);
	if (rc == 0 && dks_tree_is_added(o->tree, s.module, s.version) && !o->force)
		rc = dks_err_code(err, DKS_EXIT_LOADED, 0, "%s-%s is already added! Aborting.",
				  s.module, s.version);
	if (rc == 0)
		rc = dks_ldtarball_kernels(o, &s, err);
	if (rc == 0) {
		printf("\nLoading tarball for %s-%s\n", s.module, s.version);
		rc = dks_ldtarball_place(o, &s, err);
	}
	dks_staged_clear(&s);
	return rc;
}
