// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A kernel's headers and every directory they lead to. On Debian,
 * /lib/modules/KVER/build -> /usr/src/linux-headers-KVER (the arch part),
 * whose Makefile includes /usr/src/linux-headers-KVER-common (the target of
 * .../source) and whose scripts/ and tools/ link into
 * /usr/lib/linux-kbuild-X.Y. All of them must be visible, read-only, at
 * the same absolute paths.
 *
 * A symlink's target is bound as the directory at the same depth as the
 * headers directory (/usr/lib/linux-kbuild-6.1/scripts -> /usr/lib/
 * linux-kbuild-6.1). Only targets below /usr or beside the headers
 * directory are followed: a header tree cannot pull /etc or /root into a
 * sandbox.
 */
#include <errno.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "internal.h"

static size_t depth(const char *path)
{
	size_t d = 0;

	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			d++;
	return d;
}

static bool is_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == 0);
}

static bool covered(const struct strv *dirs, const char *path)
{
	for (size_t i = 0; i < dirs->n; i++)
		if (is_under(path, dirs->v[i]))
			return true;
	return false;
}

/* The ancestor of @target at depth @d (the whole path when shallower). */
static char *root_at_depth(const char *target, size_t d)
{
	const char *p = target;

	for (size_t i = 0; i < d && p; i++)
		p = strchr(p + 1, '/');
	return p ? strndup(target, (size_t)(p - target)) : strdup(target);
}

static int add_target(struct dks_kernel *k, const char *target, size_t d,
		      const char *allowed_parent)
{
	struct stat st;
	char *root;

	if (covered(&k->dirs, target))
		return 0;
	if (!is_under(target, "/usr") && !is_under(target, allowed_parent))
		return 0;
	root = root_at_depth(target, d);
	if (!root)
		return -1;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode) || depth(root) < 2) {
		free(root);
		return 0;
	}
	return strv_push_take(&k->dirs, root);
}

/* Walk @dir without following links; collect where its symlinks lead. */
static int walk(struct dks_kernel *k, const char *dir, size_t d,
		const char *allowed_parent)
{
	char *paths[] = {(char *)dir, NULL};
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	FTSENT *e;
	int ret = 0;

	if (!fts)
		return -1;
	while (ret == 0 && (e = fts_read(fts))) {
		cleanup_free char *target = NULL;

		if (e->fts_info != FTS_SL && e->fts_info != FTS_SLNONE)
			continue;
		target = realpath(e->fts_path, NULL);
		if (target)
			ret = add_target(k, target, d, allowed_parent);
	}
	fts_close(fts);
	return ret;
}

static char *link_target(const char *link)
{
	struct stat st;

	if (lstat(link, &st) < 0)
		return NULL;
	return realpath(link, NULL);
}

static int resolve_dirs(struct dks_kernel *k, struct dks_error *err)
{
	cleanup_free char *parent = strdup(k->build);
	char *slash;
	size_t d = depth(k->build);

	if (!parent)
		return dks_err(err, ENOMEM, "kernel %s", k->kver);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	if (strv_push(&k->dirs, k->build) < 0 ||
	    (k->source && !covered(&k->dirs, k->source) && strv_push(&k->dirs, k->source) < 0))
		return dks_err(err, ENOMEM, "kernel %s", k->kver);
	for (size_t i = 0; i < k->dirs.n; i++)
		if (walk(k, k->dirs.v[i], d, parent) < 0)
			return dks_err(err, errno, "kernel %s: cannot walk %s", k->kver, k->dirs.v[i]);
	return 0;
}

static bool kver_is_sane(const char *kver)
{
	if (!*kver || strlen(kver) > 200 || kver[0] == '.')
		return false;
	for (const char *p = kver; *p; p++)
		if (*p == '/' || *p < 0x21 || *p > 0x7e)
			return false;
	return true;
}

int dks_kernel_resolve(struct dks_kernel *k, const char *kver,
		       const char *headers, struct dks_error *err)
{
	char path[PATH_MAX];

	memset(k, 0, sizeof(*k));
	if (!kver_is_sane(kver))
		return dks_err(err, 0, "kernel '%s': not a kernel release name", kver);
	k->kver = strdup(kver);
	if (!k->kver)
		return dks_err(err, ENOMEM, "kernel");
	snprintf(path, sizeof(path), "/lib/modules/%s/build", kver);
	k->build = headers ? realpath(headers, NULL) : link_target(path);
	if (!k->build) {
		dks_kernel_clear(k);
		/* dkms: 21 = no kernel headers for the target. */
		return dks_err_code(err, 21, 0, "kernel %s: no headers at %s (install linux-headers-%s)",
				    kver, headers ? headers : path, kver);
	}
	snprintf(path, sizeof(path), "/lib/modules/%s/source", kver);
	k->source = headers ? NULL : link_target(path);
	if (resolve_dirs(k, err) < 0) {
		dks_kernel_clear(k);
		return -1;
	}
	return 0;
}

void dks_kernel_clear(struct dks_kernel *k)
{
	free(k->kver);
	free(k->build);
	free(k->source);
	strv_free(&k->dirs);
	memset(k, 0, sizeof(*k));
}
