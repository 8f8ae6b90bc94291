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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "build.h"
#include "dks/cleanup.h"
#include "dks/termsafe.h"
#include "cli.h"
#include "unbuild.h"
#include "dks/kernel.h"
#include "dks/spec.h"
#include "dks/installer.h"
#include "rebuild.h"


struct candidate {
	char *m, *v;
	struct dks_spec *spec;
	bool done, ok; /* handled; installed (before, or in this run) */
	bool skipped;  /* BUILD_EXCLUSIVE excluded it for the kernel */
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
			len += (size_t)snprintf(buf + len, size - len, " %s", c->spec->build_depends[d]);
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
		c->done = true;
		(*failures)++;
		return false;
	}
	if (deferred) {
		deps_in(all, n, c, DEP_DEFERRED, list, sizeof(list));
		printf("%s/%s autoinstall deferred: BUILD_DEPENDS not registered with DKMS:%s.\n",
		       c->m, c->v, list);
		c->done = true;
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
		} else if (dks_installed(env->tree, c[i].m, c[i].v, t->kver, t->arch)) {
			if (c[i].spec->autoinstall)
				printf("%s/%s, %s, %s: already installed\n", c[i].m, c[i].v,
				       t->kver, t->arch);
			c[i].done = c[i].ok = true;
		} else if (!c[i].spec->autoinstall) {
			c[i].done = true;
		}
	}
}

/* After @x's build ended with @code: install it (and rebuild what was
 * built against another version of it, dkms 3.4's do_install), or count
 * it skipped (77, BUILD_EXCLUSIVE) or failed (the build said why). */
static void after_build(struct dks_ctx *ctx, const struct dks_tree *tree, struct candidate *x,
			const struct dks_target *t, int code, int *failures, int *skips)
{
	struct dks_install_opts o = dks_ctx_install_opts(ctx);
	struct dks_error e = {0};
	int lock;

	x->done = true;
	if (code != 0 || !dks_tree_is_built(tree, x->m, x->v, t->kver, t->arch)) {
		x->skipped = code == DKS_EXIT_EXCLUDED;
		*skips += x->skipped;
		*failures += !x->skipped;
		return;
	}
	lock = dks_tree_lock(tree, x->m, &e);
	if (lock < 0 || dks_adopt_build(ctx, x->m, x->v, t, &e) < 0 ||
	    dks_install(tree, x->m, x->v, t, &o, &e) < 0) {
		dks_error_print(&e);
		(*failures)++;
	} else {
		x->ok = true;
	}
	if (lock >= 0)
		dks_tree_unlock(lock);
	if (x->ok && dks_rebuild_dependents(ctx, x->m, t, &e) < 0)
		dks_error_print(&e);
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
			if (!dks_tree_is_built(env->tree, c[i].m, c[i].v, t->kver, t->arch))
				jobs[nj++] = (struct dks_job){.module = c[i].m, .version = c[i].v,
							      .target = t, .code = &codes[k]};
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

static int autoinstall(struct dks_ctx *ctx, const struct dks_target *t, size_t *installed,
		       struct dks_error *err)
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
		*installed += c[i].ok;
	for (size_t i = 0; i < n; i++)
		if (!c[i].done) { /* a cycle */
			missing_line(c, n, &c[i]);
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

/* kernel_prerm, as dkms 3.4's: every module built or installed for the
 * kernel (AUTOINSTALL or not) is uninstalled and unbuilt, so that no build
 * outlives its kernel; a module that cannot be dropped is said, the others
 * still are, and the hook exits 14. */
static int unbuild_all(struct dks_ctx *ctx, const struct dks_target *t, struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	int failed = 0;

	if (dks_tree_status(&ctx->tree, NULL, NULL, &st, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (st[i].kver && strcmp(st[i].kver, t->kver) == 0 &&
		    strcmp(st[i].arch, t->arch) == 0 && dks_unbuild_drop(ctx, &st[i]) < 0)
			failed++;
	dks_status_free(st, n);
	if (failed)
		return dks_err_code(err, DKS_EXIT_KERNEL_HOOK, 0,
				    "kernel_prerm for kernel %s (%s) failed for %d module(s)",
				    t->kver, t->arch, failed);
	return 0;
}

enum hook { AUTOINSTALL, POSTINST, PRERM };

/* dkms 3.4: <confdir>/no-autoinstall turns autoinstall (and so
 * kernel_postinst) into one line and exit 0. */
static bool autoinstall_disabled(const struct dks_ctx *ctx)
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

static int run(int argc, char **argv, const char *verb, enum hook h)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_target t = {0};
	size_t installed = 0;
	int ret = dks_ctx_open(argc, argv, verb, &ctx, &err);

	/* The kernel hooks have exactly one -k here (argrules.c: 4 otherwise). */
	if (ret == 0 && h != PRERM && autoinstall_disabled(&ctx)) {
		dks_ctx_close(&ctx);
		return 0;
	}
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
		ret = h == PRERM ? unbuild_all(&ctx, &t, &err)
				 : autoinstall(&ctx, &t, &installed, &err);
	/* As dkms: after an autoinstall that found a module installed, now or
	 * before (its installed_modules; docs/framework.md: dkms 3.4's own
	 * test reads a variable local to autoinstall and never fires). */
	if (ret == 0 && installed)
		dks_ctx_post_transaction(&ctx);
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
