// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Resource limits per process, applied everywhere; cgroup.c bounds the
 * sandbox as a whole where it can (docs/sandbox.md, "Limits"):
 *
 *   processes  RLIMIT_NPROC. Since Linux 5.14 it counts per user namespace:
 *              the sandbox's own processes, not the build uid's elsewhere.
 *   memory     RLIMIT_AS, per process.
 *   file_size  RLIMIT_FSIZE.
 *   open_files RLIMIT_NOFILE.
 *   core dumps off (a dump could land anywhere the build can write).
 *
 * The wall-clock timeout is not an rlimit: the caller kills the sandbox's
 * init, which takes the whole pid namespace with it.
 */
#include <errno.h>
#include <sys/resource.h>

#include "internal.h"

static int set(int resource, uint64_t value, const char *name,
	       struct dks_error *err)
{
	struct rlimit rl = {.rlim_cur = value ? value : RLIM_INFINITY,
			    .rlim_max = value ? value : RLIM_INFINITY};
	struct rlimit old;

	/* Never raise a limit the caller already has. */
	if (getrlimit(resource, &old) == 0 && old.rlim_max != RLIM_INFINITY &&
	    (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > old.rlim_max))
		rl.rlim_cur = rl.rlim_max = old.rlim_max;
	if (setrlimit(resource, &rl) < 0)
		return dks_err(err, errno, "cannot set the %s limit", name);
	return 0;
}

int dks_limits_apply(const struct dks_limits *l, struct dks_error *err)
{
	struct rlimit none = {0, 0};

	if (set(RLIMIT_NPROC, l->processes, "processes", err) < 0 ||
	    set(RLIMIT_AS, l->memory, "memory", err) < 0 ||
	    set(RLIMIT_FSIZE, l->file_size, "file size", err) < 0 ||
	    set(RLIMIT_NOFILE, l->open_files, "open files", err) < 0)
		return -1;
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return dks_err(err, errno, "cannot disable core dumps");
	return 0;
}
