// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Removing a tree that an attacker wrote (a build directory, a half
 * imported image): include/dks/fileio.h.
 *
 * No link is ever followed: unlinkat removes a link itself, and a
 * directory is entered with O_NOFOLLOW. No depth limit either: a limit
 * would leave a deep enough tree behind, filling the disk build after
 * build. The walk is iterative, holding one directory fd at a time, so
 * depth costs neither stack nor file descriptors; it climbs back with
 * "..", which is safe because nothing can move the tree under us (the
 * sandbox that wrote it is gone with its pid namespace).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dks/fileio.h"

/* Remove every entry of the directory at @fd that can be removed
 * without descending. Returns 1 and sets @sub to a subdirectory that is
 * not empty, 0 when @fd is empty now, -1 with errno on error. */
static int clear_level(int fd, char *sub, size_t size)
{
	int dup_fd = dup(fd), ret = 0;
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	struct dirent *e;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	rewinddir(d);
	while (ret == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM)
			ret = -1;
		else if (unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0)
			continue;
		else if (errno != ENOTEMPTY && errno != EEXIST)
			ret = -1;
		else if (strlen(e->d_name) >= size)
			ret = (errno = ENAMETOOLONG, -1);
		else
			ret = (strcpy(sub, e->d_name), 1);
	}
	closedir(d);
	return ret;
}

/* Empty the directory @top (an fd it takes), however deep. */
static int empty_dir(int top)
{
	char sub[256];
	size_t depth = 0;
	int cur = top;

	for (;;) {
		int r = clear_level(cur, sub, sizeof(sub)), next;

		if (r < 0)
			break;
		if (r == 1) {
			next = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0)
				break;
			close(cur);
			cur = next;
			depth++;
			continue;
		}
		if (depth == 0) {
			close(cur);
			return 0;
		}
		/* Empty: climb; the parent's next pass removes it. */
		next = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			break;
		close(cur);
		cur = next;
		depth--;
	}
	int saved = errno;

	close(cur);
	errno = saved;
	return -1;
}

int dks_rmtree_at(int dirfd, const char *name)
{
	int fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (empty_dir(fd) < 0)
		return -1;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

int dks_rmtree(const char *path)
{
	return dks_rmtree_at(AT_FDCWD, path);
}
