/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dkms's own configuration: /etc/dkms/framework.conf, then
 * /etc/dkms/framework.conf.d/ *.conf in byte order (docs/framework.md).
 * They are shell, so they are sourced by bash in a sandbox exactly like a
 * dkms.conf (framework_eval.c, over shelleval.c), and only the values of
 * dkms 3.4's keys come back; framework.c checks them as configuration and
 * lays them under the YAML configuration.
 *
 *     framework.c        the files, the comment-only fast path
 *     framework_eval.c   the driver, the sandbox run, the records
 *     framework_apply.c  the values checked and applied to a struct dks_config
 *     framework_trust.c  whether the files are root's own
 */
#ifndef DKS_FRAMEWORK_H
#define DKS_FRAMEWORK_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/config.h"
#include "dks/dkmsconf.h"
#include "dks/error.h"

#define DKS_FRAMEWORK_MAX_FILES 64

/* dkms 3.4's keys (dkms.in: dkms_framework_nonsigning_variables,
 * dkms_framework_signing_variables; continue_on_error is common.postinst's). */
#define DKS_FRAMEWORK_KEYS(X)                                                                      \
	X(source_tree)                                                                             \
	X(dkms_tree)                                                                               \
	X(install_tree)                                                                            \
	X(tmp_location)                                                                            \
	X(verbose)                                                                                 \
	X(symlink_modules)                                                                         \
	X(autoinstall_all_kernels)                                                                 \
	X(modprobe_on_install)                                                                     \
	X(parallel_jobs)                                                                           \
	X(compress_gzip_opts)                                                                      \
	X(compress_xz_opts)                                                                        \
	X(compress_zstd_opts)                                                                      \
	X(build_environment)                                                                       \
	X(post_transaction)                                                                        \
	X(sign_file)                                                                               \
	X(mok_signing_key)                                                                         \
	X(mok_certificate)                                                                         \
	X(try_sign_modules)                                                                        \
	X(continue_on_error)

#define DKS_FW_ENUM(n) FW_##n,
enum dks_fw_key { DKS_FRAMEWORK_KEYS(DKS_FW_ENUM) DKS_FW_N };

extern const char *const dks_framework_key_names[DKS_FW_N];

struct dks_framework {
	char *files[DKS_FRAMEWORK_MAX_FILES]; /* as found, in dkms's order */
	size_t n_files;
	char *val[DKS_FW_N]; /* NULL: no file set it */
	int setter[DKS_FW_N]; /* index in files of the file that set it last */
};

/* The framework files of @path (path, then path.d/ *.conf): those that
 * exist, into @fw->files. */
int dks_framework_list(const char *path, struct dks_framework *fw, struct dks_error *err);

/* List the files of @path; *@needed is false when none exists or every
 * one holds only comments and blank lines: then nothing need run. */
int dks_framework_find(const char *path, struct dks_framework *fw, bool *needed,
		       struct dks_error *err);

/* framework_eval.c: read the driver's @len bytes of records (F/S/U, E
 * last) into @fw, strictly (the fuzzing entry point; eval calls it). */
int dks_framework_read_records(const char *records, size_t len, struct dks_framework *fw,
			       struct dks_error *err);

/* framework_eval.c: evaluate @fw->files in a sandbox (@o: its profile and
 * build user) with $kernelver = @kver (may be ""), fill @fw->val and
 * @fw->setter. Unknown keys: one warning each, naming file and key. */
int dks_framework_eval(const struct dks_eval_opts *o, const char *kver, struct dks_framework *fw,
		       struct dks_error *err);

/* The values that are configuration, checked (a tree is an absolute path,
 * parallel_jobs a bounded number, ...), onto @c; a bad one names its file
 * and key (exit 1). The keys the sandbox does differently say so once. */
int dks_framework_apply(const struct dks_framework *fw, struct dks_config *c,
			struct dks_error *err);

/* framework_trust.c: the first path among @fw->files and the directories
 * above them that is not root's or that others may write, in @buf; NULL
 * when all are root's own. */
const char *dks_framework_untrusted(const struct dks_framework *fw, char *buf, size_t size);

/* The value of @key when a file set it non-empty, else NULL. */
const char *dks_framework_get(const struct dks_framework *fw, enum dks_fw_key key);

void dks_framework_clear(struct dks_framework *fw);

#endif
