/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel a built module is installed (or signed) for, on a host that
 * may have no headers: a fleet host (docs/install.md "Fleet hosts").
 */
#ifndef DKS_PREBUILT_H
#define DKS_PREBUILT_H

#include "cli.h"
#include "dks/kernel.h"

/* @spec ("KVER[/ARCH]", NULL: the running kernel) resolved as
 * dks_target_resolve does, headers and all. Without headers, and only
 * when m/v is built for that kernel, a target without them: its kver,
 * arch and <boot_dir>/config-KVER as its config (compression); the
 * installer then learns the kernel from its own modules. Otherwise
 * dks_target_resolve's error (21): what is not built still needs headers. */
int dks_target_prebuilt(const struct dks_ctx *ctx, const char *spec, const char *m, const char *v,
			struct dks_target *out, struct dks_error *err);

/* As dks_target_prebuilt, but without headers a target without them
 * whatever is built: for uninstall, which needs none (dkms: "not
 * installed ... Skipping", 0, for a kernel it knows nothing of). */
int dks_target_uninstall(const struct dks_ctx *ctx, const char *spec, struct dks_target *out,
			 struct dks_error *err);

/* @spec resolved with its headers when it has them; else (no
 * --kernelsourcedir), when something in the tree is built for that kernel,
 * only its kver, arch and <boot_dir>/config-KVER: for autoinstall, which
 * installs what is built already and fails (21) each module it would have
 * to build; else dks_target_resolve's error (21), before anything runs. */
int dks_target_headerless(const struct dks_ctx *ctx, const char *spec, struct dks_target *out,
			  struct dks_error *err);

#endif
