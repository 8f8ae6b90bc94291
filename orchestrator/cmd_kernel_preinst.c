// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox kernel_preinst -k KVER[/ARCH]
 *
 * dkms 3.4's hook before a kernel package is installed (over one of the
 * same release, say): every AUTOINSTALL module built for that kernel is
 * uninstalled and unbuilt, so that the kernel_postinst that follows builds
 * it afresh against the new kernel's headers. Modules that are not
 * AUTOINSTALL are left alone. Exactly one -k (exit 4); exit 14 when a
 * module could not be dropped (the others still are), as dkms's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cli.h"
#include "dks/kernel.h"
#include "dks/spec.h"
#include "unbuild.h"

/* Is m/v AUTOINSTALL? Its spec for @t, evaluated in a sandbox; a spec
 * that cannot be evaluated is said and counts as a failure (-1). */
static int autoinstalled(struct dks_ctx *ctx, const char *m, const char *v,
			 const struct dks_target *t)
{
	struct dks_build_env env = {.cfg = &ctx->cfg, .tree = &ctx->tree, .profile = ctx->profile,
				    .jobserver = {-1, -1}, .jobs = ctx->cfg.jobs};
	struct dks_spec *spec = NULL;
	struct dks_error e = {0};
	int yes;

	if (dks_build_spec(&env, m, v, t, &spec, &e) < 0) {
		dks_error_print(&e);
		return -1;
	}
	yes = spec->autoinstall;
	dks_spec_free(spec);
	return yes;
}

static int preinst(struct dks_ctx *ctx, const struct dks_target *t, struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	int failed = 0;

	if (dks_tree_status(&ctx->tree, NULL, NULL, &st, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int a;

		if (!st[i].kver || strcmp(st[i].kver, t->kver) || strcmp(st[i].arch, t->arch))
			continue;
		a = autoinstalled(ctx, st[i].module, st[i].version, t);
		if (a < 0 || (a > 0 && dks_unbuild_drop(ctx, &st[i]) < 0))
			failed++;
	}
	dks_status_free(st, n);
	if (failed)
		return dks_err_code(err, DKS_EXIT_KERNEL_HOOK, 0,
				    "kernel_preinst for kernel %s (%s) failed for %d module(s)",
				    t->kver, t->arch, failed);
	return 0;
}

int cmd_kernel_preinst(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_target t = {0};
	int ret = dks_ctx_open(argc, argv, "kernel_preinst", &ctx, &err);

	if (ret == 0 && ctx.cli.n_kernels != 1)
		ret = dks_err_code(&err, DKS_EXIT_HOOK_USAGE, 0,
				   "kernel_preinst: give exactly one -k KVER");
	if (ret == 0)
		ret = dks_target_bare(ctx.cli.kernels[0], ctx.cli.kernelsourcedir,
				      ctx.cfg.install_tree, &t, &err);
	if (ret == 0)
		ret = dks_ctx_profile(&ctx, &err);
	if (ret == 0)
		ret = preinst(&ctx, &t, &err);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_target_clear(&t);
	dks_ctx_close(&ctx);
	return ret;
}
