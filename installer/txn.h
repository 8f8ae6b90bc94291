/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A journalled change to a set of files (the installer's: the modules in
 * the install tree, original_module/ copies, the install record and the
 * kernel-<kver>-<arch> link). kill -9 at any instant leaves, after
 * dks_txn_recover, every file as it was before or every file as it was
 * meant to be after: never a mix.
 *
 * The journal is a file that lists the paths (docs/install.md):
 *
 *   state prepare  each existing path is hard-linked to <path>.dks-old
 *   state apply    (the list now says which paths existed) the steps run:
 *                  each writes <path>.dks-new and renames it over <path>,
 *                  or removes <path>
 *   state commit   the backups are removed, then the journal
 *
 * Recovery of a journal in state prepare removes the backups; in state
 * apply it puts each backup back and removes what did not exist (a roll
 * back); in state commit it finishes the commit. Each is idempotent, so a
 * crash during recovery is recovered the next time. Every path and its
 * backup are in one directory (rename and link never cross a filesystem).
 * The caller serialises: one transaction per journal at a time.
 */
#ifndef DKS_TXN_H
#define DKS_TXN_H

#include <stddef.h>
#include <stdio.h>

#include "dks/error.h"

enum dks_txn_op {
	DKS_TXN_BYTES,   /* write buf/len (0644) */
	DKS_TXN_COPY,    /* the content of the file @from (a hard link when it can) */
	DKS_TXN_SYMLINK, /* a symbolic link to @from */
	DKS_TXN_REMOVE,  /* no file */
};

struct dks_txn_step {
	char *path;
	enum dks_txn_op op;
	const void *buf; /* DKS_TXN_BYTES: not owned */
	size_t len;
	char *from;
	long long mtime_ns; /* DKS_TXN_BYTES: > 0 sets the file's mtime */
};

struct dks_txn {
	char *journal;
	struct dks_txn_step *steps;
	size_t n, cap;
};

int dks_txn_init(struct dks_txn *x, const char *journal, struct dks_error *err);
/* Add a step for @path (absolute, no newline, not in the transaction yet). */
int dks_txn_add(struct dks_txn *x, const char *path, enum dks_txn_op op, const void *buf,
		size_t len, const char *from, struct dks_error *err);
/* Journal, back up, run every step. On failure the transaction is rolled
 * back before returning. */
int dks_txn_apply(struct dks_txn *x, struct dks_error *err);
/* Keep the new state. */
int dks_txn_commit(struct dks_txn *x, struct dks_error *err);
/* Put the old state back (after a successful apply, e.g. when depmod
 * failed). */
int dks_txn_rollback(struct dks_txn *x, struct dks_error *err);
void dks_txn_free(struct dks_txn *x);

/* Parse a journal from @f (@name in messages) without acting on it: its
 * number of steps, or -1 (the fuzzing entry point; recovery reads the same way). */
int dks_txn_journal_parse(FILE *f, const char *name, struct dks_error *err);

/* Finish what an interrupted transaction left at @journal. 0: there was
 * none; 1: one was rolled back; 2: one was committed; -1: error. */
int dks_txn_recover(const char *journal, struct dks_error *err);

/* A point where a test may stop the process (tests/helpers/crashpoint.c
 * defines it in the crash-test binary; here it does nothing). */
void dks_crash_point(const char *what);

#endif
