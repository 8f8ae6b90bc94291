/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Archives the tests build with libarchive's writer, hostile ones
 * included (links out, device nodes, '..'), for the recipe fetch and the
 * toolchain import tests.
 */
#ifndef DKS_SBTAR_H
#define DKS_SBTAR_H

#include <archive.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sbt_item {
	const char *path;
	mode_t type;	  /* AE_IFREG (default), AE_IFDIR, AE_IFLNK, ... */
	mode_t perm;	  /* default 0644 */
	const char *data; /* regular files */
	size_t size;	  /* regular files without @data: that many zero bytes */
	const char *link; /* symlink target, or hard link target with @hard */
	bool hard;
};

/* Write @items as a pax tar at @path through @filter (e.g.
 * archive_write_add_filter_gzip); a failure fails the test. */
void sbt_make_tar(const char *path, const struct sbt_item *items, size_t n,
		  int (*filter)(struct archive *));

/* A ustar header declaring @size bytes and no data behind it: libarchive's
 * writer cannot make one (at close it pads the entry to its declared size
 * with zeros, gigabytes of them), so the 512 bytes are written by hand. */
void sbt_write_raw_tar(const char *path, const char *name, unsigned long long size);

#define SBT_ITEMS(...)                                                                             \
	(const struct sbt_item[])                                                                  \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}
#define SBT_N_ITEMS(...) (sizeof(SBT_ITEMS(__VA_ARGS__)) / sizeof(struct sbt_item))

#endif
