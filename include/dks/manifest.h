/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The manifest of our module archives (docs/archives.md): a line-oriented
 * text at dkms_sandbox/manifest, beside dkms's own layout, that says what
 * the archive holds and for which kernel it was built. One strict parser
 * over bytes (common/manifest.c; no I/O, fuzzable) and one writer.
 */
#ifndef DKS_MANIFEST_H
#define DKS_MANIFEST_H

#include <stddef.h>
#include <stdio.h>

#include "dks/error.h"

#define DKS_MANIFEST_PATH "dkms_sandbox/manifest"
#define DKS_MANIFEST_SIG_PATH "dkms_sandbox/manifest.sig"
#define DKS_MANIFEST_FORMAT 1
#define DKS_MANIFEST_MAX (1u << 20) /* bytes */
#define DKS_MANIFEST_KERNELS_MAX 64
#define DKS_MANIFEST_KOS_MAX 256    /* per kernel */
#define DKS_MANIFEST_HEX 65         /* 64 hex digits + NUL; "" written as "-" */

struct dks_manifest_ko {
	char *path;                  /* relative to dkms_main_tree/<kver>/<arch>/ */
	char sha256[DKS_MANIFEST_HEX];
	char *signer;                /* NULL: not signed */
};

struct dks_manifest_kernel {
	char *kver, *arch, *vermagic;
	char config[DKS_MANIFEST_HEX], symvers[DKS_MANIFEST_HEX];
	char vmlinux[DKS_MANIFEST_HEX]; /* dks_vmlinux_digest; "" absent (older archives) */
	char toolchain[DKS_MANIFEST_HEX], source[DKS_MANIFEST_HEX];
	char spec[DKS_MANIFEST_HEX], unit[DKS_MANIFEST_HEX];
	char *toolchain_label;
	struct dks_manifest_ko *kos;
	size_t n_kos;
};

struct dks_manifest {
	char *module, *version;
	struct dks_manifest_kernel *kernels;
	size_t n_kernels;
};

/* Parse @len bytes (@what names them in messages: "ARCHIVE: manifest").
 * Every line is "KEY VALUE" or "KEY"; the first is "format 1", the last
 * "end"; unknown keys, repeated keys, missing ones, control bytes, names
 * the tree would refuse and malformed digests are refused with the line
 * number. *out is freed with dks_manifest_free. */
int dks_manifest_parse(const char *buf, size_t len, const char *what, struct dks_manifest **out,
		       struct dks_error *err);
void dks_manifest_free(struct dks_manifest *m);
/* Write @m in the form the parser reads. 0, or -1 with errno. */
int dks_manifest_write(FILE *f, const struct dks_manifest *m);
/* The kernel @kver/@arch in @m, or NULL. */
const struct dks_manifest_kernel *dks_manifest_kernel(const struct dks_manifest *m,
						      const char *kver, const char *arch);

#endif
