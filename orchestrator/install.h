/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The privileged installer (design.md, security model 5 and 6): for a
 * built m/v and one kernel, every module is read from the tree, validated
 * (validate.c), signed in-process (sign.c) when the kernel checks
 * signatures and a key is given, compressed as the kernel's config asks
 * (compress.c), and placed atomically in the install tree; a same-named
 * module already there is kept in <dkmstree>/<m>/original_module/ and put
 * back on uninstall; then depmod. It runs no module code and evaluates no
 * dkms.conf: what it needs of the spec the build wrote (DKS_MANIFEST).
 */
#ifndef DKS_INSTALL_H
#define DKS_INSTALL_H

#include <stdbool.h>

#include "dks/error.h"
#include "dks/kernel.h"
#include "dks/tree.h"

#define DKS_EXIT_INSTALL_FAILED 6 /* dkms: version check or depmod failed */
#define DKS_EXIT_PRE_INSTALL 101  /* dkms: PRE_INSTALL failed */
#define DKS_DEFAULT_MOK_KEY "/var/lib/dkms/mok.key"
#define DKS_DEFAULT_MOK_CERT "/var/lib/dkms/mok.pub"

struct dks_profile;

struct dks_install_opts {
	const char *mok_key, *mok_cert; /* NULL: dkms's defaults, when they exist */
	bool no_depmod;
	bool force; /* install again what is installed already; past a failed PRE_INSTALL */
	/* The sandbox of the install hooks (PRE_INSTALL, POST_INSTALL,
	 * POST_REMOVE): as the build's. */
	const struct dks_profile *profile;
	const char *toolchain, *build_user;
};

int dks_install(const struct dks_tree *t, const char *m, const char *v,
		const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err);
int dks_uninstall(const struct dks_tree *t, const char *m, const char *v,
		  const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err);

#endif
