/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BUILD_DEPENDS and BUILD_DEPENDS_REBUILD (depends.c). */
#ifndef DKS_DEPENDS_H
#define DKS_DEPENDS_H

#include <stdbool.h>

#include "dks/error.h"
#include "dks/spec.h"
#include "dks/tree.h"

/* Each BUILD_DEPENDS module of @s is installed for @kver/@arch (dkms: else
 * 13; with @force a warning line and 0). */
int dks_depends_check(const struct dks_tree *t, const struct dks_spec *s, const char *m,
		      const char *v, const char *kver, const char *arch, bool force,
		      struct dks_error *err);

/* BUILD_DEPENDS_REBUILD (and not @force, as dkms): in the build @dir, a
 * ".dep_NAME" file per dependency holding the version built for
 * @kver/@arch it was built against. */
int dks_depends_record(const struct dks_tree *t, const struct dks_spec *s, const char *kver,
		       const char *arch, const char *dir, bool force, struct dks_error *err);

/* The builds for @kver/@arch made against another version of @dep than
 * the newest one built for it now (their .dep_@dep says so): dkms
 * rebuilds them after installing @dep. *out: free with dks_status_free. */
int dks_depends_stale(const struct dks_tree *t, const char *dep, const char *kver, const char *arch,
		      struct dks_status **out, size_t *n, struct dks_error *err);

#endif
