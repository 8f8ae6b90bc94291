// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox build MODULE/VERSION... [-k KVER[/ARCH]]... [--all]
 *     [--kernelsourcedir DIR] [--force] [-j N]
 * Every module for every kernel, in parallel, one jobserver for all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "build.h"
#include "cli.h"
#include "dks/kernel.h"
#include "dks/spec.h"
#include "testload.h"

struct targets {
	struct dks_target *t;
	size_t n;
};

static int add_target(struct targets *ts, const char *spec, const struct dks_ctx *ctx,
		      struct dks_error *err)
{
	struct dks_target *nt = realloc(ts->t, (ts->n + 1) * sizeof(*nt));

	if (!nt)
		return dks_err(err, 0, "out of memory");
	ts->t = nt;
	if (dks_target_resolve(spec, ctx->cli.kernelsourcedir, ctx->cfg.install_tree,
			       &ts->t[ts->n], err) < 0)
		return -1;
	if (dks_ctx_kernel_config(ctx, &ts->t[ts->n], err) < 0) {
		dks_target_clear(&ts->t[ts->n]);
		return -1;
	}
	if (ctx->cli.arch && strcmp(ctx->cli.arch, ts->t[ts->n].arch) != 0) {
		free(ts->t[ts->n].arch);
		ts->t[ts->n].arch = strdup(ctx->cli.arch);
	}
	ts->n++;
	return 0;
}

/* -k ..., --all, or the running kernel. */
static int resolve_targets(const struct dks_ctx *ctx, struct targets *ts, struct dks_error *err)
{
	if (ctx->cli.all)
		return dks_targets_installed(ctx->cfg.install_tree, &ts->t, &ts->n, err);
	if (ctx->cli.n_kernels == 0) { /* the running one, with -a's arch as dkms */
		struct utsname u;

		return uname(&u) < 0 ? dks_err(err, errno, "uname") : add_target(ts, u.release, ctx, err);
	}
	if (ctx->cli.kernelsourcedir && ctx->cli.n_kernels > 1)
		return dks_err(err, 0, "build: --kernelsourcedir goes with exactly one -k");
	for (size_t i = 0; i < ctx->cli.n_kernels; i++)
		if (add_target(ts, ctx->cli.kernels[i], ctx, err) < 0)
			return -1;
	return 0;
}

/* Module x kernel jobs; already built ones are skipped unless --force. */
static int plan(const struct dks_ctx *ctx, const struct targets *ts, struct dks_job **jobs,
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
			if (!ctx->cli.force &&
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

/* build --test-load: each module built for each kernel, booted and loaded
 * (orchestrator/testload.c); what failed to build is not tested. */
static int test_load(const struct dks_ctx *ctx, const struct targets *ts, struct dks_error *err)
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
	struct targets ts = {0};
	struct dks_job *jobs = NULL;
	size_t n = 0;
	int rc;

	if (dks_ctx_open(argc, argv, "build", &ctx, &err) < 0 || dks_ctx_profile(&ctx, &err) < 0 ||
	    (ctx.cli.n_mods == 0 &&
	     dks_err(&err, 0, "build: give module/version (or -m MODULE -v VERSION)") < 0) ||
	    resolve_targets(&ctx, &ts, &err) < 0 || plan(&ctx, &ts, &jobs, &n, &err) < 0) {
		rc = dks_fail(&err);
	} else {
		struct dks_build_env env = {.cfg = &ctx.cfg, .tree = &ctx.tree,
					    .profile = ctx.profile, .jobserver = {-1, -1},
					    .jobs = ctx.cfg.jobs, .force = ctx.cli.force,
					    .verbose = ctx.cli.verbose, .conf = ctx.cli.conf,
				    .directives = ctx.cli.directives,
				    .n_directives = ctx.cli.n_directives};

		struct dks_build_summary sum = {0};

		if (n && dks_build_all(&env, jobs, n, &sum, &err) < 0)
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
