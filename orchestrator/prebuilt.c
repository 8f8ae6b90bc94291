// SPDX-License-Identifier: GPL-2.0-or-later
/* A built module's kernel, headers or not: prebuilt.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dks/installer.h"
#include "dks/tree.h"
#include "prebuilt.h"

static int without_headers(const struct dks_ctx *ctx, const char *spec, struct dks_target *out,
			   struct dks_error *err)
{
	const char *boot = ctx->cfg.boot_dir ? ctx->cfg.boot_dir : DKS_DEFAULT_BOOT_DIR;
	char *config = NULL;

	if (dks_target_bare(spec, NULL, ctx->cfg.install_tree, out, err) < 0)
		return -1;
	if (asprintf(&config, "%s/config-%s", boot, out->kver) < 0)
		return dks_err(err, ENOMEM, "kernel %s", out->kver);
	if (access(config, R_OK) == 0) {
		free(out->config);
		out->config = config;
	} else {
		free(config);
	}
	return 0;
}

int dks_target_prebuilt(const struct dks_ctx *ctx, const char *spec, const char *m, const char *v,
			struct dks_target *out, struct dks_error *err)
{
	struct utsname u;
	struct dks_error no_headers = {0};

	if (!spec && uname(&u) < 0)
		return dks_err(err, errno, "uname");
	if (!spec)
		spec = u.release;
	if (dks_target_resolve(spec, ctx->cli.kernelsourcedir, ctx->cfg.install_tree, out,
			       &no_headers) == 0)
		return dks_ctx_kernel_config(ctx, out, err);
	if (no_headers.exit_code == DKS_EXIT_NO_HEADERS && !ctx->cli.kernelsourcedir &&
	    without_headers(ctx, spec, out, err) == 0) {
		if (dks_tree_is_built(&ctx->tree, m, v, out->kver, out->arch))
			return dks_ctx_kernel_config(ctx, out, err);
		dks_target_clear(out);
	}
	*err = no_headers;
	return -1;
}
