// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BUILD_DEPENDS as dkms 3.4: before a build, every module named must be
 * installed for the kernel (13, or a warning with --force); after a build
 * with BUILD_DEPENDS_REBUILD, the version of each dependency it was built
 * against is recorded in the build (.dep_NAME, dkms's file), so that a
 * later build of a dependency can find the modules to rebuild.
 * Reads the tree's status only; writes only into the caller's staging
 * directory. The names come from a checked spec (dkmsconf_spec.c: names,
 * no '/').
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depends.h"
#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/treename.h"

static int installed_for(const struct dks_tree *t, const char *dep, const char *kver,
			 const char *arch, bool *yes, struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;

	*yes = false;
	if (dks_tree_status(t, dep, NULL, &st, &n, err) < 0)
		return -1;
	for (size_t k = 0; k < n; k++)
		*yes |= st[k].state == DKS_INSTALLED && st[k].kver &&
			strcmp(st[k].kver, kver) == 0 &&
			(!arch || !st[k].arch || strcmp(st[k].arch, arch) == 0);
	dks_status_free(st, n);
	return 0;
}

int dks_depends_check(const struct dks_tree *t, const struct dks_spec *s, const char *m,
		      const char *v, const char *kver, const char *arch, bool force,
		      struct dks_error *err)
{
	char missing[512] = "";
	size_t len = 0;

	for (size_t i = 0; i < s->n_build_depends; i++) {
		bool yes;

		if (installed_for(t, s->build_depends[i], kver, arch, &yes, err) < 0)
			return -1;
		if (!yes && len < sizeof(missing))
			len += (size_t)snprintf(missing + len, sizeof(missing) - len, " %s",
						s->build_depends[i]);
	}
	if (!len)
		return 0;
	if (force) {
		dks_warn("Trying to build module %s/%s for kernel %s (%s) despite of missing "
			 "BUILD_DEPENDS:%s.",
			 m, v, kver, arch ? arch : "?", missing);
		return 0;
	}
	return dks_err_code(err, DKS_EXIT_BUILD_DEPENDS, 0,
			    "Aborting build of module %s/%s for kernel %s (%s) due to missing "
			    "BUILD_DEPENDS:%s. You may override by specifying --force.",
			    m, v, kver, arch ? arch : "?", missing);
}

/* The newest version of @dep with a build for @kver/@arch, or NULL. */
static char *built_version(const struct dks_tree *t, const char *dep, const char *kver,
			   const char *arch, struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	const char *best = NULL;
	char *out = NULL;

	if (dks_tree_status(t, dep, NULL, &st, &n, err) < 0)
		return NULL;
	for (size_t k = 0; k < n; k++)
		if (st[k].kver && strcmp(st[k].kver, kver) == 0 && st[k].arch &&
		    strcmp(st[k].arch, arch) == 0 &&
		    (!best || dks_version_cmp(st[k].version, best) > 0))
			best = st[k].version;
	if (best)
		out = strdup(best);
	dks_status_free(st, n);
	return out;
}

int dks_depends_record(const struct dks_tree *t, const struct dks_spec *s, const char *kver,
		       const char *arch, const char *dir, bool force, struct dks_error *err)
{
	if (!s->build_depends_rebuild || force)
		return 0;
	for (size_t i = 0; i < s->n_build_depends; i++) {
		struct dks_error e = {0};
		cleanup_free char *v = built_version(t, s->build_depends[i], kver, arch, &e);
		cleanup_free char *path = NULL;
		cleanup_close int fd = -1;

		if (!v && e.msg[0]) {
			*err = e;
			return -1;
		}
		if (!v)
			continue;
		if (asprintf(&path, "%s/.dep_%s", dir, s->build_depends[i]) < 0)
			return dks_err(err, ENOMEM, "%s", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 || dprintf(fd, "%s\n", v) < 0)
			return dks_err(err, errno, "%s", path);
	}
	return 0;
}

/* The version of @dep m/v's build for @kver/@arch was built against, or
 * NULL (no .dep_ file: not built with BUILD_DEPENDS_REBUILD on @dep). */
static char *recorded(const struct dks_tree *t, const struct dks_status *s, const char *dep)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	char buf[DKS_TREE_NAME_MAX + 2];
	ssize_t n;

	if (asprintf(&path, "%s/%s/%s/%s/%s/.dep_%s", t->dkms_tree, s->module, s->version, s->kver,
		     s->arch, dep) < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

int dks_depends_stale(const struct dks_tree *t, const char *dep, const char *kver, const char *arch,
		      struct dks_status **out, size_t *n, struct dks_error *err)
{
	cleanup_free char *now = built_version(t, dep, kver, arch, err);
	struct dks_status *st = NULL;
	size_t ns = 0;

	*out = NULL;
	*n = 0;
	if (!now)
		return err->msg[0] ? -1 : 0;
	if (dks_tree_status(t, NULL, NULL, &st, &ns, err) < 0)
		return -1;
	*out = calloc(ns + 1, sizeof(**out));
	for (size_t i = 0; *out && i < ns; i++) {
		cleanup_free char *then = NULL;

		if (!st[i].kver || strcmp(st[i].kver, kver) != 0 || !st[i].arch ||
		    strcmp(st[i].arch, arch) != 0 || strcmp(st[i].module, dep) == 0)
			continue;
		then = recorded(t, &st[i], dep);
		if (then && strcmp(then, now) != 0) {
			(*out)[(*n)++] = st[i]; /* moved */
			st[i] = (struct dks_status){0};
		}
	}
	dks_status_free(st, ns);
	return *out ? 0 : dks_err(err, ENOMEM, "%s", dep);
}
