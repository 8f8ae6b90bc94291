// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The preflight run (preflight.h): for each kernel it prepares,
 * autoinstall (autoinst.c) with a gate that holds back an optional module
 * whose last failure had the same inputs, then the report's rows and the
 * memory updated: a failure remembered with its unit digest, a success
 * forgets it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cleanup.h"
#include "dks/termsafe.h"
#include "dks/toolchain.h"
#include "preflight.h"

struct pf_unit {
	char *m, *v;
	char digest[DKS_SHA256_HEX]; /* "" when it could not be computed */
	int held_code;
};

/* One kernel's gate: what a module's inputs are, and whether to build. */
struct pf_gate {
	struct dks_ctx *ctx;
	const struct dks_kernel_id *kid; /* NULL: no memory for this kernel */
	const char *toolchain;		 /* its digest, or NULL */
	struct pf_unit *units;
	size_t n;
};

bool dks_pf_critical(const struct dks_config *cfg, const char *m)
{
	for (size_t i = 0; i < cfg->n_preflight_critical; i++)
		if (strcmp(cfg->preflight_critical[i], m) == 0)
			return true;
	return false;
}

/* The unit digest of m/v for the gate's kernel (identity.h). */
static int unit_digest(const struct pf_gate *g, const char *m, const char *v,
		       const struct dks_spec *s, char out[DKS_SHA256_HEX], struct dks_error *err)
{
	cleanup_free char *src = dks_tree_source_dir(&g->ctx->tree, m, v);
	struct dks_unit_inputs u = {
	    .module = m, .version = v, .profile = g->ctx->cfg.profile, .kernel = *g->kid};

	if (!src)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	if (dks_source_digest(src, u.source, err) < 0)
		return -1;
	dks_spec_digest(s, u.spec);
	snprintf(u.toolchain, sizeof(u.toolchain), "%s", g->toolchain);
	dks_unit_digest(&u, out);
	return 0;
}

static struct pf_unit *unit_slot(struct pf_gate *g, const char *m, const char *v)
{
	struct pf_unit *more = realloc(g->units, (g->n + 1) * sizeof(*g->units));

	if (!more)
		return NULL;
	g->units = more;
	more = &g->units[g->n];
	*more = (struct pf_unit){.m = strdup(m), .v = strdup(v)};
	if (!more->m || !more->v) {
		free(more->m);
		free(more->v);
		return NULL;
	}
	g->n++;
	return more;
}

/* autoinstall's gate: build, unless an optional module's last failure
 * had these very inputs (one line says so; --force retries). */
static bool gate_build(void *arg, const char *m, const char *v, const struct dks_spec *s,
		       const struct dks_target *t)
{
	struct pf_gate *g = arg;
	struct pf_unit *u = g->kid && g->toolchain ? unit_slot(g, m, v) : NULL;
	struct dks_pf_unit key = {m, v, t->kver, t->arch};
	char was[DKS_SHA256_HEX];
	struct dks_error e = {0};
	int code = 0;

	if (!u)
		return true;
	if (unit_digest(g, m, v, s, u->digest, &e) < 0) {
		/* the message may name a file of the module's source: any bytes */
		cleanup_free char *msg = dks_termsafe_str(e.msg);

		dks_warn("%s/%s, %s: %s: its failures are not remembered", m, v, t->kver,
			 msg ? msg : "?");
		u->digest[0] = '\0';
		return true;
	}
	if (g->ctx->cli.force || dks_pf_critical(&g->ctx->cfg, m) ||
	    dks_pf_memory_read(&g->ctx->tree, &key, was, &code) != 1 || strcmp(was, u->digest) != 0)
		return true;
	printf("%s/%s, %s, %s: failed before with the same inputs (exit %d): not built again "
	       "(--force retries)\n",
	       m, v, t->kver, t->arch, code);
	u->held_code = code;
	return false;
}

static const struct pf_unit *unit_of(const struct pf_gate *g, const char *m, const char *v)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->units[i].m, m) == 0 && strcmp(g->units[i].v, v) == 0)
			return &g->units[i];
	return NULL;
}

/* The memory after a module's outcome: a failure with known inputs is
 * remembered, a success forgotten. */
static void remember(const struct pf_gate *g, const struct dks_ai_result *r,
		     const struct dks_target *t)
{
	const struct pf_unit *u = unit_of(g, r->module, r->version);
	struct dks_pf_unit key = {r->module, r->version, t->kver, t->arch};
	struct dks_error e = {0};

	if (r->outcome == DKS_AI_FAILED && u && u->digest[0]) {
		if (dks_pf_memory_write(&g->ctx->tree, &key, u->digest, r->code, &e) < 0)
			dks_warn("%s", e.msg);
	} else if (r->outcome == DKS_AI_INSTALLED || r->outcome == DKS_AI_ALREADY ||
		   r->outcome == DKS_AI_SKIPPED) {
		dks_pf_memory_forget(&g->ctx->tree, &key);
	}
}

static void gate_clear(struct pf_gate *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->units[i].m);
		free(g->units[i].v);
	}
	free(g->units);
}

int dks_pf_report_add(struct dks_pf_report *rep, const struct dks_pf_row *row)
{
	struct dks_pf_row *r;

	if (rep->n_rows == rep->cap) {
		size_t cap = rep->cap ? 2 * rep->cap : 16;

		r = realloc(rep->rows, cap * sizeof(*r));
		if (!r)
			return -1;
		rep->rows = r;
		rep->cap = cap;
	}
	r = &rep->rows[rep->n_rows];
	*r = *row;
	r->module = strdup(row->module);
	r->version = strdup(row->version);
	r->arch = strdup(row->arch);
	if (!r->module || !r->version || !r->arch) {
		free(r->module);
		free(r->version);
		free(r->arch);
		return -1;
	}
	rep->n_rows++;
	if (r->critical && (r->outcome == DKS_AI_FAILED || r->outcome == DKS_AI_HELD ||
			    r->outcome == DKS_PF_NO_HEADERS))
		rep->critical_failures++;
	return 0;
}

/* A kernel without headers: every added module is reported against it
 * (dkms's 21), and fails preflight when critical. */
static int no_headers(struct dks_ctx *ctx, struct dks_pf_report *rep, const struct dks_pf_kernel *k,
		      const struct dks_error *why, struct dks_error *err)
{
	struct dks_ai_result *res = NULL;
	size_t n = 0;
	int r = 0;

	dks_error_print(why);
	if (dks_ai_added(ctx, &res, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct dks_pf_row row = {res[i].module,
					 res[i].version,
					 k,
					 "?",
					 DKS_PF_NO_HEADERS,
					 why->exit_code,
					 dks_pf_critical(&ctx->cfg, res[i].module)};

		r = dks_pf_report_add(rep, &row);
	}
	dks_ai_results_free(res, n);
	return r < 0 ? dks_err(err, ENOMEM, "preflight's report") : 0;
}

/* The toolchain's digest, once per run; NULL when it cannot be had (the
 * memory is then off, said once). */
static char *toolchain_digest(const struct dks_ctx *ctx, char out[DKS_SHA256_HEX])
{
	cleanup_free char *root = NULL;
	struct dks_error e = {0};

	if (dks_toolchain_resolve(ctx->cfg.dkms_tree, ctx->cfg.toolchain, &root, &e) < 0 ||
	    dks_toolchain_id(root ? root : "/", out, NULL, &e) < 0) {
		dks_warn("%s: failures are not remembered in this run", e.msg);
		return NULL;
	}
	return out;
}

static int rows_of(struct dks_ctx *ctx, struct dks_pf_report *rep, const struct pf_gate *g,
		   const struct dks_pf_kernel *k, const struct dks_target *t,
		   const struct dks_ai_result *res, size_t n, struct dks_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct pf_unit *u = unit_of(g, res[i].module, res[i].version);
		struct dks_pf_row row = {res[i].module,
					 res[i].version,
					 k,
					 t->arch,
					 (int)res[i].outcome,
					 res[i].outcome == DKS_AI_HELD && u ? u->held_code
									    : res[i].code,
					 dks_pf_critical(&ctx->cfg, res[i].module)};

		if (res[i].outcome == DKS_AI_NONE)
			continue;
		remember(g, &res[i], t);
		if (dks_pf_report_add(rep, &row) < 0)
			return dks_err(err, ENOMEM, "preflight's report");
	}
	return 0;
}

/* One kernel: autoinstall through the gate, then its rows. */
static int kernel_round(struct dks_ctx *ctx, struct dks_pf_report *rep,
			const struct dks_pf_kernel *k, const char *tc, struct dks_error *err)
{
	struct dks_target t = {0};
	struct dks_kernel_id kid = {0};
	struct pf_gate g = {.ctx = ctx, .toolchain = tc};
	const char *one[1][2] = {{ctx->cli.module, NULL}};
	struct dks_ai_gate gate = {.only = ctx->cli.n_mods ? (const char *const(*)[2])ctx->cli.mods
					   : ctx->cli.module ? (const char *const(*)[2])one
							     : NULL,
				   .n_only = ctx->cli.n_mods ? ctx->cli.n_mods : 1,
				   .build = gate_build,
				   .arg = &g};
	struct dks_ai_result *res = NULL;
	struct dks_error e = {0};
	size_t n = 0;
	int r;

	printf("preflight: kernel %s%s\n", k->kver, k->next_boot ? " (the next boot's)" : "");
	if (dks_target_resolve(k->kver, NULL, ctx->cfg.install_tree, &t, &e) < 0)
		return no_headers(ctx, rep, k, &e, err);
	if (dks_kernel_id(&t, &kid, &e) < 0)
		dks_warn("%s: failures are not remembered for kernel %s", e.msg, k->kver);
	else
		g.kid = &kid;
	r = dks_autoinstall_kernel(ctx, &t, &gate, &res, &n, &rep->installed, &e);
	if (r < 0 && !res) {
		*err = e;
	} else {
		r = rows_of(ctx, rep, &g, k, &t, res, n, err);
	}
	dks_ai_results_free(res, n);
	gate_clear(&g);
	dks_kernel_id_clear(&kid);
	dks_target_clear(&t);
	return r;
}

int dks_preflight(struct dks_ctx *ctx, struct dks_pf_report *rep, struct dks_error *err)
{
	char tcbuf[DKS_SHA256_HEX];
	const char *tc;

	memset(rep, 0, sizeof(*rep));
	if (dks_pf_kernels(&ctx->cfg, &rep->boot, &rep->running, &rep->kernels, &rep->n_kernels,
			   err) < 0)
		return -1;
	tc = rep->n_kernels ? toolchain_digest(ctx, tcbuf) : NULL;
	for (size_t i = 0; i < rep->n_kernels; i++)
		if (kernel_round(ctx, rep, &rep->kernels[i], tc, err) < 0)
			return -1;
	if (rep->critical_failures)
		return dks_err_code(err, DKS_EXIT_AUTOINSTALL, 0,
				    "preflight: %d critical module(s) failed (see the report)",
				    rep->critical_failures);
	return 0;
}

void dks_pf_report_clear(struct dks_pf_report *rep)
{
	for (size_t i = 0; i < rep->n_rows; i++) {
		free(rep->rows[i].module);
		free(rep->rows[i].version);
		free(rep->rows[i].arch);
	}
	free(rep->rows);
	free(rep->running);
	dks_pf_kernels_free(rep->kernels, rep->n_kernels);
	dks_boot_next_clear(&rep->boot);
	memset(rep, 0, sizeof(*rep));
}
