// SPDX-License-Identifier: GPL-2.0-or-later
/* Dropping one build (unbuild.h): shared by unbuild, remove, kernel_preinst and
 * kernel_prerm. */
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

int dks_unbuild_drop(struct dks_ctx *ctx, const struct dks_status *s)
{
	struct dks_error e = {0};
	int lock;

	fprintf(stderr, "dkms: removing module %s/%s for kernel %s (%s)\n", s->module, s->version,
		s->kver, s->arch);
	lock = dks_tree_lock(&ctx->tree, s->module, &e);
	if (lock < 0 || dks_unbuild_build(ctx, s->module, s->version, s->kver, s->arch, &e) < 0) {
		dks_error_print(&e);
		if (lock >= 0)
			dks_tree_unlock(lock);
		return -1;
	}
	dks_tree_unlock(lock);
	return 0;
}
