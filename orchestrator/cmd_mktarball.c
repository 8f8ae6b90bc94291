// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox mktarball MODULE/VERSION [-k KVER[/ARCH]]... [--source-only |
 * --binaries-only] [--archive FILE] [--sign]
 * dkms-sandbox mktarball --plan FILE --unit N [...]: the module and kernel
 * of a plan's unit (docs/fleet.md: each array task archives its unit)
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
#include "dks/installer.h"
#include "mktarball.h"
#include "planunit.h"

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

/* m/v and its kernels: a plan's unit, or the command line's. */
static int what(struct dks_ctx *ctx, struct dks_mktarball *o, char **kv, char **ar,
		char *unit[4], struct dks_error *err)
{
	if (!ctx->cli.plan)
		return dks_ctx_module(ctx, &o->module, &o->version, err) < 0
			   ? -1
			   : kernels(ctx, kv, ar, &o->n_kernels, err);
	if (dks_plan_unit_names(ctx, unit, err) < 0)
		return -1;
	o->module = unit[0];
	o->version = unit[1];
	kv[0] = strdup(unit[2]);
	ar[0] = strdup(unit[3]);
	o->n_kernels = 1;
	return kv[0] && ar[0] ? 0 : dks_err(err, 0, "out of memory");
}

static int make(struct dks_ctx *ctx, struct dks_error *err)
{
	char *kv[DKS_MAX_KERNELS] = {0}, *ar[DKS_MAX_KERNELS] = {0}, *label = NULL;
	char *unit[4] = {0};
	struct dks_mktarball o = {.tree = &ctx->tree, .kvers = (const char *const *)kv,
				  .arches = (const char *const *)ar,
				  .source_only = ctx->cli.source_only,
				  .binaries_only = ctx->cli.binaries_only,
				  .archive = ctx->cli.archive, .conf = ctx->cli.conf,
				  .kernelsourcedir = ctx->cli.kernelsourcedir,
				  .boot_dir = ctx->cfg.boot_dir};
	int rc = what(ctx, &o, kv, ar, unit, err);

	if (rc == 0 && !dks_tree_is_added(&ctx->tree, o.module, o.version))
		rc = dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0,
				  "The module/version combo: %s-%s is not located in the DKMS tree.",
				  o.module, o.version);
	if (rc == 0 && !o.source_only && dks_mktarball_check_built(&o, err) == 0)
		rc = dks_mktarball_inputs(ctx, &o, &label, err) < 0 ? -1
								 : dks_mktarball_units(ctx, &o, err);
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
	for (int i = 0; i < 4; i++)
		free(unit[i]);
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
