// SPDX-License-Identifier: GPL-2.0-or-later
/* Dropping one build (unbuild.h): shared by unbuild, remove and kernel_preinst. */
#include <stdio.h>

#include "adopt.h"
#include "dks/installer.h"
#include "dks/kernel.h"
#include "unbuild.h"

/* An installed build is uninstalled before it goes (it needs no headers). */
static int uninstall_first(struct dks_ctx *ctx, const char *m, const char *v, const char *kver,
			   const char *arch, struct dks_error *err)
{
	char spec[2 * DKS_TREE_NAME_MAX + 2];
	struct dks_target t = {0};
	struct dks_install_opts o;
	int ret;

	if (!dks_installed(&ctx->tree, m, v, kver, arch))
		return 0;
	snprintf(spec, sizeof(spec), "%s/%s", kver, arch);
	o = dks_ctx_install_opts(ctx);
	ret = dks_target_bare(spec, NULL, ctx->cfg.install_tree, &t, err);
	if (ret == 0)
		ret = dks_adopt_build(ctx, m, v, &t, err);
	if (ret == 0)
		ret = dks_uninstall(&ctx->tree, m, v, &t, &o, err);
	dks_target_clear(&t);
	return ret;
}

int dks_unbuild_build(struct dks_ctx *ctx, const char *m, const char *v, const char *kver,
		      const char *arch, struct dks_error *err)
{
	if (uninstall_first(ctx, m, v, kver, arch, err) < 0)
		return -1;
	return dks_tree_unbuild(&ctx->tree, m, v, kver, arch, err);
}
