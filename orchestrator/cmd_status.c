// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox status [MODULE[/VERSION]] [-k KVER] [--json] [--verbose]
 * dkms's lines, read from the tree: no dkms.conf, no process. --verbose
 * adds our notes (the in-tree modules an installed one shadows) after
 * dkms's line, which stays byte-exact without it. A broken m/v gets
 * dkms's error line on stderr; the exit code stays 0, as dkms's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dks/treename.h"
#include "suffix.h"

/* Is the line of kver/arch the one @spec (-k KVER[/ARCH], or NULL for
 * any kernel) and @arch (-a, or NULL) ask for? The whole release:
 * -k 6.1.0-57-amd64-rt is not 6.1.0-57-amd64. */
static bool wanted(const char *spec, const char *arch, const struct dks_status *s)
{
	size_t n = strlen(s->kver);

	if (spec && (strncmp(spec, s->kver, n) != 0 || (spec[n] && spec[n] != '/')))
		return false;
	if (spec && spec[n] == '/')
		arch = spec + n + 1;
	return !arch || strcmp(arch, s->arch) == 0;
}

/* Lines [i, end) of one m/v (status sorts them together). */
static size_t group_end(const struct dks_status *st, size_t n, size_t i)
{
	size_t e = i + 1;

	while (e < n && strcmp(st[e].module, st[i].module) == 0 &&
	       strcmp(st[e].version, st[i].version) == 0)
		e++;
	return e;
}

/* dkms's status for one -k (@spec; NULL with -a alone): the lines of that
 * kernel and arch; an m/v built only for others is "m/v: added"; added
 * and broken lines stay. Shallow copies (@st owns the strings) appended at
 * kept[k]; the new count. */
static size_t for_kernel(const char *spec, const char *arch, const struct dks_status *st,
			 size_t n, struct dks_status *kept, size_t k)
{
	for (size_t i = 0, e; i < n; i = e) {
		size_t first = k;

		e = group_end(st, n, i);
		for (size_t j = i; j < e; j++)
			if (!st[j].kver || wanted(spec, arch, &st[j]))
				kept[k++] = st[j];
		if (k == first)
			kept[k++] = (struct dks_status){.module = st[i].module,
							.version = st[i].version,
							.state = DKS_ADDED};
	}
	return k;
}

/* dkms prints the status of each -k in turn (-a alone: one round). */
static size_t for_kernels(const struct dks_ctx *ctx, const struct dks_status *st, size_t n,
			  struct dks_status *kept)
{
	size_t k = 0;

	if (!ctx->cli.n_kernels)
		return for_kernel(NULL, ctx->cli.arch, st, n, kept, 0);
	for (size_t i = 0; i < ctx->cli.n_kernels; i++)
		k = for_kernel(ctx->cli.kernels[i], ctx->cli.arch, st, n, kept, k);
	return k;
}

/* dkms's error after a broken line (stdout first, so that a terminal
 * shows them in dkms's order). */
static void say_broken(const struct dks_status *s)
{
	struct dks_error e = {0};

	fflush(stdout);
	dks_err(&e, 0,
		"%s/%s: Missing the module source directory or the symbolic link pointing to it. "
		"Manual intervention is required!",
		s->module, s->version);
	dks_error_print(&e);
}

static int print_lines(const struct dks_ctx *ctx, const struct dks_status *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *line = dks_status_line(&s[i]);
		const char *notes = ctx->cli.verbose ? s[i].notes : "";
		int rc = line ? printf("%s%s\n", line, notes) : -1;

		free(line);
		if (rc < 0)
			return -1;
		if (s[i].state == DKS_BROKEN)
			say_broken(&s[i]);
	}
	return 0;
}

/* A status nobody received (a full disk, a closed pipe) is a failure: a
 * script reading it must not take a truncated list for the whole tree. */
static int print(const struct dks_ctx *ctx, const struct dks_status *st, size_t n,
		 struct dks_error *err)
{
	size_t rounds = ctx->cli.n_kernels ? ctx->cli.n_kernels : 1, k = n;
	struct dks_status *kept = calloc(n * rounds + 1, sizeof(*kept));
	int ret = 0;

	if (!kept)
		return dks_err(err, ENOMEM, "status");
	if (ctx->cli.n_kernels || ctx->cli.arch)
		k = for_kernels(ctx, st, n, kept);
	else if (n)
		memcpy(kept, st, n * sizeof(*st));
	if (ctx->cfg.status_wording && strcmp(ctx->cfg.status_wording, "3.0") == 0)
		for (size_t i = 0; i < k; i++)
			dks_suffix_words_30(&kept[i]);
	if (ctx->cli.json) {
		ret = dks_status_json(stdout, kept, k);
		for (size_t i = 0; i < k; i++)
			if (kept[i].state == DKS_BROKEN)
				say_broken(&kept[i]);
	} else {
		ret = print_lines(ctx, kept, k);
	}
	free(kept);
	if (ret < 0 || fflush(stdout) == EOF || ferror(stdout))
		return dks_err(err, errno ? errno : EIO, "status: cannot write the status");
	return 0;
}

/* dkms's status globs its tree: a name no module or version can have
 * (M/V/ARCH, "..") matches nothing, no line and exit 0, as dkms. */
static bool can_match(const struct dks_cli *c)
{
	struct dks_error e = {0};

	return (!c->module || dks_tree_check_name("module", c->module, &e) == 0) &&
	       (!c->version || dks_tree_check_name("version", c->version, &e) == 0);
}

int cmd_status(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_status *st = NULL;
	size_t n = 0;
	int rc = 0;

	if (dks_ctx_open(argc, argv, "status", &ctx, &err) < 0)
		rc = dks_fail(&err);
	else if ((can_match(&ctx.cli) &&
		  dks_tree_status(&ctx.tree, ctx.cli.module, ctx.cli.version, &st, &n, &err) < 0) ||
		 print(&ctx, st, n, &err) < 0)
		rc = dks_fail(&err);
	dks_status_free(st, n);
	dks_ctx_close(&ctx);
	return rc;
}
