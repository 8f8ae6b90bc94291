/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bytes of a module (build output, a log tail, a name in a message) made
 * harmless for a terminal: every control character but newline and tab is
 * replaced by '?' (C0, DEL, C1 as raw bytes and as UTF-8 U+0080..U+009F),
 * and so is every byte of invalid UTF-8. Valid UTF-8 passes intact, even
 * when a read splits a character: the state carries the started sequence
 * to the next chunk. Pure: no I/O, no allocation but dks_termsafe_str's.
 */
#ifndef DKS_TERMSAFE_H
#define DKS_TERMSAFE_H

#include <stddef.h>

struct dks_termsafe {
	unsigned char seq[4]; /* a UTF-8 sequence started, not complete */
	size_t n;	      /* bytes in seq */
	size_t need;	      /* its length (2..4), 0: none started */
};

/* Room @out needs for @len input bytes: the bytes pending from the last
 * chunk may complete in this one. */
#define DKS_TERMSAFE_OUT(len) ((len) + 4)

/* Filter @len bytes of @in into @out (DKS_TERMSAFE_OUT(len) bytes);
 * returns the number of bytes written. */
size_t dks_termsafe_feed(struct dks_termsafe *ts, const void *in, size_t len, char *out);

/* The end of the stream: a sequence left incomplete becomes one '?'.
 * Writes at most 1 byte; returns how many. */
size_t dks_termsafe_finish(struct dks_termsafe *ts, char *out);

/* A whole NUL-terminated string, filtered: malloc'd, NULL on ENOMEM. */
char *dks_termsafe_str(const char *s);

#endif
