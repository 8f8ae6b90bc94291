// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sandbox's network namespace: empty but for "lo", which is up.
 *
 * A new network namespace is the dearest part of a sandbox's start: the
 * kernel registers the loopback device and every protocol's per-namespace
 * state (sysctl tables, about 0.4 ms on a 2-core VM, the unshare's whole
 * cost), and tears it all down again in a worker once the sandbox is gone.
 * So root, whose sandboxes each hold a build uid of their own (buildids.c),
 * keeps one namespace per build uid, bound at DKS_NETNS_DIR/UID, and the
 * next sandbox with that uid joins it instead of making one. Why that is
 * safe:
 *
 *   - One sandbox at a time: a range uid is taken under its lock, held
 *     until the sandbox and every process in it are gone.
 *   - Nothing in the sandbox can change the namespace: it belongs to the
 *     host's user namespace (root made it), not to the sandbox's, so not
 *     even init, before it drops its capabilities, has CAP_NET_ADMIN over
 *     it. No address, route, rule, interface or sysctl is ever other than
 *     root made it: lo, up.
 *   - What a sandbox can leave in it dies with the sandbox: sockets, and
 *     the abstract unix names bound to them, close when the pid namespace's
 *     processes are killed; no process of the host is in it.
 *
 * The setup child makes the namespace (still root, before it drops to the
 * build uid) and keeps it if it can: a host where /run takes no bind mount
 * (a container without the right) gets a new namespace each time, made the
 * same way. Normal users, and root with one fixed build user (which
 * concurrent sandboxes share), get a namespace of the sandbox's own user
 * namespace, new each time, and init brings its lo up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

int dks_netns_loopback_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -1;
	ifr.ifr_flags |= IFF_UP;
	if (ret == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -1;
	close(fd);
	return ret;
}

/* The pool's dir: made by root, nobody else may write it (else no pool). */
static bool pool_dir_ok(void)
{
	struct stat st;

	if (mkdir(DKS_NETNS_DIR, 0700) < 0 && errno != EEXIST)
		return false;
	return lstat(DKS_NETNS_DIR, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	       !(st.st_mode & 022);
}

/* Is @fd a network namespace (and not some file put there)? */
static bool is_netns(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) == 0 && fs.f_type == NSFS_MAGIC &&
	       ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}

/* Drop the namespace kept for uid @name if no sandbox holds that uid. */
static void drop_unheld(const char *name)
{
	char ns[PATH_MAX];
	int fd;

	if (!dks_buildids_unheld(name, &fd))
		return;
	snprintf(ns, sizeof(ns), "%s/%s", DKS_NETNS_DIR, name);
	umount2(ns, MNT_DETACH | UMOUNT_NOFOLLOW);
	unlink(ns);
	if (fd >= 0)
		close(fd);
}

/* At most DKS_NETNS_KEEP are kept: past that, those of uids that no
 * sandbox holds go (the uids of a range used once: a test's, an old
 * configuration's). */
static void trim(void)
{
	DIR *d = opendir(DKS_NETNS_DIR);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	if (n >= DKS_NETNS_KEEP) {
		rewinddir(d);
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				drop_unheld(e->d_name);
	}
	closedir(d);
}

int dks_netns_kept(uid_t uid, char *path, size_t size)
{
	int fd;

	path[0] = 0;
	if (!pool_dir_ok() ||
	    snprintf(path, size, "%s/%u", DKS_NETNS_DIR, (unsigned)uid) >= (int)size) {
		path[0] = 0;
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !is_netns(fd)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		trim();
	return fd;
}

/* Bind the calling thread's namespace at @path, over what is there. A
 * failure costs only the next sandbox's time. */
static void keep(const char *path)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return;
	close(fd);
	(void)mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL);
}

int dks_netns_join(int fd, const char *path)
{
	if (fd >= 0)
		return setns(fd, CLONE_NEWNET);
	if (unshare(CLONE_NEWNET) < 0 || dks_netns_loopback_up() < 0)
		return -1;
	if (*path)
		keep(path);
	return 0;
}
