// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The caller's side of a run: prepare everything, fork the setup child,
 * then read the sandbox's reports until its init has exited, enforcing the
 * wall-clock timeout. This side runs with the caller's privileges and
 * never executes anything of the sandbox: it only reads fixed-size
 * messages and waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "internal.h"

#define DKS_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct monitor {
	pid_t setup_pid;
	pid_t init_pid;
	bool got_exit;
	int exit_wstatus;
	bool got_error;
	bool timed_out;
	bool output_killed; /* past limits.output with kill_at_output_limit */
	struct dks_cgroup cgroup;
	struct dks_msg error;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *default_cwd(const struct dks_sandbox *sb)
{
	if (sb->cwd)
		return sb->cwd;
	for (size_t i = 0; i < sb->n_binds; i++)
		if (sb->binds[i].writable)
			return sb->binds[i].dst;
	return "/";
}

/* The command's whole environment: nothing of the caller's leaks in but
 * TERM. Module Makefiles read $(PWD). No KERNELRELEASE: dkms puts it on
 * a leading make's command line only, and a Makefile that sees it set
 * takes itself for kbuild's second pass (nvidia-kernel-dkms's does). A
 * caller that wants it sets it (dks_sandbox_setenv). */
static int build_env(const struct dks_sandbox *sb, const char *cwd,
		     struct strv *env)
{
	const char *term = getenv("TERM");
	char *kv;

	if (strv_push(env, "PATH=" DKS_PATH) < 0 ||
	    strv_push(env, "HOME=/tmp") < 0 || strv_push(env, "LANG=C") < 0)
		return -1;
	if (term && asprintf(&kv, "TERM=%s", term) >= 0 && strv_push_take(env, kv) < 0)
		return -1;
	if (asprintf(&kv, "PWD=%s", cwd) < 0 || strv_push_take(env, kv) < 0)
		return -1;
	for (size_t i = 0; i < sb->env.n; i++) {
		size_t len = strcspn(sb->env.v[i], "=") + 1;
		size_t j;

		for (j = 0; j < env->n; j++)
			if (strncmp(env->v[j], sb->env.v[i], len) == 0)
				break;
		if (j < env->n) {
			free(env->v[j]);
			env->v[j] = strdup(sb->env.v[i]);
			if (!env->v[j])
				return -1;
		} else if (strv_push(env, sb->env.v[i]) < 0) {
			return -1;
		}
	}
	return 0;
}

static void note_denied(const struct dks_sandbox *sb, const struct dks_msg *m,
			struct dks_sandbox_result *res)
{
	cleanup_free char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, m->a);
	const char *n = name ? name : "?";
	const char *verb = sb->profile->seccomp_mode == DKS_SECCOMP_LOG ? "allowed (log mode)" : "denied";
	char **v;

	for (size_t i = 0; i < res->n_denied; i++)
		if (strcmp(res->denied[i], n) == 0)
			return;
	dprintf(sb->fds[2], "dkms-sandbox: seccomp %s syscall %s (%d)%s in pid %d [profile %s]\n",
		verb, n, m->a,
		name && dks_seccomp_ruled(sb->profile, name) ? " with arguments the profile forbids" : "",
		m->b, sb->profile->name);
	v = realloc(res->denied, (res->n_denied + 1) * sizeof(*v));
	if (!v)
		return;
	res->denied = v;
	v[res->n_denied] = strdup(n);
	if (v[res->n_denied])
		res->n_denied++;
}

static void handle_msg(const struct dks_sandbox *sb, struct monitor *mon,
		       const struct dks_msg *m, struct dks_sandbox_result *res)
{
	switch (m->type) {
	case DKS_MSG_INIT_PID:
		mon->init_pid = m->a;
		break;
	case DKS_MSG_SETUP_ERROR:
		if (!mon->got_error)
			mon->error = *m;
		mon->got_error = true;
		break;
	case DKS_MSG_EXEC_ERROR:
		dprintf(sb->fds[2], "dkms-sandbox: %.*s\n", (int)sizeof(m->text), m->text);
		break;
	case DKS_MSG_DENIED:
		if (res)
			note_denied(sb, m, res);
		break;
	case DKS_MSG_EXIT:
		mon->got_exit = true;
		mon->exit_wstatus = m->a;
		break;
	}
}

static int poll_timeout_ms(double deadline)
{
	double left;

	if (deadline <= 0)
		return -1;
	left = deadline - now();
	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* Killing init makes the kernel kill every process of its pid namespace,
 * so nothing survives, whatever it forked or ignored. */
static void kill_sandbox(struct monitor *mon)
{
	dks_cgroup_kill(&mon->cgroup);
	if (mon->init_pid > 0)
		kill(mon->init_pid, SIGKILL);
	if (mon->setup_pid > 0)
		kill(mon->setup_pid, SIGKILL);
}

/* One report; false once every writer is gone (init exited). */
static bool read_report(const struct dks_sandbox *sb, int fd, struct monitor *mon,
			struct dks_sandbox_result *res)
{
	struct dks_msg m;
	ssize_t n = read(fd, &m, sizeof(m));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	if (n == sizeof(m))
		handle_msg(sb, mon, &m, res);
	return true;
}

/* The command's output, relayed (relay.c); past the cap a capture that
 * asked for it kills the sandbox. */
static void relay_ready(struct dks_relay *r, struct pollfd *pfd, struct monitor *mon)
{
	for (size_t i = 0; i < r->n; i++)
		if (pfd[i].revents && !dks_relay_pump(r, i))
			pfd[i].fd = -1;
	if (r->truncated && r->kill_at_cap && !mon->output_killed) {
		mon->output_killed = true;
		kill_sandbox(mon);
	}
}

/* Read reports and relay output until init has exited and every process
 * that held the output pipes is gone (they all die with init). The
 * timeout kills init. */
static void monitor(const struct dks_sandbox *sb, int fd, unsigned timeout,
		    struct dks_relay *relay, struct monitor *mon, struct dks_sandbox_result *res)
{
	double deadline = timeout ? now() + timeout : 0;
	struct pollfd pfd[3] = {{.fd = fd, .events = POLLIN}};

	for (size_t i = 0; i < relay->n; i++)
		pfd[1 + i] = (struct pollfd){.fd = relay->s[i].rfd, .events = POLLIN};
	while (pfd[0].fd >= 0 || !dks_relay_done(relay)) {
		bool killed = mon->timed_out || mon->output_killed;
		int r = poll(pfd, 1 + relay->n, killed ? -1 : poll_timeout_ms(deadline));

		if (r < 0)
			continue;
		if (r == 0) {
			mon->timed_out = true;
			kill_sandbox(mon);
			continue;
		}
		if (pfd[0].revents && !read_report(sb, fd, mon, res))
			pfd[0].fd = -1;
		relay_ready(relay, pfd + 1, mon);
	}
}

static void reap(pid_t pid, int *wstatus)
{
	while (pid > 0 && waitpid(pid, wstatus, __WALL) < 0 && errno == EINTR)
		;
}

static int finish(const struct dks_sandbox *sb, struct monitor *mon,
		  struct dks_sandbox_result *res, unsigned timeout,
		  struct dks_error *err)
{
	unsigned long oom;
	int ws = 0;

	reap(mon->setup_pid, &ws);
	if (mon->init_pid > 0)
		reap(mon->init_pid, &ws);
	res->cgroup = mon->cgroup.dir != NULL;
	oom = dks_cgroup_oom_kills(&mon->cgroup);
	dks_cgroup_destroy(&mon->cgroup);
	if (oom)
		dprintf(sb->fds[2], "dkms-sandbox: sandbox: out of memory (limits.memory: %llu bytes "
			"for the whole sandbox): the kernel killed %lu process(es)\n",
			(unsigned long long)sb->profile->limits.memory, oom);
	/* The OOM killer may take init itself: the command was killed. */
	if (oom && !mon->got_exit && !mon->got_error && !mon->timed_out) {
		mon->got_exit = true;
		mon->exit_wstatus = SIGKILL;
	}
	if (mon->timed_out) {
		res->outcome = DKS_SANDBOX_TIMED_OUT;
		dprintf(sb->fds[2], "dkms-sandbox: sandbox: timed out after %u s: killed every process\n", timeout);
		return 0;
	}
	if (mon->output_killed) {
		res->outcome = DKS_SANDBOX_SIGNALED;
		res->term_signal = SIGXFSZ;
		return 0;
	}
	if (mon->got_error)
		return dks_err_reason(err, DKS_SANDBOX_SETUP, 0, "sandbox: %.*s",
				      (int)sizeof(mon->error.text), mon->error.text);
	if (!mon->got_exit)
		return dks_err_reason(err, DKS_SANDBOX_SETUP, 0,
				      "sandbox: init died unexpectedly (wait status 0x%x)", ws);
	if (WIFSIGNALED(mon->exit_wstatus)) {
		res->outcome = DKS_SANDBOX_SIGNALED;
		res->term_signal = WTERMSIG(mon->exit_wstatus);
	} else {
		res->outcome = DKS_SANDBOX_EXITED;
		res->exit_status = WEXITSTATUS(mon->exit_wstatus);
	}
	return 0;
}

static int prepare(struct dks_sandbox *sb, struct strv *env, const char **cwd,
		   struct dks_error *err)
{
	if (!sb->profile) {
		if (!sb->own_profile && dks_profile_load("default", &sb->own_profile, err) < 0)
			return -1;
		sb->profile = sb->own_profile;
	}
	if (dks_sandbox_resolve_user(sb, err) < 0)
		return -1;
	*cwd = default_cwd(sb);
	if (build_env(sb, *cwd, env) < 0)
		return dks_err(err, ENOMEM, "sandbox environment");
	return 0;
}

struct pipes {
	int report[2]; /* sandbox -> caller: struct dks_msg */
	int ack[2];    /* caller -> init: go ahead */
	int bpf[2];    /* caller -> init: the seccomp program */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_pipes(struct pipes *p)
{
	for (int i = 0; i < 2; i++) {
		close_fd(&p->report[i]);
		close_fd(&p->ack[i]);
		close_fd(&p->bpf[i]);
	}
}

static int open_pipes(struct pipes *p, struct dks_error *err)
{
	memset(p, -1, sizeof(*p));
	if (pipe2(p->report, O_CLOEXEC) < 0 || pipe2(p->ack, O_CLOEXEC) < 0 ||
	    pipe2(p->bpf, O_CLOEXEC) < 0) {
		close_pipes(p);
		return dks_err(err, errno, "sandbox: pipe");
	}
	return 0;
}

#define SETUP_STACK (1024 * 1024) /* roomy: sanitizer builds need it */

/* Root: a vfork child switches to the build user and creates the
 * namespaces (child.c says why); it reports init's pid before it exits. */
static int start_init_as_root(const struct dks_sandbox *sb, struct dks_run_ctx *ctx,
			      struct monitor *mon, int report_fd, struct dks_error *err)
{
	struct pollfd pfd = {.fd = report_fd, .events = POLLIN};
	char *stack = mmap(NULL, SETUP_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	struct dks_msg m;
	int ws;

	if (stack == MAP_FAILED)
		return dks_err(err, errno, "sandbox: stack");
	mon->setup_pid = clone(dks_setup_main, stack + SETUP_STACK,
			       CLONE_VM | CLONE_VFORK | SIGCHLD, ctx);
	munmap(stack, SETUP_STACK);
	if (mon->setup_pid < 0)
		return dks_err(err, errno, "sandbox: clone");
	reap(mon->setup_pid, &ws);
	mon->setup_pid = 0;
	/* It has exited: its message (or init's first error) is waiting. */
	while (!mon->init_pid && !mon->got_error && poll(&pfd, 1, 0) == 1 &&
	       read(report_fd, &m, sizeof(m)) == sizeof(m))
		handle_msg(sb, mon, &m, NULL);
	if (mon->got_error)
		return dks_err_reason(err, DKS_SANDBOX_SETUP, 0, "sandbox: %.*s",
				      (int)sizeof(mon->error.text), mon->error.text);
	if (!mon->init_pid)
		return dks_err_reason(err, DKS_SANDBOX_SETUP, 0,
				      "sandbox: the setup child died (wait status 0x%x)", ws);
	return 0;
}

/* Map the build user into init's user namespace and let it build the
 * root filesystem; meanwhile make the sandbox's cgroup, move init into it
 * (a migration waits for an RCU grace period: milliseconds on some hosts)
 * and hand it its seccomp program. The cgroup costs nothing on the way to
 * the command that way: init's mounts take longer. init forks nothing
 * before it has read the whole program, so no process of the sandbox ever
 * runs outside the cgroup. */
static int release_init(const struct dks_sandbox *sb, const struct dks_run_ctx *ctx,
			struct monitor *mon, struct pipes *p, struct dks_error *err)
{
	if (dks_write_id_maps(mon->init_pid, ctx->uid, ctx->gid, err) < 0)
		return -1;
	if (write(p->ack[1], "\1", 1) != 1)
		return dks_err(err, errno, "sandbox: cannot start init");
	close_fd(&p->ack[1]);
	if (dks_cgroup_create(&sb->profile->limits, sb->fds[2],
			      ctx->uid_held ? ctx->uid : DKS_NO_UID,
			      &mon->cgroup, err) < 0 ||
	    dks_cgroup_attach(&mon->cgroup, mon->init_pid, err) < 0)
		return -1;
	if (sb->profile->bpf) {
		/* Compiled at build time: 2.8 KiB, well below a pipe's buffer. */
		if (write(p->bpf[1], sb->profile->bpf, sb->profile->bpf_len) !=
		    (ssize_t)sb->profile->bpf_len)
			return dks_err(err, errno, "sandbox: cannot pass the seccomp program");
	} else if (dks_seccomp_export(sb->profile, p->bpf[1], err) < 0) {
		return -1;
	}
	close_fd(&p->bpf[1]);
	return 0;
}

static int spawn(const struct dks_sandbox *sb, struct dks_run_ctx *ctx, struct monitor *mon,
		 struct pipes *p, struct dks_error *err)
{
	int ret;

	ctx->report_fd = p->report[1];
	ctx->ack_fd = p->ack[0];
	ctx->ack_wfd = p->ack[1];
	ctx->bpf_fds[0] = p->bpf[0];
	ctx->bpf_fds[1] = p->bpf[1];
	if (ctx->as_root) {
		ret = start_init_as_root(sb, ctx, mon, p->report[0], err);
	} else {
		mon->init_pid = dks_spawn_init(ctx);
		ret = mon->init_pid < 0 ? dks_err(err, errno, "sandbox: cannot create namespaces "
						      "(are unprivileged user namespaces enabled?)")
					: 0;
	}
	close_fd(&p->report[1]);
	close_fd(&p->ack[0]);
	close_fd(&p->bpf[0]);
	if (ret == 0)
		ret = release_init(sb, ctx, mon, p, err);
	if (ret < 0 && mon->init_pid > 0) {
		kill(mon->init_pid, SIGKILL);
		reap(mon->init_pid, &(int){0});
		mon->init_pid = 0;
	}
	return ret;
}

/* Spawn with the command's stdio relayed (relay.c), then monitor. */
static int run_relayed(const struct dks_sandbox *sb, struct dks_run_ctx *ctx, struct monitor *mon,
		       struct pipes *p, unsigned timeout, struct dks_sandbox_result *res,
		       struct dks_error *err)
{
	struct dks_relay relay;
	int ret = dks_relay_open(sb, &relay, err);

	memcpy(ctx->stdio, relay.child, sizeof(ctx->stdio));
	if (ret == 0)
		ret = spawn(sb, ctx, mon, p, err);
	dks_relay_spawned(&relay);
	if (ret == 0) {
		monitor(sb, p->report[0], timeout, &relay, mon, res);
		ret = finish(sb, mon, res, timeout, err);
		res->output_truncated = relay.truncated;
		for (size_t i = 0; i < relay.n && !res->output_errno; i++)
			res->output_errno = relay.s[i].write_errno;
	} else {
		dks_cgroup_destroy(&mon->cgroup);
	}
	dks_relay_close(&relay);
	return ret;
}

int dks_sandbox_run(struct dks_sandbox *sb, char *const argv[],
		    struct dks_sandbox_result *res, struct dks_error *err)
{
	struct strv env = {0};
	struct monitor mon = {0};
	struct dks_run_ctx ctx = {.sb = sb, .argv = argv};
	struct pipes p;
	unsigned timeout;
	double t0 = now();
	int ret;

	memset(res, 0, sizeof(*res));
	if (!argv || !argv[0])
		return dks_err(err, 0, "sandbox: no command to run");
	if (prepare(sb, &env, &ctx.cwd, err) < 0) {
		strv_free(&env);
		return -1;
	}
	timeout = sb->timeout_set ? sb->timeout : sb->profile->limits.timeout;
	ctx.envp = env.v;
	ctx.as_root = geteuid() == 0;
	ctx.uid = sb->uid;
	ctx.gid = sb->gid;
	ctx.uid_held = ctx.as_root && sb->uid_lock >= 0;
	ctx.netns_fd = ctx.netns_pool = -1;
	if (open_pipes(&p, err) < 0) {
		strv_free(&env);
		return -1;
	}
	if (ctx.uid_held && dks_netns_shareable(sb->profile))
		ctx.netns_fd = dks_netns_kept(ctx.uid, &ctx.netns_pool, ctx.netns_name,
					      sizeof(ctx.netns_name));
	ret = dks_trees_open(sb, ctx.uid, ctx.gid, &ctx.trees, err);
	if (ret == 0)
		ret = run_relayed(sb, &ctx, &mon, &p, timeout, res, err);
	/* The caller's trees go (init had its own copies), but for the
	 * scratch's root, which the caller reads after the run. */
	if (sb->scratch_fd >= 0)
		close(sb->scratch_fd);
	sb->scratch_fd = ctx.trees.scratch;
	ctx.trees.scratch = -1;
	dks_trees_close(&ctx.trees);
	if (ctx.netns_fd >= 0)
		close(ctx.netns_fd);
	if (ctx.netns_pool >= 0)
		close(ctx.netns_pool);
	strv_free(&env);
	close_pipes(&p);
	res->elapsed = now() - t0;
	return ret;
}
