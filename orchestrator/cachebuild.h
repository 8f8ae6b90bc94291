/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The build cache in a build (cache_build.c): a lookup before the build,
 * an insert after it, a comparison for build --check (cache_check.c).
 * Nothing here fails a build: the cache only ever saves one.
 */
#ifndef DKS_CACHEBUILD_H
#define DKS_CACHEBUILD_H

#include "build.h"
#include "dks/cache.h"
#include "dks/identity.h"
#include "dks/spec.h"

/* The cache @cfg configures. */
struct dks_cache dks_cache_of(const struct dks_config *cfg);

/* Job @j with its spec @s: its inputs into @in (in->module NULL when the
 * cache is off or they could not be computed: no insert then), looked up;
 * on a hit the .ko files are in @staged/module, the entry's log appended
 * to @log_fd, and one line says "from the cache <key>". 1: a hit, 0: no.
 * Clear @in's kernel after (dks_kernel_id_clear). */
int dks_build_cached(const struct dks_build_env *env, const struct dks_job *j,
		     const struct dks_spec *s, const char *staged, int log_fd,
		     struct dks_unit_inputs *in);

/* After a successful build: @staged's modules and log inserted under
 * @in's key (a failure is one warning line). */
void dks_build_cache_put(const struct dks_build_env *env, const struct dks_unit_inputs *in,
			 const char *staged);

/* build --check: each job's cache entry, when there is one, compared with
 * its rebuild in the private tree @priv (DKS_EXIT_CHECK_DIFFERS). */
int dks_build_check_cache(const struct dks_build_env *env, const char *priv,
			  const struct dks_job *jobs, size_t n, struct dks_error *err);

#endif
