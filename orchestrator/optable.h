/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line's options, as data (optable.c): dkms 3.x's, in
 * dkms.in's order, and ours. */
#ifndef DKS_OPTABLE_H
#define DKS_OPTABLE_H

#include <stdbool.h>

enum dks_opt_id {
	OPT_MODULE = 1, OPT_VERSION, OPT_KERNEL, OPT_ARCH, OPT_TEMPLATE, OPT_CONF, OPT_QUIET,
	OPT_SHOW_VERSION, OPT_HELP, OPT_FORCE, OPT_FORCE_VERSION_OVERRIDE, OPT_ALL, OPT_VERBOSE,
	OPT_DKMSTREE, OPT_SOURCETREE, OPT_INSTALLTREE, OPT_KERNEL_CONFIG, OPT_KSRC,
	OPT_NO_DEPMOD, OPT_MODPROBE, OPT_JOBS, OPT_BINARIES_ONLY, OPT_SOURCE_ONLY,
	OPT_FRAMEWORK, OPT_NOTED, OPT_DIRECTIVE, OPT_JSON, OPT_TOOLCHAIN, OPT_PROFILE, OPT_USER,
	OPT_MAX_SIZE, OPT_MOK_KEY, OPT_MOK_CERT, OPT_OS_RELEASE, OPT_SANDBOX_CONFIG,
	OPT_KERNEL_IMAGE, OPT_TEST_LOAD, OPT_CHECK,
	OPT_ARCHIVE, OPT_SIGN, OPT_ARCHIVE_CERT, OPT_REQUIRE_SIGNED,
	OPT_PLAN, OPT_UNIT,
	OPT_BOOT_ROOT,
	OPT_REPAIR,
	OPT_AGREE_WITH,
	OPT_CACHE_DIR, OPT_NO_CACHE,
	OPT_LOCK_TIMEOUT,
};

#define DKS_OPT_ARG 1u    /* takes a value: the next argument, or after '=' */
#define DKS_OPT_PREFIX 2u /* dkms's "--name*": any spelling that starts so */

struct dks_opt {
	const char *name;
	unsigned flags;
	enum dks_opt_id id;
	/* Accepted for dkms but meaning nothing (or something else) in a
	 * sandbox: the one line printed when it is given. */
	const char *here;
};

/* The option @arg spells, or NULL. *value: the value given after '=' in
 * the same argument, or NULL (then the next argument is the value). */
const struct dks_opt *dks_opt_find(const char *arg, const char **value);

#endif
