/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OpenSSL (through lazylib.h) for the rooms that use it: cleanup
 * attributes for its objects and one way to report its errors
 * (common/ossl.c). Include after the OpenSSL headers and dks/lazylib.h.
 */
#ifndef DKS_OSSL_H
#define DKS_OSSL_H

#include "dks/error.h"
#include "dks/lazylib.h"

static inline void bio_freep(BIO **p)
{
	BIO_free_all(*p);
}

static inline void pkey_freep(EVP_PKEY **p)
{
	EVP_PKEY_free(*p);
}

static inline void x509_freep(X509 **p)
{
	X509_free(*p);
}

static inline void cms_freep(CMS_ContentInfo **p)
{
	CMS_ContentInfo_free(*p);
}

static inline void bn_freep(BIGNUM **p)
{
	BN_free(*p);
}

#define cleanup_bio  __attribute__((cleanup(bio_freep)))
#define cleanup_pkey __attribute__((cleanup(pkey_freep)))
#define cleanup_x509 __attribute__((cleanup(x509_freep)))
#define cleanup_cms  __attribute__((cleanup(cms_freep)))
#define cleanup_bn   __attribute__((cleanup(bn_freep)))

/* Fill @err with the message and the first queued OpenSSL error (the root
 * cause), then empty the queue so that no stale error explains a later
 * failure. Returns -1. */
int dks_ossl_err(struct dks_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
