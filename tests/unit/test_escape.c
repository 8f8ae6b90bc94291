/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Escape tests: one property of the sandbox per test, each proven by the
 * probe (tests/helpers/probe.c) trying the escape from inside a real
 * sandbox. A test asserts the specific way the attempt must fail, so that
 * it fails when the mechanism it names is missing.
 *
 * Targets are only what a test creates: its own child processes, its own
 * listeners, its own files. /etc/shadow and /root are only read.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "sbtest.h"

#define NOBODY 65534

TestSuite(escape, .fini = sbt_cleanup);

#define OUTPUT(out) sbt_outcome(out), (out)->text
#define OUTFMT "%s; output:\n%s"

static void assert_outcome(const struct sbt_out *out,
			   enum dks_sandbox_outcome outcome, int value)
{
	cr_assert_eq(out->res.outcome, outcome, "unexpected outcome: " OUTFMT,
		     OUTPUT(out));
	if (outcome == DKS_SANDBOX_EXITED)
		cr_assert_eq(out->res.exit_status, value, "exit status: " OUTFMT,
			     OUTPUT(out));
	else if (outcome == DKS_SANDBOX_SIGNALED)
		cr_assert_eq(out->res.term_signal, value, "signal: " OUTFMT,
			     OUTPUT(out));
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, f);
	cr_assert(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

static char *random_marker(void)
{
	uint64_t r = 0;

	cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
	return fmt("dks-marker-%d-%016llx", (int)getpid(), (unsigned long long)r);
}

/* ---- network ----------------------------------------------------------- */

static void check_tcp(const char *profile, const int *errnos, size_t n)
{
	struct sbt_opts o = { .profile = profile };
	struct sbt_out out;
	uint16_t port;
	int fd = sbt_tcp_listener(&port);
	cleanup_free char *port_s = fmt("%u", port);
	cleanup_free char *what = fmt("tcp 127.0.0.1:%u", port);
	int r;

	sbt_probe(&o, &out, "tcp", port_s, NULL);
	assert_outcome(&out, DKS_SANDBOX_EXITED, 1);
	r = sbt_result(&out, what);
	cr_assert(r >= 0, "no failed tcp attempt: " OUTFMT, OUTPUT(&out));
	bool allowed = false;
	for (size_t i = 0; i < n; i++)
		allowed |= r == errnos[i];
	cr_assert(allowed, "connect failed with an unexpected %s: " OUTFMT,
		  strerror(r), OUTPUT(&out));
	cr_assert(!sbt_listener_has_client(fd),
		  "the host listener on 127.0.0.1:%u got a connection", port);
	close(fd);
	sbt_out_free(&out);
}

/*
 * A profile with neither seccomp enforcement nor Landlock: what is left
 * between the build and the host's loopback is the network namespace.
 */
static char *netns_only_profile(void)
{
	static const char yaml[] = "name: netns-only\n"
				   "seccomp:\n  mode: log\n"
				   "landlock: false\n";
	char *dir = sbt_mkdtemp(NULL);
	char *path = fmt("%s/netns-only.yaml", dir);

	sbt_write_file(path, yaml, 0, 0, 0644);
	free(dir);
	return path;
}

/* Every layer: seccomp denies socket(). */
Test(escape, sandbox_denies_host_tcp_loopback, .timeout = 30)
{
	static const int e[] = { EPERM };

	check_tcp(NULL, e, 1);
}

/* socket() allowed: Landlock's TCP rules (ABI >= 4) or the namespace. */
Test(escape, sandbox_denies_host_tcp_loopback_without_seccomp, .timeout = 30)
{
	static const int e[] = { EACCES, ECONNREFUSED, ENETUNREACH };

	check_tcp("debug", e, 3);
}

Test(escape, sandbox_denies_host_tcp_loopback_by_netns_alone, .timeout = 30)
{
	static const int e[] = { ECONNREFUSED, ENETUNREACH };
	cleanup_free char *profile = netns_only_profile();

	check_tcp(profile, e, 2);
}

static void check_abstract(const char *profile, const int *errnos, size_t n)
{
	struct sbt_opts o = { .profile = profile };
	struct sbt_out out;
	char name[64];
	int fd = sbt_abstract_listener(name, sizeof(name));
	cleanup_free char *what = fmt("abstract @%s", name);
	int r;

	sbt_probe(&o, &out, "abstract", name, NULL);
	assert_outcome(&out, DKS_SANDBOX_EXITED, 1);
	r = sbt_result(&out, what);
	cr_assert(r >= 0, "no failed connect attempt: " OUTFMT, OUTPUT(&out));
	bool allowed = false;
	for (size_t i = 0; i < n; i++)
		allowed |= r == errnos[i];
	cr_assert(allowed, "connect failed with an unexpected %s: " OUTFMT,
		  strerror(r), OUTPUT(&out));
	cr_assert(!sbt_listener_has_client(fd),
		  "the host's abstract socket @%s got a connection", name);
	close(fd);
	sbt_out_free(&out);
}

/* Abstract unix sockets belong to the network namespace, not to a path.
 * EAFNOSUPPORT: seccomp refuses socket(AF_UNIX) in the kernel, quietly
 * (glibc's nscd lookups make one in every shell: sandbox/seccomp.c). */
Test(escape, sandbox_denies_host_abstract_socket, .timeout = 30)
{
	static const int e[] = { EAFNOSUPPORT };

	check_abstract(NULL, e, 1);
}

/* EPERM here: Landlock's abstract-socket scope (ABI >= 6). */
Test(escape, sandbox_denies_host_abstract_socket_without_seccomp, .timeout = 30)
{
	static const int e[] = { EPERM, ECONNREFUSED };

	check_abstract("debug", e, 2);
}

Test(escape, sandbox_denies_host_abstract_socket_by_netns_alone, .timeout = 30)
{
	static const int e[] = { ECONNREFUSED };
	cleanup_free char *profile = netns_only_profile();

	check_abstract(profile, e, 1);
}

/* ---- filesystem -------------------------------------------------------- */

Test(escape, sandbox_hides_etc_shadow, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "read", "/etc/shadow", NULL);
	sbt_assert_denied(&out, ENOENT);
	sbt_out_free(&out);
}

Test(escape, sandbox_hides_root_home, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	/* ENOENT: no /root; errno 0: an empty mount point. */
	sbt_probe(&o, &out, "listdir", "/root", NULL);
	sbt_assert_denied(&out, ENOENT, 0, EACCES);
	sbt_out_free(&out);
}

/* The build uid cannot write /usr anyway; EROFS (checked before the
 * permission bits for O_CREAT) shows the mount itself is read-only. */
Test(escape, sandbox_usr_is_readonly, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;
	cleanup_free char *path = fmt("/usr/.dks-probe-%d", (int)getpid());

	sbt_probe(&o, &out, "write", path, NULL);
	unlink(path);
	sbt_assert_denied(&out, EROFS);
	sbt_out_free(&out);
}

static char *realpath_or_die(const char *p)
{
	char *r = realpath(p, NULL);

	cr_assert(r, "realpath %s: %s", p, strerror(errno));
	return r;
}

static void check_write_erofs(const struct sbt_opts *o, const char *dir)
{
	struct sbt_out out;
	cleanup_free char *path = fmt("%s/.dks-probe-%d", dir, (int)getpid());

	sbt_probe(o, &out, "write", path, NULL);
	unlink(path);
	sbt_assert_denied(&out, EROFS);
	sbt_out_free(&out);
}

/* The headers, and every directory their symlinks lead to (Debian's
 * -common and kbuild dirs), are visible and read-only. */
Test(escape, sandbox_headers_are_readonly, .timeout = 60)
{
	cleanup_free char *kver = sbt_installed_kernel();
	cleanup_free char *build = fmt("/lib/modules/%s/build", kver);
	cleanup_free char *source = fmt("/lib/modules/%s/source", kver);
	cleanup_free char *scripts = fmt("%s/scripts", build);
	cleanup_free char *common = realpath_or_die(source);
	cleanup_free char *kbuild = realpath_or_die(scripts);
	cleanup_free char *mk = fmt("%s/Makefile", build);
	cleanup_free char *mkbuild = fmt("%s/Makefile.build", scripts);
	struct sbt_opts o = { .kernel = kver };
	struct sbt_out out;

	sbt_probe(&o, &out, "read", mk, NULL);
	sbt_assert_ok(&out, NULL);
	sbt_out_free(&out);
	sbt_probe(&o, &out, "read", mkbuild, NULL); /* through the kbuild link */
	sbt_assert_ok(&out, NULL);
	sbt_out_free(&out);

	check_write_erofs(&o, build);
	check_write_erofs(&o, common);
	check_write_erofs(&o, kbuild);
}

/* The source is owned by the build uid: only the bind makes it read-only. */
Test(escape, sandbox_source_is_readonly, .timeout = 30)
{
	static const char text[] = "obj-m := probe.o\n";
	cleanup_free char *src = sbt_mkdtemp(NULL);
	cleanup_free char *build = sbt_mkdtemp(NULL);
	cleanup_free char *mk = fmt("%s/Makefile", src);
	cleanup_free char *added = fmt("%s/added.c", src);
	struct sbt_opts o = { .ro = { src }, .rw = { build } };
	struct sbt_out out;
	char buf[64] = "";
	struct stat st;
	uid_t uid;
	gid_t gid;

	sbt_host_ids(NULL, &uid, &gid);
	sbt_write_file(mk, text, uid, gid, 0644);

	sbt_probe(&o, &out, "read", mk, NULL);
	sbt_assert_ok(&out, NULL);
	sbt_out_free(&out);

	sbt_probe(&o, &out, "write", added, NULL);
	sbt_assert_denied(&out, EROFS);
	sbt_out_free(&out);

	/* Landlock may answer first for an existing file. */
	sbt_probe(&o, &out, "write", mk, NULL);
	sbt_assert_denied(&out, EROFS, EACCES);
	sbt_out_free(&out);

	cr_assert(stat(added, &st) < 0, "%s was created on the host", added);
	cleanup_close int fd = open(mk, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert(read(fd, buf, sizeof(buf) - 1) >= 0);
	cr_assert_str_eq(buf, text, "the host's %s was modified", mk);
}

/* Even a file the build may create there must not keep a set-id bit: on
 * the host it would be a setuid binary of the build uid. */
Test(escape, sandbox_denies_setuid_chmod, .timeout = 30)
{
	cleanup_free char *rw = sbt_mkdtemp(NULL);
	cleanup_free char *file = fmt("%s/suid", rw);
	cleanup_free char *found = NULL;
	struct sbt_opts o = { .rw = { rw } };
	struct sbt_out out;
	struct stat st;

	sbt_probe(&o, &out, "chmod-suid", file, NULL);
	cr_assert_eq(sbt_result(&out, "chmod-suid (create)"), SBT_RESULT_MISSING,
		     "the probe could not create its file: " OUTFMT, OUTPUT(&out));
	sbt_assert_denied(&out, EPERM);
	cr_assert_eq(stat(file, &st), 0, "%s is missing on the host", file);
	found = sbt_find_setid(rw);
	cr_assert_null(found, "%s has a set-id bit on the host", found);
	sbt_out_free(&out);
}

Test(escape, sandbox_hides_sys, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "listdir", "/sys", NULL);
	sbt_assert_denied(&out, ENOENT, 0, EACCES);
	sbt_out_free(&out);
}

/* ---- processes --------------------------------------------------------- */

static bool has_pid_line(const struct sbt_out *out, pid_t pid)
{
	char line[32];

	snprintf(line, sizeof(line), "\npid=%d\n", (int)pid);
	return sbt_has(out, line);
}

Test(escape, sandbox_hides_host_pids, .timeout = 30)
{
	pid_t child = sbt_spawn_sleeper();
	struct sbt_opts o = { 0 };
	struct sbt_out out;
	cleanup_free char *self = NULL;
	size_t n = 0;

	sbt_probe(&o, &out, "pids", NULL);
	sbt_assert_ok(&out, "pids");
	cr_assert(!has_pid_line(&out, child), "host pid %d is visible: %s", child,
		  out.text);
	cr_assert(!has_pid_line(&out, getpid()), "the test's pid is visible: %s",
		  out.text);
	for (const char *p = out.text; (p = strstr(p, "pid=")); p += 4)
		n++;
	cr_assert_leq(n, 5, "%zu processes visible in the sandbox: %s", n, out.text);
	self = sbt_value(&out, "self=");
	cr_assert(self && atoi(self) < 10, "the probe's pid %s is not a new pid "
		  "namespace's", self ? self : "(none)");
	sbt_out_free(&out);
}

Test(escape, sandbox_cannot_signal_host_pid, .timeout = 30)
{
	pid_t child = sbt_spawn_sleeper();
	cleanup_free char *pid_s = fmt("%d", (int)child);
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "kill", pid_s, "9", NULL);
	cr_assert(sbt_is_alive(child), "the host child %d was killed", child);
	sbt_assert_denied(&out, ESRCH, EPERM);
	sbt_out_free(&out);
}

Test(escape, sandbox_denies_ptrace, .timeout = 30)
{
	pid_t child = sbt_spawn_sleeper();
	cleanup_free char *pid_s = fmt("%d", (int)child);
	cleanup_free char *attach = fmt("ptrace attach %d", (int)child);
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "ptrace", pid_s, NULL);
	sbt_assert_denied(&out, EPERM, ESRCH);
	/* Tracing its own child needs no privilege: only seccomp stops it. */
	sbt_assert_failed_with(&out, "ptrace traceme", EPERM);
	cr_assert_neq(sbt_result(&out, attach), SBT_RESULT_MISSING);
	cr_assert(sbt_is_alive(child));
	sbt_out_free(&out);
}

Test(escape, sandbox_denies_mount, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "mount", NULL);
	sbt_assert_denied(&out, EPERM);
	sbt_assert_failed_with(&out, "mount tmpfs /tmp/x", EPERM);
	sbt_assert_failed_with(&out, "umount2 /proc", EPERM);
	sbt_out_free(&out);
}

Test(escape, sandbox_denies_nested_userns, .timeout = 30)
{
	char *const argv[] = { "/usr/bin/unshare", "-Ur", "true", NULL };
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "unshare", NULL);
	sbt_assert_denied(&out, EPERM);
	sbt_assert_failed_with(&out, "unshare CLONE_NEWUSER", EPERM);
	sbt_assert_failed_with(&out, "clone CLONE_NEWUSER", EPERM);
	sbt_out_free(&out);

	/* The real tool, as a build script would run it. */
	cr_assert_eq(sbt_run(&o, argv, &out), 0, "sandbox: %s", out.err.msg);
	assert_outcome(&out, DKS_SANDBOX_EXITED, 1);
	cr_assert(sbt_has(&out, "unshare failed: Operation not permitted"),
		  "unshare -Ur: " OUTFMT, OUTPUT(&out));
	sbt_out_free(&out);
}

/* The kernel here may have no modules at all (ENOSYS): EPERM is seccomp. */
Test(escape, sandbox_denies_finit_module, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "finit", NULL);
	sbt_assert_denied(&out, EPERM);
	sbt_out_free(&out);
}

Test(escape, sandbox_has_no_capabilities, .timeout = 30)
{
	static const char *const sets[] = { "CapInh", "CapPrm", "CapEff", "CapBnd",
					    "CapAmb" };
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "caps", NULL);
	sbt_assert_denied(&out, 0);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		cleanup_free char *line = fmt("info: %s:\t0000000000000000", sets[i]);

		cr_assert(sbt_has(&out, line), "%s is not empty: %s", sets[i], out.text);
	}
	sbt_out_free(&out);
}

/* dup2 never sets FD_CLOEXEC: these fds are inherited unless the sandbox
 * closes them. fd 3 catches the library's own leaks too. */
Test(escape, sandbox_closes_caller_fds, .timeout = 30)
{
	static const int fds[] = { 3, 10, 100 };
	cleanup_close int fd = open("/dev/null", O_RDONLY);
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	cr_assert(fd >= 0);
	cr_assert_eq(dup2(fd, 10), 10);
	cr_assert_eq(dup2(fd, 100), 100);
	cr_assert_eq(fcntl(10, F_GETFD) & FD_CLOEXEC, 0);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		cleanup_free char *n = fmt("%d", fds[i]);

		sbt_probe(&o, &out, "fd", n, NULL);
		sbt_assert_denied(&out, EBADF);
		sbt_out_free(&out);
	}
	close(10);
	close(100);
}

/* ---- /proc and terminals ----------------------------------------------- */

Test(escape, sandbox_denies_proc_sys_write, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "procsys", NULL);
	sbt_assert_denied(&out, EACCES, EROFS, EPERM);
	sbt_out_free(&out);
}

Test(escape, sandbox_denies_sysrq, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	if (access("/proc/sysrq-trigger", F_OK) < 0)
		cr_skip_test("this kernel has no /proc/sysrq-trigger: nothing to deny");
	sbt_probe(&o, &out, "sysrq", NULL);
	sbt_assert_denied(&out, EACCES, EROFS, ENOENT, EPERM);
	sbt_out_free(&out);
}

/* A pty the probe can make its controlling tty, so that only the
 * sandbox's ioctl rule, not the kernel's ctty check, can stop TIOCSTI. */
static int open_pty(int *master)
{
	struct termios t;
	int slave;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(*master >= 0, "posix_openpt: %s", strerror(errno));
	cr_assert_eq(grantpt(*master), 0);
	cr_assert_eq(unlockpt(*master), 0);
	slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(slave >= 0, "open %s: %s", ptsname(*master), strerror(errno));
	/* Raw: an injected byte is readable at once (FIONREAD counts it). */
	cr_assert_eq(tcgetattr(slave, &t), 0);
	cfmakeraw(&t);
	cr_assert_eq(tcsetattr(slave, TCSANOW, &t), 0);
	return slave;
}

static void check_tiocsti(const char *cmd, const char *what)
{
	int master, slave = open_pty(&master);
	struct sbt_opts o = { .in_fd = slave };
	struct sbt_out out;
	int queued = -1;

	sbt_probe(&o, &out, cmd, NULL);
	cr_assert_eq(ioctl(slave, FIONREAD, &queued), 0);
	cr_assert_eq(queued, 0, "%d byte(s) were injected into the terminal: " OUTFMT,
		     queued, OUTPUT(&out));
	sbt_assert_denied(&out, EPERM);
	sbt_assert_failed_with(&out, what, EPERM);
	sbt_out_free(&out);
	close(slave);
	close(master);
}

Test(escape, sandbox_denies_tiocsti, .timeout = 30)
{
	check_tiocsti("tiocsti", "ioctl TIOCSTI");
}

/* ioctl's cmd is 32 bits in the kernel; a rule comparing 64 would miss. */
Test(escape, sandbox_denies_tiocsti_high_bits, .timeout = 30)
{
	check_tiocsti("tiocsti-high", "ioctl TIOCSTI|0xffffffff00000000");
}

/* ---- limits ------------------------------------------------------------ */

Test(escape, sandbox_bounds_fork_bomb, .timeout = 120)
{
	struct dks_limits l = sbt_profile_limits("default");
	/* Since Linux 5.14 RLIMIT_NPROC counts per user namespace: the bomb
	 * cannot starve the sandboxes of tests running beside it. */
	struct sbt_opts o = { .timeout = 60 };
	struct sbt_out out;
	cleanup_free char *n = NULL;
	cleanup_free char *forked = NULL;

	cr_assert_gt(l.processes, 0, "the default profile sets no process limit");
	cr_assert_leq(l.processes, 65536, "process limit %llu is no bound",
		      (unsigned long long)l.processes);
	n = fmt("%llu", (unsigned long long)l.processes + 16);
	sbt_probe(&o, &out, "forkbomb", n, NULL);
	sbt_assert_denied(&out, EAGAIN);
	forked = sbt_value(&out, "info: forkbomb: forked ");
	cr_assert(forked, "no count: %s", out.text);
	cr_assert_leq(strtoull(forked, NULL, 10), l.processes,
		      "forked %s with a limit of %llu", forked,
		      (unsigned long long)l.processes);
	sbt_out_free(&out);
}

Test(escape, sandbox_bounds_tmp, .timeout = 120)
{
	struct dks_limits l = sbt_profile_limits("default");
	struct sbt_opts o = { .timeout = 60 };
	struct sbt_out out;
	cleanup_free char *mb = NULL;
	cleanup_free char *wrote = NULL;

	cr_assert_gt(l.tmp_size, 0, "the default profile does not bound /tmp");
	cr_assert_leq(l.tmp_size, 8ULL << 30, "a /tmp of %llu bytes is no bound",
		      (unsigned long long)l.tmp_size);
	mb = fmt("%llu", (unsigned long long)(l.tmp_size >> 20) + 16);
	sbt_probe(&o, &out, "filltmp", mb, NULL);
	/* ENOSPC: the tmpfs is full; EFBIG: RLIMIT_FSIZE came first. */
	sbt_assert_denied(&out, ENOSPC, EFBIG);
	wrote = sbt_value(&out, "info: filltmp: wrote ");
	cr_assert(wrote, "no count: %s", out.text);
	cr_assert_leq(strtoull(wrote, NULL, 10), l.tmp_size,
		      "wrote %s bytes to a /tmp of %llu", wrote,
		      (unsigned long long)l.tmp_size);
	sbt_out_free(&out);
}

struct watch {
	const char *marker;
	_Atomic bool stop;
	_Atomic bool seen;
};

/* Proves the test's premise: the escaped grandchild did run. */
static void *watch_marker(void *arg)
{
	struct watch *w = arg;

	while (!w->stop && !w->seen) {
		if (sbt_find_cmdline(w->marker))
			w->seen = true;
		usleep(20000);
	}
	return NULL;
}

/* One run of the double-forking probe under a @timeout s limit: whether
 * its processes were seen running, and the pid of one left after it. */
static pid_t hang_once(unsigned timeout, const char *marker, struct sbt_out *out, bool *seen)
{
	struct sbt_opts o = { .timeout = timeout };
	struct watch w = { marker, false, false };
	pthread_t t;
	pid_t left;

	cr_assert_eq(pthread_create(&t, NULL, watch_marker, &w), 0);
	sbt_probe(&o, out, "hang-doublefork", marker, NULL);
	left = sbt_find_cmdline(marker);
	w.stop = true;
	pthread_join(t, NULL);
	if (left)
		kill(left, SIGKILL); /* ours: its cmdline has our marker */
	*seen = w.seen;
	return left;
}

/* The limit counts from the sandbox's start, setup included: on a slow
 * machine (ASan, a loaded CI) setup can take most of a short limit, and
 * the probe is then killed before the watcher saw it. So the limit
 * doubles until the probe was seen running: what is checked is that
 * nothing outlives the limit, not how fast a sandbox starts. */
Test(escape, sandbox_timeout_kills_everything, .timeout = 180)
{
	cleanup_free char *marker = random_marker();
	struct sbt_out out;
	unsigned timeout = 2;
	bool seen = false;
	pid_t left;

	for (;;) {
		left = hang_once(timeout, marker, &out, &seen);
		cr_assert_eq(out.res.outcome, DKS_SANDBOX_TIMED_OUT, OUTFMT, OUTPUT(&out));
		cr_assert_eq(left, 0, "pid %d (marker %s) survived the timeout", left, marker);
		if (seen || timeout >= 16)
			break;
		sbt_out_free(&out);
		timeout *= 2;
	}
	cr_assert(seen, "the probe's processes never ran: " OUTFMT, OUTPUT(&out));
	cr_assert(out.res.elapsed >= timeout * 0.75, "elapsed %.2fs for a %us timeout",
		  out.res.elapsed, timeout);
	sbt_out_free(&out);
}

/* ---- foreign ABIs ------------------------------------------------------ */

Test(escape, sandbox_denies_32bit_syscall, .timeout = 30)
{
	char *const host[] = { (char *)sbt_probe_path(), "int80", NULL };
	struct sbt_opts o = { 0 };
	struct sbt_out out;
	int st = sbt_host_run(host);

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
		cr_skip_test("int $0x80 faults on this kernel even outside a "
			     "sandbox: there is no 32-bit entry to deny");
	sbt_probe(&o, &out, "int80", NULL);
	assert_outcome(&out, DKS_SANDBOX_SIGNALED, SIGSYS);
	sbt_out_free(&out);
}

/* Without x32 in the kernel the call is ENOSYS: only SIGSYS or EPERM shows
 * the filter caught it. */
Test(escape, sandbox_denies_x32_syscall, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "x32", NULL);
	if (out.res.outcome == DKS_SANDBOX_SIGNALED)
		cr_assert_eq(out.res.term_signal, SIGSYS, OUTFMT, OUTPUT(&out));
	else
		sbt_assert_denied(&out, EPERM);
	sbt_out_free(&out);
}

/* ---- reporting --------------------------------------------------------- */

Test(escape, sandbox_reports_denied_syscall_by_name, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "socket", NULL);
	sbt_assert_denied(&out, EPERM);
	cr_assert(sbt_denied_has(&out, "socket"), "result.denied lacks socket (%zu "
		  "names)", out.res.n_denied);
	cr_assert(sbt_sandbox_said(&out, "socket"),
		  "the sandbox did not name socket in its messages: %s", out.text);
	sbt_out_free(&out);
}

/* Calls denied by an argument rule (set-id modes, namespace flags, tty
 * injection) are denials too: a build that hits one must be told why. */
Test(escape, sandbox_reports_argument_rule_denials, .timeout = 30)
{
	cleanup_free char *rw = sbt_mkdtemp(NULL);
	cleanup_free char *file = fmt("%s/suid", rw);
	struct sbt_opts o = { .rw = { rw } };
	struct sbt_out out;

	sbt_probe(&o, &out, "chmod-suid", file, NULL);
	sbt_assert_denied(&out, EPERM);
	cr_assert(sbt_denied_has(&out, "chmod"), "chmod(04755) denied but not "
		  "reported: " OUTFMT, OUTPUT(&out));
	sbt_out_free(&out);

	sbt_probe(&o, &out, "unshare", NULL);
	sbt_assert_denied(&out, EPERM);
	cr_assert(sbt_denied_has(&out, "unshare"), "unshare denied but not "
		  "reported: " OUTFMT, OUTPUT(&out));
	sbt_out_free(&out);
}

Test(escape, sandbox_debug_profile_logs_and_allows, .timeout = 30)
{
	struct sbt_opts o = { .profile = "debug" };
	struct sbt_out out;

	sbt_probe(&o, &out, "socket", NULL);
	sbt_assert_ok(&out, "socket AF_INET");
	cr_assert(sbt_denied_has(&out, "socket"), "result.denied lacks socket (%zu "
		  "names)", out.res.n_denied);
	cr_assert(sbt_sandbox_said(&out, "socket"),
		  "the sandbox did not name socket in its messages: %s", out.text);
	sbt_out_free(&out);
}

Test(escape, sandbox_reports_exit_status, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "exitcode", "42", NULL);
	assert_outcome(&out, DKS_SANDBOX_EXITED, 42);
	sbt_out_free(&out);
	sbt_probe(&o, &out, "exitcode", "0", NULL);
	assert_outcome(&out, DKS_SANDBOX_EXITED, 0);
	sbt_out_free(&out);
}

/* A command run as the pid namespace's init would ignore its own SIGTERM. */
Test(escape, sandbox_reports_signal, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;

	sbt_probe(&o, &out, "killself", "15", NULL);
	assert_outcome(&out, DKS_SANDBOX_SIGNALED, SIGTERM);
	sbt_out_free(&out);
	sbt_probe(&o, &out, "killself", "9", NULL);
	assert_outcome(&out, DKS_SANDBOX_SIGNALED, SIGKILL);
	sbt_out_free(&out);
}

/* ---- identity and environment ------------------------------------------ */

static long inside_uid(const struct sbt_out *out, const char *key)
{
	cleanup_free char *v = sbt_value(out, key);

	cr_assert(v, "no %s in: %s", key, out->text);
	return strtol(v, NULL, 10);
}

Test(escape, sandbox_runs_as_unprivileged_uid, .timeout = 30)
{
	cleanup_free char *rw = NULL;
	cleanup_free char *file = NULL;
	struct sbt_opts o = { 0 };
	struct sbt_out out;
	struct stat st;

	cr_assert_eq(geteuid(), 0, "run the tests as root (make check): this checks the uid root hands the build");
	rw = sbt_mkdtemp(NULL);
	file = fmt("%s/owned", rw);
	o.rw[0] = rw;
	sbt_probe(&o, &out, "uid", NULL);
	sbt_assert_ok(&out, "uid");
	cr_assert_neq(out.host_uid, 0, "the build runs as host root");
	cr_assert_neq(inside_uid(&out, "uid="), 0, "uid 0 inside: %s", out.text);
	cr_assert(!strstr(out.text, "euid=0 "), "euid 0 inside: %s", out.text);
	sbt_out_free(&out);

	sbt_probe(&o, &out, "write", file, NULL);
	sbt_assert_ok(&out, NULL);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_uid, out.host_uid, "file owned by %u on the host, not %u",
		     st.st_uid, out.host_uid);
	cr_assert_neq(st.st_uid, 0);
	sbt_out_free(&out);
}

/* In a child that dropped to nobody: no Criterion assertions there. */
/* The probe copied where nobody can reach it: the checkout may be below a
 * directory only root can enter (/root). The copy's dir, malloc'd. */
static char *probe_for_nobody(void)
{
	char *dir = strdup("/tmp/dks-nobody-XXXXXX"), cmd[PATH_MAX * 2 + 64];

	if (!dir || !mkdtemp(dir) || chmod(dir, 0755) < 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/probe' && chmod 755 '%s/probe'", sbt_probe_path(),
		 dir, dir);
	return system(cmd) == 0 ? dir : NULL;
}

/* Run "probe @cmd" as nobody, under @profile (NULL: the default). */
static int run_as_nobody(int report_fd, const char *probe_dir, const char *profile,
			 const char *cmd)
{
	char path[PATH_MAX], probe[PATH_MAX];
	char *const argv[] = { path, (char *)cmd, NULL };
	struct sbt_opts o = { .profile = profile };
	struct sbt_out out;
	int rc;

	snprintf(probe, sizeof(probe), "%s/probe", probe_dir);
	if (setenv("DKS_PROBE", probe, 1) < 0)
		return 10;
	snprintf(path, sizeof(path), "%s/probe", SBT_PROBE_DIR);
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return 10;
	/* Dropping root made us non-dumpable, which a user's own process
	 * (fresh from execve) is not: /proc/self would stay root's. */
	if (prctl(PR_SET_DUMPABLE, 1) < 0)
		return 10;
	rc = sbt_run(&o, argv, &out);
	dprintf(report_fd, "%s\nerror: %s\n", out.text, out.err.msg);
	if (rc < 0)
		return 11;
	if (out.res.outcome != DKS_SANDBOX_EXITED || out.res.exit_status != 0)
		return 12;
	if (out.host_uid != NOBODY)
		return 13;
	return 0;
}

/* "probe @cmd" in a sandbox started by nobody, under @profile (NULL: the
 * default; a file in the probe's dir when "netns-only"): its output in
 * @buf. Asserts it ran and the probe exited 0. */
static void probe_as_nobody(const char *cmd, bool netns_only, char *buf, size_t size)
{
	cleanup_close int rep = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	cleanup_free char *probe_dir = NULL, *profile = NULL;
	int status;
	pid_t pid;

	cr_assert_eq(geteuid(), 0, "run the tests as root (make check): the test becomes nobody");
	cr_assert(rep >= 0);
	probe_dir = probe_for_nobody();
	cr_assert_not_null(probe_dir, "cannot copy the probe for nobody");
	sbt_defer_rmtree(probe_dir);
	if (netns_only) {
		profile = fmt("%s/netns-only.yaml", probe_dir);
		sbt_write_file(profile, "name: netns-only\nseccomp:\n  mode: log\nlandlock: false\n",
			       0, 0, 0644);
	}
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(run_as_nobody(rep, probe_dir, profile, cmd));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	memset(buf, 0, size);
	cr_assert(pread(rep, buf, size - 1, 0) >= 0);
	cr_assert(WIFEXITED(status), "the child died: signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0,
		     "as nobody: %s:\n%s",
		     WEXITSTATUS(status) == 10   ? "cannot become nobody"
		     : WEXITSTATUS(status) == 11 ? "the sandbox failed"
		     : WEXITSTATUS(status) == 12 ? "the probe did not exit 0"
		     : WEXITSTATUS(status) == 13 ? "host uid is not the caller's"
						 : "unknown",
		     buf);
}

Test(escape, sandbox_runs_for_normal_user, .timeout = 30)
{
	char buf[8192];

	probe_as_nobody("uid", false, buf, sizeof(buf));
	cr_assert(strstr(buf, "probe: uid: ok"), "%s", buf);
}

/* A normal user's sandbox has a network namespace of its own user
 * namespace, new each time, and init brings its lo up (root's is the
 * host's making: test_netns.c). The profile lets the probe make the
 * socket its ioctl needs. */
Test(escape, a_normal_user_s_sandbox_has_lo_up, .timeout = 30)
{
	char buf[8192];

	probe_as_nobody("net", true, buf, sizeof(buf));
	cr_expect(strstr(buf, "lo=up"), "lo is not up in a normal user's sandbox:\n%s", buf);
}

static bool env_name_allowed(const char *name, size_t len)
{
	static const char *const allowed[] = { "PATH", "HOME", "LANG", "TERM", "PWD" };

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (strlen(allowed[i]) == len && !memcmp(allowed[i], name, len))
			return true;
	}
	return false;
}

Test(escape, sandbox_sets_clean_env, .timeout = 30)
{
	cleanup_free char *kver = sbt_installed_kernel();
	cleanup_free char *rw = sbt_mkdtemp(NULL);
	cleanup_free char *kr = NULL;
	cleanup_free char *pwd = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *copy = NULL;
	char *save = NULL;
	struct sbt_opts o = { .kernel = kver, .rw = { rw } };
	struct sbt_out out;

	setenv("DKS_TEST_SECRET", "leaked", 1);
	sbt_probe(&o, &out, "env", NULL);
	sbt_assert_ok(&out, "env");
	copy = strdup(out.text);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq;

		if (strncmp(l, "env: ", 5))
			continue;
		eq = strchr(l + 5, '=');
		cr_assert(eq, "bad env line \"%s\"", l);
		cr_assert(env_name_allowed(l + 5, (size_t)(eq - l - 5)),
			  "unexpected variable %.*s in: %s", (int)(eq - l - 5), l + 5,
			  out.text);
	}
	path = sbt_value(&out, "env: PATH=");
	kr = sbt_value(&out, "env: KERNELRELEASE=");
	pwd = sbt_value(&out, "env: PWD=");
	cr_assert(path && path[0] == '/', "PATH: %s", out.text);
	/* as dkms: only on a leading make's command line (test_canon.c) */
	cr_assert_null(kr, "KERNELRELEASE is set: %s", out.text);
	cr_assert(pwd && !strcmp(pwd, rw), "PWD is not the build dir %s: %s", rw,
		  out.text);
	sbt_out_free(&out);
}

Test(escape, sandbox_sets_hostname, .timeout = 30)
{
	struct sbt_opts o = { 0 };
	struct sbt_out out;
	struct utsname u;
	cleanup_free char *name = NULL;

	cr_assert_eq(uname(&u), 0);
	sbt_probe(&o, &out, "hostname", NULL);
	sbt_assert_ok(&out, "hostname");
	name = sbt_value(&out, "nodename=");
	cr_assert(name && name[0], "no hostname: %s", out.text);
	cr_assert_str_neq(name, u.nodename, "the host's hostname is visible");
	sbt_out_free(&out);
}
