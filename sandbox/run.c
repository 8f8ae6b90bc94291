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
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	int ack_fd; /* write end: answers to the setup child and init */
	char *cgroup; /* the sandbox's cgroup v2 directory, or NULL */
	struct dks_msg error;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int resolve_user(struct dks_sandbox *sb, struct dks_error *err)
{
	if (geteuid() != 0 || sb->user_set)
		return 0;
	if (dks_build_user_exists(DKS_BUILD_USER))
		return dks_sandbox_set_user(sb, DKS_BUILD_USER, err);
	dprintf(sb->fds[2], "dkms-sandbox: warning: no '%s' system user (make install creates it): "
		"building as 'nobody'\n", DKS_BUILD_USER);
	return dks_sandbox_set_user(sb, "nobody", err);
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
 * TERM. Module Makefiles read $(PWD) and KERNELRELEASE. */
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
	if (sb->kernel.kver &&
	    (asprintf(&kv, "KERNELRELEASE=%s", sb->kernel.kver) < 0 ||
	     strv_push_take(env, kv) < 0))
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

/* Root only: write the maps the setup child asked for, then let it go on.
 * The maps are fixed (the build uid and gid); nothing in the request is
 * taken from the child. */
static void answer_map_request(const struct dks_sandbox *sb, struct monitor *mon)
{
	struct dks_error err = {0};
	char ok = 1;

	if (mon->ack_fd < 0)
		return;
	if (dks_write_id_maps(mon->setup_pid, sb->uid, sb->gid, &err) < 0) {
		mon->got_error = true;
		mon->error.a = 125;
		snprintf(mon->error.text, sizeof(mon->error.text), "%.*s", (int)sizeof(mon->error.text) - 1, err.msg);
		ok = 0;
	}
	if (write(mon->ack_fd, &ok, 1) != 1 || !ok)
		kill(mon->setup_pid, SIGKILL);
	if (!mon->cgroup) {
		close(mon->ack_fd);
		mon->ack_fd = -1;
	}
}

/* Init waits for this: it must be in its cgroup before it forks. */
static void attach_cgroup(struct monitor *mon)
{
	struct dks_error err = {0};
	char ok = 1;

	if (!mon->cgroup || mon->ack_fd < 0)
		return;
	if (dks_cgroup_attach(mon->cgroup, mon->init_pid, &err) < 0) {
		mon->got_error = true;
		mon->error.a = 125;
		snprintf(mon->error.text, sizeof(mon->error.text), "%.*s",
			 (int)sizeof(mon->error.text) - 1, err.msg);
		ok = 0;
	}
	if (write(mon->ack_fd, &ok, 1) != 1 || !ok)
		kill(mon->init_pid, SIGKILL);
	close(mon->ack_fd);
	mon->ack_fd = -1;
}

static void handle_msg(const struct dks_sandbox *sb, struct monitor *mon,
		       const struct dks_msg *m, struct dks_sandbox_result *res)
{
	switch (m->type) {
	case DKS_MSG_MAP_REQUEST:
		answer_map_request(sb, mon);
		break;
	case DKS_MSG_INIT_PID:
		mon->init_pid = m->a;
		attach_cgroup(mon);
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

/* Read reports until every writer is gone (init exited). The timeout
 * kills init: the kernel then kills every process of its pid namespace,
 * so nothing survives, whatever it forked or ignored. */
static void monitor(const struct dks_sandbox *sb, int fd, unsigned timeout,
		    struct monitor *mon, struct dks_sandbox_result *res)
{
	double deadline = timeout ? now() + timeout : 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct dks_msg m;

	for (;;) {
		int r = poll(&pfd, 1, mon->timed_out ? -1 : poll_timeout_ms(deadline));
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			mon->timed_out = true;
			dks_cgroup_kill(mon->cgroup);
			if (mon->init_pid > 0)
				kill(mon->init_pid, SIGKILL);
			if (mon->setup_pid > 0)
				kill(mon->setup_pid, SIGKILL);
			continue;
		}
		n = read(fd, &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (n == sizeof(m))
			handle_msg(sb, mon, &m, res);
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
	int ws = 0;

	reap(mon->setup_pid, &ws);
	if (mon->init_pid > 0)
		reap(mon->init_pid, &ws);
	res->cgroup = mon->cgroup != NULL;
	dks_cgroup_destroy(mon->cgroup);
	mon->cgroup = NULL;
	if (mon->timed_out) {
		res->outcome = DKS_SANDBOX_TIMED_OUT;
		dprintf(sb->fds[2], "dkms-sandbox: sandbox: timed out after %u s: killed every process\n", timeout);
		return 0;
	}
	if (mon->got_error)
		return dks_err_code(err, mon->error.a ? mon->error.a : 125, 0,
				    "sandbox: %.*s", (int)sizeof(mon->error.text), mon->error.text);
	if (!mon->got_exit)
		return dks_err_code(err, 125, 0, "sandbox: init died unexpectedly (wait status 0x%x)", ws);
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
	if (resolve_user(sb, err) < 0)
		return -1;
	*cwd = default_cwd(sb);
	if (build_env(sb, *cwd, env) < 0)
		return dks_err(err, ENOMEM, "sandbox environment");
	return 0;
}

int dks_sandbox_run(struct dks_sandbox *sb, char *const argv[],
		    struct dks_sandbox_result *res, struct dks_error *err)
{
	struct strv env = {0};
	struct monitor mon = {0};
	struct dks_run_ctx ctx = {.sb = sb, .argv = argv};
	unsigned timeout;
	double t0 = now();
	int pipefd[2], ack[2], bpf[2];
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
	ctx.uid = ctx.as_root ? sb->uid : geteuid();
	ctx.gid = ctx.as_root ? sb->gid : getegid();
	if (dks_cgroup_create(&sb->profile->limits, &mon.cgroup, err) < 0) {
		strv_free(&env);
		return -1;
	}
	ctx.cgroup = mon.cgroup != NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0 ||
	    pipe2(bpf, O_CLOEXEC) < 0) {
		strv_free(&env);
		dks_cgroup_destroy(mon.cgroup);
		return dks_err(err, errno, "sandbox: pipe");
	}
	ctx.report_fd = pipefd[1];
	ctx.ack_fd = ack[0];
	ctx.bpf_fds[0] = bpf[0];
	ctx.bpf_fds[1] = bpf[1];
	mon.ack_fd = ack[1];
	mon.setup_pid = fork();
	if (mon.setup_pid == 0) {
		close(pipefd[0]);
		close(ack[1]);
		dks_child_main(&ctx);
	}
	close(pipefd[1]);
	close(ack[0]);
	close(bpf[0]);
	close(bpf[1]);
	strv_free(&env);
	if (mon.setup_pid < 0) {
		close(pipefd[0]);
		close(ack[1]);
		dks_cgroup_destroy(mon.cgroup);
		return dks_err(err, errno, "sandbox: fork");
	}
	monitor(sb, pipefd[0], timeout, &mon, res);
	close(pipefd[0]);
	if (mon.ack_fd >= 0)
		close(mon.ack_fd);
	ret = finish(sb, &mon, res, timeout, err);
	res->elapsed = now() - t0;
	return ret;
}
