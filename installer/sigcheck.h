/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A module that arrives signed (a keyless fleet host, docs/install.md
 * "Fleet hosts"): its appended signature parsed as the kernel's
 * mod_check_sig() parses it, strictly, and its PKCS#7/CMS verified against
 * the one certificate the host trusts (the enrolled MOK), with the hash
 * the kernel uses. No private key is read.
 *
 *   content | CMS SignedData (DER) | struct module_signature | marker
 *
 * struct module_signature: algo, hash, id_type, signer_len, key_id_len,
 * __pad[3] (all 0 but id_type = 2, PKCS#7), be32 sig_len.
 */
#ifndef DKS_SIGCHECK_H
#define DKS_SIGCHECK_H

#include <stddef.h>

#include "dks/error.h"

struct dks_sig_trailer {
	size_t content_len;	 /* the module without its signature */
	size_t sig_off, sig_len; /* the DER CMS, inside the image */
};

/* Parse the trailer of @len bytes (every length checked against what is
 * there, no arithmetic that can wrap). 0, or -1 with *why a static
 * sentence saying what is wrong. */
int dks_sig_trailer_parse(const void *ko, size_t len, struct dks_sig_trailer *t, const char **why);

struct dks_trust;

/* The trusted certificate (PEM or DER), read through the key's checked
 * path (sign.h: no symlink, root's, not writable by others). */
int dks_trust_load(const char *cert_path, struct dks_trust **out, struct dks_error *err);
void dks_trust_free(struct dks_trust *t);
/* The certificate's subject, for messages ("CN=..."). */
const char *dks_trust_name(const struct dks_trust *t);

/* Does @ko's appended signature verify: exactly one signer, the trusted
 * certificate, digest @hash (the kernel's CONFIG_MODULE_SIG_HASH; NULL:
 * any), over exactly the content before it? 0 with *content_len set, or
 * -1 with @err naming @what and the reason. */
int dks_sig_verify(const struct dks_trust *t, const char *hash, const void *ko, size_t len,
		   size_t *content_len, const char *what, struct dks_error *err);

/* A module as it arrives (install; ldtarball may call it before marking a
 * loaded build built): one that carries a signature has its trailer
 * parsed and, with @t, its signature verified (without @t the signature
 * is left to install's check); then the bytes before it, or the whole
 * unsigned module, validated for @k (validate.h). 0 or -1. */
struct dks_kernel_facts;
int dks_module_validate_arrived(const void *ko, size_t len, const char *expected,
				const struct dks_kernel_facts *k, const struct dks_trust *t,
				const char *what, struct dks_error *err);

#endif
