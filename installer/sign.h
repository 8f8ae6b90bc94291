/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module signing, in-process with OpenSSL (facts.md, "Module signatures"):
 * the .ko bytes, then a DER CMS SignedData (detached, no certificates, no
 * signed attributes), then struct module_signature (12 bytes, id_type 2,
 * be32 sig_len), then "~Module signature appended~\n". Byte-identical to
 * the kernel's scripts/sign-file for RSA keys.
 *
 * The key is read only by the installer, after every sandbox has exited,
 * from a file that passes the hygiene checks below; no profile can bind it.
 */
#ifndef DKS_SIGN_H
#define DKS_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"

#define DKS_MODULE_SIG_MAGIC "~Module signature appended~\n"

struct dks_signer;

/* Load a private key (PEM) and its certificate (PEM or DER, like dkms's
 * mok.key / mok.pub). Hygiene: opened O_NOFOLLOW, a regular file, owned by
 * root (or by the caller when not root), mode & 077 == 0 for the key,
 * every parent directory owned by root and not group/world writable, and
 * the key must match the certificate (X509_check_private_key). Each
 * refusal is one line naming the file and the reason.
 * Details: the path is walked from / one component at a time with
 * O_NOFOLLOW, so a symlink anywhere on it is refused; directories follow
 * the same owner rule as the files (root, or the caller when not root);
 * a sticky directory owned by root (/tmp) counts as safe, since there only
 * an entry's owner can rename it; the certificate must not be group/world
 * writable; an encrypted key is refused (never a passphrase prompt). */
int dks_signer_load(const char *key_path, const char *cert_path, struct dks_signer **out,
		    struct dks_error *err);
void dks_signer_free(struct dks_signer *s);

/* A certificate alone (PEM or DER) through the same checked path: what a
 * keyless host trusts (sigcheck.h). Call after dks_lazylib_load(). */
struct x509_st;
int dks_cert_load(const char *cert_path, struct x509_st **out, struct dks_error *err);

/* Sign @len bytes of a module with @hash ("sha256", the kernel's
 * CONFIG_MODULE_SIG_HASH): *out is the module with its signature appended
 * (malloc'd). A module that already carries the marker is refused. */
int dks_sign_module(const struct dks_signer *s, const char *hash, const void *ko, size_t len,
		    void **out, size_t *out_len, struct dks_error *err);

/* The length of @ko without its appended signature: 0 when it carries
 * none, or a malformed one. */
size_t dks_module_unsigned_len(const void *ko, size_t len);
/* Does the image end with the signature marker? */
bool dks_module_is_signed(const void *ko, size_t len);

/* A detached CMS signature (DER, sha256, no certificates, no signed
 * attributes) of @len bytes: an archive's manifest. *sig malloc'd. */
int dks_sign_detached(const struct dks_signer *s, const void *buf, size_t len, void **sig,
		      size_t *sig_len, struct dks_error *err);
/* Does @sig sign @buf with the key of the certificate at @cert_path (PEM
 * or DER, the same hygiene as dks_signer_load's), and no other? 0, or -1
 * with one line naming @what. */
int dks_verify_detached(const char *cert_path, const void *buf, size_t len, const void *sig,
			size_t sig_len, const char *what, struct dks_error *err);

#endif
