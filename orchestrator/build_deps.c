// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a build sees of other modules: nothing, but the files of the modules
 * it depends on, read-only, at the paths dkms would have them. Under dkms a
 * build runs as root on the host and sees all of /usr/src and /var/lib/dkms;
 * here every other module's source stays hidden (docs/security.md) except
 * these, which the module needs and names:
 *
 *   - BUILD_DEPENDS[] of its dkms.conf (known once the conf is read);
 *   - the modules it may read without naming them in dkms.conf, as its
 *     package's dependencies in dpkg's database or config.yaml's
 *     build_reads declare them (build_reads.c), known before the conf is
 *     read, so its evaluation sees them.
 *
 * For each such module, each version added to the tree: its source at
 * /usr/src/<d>-<v> and, where the tree has them, <d>/<v>/build (dkms
 * leaves one only while it builds) and <d>/<v>/<kver> (what was built
 * for this kernel: module/, log/) at /var/lib/dkms/<d>/<v>/... Paths come
 * from the tree (whose names tree.c checks), never from a module's output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build.h"
#include "dks/spec.h"

static int push_pair(struct strv *out, char *src, char *dst, struct dks_error *err)
{
	if (!src || !dst || strv_push_take(out, src) < 0) {
		free(src);
		free(dst);
		return dks_err(err, ENOMEM, "build dependencies");
	}
	if (strv_push_take(out, dst) < 0)
		return dks_err(err, ENOMEM, "build dependencies");
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <d>/<v>/@sub of the tree, if it is a directory. */
static int add_tree_dir(const struct dks_tree *t, const char *d, const char *v, const char *sub,
			struct strv *out, struct dks_error *err)
{
	char *dir = NULL, *dst = NULL;

	if (asprintf(&dir, "%s/%s/%s/%s", t->dkms_tree, d, v, sub) < 0)
		return dks_err(err, ENOMEM, "build dependencies");
	if (!is_dir(dir)) {
		free(dir);
		return 0;
	}
	if (asprintf(&dst, DKS_IN_DKMS_TREE "/%s/%s/%s", d, v, sub) < 0)
		dst = NULL;
	return push_pair(out, dir, dst, err);
}

/* One version of module @d: its source, its build dir and its build for
 * @kver if the tree has them. */
static int add_version(const struct dks_tree *t, const char *d, const char *v, const char *kver,
		       struct strv *out, struct dks_error *err)
{
	char *src = dks_tree_source_dir(t, d, v), *dst = NULL;

	if (!is_dir(src)) {
		free(src);
		return 0;
	}
	if (asprintf(&dst, DKS_IN_SOURCE_TREE "/%s-%s", d, v) < 0)
		dst = NULL;
	if (push_pair(out, src, dst, err) < 0 || add_tree_dir(t, d, v, "build", out, err) < 0)
		return -1;
	return add_tree_dir(t, d, v, kver, out, err);
}

/* Every added version of module @d, once. */
static int add_module(const struct dks_tree *t, const char *d, const char *kver,
		      struct strv *seen, struct strv *out, struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	int ret = 0;

	if (strv_contains(seen, d))
		return 0;
	if (strv_push(seen, d) < 0)
		return dks_err(err, ENOMEM, "build dependencies");
	if (dks_tree_status(t, d, NULL, &st, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++)
		if (i == 0 || strcmp(st[i].version, st[i - 1].version) != 0)
			ret = add_version(t, d, st[i].version, kver, out, err);
	dks_status_free(st, n);
	return ret;
}

int dks_build_dep_paths(const struct dks_build_env *env, const char *m, const char *v,
			const char *kver, const struct dks_spec *s, struct strv *out,
			struct dks_error *err)
{
	const struct dks_tree *t = env->tree;
	struct strv seen = {0}, reads = {0};
	int ret = 0;

	/* Never itself: its own source is the writable copy at that path. */
	if (strv_push(&seen, m) < 0)
		return dks_err(err, ENOMEM, "build dependencies");

	ret = dks_build_reads(t, env->cfg, m, v, &reads, err);
	for (size_t i = 0; i < reads.n && ret == 0; i++)
		ret = add_module(t, reads.v[i], kver, &seen, out, err);
	strv_free(&reads);
	for (size_t i = 0; s && i < s->n_build_depends && ret == 0; i++)
		ret = add_module(t, s->build_depends[i], kver, &seen, out, err);
	strv_free(&seen);
	return ret;
}
