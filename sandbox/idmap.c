// SPDX-License-Identifier: GPL-2.0-or-later
/* uid/gid maps of a sandbox's user namespace. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"

static int write_proc(pid_t pid, const char *file, const char *text,
		      struct dks_error *err)
{
	char path[64];
	size_t len = strlen(text);
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && geteuid() != 0 && prctl(PR_GET_DUMPABLE) == 0)
		return dks_err(err, 0, "cannot map the build user into the sandbox: this process is "
				       "not dumpable (it changed uid without exec); exec dkms-sandbox instead");
	if (fd < 0)
		return dks_err(err, errno, "cannot open %s", path);
	if (write(fd, text, len) != (ssize_t)len) {
		dks_err(err, errno, "cannot write %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Identity maps of exactly one id: inside, the build user is who it is
 * outside, and no other host id (root least of all) exists. setgroups is
 * denied so that nothing in the sandbox can drop a group to gain access. */
int dks_write_id_maps(pid_t pid, uid_t uid, gid_t gid, struct dks_error *err)
{
	char map[64];

	if (write_proc(pid, "setgroups", "deny", err) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_proc(pid, "uid_map", map, err) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_proc(pid, "gid_map", map, err);
}
