// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernels a verb works on (targets.h): build's and plan's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "targets.h"

int dks_targets_add(struct dks_targets *ts, const char *spec, const struct dks_ctx *ctx,
		    struct dks_error *err)
{
	struct dks_target *nt = realloc(ts->t, (ts->n + 1) * sizeof(*nt));

	if (!nt)
		return dks_err(err, 0, "out of memory");
	ts->t = nt;
	if (dks_target_resolve(spec, ctx->cli.kernelsourcedir, ctx->cfg.install_tree, &ts->t[ts->n],
			       err) < 0)
		return -1;
	if (dks_ctx_kernel_config(ctx, &ts->t[ts->n], err) < 0) {
		dks_target_clear(&ts->t[ts->n]);
		return -1;
	}
	if (ctx->cli.arch && strcmp(ctx->cli.arch, ts->t[ts->n].arch) != 0) {
		free(ts->t[ts->n].arch);
		ts->t[ts->n].arch = strdup(ctx->cli.arch);
	}
	ts->n++;
	return 0;
}

int dks_targets_resolve(const struct dks_ctx *ctx, struct dks_targets *ts, struct dks_error *err)
{
	if (ctx->cli.all)
		return dks_targets_installed(ctx->cfg.install_tree, &ts->t, &ts->n, err);
	if (ctx->cli.n_kernels == 0) { /* the running one, with -a's arch as dkms */
		struct utsname u;

		return uname(&u) < 0 ? dks_err(err, errno, "uname")
				     : dks_targets_add(ts, u.release, ctx, err);
	}
	if (ctx->cli.kernelsourcedir && ctx->cli.n_kernels > 1)
		return dks_err(err, 0, "--kernelsourcedir goes with exactly one -k");
	for (size_t i = 0; i < ctx->cli.n_kernels; i++)
		if (dks_targets_add(ts, ctx->cli.kernels[i], ctx, err) < 0)
			return -1;
	return 0;
}
