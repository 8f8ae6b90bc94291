// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The first ELF section in which two images differ (include/dks/elfcmp.h).
 * A small reader of its own: validate.c's checks a module against a
 * kernel; this one only needs the section table, every offset and size
 * checked against the image before it is read.
 */
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dks/elfcmp.h"
#include "elfbytes.h"

struct img {
	const unsigned char *p;
	size_t len;
	bool msb;
	uint64_t shoff, str_off, str_size;
	unsigned shnum;
};

#define RD(e, off, w) dks_elf_rd((e)->p, (e)->len, (e)->msb, (off), (w))
#define EHDR(e, f)    RD(e, offsetof(Elf64_Ehdr, f), sizeof(((Elf64_Ehdr *)0)->f))
#define SHDR(e, i, f)                                                                              \
	RD(e, (e)->shoff + (uint64_t)(i) * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, f),          \
	   sizeof(((Elf64_Shdr *)0)->f))
#define inside(e, off, size) dks_elf_inside((e)->len, (off), (size))

/* 0, or -1 with @why (size @size) saying what is wrong with it. */
static int open_img(struct img *e, const void *p, size_t len, const char *what, char *why,
		    size_t size)
{
	uint64_t str;

	*e = (struct img){.p = p, .len = len};
	if (len < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) != 0 ||
	    e->p[EI_CLASS] != ELFCLASS64)
		return snprintf(why, size, "%s is not a 64-bit ELF file", what), -1;
	e->msb = e->p[EI_DATA] == ELFDATA2MSB;
	e->shoff = EHDR(e, e_shoff);
	e->shnum = (unsigned)EHDR(e, e_shnum);
	str = EHDR(e, e_shstrndx);
	if (EHDR(e, e_shentsize) != sizeof(Elf64_Shdr) || e->shnum == 0 ||
	    !inside(e, e->shoff, (uint64_t)e->shnum * sizeof(Elf64_Shdr)) || str >= e->shnum)
		return snprintf(why, size, "%s's section table lies outside it", what), -1;
	e->str_off = SHDR(e, str, sh_offset);
	e->str_size = SHDR(e, str, sh_size);
	if (!inside(e, e->str_off, e->str_size))
		return snprintf(why, size, "%s's section names lie outside it", what), -1;
	return 0;
}

/* Section @i's name, printable (control and non-ASCII bytes as '?'). */
static void name_of(const struct img *e, unsigned i, char *out, size_t size)
{
	uint64_t n = SHDR(e, i, sh_name);
	size_t k = 0;

	for (; n < e->str_size && k + 1 < size && k < 64; n++, k++) {
		unsigned char c = e->p[e->str_off + n];

		if (!c)
			break;
		out[k] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[k] = '\0';
}

/* Section @i's bytes (none for SHT_NOBITS), or false when outside. */
static bool bytes_of(const struct img *e, unsigned i, const unsigned char **p, uint64_t *n)
{
	uint64_t off = SHDR(e, i, sh_offset);

	*n = SHDR(e, i, sh_type) == SHT_NOBITS ? 0 : SHDR(e, i, sh_size);
	*p = inside(e, off, *n) ? e->p + off : NULL;
	return *p != NULL;
}

/* The header of section @i but its offset (which moves when an earlier
 * section grows), and its bytes. */
static bool same_section(const struct img *a, const struct img *b, unsigned i)
{
	const unsigned char *pa, *pb;
	uint64_t na, nb;
	bool ok_a = bytes_of(a, i, &pa, &na), ok_b = bytes_of(b, i, &pb, &nb);

	if (SHDR(a, i, sh_type) != SHDR(b, i, sh_type) ||
	    SHDR(a, i, sh_flags) != SHDR(b, i, sh_flags) ||
	    SHDR(a, i, sh_size) != SHDR(b, i, sh_size) || SHDR(a, i, sh_link) != SHDR(b, i, sh_link) ||
	    SHDR(a, i, sh_info) != SHDR(b, i, sh_info) ||
	    SHDR(a, i, sh_addralign) != SHDR(b, i, sh_addralign) ||
	    SHDR(a, i, sh_entsize) != SHDR(b, i, sh_entsize))
		return false;
	if (!ok_a || !ok_b)
		return ok_a == ok_b;
	return na == nb && memcmp(pa, pb, na) == 0;
}

int dks_elf_first_diff(const void *a, size_t alen, const char *what_a, const void *b,
		       size_t blen, const char *what_b, char *where, size_t size)
{
	struct img ea, eb;
	char na[80], nb[80];

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 0;
	if (open_img(&ea, a, alen, what_a, where, size) < 0 ||
	    open_img(&eb, b, blen, what_b, where, size) < 0)
		return 1;
	if (ea.shnum != eb.shnum) {
		snprintf(where, size, "in the section count (%u, %u)", ea.shnum, eb.shnum);
		return 1;
	}
	for (unsigned i = 1; i < ea.shnum; i++) {
		name_of(&ea, i, na, sizeof(na));
		name_of(&eb, i, nb, sizeof(nb));
		if (strcmp(na, nb) != 0) {
			snprintf(where, size, "first in section %u's name (%s, %s)", i, na, nb);
			return 1;
		}
		if (!same_section(&ea, &eb, i)) {
			snprintf(where, size, "first in section %s", na);
			return 1;
		}
	}
	snprintf(where, size, "%s", memcmp(a, b, sizeof(Elf64_Ehdr)) != 0
					? "first in the ELF header"
					: "in bytes outside every section");
	return 1;
}
