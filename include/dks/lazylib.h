/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Libraries loaded on first use (dlopen) by the code that needs them:
 * libarchive (recipe sources, toolchain images), libcrypto (sha256,
 * module signing), liblzma, libzstd and zlib (module compression). Linked
 * normally they and theirs (libxml2, ICU, libstdc++, nettle, ...) would be
 * loaded and relocated by every start of dkms-sandbox: about 10 ms of
 * `sandbox run`, which is measured against bubblewrap.
 *
 * Include after the libraries' own headers: the names used by the code
 * become calls through a table filled by dks_lazylib_load(), which every
 * entry point into such code calls first. The symbol list is generated
 * from what the objects use (nm -u); a missing one fails to link.
 */
#ifndef DKS_LAZYLIB_H
#define DKS_LAZYLIB_H

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>
#include <zstd.h>

#include "dks/error.h"

#define DKS_LAZY_SYMBOLS(X) \
	X(archive, archive_entry_filetype) \
	X(archive, archive_entry_free) \
	X(archive, archive_entry_hardlink) \
	X(archive, archive_entry_new) \
	X(archive, archive_entry_pathname) \
	X(archive, archive_entry_perm) \
	X(archive, archive_entry_set_filetype) \
	X(archive, archive_entry_set_gid) \
	X(archive, archive_entry_set_gname) \
	X(archive, archive_entry_set_mtime) \
	X(archive, archive_entry_set_pathname) \
	X(archive, archive_entry_set_perm) \
	X(archive, archive_entry_set_size) \
	X(archive, archive_entry_set_uid) \
	X(archive, archive_entry_set_uname) \
	X(archive, archive_entry_size) \
	X(archive, archive_entry_size_is_set) \
	X(archive, archive_entry_symlink) \
	X(archive, archive_errno) \
	X(archive, archive_error_string) \
	X(archive, archive_read_data_block) \
	X(archive, archive_read_free) \
	X(archive, archive_read_new) \
	X(archive, archive_read_next_header) \
	X(archive, archive_read_open) \
	X(archive, archive_read_support_filter_bzip2) \
	X(archive, archive_read_support_filter_compress) \
	X(archive, archive_read_support_filter_gzip) \
	X(archive, archive_read_support_filter_lz4) \
	X(archive, archive_read_support_filter_lzip) \
	X(archive, archive_read_support_filter_lzma) \
	X(archive, archive_read_support_filter_xz) \
	X(archive, archive_read_support_filter_zstd) \
	X(archive, archive_read_support_format_all) \
	X(archive, archive_set_error) \
	X(archive, archive_write_add_filter_gzip) \
	X(archive, archive_write_close) \
	X(archive, archive_write_data) \
	X(archive, archive_write_free) \
	X(archive, archive_write_header) \
	X(archive, archive_write_new) \
	X(archive, archive_write_open_fd) \
	X(archive, archive_write_set_format_pax_restricted) \
	X(crypto, BIO_ctrl) \
	X(crypto, BIO_free_all) \
	X(crypto, BIO_new) \
	X(crypto, BIO_new_mem_buf) \
	X(crypto, BIO_s_mem) \
	X(crypto, BIO_s_secmem) \
	X(crypto, BN_free) \
	X(crypto, BN_new) \
	X(crypto, BN_rand) \
	X(crypto, BN_to_ASN1_INTEGER) \
	X(crypto, CMS_ContentInfo_free) \
	X(crypto, CMS_add1_signer) \
	X(crypto, CMS_final) \
	X(crypto, CMS_sign) \
	X(crypto, CMS_verify) \
	X(crypto, d2i_CMS_ContentInfo) \
	X(crypto, ERR_clear_error) \
	X(crypto, ERR_get_error) \
	X(crypto, ERR_lib_error_string) \
	X(crypto, ERR_reason_error_string) \
	X(crypto, EVP_DigestFinal_ex) \
	X(crypto, EVP_DigestInit_ex) \
	X(crypto, EVP_DigestUpdate) \
	X(crypto, EVP_MD_CTX_free) \
	X(crypto, EVP_MD_CTX_new) \
	X(crypto, EVP_PKEY_Q_keygen) \
	X(crypto, EVP_PKEY_free) \
	X(crypto, EVP_get_digestbyname) \
	X(crypto, EVP_sha256) \
	X(crypto, OPENSSL_sk_free) \
	X(crypto, OPENSSL_sk_new_null) \
	X(crypto, OPENSSL_sk_push) \
	X(crypto, PEM_read_bio_PrivateKey) \
	X(crypto, PEM_read_bio_X509) \
	X(crypto, PEM_write_bio_PrivateKey) \
	X(crypto, X509V3_EXT_conf_nid) \
	X(crypto, X509V3_set_ctx) \
	X(crypto, X509_EXTENSION_free) \
	X(crypto, X509_NAME_add_entry_by_txt) \
	X(crypto, X509_add_ext) \
	X(crypto, X509_check_private_key) \
	X(crypto, X509_free) \
	X(crypto, X509_get_serialNumber) \
	X(crypto, X509_get_subject_name) \
	X(crypto, X509_getm_notAfter) \
	X(crypto, X509_getm_notBefore) \
	X(crypto, X509_gmtime_adj) \
	X(crypto, X509_new) \
	X(crypto, X509_set_issuer_name) \
	X(crypto, X509_set_pubkey) \
	X(crypto, X509_set_version) \
	X(crypto, X509_sign) \
	X(crypto, X509_time_adj_ex) \
	X(crypto, d2i_X509) \
	X(crypto, i2d_CMS_bio_stream) \
	X(crypto, i2d_X509_bio) \
	X(crypto, CMS_get0_SignerInfos) \
	X(crypto, CMS_SignerInfo_cert_cmp) \
	X(crypto, CMS_SignerInfo_get0_algs) \
	X(crypto, CMS_get0_type) \
	X(crypto, X509_ALGOR_get0) \
	X(crypto, OBJ_obj2nid) \
	X(crypto, OBJ_nid2sn) \
	X(crypto, OPENSSL_sk_num) \
	X(crypto, OPENSSL_sk_value) \
	X(crypto, EVP_MD_get_type) \
	X(crypto, X509_NAME_oneline) \
	X(lzma, lzma_lzma_preset) \
	X(lzma, lzma_stream_buffer_bound) \
	X(lzma, lzma_stream_buffer_decode) \
	X(lzma, lzma_stream_buffer_encode) \
	X(zstd, ZSTD_CCtx_setParameter) \
	X(zstd, ZSTD_compress2) \
	X(zstd, ZSTD_compressBound) \
	X(zstd, ZSTD_createCCtx) \
	X(zstd, ZSTD_decompress) \
	X(zstd, ZSTD_freeCCtx) \
	X(zstd, ZSTD_getErrorName) \
	X(zstd, ZSTD_getFrameContentSize) \
	X(zstd, ZSTD_isError) \
	X(z, deflate) \
	X(z, deflateBound) \
	X(z, deflateEnd) \
	X(z, deflateInit2_)

struct dks_lazylib {
#define DKS_LAZY_MEMBER(lib, name) __typeof__(name) *name;
	DKS_LAZY_SYMBOLS(DKS_LAZY_MEMBER)
#undef DKS_LAZY_MEMBER
};

/* The table (filled once; NULL before dks_lazylib_load succeeded). */
const struct dks_lazylib *dks_lazylib(void);
/* Load the libraries; one clear line when one is missing. */
int dks_lazylib_load(struct dks_error *err);

#ifndef DKS_LAZYLIB_IMPL
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
#define BIO_ctrl (dks_lazylib()->BIO_ctrl)
#define BIO_free_all (dks_lazylib()->BIO_free_all)
#define BIO_new (dks_lazylib()->BIO_new)
#define BIO_new_mem_buf (dks_lazylib()->BIO_new_mem_buf)
#define BIO_s_mem (dks_lazylib()->BIO_s_mem)
#define BIO_s_secmem (dks_lazylib()->BIO_s_secmem)
#define BN_free (dks_lazylib()->BN_free)
#define BN_new (dks_lazylib()->BN_new)
#define BN_rand (dks_lazylib()->BN_rand)
#define BN_to_ASN1_INTEGER (dks_lazylib()->BN_to_ASN1_INTEGER)
#define CMS_ContentInfo_free (dks_lazylib()->CMS_ContentInfo_free)
#define CMS_add1_signer (dks_lazylib()->CMS_add1_signer)
#define CMS_final (dks_lazylib()->CMS_final)
#define CMS_sign (dks_lazylib()->CMS_sign)
#define ERR_clear_error (dks_lazylib()->ERR_clear_error)
#define ERR_get_error (dks_lazylib()->ERR_get_error)
#define ERR_lib_error_string (dks_lazylib()->ERR_lib_error_string)
#define ERR_reason_error_string (dks_lazylib()->ERR_reason_error_string)
#define EVP_DigestFinal_ex (dks_lazylib()->EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (dks_lazylib()->EVP_DigestInit_ex)
#define EVP_DigestUpdate (dks_lazylib()->EVP_DigestUpdate)
#define EVP_MD_CTX_free (dks_lazylib()->EVP_MD_CTX_free)
#define EVP_MD_CTX_new (dks_lazylib()->EVP_MD_CTX_new)
#define EVP_PKEY_Q_keygen (dks_lazylib()->EVP_PKEY_Q_keygen)
#define EVP_PKEY_free (dks_lazylib()->EVP_PKEY_free)
#define EVP_get_digestbyname (dks_lazylib()->EVP_get_digestbyname)
#define EVP_sha256 (dks_lazylib()->EVP_sha256)
#define PEM_read_bio_PrivateKey (dks_lazylib()->PEM_read_bio_PrivateKey)
#define PEM_read_bio_X509 (dks_lazylib()->PEM_read_bio_X509)
#define PEM_write_bio_PrivateKey (dks_lazylib()->PEM_write_bio_PrivateKey)
#define X509V3_EXT_conf_nid (dks_lazylib()->X509V3_EXT_conf_nid)
#define X509V3_set_ctx (dks_lazylib()->X509V3_set_ctx)
#define X509_EXTENSION_free (dks_lazylib()->X509_EXTENSION_free)
#define X509_NAME_add_entry_by_txt (dks_lazylib()->X509_NAME_add_entry_by_txt)
#define X509_add_ext (dks_lazylib()->X509_add_ext)
#define X509_check_private_key (dks_lazylib()->X509_check_private_key)
#define X509_free (dks_lazylib()->X509_free)
#define X509_get_serialNumber (dks_lazylib()->X509_get_serialNumber)
#define X509_get_subject_name (dks_lazylib()->X509_get_subject_name)
#define X509_getm_notAfter (dks_lazylib()->X509_getm_notAfter)
#define X509_getm_notBefore (dks_lazylib()->X509_getm_notBefore)
#define X509_gmtime_adj (dks_lazylib()->X509_gmtime_adj)
#define X509_new (dks_lazylib()->X509_new)
#define X509_set_issuer_name (dks_lazylib()->X509_set_issuer_name)
#define X509_set_pubkey (dks_lazylib()->X509_set_pubkey)
#define X509_set_version (dks_lazylib()->X509_set_version)
#define X509_sign (dks_lazylib()->X509_sign)
#define X509_time_adj_ex (dks_lazylib()->X509_time_adj_ex)
#define d2i_X509 (dks_lazylib()->d2i_X509)
#define i2d_CMS_bio_stream (dks_lazylib()->i2d_CMS_bio_stream)
#define i2d_X509_bio (dks_lazylib()->i2d_X509_bio)
#define CMS_verify (dks_lazylib()->CMS_verify)
#define d2i_CMS_ContentInfo (dks_lazylib()->d2i_CMS_ContentInfo)
#define CMS_get0_SignerInfos (dks_lazylib()->CMS_get0_SignerInfos)
#define CMS_SignerInfo_cert_cmp (dks_lazylib()->CMS_SignerInfo_cert_cmp)
#define CMS_SignerInfo_get0_algs (dks_lazylib()->CMS_SignerInfo_get0_algs)
#define CMS_get0_type (dks_lazylib()->CMS_get0_type)
#define X509_ALGOR_get0 (dks_lazylib()->X509_ALGOR_get0)
#define OBJ_obj2nid (dks_lazylib()->OBJ_obj2nid)
#define OBJ_nid2sn (dks_lazylib()->OBJ_nid2sn)
#define OPENSSL_sk_num (dks_lazylib()->OPENSSL_sk_num)
#define OPENSSL_sk_value (dks_lazylib()->OPENSSL_sk_value)
#define OPENSSL_sk_new_null (dks_lazylib()->OPENSSL_sk_new_null)
#define OPENSSL_sk_push (dks_lazylib()->OPENSSL_sk_push)
#define OPENSSL_sk_free (dks_lazylib()->OPENSSL_sk_free)
#define EVP_MD_get_type (dks_lazylib()->EVP_MD_get_type)
#define X509_NAME_oneline (dks_lazylib()->X509_NAME_oneline)
#define lzma_lzma_preset (dks_lazylib()->lzma_lzma_preset)
#define lzma_stream_buffer_bound (dks_lazylib()->lzma_stream_buffer_bound)
#define lzma_stream_buffer_decode (dks_lazylib()->lzma_stream_buffer_decode)
#define lzma_stream_buffer_encode (dks_lazylib()->lzma_stream_buffer_encode)
#define ZSTD_CCtx_setParameter (dks_lazylib()->ZSTD_CCtx_setParameter)
#define ZSTD_compress2 (dks_lazylib()->ZSTD_compress2)
#define ZSTD_compressBound (dks_lazylib()->ZSTD_compressBound)
#define ZSTD_createCCtx (dks_lazylib()->ZSTD_createCCtx)
#define ZSTD_decompress (dks_lazylib()->ZSTD_decompress)
#define ZSTD_freeCCtx (dks_lazylib()->ZSTD_freeCCtx)
#define ZSTD_getErrorName (dks_lazylib()->ZSTD_getErrorName)
#define ZSTD_getFrameContentSize (dks_lazylib()->ZSTD_getFrameContentSize)
#define ZSTD_isError (dks_lazylib()->ZSTD_isError)
#define deflate (dks_lazylib()->deflate)
#define deflateBound (dks_lazylib()->deflateBound)
#define deflateEnd (dks_lazylib()->deflateEnd)
#define deflateInit2_ (dks_lazylib()->deflateInit2_)
#define archive_write_new (dks_lazylib()->archive_write_new)
#define archive_write_free (dks_lazylib()->archive_write_free)
#define archive_write_add_filter_gzip (dks_lazylib()->archive_write_add_filter_gzip)
#define archive_write_set_format_pax_restricted (dks_lazylib()->archive_write_set_format_pax_restricted)
#define archive_write_open_fd (dks_lazylib()->archive_write_open_fd)
#define archive_write_header (dks_lazylib()->archive_write_header)
#define archive_write_data (dks_lazylib()->archive_write_data)
#define archive_write_close (dks_lazylib()->archive_write_close)
#define archive_entry_new (dks_lazylib()->archive_entry_new)
#define archive_entry_free (dks_lazylib()->archive_entry_free)
#define archive_entry_set_pathname (dks_lazylib()->archive_entry_set_pathname)
#define archive_entry_set_size (dks_lazylib()->archive_entry_set_size)
#define archive_entry_set_filetype (dks_lazylib()->archive_entry_set_filetype)
#define archive_entry_set_perm (dks_lazylib()->archive_entry_set_perm)
#define archive_entry_set_mtime (dks_lazylib()->archive_entry_set_mtime)
#define archive_entry_set_uid (dks_lazylib()->archive_entry_set_uid)
#define archive_entry_set_gid (dks_lazylib()->archive_entry_set_gid)
#define archive_entry_set_uname (dks_lazylib()->archive_entry_set_uname)
#define archive_entry_set_gname (dks_lazylib()->archive_entry_set_gname)
#endif

#endif
