// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running many build jobs (modules x kernels) at once. Each job is a
 * worker process (it waits for its sandboxes and commits as root); all of
 * them share one GNU make jobserver, so that the total number of make jobs
 * stays at -j N whatever the fan-out: the first running job uses make's
 * implicit slot, every other one holds a token taken from the jobserver
 * pipe while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "dks/spec.h"

struct worker {
	pid_t pid;
	size_t job;
	bool token; /* holds a jobserver token (else the implicit slot) */
	double start;
};

struct sched {
	struct dks_build_env *env;
	const struct dks_job *jobs;
	size_t n, next, running;
	struct worker *w; /* env->jobs slots */
	bool implicit_free;
	int first_failure, skipped, built, failed;
	int jobserver_errno; /* a token could not be given back */
	bool tty;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_live(const struct sched *s)
{
	if (s->tty)
		fputs("\r\033[K", stdout);
}

/* On a terminal: one line that shows what runs now, redrawn. */
static void draw_live(const struct sched *s)
{
	double t = now();

	if (!s->tty || !s->running)
		return;
	clear_live(s);
	printf("[%zu/%zu]", s->next - s->running, s->n);
	for (int i = 0; i < s->env->jobs; i++)
		if (s->w[i].pid > 0)
			printf(" %s %s %.0fs", s->jobs[s->w[i].job].module,
			       s->jobs[s->w[i].job].target->kver, t - s->w[i].start);
	fflush(stdout);
}

static void announce(const struct sched *s, const struct dks_job *j, const char *what)
{
	clear_live(s);
	printf("%s/%s, %s, %s: %s\n", j->module, j->version, j->target->kver, j->target->arch,
	       what);
	fflush(stdout);
}

__attribute__((noreturn)) static void worker_main(struct dks_build_env *env,
						  const struct dks_job *j)
{
	struct dks_error err = {0};
	sigset_t none;
	int rc;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A worker is a child: it reports its one line and exits with the
	 * failure's code (docs/errors.md). */
	rc = dks_build_job(env, j, &err) < 0 ? (err.exit_code ? err.exit_code : 1) : 0;
	if (rc != 0)
		dks_error_print(&err);
	fflush(NULL);
	_exit(rc);
}

static int slot_free(const struct sched *s)
{
	for (int i = 0; i < s->env->jobs; i++)
		if (s->w[i].pid == 0)
			return i;
	return -1;
}

/* The implicit slot, or a token from the pipe (it may block a moment
 * when a make took the token poll saw: makes give tokens back). */
static int take_slot(struct sched *s, bool *token)
{
	char c;

	if (s->implicit_free) {
		s->implicit_free = false;
		*token = false;
		return 0;
	}
	*token = true;
	while (read(s->env->jobserver[0], &c, 1) != 1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int start_one(struct sched *s)
{
	int slot = slot_free(s);
	struct worker *w = &s->w[slot];
	const struct dks_job *j = &s->jobs[s->next];
	pid_t pid;

	if (take_slot(s, &w->token) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		worker_main(s->env, j);
	*w = (struct worker){.pid = pid, .job = s->next++, .token = w->token, .start = now()};
	s->running++;
	if (!s->tty)
		announce(s, j, "building");
	return 0;
}

static void give_back(struct sched *s, struct worker *w)
{
	if (!w->token)
		s->implicit_free = true;
	else if (write(s->env->jobserver[1], "+", 1) != 1 && !s->jobserver_errno)
		s->jobserver_errno = errno ? errno : EIO;
}

static void finished(struct sched *s, struct worker *w, int status)
{
	const struct dks_job *j = &s->jobs[w->job];
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	char what[64];

	give_back(s, w);
	if (code == 0) {
		s->built++;
		snprintf(what, sizeof(what), "built (%.1f s)", now() - w->start);
	} else if (code == DKS_EXIT_EXCLUDED) {
		s->skipped++;
		snprintf(what, sizeof(what), "skipped");
	} else {
		s->failed++;
		if (!s->first_failure)
			s->first_failure = code;
		snprintf(what, sizeof(what), "failed (exit %d, %.1f s)", code, now() - w->start);
	}
	announce(s, j, what);
	w->pid = 0;
	s->running--;
}

static void reap_workers(struct sched *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 0; i < s->env->jobs; i++)
			if (s->w[i].pid == pid)
				finished(s, &s->w[i], status);
}

/* Start jobs while there are free slots and tokens; wait for workers. */
static int run_loop(struct sched *s, int sigfd)
{
	struct pollfd pfd[2] = {{.fd = sigfd, .events = POLLIN},
				{.fd = s->env->jobserver[0], .events = POLLIN}};
	struct signalfd_siginfo si;

	while (s->next < s->n || s->running) {
		bool can_start = s->next < s->n && slot_free(s) >= 0;

		if (can_start && s->implicit_free) {
			if (start_one(s) < 0)
				return -1;
			continue;
		}
		pfd[1].events = can_start ? POLLIN : 0;
		draw_live(s);
		if (poll(pfd, 2, s->tty ? 1000 : -1) < 0 && errno != EINTR)
			return -1;
		if (pfd[0].revents & POLLIN) {
			if (read(sigfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				return -1;
			reap_workers(s);
		} else if (can_start && (pfd[1].revents & POLLIN) && start_one(s) < 0) {
			return -1;
		}
	}
	clear_live(s);
	return 0;
}

static int make_jobserver(struct dks_build_env *env)
{
	if (pipe2(env->jobserver, O_CLOEXEC) < 0)
		return -1;
	for (int i = 1; i < env->jobs; i++)
		if (write(env->jobserver[1], "+", 1) != 1)
			return -1;
	return 0;
}

/* The scheduler's result in the error convention. */
static int result(const struct sched *s, int loop_ret, struct dks_build_summary *sum,
		  struct dks_error *err)
{
	if (sum)
		*sum = (struct dks_build_summary){.built = (size_t)s->built,
						  .skipped = (size_t)s->skipped,
						  .failed = (size_t)s->failed};
	if (loop_ret < 0)
		return dks_err(err, errno, "build scheduler");
	if (s->jobserver_errno)
		return dks_err(err, s->jobserver_errno, "jobserver: a token was lost");
	/* Each failed job printed its own line: none more here. */
	return s->first_failure ? dks_err_reported(err, s->first_failure) : 0;
}

int dks_build_all(struct dks_build_env *env, const struct dks_job *jobs, size_t n,
		  struct dks_build_summary *sum, struct dks_error *err)
{
	struct sched s = {.env = env, .jobs = jobs, .n = n, .implicit_free = true,
			  .tty = isatty(STDOUT_FILENO)};
	sigset_t chld, old;
	int sigfd, ret;

	if (env->jobs < 1)
		env->jobs = 1;
	s.w = calloc((size_t)env->jobs, sizeof(*s.w));
	if (!s.w || make_jobserver(env) < 0) {
		free(s.w);
		return dks_err(err, errno ? errno : ENOMEM, "jobserver");
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	ret = sigfd < 0 ? -1 : run_loop(&s, sigfd);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(env->jobserver[0]);
	close(env->jobserver[1]);
	env->jobserver[0] = env->jobserver[1] = -1;
	free(s.w);
	return result(&s, ret, sum, err);
}
