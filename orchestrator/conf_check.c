// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A dkms.conf checked as add checks it (cli.h): evaluated in a sandbox for
 * the kernel add would pick. add and ldtarball (a dkms archive's source)
 * both learn a module's name and version this way.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "build.h"
#include "cli.h"
#include "dks/dkmsconf.h"
#include "dks/kernel.h"
#include "dks/spec.h"

/* The kernel a dkms.conf is checked against at add time: the running one
 * when it has headers (as dkms does), else the newest installed. */
void dks_ctx_add_target(const struct dks_ctx *ctx, struct dks_target *t, struct utsname *u)
{
	struct dks_error ignored = {0};
	struct dks_target *all = NULL;
	size_t n = 0;

	if (dks_target_running(ctx->cfg.install_tree, t, &ignored) == 0)
		return;
	if (dks_targets_installed(ctx->cfg.install_tree, &all, &n, &ignored) == 0 && n > 0) {
		*t = all[n - 1];
		memset(&all[n - 1], 0, sizeof(all[n - 1]));
	} else {
		uname(u);
		memset(t, 0, sizeof(*t));
		t->kver = strdup(u->release);
		t->arch = strdup(u->machine);
	}
	dks_targets_free(all, n);
}

int dks_ctx_check_conf(struct dks_ctx *ctx, const char *conf, const char *dir,
		      struct dks_spec **spec, struct dks_error *err)
{
	struct dks_target t = {0};
	struct utsname u;
	struct dks_spec_target st;
	struct dks_eval_opts o = {0};
	int ret;

	if (dks_ctx_profile(ctx, err) < 0)
		return -1;
	dks_ctx_add_target(ctx, &t, &u);
	st = (struct dks_spec_target){.kver = t.kver, .arch = t.arch, .kernel_dir = t.headers_in,
				      .dkms_tree = DKS_IN_DKMS_TREE,
				      .source_tree = DKS_IN_SOURCE_TREE,
				      .install_tree = DKS_IN_INSTALL_TREE, .jobs = ctx->cfg.jobs};
	o = (struct dks_eval_opts){.profile = ctx->profile, .toolchain = ctx->cfg.toolchain,
				   .kernel_headers = t.headers, .build_user = ctx->cfg.build_user,
				   .conf_dir = ctx->cfg.dkms_confdir ? ctx->cfg.dkms_confdir
								     : DKS_DEFAULT_DKMS_CONFDIR,
				   .directives = ctx->cli.directives,
				   .n_directives = ctx->cli.n_directives};
	ret = dks_dkmsconf_eval(conf, dir, &st, &o, spec, err);
	dks_target_clear(&t);
	/* dkms warns at add (zero modules, deprecated directives). */
	for (size_t i = 0; ret == 0 && i < (*spec)->n_warnings; i++)
		dks_warn("%s", (*spec)->warnings[i]);
	return ret;
}
