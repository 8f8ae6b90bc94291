/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which kernel the machine boots next (preflight, docs/upgrades.md): the
 * boot loader's default entry (GRUB, systemd-boot), else the /vmlinuz
 * link, else the newest installed kernel. The files are root's but may be
 * damaged: each format has a parser of bytes (bounded, strict, fuzzable);
 * a file that fails it is one warning line and the next source is tried.
 */
#ifndef DKS_BOOTNEXT_H
#define DKS_BOOTNEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"

/* Larger than any boot file a tool writes: a bigger one is damaged. */
#define DKS_BOOT_FILE_MAX    (1024 * 1024)
#define DKS_BOOT_LINE_MAX    4096
#define DKS_BOOT_ENTRIES_MAX 4096

/* ---- GRUB (bootgrub.c) ---- */

struct dks_grub_entry {
	char *title, *id; /* id: $menuentry_id_option / --id, or NULL */
	char *kver;	  /* a menuentry's linux line's vmlinuz-K, or NULL */
	int parent;	  /* the submenu it is in, or -1 at the top */
	bool submenu;
};

struct dks_grub_cfg {
	struct dks_grub_entry *e;
	size_t n;
	char *deflt; /* the last top-level `set default=` but ${next_entry}; NULL: none */
};

/* grub.cfg's menu: menuentry/submenu blocks (titles, ids, the kernel of
 * the linux line) and its default. @name is for messages ("FILE:LINE: "). */
int dks_grubcfg_parse(const char *buf, size_t len, const char *name, struct dks_grub_cfg *out,
		      struct dks_error *err);
void dks_grubcfg_clear(struct dks_grub_cfg *c);
/* The kernel of the entry GRUB's default @path names: "N", an id or a
 * title, or submenu path components joined with '>'. NULL: none (a
 * submenu, an entry without a vmlinuz-K, no such entry). */
const char *dks_grubcfg_resolve(const struct dks_grub_cfg *c, const char *path);
/* grubenv ("# GRUB Environment Block", NAME=VALUE lines, '#' padding):
 * next_entry and saved_entry (malloc'd, NULL when unset or empty). */
int dks_grubenv_parse(const char *buf, size_t len, const char *name, char **next, char **saved,
		      struct dks_error *err);

/* ---- systemd-boot (bootsd.c) ---- */

/* loader.conf: its `default` pattern (malloc'd, or NULL). */
int dks_loaderconf_parse(const char *buf, size_t len, const char *name, char **deflt,
			 struct dks_error *err);
/* A loader entry (Boot Loader Specification type 1): its kernel release,
 * from `version` or the `linux` line's vmlinuz-K (malloc'd). */
int dks_bootentry_parse(const char *buf, size_t len, const char *name, char **kver,
			struct dks_error *err);
/* An EFI variable's file (efivarfs: 4 attribute bytes, then UTF-16LE,
 * NUL-terminated or not): its text, ASCII only (malloc'd). */
int dks_efivar_parse(const char *buf, size_t len, const char *name, char **text,
		     struct dks_error *err);

/* ---- the next boot (bootnext.c) ---- */

enum dks_boot_source {
	DKS_BOOT_NONE,
	DKS_BOOT_GRUB,
	DKS_BOOT_SDBOOT,
	DKS_BOOT_VMLINUZ,
	DKS_BOOT_NEWEST
};

struct dks_boot_next {
	char *kver; /* malloc'd; NULL when no source named a kernel */
	enum dks_boot_source source;
	char how[512]; /* for humans: "grub: saved_entry 'gnulinux-...'" */
};

/* Below @root (the machine's "/", or a test's tree): the next boot's
 * kernel. @installed (newest last) is the last resort. Warnings for
 * damaged files; -1 only when out of memory. */
int dks_boot_next(const char *root, char *const *installed, size_t n_installed,
		  struct dks_boot_next *out, struct dks_error *err);
void dks_boot_next_clear(struct dks_boot_next *b);
const char *dks_boot_source_name(enum dks_boot_source s);

/* Shared by the parsers (bootlex.c): split a line shell-like ('..',
 * "..", \x; adjacent parts join; '#' at a word's start ends the line)
 * into @words (pointers into @buf, which gets the unquoted text).
 * How many words, or -1 with @why set (an unterminated quote, too many). */
int dks_boot_words(const char *line, size_t len, char *buf, size_t size, char **words, int max,
		   const char **why);
/* Each line of @buf: @fn(line, len, lineno, arg); stops at its first
 * negative return. Refuses NUL bytes and lines over DKS_BOOT_LINE_MAX. */
int dks_boot_lines(const char *buf, size_t len, const char *name,
		   int (*fn)(const char *line, size_t len, unsigned lineno, void *arg), void *arg,
		   struct dks_error *err);
/* The release in a kernel image's name: "vmlinuz-K" (any directory
 * before it) gives K, when K is a valid kernel name; else NULL. */
char *dks_boot_image_kver(const char *path);

#endif
