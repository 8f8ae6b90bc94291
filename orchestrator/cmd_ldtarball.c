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
#include "ldtarball.h"

static int load(struct dks_ctx *ctx, struct dks_error *err)
{
	struct dks_ldtarball o = {.tree = &ctx->tree, .force = ctx->cli.force,
				  .kernelsourcedir = ctx->cli.kernelsourcedir,
				  .boot_dir = ctx->cfg.boot_dir,
				  .cert = dks_ldtarball_cert(ctx),
				  .require_signed = ctx->cli.require_signed ||
						    ctx->cfg.require_signed_archives,
				  .max_size = ctx->cli.max_size,
				  .conf_names = dks_ldtarball_conf_names, .conf_arg = ctx};

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
