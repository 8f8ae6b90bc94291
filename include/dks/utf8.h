/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 decoding for text that came from outside: common/utf8.c. */
#ifndef DKS_UTF8_H
#define DKS_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1-4) of the valid UTF-8 sequence at @p, at most @n bytes,
 * with its code point in *@cp; 0 when it is not one (a stray or missing
 * continuation byte, an overlong form, a UTF-16 surrogate, beyond
 * U+10FFFF). Stops at the first byte that does not continue the sequence,
 * so a NUL-terminated string may pass n = 4. */
size_t dks_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

#endif
