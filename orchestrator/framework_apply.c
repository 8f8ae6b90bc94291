// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What dkms 3.4's framework keys mean here (framework.h): one table, one
 * line per key, the same as docs/framework.md. Every value came out of the
 * sandbox where the framework files ran, and one of them may be a hostile
 * package's drop-in: each is checked as configuration before it is used
 * (a path absolute and printable, parallel_jobs a bounded number,
 * try_sign_modules one of its three words); a bad value stops the command
 * with one line naming the file and key.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framework.h"
#include "dks/cleanup.h"
#include "dks/termsafe.h"

/* As -j: more jobs than this is a typo, not a machine. */
#define FW_JOBS_MAX 1024

enum how {
	SET_PATH,  /* an absolute path into the configuration field */
	CHECK_PATH, /* an absolute path, checked, with no use here */
	JOBS,      /* the number of parallel jobs */
	TRY_SIGN,  /* true | false | not_in_chroot */
	NOTE,      /* done otherwise here: one warning says how */
	ELSEWHERE, /* read where it is used (post_transaction, common.postinst), or
		    * accepted with nothing to do (verbose, continue_on_error) */
};

#define CFG(member) offsetof(struct dks_config, member)

static const struct rule {
	enum dks_fw_key key;
	enum how how;
	size_t off;
	const char *note;
} rules[] = {
    {FW_source_tree, SET_PATH, CFG(source_tree), NULL},
    {FW_dkms_tree, SET_PATH, CFG(dkms_tree), NULL},
    {FW_install_tree, SET_PATH, CFG(install_tree), NULL},
    /* Builds use the tree and memfds, never a shared temporary dir. */
    {FW_tmp_location, CHECK_PATH, 0, NULL},
    {FW_verbose, ELSEWHERE, 0, NULL},
    {FW_symlink_modules, NOTE, 0,
     "ignored: modules are always copied (a link into the DKMS tree would let whoever writes "
     "the tree change an installed module)"},
    {FW_autoinstall_all_kernels, ELSEWHERE, 0, NULL},
    {FW_modprobe_on_install, ELSEWHERE, 0, NULL}, /* ctx.c: as --modprobe-on-install */
    {FW_parallel_jobs, JOBS, 0, NULL},
    {FW_compress_gzip_opts, NOTE, 0,
     "ignored: modules are compressed in-process as the kernel's CONFIG_MODULE_COMPRESS_* asks"},
    {FW_compress_xz_opts, NOTE, 0,
     "ignored: modules are compressed in-process as the kernel's CONFIG_MODULE_COMPRESS_* asks"},
    {FW_compress_zstd_opts, NOTE, 0,
     "ignored: modules are compressed in-process as the kernel's CONFIG_MODULE_COMPRESS_* asks"},
    {FW_build_environment, NOTE, 0,
     "ignored: a build's environment is its sandbox's own (put variables in MAKE)"},
    {FW_post_transaction, ELSEWHERE, 0, NULL},
    {FW_sign_file, NOTE, 0,
     "ignored: modules are signed in-process with mok_signing_key and mok_certificate"},
    {FW_mok_signing_key, SET_PATH, CFG(mok_key), NULL},
    {FW_mok_certificate, SET_PATH, CFG(mok_cert), NULL},
    {FW_try_sign_modules, TRY_SIGN, 0, NULL},
    {FW_continue_on_error, ELSEWHERE, 0, NULL},
};

_Static_assert(sizeof(rules) / sizeof(rules[0]) == DKS_FW_N, "one rule per framework key");

static int bad_value(const struct dks_framework *fw, enum dks_fw_key k, const char *why,
		     struct dks_error *err)
{
	cleanup_free char *shown = dks_termsafe_str(fw->val[k]);

	return dks_err(err, 0, "%s: %s %s, got '%.200s'", fw->files[fw->setter[k]],
		       dks_framework_key_names[k], why, shown ? shown : "?");
}

static int path_value(const struct dks_framework *fw, enum dks_fw_key k, struct dks_error *err)
{
	const char *v = fw->val[k];

	if (v[0] != '/' || strlen(v) >= PATH_MAX)
		return bad_value(fw, k, "must be an absolute path", err);
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return bad_value(fw, k, "must not hold control characters", err);
	return 0;
}

static int jobs_value(const struct dks_framework *fw, struct dks_config *c, struct dks_error *err)
{
	const char *v = fw->val[FW_parallel_jobs];
	size_t n = strlen(v);
	long j;

	if (n == 0 || n > 9 || strspn(v, "0123456789") != n)
		return bad_value(fw, FW_parallel_jobs, "must be a whole number", err);
	j = strtol(v, NULL, 10);
	if (j > FW_JOBS_MAX)
		return bad_value(fw, FW_parallel_jobs, "must be at most 1024", err);
	c->jobs = (int)j; /* 0: one per CPU, as dkms */
	return 0;
}

static int sign_value(const struct dks_framework *fw, struct dks_config *c, struct dks_error *err)
{
	const char *v = fw->val[FW_try_sign_modules];

	if (strcmp(v, "false") == 0)
		return dks_config_set(&c->sign, "never", err);
	if (strcmp(v, "true") == 0 || strcmp(v, "not_in_chroot") == 0)
		return dks_config_set(&c->sign, "auto", err);
	return bad_value(fw, FW_try_sign_modules, "must be true, false or not_in_chroot", err);
}

static int apply_one(const struct dks_framework *fw, const struct rule *r, struct dks_config *c,
		     struct dks_error *err)
{
	switch (r->how) {
	case SET_PATH:
		if (path_value(fw, r->key, err) < 0)
			return -1;
		return dks_config_set((char **)((char *)c + r->off), fw->val[r->key], err);
	case CHECK_PATH: return path_value(fw, r->key, err);
	case JOBS: return jobs_value(fw, c, err);
	case TRY_SIGN: return sign_value(fw, c, err);
	case NOTE:
		dks_warn("%s: %s: %s", fw->files[fw->setter[r->key]],
			 dks_framework_key_names[r->key], r->note);
		return 0;
	case ELSEWHERE: return 0;
	}
	return 0;
}

int dks_framework_apply(const struct dks_framework *fw, struct dks_config *c,
			struct dks_error *err)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (dks_framework_get(fw, rules[i].key) && apply_one(fw, &rules[i], c, err) < 0)
			return -1;
	return 0;
}
