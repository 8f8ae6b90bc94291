// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * autoinstall for one kernel (autoinst.h): each module's spec is
 * evaluated for the kernel (in a sandbox, like a build), every AUTOINSTALL
 * module is built in parallel with one jobserver, in BUILD_DEPENDS order
 * (a module waits for the ones it depends on), installed, and its outcome
 * kept; exit 11 when any failed (dkms's code).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adopt.h"
#include "autoinst.h"
#include "build.h"
#include "dks/cleanup.h"
#include "dks/installer.h"
#include "dks/termsafe.h"
#include "rebuild.h"
#include "testload.h"

struct candidate {
	char *m, *v;
	struct dks_spec *spec;
	bool done, ok; /* handled; installed (before, or in this run) */
	bool skipped;  /* BUILD_EXCLUSIVE excluded it for the kernel */
	enum dks_ai_outcome outcome;
	int code; /* DKS_AI_FAILED: its exit code */
};

static void ended(struct candidate *c, enum dks_ai_outcome o, int code)
{
	c->done = true;
	c->outcome = o;
	c->code = code;
}

/* The newest version of every added module (status order: by module,
 * then version ascending). */
static int newest(const struct dks_ctx *ctx, struct candidate **out, size_t *n,
		  struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t ns = 0;

	*out = NULL;
	*n = 0;
	if (dks_tree_status(&ctx->tree, NULL, NULL, &st, &ns, err) < 0)
		return -1;
	*out = calloc(ns + 1, sizeof(**out));
	for (size_t i = 0; *out && i < ns; i++) {
		if (st[i].state == DKS_BROKEN) { /* dkms: said, and left alone */
			struct dks_error e = {0};

			dks_tree_check_intact(&ctx->tree, st[i].module, st[i].version, &e);
			dks_error_print(&e);
			continue;
		}
		if (*n && strcmp((*out)[*n - 1].m, st[i].module) == 0) {
			if (dks_version_cmp(st[i].version, (*out)[*n - 1].v) > 0) {
				free((*out)[*n - 1].v);
				(*out)[*n - 1].v = strdup(st[i].version);
			}
			continue;
		}
		(*out)[*n].m = strdup(st[i].module);
		(*out)[(*n)++].v = strdup(st[i].version);
	}
	dks_status_free(st, ns);
	return *out ? 0 : dks_err(err, 0, "out of memory");
}

static void candidates_free(struct candidate *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].m);
		free(c[i].v);
		dks_spec_free(c[i].spec);
	}
	free(c);
}

/* dkms 3.4: a dependency is met by a module installed for the kernel
 * (before, or in this run) or skipped (BUILD_EXCLUSIVE); an AUTOINSTALL
 * module not handled yet makes its dependents wait; any other added module
 * (not AUTOINSTALL, failed, unreadable) is missing: its dependents fail
 * (11); a module that is not added at all defers them (not a failure: its
 * package may not be configured yet). */
enum dep { DEP_MET, DEP_WAIT, DEP_MISSING, DEP_DEFERRED };

static enum dep dep_state(const struct candidate *all, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].m, name) != 0)
			continue;
		if (all[i].ok || all[i].skipped)
			return DEP_MET;
		return all[i].done ? DEP_MISSING : DEP_WAIT;
	}
	return DEP_DEFERRED;
}

/* @c's dependencies in state @want, as " a b" into @buf; how many. */
static int deps_in(const struct candidate *all, size_t n, const struct candidate *c, enum dep want,
		   char *buf, size_t size)
{
	size_t len = 0;
	int count = 0;

	buf[0] = '\0';
	for (size_t d = 0; d < c->spec->n_build_depends; d++) {
		enum dep s = dep_state(all, n, c->spec->build_depends[d]);

		if (s != want && !(want == DEP_MISSING && s == DEP_WAIT))
			continue;
		count++;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, " %s",
						c->spec->build_depends[d]);
	}
	return count;
}

static void missing_line(const struct candidate *all, size_t n, const struct candidate *c)
{
	char list[1024];

	deps_in(all, n, c, DEP_MISSING, list, sizeof(list));
	printf("%s/%s autoinstall failed due to missing dependencies:%s.\n", c->m, c->v, list);
}

/* Are all of @c's BUILD_DEPENDS met? When none can be met any more, @c is
 * done: failed (a missing one) or deferred (only modules not added). */
static bool ready(const struct candidate *all, size_t n, struct candidate *c, int *failures)
{
	char list[1024];
	bool missing = false, deferred = false;

	for (size_t d = 0; d < c->spec->n_build_depends; d++)
		switch (dep_state(all, n, c->spec->build_depends[d])) {
		case DEP_WAIT: return false;
		case DEP_MISSING: missing = true; break;
		case DEP_DEFERRED: deferred = true; break;
		case DEP_MET: break;
		}
	if (missing) {
		missing_line(all, n, c);
		ended(c, DKS_AI_FAILED, DKS_EXIT_AUTOINSTALL);
		(*failures)++;
		return false;
	}
	if (deferred) {
		deps_in(all, n, c, DEP_DEFERRED, list, sizeof(list));
		printf("%s/%s autoinstall deferred: BUILD_DEPENDS not registered with DKMS:%s.\n",
		       c->m, c->v, list);
		ended(c, DKS_AI_DEFERRED, 0);
		return false;
	}
	return true;
}

/* Is @c among the modules @g asks for? */
static bool asked(const struct dks_ai_gate *g, const struct candidate *c)
{
	if (!g || !g->only)
		return true;
	for (size_t i = 0; i < g->n_only; i++)
		if (strcmp(g->only[i][0], c->m) == 0 &&
		    (!g->only[i][1] || strcmp(g->only[i][1], c->v) == 0))
			return true;
	return false;
}

/* One candidate's spec for the kernel; not AUTOINSTALL, installed
 * already, or held by the gate, it is done (and said so). */
static void evaluate_one(struct dks_build_env *env, struct candidate *c, const struct dks_target *t,
			 const struct dks_ai_gate *g, int *failures)
{
	struct dks_error e = {0};

	if (!asked(g, c)) {
		ended(c, DKS_AI_NONE, 0);
	} else if (dks_build_spec(env, c->m, c->v, t, &c->spec, &e) < 0) {
		cleanup_free char *msg = dks_termsafe_str(e.msg); /* the conf's bytes */

		printf("%s/%s, %s: cannot be evaluated: %s\n", c->m, c->v, t->kver,
		       msg ? msg : "?");
		(*failures)++;
		ended(c, DKS_AI_FAILED, e.exit_code ? e.exit_code : DKS_EXIT_FAILURE);
	} else if (dks_installed(env->tree, c->m, c->v, t->kver, t->arch)) {
		if (c->spec->autoinstall)
			printf("%s/%s, %s, %s: already installed\n", c->m, c->v, t->kver, t->arch);
		ended(c, c->spec->autoinstall ? DKS_AI_ALREADY : DKS_AI_NONE, 0);
		c->ok = true;
	} else if (!c->spec->autoinstall) {
		ended(c, DKS_AI_NONE, 0);
	} else if (g && g->build && !g->build(g->arg, c->m, c->v, c->spec, t)) {
		ended(c, DKS_AI_HELD, 0);
	}
}

/* After @x's build ended with @code: install it (and rebuild what was
 * built against another version of it, dkms 3.4's do_install), or count
 * it skipped (77, BUILD_EXCLUSIVE; 3, removed meanwhile) or failed (the
 * build said why). */
static void after_build(struct dks_ctx *ctx, const struct dks_tree *tree, struct candidate *x,
			const struct dks_target *t, int code, int *failures, int *skips)
{
	struct dks_install_opts o = dks_ctx_install_opts(ctx);
	struct dks_error e = {0};
	int lock;

	if (code != 0 || !dks_tree_is_built(tree, x->m, x->v, t->kver, t->arch)) {
		/* Removed by another command while it was being built (3,
		 * tree.h): not added any more, so not autoinstall's to do. */
		x->skipped = code == DKS_EXIT_EXCLUDED ||
			     (code == DKS_EXIT_ALREADY_ADDED && !dks_tree_is_added(tree, x->m, x->v));
		*skips += x->skipped;
		*failures += !x->skipped;
		ended(x, x->skipped ? DKS_AI_SKIPPED : DKS_AI_FAILED,
		      code ? code : DKS_EXIT_FAILURE);
		return;
	}
	/* testload_required: the load test before the install (testload.c) */
	lock = dks_testload_gate(tree, &ctx->cfg, x->m, x->v, t->kver, t->arch, &e) < 0
		       ? -1
		       : dks_tree_lock(tree, x->m, &e);
	if (lock < 0 || dks_adopt_build(ctx, x->m, x->v, t, &e) < 0 ||
	    dks_install(tree, x->m, x->v, t, &o, &e) < 0) {
		dks_error_print(&e);
		(*failures)++;
		ended(x, DKS_AI_FAILED, e.exit_code ? e.exit_code : DKS_EXIT_FAILURE);
	} else {
		x->ok = true;
		ended(x, DKS_AI_INSTALLED, 0);
	}
	if (lock >= 0)
		dks_tree_unlock(lock);
	if (x->ok && dks_rebuild_dependents(ctx, x->m, t, &e) < 0)
		dks_error_print(&e);
}

/* @c needs a build, and @t has no headers (dks_target_headerless). */
static int no_headers(const struct candidate *c, const struct dks_target *t)
{
	printf("%s/%s, %s, %s: not built, and no headers for kernel %s to build it with\n", c->m,
	       c->v, t->kver, t->arch, t->kver);
	return DKS_EXIT_NO_HEADERS;
}

/* One round: every candidate whose dependencies are done, built in
 * parallel, then installed. Returns how many were handled (built, or
 * failed for a dependency). */
static size_t round_of(struct dks_ctx *ctx, struct dks_build_env *env, struct candidate *c,
		       size_t n, const struct dks_target *t, int *failures, int *skips)
{
	struct dks_job *jobs = calloc(n + 1, sizeof(*jobs));
	size_t k = 0, nj = 0, *idx = calloc(n + 1, sizeof(*idx));
	int before = *failures, *codes = calloc(n + 1, sizeof(*codes));

	/* Built already for this kernel (and not installed): installed as it
	 * is, like dkms's autoinstall, never built again (its code stays 0). */
	for (size_t i = 0; jobs && idx && codes && i < n; i++)
		if (!c[i].done && ready(c, n, &c[i], failures)) {
			idx[k] = i;
			if (dks_tree_is_built(env->tree, c[i].m, c[i].v, t->kver, t->arch))
				;
			else if (!t->headers) /* a fleet host: installs only */
				codes[k] = no_headers(&c[i], t);
			else
				jobs[nj++] = (struct dks_job){.module = c[i].m,
							      .version = c[i].v,
							      .target = t,
							      .code = &codes[k]};
			k++;
		}
	if (nj) {
		struct dks_error e = {0};

		/* A failed job said why (after_build counts it); only the
		 * scheduler's own failure is left to say. */
		if (dks_build_all(env, jobs, nj, NULL, &e) < 0)
			dks_error_print(&e);
	}
	for (size_t j = 0; j < k; j++)
		after_build(ctx, env->tree, &c[idx[j]], t, codes[j], failures, skips);
	free(jobs);
	free(idx);
	free(codes);
	return k + (size_t)(*failures - before);
}

/* Each candidate's outcome, handed to the caller. */
static int results(const struct candidate *c, size_t n, struct dks_ai_result **res, size_t *n_res,
		   struct dks_error *err)
{
	*res = calloc(n + 1, sizeof(**res));
	*n_res = 0;
	if (!*res)
		return dks_err(err, 0, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct dks_ai_result *r = &(*res)[(*n_res)++];

		*r = (struct dks_ai_result){.module = strdup(c[i].m),
					    .version = strdup(c[i].v),
					    .outcome = c[i].outcome,
					    .code = c[i].code};
		if (!r->module || !r->version)
			return dks_err(err, 0, "out of memory");
	}
	return 0;
}

/* The modules left waiting on each other: a cycle, each a failure. */
static size_t cycles(struct candidate *c, size_t n)
{
	size_t pending = 0;

	for (size_t i = 0; i < n; i++)
		if (!c[i].done) {
			missing_line(c, n, &c[i]);
			ended(&c[i], DKS_AI_FAILED, DKS_EXIT_AUTOINSTALL);
			pending++;
		}
	return pending;
}

int dks_autoinstall_kernel(struct dks_ctx *ctx, const struct dks_target *t,
			   const struct dks_ai_gate *gate, struct dks_ai_result **res,
			   size_t *n_res, size_t *installed, struct dks_error *err)
{
	struct dks_build_env env = {.cfg = &ctx->cfg,
				    .tree = &ctx->tree,
				    .profile = ctx->profile,
				    .jobserver = {-1, -1},
				    .jobs = ctx->cfg.jobs,
				    .verbose = ctx->cli.verbose};
	struct candidate *c = NULL;
	size_t n = 0, pending;
	int failures = 0, skips = 0, r = 0, unbuildable = 0;

	if (newest(ctx, &c, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		evaluate_one(&env, &c[i], t, gate, &failures);
	while (round_of(ctx, &env, c, n, t, &failures, &skips))
		;
	pending = cycles(c, n);
	for (size_t i = 0; i < n; i++) {
		*installed += c[i].ok;
		unbuildable += c[i].outcome == DKS_AI_FAILED && c[i].code == DKS_EXIT_NO_HEADERS;
	}
	if (res)
		r = results(c, n, res, n_res, err);
	candidates_free(c, n);
	if (r < 0)
		return -1;
	if (skips)
		printf("autoinstall %s: %d module(s) skipped\n", t->kver, skips);
	if (unbuildable) /* dkms's code for a kernel without headers */
		return dks_err_code(err, DKS_EXIT_NO_HEADERS, 0,
				    "autoinstall %s: %d module(s) failed, %d of them for want of "
				    "headers", t->kver, failures + (int)pending, unbuildable);
	if (failures || pending)
		return dks_err_code(err, DKS_EXIT_AUTOINSTALL, 0,
				    "autoinstall %s: %d module(s) failed", t->kver,
				    failures + (int)pending);
	return 0;
}

void dks_ai_results_free(struct dks_ai_result *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		free(r[i].module);
		free(r[i].version);
	}
	free(r);
}

int dks_ai_added(const struct dks_ctx *ctx, struct dks_ai_result **res, size_t *n_res,
		 struct dks_error *err)
{
	struct candidate *c = NULL;
	size_t n = 0;
	int r;

	if (newest(ctx, &c, &n, err) < 0)
		return -1;
	r = results(c, n, res, n_res, err);
	candidates_free(c, n);
	return r;
}

/* dkms 3.4: <confdir>/no-autoinstall turns autoinstall (and so
 * kernel_postinst, and preflight) into one line and exit 0. */
bool dks_autoinstall_disabled(const struct dks_ctx *ctx)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/no-autoinstall",
		 ctx->cfg.dkms_confdir ? ctx->cfg.dkms_confdir : DKS_DEFAULT_DKMS_CONFDIR);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	printf("Automatic installation of modules has been disabled.\n");
	return true;
}
