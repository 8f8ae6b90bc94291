// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Root's run-time state: DKS_RUN_DIR (/run/dkms-sandbox) and its subdirs,
 * the build uids' locks (buildids.c) and the kept network namespaces
 * (netns.c). Root acts on what it finds there (joins a namespace, trusts a
 * lock), so each component is opened without following a link and must be
 * a directory of root's that nobody else may write; anything else is
 * refused, never repaired. Everything below is then reached from the
 * directory's fd (openat), not by a path walked again.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* @name below @dirfd, made 0755 if absent, as an fd, or -1 (errno). */
static int open_own_dir(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int refused(struct dks_error *err, const char *sub)
{
	return dks_err(err, errno, "%s/%s%s%s: %s", DKS_RUN_PARENT, DKS_RUN_NAME, sub ? "/" : "",
		       sub ? sub : "",
		       errno == EPERM ? "not a directory of root's that only root may write"
				      : "cannot open");
}

int dks_rundir_open(const char *sub, struct dks_error *err)
{
	int run = open(DKS_RUN_PARENT, O_RDONLY | O_DIRECTORY | O_CLOEXEC), top, fd;

	if (run < 0)
		return dks_err(err, errno, "%s", DKS_RUN_PARENT);
	top = open_own_dir(run, DKS_RUN_NAME);
	close(run);
	if (top < 0)
		return refused(err, NULL);
	fd = open_own_dir(top, sub);
	close(top);
	return fd < 0 ? refused(err, sub) : fd;
}
