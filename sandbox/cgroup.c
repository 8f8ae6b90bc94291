// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cgroup v2, where it is delegated to the caller: one child cgroup per
 * sandbox with memory.max and pids.max for the sandbox as a whole (rlimits
 * only bound single processes), and cgroup.kill on timeout. "Delegated"
 * means: the caller's own cgroup on the cgroup2 mount offers the memory and
 * pids controllers to its children (cgroup.subtree_control) and the caller
 * may create a child there. Elsewhere (hybrid v1 hosts, an empty v2 mount,
 * no write access) the rlimits of limits.c are all there is; they are
 * applied in both cases.
 */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "internal.h"

/* The cgroup2 mount point, /sys/fs/cgroup preferred. malloc'd or NULL. */
static char *cgroup2_mount(void)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	char *found = NULL;

	while (tb && it && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *type = mnt_fs_get_fstype(fs);
		const char *target = mnt_fs_get_target(fs);

		if (!type || !target || strcmp(type, "cgroup2") != 0)
			continue;
		if (!found || strcmp(target, "/sys/fs/cgroup") == 0) {
			free(found);
			found = strdup(target);
		}
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return found;
}

/* The caller's cgroup v2 path ("0::/path" in /proc/self/cgroup). */
static char *own_cgroup(void)
{
	cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 8];

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			return strdup(line + 3);
		}
	}
	return NULL;
}

static bool has_word(const char *text, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = text; (p = strstr(p, word)); p += len)
		if ((p == text || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\n' || !p[len]))
			return true;
	return false;
}

static bool delegated(const char *dir)
{
	char path[PATH_MAX + 64], text[256] = "";
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, text, sizeof(text) - 1)) < 0)
		return false;
	text[n] = 0;
	return has_word(text, "memory") && has_word(text, "pids") && access(dir, W_OK) == 0;
}

static int write_knob(const char *dir, const char *knob, const char *value)
{
	char path[PATH_MAX + 64];
	size_t len = strlen(value);
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, len) != (ssize_t)len)
		return -1;
	return 0;
}

static int set_limits(const char *dir, const struct dks_limits *l)
{
	char v[32];

	if (l->memory) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory);
		if (write_knob(dir, "memory.max", v) < 0)
			return -1;
	}
	if (l->processes) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->processes);
		if (write_knob(dir, "pids.max", v) < 0)
			return -1;
	}
	return 0;
}

int dks_cgroup_create(const struct dks_limits *l, char **out, struct dks_error *err)
{
	cleanup_free char *mnt = cgroup2_mount();
	cleanup_free char *own = own_cgroup();
	char base[PATH_MAX], dir[PATH_MAX + 64];
	struct timespec ts;

	*out = NULL;
	if (!mnt || !own)
		return 0;
	if (snprintf(base, sizeof(base), "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own) >=
		    (int)sizeof(base) ||
	    !delegated(base))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(dir, sizeof(dir), "%s/dkms-sandbox-%d-%lld%09ld", base, (int)getpid(),
		 (long long)ts.tv_sec, ts.tv_nsec);
	if (mkdir(dir, 0755) < 0)
		return dks_err(err, errno, "cgroup %s", dir);
	if (set_limits(dir, l) < 0) {
		dks_err(err, errno, "cgroup %s: cannot set memory.max/pids.max", dir);
		rmdir(dir);
		return -1;
	}
	*out = strdup(dir);
	if (!*out) {
		rmdir(dir);
		return dks_err(err, ENOMEM, "cgroup");
	}
	return 0;
}

int dks_cgroup_attach(const char *dir, pid_t pid, struct dks_error *err)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", (int)pid);
	if (write_knob(dir, "cgroup.procs", v) < 0)
		return dks_err(err, errno, "cgroup %s: cannot move the sandbox in", dir);
	return 0;
}

void dks_cgroup_kill(const char *dir)
{
	if (dir)
		write_knob(dir, "cgroup.kill", "1");
}

void dks_cgroup_destroy(char *dir)
{
	if (!dir)
		return;
	/* Every process is reaped by now; a last one may still be leaving. */
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(1000);
	free(dir);
}
