// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox install MODULE/VERSION [-k KVER[/ARCH]]... [--mok-key K --mok-cert C] [--no-depmod]
 * dkms-sandbox uninstall MODULE/VERSION [-k KVER[/ARCH]]... [--no-depmod]
 * dkms-sandbox generate-mok [--mok-key K --mok-cert C]
 * dkms-sandbox match --templatekernel KVER [-k KVER2] [MODULE]
 * install builds first what is not built yet, as dkms does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "adopt.h"
#include "build.h"
#include "cli.h"
#include "dks/cleanup.h"
#include "dks/kernel.h"
#include "dks/mok.h"
#include "dks/installer.h"
#include "prebuilt.h"
#include "rebuild.h"
#include "testload_record.h"

/* Kernel @i of the command line. install of m/v takes a kernel without
 * headers when m/v is built for it (a fleet host, prebuilt.h), uninstall
 * any; match (no @m) wants headers. */
static int target_of(const struct dks_ctx *ctx, const char *m, const char *v, size_t i,
		     bool install, struct dks_target *t, struct dks_error *err)
{
	const char *spec = ctx->cli.n_kernels ? ctx->cli.kernels[i] : NULL;

	if (m && !install)
		return dks_target_uninstall(ctx, spec, t, err);
	if (m)
		return dks_target_prebuilt(ctx, spec, m, v, t, err);
	if (!spec)
		return dks_target_running(ctx->cfg.install_tree, t, err) < 0
			       ? -1 : dks_ctx_kernel_config(ctx, t, err);
	return dks_target_resolve(spec, ctx->cli.kernelsourcedir, ctx->cfg.install_tree, t, err) < 0
		       ? -1 : dks_ctx_kernel_config(ctx, t, err);
}

static int targets(const struct dks_ctx *ctx, const char *m, const char *v, bool install,
		   struct dks_target **t, size_t *n, struct dks_error *err)
{
	*n = ctx->cli.n_kernels ? ctx->cli.n_kernels : 1;
	*t = calloc(*n, sizeof(**t));
	if (!*t)
		return dks_err(err, 0, "out of memory");
	for (size_t i = 0; i < *n; i++)
		if (target_of(ctx, m, v, i, install, &(*t)[i], err) < 0)
			return -1;
	return 0;
}

/* What is not built yet is built first (in sandboxes, in parallel). */
static int build_missing(struct dks_ctx *ctx, const char *m, const char *v,
			 struct dks_target *t, size_t n, struct dks_error *err)
{
	cleanup_free struct dks_job *jobs = calloc(n, sizeof(*jobs));
	size_t k = 0;

	if (!jobs)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	for (size_t i = 0; i < n; i++)
		if (!dks_tree_is_built(&ctx->tree, m, v, t[i].kver, t[i].arch))
			jobs[k++] = (struct dks_job){.module = m, .version = v, .target = &t[i]};
	if (!k)
		return 0;
	if (dks_ctx_profile(ctx, err) < 0)
		return -1;
	struct dks_build_env env = {.cfg = &ctx->cfg, .tree = &ctx->tree, .profile = ctx->profile,
				    .jobserver = {-1, -1}, .jobs = ctx->cfg.jobs,
				    .verbose = ctx->cli.verbose, .conf = ctx->cli.conf,
				    .directives = ctx->cli.directives,
				    .n_directives = ctx->cli.n_directives};
	struct dks_build_summary sum = {0};

	/* A failed build printed its line: the error comes back reported. A
	 * build BUILD_EXCLUSIVE_* skips (its reason printed) is dkms's 77:
	 * nothing to install, not a race to build it again. */
	if (dks_build_all(&env, jobs, k, &sum, err) < 0)
		return -1;
	return sum.skipped ? dks_err_code(err, DKS_EXIT_EXCLUDED, 0,
					  "%s/%s: not installed: its build for %zu kernel(s) was "
					  "skipped (BUILD_EXCLUSIVE_*)", m, v, sum.skipped)
			   : 0;
}

static bool all_built(const struct dks_ctx *ctx, const char *m, const char *v,
		      const struct dks_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!dks_tree_is_built(&ctx->tree, m, v, t[i].kver, t[i].arch))
			return false;
	return true;
}

/* The module's lock, taken when m/v is added (uninstall); dkms's 3
 * otherwise, and the module's dir is never made (nothing is left). */
static int lock_added(struct dks_ctx *ctx, const char *m, const char *v, struct dks_error *err)
{
	int lock = dks_tree_lock_existing(&ctx->tree, m, err);

	if (lock < 0 && err->errnum != ENOENT)
		return -1;
	if (lock >= 0 && dks_tree_is_added(&ctx->tree, m, v))
		return lock;
	if (lock >= 0)
		dks_tree_unlock(lock);
	return dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0,
			    "The module/version combo: %s-%s is not located in the DKMS tree.", m,
			    v);
}

/* The module's lock, taken when m/v is built for every target (install).
 * The builds are made before the lock (a build commits under it): a
 * remove or unbuild of another command may take one in between, and
 * then it is built again, three times at most. */
static int lock_built(struct dks_ctx *ctx, const char *m, const char *v, struct dks_target *t,
		      size_t n, struct dks_error *err)
{
	for (int tries = 1;; tries++) {
		int lock;

		if (dks_tree_ensure_added(&ctx->tree, m, v, err) < 0 ||
		    build_missing(ctx, m, v, t, n, err) < 0)
			return -1;
		lock = dks_tree_lock(&ctx->tree, m, err);
		if (lock < 0)
			return -1;
		if (all_built(ctx, m, v, t, n))
			return lock;
		dks_tree_unlock(lock);
		if (tries == 3)
			return dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0,
					    "%s/%s: removed or unbuilt by other commands while it "
					    "was being installed, %d times", m, v, tries);
	}
}

/* m/v on every target: built first when installing, then installed or
 * uninstalled under the module's lock. */
static int install_on(struct dks_ctx *ctx, const char *m, const char *v, struct dks_target *t,
		      size_t n, bool install, struct dks_error *err)
{
	struct dks_install_opts o = dks_ctx_install_opts(ctx);
	int lock = install ? lock_built(ctx, m, v, t, n, err) : lock_added(ctx, m, v, err),
	    ret = 0;

	if (lock < 0)
		return -1;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		ret = dks_adopt_build(ctx, m, v, &t[i], err);
		/* testload_required: a passing load test of this build, or nothing placed */
		if (ret == 0 && install && ctx->cfg.testload_required)
			ret = dks_tl_record_require(&ctx->tree, m, v, t[i].kver, t[i].arch, err);
		if (ret == 0)
			ret = install ? dks_install(&ctx->tree, m, v, &t[i], &o, err)
				      : dks_uninstall(&ctx->tree, m, v, &t[i], &o, err);
		if (ret == 0 && install)
			dks_modprobe_on_install(ctx, t[i].kver);
	}
	dks_tree_unlock(lock);
	for (size_t i = 0; ret == 0 && install && i < n; i++)
		ret = dks_rebuild_dependents(ctx, m, &t[i], err);
	return ret;
}

static int run(int argc, char **argv, const char *verb, bool install)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_target *t = NULL;
	const char *m, *v;
	size_t n = 0;
	int ret;

	ret = dks_ctx_open(argc, argv, verb, &ctx, &err);
	if (ret == 0)
		ret = dks_ctx_module(&ctx, &m, &v, &err);
	if (ret == 0)
		ret = targets(&ctx, m, v, install, &t, &n, &err);
	if (ret == 0)
		ret = install_on(&ctx, m, v, t, n, install, &err);
	if (ret == 0)
		dks_ctx_post_transaction(&ctx);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_targets_free(t, n);
	dks_ctx_close(&ctx);
	return ret;
}

int cmd_install(int argc, char **argv)
{
	return run(argc, argv, "install", true);
}

int cmd_uninstall(int argc, char **argv)
{
	return run(argc, argv, "uninstall", false);
}

int cmd_generate_mok(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	int ret = dks_ctx_open(argc, argv, "generate-mok", &ctx, &err);
	const char *key = ctx.cfg.mok_key ? ctx.cfg.mok_key : DKS_DEFAULT_MOK_KEY;
	const char *cert = ctx.cfg.mok_cert ? ctx.cfg.mok_cert : DKS_DEFAULT_MOK_CERT;

	if (ret == 0)
		ret = dks_generate_mok(key, cert, DKS_MOK_COMMON_NAME, &err);
	if (ret == 0)
		printf("key %s, certificate %s (enrol it: mokutil --import %s)\n", key, cert, cert);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_ctx_close(&ctx);
	return ret;
}

/* dkms's checks of a match: --templatekernel, at most one -k (none: the
 * running kernel, as dkms), not the same kernel (exit 2), -m a module of
 * the tree (exit 3). */
static int match_args(const struct dks_ctx *ctx, struct dks_error *err)
{
	const struct dks_cli *c = &ctx->cli;
	char dir[PATH_MAX];
	struct utsname u;
	const char *k = c->n_kernels ? c->kernels[0] : uname(&u) == 0 ? u.release : NULL;

	if (!c->templatekernel || c->n_kernels > 1)
		return dks_err(err, 0, "match: usage: match --templatekernel KVER [-k KVER] [MODULE]");
	if (!k)
		return dks_err(err, errno, "match: uname");
	/* -k KVER, or KVER/ARCH once paired with -a */
	if (strncmp(c->templatekernel, k, strcspn(k, "/")) == 0 &&
	    strlen(c->templatekernel) == strcspn(k, "/"))
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, 0,
				    "match: the templatekernel and the specified kernel version are "
				    "the same: %s", c->templatekernel);
	snprintf(dir, sizeof(dir), "%s/%s", ctx->tree.dkms_tree, c->module ? c->module : "");
	if (c->module && (dks_tree_check_name("module", c->module, err) < 0 ||
			  access(dir, F_OK) != 0))
		return dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0, "match: %s is not in the DKMS tree %s", c->module,
				    ctx->tree.dkms_tree);
	return 0;
}

/* Install on the target every m/v installed on the template kernel (its
 * arch); go on past a failure, return the first one's code. */
static int match_all(struct dks_ctx *ctx, struct dks_target *t, struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0, done = 0;
	int ret = dks_tree_status(&ctx->tree, ctx->cli.module, NULL, &st, &n, err), first = 0;

	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct dks_error e = {0};

		if (st[i].state != DKS_INSTALLED || strcmp(st[i].kver, ctx->cli.templatekernel) ||
		    strcmp(st[i].arch, t->arch))
			continue;
		printf("%s/%s: matching %s to %s\n", st[i].module, st[i].version, t->kver,
		       ctx->cli.templatekernel);
		done++;
		if (install_on(ctx, st[i].module, st[i].version, t, 1, true, &e) < 0) {
			dks_error_print(&e);
			if (!first)
				*err = e, first = 1;
		}
	}
	if (ret == 0 && !done)
		printf("There is nothing to be done for this match.\n");
	dks_status_free(st, n);
	return ret < 0 || first ? -1 : 0;
}

int cmd_match(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_target *t = NULL;
	size_t n = 0;
	int ret = dks_ctx_open(argc, argv, "match", &ctx, &err);

	if (ret == 0)
		ret = match_args(&ctx, &err);
	if (ret == 0)
		ret = targets(&ctx, NULL, NULL, true, &t, &n, &err);
	if (ret == 0)
		ret = match_all(&ctx, t, &err);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_targets_free(t, n);
	dks_ctx_close(&ctx);
	return ret;
}
