/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DKMS tree, in dkms's layout (docs/tree.md):
 *
 *   <dkmstree>/<m>/<v>/source -> <sourcetree>/<m>-<v>
 *   <dkmstree>/<m>/<v>/<kver>/<arch>/module/<dest_name>.ko
 *   <dkmstree>/<m>/<v>/<kver>/<arch>/log/make.log
 *   <dkmstree>/<m>/kernel-<kver>-<arch> -> <v>/<kver>/<arch>     (installed; issue 4)
 *   <dkmstree>/<m>/original_module/<kver>/<arch>/                (issue 4)
 *   <dkmstree>/<m>/.lock                                         (flock: one writer per module;
 *                                                                 its holder's record: lockwait.h)
 *
 * Every state change is atomic: a new <kver>/<arch> is built under a
 * temporary name and renamed into place; readers never see half a state.
 */
#ifndef DKS_TREE_H
#define DKS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dks/error.h"
#include "dks/treename.h"

struct dks_tree {
	const char *dkms_tree;
	const char *source_tree;
	const char *install_tree;
	int lock_timeout; /* seconds a lock is waited for; 0: as long as it takes */
};


/* Take the module's lock (creates <dkmstree>/<m>/). Blocks. Returns an fd
 * to pass to dks_tree_unlock. */
int dks_tree_lock(const struct dks_tree *t, const char *module, struct dks_error *err);
/* The same for a module that must be in the tree: one removed (before or
 * while waiting) is -1 with errnum ENOENT, and its dir is not made again. */
int dks_tree_lock_existing(const struct dks_tree *t, const char *module, struct dks_error *err);
void dks_tree_unlock(int lock_fd);

/* Is m/v added (its source link exists)? */
bool dks_tree_is_added(const struct dks_tree *t, const char *m, const char *v);
/* The source directory of m/v (the link's target, or <sourcetree>/<m>-<v>). malloc'd. */
char *dks_tree_source_dir(const struct dks_tree *t, const char *m, const char *v);

/* m/v in the tree: added now (like dkms) when its source is in the
 * source tree but it was not added yet. Takes the module's lock. */
int dks_tree_ensure_added(const struct dks_tree *t, const char *m, const char *v,
			  struct dks_error *err);
/* Add m/v whose source is <sourcetree>/<m>-<v> (must exist: else exit 2;
 * already added: exit 3). Caller holds the lock. */
int dks_tree_add(const struct dks_tree *t, const char *m, const char *v, struct dks_error *err);

/* A fresh staging directory for a build of m/v for kver/arch, inside the
 * tree (same filesystem, so the commit is a rename). malloc'd path. */
char *dks_tree_stage(const struct dks_tree *t, const char *m, const char *v,
		     const char *kver, const char *arch, struct dks_error *err);
/* Move a staged build (module/ and log/) into place, replacing an older
 * one (--force). Caller holds the lock. */
int dks_tree_commit(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		    const char *arch, const char *staged, struct dks_error *err);
/* Keep a failed build's log: <m>/<v>/<kver>/<arch>/log/make.log, no module/. */
int dks_tree_commit_log(const struct dks_tree *t, const char *m, const char *v,
			const char *kver, const char *arch, const char *staged,
			struct dks_error *err);
/* A build whose m/v (or staging dir) a remove or unbuild of another
 * command took while it ran: one line, exit 3 (dkms's "not located in the
 * DKMS tree"). Returns -1. */
int dks_tree_err_removed(struct dks_error *err, const char *m, const char *v, const char *kver,
			 const char *arch);
/* Is m/v built for kver/arch (module/ present)? */
bool dks_tree_is_built(const struct dks_tree *t, const char *m, const char *v,
		       const char *kver, const char *arch);


/* Remove the build of m/v for kver/arch (a failed build's log too) and
 * stale staging dirs of it. Refused while it is installed. Caller holds
 * the lock. */
int dks_tree_unbuild(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		     const char *arch, struct dks_error *err);
/* Remove m/v entirely (all its builds, its source link; the module dir
 * when it was the last version). Refused while any of its builds is
 * installed. Caller holds the lock; when the module dir went, that lock
 * no longer excludes anyone (a new locker makes a new dir): unlock next. */
int dks_tree_remove(const struct dks_tree *t, const char *m, const char *v, struct dks_error *err);

/* @name is @prefix<pid>[-...]: 1 when that pid is gone, 0 when it is
 * alive (or @name is not @prefix...), -1 when no pid follows @prefix. */
int dks_tree_name_pid_gone(const char *name, const char *prefix);
/* <dkmstree>/@name is a .gone-<pid>-XXXXXX dir (a module dir on its way
 * out) whose remover is gone (or that names no pid): nobody will finish
 * deleting it. */
bool dks_tree_gone_abandoned(const char *name);

enum dks_state { DKS_ADDED, DKS_BUILT, DKS_INSTALLED, DKS_BROKEN };

struct dks_status {
	char *module, *version; /* always set */
	char *kver, *arch;      /* NULL for ADDED and BROKEN lines */
	enum dks_state state;
	char suffix[192];       /* " (Original modules exist)" ... or "" */
	/* Ours, not dkms's: " (shadows in-tree ext4)", " (shadows built-in
	 * ext4)", or "". Only --json and --verbose show it: the status line
	 * stays dkms's, byte for byte. */
	char notes[192];
	/* Ours: the load test's record (docs/testload.md); result "" when
	 * there is none. --json shows it as "load_test". */
	struct {
		char result[8], accel[8]; /* "pass"/"fail", "kvm"/"tcg" */
		double seconds;
	} load_test;
};

/* Every status line, sorted like dkms (module, version, kernel, arch);
 * @m / @v filter when not NULL. Reads the tree only: never evaluates
 * dkms.conf, never starts a process. */
int dks_tree_status(const struct dks_tree *t, const char *m, const char *v,
		    struct dks_status **out, size_t *n, struct dks_error *err);
void dks_status_free(struct dks_status *s, size_t n);
/* dkms's module_is_broken_and_die(): m/v broken (its source link dangles,
 * or is gone while its source dir or builds are left) is DKS_EXIT_BROKEN
 * with dkms's words; else 0. Reads like status. */
int dks_tree_check_intact(const struct dks_tree *t, const char *m, const char *v,
			  struct dks_error *err);
/* "m/v, kver, arch: built" (dkms's exact line). malloc'd. */
char *dks_status_line(const struct dks_status *s);
/* status --json: an array of {"module", "version", "kernel", "arch",
 * "state", "notes", "load_test"} objects (null where a line has no kernel/arch; notes:
 * the suffixes of an installed line and then its notes, without
 * parentheses). 0, or -1 with
 * errno when writing failed. */
int dks_status_json(FILE *out, const struct dks_status *s, size_t n);

#endif
