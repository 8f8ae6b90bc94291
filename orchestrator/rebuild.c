// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BUILD_DEPENDS_REBUILD after an install, as dkms 3.4's
 * check_and_rebuild_dependent_modules: every build for the kernel that was
 * made against another version of the module just installed (its
 * .dep_NAME file, depends.c) is built again, in its sandbox, and installed
 * again when it was installed. A rebuild that fails is one line, and the
 * install that caused it still succeeds (dkms goes on too). Chains are
 * followed (a rebuilt module's own dependents), to a bounded depth.
 */
#include <stdio.h>
#include <stdlib.h>

#include "adopt.h"
#include "build.h"
#include "cli.h"
#include "depends.h"
#include "dks/installer.h"
#include "rebuild.h"

#define REBUILD_DEPTH 8

static int rebuild_one(struct dks_ctx *ctx, const struct dks_status *s, const struct dks_target *t,
		       struct dks_error *err)
{
	struct dks_build_env env = {.cfg = &ctx->cfg,
				    .tree = &ctx->tree,
				    .profile = ctx->profile,
				    .jobserver = {-1, -1},
				    .jobs = ctx->cfg.jobs};
	struct dks_job job = {.module = s->module, .version = s->version, .target = t};
	struct dks_install_opts o;
	int lock, ret;

	if (dks_build_all(&env, &job, 1, NULL, err) < 0)
		return -1;
	if (s->state != DKS_INSTALLED)
		return 0;
	o = dks_ctx_install_opts(ctx);
	lock = dks_tree_lock(&ctx->tree, s->module, err);
	if (lock < 0)
		return -1;
	ret = dks_adopt_build(ctx, s->module, s->version, t, err);
	if (ret == 0)
		ret = dks_install(&ctx->tree, s->module, s->version, t, &o, err);
	dks_tree_unlock(lock);
	return ret;
}

static int rebuild_from(struct dks_ctx *ctx, const char *dep, const struct dks_target *t, int depth,
			struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;

	if (depth >= REBUILD_DEPTH ||
	    dks_depends_stale(&ctx->tree, dep, t->kver, t->arch, &st, &n, err) < 0)
		return depth >= REBUILD_DEPTH ? 0 : -1;
	if (n && dks_ctx_profile(ctx, err) < 0) {
		dks_status_free(st, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct dks_error e = {0};

		printf("Rebuilding module %s/%s due to updated dependencies\n", st[i].module,
		       st[i].version);
		if (rebuild_one(ctx, &st[i], t, &e) < 0 ||
		    rebuild_from(ctx, st[i].module, t, depth + 1, &e) < 0) {
			if (!e.reported)
				dks_warn("%s/%s: not rebuilt: %s", st[i].module, st[i].version,
					 e.msg);
		}
	}
	dks_status_free(st, n);
	return 0;
}

int dks_rebuild_dependents(struct dks_ctx *ctx, const char *dep, const struct dks_target *t,
			   struct dks_error *err)
{
	return rebuild_from(ctx, dep, t, 0, err);
}
