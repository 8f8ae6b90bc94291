// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sandbox's processes. Three of them, each with one job:
 *
 *   setup (host pid ns)  joins the network namespace root keeps for the
 *                        build uid (netns.c), drops to the build uid,
 *                        creates the other namespaces as that uid, forks
 *                        init, exits.
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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | \
		  CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWPID)

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

/* init waits for the caller to write its uid/gid maps. It forks nothing
 * before it has read its seccomp program, which the caller sends only
 * once init is in the sandbox's cgroup (run.c, release_init). */
static void await_caller(const struct dks_run_ctx *ctx)
{
	char ok = 0;

	if (read(ctx->ack_fd, &ok, 1) != 1 || ok != 1)
		_exit(125); /* the caller reports what went wrong */
	close(ctx->ack_fd);
}

/* "lo" up, nothing else: the net namespace has no route to the host.
 * Root's namespace is the host's making, lo already up (netns.c). */
static void loopback_up(const struct dks_run_ctx *ctx)
{
	if (!ctx->net_ready && dks_netns_loopback_up() < 0)
		dks_child_die(ctx, errno, "loopback up");
}

/* The command's fds: 0-2, then the passed ones at 3, 4, ... Init's own
 * pipes move out of the way first (to 64 and up), then every source is
 * duplicated high before any target is overwritten: a target number may
 * be another fd's source. */
#define INIT_FD_BASE 64

static int move_high(struct dks_run_ctx *ctx, int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, INIT_FD_BASE);

	if (high < 0)
		dks_child_die(ctx, errno, "init: fd %d", fd);
	close(fd);
	return high;
}

static void install_fds(struct dks_run_ctx *ctx)
{
	const struct dks_sandbox *sb = ctx->sb;
	int src[3 + DKS_MAX_PASS_FDS];
	size_t n = 3 + sb->n_pass;

	ctx->report_fd = move_high(ctx, ctx->report_fd);
	ctx->bpf_fds[0] = move_high(ctx, ctx->bpf_fds[0]);
	for (size_t i = 0; i < n; i++) {
		int fd = i < 3 ? ctx->stdio[i] : sb->pass[i - 3];

		src[i] = fcntl(fd, F_DUPFD_CLOEXEC, INIT_FD_BASE);
		if (src[i] < 0)
			dks_child_die(ctx, errno, "fd %d for the command", fd);
	}
	for (size_t i = 0; i < n; i++) {
		if (dup2(src[i], (int)i) < 0)
			dks_child_die(ctx, errno, "dup2");
		close(src[i]);
	}
}

/* Shared between init and the command until the command execs (vfork). */
struct launch {
	const struct dks_run_ctx *ctx;
	const void *bpf; /* the compiled seccomp program */
	size_t bpf_len;
	int listener;   /* out: the notification listener, in init's fd table */
	int exec_errno; /* out: why exec failed */
};

#define COMMAND_STACK (1024 * 1024) /* roomy: sanitizer builds need it */

/* The command's last steps, in a vfork child that shares init's memory
 * and fd table: nothing here allocates, and after the filter is loaded
 * only always-allowed calls are made (init is suspended and could not
 * answer a notification). */
static int command_main(void *arg)
{
	struct launch *l = arg;
	const struct dks_run_ctx *ctx = l->ctx;
	struct dks_error err = {0};
	sigset_t none;

	sigemptyset(&none);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0)
		dks_child_die(ctx, errno, "setsid");
	/* Only 0-2 and the passed fds survive exec: nothing else the caller
	 * had open leaks in. */
	if (syscall(SYS_close_range, 3U + (unsigned)ctx->sb->n_pass, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		dks_child_die(ctx, errno, "close_range");
	if (dks_landlock_apply(ctx->sb, &err) < 0)
		dks_child_die(ctx, 0, "%s", err.msg);
	/* The listener lands in the fd table shared with init; our copy is
	 * close-on-exec, so the command never holds it. */
	l->listener = dks_seccomp_install(l->bpf, l->bpf_len, &err);
	if (l->listener < 0)
		dks_child_die(ctx, 0, "%s", err.msg);
	/* Last: the limits are the command's, and none of our own setup may
	 * fail under them (an address-space limit also stops a sanitizer
	 * runtime from mapping anything). */
	if (dks_limits_apply(&ctx->sb->profile->limits, &err) < 0)
		_exit(125);
	/* execvpe would search the caller's PATH: search the sandbox's. */
	environ = ctx->envp;
	execvp(ctx->argv[0], ctx->argv);
	l->exec_errno = errno;
	_exit(errno == ENOENT ? 127 : 126);
}

static void report_exec_error(const struct dks_run_ctx *ctx, int errnum)
{
	struct dks_msg m = {.type = DKS_MSG_EXEC_ERROR};

	snprintf(m.text, sizeof(m.text), "cannot execute '%s' in the sandbox: %s",
		 ctx->argv[0], strerror(errnum));
	dks_child_send(ctx, &m);
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
 * left behind in the pid namespace. */
static void supervise(const struct dks_run_ctx *ctx, pid_t cmd, int listener)
{
	struct pollfd pfd = {.fd = listener, .events = POLLIN};
	sigset_t unblocked;

	sigemptyset(&unblocked);
	while (!reap_children(ctx, cmd)) {
		if (ppoll(&pfd, 1, NULL, &unblocked) < 0) {
			if (errno != EINTR)
				dks_child_die(ctx, errno, "init: ppoll");
			continue;
		}
		if (pfd.revents & POLLIN)
			dks_seccomp_serve(ctx, pfd.fd);
		else if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			pfd.fd = -1;
	}
}

/* The program the setup child compiled, read until it closes the pipe. */
static size_t read_bpf(const struct dks_run_ctx *ctx, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size && (n = read(ctx->bpf_fds[0], buf + len, size - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			dks_child_die(ctx, errno, "init: reading the seccomp program");
		len += (size_t)n;
	}
	close(ctx->bpf_fds[0]);
	if (len == 0)
		_exit(125); /* the setup child reported why */
	return len;
}

/* vfork: the command shares init's memory until it execs, so starting
 * it costs no copy of init's address space. */
static pid_t start_command(const struct dks_run_ctx *ctx, int *listener)
{
	char *bpf = malloc(DKS_BPF_MAX);
	struct launch l = {.ctx = ctx, .bpf = bpf, .listener = -1};
	char *stack;
	pid_t pid;

	if (!bpf)
		dks_child_die(ctx, ENOMEM, "init");
	l.bpf_len = read_bpf(ctx, bpf, DKS_BPF_MAX);
	stack = mmap(NULL, COMMAND_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		dks_child_die(ctx, errno, "init: stack");
	pid = clone(command_main, stack + COMMAND_STACK,
		    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &l);
	if (pid < 0)
		dks_child_die(ctx, errno, "clone");
	munmap(stack, COMMAND_STACK);
	free(bpf);
	if (l.exec_errno)
		report_exec_error(ctx, l.exec_errno);
	*listener = l.listener;
	return pid;
}

static void drop_privileges(const struct dks_run_ctx *ctx)
{
	struct dks_error err = {0};

	if (dks_caps_drop_all(&err) < 0)
		dks_child_die(ctx, 0, "%s", err.msg);
	/* No exec in the sandbox can ever gain privileges (setuid files,
	 * file capabilities): and seccomp/Landlock need it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		dks_child_die(ctx, errno, "no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		dks_child_die(ctx, errno, "dumpable");
}

__attribute__((noreturn)) static void init_main(const struct dks_run_ctx *parent)
{
	struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP};
	struct dks_run_ctx c = *parent; /* init's own copy: its fds move */
	sigset_t chld;
	int listener;
	pid_t cmd;

	close(c.bpf_fds[1]);
	close(c.ack_wfd);
	/* The sandbox never outlives the caller. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		dks_child_die(&c, errno, "pdeathsig");
	if (sethostname("dkms-sandbox", 12) < 0)
		dks_child_die(&c, errno, "sethostname");
	loopback_up(&c);
	await_caller(&c);
	dks_keyring_fresh(&c); /* not the caller's: its keys stay out */
	dks_mounts_setup(&c);
	/* Attached or unused: none of the caller's trees stays open. */
	dks_trees_close(&c.trees);
	if (chdir(c.cwd) < 0)
		dks_child_die(&c, errno, "working directory %s", c.cwd);
	install_fds(&c);
	drop_privileges(&c);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	cmd = start_command(&c, &listener);
	supervise(&c, cmd, listener);
	_exit(0);
}

/* Root callers: a vfork child of the caller (shared memory, the caller
 * suspended until it exits) becomes the build user and creates the
 * namespaces as that user, so that the user namespace belongs to an
 * unprivileged uid; then it forks init and exits. */
int dks_setup_main(void *arg)
{
	struct dks_run_ctx *ctx = arg;
	struct dks_msg m = {.type = DKS_MSG_INIT_PID};
	pid_t pid;

	/* Still root: the network namespace is the host's (netns.c). A root
	 * without CAP_SYS_ADMIN (a container's) cannot make one: the build
	 * uid's user namespace gets one of its own, as a user's does. */
	ctx->net_ready = dks_netns_join(ctx->netns_fd, ctx->netns_pool, ctx->netns_name) == 0;
	/* This child's copies (its fd table is its own): init gets neither. */
	if (ctx->netns_fd >= 0)
		close(ctx->netns_fd);
	if (ctx->netns_pool >= 0)
		close(ctx->netns_pool);
	become_build_user(ctx);
	if (unshare(ctx->net_ready ? NS_FLAGS & ~CLONE_NEWNET : NS_FLAGS) < 0)
		dks_child_die(ctx, errno, "cannot create namespaces (are unprivileged user namespaces enabled?)");
	/* CLONE_PARENT: init is the caller's child, so the caller can wait for
	 * it and kill it by a pid that cannot be reused before it reaps it. */
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		dks_child_die(ctx, errno, "cannot start the sandbox's init");
	if (pid == 0)
		init_main(ctx);
	m.a = pid;
	dks_child_send(ctx, &m);
	_exit(0);
}

/* Other callers already are the build user: init is cloned straight into
 * the new namespaces. */
pid_t dks_spawn_init(struct dks_run_ctx *ctx)
{
	pid_t pid = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		init_main(ctx);
	return pid;
}
