/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dropping one build, installed or not: unbuild.c. */
#ifndef DKS_UNBUILD_H
#define DKS_UNBUILD_H

#include "cli.h"

/* m/v's build for kver/arch uninstalled first when it is installed (no
 * headers needed), then unbuilt, as dkms's unbuild. Caller holds the
 * module's lock. 0, or -1 with @err filled. */
int dks_unbuild_build(struct dks_ctx *ctx, const char *m, const char *v, const char *kver,
		      const char *arch, struct dks_error *err);

/* The kernel hooks' step: "dkms: removing module m/v for kernel K (A)" on
 * stderr, then @s's build dropped as above under the module's lock. A
 * failure is printed here and is -1. */
int dks_unbuild_drop(struct dks_ctx *ctx, const struct dks_status *s);

#endif
