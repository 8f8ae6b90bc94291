// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every capability set empty: effective, permitted, inheritable, ambient
 * and bounding. Init holds all capabilities in its user namespace while it
 * mounts; after this nothing in the sandbox holds any, and no exec can
 * regain one (the bounding set caps what file capabilities could grant;
 * no_new_privs, set next, closes setuid files as well).
 */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "internal.h"

int dks_caps_drop_all(struct dks_error *err)
{
	cap_t empty;
	int r;

	/* The bounding set first: dropping from it needs CAP_SETPCAP. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP || cap_valid(c); c++) {
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return dks_err(err, errno, "cannot drop capability %d from the bounding set", c);
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return dks_err(err, errno, "cannot clear the ambient capabilities");
	empty = cap_init();
	if (!empty)
		return dks_err(err, errno, "cap_init");
	r = cap_set_proc(empty);
	cap_free(empty);
	if (r < 0)
		return dks_err(err, errno, "cannot clear the capability sets");
	return 0;
}
