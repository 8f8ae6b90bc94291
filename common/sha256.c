// SPDX-License-Identifier: GPL-2.0-or-later
/* sha256 as hex: see dks/sha256.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dks/cleanup.h"
#include "dks/lazylib.h"
#include "dks/sha256.h"

struct dks_sha256 {
	EVP_MD_CTX *md;
	bool failed;
};

struct dks_sha256 *dks_sha256_new(void)
{
	struct dks_sha256 *h = calloc(1, sizeof(*h));
	struct dks_error err;

	if (!h || dks_lazylib_load(&err) < 0) {
		free(h);
		return NULL;
	}
	h->md = EVP_MD_CTX_new();
	if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL)) {
		dks_sha256_free(h);
		return NULL;
	}
	return h;
}

void dks_sha256_add(struct dks_sha256 *h, const void *p, size_t n)
{
	if (!h->failed && n && !EVP_DigestUpdate(h->md, p, n))
		h->failed = true;
}

void dks_sha256_str(struct dks_sha256 *h, const char *s)
{
	dks_sha256_add(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

int dks_sha256_final(struct dks_sha256 *h, char out[DKS_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int rc = 0;

	out[0] = '\0';
	if (h->failed || !EVP_DigestFinal_ex(h->md, md, &len) || len != 32)
		rc = -1;
	for (unsigned int i = 0; rc == 0 && i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	dks_sha256_free(h);
	return rc;
}

void dks_sha256_free(struct dks_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

void dks_sha256_buf(const void *p, size_t n, char out[DKS_SHA256_HEX])
{
	struct dks_sha256 *h = dks_sha256_new();

	out[0] = '\0';
	if (!h)
		return;
	dks_sha256_add(h, p, n);
	dks_sha256_final(h, out);
}

int dks_sha256_fd(int fd, char out[DKS_SHA256_HEX])
{
	struct dks_sha256 *h = dks_sha256_new();
	char buf[65536];
	ssize_t n;

	out[0] = '\0';
	if (!h) {
		errno = ENOMEM;
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			dks_sha256_free(h);
			errno = e;
			return -1;
		}
		dks_sha256_add(h, buf, (size_t)n);
	}
	if (dks_sha256_final(h, out) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int dks_sha256_file(const char *path, char out[DKS_SHA256_HEX], struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || dks_sha256_fd(fd, out) < 0)
		return dks_err(err, errno, "%s: sha256", path);
	return 0;
}
