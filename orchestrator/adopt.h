/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taking over a build dkms made (docs/tree.md, "A tree dkms left"): dkms
 * writes module/ and log/ but not our handoff (the manifest and the
 * hooks, dks/handoff.h) that install and uninstall read. We write it from
 * the module's spec, evaluated in a sandbox exactly as a build does.
 */
#ifndef DKS_ADOPT_H
#define DKS_ADOPT_H

#include "cli.h"
#include "dks/kernel.h"

/* When m/v is built for @t but its build has no manifest (dkms built it),
 * take dkms's signatures off its modules (we sign at install) and write
 * the manifest and hooks from its spec; else nothing. Caller holds
 * the module's lock. 0, or -1 with @err filled (the spec's exit code). */
int dks_adopt_build(struct dks_ctx *ctx, const char *m, const char *v,
		    const struct dks_target *t, struct dks_error *err);

#endif
