// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox ldtarball FILE [--archive FILE] [--force] [--archive-cert CERT]
 * [--require-signed] [--max-size BYTES]
 *
 * Load a module archive, ours or dkms's (ldtarball.c, docs/archives.md):
 * nothing is placed unless the whole archive passed every check. The
 * manifest's signature is verified with archive_cert (default: mok_cert);
 * require_signed_archives (or --require-signed) refuses an archive
 * without a signed manifest. Exit codes as dkms: 2 no such file, 7 not a
 * DKMS archive, 8 already added (without --force).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dks/installer.h"
#include "dks/spec.h"
#include "ldtarball.h"

/* A source archive's dkms.conf, evaluated as add evaluates one. */
static int conf_names(void *arg, const char *conf, const char *dir, char **m, char **v,
		      struct dks_error *err)
{
	struct dks_spec *spec = NULL;

	if (dks_ctx_check_conf(arg, conf, dir, &spec, err) < 0)
		return dks_err_prefix(err, "Malformed dkms.conf file. Cannot load source tree");
	*m = strdup(spec->name);
	*v = strdup(spec->version);
	dks_spec_free(spec);
	return *m && *v ? 0 : dks_err(err, 0, "out of memory");
}

/* The certificate that verifies manifests: --archive-cert, else the one
 * modules that arrive signed are verified with (trusted_cert, mok_cert),
 * dkms's mok.pub when it exists; else none. */
static const char *trusted_cert(const struct dks_ctx *ctx)
{
	if (ctx->cli.archive_cert)
		return ctx->cli.archive_cert;
	if (ctx->cfg.trusted_cert)
		return ctx->cfg.trusted_cert;
	if (ctx->cfg.mok_cert)
		return ctx->cfg.mok_cert;
	return access(DKS_DEFAULT_MOK_CERT, F_OK) == 0 ? DKS_DEFAULT_MOK_CERT : NULL;
}

static int load(struct dks_ctx *ctx, struct dks_error *err)
{
	struct dks_ldtarball o = {.tree = &ctx->tree, .force = ctx->cli.force,
				  .kernelsourcedir = ctx->cli.kernelsourcedir,
				  .boot_dir = ctx->cfg.boot_dir,
				  .cert = trusted_cert(ctx),
				  .require_signed = ctx->cli.require_signed ||
						    ctx->cfg.require_signed_archives,
				  .max_size = ctx->cli.max_size,
				  .conf_names = conf_names, .conf_arg = ctx};

	/* dkms: the file as the argument or --archive */
	o.archive = ctx->cli.archive ? ctx->cli.archive : ctx->cli.path;
	if (!o.archive)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, 0,
				    "ldtarball: give the archive (ldtarball FILE)");
	if (getuid() != 0 && o.force)
		return dks_err(err, 0, "You must be root to use this command with the --force option.");
	return dks_ldtarball(&o, err);
}

int cmd_ldtarball(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	int ret = dks_ctx_open(argc, argv, "ldtarball", &ctx, &err);

	if (ret == 0)
		ret = load(&ctx, &err);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_ctx_close(&ctx);
	return ret;
}
