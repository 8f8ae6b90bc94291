/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the dkms.conf files (include/dks/dkmsconf.h is the contract):
 *
 *     dkmsconf_eval.c     evaluate the conf in a sandbox, capture the records
 *       -> dkmsconf_spec.c     records -> struct dks_spec (dkms's rules)
 *            -> dkmsconf_records.c   read the untrusted records, strictly
 *
 *     dkmsconf_override.c    which of the admin's override files exist
 *
 * Calls go down this list only, never back up. What they share: the list of
 * directives (which also makes the driver's word lists), the directives as
 * read from the records, and the "FILE: message" helpers.
 */
#ifndef DKS_DKMSCONF_INTERNAL_H
#define DKS_DKMSCONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"

/*
 * The directives dkms reads (dkms 3.x), scalars and arrays. One list makes
 * both the parser's table and the driver's word lists, so they cannot
 * disagree. REMAKE_INITRD and MODULES_CONF* are deprecated: only their
 * presence matters (a warning). BUILD_EXCLUSIVE_* are arrays (dkms 3.4):
 * element 0 (the plain variable) applies to the package, element i >= 1
 * to module i only.
 */
#define DKS_SCALARS(X)                                                                             \
	X(PACKAGE_NAME)                                                                            \
	X(PACKAGE_VERSION)                                                                         \
	X(CLEAN)                                                                                   \
	X(PRE_BUILD)                                                                               \
	X(POST_BUILD)                                                                              \
	X(POST_ADD)                                                                                \
	X(PRE_INSTALL)                                                                             \
	X(POST_INSTALL)                                                                            \
	X(POST_REMOVE)                                                                             \
	X(AUTOINSTALL)                                                                             \
	X(BUILD_DEPENDS_REBUILD)                                                                   \
	X(NO_WEAK_MODULES)                                                                         \
	X(OBSOLETE_BY)                                                                             \
	X(REMAKE_INITRD)
#define DKS_ARRAYS(X)                                                                              \
	X(BUILT_MODULE_NAME)                                                                       \
	X(BUILT_MODULE_LOCATION)                                                                   \
	X(DEST_MODULE_NAME)                                                                        \
	X(DEST_MODULE_LOCATION)                                                                    \
	X(STRIP)                                                                                   \
	X(MAKE)                                                                                    \
	X(MAKE_MATCH)                                                                              \
	X(PATCH)                                                                                   \
	X(PATCH_MATCH)                                                                             \
	X(BUILD_DEPENDS)                                                                           \
	X(BUILD_EXCLUSIVE_KERNEL)                                                                  \
	X(BUILD_EXCLUSIVE_KERNEL_MIN)                                                              \
	X(BUILD_EXCLUSIVE_KERNEL_MAX)                                                              \
	X(BUILD_EXCLUSIVE_ARCH)                                                                    \
	X(BUILD_EXCLUSIVE_CONFIG)                                                                  \
	X(MODULES_CONF)                                                                            \
	X(MODULES_CONF_ALIAS_TYPE)                                                                 \
	X(MODULES_CONF_OBSOLETES)                                                                  \
	X(MODULES_CONF_OBSOLETE_ONLY)

#define DKS_ENUM(n)  D_##n,
#define DKS_NAME(n)  #n,
#define DKS_WORD(n)  #n " "
#define DKS_COUNT(n) +1

enum dkmsconf_directive { DKS_SCALARS(DKS_ENUM) DKS_ARRAYS(DKS_ENUM) N_DIRECTIVES };
enum { N_SCALARS = 0 DKS_SCALARS(DKS_COUNT) };

/* "PACKAGE_NAME", ... indexed by enum dkmsconf_directive. */
extern const char *const dks_dkmsconf_directive_names[N_DIRECTIVES];

/* ---- the records as read (dkmsconf_records.c) ---- */

struct dkmsconf_elem {
	unsigned long idx;
	const char *val; /* points into the records */
};

struct dkmsconf_raw {
	bool set;		  /* scalars: an S record came */
	const char *val;	  /* scalars */
	struct dkmsconf_elem *el; /* arrays, sorted by index, no index twice */
	size_t n;
};

/* Read the driver's @len bytes of @records into @v (zeroed by the caller)
 * strictly: every record known, none twice, the E record last. @conf names
 * the file in messages (exit 8). The values point into @records. */
int dks_dkmsconf_read_records(const char *conf, const char *records, size_t len,
			      struct dkmsconf_raw v[N_DIRECTIVES], struct dks_error *err);

/* Free what dks_dkmsconf_read_records() allocated in @v, even after a failure. */
void dks_dkmsconf_raw_free(struct dkmsconf_raw v[N_DIRECTIVES]);

/* "CONF: <what is wrong>" with exit @code (8 bad dkms.conf, 5 bad patch path). */
int dks_dkmsconf_bad(const char *conf, struct dks_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* @s for a one-line message in @buf: control characters become '?', long
 * values are cut. */
const char *dks_dkmsconf_shown(const char *s, char *buf, size_t size);

/* ---- the admin's overrides (dkmsconf_override.c) ---- */

#define DKS_OVERRIDES_MAX 6

/* dkms's override files for @m/@v on @kver/@arch that exist in @dir, in
 * dkms's order (read_conf: <m>.conf, <m>-<v>.conf, <m>-<v>-<kver>.conf,
 * <m>-<v>-<kver>-<arch>.conf, <m>--<kver>.conf, <m>--<kver>-<arch>.conf),
 * as real paths (malloc'd) in @out. An unusable name gives none. */
int dks_dkmsconf_overrides(const char *dir, const char *m, const char *v, const char *kver,
			   const char *arch, char *out[DKS_OVERRIDES_MAX], size_t *n,
			   struct dks_error *err);

#endif
