/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the installer's two halves: install.c decides what to place
 * (the manifest, validation, signing, compression) and place.c places it
 * (one journalled transaction per module and kernel: txn.h; the kernel's
 * depmod lock; depmod; rolling back when it fails).
 */
#ifndef DKS_INSTALL_INTERNAL_H
#define DKS_INSTALL_INTERNAL_H

#include <limits.h>
#include <stdbool.h>

#include "dks/compress.h"
#include "dks/kernel.h"
#include "dks/tree.h"
#include "install.h"
#include "installrec.h"

#define DKS_INSTALL_MAX 64 /* modules in one m/v */

struct dks_install_entry {
	char built[NAME_MAX + 1], dest[NAME_MAX + 1], location[PATH_MAX];
};

struct dks_install_plan {
	const struct dks_tree *t;
	const char *m, *v;
	const struct dks_target *k;
	char what[512];       /* "m/v, kver, arch" */
	struct dks_install_entry e[DKS_INSTALL_MAX];
	size_t n;
	char build[PATH_MAX]; /* <dkmstree>/m/v/kver/arch */
	char orig[PATH_MAX];  /* <dkmstree>/m/original_module/kver/arch */
	enum dks_compression comp;
	const char *distro_location; /* dkms's override of every location, or NULL */
	void *bufs[DKS_INSTALL_MAX]; /* the bytes to install (install only) */
	size_t lens[DKS_INSTALL_MAX];
	struct dks_installrec rec;   /* what they are (install only) */
};

/* <installtree>/<kver><location>/<dest>.ko<ext> */
void dks_install_dest(char *buf, size_t size, const struct dks_install_plan *p, size_t i,
		      enum dks_compression c);

/* Finish an interrupted transaction of m on this kernel (and depmod when
 * it changed the install tree). Caller holds the module's lock. */
int dks_place_recover(const struct dks_install_plan *p, const struct dks_install_opts *o,
		      struct dks_error *err);
int dks_place_install(struct dks_install_plan *p, const struct dks_install_opts *o,
		      struct dks_error *err);
int dks_place_uninstall(struct dks_install_plan *p, const struct dks_install_opts *o,
			struct dks_error *err);

#endif
