// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What root keeps per build uid (the network namespaces of netns.c, the
 * cgroups of cgkeep.c) stays bounded: past the bound, the entries of uids
 * that no sandbox holds go, least recently used first, until the bound is
 * met. When a uid was last used is its lock file's mtime, which
 * dks_buildids_acquire sets when a sandbox takes the uid; a uid without a
 * lock file counts as never used. The order is read without taking any
 * lock (a sandbox taking a uid must not find it taken by a trim); only
 * while an entry is dropped is its uid's lock held here, so that no
 * sandbox takes the uid meanwhile (one that tries takes another). Those
 * used a moment ago, by a sandbox that has just ended and the next that
 * will take its uid again, are the last to go.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CANDIDATES_MAX 4096

struct candidate {
	const char *name;
	struct timespec used; /* {0}: the uid never had a lock file */
};

/* When uid @name was last used (its lock file's mtime), looked at without
 * taking its lock: a sandbox taking the uid now must not find it taken. */
static void last_used(int lockdir, const char *name, struct candidate *c)
{
	struct stat st;

	*c = (struct candidate){.name = name};
	if (fstatat(lockdir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		c->used = st.st_mtim;
}

static int by_use(const void *a, const void *b)
{
	const struct timespec *x = &((const struct candidate *)a)->used;
	const struct timespec *y = &((const struct candidate *)b)->used;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

/* Drop @name's entry if no sandbox holds its uid, holding it meanwhile. */
static bool drop_unheld(int lockdir, const char *name,
			void (*drop)(const char *name, void *arg), void *arg)
{
	int fd = openat(lockdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && errno != ENOENT)
		return false;
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return false;
	}
	drop(name, arg);
	if (fd >= 0)
		close(fd);
	return true;
}

void dks_keep_trim(char *const *names, size_t n, size_t keep,
		   void (*drop)(const char *name, void *arg), void *arg)
{
	struct dks_error err = {0};
	struct candidate *c;
	size_t k = n < CANDIDATES_MAX ? n : CANDIDATES_MAX, gone = 0;
	int locks;

	if (n <= keep || !(c = calloc(k, sizeof(*c))))
		return;
	locks = dks_rundir_open(DKS_BUILDIDS_SUB, &err);
	for (size_t i = 0; locks >= 0 && i < k; i++)
		last_used(locks, names[i], &c[i]);
	qsort(c, k, sizeof(*c), by_use);
	for (size_t i = 0; locks >= 0 && i < k && gone < n - keep; i++)
		gone += drop_unheld(locks, c[i].name, drop, arg);
	if (locks >= 0)
		close(locks);
	free(c);
}
