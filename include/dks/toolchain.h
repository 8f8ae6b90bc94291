/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Toolchain images: a root filesystem imported once (from a tar, tar.gz,
 * tar.xz, tar.zst or a directory; docs/toolchains.md) under
 * <dkmstree>/toolchains/NAME, root-owned, mounted read-only as the
 * sandbox's root. The host then needs no compiler at all.
 */
#ifndef DKS_TOOLCHAIN_H
#define DKS_TOOLCHAIN_H

#include <stddef.h>

#include "dks/error.h"

#define DKS_TOOLCHAIN_MAX_SIZE (8ULL << 30) /* default cap of an import */

struct dks_toolchain_info {
	char *name;
	int gcc_major;          /* 0: no gcc found */
	unsigned long long size; /* bytes */
	long long imported;     /* seconds since the epoch */
};

/* "host" (or NULL) -> NULL; a path -> itself; NAME -> <dkmstree>/toolchains/NAME,
 * which must exist. *out malloc'd (or NULL). */
int dks_toolchain_resolve(const char *dkms_tree, const char *spec, char **out,
			  struct dks_error *err);
int dks_toolchain_import(const char *dkms_tree, const char *name, const char *from,
			 unsigned long long max_size, struct dks_error *err);
int dks_toolchain_remove(const char *dkms_tree, const char *name, struct dks_error *err);
int dks_toolchain_list(const char *dkms_tree, struct dks_toolchain_info **out, size_t *n,
		       struct dks_error *err);
void dks_toolchain_list_free(struct dks_toolchain_info *v, size_t n);

/* gcc's major version in a root (usr/lib/gcc/<triplet>/<N>), 0 if none;
 * never follows a link. And the one a kernel was built with
 * (CONFIG_CC_VERSION_TEXT in its .config), 0 if unknown. */
int dks_toolchain_gcc_major(const char *root);
int dks_kernel_gcc_major(const char *config);

#endif
