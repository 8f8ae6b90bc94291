/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounds-checked reads of an ELF image's integers (elfbytes.c), for the
 * installer's two ELF readers (validate.c, elfcmp.c). */
#ifndef DKS_ELFBYTES_H
#define DKS_ELFBYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An integer of @width bytes at @off of @p (@len bytes), big-endian when
 * @msb; 0 outside the image (callers check ranges first; this is the
 * last line). */
uint64_t dks_elf_rd(const unsigned char *p, size_t len, bool msb, uint64_t off, size_t width);

/* Does [@off, @off + @size) lie inside @len bytes? */
static inline bool dks_elf_inside(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

#endif
