/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small file helpers every room shares: common/fileio.c, common/rmtree.c. */
#ifndef DKS_FILEIO_H
#define DKS_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* mkdir -p @path (0755), each directory it makes fsync'd into its
 * parent. The path itself may be, or sit below, a symlink (an
 * administrator's choice of tree root). 0, or -1 with errno. */
int dks_mkdir_p(const char *path);

/* fsync the directory holding @path (its last component's parent; "." for
 * a bare name): the entry made, renamed or removed there lasts a power
 * cut. 0, or -1 with errno. */
int dks_fsync_parent(const char *path);

/* fsync every regular file and directory of the tree @name below @dirfd
 * (links not followed; 16 levels at most, ELOOP past them): its content
 * lasts a power cut once it is renamed into place. 0, or -1 with errno. */
int dks_fsync_tree_at(int dirfd, const char *name);

/* Read up to @len bytes from @fd, retrying short reads and EINTR: the
 * count read (less than @len only at end of file), or -1 with errno. */
ssize_t dks_read_full(int fd, void *buf, size_t len);

/* Is @path @dir or below it (textually: both absolute and canonical)? */
bool dks_path_under(const char *path, const char *dir);

/* Remove the tree at @path (or @name below @dirfd) without following
 * any link in it and without a depth limit. 0 (also when it did not
 * exist), or -1 with errno. */
int dks_rmtree(const char *path);
int dks_rmtree_at(int dirfd, const char *name);

/* openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV) of @path below @dirfd, read-only, non-blocking, never
 * a controlling terminal: a path that leaves @dirfd or crosses a link
 * fails. An fd, or -1 with errno. */
int dks_open_beneath(int dirfd, const char *path);

#endif
