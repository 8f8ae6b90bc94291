// SPDX-License-Identifier: GPL-2.0-or-later
/* Bounds-checked reads of an ELF image's integers (elfbytes.h). */
#include "elfbytes.h"

uint64_t dks_elf_rd(const unsigned char *p, size_t len, bool msb, uint64_t off, size_t width)
{
	uint64_t v = 0;

	if (!dks_elf_inside(len, off, width))
		return 0;
	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[off + (msb ? i : width - 1 - i)];
	return v;
}
