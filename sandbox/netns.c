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
 *   - What a sandbox can leave in it dies with the sandbox: its profile
 *     lets it make only AF_UNIX sockets (a profile that allows socket gets
 *     a new namespace each time: dks_netns_shareable), and those, and the
 *     abstract names bound to them, close when the pid namespace's
 *     processes are killed; no process of the host is in it.
 *   - Only a namespace of root's own user namespace, found in a directory
 *     of root's that nobody else may write (rundir.c), is ever joined.
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

/* The namespace a sandbox of @p may leave to the next one of its uid: not
 * one whose profile lets it make a socket (allowed, or log mode). A TCP
 * connection the sandbox closed stays in TIME_WAIT after every process is
 * gone, holding its port for a minute; the profiles that deny socket can
 * make only AF_UNIX sockets (seccomp.c, quiet_unix_socket), which die with
 * their processes. */
bool dks_netns_shareable(const struct dks_profile *p)
{
	return !dks_profile_makes_sockets(p);
}

/* Is @fd a network namespace of the host's user namespace (root's own, as
 * root made it), and not some file or another user's namespace put there? */
static bool is_netns(int fd)
{
	struct stat own, owner;
	struct statfs fs;
	int user;
	bool same;

	if (fstatfs(fd, &fs) < 0 || fs.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return false;
	user = ioctl(fd, NS_GET_USERNS);
	if (user < 0)
		return false;
	same = fstat(user, &owner) == 0 && stat("/proc/self/ns/user", &own) == 0 &&
	       own.st_dev == owner.st_dev && own.st_ino == owner.st_ino;
	close(user);
	return same;
}

/* Drop the namespace kept for uid @name (its uid held by dks_keep_trim). */
static void drop(const char *name, void *arg)
{
	char ns[PATH_MAX];

	/* umount2 takes a path: the pool's, which is root's own (rundir.c). */
	snprintf(ns, sizeof(ns), "%s/%s", DKS_NETNS_DIR, name);
	umount2(ns, MNT_DETACH | UMOUNT_NOFOLLOW);
	unlinkat(*(int *)arg, name, 0);
}

/* Room for one more: at most DKS_NETNS_KEEP are kept, those of uids no
 * sandbox holds going first, least recently used first (keeptrim.c). */
static void trim(int pool)
{
	int dup = fcntl(pool, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	struct strv names = {0};
	struct dirent *e;

	if (!d) {
		if (dup >= 0)
			close(dup);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strv_push(&names, e->d_name) < 0)
			break;
	closedir(d);
	if (names.n >= DKS_NETNS_KEEP)
		dks_keep_trim(names.v, names.n, DKS_NETNS_KEEP - 1, drop, &pool);
	strv_free(&names);
}

int dks_netns_kept(uid_t uid, int *pool, char *name, size_t size)
{
	struct dks_error err = {0};
	int fd;

	name[0] = 0;
	*pool = dks_rundir_open(DKS_NETNS_SUB, &err);
	if (*pool < 0)
		return -1;
	snprintf(name, size, "%u", (unsigned)uid);
	fd = openat(*pool, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && !is_netns(fd)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		trim(*pool);
	return fd;
}

/* Bind the calling thread's namespace at @name in @pool, over what is
 * there (a file left by a bind that failed, a namespace is_netns refused).
 * A failure costs only the next sandbox's time. */
static void keep(int pool, const char *name)
{
	int fd = openat(pool, name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	char target[64];
	struct stat st;

	if (fd < 0)
		return;
	snprintf(target, sizeof(target), "/proc/thread-self/fd/%d", fd);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		(void)mount("/proc/thread-self/ns/net", target, NULL, MS_BIND, NULL);
	close(fd);
}

int dks_netns_join(int fd, int pool, const char *name)
{
	if (fd >= 0)
		return setns(fd, CLONE_NEWNET);
	if (unshare(CLONE_NEWNET) < 0 || dks_netns_loopback_up() < 0)
		return -1;
	if (pool >= 0 && *name)
		keep(pool, name);
	return 0;
}
