/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A writer of the kernel's initramfs format: cpio "newc" (070701), every
 * entry owned by root, ending with TRAILER!!! (the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst). Only what an
 * initramfs of ours needs: directories, regular files from memory,
 * symlinks. Names are checked (relative, no "." or ".." part, no empty
 * part) so that no caller can make an archive that unpacks outside its
 * root. The archive is built in memory, bounded by @max bytes.
 */
#ifndef DKS_CPIO_H
#define DKS_CPIO_H

#include <stddef.h>
#include <sys/types.h>

#include "dks/error.h"

struct dks_cpio {
	unsigned char *buf;
	size_t len, cap, max;
	unsigned ino; /* the next inode number (each entry its own) */
};

/* An empty archive of at most @max bytes (0: 1 GiB). */
void dks_cpio_init(struct dks_cpio *c, size_t max);
int dks_cpio_dir(struct dks_cpio *c, const char *name, mode_t perm, struct dks_error *err);
int dks_cpio_file(struct dks_cpio *c, const char *name, mode_t perm, const void *data,
		  size_t len, struct dks_error *err);
int dks_cpio_symlink(struct dks_cpio *c, const char *name, const char *target,
		     struct dks_error *err);
/* The trailer; then c->buf/c->len is the archive. */
int dks_cpio_finish(struct dks_cpio *c, struct dks_error *err);
void dks_cpio_free(struct dks_cpio *c);

#endif
