// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox plan [MODULE/VERSION]... [-k KVER[/ARCH]]... [--all] [--json]
 * The build matrix (plan.h, docs/fleet.md): every module/version given
 * (none: every one added) x every kernel (-k, --all, or the running one),
 * each unit's dkms.conf evaluated in a sandbox for its kernel as build
 * does, its inputs digested; BUILD_EXCLUSIVE_* puts a unit apart, with its
 * reason. Builds nothing, changes nothing in the tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dks/identity.h"
#include "plan.h"
#include "planunit.h"
#include "targets.h"

struct mvs {
	const char *(*mv)[2];
	size_t n;
	struct dks_status *st; /* owns the names when they came from the tree */
	size_t n_st;
};

/* The command line's modules, or every m/v the tree has (not broken). */
static int modules(const struct dks_ctx *ctx, struct mvs *m, struct dks_error *err)
{
	if (!ctx->cli.n_mods && dks_tree_status(&ctx->tree, NULL, NULL, &m->st, &m->n_st, err) < 0)
		return -1;
	m->mv = calloc(ctx->cli.n_mods + m->n_st + 1, sizeof(*m->mv));
	if (!m->mv)
		return dks_err(err, ENOMEM, "plan");
	for (; m->n < ctx->cli.n_mods; m->n++) {
		m->mv[m->n][0] = ctx->cli.mods[m->n][0];
		m->mv[m->n][1] = ctx->cli.mods[m->n][1];
	}
	for (size_t i = 0; i < m->n_st; i++) {
		const struct dks_status *s = &m->st[i];

		if (s->state == DKS_BROKEN || (m->n && strcmp(m->mv[m->n - 1][0], s->module) == 0 &&
					       strcmp(m->mv[m->n - 1][1], s->version) == 0))
			continue;
		m->mv[m->n][0] = s->module;
		m->mv[m->n++][1] = s->version;
	}
	return 0;
}

static void mvs_free(struct mvs *m)
{
	free(m->mv);
	dks_status_free(m->st, m->n_st);
}

/* Append @u to the units or to the excluded ones. */
static int keep(struct dks_plan *p, struct dks_plan_unit *u, struct dks_error *err)
{
	struct dks_plan_unit **list = u->reason ? &p->excluded : &p->units;
	size_t *n = u->reason ? &p->n_excluded : &p->n_units;
	struct dks_plan_unit *nl = realloc(*list, (*n + 1) * sizeof(*nl));

	if (!nl) {
		dks_plan_unit_clear(u);
		return dks_err(err, ENOMEM, "plan");
	}
	*list = nl;
	nl[(*n)++] = *u;
	return 0;
}

static int units(const struct dks_ctx *ctx, const struct mvs *m, const struct dks_targets *ts,
		 struct dks_plan *p, struct dks_error *err)
{
	const struct dks_build_env env = dks_plan_build_env(ctx);

	for (size_t i = 0; i < m->n; i++) {
		const char *mod = m->mv[i][0], *ver = m->mv[i][1];

		if (dks_tree_check_intact(&ctx->tree, mod, ver, err) < 0 ||
		    !dks_tree_is_added(&ctx->tree, mod, ver))
			return err->msg[0] ? -1
					   : dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0,
							  "%s/%s: not added", mod, ver);
		for (size_t k = 0; k < ts->n; k++) {
			struct dks_plan_unit u;

			if (dks_plan_unit_make(&env, mod, ver, &ts->t[k], &u, err) < 0) {
				dks_plan_unit_clear(&u);
				return -1;
			}
			if (keep(p, &u, err) < 0)
				return -1;
		}
	}
	dks_plan_sort(p->units, p->n_units);
	dks_plan_sort(p->excluded, p->n_excluded);
	return 0;
}

static int header(const struct dks_ctx *ctx, struct dks_plan *p, struct dks_error *err)
{
	char digest[DKS_SHA256_HEX];

	p->version = DKS_PLAN_VERSION;
	p->dkmstree = strdup(ctx->cfg.dkms_tree);
	p->sourcetree = strdup(ctx->cfg.source_tree);
	p->installtree = strdup(ctx->cfg.install_tree);
	p->profile = strdup(ctx->cfg.profile ? ctx->cfg.profile : "default");
	if (!p->dkmstree || !p->sourcetree || !p->installtree || !p->profile)
		return dks_err(err, ENOMEM, "plan");
	return dks_toolchain_id(ctx->cfg.toolchain ? ctx->cfg.toolchain : "/", digest,
				&p->toolchain_label, err);
}

int cmd_plan(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_targets ts = {0};
	struct mvs m = {0};
	struct dks_plan *p = calloc(1, sizeof(*p));
	int rc = 0;

	if (!p || dks_ctx_open(argc, argv, "plan", &ctx, &err) < 0 ||
	    dks_ctx_profile(&ctx, &err) < 0 || dks_targets_resolve(&ctx, &ts, &err) < 0 ||
	    modules(&ctx, &m, &err) < 0 || header(&ctx, p, &err) < 0 ||
	    units(&ctx, &m, &ts, p, &err) < 0)
		rc = dks_fail(&err);
	else if ((ctx.cli.json ? dks_plan_write_json(stdout, p) : dks_plan_write_table(stdout, p)) <
		     0 ||
		 fflush(stdout) != 0)
		rc = dks_fail(&(struct dks_error){.exit_code = 1, .msg = "plan: cannot write"});
	mvs_free(&m);
	dks_targets_free(ts.t, ts.n);
	dks_plan_free(p);
	dks_ctx_close(&ctx);
	return rc;
}
