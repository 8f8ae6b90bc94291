/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernels a verb works on, from its command line (targets.c). */
#ifndef DKS_TARGETS_H
#define DKS_TARGETS_H

#include "cli.h"
#include "dks/kernel.h"

struct dks_targets {
	struct dks_target *t;
	size_t n;
};

/* One more: "KVER" or "KVER/ARCH", its headers (--kernelsourcedir or the
 * install tree), its .config (--config), -a's arch. */
int dks_targets_add(struct dks_targets *ts, const char *spec, const struct dks_ctx *ctx,
		    struct dks_error *err);
/* -k ..., --all (every kernel with headers), or the running kernel. */
int dks_targets_resolve(const struct dks_ctx *ctx, struct dks_targets *ts,
			struct dks_error *err);

#endif
