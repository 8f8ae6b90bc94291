// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * build --check: the units rebuilt in a private DKMS tree (a fresh
 * directory below $TMPDIR or /var/tmp, removed afterwards) whose
 * <m>/<v>/source links to the same source, against the same kernels and
 * toolchain; then each unit's .ko files compared with the tree's. The
 * sandbox puts both builds at the same canonical paths, so a difference
 * is a build that is not reproducible, or a .ko changed after its build.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildcheck.h"
#include "cachebuild.h"
#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"

/* <priv>/<m>/<v>/source -> the tree's source of m/v. */
static int link_source(const struct dks_build_env *env, const char *priv, const struct dks_job *j,
		       struct dks_error *err)
{
	cleanup_free char *src = dks_tree_source_dir(env->tree, j->module, j->version);
	cleanup_free char *dir = NULL;
	cleanup_free char *link = NULL;

	if (!src)
		return dks_err(err, 0, "%s/%s: no source to rebuild from", j->module, j->version);
	if (asprintf(&dir, "%s/%s/%s", priv, j->module, j->version) < 0 ||
	    asprintf(&link, "%s/source", dir) < 0)
		return dks_err(err, ENOMEM, "build --check");
	if (dks_mkdir_p(dir) < 0)
		return dks_err(err, errno, "%s", dir);
	if (symlink(src, link) < 0 && errno != EEXIST)
		return dks_err(err, errno, "%s", link);
	return 0;
}

static int compare_job(const struct dks_build_env *env, const char *priv, const struct dks_job *j,
		       struct dks_error *err)
{
	const struct dks_target *k = j->target;
	cleanup_free char *a = NULL;
	cleanup_free char *b = NULL;
	cleanup_free char *unit = NULL;

	if (asprintf(&unit, "%s/%s, %s, %s", j->module, j->version, k->kver, k->arch) < 0 ||
	    asprintf(&a, "%s/%s/%s/%s/%s/module", env->tree->dkms_tree, j->module, j->version,
		     k->kver, k->arch) < 0 ||
	    asprintf(&b, "%s/%s/%s/%s/%s/module", priv, j->module, j->version, k->kver,
		     k->arch) < 0)
		return dks_err(err, ENOMEM, "build --check");
	return dks_build_compare(unit, a, b, err);
}

static int check_in(const struct dks_build_env *env, const char *priv, const struct dks_job *jobs,
		    size_t n, struct dks_error *err)
{
	struct dks_tree t = {.dkms_tree = priv, .source_tree = env->tree->source_tree,
			     .install_tree = env->tree->install_tree};
	struct dks_build_env e = *env;
	struct dks_build_summary sum = {0};
	struct dks_config cfg = *env->cfg;

	cfg.cache_mode = DKS_CACHE_OFF; /* a rebuild, never a copy of the cache */
	e.cfg = &cfg;
	e.tree = &t;
	e.force = true;
	for (size_t i = 0; i < n; i++)
		if (link_source(env, priv, &jobs[i], err) < 0)
			return -1;
	if (dks_build_all(&e, jobs, n, &sum, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (compare_job(env, priv, &jobs[i], err) < 0)
			return -1;
	return dks_build_check_cache(env, priv, jobs, n, err);
}

int dks_build_check(const struct dks_build_env *env, const struct dks_job *jobs, size_t n,
		    struct dks_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char priv[PATH_MAX];
	int ret;

	for (size_t i = 0; i < n; i++)
		if (!dks_tree_is_built(env->tree, jobs[i].module, jobs[i].version,
				       jobs[i].target->kver, jobs[i].target->arch))
			return dks_err_code(err, DKS_EXIT_NOT_BUILT, 0,
					    "%s/%s, %s, %s: not built: nothing to check",
					    jobs[i].module, jobs[i].version, jobs[i].target->kver,
					    jobs[i].target->arch);
	snprintf(priv, sizeof(priv), "%s/dkms-sandbox-check-XXXXXX",
		 tmp && *tmp == '/' ? tmp : "/var/tmp");
	if (!mkdtemp(priv))
		return dks_err(err, errno, "build --check: %s", priv);
	/* The build user enters it to reach the source link's target. */
	if (chmod(priv, 0755) < 0)
		ret = dks_err(err, errno, "%s", priv);
	else
		ret = check_in(env, priv, jobs, n, err);
	dks_rmtree(priv);
	return ret;
}
