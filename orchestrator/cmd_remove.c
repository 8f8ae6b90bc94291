// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox unbuild MODULE/VERSION [-k KVER[/ARCH]]... [--all]
 * dkms-sandbox remove MODULE/VERSION [-k KVER[/ARCH]]... [--all]
 * unbuild drops builds; remove drops builds and, when none is left (or with
 * --all), the module version itself. Both uninstall first what is
 * installed, as dkms. Without -k or --all, the running kernel's, as dkms
 * (setup_kernels_arches: kernelver[0]=$(uname -r)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "unbuild.h"

/* "KVER[/ARCH]" -> kver, arch (the host's when not given). */
static void split(const char *spec, char *kver, size_t size, const char **arch, char *buf,
		  size_t bufsize)
{
	const char *slash = strchr(spec, '/');
	struct utsname u;

	snprintf(kver, size, "%.*s", slash ? (int)(slash - spec) : (int)strlen(spec), spec);
	if (slash) {
		*arch = slash + 1;
		return;
	}
	snprintf(buf, bufsize, "%s", uname(&u) == 0 ? u.machine : "x86_64");
	*arch = buf;
}

static int unbuild_kernels(struct dks_ctx *ctx, const char *m, const char *v,
			   struct dks_error *err)
{
	struct utsname u;
	const char *running[1] = {uname(&u) == 0 ? u.release : NULL};
	const char *const *kernels = ctx->cli.n_kernels ? ctx->cli.kernels : running;
	size_t n = ctx->cli.n_kernels ? ctx->cli.n_kernels : 1;

	if (!kernels[0])
		return dks_err(err, errno, "uname");
	for (size_t i = 0; i < n; i++) {
		char kver[256], archbuf[80];
		const char *arch;

		split(kernels[i], kver, sizeof(kver), &arch, archbuf, sizeof(archbuf));
		if (!dks_tree_is_built(&ctx->tree, m, v, kver, arch)) {
			printf("%s/%s, %s, %s: not built\n", m, v, kver, arch);
			continue;
		}
		if (dks_unbuild_build(ctx, m, v, kver, arch, err) < 0)
			return -1;
		printf("%s/%s, %s, %s: unbuilt\n", m, v, kver, arch);
	}
	return 0;
}

static int unbuild_all(struct dks_ctx *ctx, const char *m, const char *v,
		       struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	int ret = 0;

	if (dks_tree_status(&ctx->tree, m, v, &st, &n, err) < 0)
		return -1;
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (st[i].kver && st[i].arch)
			ret = dks_unbuild_build(ctx, m, v, st[i].kver, st[i].arch, err);
	dks_status_free(st, n);
	return ret;
}

static bool any_build(const struct dks_ctx *ctx, const char *m, const char *v)
{
	struct dks_error ignored = {0};
	struct dks_status *st = NULL;
	size_t n = 0;
	bool any = false;

	if (dks_tree_status(&ctx->tree, m, v, &st, &n, &ignored) < 0)
		return true;
	for (size_t i = 0; i < n; i++)
		any |= st[i].kver != NULL;
	dks_status_free(st, n);
	return any;
}

static int run(int argc, char **argv, const char *verb, bool remove)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	const char *m, *v;
	int lock = -1, ret;

	ret = dks_ctx_open(argc, argv, verb, &ctx, &err);
	if (ret == 0)
		ret = dks_ctx_module(&ctx, &m, &v, &err);
	if (ret == 0 && !dks_tree_is_added(&ctx.tree, m, v))
		ret = dks_err_code(&err, DKS_EXIT_ALREADY_ADDED, 0, "%s/%s: not added", m, v);
	if (ret == 0)
		ret = lock = dks_tree_lock(&ctx.tree, m, &err);
	if (ret >= 0) {
		bool all = ctx.cli.all;

		ret = all ? unbuild_all(&ctx, m, v, &err) : unbuild_kernels(&ctx, m, v, &err);
		if (ret == 0 && remove && (all || !any_build(&ctx, m, v))) {
			ret = dks_tree_remove(&ctx.tree, m, v, &err);
			if (ret == 0)
				printf("%s/%s: removed\n", m, v);
		}
	}
	if (lock >= 0)
		dks_tree_unlock(lock);
	if (ret == 0)
		dks_ctx_post_transaction(&ctx);
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_ctx_close(&ctx);
	return ret;
}

int cmd_unbuild(int argc, char **argv)
{
	return run(argc, argv, "unbuild", false);
}

int cmd_remove(int argc, char **argv)
{
	return run(argc, argv, "remove", true);
}
