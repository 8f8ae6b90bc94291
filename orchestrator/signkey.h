/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module signing key made on the first install that needs one: signkey.c. */
#ifndef DKS_SIGNKEY_H
#define DKS_SIGNKEY_H

#include "dks/error.h"

/* The installer's make_key (dks_install_key_fn, @arg unused): under a lock
 * on the key's directory, make @key and @cert with generate-mok's
 * parameters unless they appeared meanwhile, and say once how to enrol
 * the certificate. 0, or -1 with @err filled. */
int dks_signkey_make(void *arg, const char *key, const char *cert, struct dks_error *err);

#endif
