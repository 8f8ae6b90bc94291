// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsck's findings (one line each, counted; the repair run when asked) and
 * whether a leftover's writer is gone: shared by the root's walk (fsck.c)
 * and a module's (fsck_module.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fsck.h"

bool dks_fsck_pid_dead(const char *name, const char *prefix)
{
	return dks_tree_name_pid_gone(name, prefix) == 1;
}

int dks_fsck_report(struct dks_fsck *f, const char *path, const char *what, const char *how,
		    int (*act)(const char *path), struct dks_error *err)
{
	f->found++;
	if (!f->repair || !act) {
		printf("%s: %s: %s\n", path, what, how);
		return 0;
	}
	if (act(path) < 0 && errno != ENOENT)
		return dks_err(err, errno, "%s: %s: cannot repair", path, what);
	f->repaired++;
	printf("%s: %s: repaired\n", path, what);
	return 0;
}
