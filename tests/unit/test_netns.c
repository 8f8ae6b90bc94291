/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Root's network namespaces (sandbox/netns.c): one per build uid, made by
 * root and kept for the next sandbox of that uid. What must hold: lo is up;
 * a kept namespace is reused only by the uid it is kept for and never by
 * two sandboxes at once; the sandbox cannot change it; nothing a sandbox
 * leaves listening in it reaches the next one; a file in the pool's place
 * is never trusted; the pool stays bounded.
 *
 * Each test uses uids of its own (a free range) and removes what it kept.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
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

/* Remove what a test kept for @uid (and whatever it put there). */
static void unkeep(uid_t uid)
{
	cleanup_free char *p = kept_path(uid);

	umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW);
	unlink(p);
}

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
	cleanup_free char *user = NULL, *profile = netns_only_profile(), *path = NULL;
	cleanup_free char *a = NULL, *b = NULL;
	struct sbt_out o1, o2;
	struct stat host, owner;
	cleanup_close int fd = -1, ufd = -1;

	require_root();
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	path = kept_path(uid);
	run_sh(user, profile, "/probe/probe net", &o1);
	run_sh(user, profile, "/probe/probe net", &o2);
	unkeep(uid);
	a = netns_of(&o1);
	b = netns_of(&o2);
	cr_expect_str_eq(a, b, "uid %u's second sandbox is in another namespace", (unsigned)uid);
	cr_expect(sbt_has(&o1, "lo=up") && sbt_has(&o2, "lo=up"), "lo is not up:\n%s\n%s",
		  o1.text, o2.text);
	cr_assert_eq(stat("/proc/self/ns/net", &host), 0);
	cr_expect_neq(strtoull(a, NULL, 10), (unsigned long long)host.st_ino,
		      "the sandbox is in the host's network namespace");
	/* Kept while it was there: the host's user namespace owned it. */
	sbt_out_free(&o2);
	run_sh(user, profile, "/probe/probe net", &o2);
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
	cleanup_free char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *fixed = NULL;
	struct sbt_out o1, o2, o3, o4;

	require_root();
	uid = sbt_free_uids(2);
	r1 = sbt_uid_range(uid, 1);
	r2 = sbt_uid_range(uid + 1, 1);
	run_sh(r1, profile, "/probe/probe net", &o1);
	run_sh(r2, profile, "/probe/probe net", &o2);
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

/* Nothing in the sandbox can change the namespace (it is root's): lo
 * stays up for the next sandbox of the uid. The profile leaves only the
 * namespace in the way (seccomp logs, no Landlock). */
Test(netns, the_sandbox_cannot_change_the_kept_namespace, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *user = NULL, *profile = netns_only_profile();
	struct sbt_out o1, o2;

	require_root();
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	run_sh(user, profile, "/probe/probe lo-down", &o1);
	run_sh(user, profile, "/probe/probe net", &o2);
	unkeep(uid);
	sbt_assert_failed_with(&o1, "lo down", EPERM);
	cr_expect(sbt_has(&o2, "lo=up"), "lo is down for the next sandbox:\n%s", o2.text);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* A daemon that a build leaves listening (abstract unix socket, TCP on
 * 127.0.0.1) dies with its sandbox: the next sandbox of the uid, in the
 * same kept namespace, finds neither. The first sandbox reaches both,
 * which shows they were there. */
Test(netns, nothing_a_sandbox_leaves_listening_reaches_the_next_one, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *user = NULL, *profile = netns_only_profile();
	cleanup_free char *s1 = NULL, *s2 = NULL, *a = NULL, *b = NULL;
	struct sbt_out o1, o2;
	char name[64];
	uint32_t r = 0;

	require_root();
	cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
	snprintf(name, sizeof(name), "dks-netns-test-%08x", r);
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	cr_assert(asprintf(&s1, "/probe/probe net; /probe/probe listen-daemon %s 4242 && "
				"/probe/probe abstract %s; /probe/probe tcp 4242", name, name) > 0);
	cr_assert(asprintf(&s2, "/probe/probe net; /probe/probe abstract %s; "
				"/probe/probe tcp 4242", name) > 0);
	run_sh(user, profile, s1, &o1);
	run_sh(user, profile, s2, &o2);
	unkeep(uid);
	a = netns_of(&o1);
	b = netns_of(&o2);
	cr_assert_str_eq(a, b, "not the same namespace: the test shows nothing");
	sbt_assert_ok(&o1, "listen");
	cr_expect_eq(sbt_result(&o1, "tcp 127.0.0.1:4242"), SBT_RESULT_OK,
		     "the daemon did not listen:\n%s", o1.text);
	sbt_assert_failed_with(&o2, "tcp 127.0.0.1:4242", ECONNREFUSED);
	{
		cleanup_free char *what = NULL;

		cr_assert(asprintf(&what, "abstract @%s", name) > 0);
		cr_expect_eq(sbt_result(&o1, what), SBT_RESULT_OK, "%s", o1.text);
		sbt_assert_failed_with(&o2, what, ECONNREFUSED);
	}
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* What is in the pool's place is never joined unless it is a network
 * namespace: a plain file is replaced by one, a symlink is not followed
 * (its target stays as it was) and the sandbox still gets lo up. */
Test(netns, a_file_in_the_pool_s_place_is_never_trusted, .timeout = 60)
{
	uid_t uid;
	cleanup_free char *r1 = NULL, *r2 = NULL, *profile = netns_only_profile();
	cleanup_free char *p1 = NULL, *p2 = NULL, *dir = sbt_mkdtemp(NULL), *target = NULL;
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
	mkdir(NETNS_DIR, 0700);
	unkeep(uid);
	unkeep(uid + 1);
	sbt_write_file(p1, "not a namespace\n", 0, 0, 0644);
	cr_assert_eq(symlink(target, p2), 0, "%s", strerror(errno));
	run_sh(r1, profile, "/probe/probe net", &o1);
	run_sh(r2, profile, "/probe/probe net", &o2);
	cr_expect(sbt_has(&o1, "lo=up") && sbt_has(&o2, "lo=up"), "%s\n%s", o1.text, o2.text);
	fd = open(p1, O_RDONLY | O_CLOEXEC);
	cr_expect(fd >= 0 && fstatfs(fd, &fs) == 0 && fs.f_type == NSFS_MAGIC_,
		  "the plain file at %s was not replaced by a namespace", p1);
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

/* Bounded: with DKS_NETNS_KEEP (64) entries in the pool, a new uid's
 * sandbox first drops those of uids no sandbox holds, never one that is
 * held. */
Test(netns, the_pool_drops_unheld_uids_past_its_bound, .timeout = 60)
{
	uid_t uid = 0, held;
	cleanup_free char *user = NULL, *profile = netns_only_profile(), *heldp = NULL;
	cleanup_free char *lockp = NULL;
	cleanup_close int lock = -1;
	struct sbt_out o;
	char p[128];
	int present = 0;

	require_root();
	uid = sbt_free_uids(66);
	held = uid + 65;
	mkdir(NETNS_DIR, 0700);
	for (unsigned i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), NETNS_DIR "/%u", (unsigned)(uid + i));
		sbt_write_file(p, "", 0, 0, 0600);
	}
	heldp = kept_path(held);
	sbt_write_file(heldp, "", 0, 0, 0600);
	/* A sandbox holding @held: its lock, as buildids.c takes it. */
	cr_assert(asprintf(&lockp, "/run/dkms-sandbox/build-uids/%u", (unsigned)held) > 0);
	lock = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	cr_assert_geq(lock, 0, "%s: %s", lockp, strerror(errno));
	cr_assert_eq(flock(lock, LOCK_EX | LOCK_NB), 0);
	user = sbt_uid_range(uid + 64, 1);
	run_sh(user, profile, "/probe/probe net", &o);
	for (unsigned i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), NETNS_DIR "/%u", (unsigned)(uid + i));
		present += access(p, F_OK) == 0;
	}
	cr_expect_eq(present, 0, "%d of 64 unheld entries were kept past the bound", present);
	cr_expect_eq(access(heldp, F_OK), 0, "the entry of a held uid was dropped");
	cr_expect(sbt_has(&o, "lo=up"), "%s", o.text);
	for (unsigned i = 0; i <= 65; i++)
		unkeep(uid + i);
	unlink(lockp);
	sbt_out_free(&o);
}

/* Where root cannot make a network namespace (a container's root: here a
 * seccomp filter of the test's own that refuses unshare(CLONE_NEWNET)),
 * the sandbox gets one of the build uid's user namespace instead, new,
 * with lo up (init brings it up), and nothing is kept. */
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
		struct sbt_opts o = { .profile = profile, .user = user };
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
		dprintf(rep, "%s", out.text ? out.text : "");
		_exit(out.rc < 0 ? 12 : 0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(pread(rep, buf, sizeof(buf) - 1, 0) >= 0);
	cr_expect_neq(access(path, F_OK), 0, "a namespace was kept at %s", path);
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
