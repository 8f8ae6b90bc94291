// SPDX-License-Identifier: GPL-2.0-or-later
/* A built module's kernel, headers or not: prebuilt.h. */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
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

/* @spec with its headers (0), or without them (1: @no_headers says why
 * they are missing), or an error (-1). */
static int resolve_or_bare(const struct dks_ctx *ctx, const char *spec, struct dks_target *out,
			   struct dks_error *no_headers, struct dks_error *err)
{
	if (dks_target_resolve(spec, ctx->cli.kernelsourcedir, ctx->cfg.install_tree, out,
			       no_headers) == 0)
		return dks_ctx_kernel_config(ctx, out, err);
	if (no_headers->exit_code != DKS_EXIT_NO_HEADERS || ctx->cli.kernelsourcedir) {
		*err = *no_headers;
		return -1;
	}
	if (without_headers(ctx, spec, out, err) < 0 || dks_ctx_kernel_config(ctx, out, err) < 0)
		return -1;
	return 1;
}

int dks_target_prebuilt(const struct dks_ctx *ctx, const char *spec, const char *m, const char *v,
			struct dks_target *out, struct dks_error *err)
{
	struct utsname u;
	struct dks_error no_headers = {0};
	int r;

	if (!spec && uname(&u) < 0)
		return dks_err(err, errno, "uname");
	r = resolve_or_bare(ctx, spec ? spec : u.release, out, &no_headers, err);
	if (r != 1 || dks_tree_is_built(&ctx->tree, m, v, out->kver, out->arch))
		return r < 0 ? -1 : 0;
	dks_target_clear(out);
	*err = no_headers;
	return -1;
}

int dks_target_uninstall(const struct dks_ctx *ctx, const char *spec, struct dks_target *out,
			 struct dks_error *err)
{
	struct utsname u;
	struct dks_error no_headers = {0};

	if (!spec && uname(&u) < 0)
		return dks_err(err, errno, "uname");
	return resolve_or_bare(ctx, spec ? spec : u.release, out, &no_headers, err) < 0 ? -1 : 0;
}

/* Is anything in the tree built (or installed) for @t's kernel? */
static bool any_built(const struct dks_ctx *ctx, const struct dks_target *t)
{
	struct dks_status *st = NULL;
	struct dks_error e = {0};
	size_t n = 0;
	bool any = false;

	if (dks_tree_status(&ctx->tree, NULL, NULL, &st, &n, &e) < 0)
		return false;
	for (size_t i = 0; i < n && !any; i++)
		any = st[i].kver && strcmp(st[i].kver, t->kver) == 0 &&
		      strcmp(st[i].arch, t->arch) == 0;
	dks_status_free(st, n);
	return any;
}

int dks_target_headerless(const struct dks_ctx *ctx, const char *spec, struct dks_target *out,
			  struct dks_error *err)
{
	struct dks_error no_headers = {0};
	int r = resolve_or_bare(ctx, spec, out, &no_headers, err);

	if (r != 1 || any_built(ctx, out))
		return r < 0 ? -1 : 0;
	dks_target_clear(out);
	*err = no_headers;
	return -1;
}
