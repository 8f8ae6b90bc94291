// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox autoinstall -k KVER      every AUTOINSTALL module, newest version
 * dkms-sandbox kernel_postinst -k KVER  (the /etc/kernel/postinst.d hook): autoinstall
 * dkms-sandbox kernel_prerm -k KVER     (the /etc/kernel/prerm.d hook): uninstall all
 *
 * autoinstall itself is autoinst.c's, shared with preflight.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autoinst.h"
#include "cli.h"
#include "dks/kernel.h"
#include "prebuilt.h"
#include "unbuild.h"


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

/* Is no module in the tree at all? Then autoinstall has nothing to do,
 * headers or not: dkms's exits 0 (a container's or chroot's unconditional
 * `dkms autoinstall` with no headers). */
static bool tree_empty(const struct dks_ctx *ctx)
{
	struct dks_error ignored = {0};
	struct dks_status *st = NULL;
	size_t n = 0;

	if (dks_tree_status(&ctx->tree, NULL, NULL, &st, &n, &ignored) < 0)
		return false;
	dks_status_free(st, n);
	return n == 0;
}

static int run(int argc, char **argv, const char *verb, enum hook h)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_target t = {0};
	size_t installed = 0;
	int ret = dks_ctx_open(argc, argv, verb, &ctx, &err);

	/* The kernel hooks have exactly one -k here (argrules.c: 4 otherwise). */
	if (ret == 0 && h != PRERM && (dks_autoinstall_disabled(&ctx) || tree_empty(&ctx))) {
		dks_ctx_close(&ctx);
		return 0;
	}
	if (ret == 0 && h == PRERM)
		ret = dks_target_bare(ctx.cli.kernels[0], ctx.cli.kernelsourcedir,
				      ctx.cfg.install_tree, &t, &err);
	else if (ret == 0)
		ret = ctx.cli.n_kernels ? dks_target_headerless(&ctx, ctx.cli.kernels[0], &t, &err)
					: dks_target_running(ctx.cfg.install_tree, &t, &err);
	if (ret == 0 && h != PRERM)
		ret = dks_ctx_profile(&ctx, &err);
	if (ret == 0)
		ret = h == PRERM ? unbuild_all(&ctx, &t, &err)
				 : dks_autoinstall_kernel(&ctx, &t, NULL, NULL, NULL, &installed,
							  &err);
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
