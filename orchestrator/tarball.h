/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dkms's module archives (docs/archives.md): mktarball and ldtarball.
 * tar_write.c writes a tar.gz entry by entry (never following a link),
 * mktarball.c lays out dkms's tree in it with our manifest, ldtarball.c
 * extracts one with fetch.c's careful sink into the tree and places what
 * archive_check.c accepted; the manifest is signed and verified with
 * installer/sign.c's key handling.
 */
#ifndef DKS_TARBALL_H
#define DKS_TARBALL_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"
#include "dks/manifest.h"
#include "dks/tree.h"

/* ---- tar_write.c ---- */
struct dks_tar;
/* A new archive at @path, written to a temporary name beside it. */
int dks_tar_open(const char *path, struct dks_tar **out, struct dks_error *err);
int dks_tar_dir(struct dks_tar *t, const char *name, struct dks_error *err);
int dks_tar_bytes(struct dks_tar *t, const char *name, const void *p, size_t n, int mode,
		  struct dks_error *err);
/* A regular file of the host (opened O_NOFOLLOW): its bytes and x bit. */
int dks_tar_file(struct dks_tar *t, const char *name, const char *path, struct dks_error *err);
/* A host directory's regular files and directories below @name; links,
 * devices and the like are left out, each with one line. */
int dks_tar_tree(struct dks_tar *t, const char *name, const char *dir, struct dks_error *err);
/* How many host entries dks_tar_tree left out so far. */
unsigned dks_tar_left_out(const struct dks_tar *t);
/* Finish, fsync, rename into place. Frees @t either way. */
int dks_tar_commit(struct dks_tar *t, struct dks_error *err);
void dks_tar_abort(struct dks_tar *t);

/* ---- archive_check.c ---- */
/* A staged archive's one kernel: dkms_main_tree/<kver>/<arch>. */
struct dks_loaded_kernel {
	char *kver, *arch;
	char *dir; /* the staged directory */
};

/* Every .ko of @k's module/ directory checked against the kernel as the
 * installer would, and against @mk (NULL: no manifest) when there is one:
 * sha256, no module missing or extra, the kernel's identity. */
int dks_archive_check_kernel(const struct dks_loaded_kernel *k,
			     const struct dks_manifest_kernel *mk, const char *kernelsourcedir,
			     const char *install_tree, const char *boot_dir, const char *what,
			     struct dks_error *err);
/* What this host knows of @kver/@arch: the facts install validates
 * with, and the kernel's identity (identity.h). From its headers when it
 * has them; else (a fleet host) from the kernel's own modules and
 * <@boot_dir>/config-KVER (dks_kernel_facts_for), and the identity is
 * then the release and arch only. */
struct dks_kernel_facts;
struct dks_kernel_id;
int dks_archive_kernel(const char *kver, const char *arch, const char *kernelsourcedir,
		       const char *install_tree, const char *boot_dir, struct dks_kernel_facts *facts,
		       struct dks_kernel_id *id, struct dks_error *err);
/* sha256 of a file as 64 hex digits (tar_write and the checks). */
int dks_archive_sha256(const char *path, char out[DKS_MANIFEST_HEX], struct dks_error *err);

#endif
