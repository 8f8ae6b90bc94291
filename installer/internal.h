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

#include "compress.h"
#include "dks/kernel.h"
#include "dks/tree.h"
#include "dks/handoff.h"
#include "dks/installer.h"
#include "dks/installrec.h"

#define DKS_INSTALL_MAX DKS_HANDOFF_MODULES /* modules in one m/v */

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
	struct dks_trust *trust;     /* modules that arrived signed verify against it */
};

/* install.c, shared with signbuilt.c: the plan of m/v for kernel @k (its
 * manifest read); a module file read whole (a regular file with one link,
 * no link followed, at most DKS_MODULE_MAX) with its stamp; how many of
 * the plan's modules end with the signature marker. */
int dks_plan_for(struct dks_install_plan *p, const struct dks_tree *t, const char *m,
		 const char *v, const struct dks_target *k, const struct dks_install_opts *o,
		 struct dks_error *err);
int dks_plan_slurp(const char *path, void **buf, size_t *len, struct dks_filestamp *stamp,
		   struct dks_error *err);
size_t dks_plan_arrived_signed(const struct dks_install_plan *p);

/* unsign.c: @len bytes of @buf to @name in @dfd, in place of what is
 * there (a temporary file, fsync, rename, fsync of the directory). */
int dks_module_replace(int dfd, const char *name, const void *buf, size_t len,
		       struct dks_error *err);


/* Is a transaction of m on this kernel waiting to be finished (its
 * journal is there)? */
bool dks_place_pending(const struct dks_tree *t, const char *m, const struct dks_target *k);
/* Finish an interrupted transaction of m on this kernel (and depmod when
 * it changed the install tree). Caller holds the module's lock. */
int dks_place_recover(const struct dks_install_plan *p, const struct dks_install_opts *o,
		      struct dks_error *err);
int dks_place_install(struct dks_install_plan *p, const struct dks_install_opts *o,
		      struct dks_error *err);
int dks_place_uninstall(struct dks_install_plan *p, const struct dks_install_opts *o,
			struct dks_error *err);

/* shadow.c: warn for each in-tree module (below <kver>/kernel/, or in
 * modules.builtin) that a module of @p has the name of, and add it to
 * @p's install record. */
int dks_shadow_scan(struct dks_install_plan *p, struct dks_error *err);

/* depmod.c: depmod for @kver in the install tree (which must end in
 * /lib/modules). 0, or DKS_EXIT_INSTALL_FAILED with @err filled. */
int dks_depmod(const struct dks_tree *t, const char *kver, struct dks_error *err);

/* vercheck.c: dkms's check_version_sanity(): each module of @p against
 * the same-named one already in the kernel's install tree; refused
 * (DKS_EXIT_INSTALL_FAILED) when that one is newer or the same module.
 * Skipped with o->force or o->force_version_override. */
int dks_version_check(const struct dks_install_plan *p, const struct dks_install_opts *o,
		      struct dks_error *err);

#endif
