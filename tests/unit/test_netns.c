/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Root's network namespaces (sandbox/netns.c): one per build uid, made by
 * root and kept for the next sandbox of that uid whose profile cannot make
 * a socket. What must hold: lo is up; a kept namespace is reused only by
 * the uid it is kept for and never by two sandboxes at once; the sandbox
 * cannot change root's namespace; a profile that makes sockets never
 * shares one (a TIME_WAIT connection outlives its processes), and nothing
 * it leaves listening reaches the next sandbox; a file, or another user
 * namespace's network namespace, in the pool's place is never trusted;
 * the pool stays bounded.
 *
 * Each test uses uids of its own (a free range) and removes what it kept.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "sbtest.h"

#define NETNS_DIR "/run/dkms-sandbox/netns"
#define NSFS_MAGIC_ 0x6e736673

TestSuite(netns, .fini = sbt_cleanup);

static char *kept_path(uid_t uid)
{
	char *s = NULL;

	cr_assert(asprintf(&s, NETNS_DIR "/%u", (unsigned)uid) > 0);
	return s;
}

/* The pool's dir, as rundir.c makes it (a fresh machine has none yet). */
static void make_pool_dir(void)
{
	mkdir("/run/dkms-sandbox", 0755);
	mkdir(NETNS_DIR, 0755);
}

/* @uid was used a moment ago (its lock file's mtime, as buildids.c sets
 * it): what the test plants for it is not what another test's sandbox,
 * trimming the pool past its bound, drops first (keeptrim.c). */
static void mark_used(uid_t uid)
{
	char p[128];

	snprintf(p, sizeof(p), "/run/dkms-sandbox/build-uids/%u", (unsigned)uid);
	mkdir("/run/dkms-sandbox", 0755);
	mkdir("/run/dkms-sandbox/build-uids", 0755);
	sbt_write_file(p, "", 0, 0, 0600);
}

/* Remove what a test kept for @uid (and whatever it put there). */
static void unkeep(uid_t uid)
{
	cleanup_free char *p = kept_path(uid);

	umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW);
	unlink(p);
}

/* A profile that cannot make a socket, enforced: its sandboxes keep and
 * share their uid's namespace. */
#define KEEPING "default"

/* Is lo up in the namespace bound at @path? Looked at from outside (a
 * KEEPING sandbox cannot make the socket the ioctl needs). */
static bool lo_up_in(const char *path)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ifreq ifr = { 0 };
		int ns = open(path, O_RDONLY | O_CLOEXEC), fd;

		if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
			_exit(2);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		strcpy(ifr.ifr_name, "lo");
		if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			_exit(2);
		_exit(ifr.ifr_flags & IFF_UP ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) < 2, "cannot look into %s", path);
	return WEXITSTATUS(status) == 0;
}

/* A profile that can make sockets (seccomp logs, no Landlock): only the
 * namespace is in the way. Its sandboxes never share one. */
static char *netns_only_profile(void)
{
	static const char yaml[] = "name: netns-only\n"
				   "seccomp:\n  mode: log\n"
				   "landlock: false\n";
	cleanup_free char *dir = sbt_mkdtemp(NULL);
	char *path = NULL;

	cr_assert(asprintf(&path, "%s/netns-only.yaml", dir) > 0);
	sbt_write_file(path, yaml, 0, 0, 0644);
	return path;
}

/* Run "sh -c SCRIPT" (the probe at /probe/probe) as @user under @profile. */
static void run_sh(const char *user, const char *profile, const char *script,
		   struct sbt_out *out)
{
	struct sbt_opts o = { .profile = profile, .user = user };
	char *const argv[] = { "/bin/sh", "-c", (char *)script, NULL };

	cr_assert_eq(sbt_run(&o, argv, out), 0, "sandbox: %s", out->err.msg);
	cr_assert_eq(out->res.outcome, DKS_SANDBOX_EXITED, "%s", out->text);
}

static char *netns_of(const struct sbt_out *out)
{
	char *v = sbt_value(out, "netns=");

	cr_assert_not_null(v, "no netns= line:\n%s", out->text);
	return v;
}

/* Kept namespaces are root's (build uids); make check runs as root. */
static void require_root(void)
{
	cr_assert_eq(geteuid(), 0, "run the tests as root (make check): kept namespaces are root's");
}

/* Two sandboxes of one uid, one after the other: the same namespace,
 * root's (owned by the host's user namespace), lo up, not the host's. */
Test(netns, a_build_uid_s_next_sandbox_joins_the_namespace_kept_for_it, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *user = NULL, *path = NULL;
	cleanup_free char *a = NULL, *b = NULL;
	struct sbt_out o1, o2;
	struct stat host, owner;
	cleanup_close int fd = -1, ufd = -1;

	require_root();
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	path = kept_path(uid);
	run_sh(user, KEEPING, "/probe/probe net", &o1);
	run_sh(user, KEEPING, "/probe/probe net", &o2);
	a = netns_of(&o1);
	b = netns_of(&o2);
	cr_expect_str_eq(a, b, "uid %u's second sandbox is in another namespace", (unsigned)uid);
	cr_expect(lo_up_in(path), "lo is not up in the kept namespace");
	unkeep(uid);
	cr_assert_eq(stat("/proc/self/ns/net", &host), 0);
	cr_expect_neq(strtoull(a, NULL, 10), (unsigned long long)host.st_ino,
		      "the sandbox is in the host's network namespace");
	/* Kept while it was there: the host's user namespace owned it. */
	sbt_out_free(&o2);
	run_sh(user, KEEPING, "/probe/probe net", &o2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "nothing kept at %s: %s", path, strerror(errno));
	ufd = ioctl(fd, NS_GET_USERNS);
	cr_assert_geq(ufd, 0, "NS_GET_USERNS: %s", strerror(errno));
	cr_assert_eq(fstat(ufd, &owner), 0);
	cr_assert_eq(stat("/proc/self/ns/user", &host), 0);
	cr_expect_eq(owner.st_ino, host.st_ino, "the kept namespace is not owned by root's "
		     "user namespace: the sandbox could change it");
	unkeep(uid);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* Different uids, different namespaces; and a fixed build user (which
 * sandboxes share) gets a new one each time: none is kept for it. */
Test(netns, namespaces_are_never_shared_between_uids_nor_kept_for_a_shared_user,
     .timeout = 60)
{
	uid_t uid;
	cleanup_free char *r1 = NULL, *r2 = NULL, *profile = netns_only_profile();
	cleanup_free char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *fixed = NULL, *kp = NULL;
	struct sbt_out o1, o2, o3, o4;

	require_root();
	uid = sbt_free_uids(2);
	kp = kept_path(uid);
	r1 = sbt_uid_range(uid, 1);
	r2 = sbt_uid_range(uid + 1, 1);
	run_sh(r1, KEEPING, "/probe/probe net", &o1);
	run_sh(r2, KEEPING, "/probe/probe net", &o2);
	cr_expect_eq(access(kp, F_OK), 0, "nothing kept for uid %u", (unsigned)uid);
	unkeep(uid);
	unkeep(uid + 1);
	a = netns_of(&o1);
	b = netns_of(&o2);
	cr_expect_str_neq(a, b, "uids %u and %u share a network namespace", (unsigned)uid,
			  (unsigned)uid + 1);
	cr_assert(asprintf(&fixed, "%u", (unsigned)sbt_build_uid()) > 0);
	run_sh(fixed, profile, "/probe/probe net", &o3);
	run_sh(fixed, profile, "/probe/probe net", &o4);
	c = netns_of(&o3);
	d = netns_of(&o4);
	cr_expect_str_neq(c, d, "two sandboxes of the fixed user %s share a namespace", fixed);
	cr_expect(sbt_has(&o3, "lo=up") && sbt_has(&o4, "lo=up"), "lo is not up:\n%s", o3.text);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
	sbt_out_free(&o3);
	sbt_out_free(&o4);
}

/* Nothing in the sandbox can change root's namespace: even with socket
 * allowed (and then in a new namespace of root's, not the kept one), lo
 * cannot be taken down. */
Test(netns, the_sandbox_cannot_change_root_s_namespace, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *user = NULL, *profile = netns_only_profile(), *a = NULL;
	struct sbt_out o1;
	struct stat host;

	require_root();
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	run_sh(user, profile, "/probe/probe net; /probe/probe lo-down; /probe/probe net", &o1);
	unkeep(uid);
	sbt_assert_failed_with(&o1, "lo down", EPERM);
	cr_expect(!sbt_has(&o1, "lo=down"), "lo went down:\n%s", o1.text);
	a = netns_of(&o1);
	cr_assert_eq(stat("/proc/self/ns/net", &host), 0);
	cr_expect_neq(strtoull(a, NULL, 10), (unsigned long long)host.st_ino,
		      "the sandbox is in the host's network namespace");
	sbt_out_free(&o1);
}

/* A profile that can make sockets never shares a namespace: a connection
 * it closed stays in TIME_WAIT after all its processes are gone, holding
 * its port (the first sandbox cannot bind it again), and a daemon it left
 * listening (abstract unix socket, TCP on 127.0.0.1) is gone: the next
 * sandbox of the uid binds the port and reaches neither. Nothing is kept. */
Test(netns, a_profile_that_makes_sockets_never_shares_a_namespace, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *user = NULL, *profile = netns_only_profile(), *path = NULL;
	cleanup_free char *s1 = NULL, *s2 = NULL, *a = NULL, *b = NULL, *what = NULL;
	struct sbt_out o1, o2;
	char name[64];
	uint32_t r = 0;

	require_root();
	cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
	snprintf(name, sizeof(name), "dks-netns-test-%08x", r);
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	path = kept_path(uid);
	unkeep(uid);
	cr_assert(asprintf(&s1, "/probe/probe net; /probe/probe listen-daemon %s 4242 && "
				"/probe/probe abstract %s; /probe/probe tcp 4242; "
				"/probe/probe timewait 4243; /probe/probe bind 4243; true", name, name) > 0);
	cr_assert(asprintf(&s2, "/probe/probe net; /probe/probe abstract %s; "
				"/probe/probe tcp 4242; /probe/probe bind 4243", name) > 0);
	run_sh(user, profile, s1, &o1);
	run_sh(user, profile, s2, &o2);
	cr_expect_neq(access(path, F_OK), 0, "a namespace was kept at %s", path);
	unkeep(uid);
	a = netns_of(&o1);
	b = netns_of(&o2);
	cr_expect_str_neq(a, b, "two sandboxes that make sockets shared a namespace");
	sbt_assert_ok(&o1, "listen");
	cr_expect_eq(sbt_result(&o1, "tcp 127.0.0.1:4242"), SBT_RESULT_OK,
		     "the daemon did not listen:\n%s", o1.text);
	sbt_assert_ok(&o1, "timewait");
	sbt_assert_failed_with(&o1, "bind", EADDRINUSE);
	sbt_assert_failed_with(&o2, "tcp 127.0.0.1:4242", ECONNREFUSED);
	sbt_assert_ok(&o2, "bind");
	cr_assert(asprintf(&what, "abstract @%s", name) > 0);
	cr_expect_eq(sbt_result(&o1, what), SBT_RESULT_OK, "%s", o1.text);
	sbt_assert_failed_with(&o2, what, ECONNREFUSED);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* What is in the pool's place is never joined unless it is a network
 * namespace: a plain file is replaced by one (lo up), a symlink is not
 * followed (its target stays as it was). */
Test(netns, a_file_in_the_pool_s_place_is_never_trusted, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *r1 = NULL, *r2 = NULL;
	cleanup_free char *p1 = NULL, *p2 = NULL, *dir = sbt_mkdtemp(NULL), *target = NULL;
	cleanup_free char *a = NULL, *b = NULL;
	struct sbt_out o1, o2;
	struct statfs fs;
	struct stat st;
	char buf[64] = "";
	cleanup_close int fd = -1;

	require_root();
	uid = sbt_free_uids(2);
	r1 = sbt_uid_range(uid, 1);
	r2 = sbt_uid_range(uid + 1, 1);
	p1 = kept_path(uid);
	p2 = kept_path(uid + 1);
	cr_assert(asprintf(&target, "%s/target", dir) > 0);
	sbt_write_file(target, "precious\n", 0, 0, 0644);
	make_pool_dir();
	unkeep(uid);
	unkeep(uid + 1);
	mark_used(uid);
	mark_used(uid + 1);
	sbt_write_file(p1, "not a namespace\n", 0, 0, 0644);
	cr_assert_eq(symlink(target, p2), 0, "%s", strerror(errno));
	run_sh(r1, KEEPING, "/probe/probe net", &o1);
	run_sh(r2, KEEPING, "/probe/probe net", &o2);
	a = netns_of(&o1);
	b = netns_of(&o2);
	fd = open(p1, O_RDONLY | O_CLOEXEC);
	cr_expect(fd >= 0 && fstatfs(fd, &fs) == 0 && fs.f_type == NSFS_MAGIC_,
		  "the plain file at %s was not replaced by a namespace", p1);
	cr_expect(lo_up_in(p1), "lo is not up in the namespace kept at %s", p1);
	cr_expect_eq(lstat(p2, &st), 0);
	cr_expect(S_ISLNK(st.st_mode), "the symlink at %s is gone", p2);
	fd = (close(fd), open(target, O_RDONLY | O_CLOEXEC));
	cr_assert_geq(fd, 0);
	cr_expect_eq(read(fd, buf, sizeof(buf) - 1), 9);
	cr_expect_str_eq(buf, "precious\n", "the symlink's target was changed");
	cr_expect(statfs(target, &fs) == 0 && fs.f_type != NSFS_MAGIC_,
		  "a namespace was bound over the symlink's target");
	unkeep(uid);
	unkeep(uid + 1);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* A network namespace that another user namespace owns (whose owner has
 * CAP_NET_ADMIN over it: it could give the build a network), bound in the
 * pool's place, is never joined: the sandbox gets root's own, kept over it. */
Test(netns, another_user_namespace_s_network_namespace_is_never_joined, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *user = NULL, *path = NULL, *a = NULL, *nspath = NULL;
	struct sbt_out o;
	struct stat planted, host, owner;
	cleanup_close int fd = -1, ufd = -1;
	int ready[2], go[2];
	char c = 0;
	pid_t pid;

	require_root();
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	path = kept_path(uid);
	make_pool_dir();
	unkeep(uid);
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) { /* a user namespace of its own, and its network namespace */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	cr_assert_eq(read(ready[0], &c, 1), 1, "the planter could not unshare");
	mark_used(uid);
	cr_assert(asprintf(&nspath, "/proc/%d/ns/net", (int)pid) > 0);
	sbt_write_file(path, "", 0, 0, 0600);
	cr_assert_eq(mount(nspath, path, NULL, MS_BIND, NULL), 0, "%s", strerror(errno));
	cr_assert_eq(stat(path, &planted), 0);
	(void)!write(go[1], "g", 1);
	waitpid(pid, NULL, 0);
	run_sh(user, KEEPING, "/probe/probe net", &o);
	a = netns_of(&o);
	cr_expect_neq(strtoull(a, NULL, 10), (unsigned long long)planted.st_ino,
		      "the sandbox joined a namespace another user namespace owns");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	ufd = ioctl(fd, NS_GET_USERNS);
	cr_assert_geq(ufd, 0, "NS_GET_USERNS: %s", strerror(errno));
	cr_assert_eq(fstat(ufd, &owner), 0);
	cr_assert_eq(stat("/proc/self/ns/user", &host), 0);
	cr_expect_eq(owner.st_ino, host.st_ino, "what is kept now is not root's own");
	unkeep(uid); /* root's, bound over the planted one */
	unkeep(uid);
	sbt_out_free(&o);
}

/* Bounded: with DKS_NETNS_KEEP (64) entries in the pool, a new uid's
 * sandbox first drops, of those of uids no sandbox holds, the least
 * recently used (a uid without a lock file was never used), never one
 * that is held: room for itself, the bound kept. */
Test(netns, the_pool_drops_the_least_recently_used_unheld_uids_past_its_bound, .timeout = 60)
{
	uid_t uid = 0, held;
	cleanup_free char *user = NULL, *heldp = NULL, *mine = NULL, *recent = NULL;
	cleanup_free char *lockp = NULL, *recentlock = NULL;
	cleanup_close int lock = -1;
	struct sbt_out o;
	char p[128];
	int present = 0;

	require_root();
	uid = sbt_free_uids(66);
	held = uid + 65;
	make_pool_dir();
	for (unsigned i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), NETNS_DIR "/%u", (unsigned)(uid + i));
		sbt_write_file(p, "", 0, 0, 0600);
	}
	/* uid + 0 was used last (its lock file, not held, is the newest). */
	recent = kept_path(uid);
	cr_assert(asprintf(&recentlock, "/run/dkms-sandbox/build-uids/%u", (unsigned)uid) > 0);
	mark_used(uid);
	{ /* the newest of all, whatever other tests' sandboxes use meanwhile */
		struct timespec t[2];

		clock_gettime(CLOCK_REALTIME, &t[0]);
		t[0].tv_sec += 3600;
		t[1] = t[0];
		cr_assert_eq(utimensat(AT_FDCWD, recentlock, t, 0), 0);
	}
	heldp = kept_path(held);
	sbt_write_file(heldp, "", 0, 0, 0600);
	/* A sandbox holding @held: its lock, as buildids.c takes it. */
	cr_assert(asprintf(&lockp, "/run/dkms-sandbox/build-uids/%u", (unsigned)held) > 0);
	lock = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	cr_assert_geq(lock, 0, "%s: %s", lockp, strerror(errno));
	cr_assert_eq(flock(lock, LOCK_EX | LOCK_NB), 0);
	user = sbt_uid_range(uid + 64, 1);
	mine = kept_path(uid + 64);
	run_sh(user, KEEPING, "/probe/probe net", &o);
	for (unsigned i = 1; i < 64; i++) {
		snprintf(p, sizeof(p), NETNS_DIR "/%u", (unsigned)(uid + i));
		present += access(p, F_OK) == 0;
	}
	cr_expect_leq(present, 61, "%d of 63 never-used entries left: the pool is past its bound",
		      present);
	cr_expect_eq(access(recent, F_OK), 0, "a recently used uid's entry went before unused ones");
	cr_expect_eq(access(heldp, F_OK), 0, "the entry of a held uid was dropped");
	cr_expect(lo_up_in(mine), "lo is not up in the new uid's namespace");
	for (unsigned i = 0; i <= 65; i++)
		unkeep(uid + i);
	unlink(lockp);
	unlink(recentlock);
	sbt_out_free(&o);
}

/* Where root cannot make a network namespace (a container's root: here a
 * seccomp filter of the test's own that refuses unshare(CLONE_NEWNET)),
 * the sandbox gets one of the build uid's user namespace instead, new,
 * with lo up (init brings it up: seen by a profile that can make the
 * socket to look), and nothing is kept (for a profile that would keep). */
Test(netns, where_root_cannot_make_one_the_build_uid_s_user_namespace_does, .timeout = 60)
{
	cleanup_close int rep = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	cleanup_free char *user = NULL, *profile = netns_only_profile(), *path = NULL;
	cleanup_free char *a = NULL;
	struct sbt_out out = { 0 };
	struct stat host;
	char buf[8192] = "";
	int status;
	uid_t uid;
	pid_t pid;

	require_root();
	cr_assert_geq(rep, 0);
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	path = kept_path(uid);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sbt_opts o = { .profile = KEEPING, .user = user };
		char *const argv[] = { "/probe/probe", "net", NULL };
		scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);

		if (!f || seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
					   SCMP_A0(SCMP_CMP_EQ, CLONE_NEWNET)) < 0 ||
		    seccomp_load(f) < 0)
			_exit(10);
		if (unshare(CLONE_NEWNET) == 0 || errno != EPERM)
			_exit(11); /* the filter does not hold: the test shows nothing */
		if (sbt_run(&o, argv, &out) < 0)
			dprintf(rep, "error: %s\n", out.err.msg);
		if (access(path, F_OK) == 0)
			dprintf(rep, "kept\n");
		o.profile = profile;
		if (sbt_run(&o, argv, &out) < 0)
			dprintf(rep, "error: %s\n", out.err.msg);
		dprintf(rep, "%s", out.text ? out.text : "");
		_exit(out.rc < 0 ? 12 : 0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(pread(rep, buf, sizeof(buf) - 1, 0) >= 0);
	cr_expect(!strstr(buf, "kept\n"), "a namespace was kept at %s", path);
	unkeep(uid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit %d:\n%s",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf);
	out.text = buf;
	cr_expect(sbt_has(&out, "lo=up"), "lo is not up:\n%s", buf);
	a = netns_of(&out);
	cr_assert_eq(stat("/proc/self/ns/net", &host), 0);
	cr_expect_neq(strtoull(a, NULL, 10), (unsigned long long)host.st_ino,
		      "the sandbox is in the host's network namespace");
}
