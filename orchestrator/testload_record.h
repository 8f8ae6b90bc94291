/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The load test's record in the tree (testload_record.c):
 * <dkmstree>/<m>/<v>/<kver>/<arch>/testload, "key: value" lines, written
 * whole (temp + rename). The inputs it was for are the digest of the
 * build's modules (the .ko files of module/: names and bytes) and the kernel image's
 * path and size: a record whose digest is not the build's now is stale.
 */
#ifndef DKS_TESTLOAD_RECORD_H
#define DKS_TESTLOAD_RECORD_H

#include <stdbool.h>
#include <stdio.h>

#include "dks/error.h"
#include "dks/tree.h"

#define DKS_TL_DIGEST_HEX 64

struct dks_tl_record {
	bool pass;
	char why[256];     /* one line: "loaded", "insmod foo: exit 1", "timed out after 60 s" */
	char accel[8];     /* kvm, tcg */
	double seconds;
	char digest[DKS_TL_DIGEST_HEX + 1];
	char kernel[512];  /* the image booted */
	long long when;    /* seconds since the epoch */
	char **lines;      /* the kernel's lines (not read back) */
	size_t n_lines;
};

/* sha256 over the names and bytes of the .ko files of @dir, by name. */
int dks_tl_modules_digest(const char *dir, char hex[DKS_TL_DIGEST_HEX + 1],
			  struct dks_error *err);
int dks_tl_record_write(const struct dks_tree *t, const char *m, const char *v,
			const char *kver, const char *arch, const struct dks_tl_record *r,
			struct dks_error *err);
/* 0 and @r filled, 1 when there is none, -1 on a damaged record. */
int dks_tl_record_read(const struct dks_tree *t, const char *m, const char *v,
		       const char *kver, const char *arch, struct dks_tl_record *r,
		       struct dks_error *err);
/* install's gate (config testload_required): a passing record for the
 * build as it is now, or an error naming why not (exit 1). */
int dks_tl_record_require(const struct dks_tree *t, const char *m, const char *v,
			  const char *kver, const char *arch, struct dks_error *err);

/* status: the note (--verbose, --json) " (load test passed on kvm in
 * 1.2 s)" or " (load test failed)" appended to s->notes, and
 * s->load_test; nothing when there is no record. */
void dks_tl_status_note(const struct dks_tree *t, const char *m, const char *v,
			const char *kver, const char *arch, struct dks_status *s);

#endif
