// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ldtarball: the staged archive's kernels (ldtarball.h). dkms copies
 * whatever dkms_main_tree/<kver>/<arch>/ holds into the tree; here it may
 * hold module/ (the .ko files, each checked) and log/ (plain files), and
 * names that the tree accepts, nothing else.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dks/cleanup.h"
#include "dks/treename.h"
#include "ldtarball.h"

static bool dots(const char *n)
{
	return !strcmp(n, ".") || !strcmp(n, "..");
}

/* An entry's type, never following a link (d_type may be DT_UNKNOWN). */
static mode_t kind(DIR *d, const char *name)
{
	struct stat st;

	return fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (st.st_mode & S_IFMT) : 0;
}

/* Only regular files in log/ (make.log, dkms's copy of .config). */
static int check_log(const char *dir, const char *what, struct dks_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : dks_err(err, errno, "%s", dir);
	while (rc == 0 && (e = readdir(d)))
		if (!dots(e->d_name) && kind(d, e->d_name) != S_IFREG)
			rc = dks_err(err, 0, "%s: log/%s: not a plain file", what, e->d_name);
	closedir(d);
	return rc;
}

/* <kver>/<arch>/ holds module/ and log/ only. */
static int check_shape(const char *dir, const char *what, struct dks_error *err)
{
	cleanup_free char *log = NULL;
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return dks_err(err, errno, "%s", dir);
	while (rc == 0 && (e = readdir(d)))
		if (!dots(e->d_name) && !((!strcmp(e->d_name, "module") || !strcmp(e->d_name, "log")) &&
					  kind(d, e->d_name) == S_IFDIR))
			rc = dks_err(err, 0, "%s: '%s' is not module/ or log/", what, e->d_name);
	closedir(d);
	if (rc == 0 && asprintf(&log, "%s/log", dir) < 0)
		rc = dks_err(err, ENOMEM, "%s", what);
	return rc == 0 ? check_log(log, what, err) : rc;
}

static int add_kernel(struct dks_staged *s, const char *kver, const char *arch,
		      struct dks_error *err)
{
	struct dks_loaded_kernel *grown, *k;

	if (s->n_kernels >= DKS_MANIFEST_KERNELS_MAX)
		return dks_err(err, 0, "more than %d kernels", DKS_MANIFEST_KERNELS_MAX);
	grown = realloc(s->kernels, (s->n_kernels + 1) * sizeof(*grown));
	if (!grown)
		return dks_err(err, ENOMEM, "%s", kver);
	s->kernels = grown;
	k = memset(&grown[s->n_kernels++], 0, sizeof(*k));
	k->kver = strdup(kver);
	k->arch = strdup(arch);
	if (!k->kver || !k->arch ||
	    asprintf(&k->dir, "%s/dkms_main_tree/%s/%s", s->top, kver, arch) < 0)
		return dks_err(err, ENOMEM, "%s", kver);
	return 0;
}

/* dkms_main_tree/<kver>/: its arches. */
static int list_arches(const struct dks_ldtarball *o, struct dks_staged *s, const char *kver,
		       struct dks_error *err)
{
	cleanup_free char *dir = NULL;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (dks_tree_check_name("kernel", kver, err) < 0)
		return dks_err_prefix(err, "%s: dkms_main_tree", o->archive);
	if (asprintf(&dir, "%s/dkms_main_tree/%s", s->top, kver) < 0)
		return dks_err(err, ENOMEM, "%s", kver);
	if (!(d = opendir(dir)))
		return dks_err(err, errno, "%s: dkms_main_tree/%s: not a directory", o->archive, kver);
	while (rc == 0 && (e = readdir(d))) {
		if (dots(e->d_name))
			continue;
		if (kind(d, e->d_name) != S_IFDIR || dks_tree_check_name("arch", e->d_name, err) < 0)
			rc = dks_err(err, 0, "%s: dkms_main_tree/%s/%s: not an arch directory",
				     o->archive, kver, e->d_name);
		else
			rc = add_kernel(s, kver, e->d_name, err);
	}
	closedir(d);
	return rc;
}

static int list_kernels(const struct dks_ldtarball *o, struct dks_staged *s,
			struct dks_error *err)
{
	cleanup_free char *dir = NULL;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (asprintf(&dir, "%s/dkms_main_tree", s->top) < 0)
		return dks_err(err, ENOMEM, "%s", o->archive);
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : dks_err(err, errno, "%s", dir);
	while (rc == 0 && (e = readdir(d)))
		if (!dots(e->d_name))
			rc = list_arches(o, s, e->d_name, err);
	closedir(d);
	return rc;
}

int dks_ldtarball_kernels(const struct dks_ldtarball *o, struct dks_staged *s,
			  struct dks_error *err)
{
	if (list_kernels(o, s, err) < 0)
		return -1;
	if (s->manifest && s->manifest->n_kernels != s->n_kernels)
		return dks_err(err, 0, "%s: the manifest lists %zu kernels, the archive holds %zu",
			       o->archive, s->manifest->n_kernels, s->n_kernels);
	for (size_t i = 0; i < s->n_kernels; i++) {
		const struct dks_loaded_kernel *k = &s->kernels[i];
		const struct dks_manifest_kernel *mk =
		    s->manifest ? dks_manifest_kernel(s->manifest, k->kver, k->arch) : NULL;
		cleanup_free char *what = NULL;

		if (asprintf(&what, "%s: %s/%s", o->archive, k->kver, k->arch) < 0)
			return dks_err(err, ENOMEM, "%s", o->archive);
		if (s->manifest && !mk)
			return dks_err(err, 0, "%s: not in the manifest", what);
		if (check_shape(k->dir, what, err) < 0 ||
		    dks_archive_check_kernel(k, mk, o->kernelsourcedir, o->tree->install_tree,
					     o->boot_dir, o->archive, err) < 0)
			return -1;
	}
	return 0;
}
