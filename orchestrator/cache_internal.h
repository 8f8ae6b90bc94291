/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the cache's files share (cache_io.c); the contract is dks/cache.h. */
#ifndef DKS_CACHE_INTERNAL_H
#define DKS_CACHE_INTERNAL_H

#include <stdint.h>

#include "dks/cache.h"

#define DKS_CACHE_TRASH ".trash"
#define DKS_CACHE_BAD ".bad"
#define DKS_CACHE_TMP_PREFIX ".tmp-"
#define DKS_CACHE_STATS ".stats"

/* The cache dir, opened; -1 with errno. */
int dks_cache_open_dir(const struct dks_cache *c);

/* Copy @in to @out up to EOF, hashing the bytes: at most @limit + 1 are
 * read, @limit written (*@got > @limit: the file is longer than it said).
 * -1 with errno on a read or write error. */
int dks_cache_copy_fd(int in, int out, uint64_t limit, char sum[DKS_SHA256_HEX], uint64_t *got);

/* Move entry @key of @dfd to .bad/ (best effort: a reader will not read
 * it again; gc empties .bad/). */
void dks_cache_set_aside(int dfd, const char *key);

/* Rename @name of @dfd into @sub/ (made if missing) under a fresh name:
 * 0, or -1 with errno. */
int dks_cache_move_into(int dfd, const char *name, const char *sub);

/* Is @s a key (64 lowercase hex digits)? */
bool dks_cache_is_key(const char *s);

#endif
