// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sandbox's processes. Three of them, each with one job:
 *
 *   setup (host pid ns)  drops to the build uid, creates the namespaces as
 *                        that uid, maps it, forks init, exits.
 *   init  (pid 1)        builds the root filesystem, drops every privilege,
 *                        starts the command, answers seccomp notifications
 *                        and reaps; its exit kills everything in the sandbox.
 *   command              Landlock, seccomp, exec.
 *
 * Children may exit on error: they report one line through the report pipe
 * (dks_child_die) and the caller turns it into an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | \
		  CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWPID)

void dks_child_send(const struct dks_run_ctx *ctx, const struct dks_msg *m)
{
	ssize_t n;

	do
		n = write(ctx->report_fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
}

void dks_child_die(const struct dks_run_ctx *ctx, int errnum, const char *fmt, ...)
{
	struct dks_msg m = {.type = DKS_MSG_SETUP_ERROR, .a = 125};
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(m.text))
		snprintf(m.text + n, sizeof(m.text) - (size_t)n, ": %s", strerror(errnum));
	dks_child_send(ctx, &m);
	_exit(125);
}

/* Host root never creates the namespaces: the build uid does, so the user
 * namespace is owned by an unprivileged uid and nothing in it can ever act
 * with host root's authority. */
static void become_build_user(const struct dks_run_ctx *ctx)
{
	if (!ctx->as_root)
		return;
	if (setgroups(0, NULL) < 0)
		dks_child_die(ctx, errno, "setgroups");
	if (setresgid(ctx->gid, ctx->gid, ctx->gid) < 0)
		dks_child_die(ctx, errno, "setresgid %u", (unsigned)ctx->gid);
	/* All uids non-zero: the kernel clears every capability here. */
	if (setresuid(ctx->uid, ctx->uid, ctx->uid) < 0)
		dks_child_die(ctx, errno, "setresuid %u", (unsigned)ctx->uid);
}

/* Started by root, the setup child is no longer dumpable once it has
 * switched uid, so its /proc files belong to host root: the caller writes
 * the maps. Making the child dumpable instead would open it to ptrace by
 * any process of the build uid while it still holds the caller's memory. */
static void request_id_maps(const struct dks_run_ctx *ctx)
{
	struct dks_msg m = {.type = DKS_MSG_MAP_REQUEST};
	char ok = 0;
	struct dks_error err = {0};

	if (!ctx->as_root) {
		if (dks_write_id_maps(0, ctx->uid, ctx->gid, &err) < 0)
			dks_child_die(ctx, err.errnum, "%s", err.msg);
		return;
	}
	dks_child_send(ctx, &m);
	if (read(ctx->ack_fd, &ok, 1) != 1 || ok != 1)
		_exit(125); /* the caller reports what went wrong */
}

/* Where cgroup v2 is delegated, the caller moves init into the sandbox's
 * cgroup: nothing may fork before that. */
static void await_cgroup(const struct dks_run_ctx *ctx)
{
	char ok = 0;

	if (ctx->cgroup && (read(ctx->ack_fd, &ok, 1) != 1 || ok != 1))
		_exit(125);
	close(ctx->ack_fd);
}

/* "lo" up, nothing else: the net namespace has no route to the host. */
static void loopback_up(const struct dks_run_ctx *ctx)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		dks_child_die(ctx, errno, "socket");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		dks_child_die(ctx, errno, "loopback flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		dks_child_die(ctx, errno, "loopback up");
	close(fd);
}

static void install_stdio(const struct dks_run_ctx *ctx)
{
	int fds[3];

	/* dup first: a target fd may be another's source. */
	for (int i = 0; i < 3; i++) {
		fds[i] = fcntl(ctx->sb->fds[i], F_DUPFD_CLOEXEC, 3);
		if (fds[i] < 0)
			dks_child_die(ctx, errno, "stdio fd %d", ctx->sb->fds[i]);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			dks_child_die(ctx, errno, "dup2");
}

static void exec_command(const struct dks_run_ctx *ctx, int sync_fd)
{
	struct dks_msg m = {.type = DKS_MSG_EXEC_ERROR};
	struct dks_error err = {0};
	int fd;

	if (setsid() < 0)
		dks_child_die(ctx, errno, "setsid");
	/* Only 0-2 survive exec: nothing the caller had open leaks in. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		dks_child_die(ctx, errno, "close_range");
	if (dks_landlock_apply(ctx->sb, &err) < 0)
		dks_child_die(ctx, err.errnum, "%s", err.msg);
	fd = dks_seccomp_load(ctx->sb->profile, &err);
	if (fd < 0)
		dks_child_die(ctx, 0, "%s", err.msg);
	/* The listener lands in the fd table shared with init; tell init its
	 * number. Our copy is close-on-exec, so the command never holds it. */
	if (write(sync_fd, &fd, sizeof(fd)) != sizeof(fd))
		_exit(125);
	/* Last: the limits are the command's, and none of our own setup may
	 * fail under them (an address-space limit also stops a sanitizer
	 * runtime from mapping anything). */
	if (dks_limits_apply(&ctx->sb->profile->limits, &err) < 0)
		dks_child_die(ctx, err.errnum, "%s", err.msg);
	/* execvpe would search the caller's PATH: search the sandbox's. */
	environ = ctx->envp;
	execvp(ctx->argv[0], ctx->argv);
	snprintf(m.text, sizeof(m.text), "cannot execute '%s' in the sandbox: %s",
		 ctx->argv[0], strerror(errno));
	dks_child_send(ctx, &m);
	_exit(errno == ENOENT ? 127 : 126);
}

static void on_sigchld(int sig)
{
	(void)sig;
}

/* Reap everything; return true once the command itself has exited. */
static bool reap_children(const struct dks_run_ctx *ctx, pid_t cmd)
{
	int ws;
	pid_t p;

	while ((p = waitpid(-1, &ws, WNOHANG | __WALL)) > 0) {
		if (p == cmd) {
			struct dks_msg m = {.type = DKS_MSG_EXIT, .a = ws};

			dks_child_send(ctx, &m);
			return true;
		}
	}
	return false;
}

/* pid 1: answer seccomp notifications and reap until the command exits.
 * Returning exits init, which makes the kernel kill whatever the command
 * left behind in the pid namespace. @sync delivers the listener's number
 * once the command has loaded its filter. */
static void supervise(const struct dks_run_ctx *ctx, pid_t cmd, int sync[2])
{
	struct pollfd pfd[2] = {{.fd = sync[0], .events = POLLIN},
				{.fd = -1, .events = POLLIN}};
	sigset_t unblocked;
	int listener;

	sigemptyset(&unblocked);
	while (!reap_children(ctx, cmd)) {
		if (ppoll(pfd, 2, NULL, &unblocked) < 0) {
			if (errno != EINTR)
				dks_child_die(ctx, errno, "init: ppoll");
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			if (read(sync[0], &listener, sizeof(listener)) == sizeof(listener))
				pfd[1].fd = listener;
			/* Closed only now: the table is shared until exec. */
			close(sync[0]);
			close(sync[1]);
			pfd[0].fd = -1;
		}
		if (pfd[1].revents & POLLIN)
			dks_seccomp_serve(ctx, pfd[1].fd);
		else if (pfd[1].revents & (POLLHUP | POLLERR))
			pfd[1].fd = -1;
	}
}

static pid_t start_command(const struct dks_run_ctx *ctx, int sync[2])
{
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		dks_child_die(ctx, errno, "pipe");
	/* CLONE_FILES: the seccomp listener the command creates appears in
	 * init's fd table too; exec then gives the command a private table
	 * in which the listener (close-on-exec) is gone. */
	pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		dks_child_die(ctx, errno, "clone");
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		exec_command(ctx, sync[1]);
	}
	return pid;
}

static void drop_privileges(const struct dks_run_ctx *ctx)
{
	struct dks_error err = {0};

	if (dks_caps_drop_all(&err) < 0)
		dks_child_die(ctx, err.errnum, "%s", err.msg);
	/* No exec in the sandbox can ever gain privileges (setuid files,
	 * file capabilities): and seccomp/Landlock need it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		dks_child_die(ctx, errno, "no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		dks_child_die(ctx, errno, "dumpable");
}

__attribute__((noreturn)) static void init_main(const struct dks_run_ctx *ctx)
{
	struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP};
	sigset_t chld;
	int sync[2];
	pid_t cmd;

	/* The sandbox never outlives the caller. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		dks_child_die(ctx, errno, "pdeathsig");
	await_cgroup(ctx);
	if (sethostname("dkms-sandbox", 12) < 0)
		dks_child_die(ctx, errno, "sethostname");
	loopback_up(ctx);
	dks_mounts_setup(ctx);
	if (chdir(ctx->cwd) < 0)
		dks_child_die(ctx, errno, "working directory %s", ctx->cwd);
	install_stdio(ctx);
	drop_privileges(ctx);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	cmd = start_command(ctx, sync);
	supervise(ctx, cmd, sync);
	_exit(0);
}

void dks_child_main(struct dks_run_ctx *ctx)
{
	struct dks_msg m = {.type = DKS_MSG_INIT_PID};
	pid_t pid;

	become_build_user(ctx);
	if (unshare(NS_FLAGS) < 0)
		dks_child_die(ctx, errno, "cannot create namespaces (are unprivileged user namespaces enabled?)");
	request_id_maps(ctx);
	/* CLONE_PARENT: init is the caller's child, so the caller can wait for
	 * it and kill it by a pid that cannot be reused before it reaps it. */
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		dks_child_die(ctx, errno, "clone init");
	if (pid == 0)
		init_main(ctx);
	m.a = pid;
	dks_child_send(ctx, &m);
	_exit(0);
}
