/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module's scripts (POST_ADD and the install hooks), run in a sandbox: hooks.c. */
#ifndef DKS_HOOKS_H
#define DKS_HOOKS_H

#include <stdbool.h>

#include "dks/error.h"
#include "dks/installer.h"

struct dks_profile;

/* The sandbox the scripts run in: as the build's. */
struct dks_hook_env {
	const struct dks_profile *profile;
	const char *toolchain, *build_user;
	bool force; /* go on past a failed pre_install */
};

/* The installer's hook (dks_install_hook_fn, @arg a struct dks_hook_env):
 * run the script the build recorded for @name ("pre_install",
 * "post_install", "post_remove") if there is one. A failed pre_install is
 * an error (exit 101) unless force; the others' failures are warnings. */
int dks_install_hook(void *arg, const char *name, const struct dks_install_point *at,
		     struct dks_error *err);
/* The same for a script at hand (post_add: the spec of the add; at->build
 * unused). A target without headers runs without them. */
int dks_run_script(const struct dks_hook_env *env, const struct dks_install_point *at,
		   const char *name, const char *script, struct dks_error *err);

#endif
