// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox mktarball MODULE/VERSION [-k KVER[/ARCH]]... [--source-only |
 * --binaries-only] [--archive FILE] [--sign]
 *
 * dkms's archive of m/v's builds (mktarball.c, docs/archives.md) with our
 * manifest; --sign signs the manifest with the configured key (mok_key,
 * mok_cert). Exit codes as dkms: 3 not added, 6 a kernel not built, 9 the
 * archive's directory not writable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "dks/identity.h"
#include "dks/installer.h"
#include "dks/toolchain.h"
#include "mktarball.h"

/* -k KVER[/ARCH]..., or the running kernel (dkms's default). */
static int kernels(const struct dks_ctx *ctx, char **kv, char **ar, size_t *n,
		   struct dks_error *err)
{
	struct utsname u;

	uname(&u);
	*n = ctx->cli.n_kernels ? ctx->cli.n_kernels : 1;
	for (size_t i = 0; i < *n; i++) {
		const char *spec = ctx->cli.n_kernels ? ctx->cli.kernels[i] : u.release;
		const char *slash = strchr(spec, '/');

		kv[i] = slash ? strndup(spec, (size_t)(slash - spec)) : strdup(spec);
		ar[i] = strdup(slash ? slash + 1 : ctx->cli.arch ? ctx->cli.arch : u.machine);
		if (!kv[i] || !ar[i])
			return dks_err(err, 0, "out of memory");
	}
	return 0;
}

/* The source's and the toolchain's identity, for the manifest. */
static int inputs(const struct dks_ctx *ctx, struct dks_mktarball *o, char **label,
		  struct dks_error *err)
{
	char *src = dks_tree_source_dir(&ctx->tree, o->module, o->version), *root = NULL;
	int rc = src ? dks_source_digest(src, o->source_digest, err) : dks_err(err, 0, "out of memory");

	free(src);
	if (rc == 0)
		rc = dks_toolchain_resolve(ctx->cfg.dkms_tree, ctx->cfg.toolchain, &root, err);
	if (rc == 0)
		rc = dks_toolchain_id(root ? root : "/", o->toolchain_digest, label, err);
	free(root);
	o->toolchain_label = *label;
	return rc;
}

static int make(struct dks_ctx *ctx, struct dks_error *err)
{
	char *kv[DKS_MAX_KERNELS] = {0}, *ar[DKS_MAX_KERNELS] = {0}, *label = NULL;
	struct dks_mktarball o = {.tree = &ctx->tree, .kvers = (const char *const *)kv,
				  .arches = (const char *const *)ar,
				  .source_only = ctx->cli.source_only,
				  .binaries_only = ctx->cli.binaries_only,
				  .archive = ctx->cli.archive, .conf = ctx->cli.conf,
				  .kernelsourcedir = ctx->cli.kernelsourcedir,
				  .boot_dir = ctx->cfg.boot_dir};
	int rc = dks_ctx_module(ctx, &o.module, &o.version, err);

	if (rc == 0 && !dks_tree_is_added(&ctx->tree, o.module, o.version))
		rc = dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0,
				  "The module/version combo: %s-%s is not located in the DKMS tree.",
				  o.module, o.version);
	if (rc == 0)
		rc = kernels(ctx, kv, ar, &o.n_kernels, err);
	if (rc == 0 && !o.source_only && dks_mktarball_check_built(&o, err) == 0)
		rc = inputs(ctx, &o, &label, err) < 0 ? -1 : dks_mktarball_units(ctx, &o, err);
	if (ctx->cli.sign_archive) {
		o.sign_key = ctx->cfg.mok_key ? ctx->cfg.mok_key : DKS_DEFAULT_MOK_KEY;
		o.sign_cert = ctx->cfg.mok_cert ? ctx->cfg.mok_cert : DKS_DEFAULT_MOK_CERT;
	}
	if (rc == 0)
		rc = dks_mktarball(&o, err);
	for (size_t i = 0; i < DKS_MAX_KERNELS; i++) {
		free(kv[i]);
		free(ar[i]);
	}
	free(label);
	free(o.spec_digests);
	free(o.unit_digests);
	return rc;
}

int cmd_mktarball(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	int ret = dks_ctx_open(argc, argv, "mktarball", &ctx, &err);

	if (ret == 0)
		ret = make(&ctx, &err);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_ctx_close(&ctx);
	return ret;
}
