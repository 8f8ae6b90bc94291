/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libarchive and libcrypto, loaded on first use (dlopen) by the verbs that
 * need them (fetching a recipe's source). Linked normally they and theirs
 * (libxml2, ICU, libstdc++, nettle, ...) would be loaded and relocated by
 * every start of dkms-sandbox: about 10 ms on `sandbox run`, which is
 * measured against bubblewrap.
 *
 * Include after <archive.h>, <archive_entry.h> and <openssl/evp.h>: the
 * names used by the code become calls through a table filled by
 * dks_lazylib_load(), which every entry point calls first.
 */
#ifndef DKS_LAZYLIB_H
#define DKS_LAZYLIB_H

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "dks/error.h"

#define DKS_LAZY_SYMBOLS(X)                                                                        \
	X(archive, archive_entry_filetype)                                                         \
	X(archive, archive_entry_hardlink)                                                         \
	X(archive, archive_entry_pathname)                                                         \
	X(archive, archive_entry_perm)                                                             \
	X(archive, archive_entry_size)                                                             \
	X(archive, archive_entry_size_is_set)                                                      \
	X(archive, archive_entry_symlink)                                                          \
	X(archive, archive_errno)                                                                  \
	X(archive, archive_error_string)                                                           \
	X(archive, archive_read_data_block)                                                        \
	X(archive, archive_read_free)                                                              \
	X(archive, archive_read_new)                                                               \
	X(archive, archive_read_next_header)                                                       \
	X(archive, archive_read_open)                                                              \
	X(archive, archive_read_support_filter_bzip2)                                              \
	X(archive, archive_read_support_filter_compress)                                           \
	X(archive, archive_read_support_filter_gzip)                                               \
	X(archive, archive_read_support_filter_lz4)                                                \
	X(archive, archive_read_support_filter_lzip)                                               \
	X(archive, archive_read_support_filter_lzma)                                               \
	X(archive, archive_read_support_filter_xz)                                                 \
	X(archive, archive_read_support_filter_zstd)                                               \
	X(archive, archive_read_support_format_all)                                                \
	X(archive, archive_set_error)                                                              \
	X(crypto, EVP_DigestFinal_ex)                                                              \
	X(crypto, EVP_DigestInit_ex)                                                               \
	X(crypto, EVP_DigestUpdate)                                                                \
	X(crypto, EVP_MD_CTX_free)                                                                 \
	X(crypto, EVP_MD_CTX_new)                                                                  \
	X(crypto, EVP_sha256)

struct dks_lazylib {
#define DKS_LAZY_MEMBER(lib, name) __typeof__(name) *name;
	DKS_LAZY_SYMBOLS(DKS_LAZY_MEMBER)
#undef DKS_LAZY_MEMBER
};

/* The table (filled once; NULL before dks_lazylib_load succeeded). */
const struct dks_lazylib *dks_lazylib(void);
/* Load both libraries; one clear line when one is missing. */
int dks_lazylib_load(struct dks_error *err);

#ifndef DKS_LAZYLIB_IMPL
#define EVP_DigestFinal_ex (dks_lazylib()->EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (dks_lazylib()->EVP_DigestInit_ex)
#define EVP_DigestUpdate (dks_lazylib()->EVP_DigestUpdate)
#define EVP_MD_CTX_free (dks_lazylib()->EVP_MD_CTX_free)
#define EVP_MD_CTX_new (dks_lazylib()->EVP_MD_CTX_new)
#define EVP_sha256 (dks_lazylib()->EVP_sha256)
#define archive_entry_filetype (dks_lazylib()->archive_entry_filetype)
#define archive_entry_hardlink (dks_lazylib()->archive_entry_hardlink)
#define archive_entry_pathname (dks_lazylib()->archive_entry_pathname)
#define archive_entry_perm (dks_lazylib()->archive_entry_perm)
#define archive_entry_size (dks_lazylib()->archive_entry_size)
#define archive_entry_size_is_set (dks_lazylib()->archive_entry_size_is_set)
#define archive_entry_symlink (dks_lazylib()->archive_entry_symlink)
#define archive_errno (dks_lazylib()->archive_errno)
#define archive_error_string (dks_lazylib()->archive_error_string)
#define archive_read_data_block (dks_lazylib()->archive_read_data_block)
#define archive_read_free (dks_lazylib()->archive_read_free)
#define archive_read_new (dks_lazylib()->archive_read_new)
#define archive_read_next_header (dks_lazylib()->archive_read_next_header)
#define archive_read_open (dks_lazylib()->archive_read_open)
#define archive_read_support_filter_bzip2 (dks_lazylib()->archive_read_support_filter_bzip2)
#define archive_read_support_filter_compress (dks_lazylib()->archive_read_support_filter_compress)
#define archive_read_support_filter_gzip (dks_lazylib()->archive_read_support_filter_gzip)
#define archive_read_support_filter_lz4 (dks_lazylib()->archive_read_support_filter_lz4)
#define archive_read_support_filter_lzip (dks_lazylib()->archive_read_support_filter_lzip)
#define archive_read_support_filter_lzma (dks_lazylib()->archive_read_support_filter_lzma)
#define archive_read_support_filter_xz (dks_lazylib()->archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (dks_lazylib()->archive_read_support_filter_zstd)
#define archive_read_support_format_all (dks_lazylib()->archive_read_support_format_all)
#define archive_set_error (dks_lazylib()->archive_set_error)
#endif

#endif
