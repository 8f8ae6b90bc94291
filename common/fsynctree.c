// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Making a tree durable before it is renamed into place: every regular
 * file and every directory under it fsync'd, the directories after what
 * they hold (include/dks/fileio.h). Found by check-lostwrites: a build's
 * staging dir was renamed in with its entries never synced, so a power
 * cut after "built" could leave an empty build dir or a truncated .ko.
 *
 * No link is followed (O_NOFOLLOW; links themselves need no fsync, their
 * entry is in the directory). The trees are ours (a stage the orchestrator
 * filled): the depth is bounded, a deeper level is an error, not skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/fileio.h"

#define MAX_DEPTH 16

static int sync_dir_fd(int fd, int depth);

static int sync_entry(int dirfd, const char *name, int depth)
{
	struct stat st;
	int fd, ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = S_ISDIR(st.st_mode) ? sync_dir_fd(fd, depth + 1) : fsync(fd);
	close(fd);
	return ret;
}

/* Each entry of the directory @fd, then @fd itself. */
static int sync_dir_fd(int fd, int depth)
{
	int dup_fd = dup(fd), ret = 0;
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	struct dirent *e;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	if (depth > MAX_DEPTH)
		ret = (errno = ELOOP, -1);
	while (ret == 0 && (errno = 0, e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ret = sync_entry(fd, e->d_name, depth);
	if (ret == 0 && errno)
		ret = -1;
	closedir(d);
	return ret < 0 ? -1 : fsync(fd);
}

int dks_fsync_tree_at(int dirfd, const char *name)
{
	return sync_entry(dirfd, name, 0);
}
