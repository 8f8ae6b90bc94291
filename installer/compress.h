/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module compression as the target kernel's config asks
 * (CONFIG_MODULE_COMPRESS_GZIP/XZ/ZSTD; facts.md "Compression"): xz with
 * CRC32 and a 1 MiB dictionary through liblzma (the kernel's decompressor
 * cannot check CRC64), zstd through libzstd, gzip through zlib. The
 * signature covers the uncompressed bytes: compress after signing.
 */
#ifndef DKS_COMPRESS_H
#define DKS_COMPRESS_H

#include <stddef.h>

#include "dks/error.h"

enum dks_compression { DKS_COMPRESS_NONE, DKS_COMPRESS_GZIP, DKS_COMPRESS_XZ, DKS_COMPRESS_ZSTD };

/* From a kernel's .config (quoted values) or include/config/auto.conf. */
int dks_kernel_compression(const char *config_path, enum dks_compression *out,
			   struct dks_error *err);
/* A file's compression by its name's end (.xz, .zst, .gz; else NONE). */
enum dks_compression dks_compression_of(const char *path);
/* "", ".gz", ".xz", ".zst" */
const char *dks_compression_ext(enum dks_compression c);
/* Compress @len bytes; *out malloc'd. NONE copies. */
int dks_compress(enum dks_compression c, const void *in, size_t len, void **out, size_t *out_len,
		 struct dks_error *err);

/* Decompress a module read back from an install tree (xz or zstd; gzip,
 * which Debian's kmod cannot read, is refused), at most @max bytes out.
 * 0, or -1 with @err filled. */
int dks_decompress(enum dks_compression c, const void *in, size_t len, size_t max, void **out,
		   size_t *out_len, struct dks_error *err);

#endif
