/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A new module signing key: orchestrator/mok.c. */
#ifndef DKS_MOK_H
#define DKS_MOK_H

#include "dks/error.h"

/* The certificate's CN, for generate-mok and the first-install key. */
#define DKS_MOK_COMMON_NAME "dkms-sandbox module signing key"

/* dkms generate_mok: RSA-2048, sha256, self-signed X.509 with the
 * module-signing extended key usage (1.3.6.1.4.1.2312.16.1.2); the key
 * written 0600 (PEM), the certificate DER (mok.pub, for mokutil --import).
 * Refuses to overwrite existing files. */
int dks_generate_mok(const char *key_path, const char *cert_path, const char *common_name,
		     struct dks_error *err);

#endif
