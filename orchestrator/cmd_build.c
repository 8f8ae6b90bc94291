// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox build MODULE/VERSION... [-k KVER[/ARCH]]... [--all]
 *     [--kernelsourcedir DIR] [--force] [-j N]
 * Every module for every kernel, in parallel, one jobserver for all.
 * build --plan FILE --unit N: exactly one unit of a plan (planunit.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "buildcheck.h"
#include "cli.h"
#include "dks/kernel.h"
#include "dks/spec.h"
#include "planunit.h"
#include "targets.h"
#include "testload.h"

/* Module x kernel jobs; already built ones are skipped unless --force. */
static int plan(const struct dks_ctx *ctx, const struct dks_targets *ts, struct dks_job **jobs,
		size_t *n, struct dks_error *err)
{
	*jobs = calloc(ctx->cli.n_mods * ts->n + 1, sizeof(**jobs));
	*n = 0;
	if (!*jobs)
		return dks_err(err, 0, "out of memory");
	for (size_t i = 0; i < ctx->cli.n_mods; i++) {
		const char *m = ctx->cli.mods[i][0], *v = ctx->cli.mods[i][1];

		if (dks_tree_check_intact(&ctx->tree, m, v, err) < 0 ||
		    dks_tree_ensure_added(&ctx->tree, m, v, err) < 0)
			return -1;
		for (size_t k = 0; k < ts->n; k++) {
			if (!ctx->cli.force && !ctx->cli.check &&
			    dks_tree_is_built(&ctx->tree, m, v, ts->t[k].kver, ts->t[k].arch)) {
				printf("%s/%s, %s, %s: already built (--force rebuilds it)\n", m, v,
				       ts->t[k].kver, ts->t[k].arch);
				continue;
			}
			(*jobs)[(*n)++] = (struct dks_job){.module = m, .version = v,
							   .target = &ts->t[k]};
		}
	}
	return 0;
}

/* The command line's modules x kernels, or --plan's one unit. */
static int jobs_of(const struct dks_ctx *ctx, struct dks_targets *ts, struct dks_job **jobs,
		   size_t *n, struct dks_error *err)
{
	if (ctx->cli.plan)
		return dks_plan_job(ctx, ts, jobs, n, err);
	if (ctx->cli.n_mods == 0)
		return dks_err(err, 0, "build: give module/version (or -m MODULE -v VERSION)");
	if (dks_targets_resolve(ctx, ts, err) < 0)
		return -1;
	return plan(ctx, ts, jobs, n, err);
}

/* build --test-load: each module of the command line built for each
 * kernel, booted and loaded (orchestrator/testload.c); what failed to
 * build is not tested. */
static int test_load(const struct dks_ctx *ctx, const struct dks_targets *ts,
		     struct dks_error *err)
{
	struct dks_tl_opts o = {.cfg = &ctx->cfg, .kernel_image = ctx->cli.kernel_image};
	int rc = 0;

	for (size_t i = 0; i < ctx->cli.n_mods; i++)
		for (size_t k = 0; k < ts->n; k++) {
			const char *m = ctx->cli.mods[i][0], *v = ctx->cli.mods[i][1];
			struct dks_error e = {0};

			if (!dks_tree_is_built(&ctx->tree, m, v, ts->t[k].kver, ts->t[k].arch))
				continue;
			if (dks_testload_report(&ctx->tree, &o, m, v, ts->t[k].kver, ts->t[k].arch,
						&e) == 0)
				continue;
			if (rc == 0)
				*err = e; /* the first failure's code; the others printed now */
			else
				dks_error_print(&e);
			rc = -1;
		}
	return rc;
}

int cmd_build(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_targets ts = {0};
	struct dks_job *jobs = NULL;
	size_t n = 0;
	int rc;

	if (dks_ctx_open(argc, argv, "build", &ctx, &err) < 0 || dks_ctx_profile(&ctx, &err) < 0 ||
	    jobs_of(&ctx, &ts, &jobs, &n, &err) < 0) {
		rc = dks_fail(&err);
	} else {
		struct dks_build_env env = {.cfg = &ctx.cfg, .tree = &ctx.tree,
					    .profile = ctx.profile, .jobserver = {-1, -1},
					    .jobs = ctx.cfg.jobs, .force = ctx.cli.force,
					    .verbose = ctx.cli.verbose, .conf = ctx.cli.conf,
				    .directives = ctx.cli.directives,
				    .n_directives = ctx.cli.n_directives};

		struct dks_build_summary sum = {0};

		if (ctx.cli.check)
			rc = dks_build_check(&env, jobs, n, &err) < 0 ? dks_fail(&err) : 0;
		else if (n && dks_build_all(&env, jobs, n, &sum, &err) < 0)
			rc = dks_fail(&err);
		else /* dkms: 77 when every build was skipped */
			rc = sum.skipped && !sum.built ? DKS_EXIT_EXCLUDED : 0;
		if (rc == 0 && ctx.cli.test_load && test_load(&ctx, &ts, &err) < 0)
			rc = dks_fail(&err);
	}
	free(jobs);
	dks_targets_free(ts.t, ts.n);
	dks_ctx_close(&ctx);
	return rc;
}
