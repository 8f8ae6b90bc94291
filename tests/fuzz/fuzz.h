/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harnesses (docs/reliability.md, "Fuzzing"): each file is one
 * parser's harness; LLVMFuzzerTestOneInput hands it the bytes as they are
 * (an exact-size buffer, so an over-read is an ASan report). */
#ifndef DKS_FUZZ_H
#define DKS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dks/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the bytes, for entry points that take a string. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The bytes after the first (which picks a parser or a mode), in an
 * exact-size buffer of their own (at least 1 byte allocated). */
static inline char *fuzz_tail(const uint8_t *data, size_t size)
{
	char *b = malloc(size > 1 ? size - 1 : 1);

	if (!b)
		abort();
	if (size > 1)
		memcpy(b, data + 1, size - 1);
	return b;
}

#endif
