/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The install hooks, run in a sandbox: hooks.c. */
#ifndef DKS_HOOKS_H
#define DKS_HOOKS_H

#include "dks/error.h"
#include "dks/kernel.h"
#include "dks/tree.h"
#include "install.h"

struct dks_hook {
	const struct dks_tree *tree;
	const char *module, *version;
	const struct dks_target *target;
	const char *build; /* <dkmstree>/m/v/kver/arch: where DKS_HOOKS is (dks_run_hook) */
	const struct dks_install_opts *opts;
};

/* Run the recorded @name hook ("pre_install", "post_install",
 * "post_remove") if there is one. A failed pre_install is an error (exit
 * 101) unless --force; the others' failures are warnings. */
int dks_run_hook(const struct dks_hook *h, const char *name, struct dks_error *err);
/* The same for a script at hand (post_add: the spec of the add). A
 * target without headers runs without them. */
int dks_run_script(const struct dks_hook *h, const char *name, const char *script,
		   struct dks_error *err);

#endif
