/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The install record, <dkmstree>/<m>/.installed-<kver>-<arch>: what the
 * installer placed for m/v on one kernel, written in the same transaction
 * as the files and the kernel-<kver>-<arch> link. For each module: the
 * installed file (path, size, the mtime the installer gave it, a content
 * hash) and the built file it came from (path, size, mtime, hash).
 * uninstall removes exactly these files; status compares them with what
 * is there now (metadata first; contents only when the metadata changed).
 * Then each in-tree module one of ours shadows (a same-named module below
 * kernel/, or a built-in one in modules.builtin), for status to tell:
 *
 *   shadows<TAB><our dest name><TAB>in-tree|built-in<TAB><path><LF>
 *
 * The hash is FNV-1a 64: it notices a rebuilt or replaced module; it is
 * not a defence against someone who can write /lib/modules.
 */
#ifndef DKS_INSTALLREC_H
#define DKS_INSTALLREC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dks/error.h"
#include "dks/tree.h"

struct dks_filestamp {
	char path[PATH_MAX];
	long long size, mtime_ns;
	uint64_t hash;
};

struct dks_installrec_entry {
	struct dks_filestamp installed, built;
};

#define DKS_INSTALLREC_SHADOWS_MAX 64

struct dks_installrec_shadow {
	char module[NAME_MAX + 1]; /* ours (its destination name) */
	bool builtin;		   /* built into the kernel: @path is modules.builtin's line */
	char path[PATH_MAX];	   /* else the in-tree file */
};

struct dks_installrec {
	char version[DKS_TREE_NAME_MAX + 1];
	struct dks_installrec_entry *e; /* malloc'd */
	size_t n;
	struct dks_installrec_shadow *shadow; /* malloc'd */
	size_t n_shadow;
};

uint64_t dks_fnv1a64(const void *buf, size_t len);
/* <dkmstree>/<m>/.installed-<kver>-<arch> */
void dks_installrec_path(char *buf, size_t size, const struct dks_tree *t, const char *m,
			 const char *kver, const char *arch);
/* The record as text (malloc'd). */
int dks_installrec_format(const struct dks_installrec *r, char **out, size_t *len,
			  struct dks_error *err);
/* 1 read, 0 none, -1 unreadable or malformed. */
int dks_installrec_read(const char *path, struct dks_installrec *r, struct dks_error *err);
/* The same from an open stream (@path names it in messages). */
int dks_installrec_read_stream(FILE *f, const char *path, struct dks_installrec *r,
			       struct dks_error *err);
/* Add a shadowed in-tree module (at most DKS_INSTALLREC_SHADOWS_MAX; a
 * path with a tab or a newline is not recorded). 0, or -1 with errno. */
int dks_installrec_add_shadow(struct dks_installrec *r, const char *module, bool builtin,
			      const char *path);
void dks_installrec_free(struct dks_installrec *r);

#endif
