/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BUILD_DEPENDS_REBUILD after an install (rebuild.c). */
#ifndef DKS_REBUILD_H
#define DKS_REBUILD_H

#include "cli.h"
#include "dks/error.h"
#include "dks/kernel.h"

/* After @dep was installed for @t: rebuild (and reinstall) the builds for
 * @t made against another version of it. 0 unless the tree could not be
 * read; a failed rebuild is a warning line. */
int dks_rebuild_dependents(struct dks_ctx *ctx, const char *dep, const struct dks_target *t,
			   struct dks_error *err);

#endif
