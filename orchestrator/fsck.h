/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The check verb's walk of the tree (fsck.c; docs/reliability.md). */
#ifndef DKS_FSCK_H
#define DKS_FSCK_H

#include <stdbool.h>

#include "dks/error.h"
#include "dks/installer.h"
#include "dks/tree.h"

struct dks_fsck {
	const struct dks_tree *t;
	bool repair;              /* fix what is safe (under the module's lock) */
	const struct dks_install_opts *opts; /* a journal's recovery runs depmod so */
	unsigned found, repaired; /* inconsistencies seen; of them, fixed */
};

/* Check @m (NULL: every module) of @f->t, printing one line per finding.
 * 0, or -1 with @err when the tree cannot be read or a repair failed. */
int dks_fsck(struct dks_fsck *f, const char *m, struct dks_error *err);
/* One module's dir <dkmstree>/<m> (fsck_module.c). */
int dks_fsck_module(struct dks_fsck *f, const char *m, struct dks_error *err);
/* The same; with @named false, a module removed since the caller listed it
 * is skipped (0), not "not added" (3). */
int dks_fsck_module_of(struct dks_fsck *f, const char *m, bool named, struct dks_error *err);
/* A finding at @path: @what is wrong; @fix says what --repair does (NULL:
 * it cannot, @how says what will). Runs @fix's action through @act when
 * repairing; 0 or -1. */
int dks_fsck_report(struct dks_fsck *f, const char *path, const char *what, const char *how,
		    int (*act)(const char *path), struct dks_error *err);
/* The pid in @name after @prefix ("<prefix><pid>-..." or "<prefix><pid>")
 * is a process that is gone. */
bool dks_fsck_pid_dead(const char *name, const char *prefix);

#endif
