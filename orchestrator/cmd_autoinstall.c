// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox autoinstall -k KVER      every AUTOINSTALL module, newest version
 * dkms-sandbox kernel_postinst -k KVER  (the /etc/kernel/postinst.d hook): autoinstall
 * dkms-sandbox kernel_prerm -k KVER     (the /etc/kernel/prerm.d hook): uninstall all
 *
 * autoinstall evaluates each module's spec for the kernel (in a sandbox,
 * like a build), builds every AUTOINSTALL module in parallel with one
 * jobserver, in BUILD_DEPENDS order (a module waits for the ones it
 * depends on), installs them, reports skips, and exits 11 when any failed
 * (dkms's code).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "build.h"
#include "dks/cleanup.h"
#include "dks/termsafe.h"
#include "cli.h"
#include "dks/kernel.h"
#include "dks/spec.h"
#include "dks/installer.h"


struct candidate {
	char *m, *v;
	struct dks_spec *spec;
	bool done, ok; /* handled; built and installed */
};

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

/* The candidate named @name that autoinstall handles (an AUTOINSTALL
 * module, or one whose spec could not be evaluated: a failure), or NULL. */
static const struct candidate *dependency(const struct candidate *all, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if ((!all[i].spec || all[i].spec->autoinstall) && strcmp(all[i].m, name) == 0)
			return &all[i];
	return NULL;
}

/* Are all of @c's BUILD_DEPENDS done (or not among the candidates)?
 * A dependency that failed or was skipped fails @c without a build. */
static bool ready(const struct candidate *all, size_t n, struct candidate *c, int *failures)
{
	for (size_t d = 0; d < c->spec->n_build_depends; d++) {
		const struct candidate *dep = dependency(all, n, c->spec->build_depends[d]);

		if (dep && dep->done && !dep->ok) {
			printf("%s/%s: not built: its BUILD_DEPENDS %s was not installed\n", c->m,
			       c->v, dep->m);
			c->done = true;
			(*failures)++;
			return false;
		}
		if (dep && !dep->done)
			return false;
	}
	return true;
}

/* Spec of each candidate for the kernel; those that are not AUTOINSTALL,
 * or are installed already, are done (and said so). */
static void evaluate(struct dks_build_env *env, struct candidate *c, size_t n,
		     const struct dks_target *t, int *failures)
{
	for (size_t i = 0; i < n; i++) {
		struct dks_error e = {0};

		if (dks_build_spec(env, c[i].m, c[i].v, t, &c[i].spec, &e) < 0) {
			cleanup_free char *msg = dks_termsafe_str(e.msg); /* the conf's bytes */

			printf("%s/%s, %s: cannot be evaluated: %s\n", c[i].m, c[i].v, t->kver,
			       msg ? msg : "?");
			(*failures)++;
			c[i].done = true;
		} else if (!c[i].spec->autoinstall) {
			c[i].done = true;
		} else if (dks_installed(env->tree, c[i].m, c[i].v, t->kver, t->arch)) {
			printf("%s/%s, %s, %s: already installed\n", c[i].m, c[i].v, t->kver, t->arch);
			c[i].done = c[i].ok = true;
		}
	}
}

static bool failed_build(const struct dks_tree *tr, const struct candidate *x,
			 const struct dks_target *t)
{
	char log[4096];

	snprintf(log, sizeof(log), "%s/%s/%s/%s/%s/log/make.log", tr->dkms_tree, x->m, x->v,
		 t->kver, t->arch);
	return access(log, F_OK) == 0;
}

/* One round: every candidate whose dependencies are done, built in
 * parallel, then installed. Returns how many were handled (built, or
 * failed for a dependency). */
static size_t round_of(struct dks_ctx *ctx, struct dks_build_env *env, struct candidate *c,
		       size_t n, const struct dks_target *t, int *failures, int *skips)
{
	struct dks_install_opts o = dks_ctx_install_opts(ctx);
	struct dks_job *jobs = calloc(n + 1, sizeof(*jobs));
	size_t k = 0, *idx = calloc(n + 1, sizeof(*idx));
	int before = *failures;

	for (size_t i = 0; jobs && idx && i < n; i++)
		if (!c[i].done && ready(c, n, &c[i], failures)) {
			idx[k] = i;
			jobs[k++] = (struct dks_job){.module = c[i].m, .version = c[i].v, .target = t};
		}
	if (k) {
		struct dks_error e = {0};

		/* A failed job said why (the loop below counts it); only the
		 * scheduler's own failure is left to say. */
		if (dks_build_all(env, jobs, k, NULL, &e) < 0)
			dks_error_print(&e);
	}
	for (size_t j = 0; j < k; j++) {
		struct candidate *x = &c[idx[j]];
		struct dks_error e = {0};
		int lock;

		x->done = true;
		if (!dks_tree_is_built(env->tree, x->m, x->v, t->kver, t->arch)) {
			/* The build said why; a failed one left its log. */
			if (failed_build(env->tree, x, t))
				(*failures)++;
			else
				(*skips)++;
			continue;
		}
		lock = dks_tree_lock(env->tree, x->m, &e);
		if (lock < 0 || dks_adopt_build(ctx, x->m, x->v, t, &e) < 0 ||
		    dks_install(env->tree, x->m, x->v, t, &o, &e) < 0) {
			dks_error_print(&e);
			(*failures)++;
		} else {
			x->ok = true;
		}
		if (lock >= 0)
			dks_tree_unlock(lock);
	}
	free(jobs);
	free(idx);
	return k + (size_t)(*failures - before);
}

static int autoinstall(struct dks_ctx *ctx, const struct dks_target *t, struct dks_error *err)
{
	struct dks_build_env env = {.cfg = &ctx->cfg, .tree = &ctx->tree, .profile = ctx->profile,
				    .jobserver = {-1, -1}, .jobs = ctx->cfg.jobs,
				    .verbose = ctx->cli.verbose};
	struct candidate *c = NULL;
	size_t n = 0, pending;
	int failures = 0, skips = 0;

	if (newest(ctx, &c, &n, err) < 0)
		return -1;
	evaluate(&env, c, n, t, &failures);
	while (round_of(ctx, &env, c, n, t, &failures, &skips))
		;
	pending = 0;
	for (size_t i = 0; i < n; i++)
		if (!c[i].done) {
			printf("%s/%s: BUILD_DEPENDS cannot be met (a cycle?)\n", c[i].m, c[i].v);
			pending++;
		}
	candidates_free(c, n);
	if (skips)
		printf("autoinstall %s: %d module(s) skipped\n", t->kver, skips);
	if (failures || pending)
		return dks_err_code(err, DKS_EXIT_AUTOINSTALL, 0, "autoinstall %s: %d module(s) failed",
				    t->kver, failures + (int)pending);
	return 0;
}

/* kernel_prerm: every module installed for the kernel is uninstalled. */
static int uninstall_all(struct dks_ctx *ctx, const struct dks_target *t, struct dks_error *err)
{
	struct dks_install_opts o = dks_ctx_install_opts(ctx);
	struct dks_status *st = NULL;
	size_t n = 0;
	int ret = 0;

	if (dks_tree_status(&ctx->tree, NULL, NULL, &st, &n, err) < 0)
		return -1;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		int lock;

		if (st[i].state != DKS_INSTALLED || strcmp(st[i].kver, t->kver) != 0)
			continue;
		lock = dks_tree_lock(&ctx->tree, st[i].module, err);
		ret = lock < 0 ? -1 : dks_adopt_build(ctx, st[i].module, st[i].version, t, err);
		if (ret == 0)
			ret = dks_uninstall(&ctx->tree, st[i].module, st[i].version, t, &o, err);
		if (lock >= 0)
			dks_tree_unlock(lock);
	}
	dks_status_free(st, n);
	return ret;
}

enum hook { AUTOINSTALL, POSTINST, PRERM };

static int run(int argc, char **argv, const char *verb, enum hook h)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_target t = {0};
	int ret = dks_ctx_open(argc, argv, verb, &ctx, &err);

	/* The kernel hooks have exactly one -k here (argrules.c: 4 otherwise). */
	if (ret == 0 && h == PRERM)
		ret = dks_target_bare(ctx.cli.kernels[0], ctx.cli.kernelsourcedir,
				      ctx.cfg.install_tree, &t, &err);
	else if (ret == 0)
		ret = ctx.cli.n_kernels ? dks_target_resolve(ctx.cli.kernels[0], ctx.cli.kernelsourcedir,
							     ctx.cfg.install_tree, &t, &err)
					: dks_target_running(ctx.cfg.install_tree, &t, &err);
	if (ret == 0 && h != PRERM)
		ret = dks_ctx_profile(&ctx, &err);
	if (ret == 0)
		ret = h == PRERM ? uninstall_all(&ctx, &t, &err) : autoinstall(&ctx, &t, &err);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_target_clear(&t);
	dks_ctx_close(&ctx);
	return ret;
}

int cmd_autoinstall(int argc, char **argv)
{
	return run(argc, argv, "autoinstall", AUTOINSTALL);
}

int cmd_kernel_postinst(int argc, char **argv)
{
	return run(argc, argv, "kernel_postinst", POSTINST);
}

int cmd_kernel_prerm(int argc, char **argv)
{
	return run(argc, argv, "kernel_prerm", PRERM);
}
