/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One build job (module version x kernel) and the scheduler that runs many. */
#ifndef DKS_BUILD_H
#define DKS_BUILD_H

#include <stdbool.h>

#include "dks/config.h"
#include "dks/error.h"
#include "dks/kernel.h"
#include "dks/profile.h"
#include "dks/tree.h"

/* Where things are inside the build sandbox: canonical paths, the same on
 * every builder, so that two builders produce identical modules. */
#define DKS_IN_DKMS_TREE "/var/lib/dkms"
#define DKS_IN_SOURCE_TREE "/usr/src"
#define DKS_IN_INSTALL_TREE "/lib/modules"

/* Beside module/ and log/ in a build: the modules' names and destinations. */
#define DKS_MANIFEST "manifest"
/* Beside it: the install hooks of the spec, "<name>\t<script>" lines
 * (pre_install, post_install, post_remove). */
#define DKS_HOOKS "hooks"

/* Largest .ko collected from a build (a build dir is attacker-controlled). */
#define DKS_MODULE_MAX (256L * 1024 * 1024)

struct dks_build_env {
	const struct dks_config *cfg;
	const struct dks_tree *tree;
	const struct dks_profile *profile;
	int jobserver[2]; /* make's jobserver pipe, or -1 */
	int jobs;         /* -j N */
	bool force;
};

struct dks_job {
	const char *module, *version;
	const struct dks_target *target;
};

/* Run one job to the end: evaluate the spec, build in a sandbox, collect,
 * commit. Returns 0, or a dkms exit code (>0) with @err filled. */
int dks_build_job(const struct dks_build_env *env, const struct dks_job *job,
		  struct dks_error *err);

/* The spec of m/v for a kernel: its dkms.conf evaluated in a sandbox, or
 * its recipe. */
struct dks_spec;
int dks_build_spec(const struct dks_build_env *env, const char *m, const char *v,
		   const struct dks_target *target, struct dks_spec **out,
		   struct dks_error *err);

/* Copy the built modules out of the (untrusted) build directory into
 * @module_dir, never following links (collect.c). */
int dks_collect(int build_dirfd, const struct dks_spec *spec, const char *module_dir,
		const char *kver, struct dks_error *err);

/* The last @lines lines of a log on stderr, headed by its path. */
void dks_print_log_tail(const char *path, int lines);

/* Run @n jobs, at most @env->jobs make jobs at once in total (one GNU make
 * jobserver shared by every sandbox). Returns the exit code for the
 * command: 0, or the first failure's dkms code. */
int dks_build_all(struct dks_build_env *env, const struct dks_job *jobs, size_t n);

#endif
