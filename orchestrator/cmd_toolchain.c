// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox toolchain import NAME FILE|DIR [--max-size BYTES]
 * dkms-sandbox toolchain list | remove NAME | verify NAME [-k KVER]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dks/kernel.h"
#include "dks/sandbox.h"
#include "dks/toolchain.h"

/* What a kbuild build of an out-of-tree module runs, inside the image;
 * the kernel's own helpers (modpost, objtool, ...) come from the headers'
 * kbuild directory but are linked against the image's libraries. */
static const char verify_script[] =
	"missing=0\n"
	"for t in sh make gcc cc ld as ar nm objcopy objdump strip perl awk sed grep cp patch; do\n"
	"  command -v \"$t\" >/dev/null 2>&1 || { echo \"missing: $t\"; missing=1; }\n"
	"done\n"
	"for h in scripts/mod/modpost scripts/basic/fixdep tools/objtool/objtool; do\n"
	"  f=/lib/modules/$KERNELRELEASE/build/$h\n"
	"  [ -x \"$f\" ] || continue\n"
	"  if \"$f\" --help 2>&1 | grep -q 'error while loading shared libraries'; then\n"
	"    echo \"missing: a library of $h: $(\"$f\" --help 2>&1 | head -n 1)\"; missing=1\n"
	"  fi\n"
	"done\n"
	"gcc --version 2>/dev/null | head -n 1\n"
	"exit $missing\n";

static int verify(struct dks_ctx *ctx, const char *root, struct dks_error *err)
{
	char *argv[] = {"/bin/sh", "-c", (char *)verify_script, NULL};
	struct dks_sandbox_result res = {0};
	struct dks_target t = {0};
	struct dks_sandbox *sb = NULL;
	int ret;

	ret = ctx->cli.n_kernels ? dks_target_resolve(ctx->cli.kernels[0], ctx->cli.kernelsourcedir,
						      ctx->cfg.install_tree, &t, err)
				 : dks_target_running(ctx->cfg.install_tree, &t, err);
	if (ret == 0)
		ret = dks_sandbox_new(&sb, err);
	if (ret == 0) {
		dks_sandbox_set_profile(sb, ctx->profile);
		ret = dks_sandbox_set_toolchain(sb, root, err);
	}
	if (ret == 0)
		ret = dks_sandbox_set_kernel(sb, t.kver, t.headers, err);
	if (ret == 0)
		ret = dks_sandbox_setenv(sb, "KERNELRELEASE", t.kver, err);
	if (ret == 0)
		ret = dks_sandbox_run(sb, argv, &res, err);
	if (ret == 0 && (res.outcome != DKS_SANDBOX_EXITED || res.exit_status != 0))
		ret = dks_err(err, 0, "toolchain %s: something kbuild needs is missing (see above)", root);
	else if (ret == 0)
		printf("%s: has what kbuild needs for %s\n", root, t.kver);
	dks_sandbox_result_clear(&res);
	dks_sandbox_free(sb);
	dks_target_clear(&t);
	return ret;
}

static int list(struct dks_ctx *ctx, struct dks_error *err)
{
	struct dks_toolchain_info *v = NULL;
	size_t n = 0;

	if (dks_toolchain_list(ctx->cfg.dkms_tree, &v, &n, err) < 0)
		return -1;
	printf("%-20s %-8s %10s  %s\n", "NAME", "COMPILER", "SIZE", "IMPORTED");
	for (size_t i = 0; i < n; i++) {
		char when[32] = "?";
		time_t t = (time_t)v[i].imported;
		struct tm tm;

		if (v[i].imported && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		printf("%-20s gcc %-4d %8.1fMB  %s\n", v[i].name, v[i].gcc_major,
		       (double)v[i].size / 1e6, when);
	}
	dks_toolchain_list_free(v, n);
	return 0;
}

static int run(struct dks_ctx *ctx, int argc, char **argv, struct dks_error *err)
{
	const char *what = argc > 1 ? argv[1] : "";
	char *root = NULL;
	int ret;

	if (strcmp(what, "list") == 0)
		return list(ctx, err);
	if (strcmp(what, "import") == 0 && ctx->cli.path && ctx->cli.module)
		return dks_toolchain_import(ctx->cfg.dkms_tree, ctx->cli.module, ctx->cli.path,
					    ctx->cli.max_size, err);
	if (strcmp(what, "remove") == 0 && ctx->cli.module)
		return dks_toolchain_remove(ctx->cfg.dkms_tree, ctx->cli.module, err);
	if (strcmp(what, "verify") == 0 && ctx->cli.module) {
		if (dks_ctx_profile(ctx, err) < 0 ||
		    dks_toolchain_resolve(ctx->cfg.dkms_tree, ctx->cli.module, &root, err) < 0)
			return -1;
		ret = verify(ctx, root, err);
		free(root);
		return ret;
	}
	return dks_err(err, 0, "toolchain: import NAME FILE|DIR | list | remove NAME | verify NAME");
}

int cmd_toolchain(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	int rc = 0;

	/* "toolchain import NAME FILE": the verb's own words come first. */
	if (dks_ctx_open(argc - 1, argv + 1, "toolchain", &ctx, &err) < 0 ||
	    run(&ctx, argc, argv, &err) < 0)
		rc = dks_fail(&err);
	dks_ctx_close(&ctx);
	return rc;
}
