// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms's generate_mok (include/dks/mok.h): a new module signing key and
 * its certificate. Not part of the installer: the installer only reads a
 * key (installer/sign.c); making one is an administrator's verb.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dks/cleanup.h"
#include "dks/lazylib.h"
#include "dks/mok.h"
#include "dks/ossl.h"

#define MOK_BITS	2048
#define MOK_DAYS	36500 /* dkms: `openssl req -x509 -days 36500` */
#define MOK_SERIAL_BITS 159   /* as `openssl req -x509`: positive, < 20 octets */

/* 159 random bits, as `openssl req -x509` makes serials: positive and
 * under the 20 octets RFC 5280 allows. */
static int set_serial(X509 *x)
{
	cleanup_bn BIGNUM *bn = BN_new();

	if (!bn || !BN_rand(bn, MOK_SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY))
		return -1;
	return BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ? 0 : -1;
}

static int set_names(X509 *x, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0))
		return -1;
	return X509_set_issuer_name(x, name) ? 0 : -1;
}

/* The kernel's certs/default_x509.genkey extensions, plus the extended key
 * usage that limits the key to module signing. SKI before AKI: the
 * authority key id of a self-signed certificate is its own SKI. */
static const struct {
	int nid;
	const char *value;
} mok_extensions[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "digitalSignature"},
    {NID_ext_key_usage, "codeSigning,1.3.6.1.4.1.2312.16.1.2"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid"},
};

static int add_extensions(X509 *x)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(mok_extensions) / sizeof(mok_extensions[0]); i++) {
		X509_EXTENSION *ext =
		    X509V3_EXT_conf_nid(NULL, &ctx, mok_extensions[i].nid, mok_extensions[i].value);
		int ok = ext && X509_add_ext(x, ext, -1);

		X509_EXTENSION_free(ext);
		if (!ok)
			return -1;
	}
	return 0;
}

static int make_cert(EVP_PKEY *key, const char *cn, const char *cert_path, X509 **out,
		     struct dks_error *err)
{
	cleanup_x509 X509 *x = X509_new();

	if (!x || !X509_set_version(x, X509_VERSION_3) || set_serial(x) < 0 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), MOK_DAYS, 0, NULL) || set_names(x, cn) < 0 ||
	    !X509_set_pubkey(x, key) || add_extensions(x) < 0 || !X509_sign(x, key, EVP_sha256()))
		return dks_ossl_err(err, "%s: cannot make the certificate", cert_path);
	*out = steal_pointer(&x);
	return 0;
}

/* O_EXCL: an existing key is never replaced (it may be enrolled already),
 * and O_NOFOLLOW: a planted link cannot redirect the write. */
static int create_new(const char *path, mode_t mode, struct dks_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0 && errno == EEXIST)
		return dks_err(err, 0, "%s: already exists (refusing to overwrite it)", path);
	if (fd < 0)
		return dks_err(err, errno, "%s: cannot create", path);
	/* The mode exactly, whatever the umask. */
	if (fchmod(fd, mode) < 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return dks_err(err, e, "%s: cannot chmod %04o", path, (unsigned)mode);
	}
	return fd;
}

static int write_bio(int fd, const char *path, BIO *bio, struct dks_error *err)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	size_t done = 0;

	while (len > 0 && done < (size_t)len) {
		ssize_t n = write(fd, data + done, (size_t)len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dks_err(err, errno, "%s: cannot write", path);
		done += (size_t)n;
	}
	if (fsync(fd) < 0)
		return dks_err(err, errno, "%s: cannot write", path);
	return 0;
}

/* @path's temporary name, beside it (link() cannot cross file systems). */
static void tmp_name(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "%s.new-%ld", path, (long)getpid());
}

/* @tmp, written, at @path: link() fails rather than replace an existing
 * file, and the file appears whole, never half-written. */
static int link_new(const char *tmp, const char *path, struct dks_error *err)
{
	if (link(tmp, path) == 0)
		return 0;
	if (errno == EEXIST)
		return dks_err(err, 0, "%s: already exists (refusing to overwrite it)", path);
	return dks_err(err, errno, "%s: cannot create", path);
}

/* Both written under temporary names, then linked into place, the key
 * last: whoever sees the key sees a whole pair (an install that finds it
 * does not take the lock a first install makes it under). A failure
 * removes only what this call created, never an existing key. */
static int write_pair(const char *key_path, BIO *key_pem, const char *cert_path, BIO *cert_der,
		      struct dks_error *err)
{
	char ktmp[PATH_MAX], ctmp[PATH_MAX];
	cleanup_close int kfd = -1, cfd = -1;
	int ret = -1;

	tmp_name(ktmp, sizeof(ktmp), key_path);
	tmp_name(ctmp, sizeof(ctmp), cert_path);
	unlink(ktmp); /* left by a killed run of this pid */
	unlink(ctmp);
	kfd = create_new(ktmp, 0600, err);
	cfd = kfd < 0 ? -1 : create_new(ctmp, 0644, err);
	if (cfd >= 0 && write_bio(kfd, ktmp, key_pem, err) == 0 &&
	    write_bio(cfd, ctmp, cert_der, err) == 0 && link_new(ctmp, cert_path, err) == 0) {
		ret = link_new(ktmp, key_path, err);
		if (ret < 0)
			unlink(cert_path);
	}
	unlink(ktmp);
	unlink(ctmp);
	return ret;
}

static int generate_mok(const char *key_path, const char *cert_path, const char *common_name,
		     struct dks_error *err)
{
	cleanup_pkey EVP_PKEY *key = EVP_RSA_gen(MOK_BITS);
	cleanup_x509 X509 *cert = NULL;
	/* secmem: the PEM text of the key is cleared when the BIO is freed. */
	cleanup_bio BIO *key_pem = BIO_new(BIO_s_secmem());
	cleanup_bio BIO *cert_der = BIO_new(BIO_s_mem());

	if (!key)
		return dks_ossl_err(err, "%s: cannot generate an RSA-%d key", key_path, MOK_BITS);
	if (make_cert(key, common_name, cert_path, &cert, err) < 0)
		return -1;
	/* PKCS#8, unencrypted: what `openssl req -nodes` writes for dkms. */
	if (!key_pem || !cert_der ||
	    !PEM_write_bio_PrivateKey(key_pem, key, NULL, NULL, 0, NULL, NULL) ||
	    i2d_X509_bio(cert_der, cert) != 1)
		return dks_ossl_err(err, "%s: cannot encode the new key and certificate", key_path);
	return write_pair(key_path, key_pem, cert_path, cert_der, err);
}

int dks_generate_mok(const char *key_path, const char *cert_path, const char *common_name,
		     struct dks_error *err)
{
	/* libcrypto first (lazylib.h). */
	return dks_lazylib_load(err) < 0 ? -1 : generate_mok(key_path, cert_path, common_name, err);
}
