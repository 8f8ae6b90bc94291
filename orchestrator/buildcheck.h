/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build --check (buildcheck.c): each unit rebuilt in a private tree of
 * its own, its .ko files compared byte for byte with the tree's build
 * (buildcmp.c); the tree's build is never touched.
 */
#ifndef DKS_BUILDCHECK_H
#define DKS_BUILDCHECK_H

#include "build.h"

/* Rebuild @jobs (each must be built in env->tree) and compare. 0: every
 * .ko identical; -1: @err (DKS_EXIT_CHECK_DIFFERS naming the file and
 * its first differing section, DKS_EXIT_NOT_BUILT, or the rebuild's). */
int dks_build_check(const struct dks_build_env *env, const struct dks_job *jobs, size_t n,
		    struct dks_error *err);

/* The .ko files of two module/ directories; @unit names the unit in
 * messages. */
int dks_build_compare(const char *unit, const char *tree_dir, const char *new_dir,
		      struct dks_error *err);
/* The same, the other side named @new_what ("the rebuild", an archive)
 * in messages. A signature trailer on either side is not compared. */
int dks_build_compare_with(const char *unit, const char *tree_dir, const char *new_dir,
			   const char *new_what, struct dks_error *err);

#endif
