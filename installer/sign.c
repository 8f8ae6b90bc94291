// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Module signing (installer/sign.h): the key and certificate loaded
 * through a checked path, the CMS signature made exactly as the kernel's
 * scripts/sign-file makes it. Key generation is not here (orchestrator/mok.c):
 * the installer only ever reads a key.
 *
 * Only the privileged installer runs this, after every sandbox has exited:
 * nothing a build produced can reach the key, and the key never has to be
 * bound into a sandbox.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dks/cleanup.h"
#include "sign.h"
#include "dks/fileio.h"
#include "dks/lazylib.h"
#include "dks/ossl.h"

#define KEY_FILE_MAX	(1 << 20) /* a PEM key or a certificate is a few KiB */
#define MAGIC_LEN	(sizeof(DKS_MODULE_SIG_MAGIC) - 1)

/* The kernel's struct module_signature (include/linux/module_signature.h):
 * for PKCS#7 only id_type and the trailing be32 sig_len are used. */
#define SIG_INFO_LEN 12
#define SIG_ID_PKCS7 2

struct dks_signer {
	EVP_PKEY *key;
	X509 *cert;
	char *key_path; /* names the key in signing errors */
};

/* The bytes of a key or certificate file; cleared before they are freed,
 * so that no copy of the private key lingers on the heap. */
struct blob {
	unsigned char *data;
	size_t len;
};

static void blob_clearp(struct blob *b)
{
	if (b->data) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
}

static void signer_freep(struct dks_signer **p)
{
	dks_signer_free(*p);
}

#define cleanup_blob   __attribute__((cleanup(blob_clearp)))
#define cleanup_signer __attribute__((cleanup(signer_freep)))

/* Owned by root, or by the caller when the caller is not root: nobody
 * else may be able to rewrite or replace a key that we trust. */
static bool trusted_owner(uid_t uid)
{
	uid_t me = geteuid();

	return uid == 0 || (me != 0 && uid == me);
}

/* A directory on the way to the key: whoever can write in it can swap the
 * key or the certificate for their own. The exception is a sticky
 * directory owned by root (/tmp): there only an entry's owner may rename
 * or remove it, and every entry on our path has a trusted owner. */
static int check_dir(int fd, const char *file, const char *dir, struct dks_error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s: cannot stat directory %s", file, dir);
	if (!trusted_owner(st.st_uid))
		return dks_err(err, 0, "%s: directory %s is owned by uid %u, not by root", file,
			       dir, (unsigned)st.st_uid);
	if ((st.st_mode & 022) && !((st.st_mode & S_ISVTX) && st.st_uid == 0))
		return dks_err(err, 0,
			       "%s: directory %s is writable by group or others (mode %04o)", file,
			       dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Component @name of @dir, opened without following a symlink (a link
 * could point anywhere, past every check) and checked. */
static int open_dir_at(int dir, const char *name, const char *file, const char *path,
		       struct dks_error *err)
{
	struct stat st;
	int fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return dks_err(err, 0, "%s: %s is a symlink (give the real path)", file,
				       path);
		return dks_err(err, e, "%s: cannot open directory %s", file, path);
	}
	if (check_dir(fd, file, path, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file itself: a regular file (O_NONBLOCK: a FIFO cannot hang us),
 * trusted owner, and for the key no access at all for group and others. */
static int open_file_at(int dir, const char *name, const char *file, bool secret,
			struct dks_error *err)
{
	struct stat st;
	mode_t forbidden = secret ? 077 : 022;
	cleanup_close int fd =
	    openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 && errno == ELOOP)
		return dks_err(err, 0, "%s: is a symlink (refusing to follow it)", file);
	if (fd < 0)
		return dks_err(err, errno, "%s: cannot open", file);
	if (fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s: cannot stat", file);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "%s: not a regular file", file);
	if (!trusted_owner(st.st_uid))
		return dks_err(err, 0, "%s: owned by uid %u, not by root", file,
			       (unsigned)st.st_uid);
	if (st.st_mode & forbidden)
		return dks_err(err, 0, "%s: mode %04o: %s", file, (unsigned)(st.st_mode & 07777),
			       secret ? "a private key must not be accessible by group or others "
					"(chmod 600)"
				      : "writable by group or others");
	return steal_fd(&fd);
}

/* @path made absolute, so that the walk checks every directory from /. */
static char *absolute(const char *path)
{
	cleanup_free char *cwd = NULL;
	char *abs = NULL;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd || asprintf(&abs, "%s/%s", cwd, path) < 0)
		return NULL;
	return abs;
}

/* Open @file for reading after checking every directory on its path, one
 * component at a time from /, each through the descriptor of the one
 * before: what is checked is what is opened. */
static int open_checked(const char *file, bool secret, struct dks_error *err)
{
	cleanup_free char *abs = absolute(file);
	cleanup_close int dir = -1;
	char *p = abs;

	if (!abs)
		return dks_err(err, errno, "%s: cannot make the path absolute", file);
	dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || check_dir(dir, file, "/", err) < 0)
		return dir < 0 ? dks_err(err, errno, "%s: cannot open /", file) : -1;
	for (;;) {
		p += strspn(p, "/");
		char *end = p + strcspn(p, "/");
		if (end[strspn(end, "/")] == '\0') {
			*end = '\0'; /* the last component (a trailing '/' dropped) */
			break;
		}
		*end = '\0'; /* abs is now the directory's own path */
		int next = open_dir_at(dir, p, file, abs, err);
		*end = '/';
		if (next < 0)
			return -1;
		close(dir);
		dir = next;
		p = end;
	}
	return open_file_at(dir, *p ? p : ".", file, secret, err);
}

/* The whole of a checked file, read into memory that blob_clearp clears. */
static int read_checked(const char *file, bool secret, struct blob *b, struct dks_error *err)
{
	struct stat st;
	ssize_t got;
	cleanup_close int fd = open_checked(file, secret, err);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s: cannot stat", file);
	if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX)
		return dks_err(err, 0, "%s: %lld bytes is not the size of a key or certificate",
			       file, (long long)st.st_size);
	/* Sized once: a growing buffer would leave copies of a key behind. */
	b->len = (size_t)st.st_size;
	b->data = malloc(b->len);
	if (!b->data)
		return dks_err(err, ENOMEM, "%s: cannot read", file);
	got = dks_read_full(fd, b->data, b->len);
	if (got < 0)
		return dks_err(err, errno, "%s: cannot read", file);
	if ((size_t)got < b->len)
		return dks_err(err, 0, "%s: file shrank while being read", file);
	return 0;
}

/* Refuse a passphrase rather than prompt on the installer's terminal:
 * dkms keys are unencrypted, and the installer runs unattended. Noting
 * that one was asked for gives a clearer message than OpenSSL's. */
static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf, (void)size, (void)rwflag;
	*(bool *)asked = true;
	return -1;
}

static int load_key(const char *file, EVP_PKEY **out, struct dks_error *err)
{
	cleanup_blob struct blob b = {0};
	cleanup_bio BIO *bio = NULL;
	bool asked = false;

	if (read_checked(file, true, &b, err) < 0)
		return -1;
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	*out = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked) : NULL;
	if (!*out && asked) {
		ERR_clear_error();
		return dks_err(err, 0,
			       "%s: the key is encrypted (the installer cannot ask for "
			       "a passphrase)",
			       file);
	}
	if (!*out)
		return dks_ossl_err(err, "%s: not a PEM private key", file);
	return 0;
}

/* PEM first, then DER: dkms's mok.pub is DER, sign-file takes both. */
static int load_cert(const char *file, X509 **out, struct dks_error *err)
{
	cleanup_blob struct blob b = {0};
	cleanup_bio BIO *bio = NULL;
	const unsigned char *p;

	if (read_checked(file, false, &b, err) < 0)
		return -1;
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	*out = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (*out)
		return 0;
	ERR_clear_error(); /* not PEM: expected for a DER certificate */
	p = b.data;
	*out = d2i_X509(NULL, &p, (long)b.len);
	if (!*out)
		return dks_ossl_err(err, "%s: not an X.509 certificate (PEM or DER)", file);
	return 0;
}

int dks_cert_load(const char *cert_path, X509 **out, struct dks_error *err)
{
	return load_cert(cert_path, out, err);
}

static int signer_load(const char *key_path, const char *cert_path, struct dks_signer **out,
		    struct dks_error *err)
{
	cleanup_signer struct dks_signer *s = calloc(1, sizeof(*s));

	if (!s || !(s->key_path = strdup(key_path)))
		return dks_err(err, ENOMEM, "%s: cannot load the signing key", key_path);
	if (load_key(key_path, &s->key, err) < 0 || load_cert(cert_path, &s->cert, err) < 0)
		return -1;
	/* A module signed by a key the certificate does not describe would
	 * fail only at load time, on the target machine. */
	if (X509_check_private_key(s->cert, s->key) != 1)
		return dks_ossl_err(err, "%s: does not match the certificate %s", key_path, cert_path);
	*out = steal_pointer(&s);
	return 0;
}

void dks_signer_free(struct dks_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	free(s->key_path);
	free(s);
}

bool dks_module_is_signed(const void *ko, size_t len)
{
	return len >= MAGIC_LEN &&
	       memcmp((const char *)ko + len - MAGIC_LEN, DKS_MODULE_SIG_MAGIC, MAGIC_LEN) == 0;
}

size_t dks_module_unsigned_len(const void *ko, size_t len)
{
	const unsigned char *info;
	uint32_t be_len;

	if (!dks_module_is_signed(ko, len) || len < MAGIC_LEN + SIG_INFO_LEN)
		return 0;
	info = (const unsigned char *)ko + len - MAGIC_LEN - SIG_INFO_LEN;
	memcpy(&be_len, info + SIG_INFO_LEN - sizeof(be_len), sizeof(be_len));
	if (info[2] != SIG_ID_PKCS7 || ntohl(be_len) > len - MAGIC_LEN - SIG_INFO_LEN)
		return 0;
	return len - MAGIC_LEN - SIG_INFO_LEN - ntohl(be_len);
}

/* The DER CMS SignedData of @ko, with sign-file's flags: detached, no
 * certificates, no signed attributes (the kernel refuses them), the
 * signer named by issuer and serial. */
static int cms_sign(const struct dks_signer *s, const EVP_MD *md, const void *ko, size_t len,
		    BIO **der, struct dks_error *err)
{
	cleanup_bio BIO *content = BIO_new_mem_buf(ko, (int)len);
	cleanup_bio BIO *out = BIO_new(BIO_s_mem());
	cleanup_cms CMS_ContentInfo *cms =
	    CMS_sign(NULL, NULL, NULL, NULL,
		     CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM);

	if (!content || !out || !cms)
		return dks_ossl_err(err, "%s: cannot start a signature", s->key_path);
	if (!CMS_add1_signer(cms, s->cert, s->key, md,
			     CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR))
		return dks_ossl_err(err, "%s: cannot add the signer", s->key_path);
	if (CMS_final(cms, content, NULL, CMS_NOCERTS | CMS_BINARY) != 1)
		return dks_ossl_err(err, "%s: cannot sign the module", s->key_path);
	if (i2d_CMS_bio_stream(out, cms, NULL, 0) != 1)
		return dks_ossl_err(err, "%s: cannot encode the signature", s->key_path);
	*der = steal_pointer(&out);
	return 0;
}

/* module | signature | struct module_signature | marker */
static int append_signature(const void *ko, size_t len, const void *sig, size_t sig_len, void **out,
			    size_t *out_len, struct dks_error *err)
{
	unsigned char info[SIG_INFO_LEN] = {0, 0, SIG_ID_PKCS7};
	uint32_t be_len = htonl((uint32_t)sig_len);
	size_t total = len + sig_len + SIG_INFO_LEN + MAGIC_LEN;
	unsigned char *buf = malloc(total);

	if (!buf)
		return dks_err(err, ENOMEM, "cannot append a %zu-byte signature", sig_len);
	memcpy(info + SIG_INFO_LEN - sizeof(be_len), &be_len, sizeof(be_len));
	memcpy(buf, ko, len);
	memcpy(buf + len, sig, sig_len);
	memcpy(buf + len + sig_len, info, SIG_INFO_LEN);
	memcpy(buf + len + sig_len + SIG_INFO_LEN, DKS_MODULE_SIG_MAGIC, MAGIC_LEN);
	*out = buf;
	*out_len = total;
	return 0;
}

static int sign_module(const struct dks_signer *s, const char *hash, const void *ko, size_t len,
		    void **out, size_t *out_len, struct dks_error *err)
{
	cleanup_bio BIO *der = NULL;
	const EVP_MD *md;
	char *sig;
	long sig_len;

	/* A second signature would hide behind the first: the kernel reads
	 * only the last one, and its content would include the first. */
	if (dks_module_is_signed(ko, len))
		return dks_err(err, 0, "module is already signed (it ends with \"%.27s\")",
			       DKS_MODULE_SIG_MAGIC);
	if (len > INT_MAX) /* BIO_new_mem_buf takes an int */
		return dks_err(err, EFBIG, "cannot sign a %zu-byte module", len);
	md = hash ? EVP_get_digestbyname(hash) : NULL;
	if (!md)
		return dks_err(err, 0, "unknown hash algorithm \"%s\" for module signing",
			       hash ? hash : "(none)");
	if (cms_sign(s, md, ko, len, &der, err) < 0)
		return -1;
	sig_len = BIO_get_mem_data(der, &sig);
	if (sig_len <= 0)
		return dks_err(err, 0, "%s: empty signature", s->key_path);
	return append_signature(ko, len, sig, (size_t)sig_len, out, out_len, err);
}

/* The public entry points load libcrypto first (lazylib.h). */
int dks_signer_load(const char *key_path, const char *cert_path, struct dks_signer **out,
		    struct dks_error *err)
{
	return dks_lazylib_load(err) < 0 ? -1 : signer_load(key_path, cert_path, out, err);
}

int dks_sign_module(const struct dks_signer *s, const char *hash, const void *ko, size_t len,
		    void **out, size_t *out_len, struct dks_error *err)
{
	return dks_lazylib_load(err) < 0 ? -1 : sign_module(s, hash, ko, len, out, out_len, err);
}

/* ---- detached signatures of other bytes (an archive's manifest) ---- */

static int sign_detached(const struct dks_signer *s, const void *buf, size_t len, void **sig,
			 size_t *sig_len, struct dks_error *err)
{
	cleanup_bio BIO *der = NULL;
	char *p = NULL;
	long n;

	if (cms_sign(s, EVP_sha256(), buf, len, &der, err) < 0)
		return -1;
	n = BIO_get_mem_data(der, &p);
	if (n <= 0 || !(*sig = malloc((size_t)n)))
		return dks_err(err, ENOMEM, "%s: signature", s->key_path);
	memcpy(*sig, p, (size_t)n);
	*sig_len = (size_t)n;
	return 0;
}

int dks_sign_detached(const struct dks_signer *s, const void *buf, size_t len, void **sig,
		      size_t *sig_len, struct dks_error *err)
{
	return dks_lazylib_load(err) < 0 ? -1 : sign_detached(s, buf, len, sig, sig_len, err);
}

static void stack_freep(OPENSSL_STACK **p)
{
	OPENSSL_sk_free(*p);
}

/* The signature must name @cert's issuer and serial and verify with its
 * key: no certificate carried in the signature is looked at (NOINTERN),
 * so a signature by any other key finds no signer. */
static int verify_detached(const char *cert_path, const void *buf, size_t len, const void *sig,
			   size_t sig_len, const char *what, struct dks_error *err)
{
	cleanup_x509 X509 *cert = NULL;
	cleanup_bio BIO *content = BIO_new_mem_buf(buf, (int)len);
	__attribute__((cleanup(stack_freep))) OPENSSL_STACK *certs = OPENSSL_sk_new_null();
	const unsigned char *p = sig;
	cleanup_cms CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_len);

	if (load_cert(cert_path, &cert, err) < 0)
		return -1;
	if (!content || !certs || !OPENSSL_sk_push(certs, cert))
		return dks_ossl_err(err, "%s", what);
	if (!cms)
		return dks_ossl_err(err, "%s: not a DER CMS signature", what);
	if (CMS_verify(cms, (STACK_OF(X509) *)certs, NULL, content, NULL,
		       CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) != 1)
		return dks_ossl_err(err, "%s: the signature does not verify with %s", what,
				    cert_path);
	return 0;
}

int dks_verify_detached(const char *cert_path, const void *buf, size_t len, const void *sig,
			size_t sig_len, const char *what, struct dks_error *err)
{
	if (len > INT_MAX || sig_len > INT_MAX)
		return dks_err(err, EFBIG, "%s", what);
	return dks_lazylib_load(err) < 0 ? -1
					 : verify_detached(cert_path, buf, len, sig, sig_len, what, err);
}
