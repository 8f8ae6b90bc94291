/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two builds of one module compared byte for byte (installer/elfcmp.c):
 * which ELF section differs first, so that `build --check` can say where
 * two builders disagree. The images may be hostile: every offset is
 * checked, names are printed with their control bytes replaced.
 */
#ifndef DKS_ELFCMP_H
#define DKS_ELFCMP_H

#include <stddef.h>

/* 0: the same bytes. 1: different, @where (size @size) saying where:
 * the first differing section in section header order ("first in
 * section .text"), or the section count, or the ELF header or bytes
 * outside every section when every section matches, or which image
 * (@what_a, @what_b) is not a 64-bit ELF file whose section table lies
 * inside it. */
int dks_elf_first_diff(const void *a, size_t alen, const char *what_a, const void *b,
		       size_t blen, const char *what_b, char *where, size_t size);

#endif
