// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Root's cgroups kept per build uid, as its network namespaces are
 * (netns.c): a sandbox with a build uid of its own (held under the uid's
 * lock) uses PARENT/dkms-sandbox-uid-UID and leaves it for the next
 * sandbox of that uid, instead of making a cgroup and removing it each
 * time. Making a memory cgroup and, above all, taking one down (its css
 * going offline, in a kernel worker, while the next sandbox starts) cost
 * about 0.25 ms of every start on a 2-core VM.
 *
 * What the next sandbox of the uid finds in it:
 *   - no process: all died with the pid namespace before the lock went
 *     (a cgroup that has one is not reused: a fresh one is made);
 *   - the limits of the last profile: cgroup.c writes this one's each time;
 *   - counters: the OOM kills are counted from where they stood when this
 *     sandbox took the cgroup (cgroup.c, oom_base);
 *   - page cache charged by the last sandbox: reclaimable, the first
 *     thing reclaimed when this one needs the memory.
 * At most DKS_CGKEEP_MAX are kept; past that, those of uids no sandbox
 * holds are removed, least recently used first (keeptrim.c).
 *
 * The other sandboxes' cgroups are fresh, dkms-sandbox-PID-TIME, removed
 * by their caller after the run; a caller killed first (kill -9, an OOM)
 * leaves its cgroup behind. Before a fresh one is made, those whose caller
 * is gone are removed: dks_cgroup_sweep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define KEEP_PREFIX "dkms-sandbox-uid-"
#define FRESH_PREFIX "dkms-sandbox-"

/* No process in @dir's cgroup.procs? */
static bool no_process(const char *dir)
{
	char path[PATH_MAX + 16], c;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, &c, 1);
	close(fd);
	return n == 0;
}

/* Remove the cgroup kept for uid @name below @arg (its uid held by
 * dks_keep_trim); a cgroup that has a process stays (rmdir: EBUSY). */
static void drop(const char *name, void *arg)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/" KEEP_PREFIX "%s", (const char *)arg, name) <
	    (int)sizeof(dir))
		rmdir(dir);
}

/* At most DKS_CGKEEP_MAX below @parent, least recently used going first. */
static void trim(const char *parent)
{
	DIR *d = opendir(parent);
	struct strv uids = {0};
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, KEEP_PREFIX, strlen(KEEP_PREFIX)) == 0 &&
		    strv_push(&uids, e->d_name + strlen(KEEP_PREFIX)) < 0)
			break;
	closedir(d);
	dks_keep_trim(uids.v, uids.n, DKS_CGKEEP_MAX, drop, (void *)parent);
	strv_free(&uids);
}

/* Root's, and nobody else may write it: a kept cgroup found there was made
 * by root (cgroupfs takes a mkdir only where the dir's mode allows it). */
static bool roots_own(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	       !(st.st_mode & 022);
}

char *dks_cgkeep_dir(const char *parent, uid_t uid)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/" KEEP_PREFIX "%u", parent, (unsigned)uid) >=
		(int)sizeof(dir) ||
	    !roots_own(parent))
		return NULL;
	if (mkdir(dir, 0755) == 0) {
		trim(parent);
		return strdup(dir);
	}
	if (errno != EEXIST || !roots_own(dir) || !no_process(dir))
		return NULL;
	return strdup(dir);
}

/* Remove the fresh cgroups below @parent whose caller (the PID in their
 * name) is gone. rmdir takes only an empty cgroup; a PID that now names
 * another process keeps its cgroup: a leak, never a removal too many. */
void dks_cgroup_sweep(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	char dir[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, FRESH_PREFIX, strlen(FRESH_PREFIX)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(FRESH_PREFIX), &end, 10);
		if (pid <= 0 || *end != '-' || pid == getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", parent, e->d_name);
		rmdir(dir);
	}
	closedir(d);
}
