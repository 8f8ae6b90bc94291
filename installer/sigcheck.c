// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Modules that arrive signed (installer/sigcheck.h). The trailer comes
 * from whoever made the module file: a hostile one. Its parser reads the
 * twelve bytes of struct module_signature byte by byte, refuses every
 * field the kernel refuses, and compares sig_len with what is left
 * before it (a subtraction that cannot wrap: the sizes are checked
 * first); the DER must fill exactly sig_len bytes. Only then is OpenSSL
 * given the CMS, with our certificate as the only one it may use
 * (CMS_NOINTERN), never one carried in the signature.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "dks/cleanup.h"
#include "dks/lazylib.h"
#include "dks/ossl.h"
#include "sigcheck.h"
#include "sign.h"
#include "validate.h"

#define MAGIC_LEN (sizeof(DKS_MODULE_SIG_MAGIC) - 1)
#define INFO_LEN  12 /* struct module_signature */
#define ID_PKCS7  2

struct dks_trust {
	X509 *cert;
	char name[256];
};

int dks_sig_trailer_parse(const void *ko, size_t len, struct dks_sig_trailer *t, const char **why)
{
	const unsigned char *p = ko, *info;
	uint32_t sig_len;
	size_t avail;

	if (len < MAGIC_LEN || memcmp(p + len - MAGIC_LEN, DKS_MODULE_SIG_MAGIC, MAGIC_LEN) != 0)
		return *why = "no signature marker at the end", -1;
	if (len - MAGIC_LEN < INFO_LEN)
		return *why = "the signature trailer is truncated", -1;
	avail = len - MAGIC_LEN - INFO_LEN; /* content and signature */
	info = p + avail;
	/* The kernel's mod_check_sig(): only PKCS#7, every other field 0. */
	if (info[2] != ID_PKCS7)
		return *why = "the signature is not PKCS#7 (id_type is not 2)", -1;
	for (int i = 0; i < 8; i++)
		if (i != 2 && info[i] != 0)
			return *why = "struct module_signature has a non-zero reserved field", -1;
	sig_len =
	    (uint32_t)info[8] << 24 | (uint32_t)info[9] << 16 | (uint32_t)info[10] << 8 | info[11];
	if (sig_len == 0)
		return *why = "the signature length is 0", -1;
	if (sig_len >= avail) /* at least one byte of module before it */
		return *why = "the signature length is larger than the file", -1;
	*t = (struct dks_sig_trailer){avail - sig_len, avail - sig_len, sig_len};
	if (t->content_len >= MAGIC_LEN &&
	    memcmp(p + t->content_len - MAGIC_LEN, DKS_MODULE_SIG_MAGIC, MAGIC_LEN) == 0)
		return *why = "signed twice (a signature under the signature)", -1;
	return 0;
}

static int trust_load(const char *cert_path, struct dks_trust **out, struct dks_error *err)
{
	struct dks_trust *t = calloc(1, sizeof(*t));

	if (!t)
		return dks_err(err, ENOMEM, "%s", cert_path);
	if (dks_cert_load(cert_path, &t->cert, err) < 0) {
		free(t);
		return -1;
	}
	X509_NAME_oneline(X509_get_subject_name(t->cert), t->name, sizeof(t->name));
	*out = t;
	return 0;
}

int dks_trust_load(const char *cert_path, struct dks_trust **out, struct dks_error *err)
{
	*out = NULL;
	return dks_lazylib_load(err) < 0 ? -1 : trust_load(cert_path, out, err);
}

void dks_trust_free(struct dks_trust *t)
{
	if (!t)
		return;
	X509_free(t->cert);
	free(t);
}

const char *dks_trust_name(const struct dks_trust *t)
{
	return t->name;
}

/* The DER CMS of exactly @len bytes, a SignedData. */
static CMS_ContentInfo *parse_cms(const unsigned char *der, size_t len, const char **why)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;

	if (len > LONG_MAX)
		return *why = "the signature is too long", NULL;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms)
		return *why = "the signature is not a DER PKCS#7/CMS structure", NULL;
	if ((size_t)(p - der) != len)
		*why = "bytes after the PKCS#7/CMS structure inside the signature";
	else if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		*why = "the signature is not a PKCS#7 SignedData";
	else
		return cms;
	CMS_ContentInfo_free(cms);
	return NULL;
}

/* One signer, our certificate, the kernel's hash. */
static int check_signer(const struct dks_trust *t, CMS_ContentInfo *cms, const char *hash,
			const char *what, struct dks_error *err)
{
	STACK_OF(CMS_SignerInfo) *si = CMS_get0_SignerInfos(cms);
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *obj = NULL;
	const EVP_MD *md = hash ? EVP_get_digestbyname(hash) : NULL;

	if (!si || sk_CMS_SignerInfo_num(si) != 1)
		return dks_err(err, 0, "%s: refused: the signature has %d signers, not one", what,
			       si ? sk_CMS_SignerInfo_num(si) : 0);
	if (CMS_SignerInfo_cert_cmp(sk_CMS_SignerInfo_value(si, 0), t->cert) != 0)
		return dks_err(err, 0,
			       "%s: refused: signed by another key than the trusted "
			       "certificate's (%s)",
			       what, t->name);
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(si, 0), NULL, NULL, &dig, NULL);
	if (dig)
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
	if (hash && !md)
		return dks_err(err, 0, "%s: the kernel's hash \"%s\" is unknown", what, hash);
	if (md && (!obj || OBJ_obj2nid(obj) != EVP_MD_get_type(md)))
		return dks_err(err, 0, "%s: refused: signed with %s, the kernel uses %s", what,
			       obj ? OBJ_nid2sn(OBJ_obj2nid(obj)) : "no digest", hash);
	return 0;
}

static int verify(const struct dks_trust *t, const char *hash, const void *ko, size_t len,
		  size_t *content_len, const char *what, struct dks_error *err)
{
	struct dks_sig_trailer tr;
	const char *why = NULL;
	cleanup_cms CMS_ContentInfo *cms = NULL;
	cleanup_bio BIO *content = NULL;
	STACK_OF(X509) *certs = NULL;
	int ok;

	if (dks_sig_trailer_parse(ko, len, &tr, &why) < 0)
		return dks_err(err, 0, "%s: refused: %s", what, why);
	cms = parse_cms((const unsigned char *)ko + tr.sig_off, tr.sig_len, &why);
	if (!cms) {
		ERR_clear_error();
		return dks_err(err, 0, "%s: refused: %s", what, why);
	}
	if (check_signer(t, cms, hash, what, err) < 0)
		return -1;
	if (tr.content_len > INT_MAX)
		return dks_err(err, EFBIG, "%s", what);
	content = BIO_new_mem_buf(ko, (int)tr.content_len);
	certs = sk_X509_new_null();
	if (!content || !certs || !sk_X509_push(certs, t->cert)) {
		sk_X509_free(certs);
		return dks_ossl_err(err, "%s: cannot check the signature", what);
	}
	/* Only our certificate; the MOK is trusted as itself, no chain. */
	ok = CMS_verify(cms, certs, NULL, content, NULL,
			CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY);
	sk_X509_free(certs);
	if (ok != 1) {
		ERR_clear_error();
		return dks_err(err, 0,
			       "%s: refused: the signature does not verify against %s "
			       "(the module changed after signing, or another module's)",
			       what, t->name);
	}
	*content_len = tr.content_len;
	return 0;
}

int dks_sig_verify(const struct dks_trust *t, const char *hash, const void *ko, size_t len,
		   size_t *content_len, const char *what, struct dks_error *err)
{
	return dks_lazylib_load(err) < 0 ? -1 : verify(t, hash, ko, len, content_len, what, err);
}

int dks_module_validate_arrived(const void *ko, size_t len, const char *expected,
				const struct dks_kernel_facts *k, const struct dks_trust *t,
				const char *what, struct dks_error *err)
{
	struct dks_sig_trailer tr;
	const char *why = NULL;
	size_t content = len;

	if (dks_module_is_signed(ko, len)) {
		if (t && dks_sig_verify(t, k->sig_hash, ko, len, &content, what, err) < 0)
			return -1;
		if (!t && dks_sig_trailer_parse(ko, len, &tr, &why) < 0)
			return dks_err(err, 0, "%s: refused: %s", what, why);
		if (!t)
			content = tr.content_len;
	}
	return dks_module_validate(ko, content, expected, k, what, err);
}
