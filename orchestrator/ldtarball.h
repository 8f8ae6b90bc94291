/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ldtarball (ldtarball.c: stage and check; ldplace.c: place): a module
 * archive of dkms's layout, ours or dkms's, loaded into the tree only
 * after every check passed (docs/archives.md).
 */
#ifndef DKS_LDTARBALL_H
#define DKS_LDTARBALL_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"
#include "dks/manifest.h"
#include "dks/tree.h"
#include "tarball.h"

/* A source archive's dkms.conf evaluated as add does: its name and
 * version (malloc'd). */
typedef int (*dks_conf_names_fn)(void *arg, const char *conf, const char *dir, char **m,
				 char **v, struct dks_error *err);

struct dks_ldtarball {
	const struct dks_tree *tree;
	const char *archive;
	bool force;
	const char *kernelsourcedir;
	const char *boot_dir; /* config-KVER of a kernel without headers (NULL: /boot) */
	const char *cert;    /* verifies dkms_sandbox/manifest.sig (NULL: none) */
	bool require_signed; /* refuse an archive without a signed manifest */
	unsigned long long max_size; /* cap of the extracted whole (0: 1 GiB) */
	dks_conf_names_fn conf_names;
	void *conf_arg;
	const char *stage_parent; /* where to stage (NULL: the DKMS tree) */
};

/* What the staged archive holds, once checked. */
struct dks_staged {
	char *root;             /* <dkmstree>/.ldtarball-XXXXXX */
	char *top;              /* root/x: the archive's contents */
	char *module, *version;
	bool binaries_only;     /* dkms_binaries_only, else dkms_source_tree */
	struct dks_manifest *manifest; /* NULL: dkms's archive */
	struct dks_loaded_kernel *kernels;
	size_t n_kernels;
};

int dks_ldtarball(const struct dks_ldtarball *o, struct dks_error *err);
/* Steps 1-5 of ldtarball (docs/archives.md) into @s: extracted below
 * o->stage_parent with the archive rules, its shape, m/v, the manifest
 * and its signature, the source's digest. Nothing placed; then
 * dks_ldtarball_kernels checks the kernels. Free with dks_staged_clear
 * (which removes the staging directory), also after a failure. */
int dks_ldtarball_open(const struct dks_ldtarball *o, struct dks_staged *s,
		       struct dks_error *err);
void dks_staged_clear(struct dks_staged *s);

/* ldctx.c: conf_names for a verb's context (@arg: its struct dks_ctx),
 * and the certificate that verifies manifests: --archive-cert, else
 * trusted_cert, mok_cert, dkms's mok.pub when it exists; else NULL. */
struct dks_ctx;
int dks_ldtarball_conf_names(void *arg, const char *conf, const char *dir, char **m, char **v,
			     struct dks_error *err);
const char *dks_ldtarball_cert(const struct dks_ctx *ctx);
/* ldkernels.c: s->kernels from dkms_main_tree/<kver>/<arch>, each holding
 * only module/ and log/, each checked (archive_check.c); with a manifest,
 * the same kernels as it lists. */
int dks_ldtarball_kernels(const struct dks_ldtarball *o, struct dks_staged *s,
			  struct dks_error *err);
/* ldplace.c: the checked archive into the tree, under m's lock. */
int dks_ldtarball_place(const struct dks_ldtarball *o, const struct dks_staged *s,
			struct dks_error *err);

#endif
