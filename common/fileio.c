// SPDX-License-Identifier: GPL-2.0-or-later
/* Small file helpers: fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"

int dks_fsync_parent(const char *path)
{
	cleanup_free char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	cleanup_close int fd = -1;

	if (!dir)
		return -1;
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 && fsync(fd) == 0 ? 0 : -1;
}

/* Each directory made is fsync'd into its parent: what is placed in it
 * later must not vanish with it in a power cut (check-lostwrites: install
 * placed a module in a new updates/dkms/ whose entry was never synced). */
int dks_mkdir_p(const char *path)
{
	cleanup_free char *copy = strdup(path);

	if (!copy)
		return -1;
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(copy, 0755) == 0) {
			if (dks_fsync_parent(copy) < 0)
				return -1;
		} else if (errno != EEXIST) {
			return -1;
		}
		if (!c)
			return 0;
		*p = c;
	}
}

ssize_t dks_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

bool dks_path_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == 0);
}

int dks_open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}
