// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox sign MODULE/VERSION [-k KVER[/ARCH]]... [--all] [--force]
 *     [--check] [--agree-with ARCHIVE]...
 *
 * The signing host's step (docs/install.md "Fleet hosts"): dkms 3.x has
 * no such verb (it signs at build; we sign at install). This one signs
 * the BUILT modules of the tree in place (installer.h, dks_sign_built),
 * so that a copied tree or a later mktarball carries signed modules to
 * hosts that hold no key. Without -k: the running kernel; --all: every
 * kernel m/v is built for. A kernel without headers is taken as install
 * takes it (prebuilt.h). --check and --agree-with confirm every build
 * first (signconfirm.c: a rebuild here, other builders' archives; at
 * least sign_requires_agreement of them): one that disagrees, and nothing
 * is signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "adopt.h"
#include "agree.h"
#include "dks/installer.h"
#include "dks/tree.h"
#include "prebuilt.h"

/* "kver/arch" of every build of m/v (--all), or the -k kernels. */
static int specs(const struct dks_ctx *ctx, const char *m, const char *v, struct strv *out,
		 struct dks_error *err)
{
	struct dks_status *s = NULL;
	size_t n = 0;
	int ret = 0;

	if (!ctx->cli.all) {
		for (size_t i = 0; ret == 0 && i < ctx->cli.n_kernels; i++)
			ret = strv_push(out, ctx->cli.kernels[i]) < 0 ? -1 : 0;
		return ret < 0 ? dks_err(err, 0, "out of memory") : 0;
	}
	if (dks_tree_status(&ctx->tree, m, v, &s, &n, err) < 0)
		return -1;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char spec[512];

		if (s[i].state != DKS_BUILT && s[i].state != DKS_INSTALLED)
			continue;
		snprintf(spec, sizeof(spec), "%s/%s", s[i].kver, s[i].arch);
		ret = strv_push(out, spec) < 0 ? dks_err(err, 0, "out of memory") : 0;
	}
	dks_status_free(s, n);
	if (ret == 0 && out->n == 0)
		return dks_err(err, 0, "%s/%s: not built for any kernel", m, v);
	return ret;
}

/* Every kernel's target first: all are confirmed before one is signed. */
static int targets(struct dks_ctx *ctx, const char *m, const char *v, const struct strv *k,
		   struct dks_target *t, size_t n, struct dks_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (dks_target_prebuilt(ctx, k->n ? k->v[i] : NULL, m, v, &t[i], err) < 0)
			return -1;
		if (!dks_tree_is_built(&ctx->tree, m, v, t[i].kver, t[i].arch))
			return dks_err(err, 0, "%s/%s, %s, %s: not built", m, v, t[i].kver,
				       t[i].arch);
	}
	return 0;
}

static int sign_on(struct dks_ctx *ctx, const char *m, const char *v, const struct strv *k,
		   struct dks_error *err)
{
	struct dks_install_opts o = dks_ctx_install_opts(ctx);
	size_t n = k->n ? k->n : 1;
	struct dks_target *t = calloc(n, sizeof(*t));
	int lock = t ? dks_tree_lock(&ctx->tree, m, err) : dks_err(err, 0, "out of memory"), ret;

	if (lock < 0) {
		free(t);
		return -1;
	}
	ret = targets(ctx, m, v, k, t, n, err);
	if (ret == 0)
		ret = dks_sign_confirm(ctx, m, v, t, n, err);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		/* A build loaded from an archive or left by dkms has no handoff yet. */
		ret = dks_adopt_build(ctx, m, v, &t[i], err);
		if (ret == 0)
			ret = dks_sign_built(&ctx->tree, m, v, &t[i], &o, ctx->cli.force, err);
	}
	for (size_t i = 0; i < n; i++)
		dks_target_clear(&t[i]);
	free(t);
	dks_tree_unlock(lock);
	return ret;
}

int cmd_sign(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct strv k = {0};
	const char *m, *v;
	int ret = dks_ctx_open(argc, argv, "sign", &ctx, &err);

	if (ret == 0)
		ret = dks_ctx_module(&ctx, &m, &v, &err);
	if (ret == 0)
		ret = dks_tree_check_intact(&ctx.tree, m, v, &err);
	if (ret == 0)
		ret = specs(&ctx, m, v, &k, &err);
	if (ret == 0)
		ret = sign_on(&ctx, m, v, &k, &err);
	ret = ret < 0 ? dks_fail(&err) : 0;
	strv_free(&k);
	dks_ctx_close(&ctx);
	return ret;
}
