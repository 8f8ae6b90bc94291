// SPDX-License-Identifier: GPL-2.0-or-later
/* OpenSSL's errors in the error convention: include/dks/ossl.h. */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dks/lazylib.h"
#include "dks/ossl.h"

int dks_ossl_err(struct dks_error *err, const char *fmt, ...)
{
	char what[DKS_ERROR_MSG_MAX / 2];
	unsigned long e = ERR_get_error();
	const char *lib = ERR_lib_error_string(e);
	const char *reason = ERR_reason_error_string(e);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ERR_clear_error();
	if (!e)
		return dks_err(err, 0, "%s", what);
	return dks_err(err, 0, "%s: %s%s%s", what, lib ? lib : "", lib ? ": " : "",
		       reason ? reason : "unknown OpenSSL error");
}
