// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Module compression (installer/compress.h): the format the target
 * kernel's config asks for, with the parameters its own decompressors and
 * kmod accept. Everything is done in memory, in one call per format: a
 * module is at most some MiB, and the installer holds it in memory anyway
 * (it was copied, validated and signed there).
 */
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "dks/cleanup.h"
#include "compress.h"
#include "dks/lazylib.h"

/* The Kconfig choice, in the order its symbols are tried. */
static const struct {
	const char *symbol;
	enum dks_compression c;
} config_symbols[] = {
    {"CONFIG_MODULE_COMPRESS_GZIP", DKS_COMPRESS_GZIP},
    {"CONFIG_MODULE_COMPRESS_XZ", DKS_COMPRESS_XZ},
    {"CONFIG_MODULE_COMPRESS_ZSTD", DKS_COMPRESS_ZSTD},
};

/* Is @line "SYMBOL=y"? (.config and auto.conf write bools alike; a
 * "# SYMBOL is not set" line does not match.) */
static bool line_sets(const char *line, const char *symbol)
{
	size_t n = strlen(symbol);
	const char *v;

	if (strncmp(line, symbol, n) != 0 || line[n] != '=')
		return false;
	v = line + n + 1;
	return v[0] == 'y' && (v[1] == '\0' || v[1] == '\n' || v[1] == '\r');
}

int dks_kernel_compression(const char *config_path, enum dks_compression *out,
			   struct dks_error *err)
{
	cleanup_fclose FILE *f = fopen(config_path, "re");
	cleanup_free char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return dks_err(err, errno, "%s: cannot read the kernel config", config_path);
	*out = DKS_COMPRESS_NONE;
	while (getline(&line, &cap, f) > 0) {
		for (size_t i = 0; i < sizeof(config_symbols) / sizeof(config_symbols[0]); i++) {
			if (!line_sets(line, config_symbols[i].symbol))
				continue;
			/* A Kconfig choice sets one; two means the file is not what we think. */
			if (found && *out != config_symbols[i].c)
				return dks_err(err, 0,
					       "%s: more than one CONFIG_MODULE_COMPRESS_* is set",
					       config_path);
			*out = config_symbols[i].c;
			found = true;
		}
	}
	if (ferror(f))
		return dks_err(err, errno, "%s: read error", config_path);
	return 0;
}

enum dks_compression dks_compression_of(const char *path)
{
	size_t n = strlen(path);

	if (n > 3 && strcmp(path + n - 3, ".xz") == 0)
		return DKS_COMPRESS_XZ;
	if (n > 4 && strcmp(path + n - 4, ".zst") == 0)
		return DKS_COMPRESS_ZSTD;
	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		return DKS_COMPRESS_GZIP;
	return DKS_COMPRESS_NONE;
}

const char *dks_compression_ext(enum dks_compression c)
{
	switch (c) {
	case DKS_COMPRESS_GZIP: return ".gz";
	case DKS_COMPRESS_XZ: return ".xz";
	case DKS_COMPRESS_ZSTD: return ".zst";
	case DKS_COMPRESS_NONE: break;
	}
	return "";
}

/*
 * xz as the kernel's scripts/Makefile.modinst makes it (xz --check=crc32
 * --lzma2=dict=1MiB): the in-kernel decompressor (CONFIG_MODULE_DECOMPRESS)
 * knows CRC32 but not CRC64, and it sizes its buffers for a 1 MiB dictionary.
 */
static int compress_xz(const void *in, size_t len, void **out, size_t *out_len,
		       struct dks_error *err)
{
	lzma_options_lzma opt;
	lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
	size_t cap = lzma_stream_buffer_bound(len), pos = 0;
	cleanup_free uint8_t *buf = NULL;
	lzma_ret r;

	if (lzma_lzma_preset(&opt, 6))
		return dks_err(err, 0, "xz: liblzma has no preset 6");
	opt.dict_size = 1U << 20;
	buf = malloc(cap ? cap : 1);
	if (!buf)
		return dks_err(err, ENOMEM, "xz: %zu bytes", cap);
	r = lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in, len, buf, &pos, cap);
	if (r != LZMA_OK)
		return dks_err(err, 0, "xz: compressing %zu bytes failed (liblzma error %d)", len,
			       (int)r);
	*out = steal_pointer(&buf);
	*out_len = pos;
	return 0;
}

/* zstd like the zstd tool the kernel runs (a content checksum in the frame,
 * which the tool adds by default), at a strong level: modules are written
 * once and read at every boot. */
static int compress_zstd(const void *in, size_t len, void **out, size_t *out_len,
			 struct dks_error *err)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len), n;
	cleanup_free void *buf = NULL;

	if (!cctx)
		return dks_err(err, ENOMEM, "zstd: no compression context");
	buf = malloc(cap);
	if (!buf) {
		ZSTD_freeCCtx(cctx);
		return dks_err(err, ENOMEM, "zstd: %zu bytes", cap);
	}
	n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
	if (!ZSTD_isError(n))
		n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(n))
		n = ZSTD_compress2(cctx, buf, cap, in, len);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(n))
		return dks_err(err, 0, "zstd: compressing %zu bytes failed: %s", len,
			       ZSTD_getErrorName(n));
	*out = steal_pointer(&buf);
	*out_len = n;
	return 0;
}

/* gzip (windowBits 15 + 16: a gzip header, not a zlib one), like gzip -9. */
static int compress_gzip(const void *in, size_t len, void **out, size_t *out_len,
			 struct dks_error *err)
{
	z_stream s = {0};
	cleanup_free void *buf = NULL;
	uLong cap;
	int r;

	/* zlib counts in uInt; no module comes near 4 GiB. */
	if (len > UINT_MAX / 2)
		return dks_err(err, EFBIG, "gzip: %zu bytes is too large", len);
	if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return dks_err(err, 0, "gzip: deflateInit2 failed");
	cap = deflateBound(&s, len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&s);
		return dks_err(err, ENOMEM, "gzip: %lu bytes", cap);
	}
	s.next_in = (Bytef *)in; /* zlib does not write through next_in */
	s.avail_in = (uInt)len;
	s.next_out = buf;
	s.avail_out = (uInt)cap;
	r = deflate(&s, Z_FINISH);
	deflateEnd(&s);
	if (r != Z_STREAM_END)
		return dks_err(err, 0, "gzip: compressing %zu bytes failed (zlib error %d)", len,
			       r);
	*out = steal_pointer(&buf);
	*out_len = s.total_out;
	return 0;
}

static int copy_plain(const void *in, size_t len, void **out, size_t *out_len,
		      struct dks_error *err)
{
	void *buf = malloc(len ? len : 1);

	if (!buf)
		return dks_err(err, ENOMEM, "copying %zu bytes", len);
	if (len)
		memcpy(buf, in, len);
	*out = buf;
	*out_len = len;
	return 0;
}

int dks_compress(enum dks_compression c, const void *in, size_t len, void **out, size_t *out_len,
		 struct dks_error *err)
{
	*out = NULL;
	*out_len = 0;
	if (c != DKS_COMPRESS_NONE && dks_lazylib_load(err) < 0)
		return -1;
	switch (c) {
	case DKS_COMPRESS_NONE: return copy_plain(in, len, out, out_len, err);
	case DKS_COMPRESS_GZIP: return compress_gzip(in, len, out, out_len, err);
	case DKS_COMPRESS_XZ: return compress_xz(in, len, out, out_len, err);
	case DKS_COMPRESS_ZSTD: return compress_zstd(in, len, out, out_len, err);
	}
	return dks_err(err, EINVAL, "unknown compression %d", (int)c);
}

/* ---- reading an installed module back (the version check) ---------------- */

static int decompress_xz(const void *in, size_t len, size_t max, void **out, size_t *out_len,
			 struct dks_error *err)
{
	uint64_t memlimit = 256ULL << 20;
	/* xz does not say its size: a module shrinks 3 to 5 times; 64 is a
	 * margin, not a limit anyone reaches. */
	size_t in_pos = 0, pos = 0, cap = len < (max - (1 << 20)) / 64 ? 64 * len + (1 << 20) : max;
	cleanup_free uint8_t *buf = malloc(cap);
	lzma_ret r;

	if (!buf)
		return dks_err(err, ENOMEM, "xz: %zu bytes", cap);
	r = lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, len, buf, &pos, cap);
	if (r != LZMA_OK)
		return dks_err(err, 0, "xz: not a module of at most %zu bytes (liblzma error %d)",
			       cap, (int)r);
	*out = steal_pointer(&buf);
	*out_len = pos;
	return 0;
}

static int decompress_zstd(const void *in, size_t len, size_t max, void **out, size_t *out_len,
			   struct dks_error *err)
{
	unsigned long long size = ZSTD_getFrameContentSize(in, len);
	cleanup_free void *buf = NULL;
	size_t n;

	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max)
		return dks_err(err, 0, "zstd: no frame of a known size of at most %zu bytes", max);
	buf = malloc(size ? size : 1);
	if (!buf)
		return dks_err(err, ENOMEM, "zstd: %llu bytes", size);
	n = ZSTD_decompress(buf, size, in, len);
	if (ZSTD_isError(n))
		return dks_err(err, 0, "zstd: %s", ZSTD_getErrorName(n));
	*out = steal_pointer(&buf);
	*out_len = n;
	return 0;
}

int dks_decompress(enum dks_compression c, const void *in, size_t len, size_t max, void **out,
		   size_t *out_len, struct dks_error *err)
{
	if (c != DKS_COMPRESS_NONE && dks_lazylib_load(err) < 0)
		return -1;
	switch (c) {
	case DKS_COMPRESS_XZ: return decompress_xz(in, len, max, out, out_len, err);
	case DKS_COMPRESS_ZSTD: return decompress_zstd(in, len, max, out, out_len, err);
	case DKS_COMPRESS_GZIP: return dks_err(err, 0, "gzip: not read back");
	case DKS_COMPRESS_NONE: break;
	}
	return dks_err(err, 0, "not compressed");
}
