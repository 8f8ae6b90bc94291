// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox status [MODULE[/VERSION]] [-k KVER] [--json] [--verbose]
 * dkms's lines, read from the tree: no dkms.conf, no process. --verbose
 * adds our notes (the in-tree modules an installed one shadows) after
 * dkms's line, which stays byte-exact without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool wanted(const struct dks_ctx *ctx, const struct dks_status *s)
{
	if (ctx->cli.n_kernels == 0)
		return true;
	for (size_t i = 0; i < ctx->cli.n_kernels; i++)
		if (s->kver && strncmp(ctx->cli.kernels[i], s->kver, strlen(s->kver)) == 0)
			return true;
	return false;
}

/* A status nobody received (a full disk, a closed pipe) is a failure: a
 * script reading it must not take a truncated list for the whole tree. */
static int print(const struct dks_ctx *ctx, const struct dks_status *st, size_t n,
		 struct dks_error *err)
{
	struct dks_status *kept = calloc(n + 1, sizeof(*kept));
	size_t k = 0;
	int ret = 0;

	if (!kept)
		return dks_err(err, ENOMEM, "status");
	for (size_t i = 0; i < n; i++)
		if (wanted(ctx, &st[i]))
			kept[k++] = st[i]; /* shallow: st owns the strings */
	if (ctx->cli.json) {
		ret = dks_status_json(stdout, kept, k);
	} else {
		for (size_t i = 0; ret == 0 && i < k; i++) {
			char *line = dks_status_line(&kept[i]);
			const char *notes = ctx->cli.verbose ? kept[i].notes : "";

			if (!line || printf("%s%s\n", line, notes) < 0)
				ret = -1;
			free(line);
		}
	}
	free(kept);
	if (ret < 0 || fflush(stdout) == EOF || ferror(stdout))
		return dks_err(err, errno ? errno : EIO, "status: cannot write the status");
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_status *st = NULL;
	size_t n = 0;
	int rc = 0;

	if (dks_ctx_open(argc, argv, "status", &ctx, &err) < 0 ||
	    dks_tree_status(&ctx.tree, ctx.cli.module, ctx.cli.version, &st, &n, &err) < 0 ||
	    print(&ctx, st, n, &err) < 0)
		rc = dks_fail(&err);
	dks_status_free(st, n);
	dks_ctx_close(&ctx);
	return rc;
}
