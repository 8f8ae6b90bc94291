/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sha256 as hex (common/sha256.c, OpenSSL through lazylib.h): of a buffer,
 * of a file, and incrementally (a digest over a stream of records, as the
 * build identities of dks/identity.h are made).
 */
#ifndef DKS_SHA256_H
#define DKS_SHA256_H

#include <stddef.h>

#include "dks/error.h"

#define DKS_SHA256_HEX 65 /* 64 hex digits + NUL */

struct dks_sha256; /* an incremental digest */

struct dks_sha256 *dks_sha256_new(void); /* NULL: out of memory */
/* Add bytes; a failure is remembered and reported by _final. */
void dks_sha256_add(struct dks_sha256 *h, const void *p, size_t n);
/* Add a string with its terminating NUL (records of fields stay apart). */
void dks_sha256_str(struct dks_sha256 *h, const char *s);
/* The hex digest, and the context freed. 0, or -1 (@out "") on failure. */
int dks_sha256_final(struct dks_sha256 *h, char out[DKS_SHA256_HEX]);
void dks_sha256_free(struct dks_sha256 *h);

void dks_sha256_buf(const void *p, size_t n, char out[DKS_SHA256_HEX]);
/* Of an open file, from its current offset to its end. 0 or -1 (errno). */
int dks_sha256_fd(int fd, char out[DKS_SHA256_HEX]);
/* Of a file (links followed: callers name files root owns). A missing
 * file gives "" and 0; any other failure -1 with @err filled. */
int dks_sha256_file(const char *path, char out[DKS_SHA256_HEX], struct dks_error *err);

#endif
