// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox framework [KEY]: the values dkms's framework files set, as
 * evaluated (in their sandbox) and checked: every key a file set as
 * KEY=VALUE, or one key's value alone (empty when unset). For the admin,
 * and for common.postinst, which asks for autoinstall_all_kernels instead
 * of sourcing the files as root.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dks/cleanup.h"
#include "dks/termsafe.h"

static void show(const struct dks_framework *fw, int k, bool named)
{
	cleanup_free char *v = dks_termsafe_str(fw->val[k] ? fw->val[k] : "");

	if (named)
		printf("%s=%s\n", dks_framework_key_names[k], v ? v : "?");
	else
		printf("%s\n", v ? v : "?");
}

static int key_of(const char *name, struct dks_error *err)
{
	for (int k = 0; k < DKS_FW_N; k++)
		if (strcmp(dks_framework_key_names[k], name) == 0)
			return k;
	return dks_err(err, 0, "framework: '%s' is not a key of dkms's framework.conf", name);
}

int cmd_framework(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	int ret = dks_ctx_open(argc, argv, "framework", &ctx, &err);
	/* The one argument, a key, is parsed as a module name (or as a path,
	 * when a file of that name is in the current directory). */
	const char *name = ctx.cli.module ? ctx.cli.module : ctx.cli.path;
	int k = ret == 0 && name ? key_of(name, &err) : 0;

	if (ret == 0 && k >= 0 && name)
		show(&ctx.fw, k, false);
	for (int i = 0; ret == 0 && !name && i < DKS_FW_N; i++)
		if (ctx.fw.val[i])
			show(&ctx.fw, i, true);
	ret = ret < 0 || k < 0 ? dks_fail(&err) : 0;
	dks_ctx_close(&ctx);
	return ret;
}
