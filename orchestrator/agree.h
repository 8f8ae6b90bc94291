/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two builders must agree before a signing host signs (docs/fleet.md):
 * sign --check rebuilds here (buildcheck.h), sign --agree-with ARCHIVE
 * compares another builder's archive with the tree's build (agree.c):
 * the same unit (agreeref.c: this host's inputs, digested as mktarball
 * digests them) and byte-identical .ko files. signconfirm.c counts the
 * confirmations against sign_requires_agreement, before anything is
 * signed.
 */
#ifndef DKS_AGREE_H
#define DKS_AGREE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "dks/identity.h"
#include "dks/manifest.h"

/* This host's view of one kernel's unit of m/v. */
struct dks_agree_kernel {
	const struct dks_target *t;
	char spec[DKS_SHA256_HEX];
	struct dks_kernel_id id;
	char first_unit[DKS_SHA256_HEX]; /* the first archive's ("" none yet) */
	const char *first_archive;
	unsigned confirmed; /* archives that agreed on this kernel's build */
};

/* m/v's unit here, per kernel being signed. An input this host cannot
 * know (the source of a binaries-only load: dkms's stub; the toolchain
 * when the configured one has no gcc) is "" and taken from each archive,
 * whose unit digests must then all be the same. */
struct dks_agree_ref {
	const char *module, *version, *profile;
	char source[DKS_SHA256_HEX], toolchain[DKS_SHA256_HEX];
	struct dks_agree_kernel *k;
	size_t n;
};

/* agreeref.c: @ref for @n targets (their spec evaluated as build does). */
int dks_agree_ref_make(struct dks_ctx *ctx, const char *m, const char *v,
		       const struct dks_target *t, size_t n, struct dks_agree_ref *ref,
		       struct dks_error *err);
void dks_agree_ref_clear(struct dks_agree_ref *ref);
/* agreeref.c: the archive's block @mk against kernel @k of @ref: its unit
 * digest must be the digest of this host's inputs (the archive's claim
 * where this host knows none) and the first archive's. -1 with @err
 * (DKS_EXIT_CHECK_DIFFERS) naming the inputs that differ. */
int dks_agree_unit(struct dks_agree_ref *ref, struct dks_agree_kernel *k,
		   const struct dks_manifest_kernel *mk, const char *archive,
		   struct dks_error *err);

/* agree.c: @archive (extracted and checked as ldtarball does, below
 * @scratch, never into the tree) holds, for each kernel of @ref it has a
 * build for (one at least), the same unit and the same .ko bytes as the
 * tree's build; each such kernel's confirmed count goes up. */
int dks_agree_archive(struct dks_ctx *ctx, struct dks_agree_ref *ref, const char *archive,
		      const char *scratch, struct dks_error *err);

/* signconfirm.c: sign's confirmations of m/v's builds for @t (--check,
 * each --agree-with), all before any signing; at least the configured
 * sign_requires_agreement of them for every kernel, and one at least
 * when any is given (else DKS_EXIT_UNCONFIRMED). */
int dks_sign_confirm(struct dks_ctx *ctx, const char *m, const char *v,
		     const struct dks_target *t, size_t n, struct dks_error *err);

#endif
