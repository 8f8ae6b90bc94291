/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What dpkg's database says about module sources (dpkg_db.c): which
 * package ships a file, and what a package depends on. Read, never run:
 * ADMINDIR/info/<pkg>[:<arch>].list and ADMINDIR/status, parsed by us with
 * bounded lines (docs/build.md, "What a build reads"). A missing database
 * or file is no answer, not an error.
 */
#ifndef DKS_DPKG_DB_H
#define DKS_DPKG_DB_H

#include "dks/error.h"
#include "dks/strv.h"

/* A line of a list or status file longer than this is not read (its
 * package gives no answer); dpkg's own fields are far shorter. */
#define DKS_DPKG_LINE_MAX (64 * 1024)

/* For each of @paths (absolute files), the packages whose list names it
 * exactly: pushes pairs onto @out, the index of the path in decimal, then
 * the package name (without ":arch"). */
int dks_dpkg_owners(const char *admindir, const struct strv *paths, struct strv *out,
		    struct dks_error *err);

/* The memo's name in the DKMS tree; its writer's temp file is
 * DKS_DPKG_MEMO.<pid>-XXXXXX (fsck removes one whose writer is gone). */
#define DKS_DPKG_MEMO ".dpkg-owners"

/* dks_dpkg_owners, remembered in the file @memo (dpkg_memo.c: read when
 * it answers every path for ADMINDIR/info as it is now, rewritten after a
 * scan; best-effort, never an error). @out starts empty. */
int dks_dpkg_owners_memo(const char *memo, const char *admindir, const struct strv *paths,
			 struct strv *out, struct dks_error *err);

/* The packages @pkg's Depends and Pre-Depends name, every alternative,
 * without version, arch qualifier or profile, each once, onto @out. */
int dks_dpkg_depends(const char *admindir, const char *pkg, struct strv *out,
		     struct dks_error *err);

/* Can @s be a Debian package name? [a-z0-9][a-z0-9+.-]+, at most 128. */
bool dks_dpkg_name_ok(const char *s);

#endif
