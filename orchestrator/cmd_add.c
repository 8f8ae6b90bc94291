// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox add MODULE/VERSION | -m M -v V | SOURCE_DIR | PATH/dkms.conf | RECIPE.yaml
 *
 * The source must end up at <sourcetree>/<m>-<v> (a recipe's is fetched
 * there); its dkms.conf is evaluated in a sandbox to learn and check the
 * module (exit 8 when it is bad), and the tree gets m/v's source link
 * (exit 3 when it is already there).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "build.h"
#include "cli.h"
#include "dks/cleanup.h"
#include "dks/dkmsconf.h"
#include "dks/kernel.h"
#include "dks/recipe.h"
#include "dks/spec.h"
#include "hooks.h"
#include "prebuild.h"
#include "dks/installer.h"

/* The source for -m/-v or m/v: <sourcetree>/<m>-<v>. */
static int source_of(const struct dks_ctx *ctx, const char *m, const char *v, char *dir,
		     size_t size, struct dks_error *err)
{
	struct stat st;

	snprintf(dir, size, "%s/%s-%s", ctx->cfg.source_tree, m, v);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, 0, "%s/%s: no source at %s", m, v, dir);
	return 0;
}

static bool is_recipe(const char *path)
{
	size_t n = strlen(path);

	return n > 5 && strcmp(path + n - 5, ".yaml") == 0;
}

/* The source is already in the tree (unpacked by hand, e.g. a tarball the
 * project cannot download): the recipe goes beside it, where builds look
 * for it, unless the source has its own dkms.conf or recipe. */
static int place_recipe(const char *recipe, const char *dest, struct dks_error *err)
{
	char path[PATH_MAX + 64], buf[65536];
	cleanup_close int in = -1, out = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/dkms.conf", dest);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dest, DKS_RECIPE_IN_SOURCE);
	if (access(path, F_OK) == 0)
		return 0;
	in = open(recipe, O_RDONLY | O_CLOEXEC);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (in < 0 || out < 0)
		return dks_err(err, errno, "%s", in < 0 ? recipe : path);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return dks_err(err, errno, "%s", path);
	return n < 0 ? dks_err(err, errno, "%s", recipe) : 0;
}

/* A recipe: its source is fetched to <sourcetree>/<name>-<version>. */
static int add_recipe(const struct dks_ctx *ctx, const char *path, char *m, char *v,
		      char **post_add, struct dks_error *err)
{
	struct dks_recipe *r = NULL;
	char dest[PATH_MAX];
	int ret;

	if (dks_recipe_load(path, &r, err) < 0)
		return -1;
	snprintf(m, NAME_MAX, "%s", dks_recipe_name(r));
	snprintf(v, NAME_MAX, "%s", dks_recipe_version(r));
	*post_add = dks_recipe_post_add(r) ? strdup(dks_recipe_post_add(r)) : NULL;
	snprintf(dest, sizeof(dest), "%s/%s-%s", ctx->cfg.source_tree, m, v);
	ret = access(dest, F_OK) == 0 ? place_recipe(path, dest, err)
				       : dks_recipe_fetch_source(r, dest, err);
	dks_recipe_free(r);
	return ret;
}

static int name_version(const struct dks_spec *s, char *m, char *v, struct dks_error *err)
{
	if (strlen(s->name) >= NAME_MAX || strlen(s->version) >= NAME_MAX)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s: name or version too long",
				    s->source);
	strcpy(m, s->name);
	strcpy(v, s->version);
	return 0;
}

/* PATH/dkms.conf: the directory resolved, the file's own name kept, so
 * that a dkms.conf that is a link out of its directory is seen as one
 * (dks_dkmsconf_eval refuses it) and its target's directory never becomes
 * the source. */
static int conf_in_dir(const char *path, char *dir, size_t dsize, char *conf, size_t csize,
		       struct dks_error *err)
{
	cleanup_free char *copy = strdup(path);
	char *slash = copy ? strrchr(copy, '/') : NULL;
	cleanup_free char *parent = NULL;

	if (!copy)
		return dks_err(err, ENOMEM, "%s", path);
	if (slash)
		*slash = '\0';
	parent = realpath(!slash ? "." : slash == copy ? "/" : copy, NULL);
	if (!parent)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "%s", path);
	snprintf(dir, dsize, "%s", parent);
	snprintf(conf, csize, "%s/%s", strcmp(parent, "/") ? parent : "", slash ? slash + 1 : copy);
	return 0;
}

/* Where the source and its file are for add PATH: @conf is the recipe
 * (1) or the dkms.conf (0) of @dir. A directory without either is dkms's
 * usage error (1): not a source tree, and no module/version either. */
static int locate(const char *path, const char *real, bool is_dir, bool conf_given, char *dir,
		  size_t dsize, char *conf, size_t csize, struct dks_error *err)
{
	if (!is_dir)
		return conf_in_dir(path, dir, dsize, conf, csize, err);
	snprintf(dir, dsize, "%s", real);
	snprintf(conf, csize, "%s/%s", dir, DKS_RECIPE_IN_SOURCE);
	if (access(conf, F_OK) == 0)
		return dks_prebuild_recipe(conf, err) < 0 ? -1 : 1;
	snprintf(conf, csize, "%s/dkms.conf", dir);
	if (!conf_given && access(conf, F_OK) < 0)
		return dks_err(err, 0, "Arguments <module> and <module-version> are not specified "
				       "(%s holds no dkms.conf)", path);
	return 0;
}

/* A source directory, or the dkms.conf in one. */
static int add_path(struct dks_ctx *ctx, const char *path, char *m, char *v, char **post_add,
		    struct dks_error *err)
{
	cleanup_free char *real = realpath(path, NULL);
	char dir[PATH_MAX], conf[PATH_MAX + 64], dest[PATH_MAX + 2 * NAME_MAX];
	struct dks_spec *spec = NULL;
	struct stat st;
	int ret;

	if (!real || stat(real, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "%s", path);
	if (is_recipe(real))
		return add_recipe(ctx, real, m, v, post_add, err);
	ret = locate(path, real, S_ISDIR(st.st_mode), ctx->cli.conf != NULL, dir, sizeof(dir),
		     conf, sizeof(conf), err);
	if (ret != 0)
		return ret < 0 ? -1 : add_recipe(ctx, conf, m, v, post_add, err);
	if (ctx->cli.conf) /* dkms's -c */
		snprintf(conf, sizeof(conf), "%s", ctx->cli.conf);
	ret = dks_ctx_check_conf(ctx, conf, dir, &spec, err);
	if (ret == 0)
		ret = name_version(spec, m, v, err);
	if (ret == 0 && spec->post_add)
		*post_add = strdup(spec->post_add);
	dks_spec_free(spec);
	if (ret < 0)
		return -1;
	/* Like dkms: a source outside the source tree is copied into it. */
	snprintf(dest, sizeof(dest), "%s/%s-%s", ctx->cfg.source_tree, m, v);
	if (strcmp(dest, dir) == 0 || access(dest, F_OK) == 0)
		return 0;
	printf("Copying %s to %s\n", dir, dest);
	return dks_copy_source_dir(dir, dest, err);
}

/* m/v: its dkms.conf (or recipe) is checked all the same. */
static int add_named(struct dks_ctx *ctx, const char *m, const char *v, char **post_add,
		     struct dks_error *err)
{
	char dir[PATH_MAX], file[PATH_MAX + 32];
	struct dks_recipe *r = NULL;
	struct dks_spec *spec = NULL;
	int ret;

	if (source_of(ctx, m, v, dir, sizeof(dir), err) < 0)
		return -1;
	snprintf(file, sizeof(file), "%s/%s", dir, DKS_RECIPE_IN_SOURCE);
	if (access(file, F_OK) == 0) {
		ret = dks_prebuild_recipe(file, err) < 0 ? -1 : dks_recipe_load(file, &r, err);
		if (ret == 0 && dks_recipe_post_add(r))
			*post_add = strdup(dks_recipe_post_add(r));
		dks_recipe_free(r);
		return ret;
	}
	/* dkms's -c: that file instead of the module's */
	if (ctx->cli.conf)
		snprintf(file, sizeof(file), "%s", ctx->cli.conf);
	else
		snprintf(file, sizeof(file), "%s/dkms.conf", dir);
	ret = dks_ctx_check_conf(ctx, file, dir, &spec, err);
	if (ret == 0 && (strcmp(spec->name, m) || strcmp(spec->version, v)))
		ret = dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s: declares %s/%s, not %s/%s", file,
				   spec->name, spec->version, m, v);
	if (ret == 0 && spec->post_add)
		*post_add = strdup(spec->post_add);
	dks_spec_free(spec);
	return ret;
}

/* dkms runs POST_ADD as root after the add; here in a sandbox (hooks.c),
 * for the kernel add evaluated dkms.conf for. Its failure is a warning. */
static int post_add(struct dks_ctx *ctx, const char *m, const char *v, const char *script,
		    struct dks_error *err)
{
	struct dks_target t = {0};
	struct utsname u;
	struct dks_install_point at = {&ctx->tree, m, v, &t, NULL};
	int ret;

	if (!script)
		return 0;
	dks_ctx_install_opts(ctx);
	dks_ctx_add_target(ctx, &t, &u);
	ret = dks_run_script(&ctx->hooks, &at, "post_add", script, err);
	dks_target_clear(&t);
	return ret;
}

static int add(struct dks_ctx *ctx, struct dks_error *err)
{
	char m[NAME_MAX], v[NAME_MAX];
	cleanup_free char *script = NULL;
	int lock, ret;

	if (ctx->cli.path)
		ret = add_path(ctx, ctx->cli.path, m, v, &script, err);
	else if (!ctx->cli.module || !ctx->cli.version)
		ret = dks_err(err, 0, "add: give module/version, -m M -v V, a directory or a recipe");
	else
		ret = snprintf(m, sizeof(m), "%s", ctx->cli.module) < 0 ||
			      snprintf(v, sizeof(v), "%s", ctx->cli.version) < 0 ?
			      -1 : add_named(ctx, m, v, &script, err);
	if (ret < 0)
		return -1;
	lock = dks_tree_lock(&ctx->tree, m, err);
	if (lock < 0)
		return -1;
	ret = dks_tree_add(&ctx->tree, m, v, err);
	dks_tree_unlock(lock);
	if (ret == 0)
		printf("Creating symlink %s/%s/%s/source -> %s/%s-%s\n", ctx->cfg.dkms_tree, m, v,
		       ctx->cfg.source_tree, m, v);
	return ret == 0 ? post_add(ctx, m, v, script, err) : ret;
}

int cmd_add(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	int rc = 0;

	if (dks_ctx_open(argc, argv, "add", &ctx, &err) < 0 || add(&ctx, &err) < 0)
		rc = dks_fail(&err);
	dks_ctx_close(&ctx);
	return rc;
}
