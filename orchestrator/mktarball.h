/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mktarball (mktarball.c) and the manifest it writes (mkmanifest.c). */
#ifndef DKS_MKTARBALL_H
#define DKS_MKTARBALL_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"
#include "dks/tree.h"

struct dks_mktarball {
	const struct dks_tree *tree;
	const char *module, *version;
	const char *const *kvers, *const *arches;
	size_t n_kernels;
	bool source_only, binaries_only;
	const char *archive;              /* --archive, or NULL */
	const char *conf;                 /* -c: binaries-only's dkms.conf */
	const char *sign_key, *sign_cert; /* --sign: the manifest's signer */
	const char *kernelsourcedir;
	const char *boot_dir; /* config-KVER of a kernel without headers (NULL: /boot) */
	/* identity.h's digests of the source and the toolchain ("" unknown) */
	char source_digest[65], toolchain_digest[65];
	const char *toolchain_label;
	char (*spec_digests)[65], (*unit_digests)[65]; /* per kernel (mkinputs.c) */
};

int dks_mktarball(const struct dks_mktarball *o, struct dks_error *err);
/* dkms's die 6: every kernel of @o built (none needed with source_only). */
int dks_mktarball_check_built(const struct dks_mktarball *o, struct dks_error *err);
struct dks_ctx;
/* The source's and the configured toolchain's digests (mkinputs.c);
 * *label "gcc N" (malloc'd, also in o->toolchain_label). */
int dks_mktarball_inputs(const struct dks_ctx *ctx, struct dks_mktarball *o, char **label,
			 struct dks_error *err);
/* The spec and unit digests of each kernel's build (mkinputs.c). */
int dks_mktarball_units(struct dks_ctx *ctx, struct dks_mktarball *o, struct dks_error *err);
/* The manifest's text for @o's builds (malloc'd). */
/* @source_whole: the archive carries the source as the digest saw it
 * (false: something was left out, and the manifest's source is "-" so
 * that ldtarball does not check the copy against it). */
int dks_mktarball_manifest(const struct dks_mktarball *o, bool source_whole, char **text,
			   size_t *len, struct dks_error *err);

#endif
