/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe: one escape attempt per subcommand, run inside the sandbox by the
 * escape tests (tests/unit/test_escape.c). Static, so it needs nothing of
 * the toolchain root.
 *
 * Each attempt prints one result line on stdout:
 *
 *     probe: <what>: ok [(<detail>)]
 *     probe: <what>: failed: <strerror> (errno N)
 *
 * A subcommand that makes several attempts prints one line per attempt.
 * Exit status: 0 when an attempt SUCCEEDED (the sandbox is broken), 1 when
 * every attempt failed, 2 on a usage error. Informational subcommands
 * (uid, env, ...) print their data and exit 0. Lines starting "info: " are
 * details, never results.
 *
 * The probe never does harm when it succeeds: it opens /proc/sysrq-trigger
 * and global sysctls without writing to them, and hands finit_module only
 * /dev/null or an empty file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define UNUSED __attribute__((unused))

#define PROBE_OK 0
#define PROBE_FAILED 1
#define PROBE_USAGE 2

#define X32_SYSCALL_BIT 0x40000000L
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

extern char **environ;

/* ---- reporting --------------------------------------------------------- */

static int report_ok(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int report_ok(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("probe: %s: ok", what);
	if (fmt) {
		printf(" (");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(")");
	}
	printf("\n");
	fflush(stdout);
	return PROBE_OK;
}

static int report_failed(const char *what, int errnum)
{
	printf("probe: %s: failed: %s (errno %d)\n", what, strerror(errnum), errnum);
	fflush(stdout);
	return PROBE_FAILED;
}

/* A failure that is not a failed call (errno 0). */
static int report_failed_msg(const char *what, const char *msg)
{
	printf("probe: %s: failed: %s (errno 0)\n", what, msg);
	fflush(stdout);
	return PROBE_FAILED;
}

/* The result of a call that returns -1/errno on failure. */
static int report_rc(const char *what, long rc, int errnum)
{
	if (rc < 0)
		return report_failed(what, errnum);
	return report_ok(what, NULL);
}

/* Several attempts: the sandbox is broken if any of them succeeded. */
/* errno read after the call: argument evaluation order is unspecified. */
#define report_call(what, call)                    \
	({                                         \
		long rc_ = (long)(call);           \
		report_rc((what), rc_, errno);     \
	})

static int any_ok(int a, int b)
{
	return (a == PROBE_OK || b == PROBE_OK) ? PROBE_OK : PROBE_FAILED;
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void info(const char *fmt, ...)
{
	va_list ap;

	printf("info: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static bool parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

/* Run @fn in a forked child; its exit status is the errno it saw (0 = ok). */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno ? errno : EAGAIN;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (WIFSIGNALED(status)) {
		info("child killed by signal %d", WTERMSIG(status));
		return EINTR;
	}
	return WEXITSTATUS(status);
}

/* ---- network ----------------------------------------------------------- */

static int cmd_tcp(char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char what[64];
	long port;
	int fd;

	if (!parse_long(argv[1], &port) || port <= 0 || port > 65535)
		return PROBE_USAGE;
	snprintf(what, sizeof(what), "tcp 127.0.0.1:%ld", port);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return report_failed(what, errno);
	return report_call(what, connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
}

/* 127.0.0.1:@port in @sa, or false. */
static bool loopback_port(const char *arg, struct sockaddr_in *sa)
{
	long port;

	if (!parse_long(arg, &port) || port <= 0 || port > 65535)
		return false;
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return true;
}

/* A loopback TCP connection to PORT whose server side closes first: the
 * kernel keeps it in TIME_WAIT, holding PORT, after every process is gone. */
static int cmd_timewait(char **argv)
{
	struct sockaddr_in sa;
	int l, c, a;

	if (!loopback_port(argv[1], &sa))
		return PROBE_USAGE;
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (a = accept(l, NULL, NULL)) < 0)
		return report_failed("timewait", errno);
	close(a); /* the server's side first: its end, on PORT, waits */
	close(l);
	usleep(50000);
	close(c);
	return report_ok("timewait", NULL);
}

/* bind(127.0.0.1:PORT) without SO_REUSEADDR: EADDRINUSE while anything
 * holds it, a TIME_WAIT connection too. */
static int cmd_bind(char **argv)
{
	struct sockaddr_in sa;
	int fd;

	if (!loopback_port(argv[1], &sa))
		return PROBE_USAGE;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return report_failed("bind", errno);
	return report_call("bind", bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
}

static int cmd_abstract(char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(argv[1]);
	char what[160];
	int fd;

	if (len == 0 || len >= sizeof(sa.sun_path) - 1)
		return PROBE_USAGE;
	snprintf(what, sizeof(what), "abstract @%s", argv[1]);
	memcpy(sa.sun_path + 1, argv[1], len); /* sun_path[0] = 0: abstract */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return report_failed(what, errno);
	return report_call(what,
			   connect(fd, (struct sockaddr *)&sa,
				   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)));
}

static int cmd_socket(char **argv UNUSED)
{
	return report_call("socket AF_INET", socket(AF_INET, SOCK_STREAM, 0));
}

/* The network namespace's inode, and whether lo is up (an AF_INET
 * socket for the ioctl: a profile that allows one). */
static int cmd_net(char **argv UNUSED)
{
	struct ifreq ifr = { 0 };
	struct stat st;
	int fd;

	if (stat("/proc/self/ns/net", &st) < 0)
		return report_failed("net", errno);
	printf("netns=%llu\n", (unsigned long long)st.st_ino);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return report_failed("net", errno);
	printf("lo=%s\n", ifr.ifr_flags & IFF_UP ? "up" : "down");
	return report_ok("net", NULL);
}

/* Take lo down: only who owns the network namespace may. */
static int cmd_lo_down(char **argv UNUSED)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return report_failed("lo down", errno);
	ifr.ifr_flags &= ~IFF_UP;
	return report_call("lo down", ioctl(fd, SIOCSIFFLAGS, &ifr));
}

/* A daemon (its own session, parent gone) listening on abstract @NAME and
 * 127.0.0.1:PORT, left behind when the probe exits: "ok" once it listens. */
static int cmd_listen_daemon(char **argv)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	struct sockaddr_in si = { .sin_family = AF_INET };
	size_t len = strlen(argv[1]);
	int ready[2], u, t;
	char c = 0;

	if (len == 0 || len >= sizeof(su.sun_path) - 1 || pipe(ready) < 0)
		return PROBE_USAGE;
	memcpy(su.sun_path + 1, argv[1], len);
	si.sin_port = htons((uint16_t)atoi(argv[2]));
	si.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fork() == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		u = socket(AF_UNIX, SOCK_STREAM, 0);
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (u >= 0 && t >= 0 &&
		    bind(u, (struct sockaddr *)&su,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == 0 &&
		    listen(u, 8) == 0 && bind(t, (struct sockaddr *)&si, sizeof(si)) == 0 &&
		    listen(t, 8) == 0)
			c = 1;
		(void)!write(ready[1], &c, 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1 || c != 1)
		return report_failed("listen", EIO);
	return report_ok("listen", "@%s and 127.0.0.1:%s", argv[1], argv[2]);
}

/* ---- files ------------------------------------------------------------- */

static int cmd_read(char **argv)
{
	char what[PATH_MAX + 16], c;
	ssize_t n;
	int fd;

	snprintf(what, sizeof(what), "read %s", argv[1]);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return report_failed(what, errno);
	n = read(fd, &c, 1);
	if (n < 0)
		return report_failed(what, errno);
	return report_ok(what, "%zd byte", n);
}

static int cmd_write(char **argv)
{
	char what[PATH_MAX + 16];
	int fd;

	snprintf(what, sizeof(what), "write %s", argv[1]);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return report_failed(what, errno);
	return report_call(what, write(fd, "x", 1));
}

static int cmd_listdir(char **argv)
{
	char what[PATH_MAX + 16];
	struct dirent *de;
	DIR *d;

	snprintf(what, sizeof(what), "listdir %s", argv[1]);
	d = opendir(argv[1]);
	if (!d)
		return report_failed(what, errno);
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return report_ok(what, "found %s", de->d_name);
	}
	if (errno)
		return report_failed(what, errno);
	return report_failed_msg(what, "empty directory");
}

/* ---- processes --------------------------------------------------------- */

static int cmd_kill(char **argv)
{
	char what[64];
	long pid, sig;

	if (!parse_long(argv[1], &pid) || !parse_long(argv[2], &sig) || pid <= 0)
		return PROBE_USAGE;
	snprintf(what, sizeof(what), "kill %ld %ld", pid, sig);
	return report_call(what, kill((pid_t)pid, (int)sig));
}

static int traceme(void *arg UNUSED)
{
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? errno : 0;
}

static int cmd_ptrace(char **argv)
{
	char what[64];
	long pid;
	int a, e;

	if (!parse_long(argv[1], &pid) || pid <= 0)
		return PROBE_USAGE;
	snprintf(what, sizeof(what), "ptrace attach %ld", pid);
	a = report_call(what, ptrace(PTRACE_ATTACH, (pid_t)pid, NULL, NULL));
	if (a == PROBE_OK)
		ptrace(PTRACE_DETACH, (pid_t)pid, NULL, NULL);
	e = in_child(traceme, NULL);
	return any_ok(a, e ? report_failed("ptrace traceme", e)
			   : report_ok("ptrace traceme", NULL));
}

static int cmd_mount(char **argv UNUSED)
{
	int a;

	mkdir("/tmp/x", 0755);
	a = report_call("mount tmpfs /tmp/x",
			mount("tmpfs", "/tmp/x", "tmpfs", 0, "size=1m"));
	return any_ok(a, report_call("umount2 /proc", umount2("/proc", MNT_DETACH)));
}

static int cmd_unshare(char **argv UNUSED)
{
	long pid;
	int a, status;

	/* The raw clone first, as an attacker would issue it without libc's
	 * help: after a successful unshare() we could not tell it apart. */
	pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		a = report_failed("clone CLONE_NEWUSER", errno);
	} else {
		waitpid((pid_t)pid, &status, 0);
		a = report_ok("clone CLONE_NEWUSER", NULL);
	}
	return any_ok(a, report_call("unshare CLONE_NEWUSER", unshare(CLONE_NEWUSER)));
}

/* Only /dev/null or an empty file: nothing that could ever load. */
static int cmd_finit(char **argv UNUSED)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fd = open("/tmp/probe-empty-module", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
	if (fd < 0)
		return report_failed("finit_module (open)", errno);
	return report_call("finit_module", syscall(SYS_finit_module, fd, "", 0));
}

/* ---- setuid files ------------------------------------------------------ */

/* Succeeded only if the set-id bit really is on the file afterwards. */
static int setid_rc(const char *what, const char *path, long rc, int errnum)
{
	struct stat st;

	if (rc < 0)
		return report_failed(what, errnum);
	if (stat(path, &st) < 0)
		return report_failed(what, errno);
	if (st.st_mode & (S_ISUID | S_ISGID))
		return report_ok(what, "mode %04o", st.st_mode & 07777);
	info("%s: call returned 0 but mode is %04o", what, st.st_mode & 07777);
	return report_failed_msg(what, "no set-id bit on the file");
}

#define check_setid(what, path, call)                 \
	({                                            \
		long rc_ = (long)(call);              \
		setid_rc((what), (path), rc_, errno); \
	})

static int make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	if (fd < 0)
		return -1;
	if (write(fd, "#!/bin/sh\n", 10) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_chmod_suid(char **argv)
{
	const char *p = argv[1];
	char p2[PATH_MAX], p3[PATH_MAX];
	int fd, r = PROBE_FAILED;

	umask(0);
	fd = make_file(p);
	if (fd < 0)
		return report_failed("chmod-suid (create)", errno);
	r = any_ok(r, check_setid("chmod 04755", p, chmod(p, 04755)));
	r = any_ok(r, check_setid("chmod 02755", p, chmod(p, 02755)));
	r = any_ok(r, check_setid("fchmod 04755", p, fchmod(fd, 04755)));
	r = any_ok(r, check_setid("fchmodat 04755", p,
				  syscall(SYS_fchmodat, AT_FDCWD, p, 04755)));
	r = any_ok(r, check_setid("fchmodat2 04755", p,
				  syscall(SYS_fchmodat2, AT_FDCWD, p, 04755, 0)));
	snprintf(p2, sizeof(p2), "%s.open", p);
	r = any_ok(r, check_setid("open O_CREAT 04755", p2,
				  open(p2, O_WRONLY | O_CREAT | O_CLOEXEC, 04755)));
	snprintf(p3, sizeof(p3), "%s.creat", p);
	r = any_ok(r, check_setid("creat 02755", p3, syscall(SYS_creat, p3, 02755)));
	return r;
}

/* ---- capabilities, fds, ttys ------------------------------------------ */

static int cmd_caps(char **argv UNUSED)
{
	static const char *const keys[] = { "CapInh:", "CapPrm:", "CapEff:",
					    "CapBnd:", "CapAmb:" };
	char line[256];
	bool any = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return report_failed("caps (/proc/self/status)", errno);
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strncmp(line, keys[i], strlen(keys[i])))
				continue;
			printf("info: %s", line);
			if (strtoull(line + strlen(keys[i]), NULL, 16))
				any = true;
		}
	}
	fclose(f);
	if (any)
		return report_ok("caps", "a capability set is not empty");
	return report_failed_msg("caps", "every capability set is empty");
}

static int cmd_fd(char **argv)
{
	char what[64], link[64], target[PATH_MAX] = "";
	long n;

	if (!parse_long(argv[1], &n) || n < 0 || n > INT_MAX)
		return PROBE_USAGE;
	snprintf(what, sizeof(what), "fd %ld", n);
	if (fcntl((int)n, F_GETFD) < 0)
		return report_failed(what, errno);
	snprintf(link, sizeof(link), "/proc/self/fd/%ld", n);
	if (readlink(link, target, sizeof(target) - 1) < 0)
		snprintf(target, sizeof(target), "?");
	return report_ok(what, "open: %s", target);
}

/* Reserve @mb MiB on fd N without changing its size (FALLOC_FL_KEEP_SIZE):
 * RLIMIT_FSIZE does not count it. On the caller's file behind that fd
 * (a build's make.log), the space would be the host's. */
static int cmd_fallocate_fd(char **argv)
{
	char what[64];
	long n, mb;

	if (!parse_long(argv[1], &n) || n < 0 || n > INT_MAX || !parse_long(argv[2], &mb) ||
	    mb < 1 || mb > 65536)
		return PROBE_USAGE;
	snprintf(what, sizeof(what), "fallocate fd %ld", n);
	if (fallocate((int)n, FALLOC_FL_KEEP_SIZE, 0, (off_t)mb << 20) < 0)
		return report_failed(what, errno);
	return report_ok(what, "%ld MiB reserved", mb);
}

/*
 * TIOCSTI only works on the caller's controlling tty, so first make stdin
 * (a pty the test passes in) our controlling tty in a new session: then
 * only the sandbox can stop the injection, not the kernel's ctty check.
 */
static int tiocsti_child(void *arg)
{
	unsigned long req = *(unsigned long *)arg;
	int fd, e0;

	setsid();
	if (isatty(0) && ioctl(0, TIOCSCTTY, 0) < 0)
		printf("info: TIOCSCTTY: %s\n", strerror(errno));
	if (syscall(SYS_ioctl, 0, req, "x") == 0)
		return 0;
	e0 = errno;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		printf("info: open /dev/tty: %s\n", strerror(errno));
	else if (syscall(SYS_ioctl, fd, req, "x") == 0)
		return 0;
	else
		printf("info: ioctl on /dev/tty: %s\n", strerror(errno));
	return e0; /* stdin's answer: the one the test controls */
}

static int tiocsti(const char *what, unsigned long req)
{
	int e;

	fflush(stdout);
	e = in_child(tiocsti_child, &req);
	return e ? report_failed(what, e) : report_ok(what, NULL);
}

static int cmd_tiocsti(char **argv UNUSED)
{
	return tiocsti("ioctl TIOCSTI", TIOCSTI);
}

/* The kernel truncates cmd to 32 bits; a filter comparing 64 must not. */
static int cmd_tiocsti_high(char **argv UNUSED)
{
	return tiocsti("ioctl TIOCSTI|0xffffffff00000000",
		       TIOCSTI | 0xffffffff00000000UL);
}

/* ---- /proc ------------------------------------------------------------- */

/* Opening for writing is the whole attack: never write. */
static int cmd_sysrq(char **argv UNUSED)
{
	return report_call("open /proc/sysrq-trigger O_WRONLY",
			   open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC));
}

static int cmd_procsys(char **argv UNUSED)
{
	static const char *const files[] = { "/proc/sys/kernel/hostname",
					     "/proc/sys/kernel/core_pattern",
					     "/proc/sys/vm/drop_caches" };
	char what[128];
	int r = PROBE_FAILED;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(what, sizeof(what), "open %s O_WRONLY", files[i]);
		r = any_ok(r, report_call(what, open(files[i], O_WRONLY | O_CLOEXEC)));
	}
	return r;
}

/* ---- limits ------------------------------------------------------------ */

static int cmd_forkbomb(char **argv)
{
	long n, forked = 0;
	pid_t *pids;
	int err = 0;

	if (!parse_long(argv[1], &n) || n <= 0 || n > 1000000)
		return PROBE_USAGE;
	pids = calloc((size_t)n, sizeof(*pids));
	if (!pids)
		return report_failed("forkbomb (calloc)", errno);
	while (forked < n) {
		pid_t pid = fork();

		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			for (;;)
				pause();
		}
		pids[forked++] = pid;
	}
	for (long i = 0; i < forked; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < forked; i++)
		waitpid(pids[i], NULL, 0);
	info("forkbomb: forked %ld of %ld", forked, n);
	if (forked == n)
		return report_ok("forkbomb", "forked %ld of %ld", forked, n);
	return err ? report_failed("forkbomb", err)
		   : report_failed_msg("forkbomb", "stopped early");
}

static int cmd_filltmp(char **argv)
{
	static char buf[1 << 20];
	unsigned long long written = 0;
	long maxmb;
	int fd, err = 0;

	if (!parse_long(argv[1], &maxmb) || maxmb <= 0)
		return PROBE_USAGE;
	signal(SIGXFSZ, SIG_IGN); /* RLIMIT_FSIZE: EFBIG, not death */
	memset(buf, 'f', sizeof(buf));
	fd = open("/tmp/fill", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return report_failed("filltmp (open /tmp/fill)", errno);
	while (written < (unsigned long long)maxmb << 20) {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n <= 0) {
			err = n < 0 ? errno : ENOSPC;
			break;
		}
		written += (unsigned long long)n;
	}
	info("filltmp: wrote %llu bytes", written);
	if (written >= (unsigned long long)maxmb << 20)
		return report_ok("filltmp", "wrote %llu bytes", written);
	return report_failed("filltmp", err);
}

static void ignore_signals(void)
{
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
}

/* Never returns: a process the host test looks for by @marker. */
static int cmd_sleeper(char **argv UNUSED)
{
	ignore_signals();
	prctl(PR_SET_NAME, "probe-sleeper");
	for (;;)
		pause();
	return PROBE_OK;
}

/*
 * A tree that outlives its parent's death: the grandchild leaves the
 * session, re-execs as "sleeper MARKER" and is reparented; every process
 * ignores SIGTERM. Only killing the whole sandbox gets rid of it.
 */
static int cmd_hang_doublefork(char **argv)
{
	pid_t pid;

	ignore_signals();
	pid = fork();
	if (pid < 0)
		return report_failed("hang-doublefork (fork)", errno);
	if (pid == 0) {
		setsid();
		if (fork() == 0) {
			char *const sv[] = { "probe", "sleeper", argv[1], NULL };

			execv("/proc/self/exe", sv);
			for (;;) /* no /proc: sleep under our own name */
				pause();
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	info("hang-doublefork: sleeping");
	for (;;)
		pause();
	return PROBE_OK;
}

/* ---- foreign ABIs ------------------------------------------------------ */

static int cmd_int80(char **argv UNUSED)
{
#if defined(__x86_64__)
	long ret = 20; /* __NR_getpid in the i386 table */

	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 :
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	if (ret < 0 && ret > -4096)
		return report_failed("int80 getpid", (int)-ret);
	return report_ok("int80 getpid", "returned %ld", ret);
#else
	return report_failed("int80 getpid", ENOSYS);
#endif
}

static int cmd_x32(char **argv UNUSED)
{
	long ret = syscall(39 | X32_SYSCALL_BIT); /* getpid */

	if (ret < 0)
		return report_failed("x32 getpid", errno);
	return report_ok("x32 getpid", "returned %ld", ret);
}

/* ---- host-shared kernel state (tests/unit/test_leaks.c) ---------------- */

/* Keys of the caller: read key @serial, search the session keyring for
 * @desc, name the session keyring, add and request a key. */
static int cmd_keys(char **argv)
{
	char buf[256];
	long serial, n;
	int r;

	if (!parse_long(argv[1], &serial))
		return PROBE_USAGE;
	n = syscall(SYS_keyctl, KEYCTL_READ, serial, buf, sizeof(buf) - 1);
	r = n < 0 ? report_failed("keyctl read", errno)
		  : report_ok("keyctl read", "%.*s", (int)(n < 255 ? n : 255), buf);
	n = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", argv[2], 0);
	r = any_ok(r, n < 0 ? report_failed("keyctl search", errno)
			    : report_ok("keyctl search", "key %ld", n));
	n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, KEY_SPEC_SESSION_KEYRING, buf, sizeof(buf) - 1);
	r = any_ok(r, n < 0 ? report_failed("keyctl describe session", errno)
			    : report_ok("keyctl describe session", "%.*s", (int)(n < 255 ? n : 255),
					buf));
	r = any_ok(r, report_call("add_key", syscall(SYS_add_key, "user", "dks-probe", "x", 1,
						     KEY_SPEC_PROCESS_KEYRING)));
	return any_ok(r, report_call("request_key",
				     syscall(SYS_request_key, "user", argv[2], NULL, 0)));
}

/* Watches on a host file (@argv[1], through a bind): inotify, fanotify. */
static int cmd_inotify(char **argv)
{
	int fd = inotify_init1(IN_CLOEXEC);
	int r = fd < 0 ? report_failed("inotify_init1", errno) : report_ok("inotify_init1", NULL);

	if (fd >= 0)
		r = any_ok(r, report_call("inotify_add_watch",
					  inotify_add_watch(fd, argv[1], IN_ALL_EVENTS)));
#ifdef SYS_inotify_init
	r = any_ok(r, report_call("inotify_init", syscall(SYS_inotify_init)));
#endif
	return any_ok(r, report_call("fanotify_init",
				     fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY)));
}

/* Calls of the host-deny set that work without any privilege when they
 * are let through: only seccomp can make them fail with EPERM. */
static int cmd_hostdeny(char **argv UNUSED)
{
	struct io_uring_params up = { 0 };
	struct perf_event_attr pe = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pe),
				      .config = PERF_COUNT_SW_TASK_CLOCK, .exclude_kernel = 1,
				      .exclude_hv = 1 };
	struct { struct file_handle fh; unsigned char b[128]; } h = { .fh.handle_bytes = 128 };
	char a = 'a', b = 0;
	struct iovec local = { &b, 1 }, remote = { &a, 1 };
	struct timex tx = { 0 };
	int mnt, r, e;

	r = report_call("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* USER_MODE_ONLY */));
	r = any_ok(r, report_call("io_uring_setup", syscall(SYS_io_uring_setup, 1, &up)));
	r = any_ok(r, report_call("name_to_handle_at", name_to_handle_at(AT_FDCWD, "/", &h.fh, &mnt, 0)));
	r = any_ok(r, report_call("process_vm_readv",
				  process_vm_readv(getpid(), &local, 1, &remote, 1, 0)));
	r = any_ok(r, report_call("perf_event_open",
				  syscall(SYS_perf_event_open, &pe, 0, -1, -1, PERF_FLAG_FD_CLOEXEC)));
	r = any_ok(r, report_call("clock_adjtime", syscall(SYS_clock_adjtime, 0 /* CLOCK_REALTIME */, &tx)));
	r = any_ok(r, report_call("unshare 0", unshare(0)));
	e = in_child(traceme, NULL);
	return any_ok(r, e ? report_failed("ptrace traceme", e) : report_ok("ptrace traceme", NULL));
}

/* Read each file whole: "ok (N bytes)" with its first line, or "empty". */
static int cmd_slurp(char **argv)
{
	int r = PROBE_FAILED;

	for (char **p = argv + 1; *p; p++) {
		char what[PATH_MAX + 16], buf[4096], first[128] = "";
		ssize_t n, total = 0;
		int fd = open(*p, O_RDONLY | O_CLOEXEC);

		snprintf(what, sizeof(what), "slurp %s", *p);
		if (fd < 0) {
			report_failed(what, errno);
			continue;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			if (!total)
				snprintf(first, sizeof(first), "%.*s", (int)strcspn(buf, "\n"), buf);
			total += n;
		}
		close(fd);
		if (n < 0)
			report_failed(what, errno);
		else if (total == 0)
			report_failed_msg(what, "empty");
		else
			r = report_ok(what, "%zd bytes: %s", total, first);
	}
	return r;
}

/* ---- information ------------------------------------------------------- */

static int cmd_uid(char **argv UNUSED)
{
	printf("uid=%u euid=%u gid=%u egid=%u\n", getuid(), geteuid(), getgid(),
	       getegid());
	return report_ok("uid", NULL);
}

static int cmd_hostname(char **argv UNUSED)
{
	struct utsname u;

	if (uname(&u) < 0)
		return report_failed("hostname", errno);
	printf("nodename=%s\n", u.nodename);
	return report_ok("hostname", NULL);
}

static int cmd_env(char **argv UNUSED)
{
	for (char **e = environ; *e; e++)
		printf("env: %s\n", *e);
	return report_ok("env", NULL);
}

static int cmd_mountinfo(char **argv UNUSED)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return report_failed("mountinfo", errno);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return report_ok("mountinfo", NULL);
}

static int cmd_pids(char **argv UNUSED)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return report_failed("pids", errno);
	printf("self=%d\n", getpid());
	while ((de = readdir(d))) {
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			printf("pid=%s\n", de->d_name);
	}
	closedir(d);
	return report_ok("pids", NULL);
}

static int cmd_exitcode(char **argv)
{
	long n;

	if (!parse_long(argv[1], &n))
		return PROBE_USAGE;
	exit((int)n);
}

static int cmd_killself(char **argv)
{
	long sig;

	if (!parse_long(argv[1], &sig) || sig <= 0 || sig >= NSIG)
		return PROBE_USAGE;
	fflush(stdout);
	raise((int)sig);
	printf("probe: killself %ld: survived\n", sig);
	return 3;
}

/* ---- dispatch ---------------------------------------------------------- */

struct probe_cmd {
	const char *name;
	int nargs; /* -1: one or more */
	const char *usage;
	int (*fn)(char **argv); /* argv[0]: the command, then its args */
};

static const struct probe_cmd commands[] = {
	{ "tcp", 1, "PORT", cmd_tcp },
	{ "abstract", 1, "NAME", cmd_abstract },
	{ "socket", 0, "", cmd_socket },
	{ "net", 0, "", cmd_net },
	{ "timewait", 1, "PORT", cmd_timewait },
	{ "bind", 1, "PORT", cmd_bind },
	{ "lo-down", 0, "", cmd_lo_down },
	{ "listen-daemon", 2, "NAME PORT", cmd_listen_daemon },
	{ "read", 1, "PATH", cmd_read },
	{ "write", 1, "PATH", cmd_write },
	{ "listdir", 1, "PATH", cmd_listdir },
	{ "kill", 2, "PID SIG", cmd_kill },
	{ "ptrace", 1, "PID", cmd_ptrace },
	{ "mount", 0, "", cmd_mount },
	{ "unshare", 0, "", cmd_unshare },
	{ "finit", 0, "", cmd_finit },
	{ "chmod-suid", 1, "PATH", cmd_chmod_suid },
	{ "caps", 0, "", cmd_caps },
	{ "fd", 1, "N", cmd_fd },
	{ "fallocate-fd", 2, "N MB", cmd_fallocate_fd },
	{ "tiocsti", 0, "", cmd_tiocsti },
	{ "tiocsti-high", 0, "", cmd_tiocsti_high },
	{ "sysrq", 0, "", cmd_sysrq },
	{ "procsys", 0, "", cmd_procsys },
	{ "forkbomb", 1, "N", cmd_forkbomb },
	{ "filltmp", 1, "MAXMB", cmd_filltmp },
	{ "hang-doublefork", 1, "MARKER", cmd_hang_doublefork },
	{ "sleeper", 1, "MARKER", cmd_sleeper },
	{ "int80", 0, "", cmd_int80 },
	{ "x32", 0, "", cmd_x32 },
	{ "uid", 0, "", cmd_uid },
	{ "hostname", 0, "", cmd_hostname },
	{ "env", 0, "", cmd_env },
	{ "mountinfo", 0, "", cmd_mountinfo },
	{ "pids", 0, "", cmd_pids },
	{ "exitcode", 1, "N", cmd_exitcode },
	{ "killself", 1, "SIG", cmd_killself },
	{ "keys", 2, "SERIAL DESC", cmd_keys },
	{ "inotify", 1, "PATH", cmd_inotify },
	{ "hostdeny", 0, "", cmd_hostdeny },
	{ "slurp", -1, "PATH...", cmd_slurp },
};

static int usage(void)
{
	fprintf(stderr, "usage: probe COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s %s\n", commands[i].name, commands[i].usage);
	return PROBE_USAGE;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct probe_cmd *c = &commands[i];
		int r;

		if (strcmp(argv[1], c->name))
			continue;
		if (c->nargs >= 0 ? argc - 2 != c->nargs : argc < 3) /* -1: one or more */
			return usage();
		r = c->fn(argv + 1);
		if (r == PROBE_USAGE)
			usage();
		fflush(stdout);
		return r;
	}
	return usage();
}
