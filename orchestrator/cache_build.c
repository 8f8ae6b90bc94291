// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cache in a build job (cachebuild.h). The key is the unit digest of
 * the identity API (unitinputs.c): the very digest `plan` shows. A hit
 * puts the entry's verified copies where the build would have collected
 * its modules; the commit, the handoff and everything after are the same
 * as for a build, and the installer validates them as it validates any.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cachebuild.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "unitinputs.h"

struct dks_cache dks_cache_of(const struct dks_config *cfg)
{
	return (struct dks_cache){.dir = cfg->cache_dir ? cfg->cache_dir : DKS_DEFAULT_CACHE_DIR,
				  .mode = (enum dks_cache_mode)cfg->cache_mode,
				  .max_size = cfg->cache_max_size,
				  .dir_optional = !cfg->cache_dir};
}

/* "<dest_name>.ko" of each module of @s: what the entry must hold. */
static char **ko_names(const struct dks_spec *s)
{
	char **v = calloc(s->n_modules + 1, sizeof(*v));

	for (size_t i = 0; v && i < s->n_modules; i++)
		if (asprintf(&v[i], "%s.ko", s->modules[i].dest_name) < 0) {
			v[i] = NULL;
			dks_strv_free(v);
			return NULL;
		}
	return v;
}

/* A build that reads other modules' files (BUILD_DEPENDS, build_reads)
 * depends on inputs the unit digest does not name: never cached. */
static bool reads_other_modules(const struct dks_build_env *env, const struct dks_job *j,
				const struct dks_spec *s)
{
	struct strv deps = {0};
	struct dks_error err = {0};
	bool reads = dks_build_dep_paths(env, j->module, j->version, j->target->kver, s, &deps,
					 &err) < 0 || deps.n > 0;

	strv_free(&deps);
	return reads;
}

static int lookup(const struct dks_cache *c, const char *key, const struct dks_spec *s,
		  const char *module_dir, int log_fd)
{
	cleanup_strv char **kos = ko_names(s);

	if (!kos)
		return 0;
	return dks_cache_lookup(c, key, module_dir, log_fd, (const char *const *)kos,
				s->n_modules);
}

int dks_build_cached(const struct dks_build_env *env, const struct dks_job *j,
		     const struct dks_spec *s, const char *staged, int log_fd,
		     struct dks_unit_inputs *in)
{
	struct dks_cache c = dks_cache_of(env->cfg);
	struct dks_error err = {0};
	char key[DKS_SHA256_HEX], module_dir[PATH_MAX];
	int hit;

	memset(in, 0, sizeof(*in));
	/* no cache configured and no default dir: not even the inputs' digests */
	if (c.mode == DKS_CACHE_OFF || (c.dir_optional && access(c.dir, F_OK) != 0) ||
	    reads_other_modules(env, j, s))
		return 0;
	if (dks_unit_inputs_make(env, s, j->module, j->version, j->target, in, &err) < 0) {
		dks_warn("%s/%s, %s: not looked up in the cache: %s", j->module, j->version,
			 j->target->kver, err.msg);
		dks_kernel_id_clear(&in->kernel);
		in->module = NULL;
		return 0;
	}
	dks_unit_digest(in, key);
	snprintf(module_dir, sizeof(module_dir), "%s/module", staged);
	hit = lookup(&c, key, s, module_dir, log_fd);
	if (c.mode == DKS_CACHE_RW && !c.dir_optional)
		dks_mkdir_p(c.dir); /* a first miss is counted too */
	dks_cache_count(&c, hit);
	if (!hit)
		return 0;
	dprintf(log_fd, "\ndkms-sandbox: this build came from the cache: %s/%s\n", c.dir, key);
	printf("%s/%s, %s, %s: from the cache %.12s\n", j->module, j->version, j->target->kver,
	       j->target->arch, key);
	fflush(stdout);
	return 1;
}

void dks_build_cache_put(const struct dks_build_env *env, const struct dks_unit_inputs *in,
			 const char *staged)
{
	struct dks_cache c = dks_cache_of(env->cfg);
	struct dks_error err = {0};
	char module_dir[PATH_MAX], log[PATH_MAX];

	if (!in->module || c.mode != DKS_CACHE_RW)
		return;
	snprintf(module_dir, sizeof(module_dir), "%s/module", staged);
	snprintf(log, sizeof(log), "%s/log/make.log", staged);
	if (dks_cache_insert(&c, in, module_dir, log, &err) < 0)
		dks_warn("%s/%s: %s (the build is kept, not cached)", in->module, in->version,
			 err.msg);
}
