// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * build --plan FILE --unit N (planunit.h): any engine's array index maps
 * to exactly one build. The plan is untrusted (planfile.c parses it
 * strictly); of the unit only its names are used, each checked again, and
 * its digest, compared with the digest of the inputs as they are here and
 * now (plan.c, the same code `plan` ran): a unit whose source, dkms.conf,
 * toolchain, kernel or profile changed since the plan is refused (exit
 * DKS_EXIT_STALE_PLAN), so that a plan is never built against inputs it
 * did not describe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cleanup.h"
#include "plan.h"
#include "planunit.h"

struct dks_build_env dks_plan_build_env(const struct dks_ctx *ctx)
{
	return (struct dks_build_env){.cfg = &ctx->cfg,
				      .tree = &ctx->tree,
				      .profile = ctx->profile,
				      .jobserver = {-1, -1},
				      .jobs = ctx->cfg.jobs,
				      .force = ctx->cli.force,
				      .verbose = ctx->cli.verbose,
				      .conf = ctx->cli.conf,
				      .directives = ctx->cli.directives,
				      .n_directives = ctx->cli.n_directives};
}

static int parse_index(const char *s, const char *plan, size_t *out, struct dks_error *err)
{
	if (!s)
		return dks_err(err, 0, "build --plan %s: give --unit N (0 is the first unit)",
			       plan);
	if (!*s || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]))
		return dks_err(err, 0,
			       "build --plan %s: --unit '%.32s' is not a unit index (0, 1, ...)",
			       plan, s);
	*out = strtoul(s, NULL, 10);
	return 0;
}

/* --plan takes the unit's module and kernel from the plan, nothing else. */
static int alone(const struct dks_cli *c, struct dks_error *err)
{
	if (c->n_mods || c->path || c->n_kernels || c->all || c->n_arches)
		return dks_err(err, 0,
			       "build --plan %s: the unit names its module, kernel and arch; "
			       "no MODULE/VERSION, -k, -a or --all with --plan",
			       c->plan);
	return 0;
}

/* What differs between the plan's unit and its inputs now. */
static void what_changed(const struct dks_plan *p, const struct dks_plan_unit *a,
			 const struct dks_plan_unit *b, const char *profile, char *buf, size_t size)
{
	const struct {
		const char *name;
		bool changed;
	} parts[] = {
	    {"source", strcmp(a->source, b->source) != 0},
	    {"dkms.conf as evaluated", strcmp(a->spec, b->spec) != 0},
	    {"toolchain", strcmp(a->toolchain, b->toolchain) != 0},
	    {"kernel", strcmp(a->vermagic, b->vermagic) || strcmp(a->config, b->config) ||
			   strcmp(a->symvers, b->symvers) || strcmp(a->vmlinux, b->vmlinux)},
	    {"profile", strcmp(p->profile, profile) != 0},
	};

	*buf = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].changed)
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", *buf ? ", " : "",
				 parts[i].name);
	if (!*buf)
		snprintf(buf, size, "its digest");
}

/* The unit's inputs now, against the plan's. */
static int check_fresh(const struct dks_ctx *ctx, const struct dks_plan *p, size_t i,
		       const struct dks_target *t, struct dks_error *err)
{
	const struct dks_plan_unit *u = &p->units[i];
	const struct dks_build_env env = dks_plan_build_env(ctx);
	const char *profile = ctx->cfg.profile ? ctx->cfg.profile : "default";
	struct dks_plan_unit now;
	char changed[256];
	int ret = dks_plan_unit_make(&env, u->module, u->version, t, &now, err);

	if (ret == 0 && now.reason)
		ret = dks_err_code(err, DKS_EXIT_STALE_PLAN, 0,
				   "plan %s: unit %zu (%s/%s, %s, %s) is stale: BUILD_EXCLUSIVE_* "
				   "excludes it now (%s); make a new plan",
				   ctx->cli.plan, i, u->module, u->version, u->kernel, u->arch,
				   now.reason);
	else if (ret == 0 && strcmp(now.digest, u->digest) != 0) {
		what_changed(p, u, &now, profile, changed, sizeof(changed));
		ret = dks_err_code(err, DKS_EXIT_STALE_PLAN, 0,
				   "plan %s: unit %zu (%s/%s, %s, %s) is stale: its inputs changed "
				   "since the plan (%s); make a new plan",
				   ctx->cli.plan, i, u->module, u->version, u->kernel, u->arch,
				   changed);
	}
	dks_plan_unit_clear(&now);
	return ret;
}

/* One job whose names live in the same block (free(job) frees all). */
static struct dks_job *one_job(const struct dks_plan_unit *u, const struct dks_target *t)
{
	size_t lm = strlen(u->module) + 1, lv = strlen(u->version) + 1;
	struct dks_job *j = calloc(1, 2 * sizeof(*j) + lm + lv);
	char *names = (char *)(j + 2);

	if (!j)
		return NULL;
	memcpy(names, u->module, lm);
	memcpy(names + lm, u->version, lv);
	j[0] = (struct dks_job){.module = names, .version = names + lm, .target = t};
	return j;
}

static int unit_job(const struct dks_ctx *ctx, const struct dks_plan *p, size_t i,
		    struct dks_targets *ts, struct dks_job **jobs, size_t *n, struct dks_error *err)
{
	const struct dks_plan_unit *u = &p->units[i];
	char spec[2 * DKS_TREE_NAME_MAX + 2];

	snprintf(spec, sizeof(spec), "%s/%s", u->kernel, u->arch);
	/* fresh before anything is added: a stale plan changes nothing */
	if (dks_tree_check_intact(&ctx->tree, u->module, u->version, err) < 0 ||
	    dks_targets_add(ts, spec, ctx, err) < 0 || check_fresh(ctx, p, i, &ts->t[0], err) < 0 ||
	    dks_tree_ensure_added(&ctx->tree, u->module, u->version, err) < 0)
		return -1;
	*jobs = one_job(u, &ts->t[0]);
	if (!*jobs)
		return dks_err(err, ENOMEM, "build --plan");
	if (!ctx->cli.force &&
	    dks_tree_is_built(&ctx->tree, u->module, u->version, u->kernel, u->arch)) {
		printf("%s/%s, %s, %s: already built (--force rebuilds it)\n", u->module,
		       u->version, u->kernel, u->arch);
		return 0;
	}
	*n = 1;
	return 0;
}

/* The plan of --plan and the index of --unit, which must be one of its
 * units. 0 (*p to free), or -1. */
static int pick_unit(const struct dks_ctx *ctx, struct dks_plan **p, size_t *i,
		     struct dks_error *err)
{
	*p = NULL;
	if (alone(&ctx->cli, err) < 0 || parse_index(ctx->cli.unit, ctx->cli.plan, i, err) < 0 ||
	    dks_plan_load(ctx->cli.plan, p, err) < 0)
		return -1;
	if (*i < (*p)->n_units)
		return 0;
	if (!(*p)->n_units)
		dks_err(err, 0, "plan %s: no unit %zu: the plan has no unit", ctx->cli.plan, *i);
	else
		dks_err(err, 0, "plan %s: no unit %zu: the plan has %zu (0 to %zu)", ctx->cli.plan,
			*i, (*p)->n_units, (*p)->n_units - 1);
	dks_plan_free(*p);
	*p = NULL;
	return -1;
}

int dks_plan_job(const struct dks_ctx *ctx, struct dks_targets *ts, struct dks_job **jobs,
		 size_t *n, struct dks_error *err)
{
	struct dks_plan *p;
	size_t i = 0;
	int ret;

	*n = 0;
	if (pick_unit(ctx, &p, &i, err) < 0)
		return -1;
	ret = unit_job(ctx, p, i, ts, jobs, n, err);
	dks_plan_free(p);
	return ret;
}

int dks_plan_unit_names(const struct dks_ctx *ctx, char *names[4], struct dks_error *err)
{
	struct dks_plan *p;
	size_t i = 0;
	int ret = 0;

	if (pick_unit(ctx, &p, &i, err) < 0)
		return -1;
	names[0] = strdup(p->units[i].module);
	names[1] = strdup(p->units[i].version);
	names[2] = strdup(p->units[i].kernel);
	names[3] = strdup(p->units[i].arch);
	for (int k = 0; k < 4; k++)
		if (!names[k])
			ret = dks_err(err, ENOMEM, "%s", ctx->cli.plan);
	dks_plan_free(p);
	return ret;
}
