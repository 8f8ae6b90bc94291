/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small file helpers the orchestrator's rooms share: fileio.c. */
#ifndef DKS_FILEIO_H
#define DKS_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p @path (0755). The path itself may be, or sit below, a symlink
 * (an administrator's choice of tree root). 0, or -1 with errno. */
int dks_mkdir_p(const char *path);

/* Read up to @len bytes from @fd, retrying short reads and EINTR: the
 * count read (less than @len only at end of file), or -1 with errno. */
ssize_t dks_read_full(int fd, void *buf, size_t len);

#endif
