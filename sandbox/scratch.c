// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A scratch tmpfs: where a build writes, bounded whatever it does. Made by
 * the (root) caller with fsopen/fsmount, so it is never attached on the
 * host: init attaches it in the sandbox (mounts.c, as a bind's tree), and
 * the caller reads it through its own fd once the run is over. tmpfs
 * enforces size= on every page it holds (write, fallocate with or without
 * FALLOC_FL_KEEP_SIZE; holes of sparse files hold none) and nr_inodes= on
 * files of any size, and its pages are charged to the cgroup of the
 * process that writes them: the sandbox's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "internal.h"

#define BYTES_PER_INODE (16 * 1024)
#define MIN_INODES 1024

static int set(int fs, const char *key, unsigned long long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%llu", value);
	return fsconfig(fs, FSCONFIG_SET_STRING, key, v, 0);
}

int dks_scratch_create(uint64_t size, uid_t uid, gid_t gid, int *dirfd, struct dks_error *err)
{
	uint64_t inodes = size / BYTES_PER_INODE < MIN_INODES ? MIN_INODES : size / BYTES_PER_INODE;
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt = -1;

	*dirfd = -1;
	if (fs < 0)
		return dks_err(err, errno, "scratch tmpfs: fsopen");
	if (set(fs, "size", size) < 0 || set(fs, "nr_inodes", inodes) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 || set(fs, "uid", uid) < 0 ||
	    set(fs, "gid", gid) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		dks_err(err, errno, "scratch tmpfs: configuring");
		goto out;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0) {
		dks_err(err, errno, "scratch tmpfs: fsmount");
		goto out;
	}
	*dirfd = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0) {
		dks_err(err, errno, "scratch tmpfs: open");
		close(mnt);
		mnt = -1;
	}
out:
	close(fs);
	return mnt;
}
