// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox test-load MODULE/VERSION [-k KVER[/ARCH]]... [--kernel-image FILE]
 *
 * Boot each kernel in QEMU with the module's build for it and load it
 * (orchestrator/testload.c, docs/testload.md). Exit 0 when every test
 * passed, 1 when one failed (each printed with the kernel's lines) or
 * could not run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include "cli.h"
#include "dks/kernel.h"
#include "testload.h"

/* The kernels: -k (headers not needed: the image is booted, the build is
 * in the tree), or the running one. */
static int kernel_of(const struct dks_ctx *ctx, size_t i, struct dks_target *t,
		     struct dks_error *err)
{
	struct utsname u;

	if (ctx->cli.n_kernels)
		return dks_target_bare(ctx->cli.kernels[i], NULL, ctx->cfg.install_tree, t, err);
	if (uname(&u) < 0)
		return dks_err(err, 0, "uname");
	return dks_target_bare(u.release, NULL, ctx->cfg.install_tree, t, err);
}

static int test_one(const struct dks_ctx *ctx, const char *m, const char *v, size_t i,
		    struct dks_error *err)
{
	struct dks_tl_opts o = {.cfg = &ctx->cfg, .kernel_image = ctx->cli.kernel_image};
	struct dks_target t = {0};
	int rc = kernel_of(ctx, i, &t, err);

	if (rc == 0)
		rc = dks_testload_report(&ctx->tree, &o, m, v, t.kver, t.arch, err);
	dks_target_clear(&t);
	return rc;
}

int cmd_test_load(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	const char *m, *v;
	size_t n;
	int rc = 0;

	if (dks_ctx_open(argc, argv, "test-load", &ctx, &err) < 0 ||
	    dks_ctx_module(&ctx, &m, &v, &err) < 0) {
		rc = dks_fail(&err);
		dks_ctx_close(&ctx);
		return rc;
	}
	n = ctx.cli.n_kernels ? ctx.cli.n_kernels : 1;
	for (size_t i = 0; i < n; i++) {
		struct dks_error e = {0};

		if (test_one(&ctx, m, v, i, &e) < 0) {
			int code = dks_fail(&e); /* prints nothing for a reported failure */

			rc = rc ? rc : code;
		}
	}
	dks_ctx_close(&ctx);
	return rc;
}
