/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The grammar of a module's .modinfo (installer/modinfo.c). depmod, run
 * as root, copies .modinfo values into files that other root tools read
 * as configuration (modules.softdep is modprobe configuration for libkmod,
 * modules.devname becomes tmpfiles lines through `kmod static-nodes`): a
 * value with a newline or a space in the wrong place becomes a line or a
 * field of someone else's. So every entry is checked before anything signs
 * or places the module: the key, and the value against its key's syntax.
 * The same value grammars check what depmod wrote (installer/depmod.c).
 */
#ifndef DKS_MODINFO_H
#define DKS_MODINFO_H

#include <stdbool.h>
#include <stddef.h>

#define DKS_MODINFO_SIZE_MAX	(1024 * 1024) /* bytes (Debian 6.1's largest: option.ko, 76 KB) */
#define DKS_MODINFO_ENTRIES_MAX 16384	      /* entries (option.ko: 1,603) */
#define DKS_MODINFO_KEY_MAX	64
#define DKS_MODNAME_MAX		55 /* MODULE_NAME_LEN - 1 */

/* Where an entry breaks the grammar. @off < the value's (or key's) length:
 * that byte is not allowed there; otherwise the part ends too early or is
 * empty. @why names the rule, or is NULL. */
struct dks_modinfo_fault {
	char key[DKS_MODINFO_KEY_MAX + 4]; /* printable, cut */
	bool in_key;			   /* the key itself is bad */
	bool at_end;			   /* nothing at @off: too short or empty */
	size_t off;			   /* in the value (or the key) */
	unsigned char byte;
	size_t entry; /* the entry's offset in the section */
	const char *why;
};

/* Check every "key=value" entry of a .modinfo section (@n bytes, entries
 * NUL-separated, NUL padding between them). 0, or -1 with @f filled. */
int dks_modinfo_check(const char *sec, size_t n, struct dks_modinfo_fault *f);

/* The first offset at which @v (@n bytes) breaks the grammar of @key's
 * values, or SIZE_MAX when it is well-formed; @why gets the rule's words. */
size_t dks_modinfo_value_bad(const char *key, const char *v, size_t n, const char **why);

/* A module name: [A-Za-z0-9_-], 1 to DKS_MODNAME_MAX bytes. Offset of the
 * first bad byte, or SIZE_MAX. */
size_t dks_modname_bad(const char *s, size_t n);

/* A relative path: printable, no space, no leading '/', no empty or '..'
 * component. Offset of the first bad byte, or SIZE_MAX. */
size_t dks_relpath_bad(const char *s, size_t n);

#endif
