// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsck: the tree's root (the hidden dirs of removers and loads), then each
 * module (fsck_module.c). A finding is one line on stdout:
 *   <path>: <what is wrong>: repaired
 *   <path>: <what is wrong>: <what fixes it>
 * Hidden names are the tree's own (docs/tree.md); a leftover is removed
 * only when nobody can be using it: its owner's pid is gone, or the
 * module's lock is held.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dks/fileio.h"
#include "dpkg_db.h"
#include "fsck.h"

/* <dkmstree>/.gone-<pid>-* (a remove that died; a live remover's is its
 * own to delete), .ldtarball-<pid>-* (a load whose process is gone) and
 * .dpkg-owners.<pid>-* (the dpkg memo's temp file, its writer gone; one
 * without a pid is an older version's). */
static int check_root_entry(struct dks_fsck *f, const char *name, struct dks_error *err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", f->t->dkms_tree, name);
	if (dks_tree_gone_abandoned(name))
		return dks_fsck_report(f, path, "the leftover of a remove that was cut short",
				       "fsck --repair removes it", dks_rmtree, err);
	if (dks_fsck_pid_dead(name, ".ldtarball-"))
		return dks_fsck_report(f, path, "the leftover of an ldtarball whose process is gone",
				       "fsck --repair or the next ldtarball removes it", dks_rmtree,
				       err);
	if (dks_tree_name_pid_gone(name, DKS_DPKG_MEMO ".") != 0)
		return dks_fsck_report(f, path, "a dpkg memo write whose process is gone",
				       "fsck --repair removes it", dks_rmtree, err);
	if (name[0] == '.')
		return 0;
	return dks_fsck_module_of(f, name, false, err);
}

int dks_fsck(struct dks_fsck *f, const char *m, struct dks_error *err)
{
	struct dirent *e;
	DIR *d;
	int ret = 0;

	if (m)
		return dks_fsck_module(f, m, err);
	d = opendir(f->t->dkms_tree);
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return dks_err(err, errno, "cannot read %s", f->t->dkms_tree);
	while (ret == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ret = check_root_entry(f, e->d_name, err);
	closedir(d);
	return ret;
}
