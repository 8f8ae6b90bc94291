// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running many build jobs (modules x kernels) at once. Each job is a
 * worker process (it waits for its sandboxes and commits as root). The
 * run's N slots (-j N) are dealt out by this scheduler, never through a
 * pipe the builds share: a build (module code) that took tokens from a
 * shared jobserver and kept them would starve every other build of the
 * run, and tokens it never gave back would be lost to the run.
 *
 * So each build gets a share of the free slots when it starts: free /
 * (builds that could start now), at least 1, and a GNU make jobserver of
 * its own holding share - 1 tokens (make's implicit slot is the last),
 * created here and handed to the worker alone. What a build does with its
 * pipe (keeps tokens, adds some) stays in its pipe, which dies with the
 * build; its share comes back here when its worker is reaped.
 *
 * Jobs start longest first (jobtime.c: the last measured duration), and
 * slots freed when no job waits any more are lent to the builds still
 * running, one token at a time into their own pipes, the build expected
 * to run longest first: a long build started with a share of 1 (every
 * share is 1 on 2 cores while jobs wait) ends at -jN, not alone at -j1.
 * A lent slot is part of that build's share until it ends.
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
#include "jobtime.h"
#include "dks/spec.h"

struct worker {
	pid_t pid;
	size_t job;
	int share; /* slots of the run this build holds */
	double start;
	int lend_fd; /* our own non-blocking write end of its pipe, or -1 */
	int keep_fd; /* its pipe's read end: a write here never gets EPIPE */
};

struct sched {
	struct dks_build_env *env;
	const struct dks_job *jobs;
	size_t n, next, running;
	size_t *order; /* the jobs' indexes, longest expected first */
	long *est;     /* each job's expected milliseconds (jobtime.c) */
	struct worker *w; /* env->jobs workers at most: each holds a slot */
	int free_slots;
	int first_failure, skipped, built, failed;
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

/* Our ends of the other builds' pipes are no business of this one. */
static void close_lend_fds(const struct sched *s)
{
	for (int i = 0; i < s->env->jobs; i++) {
		if (s->w[i].lend_fd >= 0)
			close(s->w[i].lend_fd);
		if (s->w[i].keep_fd >= 0)
			close(s->w[i].keep_fd);
	}
}

/* The worker's build runs at -j @share, with the jobserver @js (or none). */
__attribute__((noreturn)) static void worker_main(const struct sched *s,
						  const struct dks_job *j, int share, const int js[2])
{
	struct dks_build_env *env = s->env;
	struct dks_error err = {0};
	sigset_t none;
	int rc;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close_lend_fds(s);
	env->jobs = share;
	env->jobserver[0] = js[0];
	env->jobserver[1] = js[1];
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

/* A fair share of the free slots: as many builds as could start now
 * split them, the first ones taking the remainder. */
static int fair_share(const struct sched *s)
{
	size_t waiting = s->n - s->next;
	int sharers = waiting < (size_t)s->free_slots ? (int)waiting : s->free_slots;

	return sharers > 1 ? s->free_slots / sharers : s->free_slots;
}

/* A jobserver of the build's own: share - 1 tokens (make's implicit slot
 * is the last one); with a share of 1 an empty one, for the slots it may
 * be lent later. */
static int make_jobserver(int share, int js[2])
{
	js[0] = js[1] = -1;
	if (pipe2(js, O_CLOEXEC) < 0)
		return -1;
	for (int i = 1; i < share; i++)
		if (write(js[1], "+", 1) != 1)
			return -1;
	return 0;
}

static void close_jobserver(int js[2])
{
	for (int i = 0; i < 2; i++)
		if (js[i] >= 0)
			close(js[i]);
}

/* Our way to lend the build slots: a write end of its own (a new open
 * file, so O_NONBLOCK is ours alone: a build that filled its pipe cannot
 * block the scheduler, and the build's make keeps blocking writes), and
 * the read end kept, so that a write after the build's end is not EPIPE.
 * Without /proc: no lending to this build, nothing else changes. */
static void keep_lend_fds(struct worker *w, int js[2])
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", js[1]);
	w->lend_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	w->keep_fd = w->lend_fd >= 0 ? js[0] : -1;
	if (w->keep_fd >= 0)
		js[0] = -1;
}

static void drop_lend_fds(struct worker *w)
{
	if (w->lend_fd >= 0)
		close(w->lend_fd);
	if (w->keep_fd >= 0)
		close(w->keep_fd);
	w->lend_fd = w->keep_fd = -1;
}

static int start_one(struct sched *s)
{
	struct worker *w = &s->w[slot_free(s)];
	size_t job = s->order[s->next];
	const struct dks_job *j = &s->jobs[job];
	int share = fair_share(s), js[2];
	pid_t pid = -1;

	if (make_jobserver(share, js) == 0) {
		fflush(NULL);
		pid = fork();
	}
	if (pid == 0)
		worker_main(s, j, share, js);
	*w = (struct worker){.pid = pid, .job = job, .share = share, .start = now(),
			     .lend_fd = -1, .keep_fd = -1};
	if (pid > 0)
		keep_lend_fds(w, js);
	/* Only the worker (and its build's sandbox) holds the pipe now. */
	close_jobserver(js);
	if (pid < 0) {
		w->pid = 0;
		return -1;
	}
	s->next++;
	s->free_slots -= share;
	s->running++;
	if (!s->tty)
		announce(s, j, "building");
	return 0;
}

/* The running build with the most expected time left per slot it holds
 * (so that lent slots spread as they are used), that we can lend to; or
 * NULL. */
static struct worker *longest_running(struct sched *s)
{
	struct worker *best = NULL;
	double t = now(), left, best_left = 0;

	for (int i = 0; i < s->env->jobs; i++) {
		struct worker *w = &s->w[i];

		if (w->pid <= 0 || w->lend_fd < 0)
			continue;
		left = ((double)s->est[w->job] / 1000.0 - (t - w->start)) / w->share;
		if (!best || left > best_left || (left == best_left && w->share < best->share)) {
			best = w;
			best_left = left;
		}
	}
	return best;
}

/* No job waits: the free slots go to the running builds, a token each
 * into its pipe, the longest first. A build whose pipe is full (it added
 * tokens of its own) gets no more. */
static void lend_free_slots(struct sched *s)
{
	struct worker *w;

	while (s->next == s->n && s->free_slots > 0 && (w = longest_running(s))) {
		if (write(w->lend_fd, "+", 1) != 1) {
			drop_lend_fds(w);
			continue;
		}
		w->share++;
		s->free_slots--;
	}
}

static void finished(struct sched *s, struct worker *w, int status)
{
	const struct dks_job *j = &s->jobs[w->job];
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	double took = now() - w->start;
	char what[64];

	s->free_slots += w->share;
	drop_lend_fds(w);
	if (j->code)
		*j->code = code;
	if (code == 0 || code == DKS_EXIT_MAKE_FAILED) /* a build that ran */
		dks_jobtime_write(s->env->tree, j->module, j->version, (long)(took * 1000));
	if (code == 0) {
		s->built++;
		snprintf(what, sizeof(what), "built (%.1f s)", took);
	} else if (code == DKS_EXIT_EXCLUDED) {
		s->skipped++;
		snprintf(what, sizeof(what), "skipped");
	} else {
		s->failed++;
		if (!s->first_failure)
			s->first_failure = code;
		snprintf(what, sizeof(what), "failed (exit %d, %.1f s)", code, took);
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

/* Start jobs while slots are free; lend what no job waits for; wait for
 * workers. */
static int run_loop(struct sched *s, int sigfd)
{
	struct pollfd pfd = {.fd = sigfd, .events = POLLIN};
	struct signalfd_siginfo si;

	while (s->next < s->n || s->running) {
		if (s->next < s->n && s->free_slots > 0 && slot_free(s) >= 0) {
			if (start_one(s) < 0)
				return -1;
			continue;
		}
		lend_free_slots(s);
		draw_live(s);
		if (poll(&pfd, 1, s->tty ? 1000 : -1) < 0 && errno != EINTR)
			return -1;
		if (pfd.revents & POLLIN) {
			if (read(sigfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				return -1;
			reap_workers(s);
		}
	}
	clear_live(s);
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
	/* Each failed job printed its own line: none more here. */
	return s->first_failure ? dks_err_reported(err, s->first_failure) : 0;
}

static void sched_free(struct sched *s)
{
	if (s->w)
		close_lend_fds(s); /* a scheduler that failed with builds running */
	free(s->w);
	free(s->order);
	free(s->est);
}

/* The workers' table (every slot empty) and the jobs' order. */
static int sched_alloc(struct sched *s)
{
	s->w = calloc((size_t)s->env->jobs, sizeof(*s->w));
	for (int i = 0; s->w && i < s->env->jobs; i++)
		s->w[i].lend_fd = s->w[i].keep_fd = -1;
	s->order = calloc(s->n ? s->n : 1, sizeof(*s->order));
	s->est = calloc(s->n ? s->n : 1, sizeof(*s->est));
	if (!s->w || !s->order || !s->est) {
		sched_free(s);
		return -1;
	}
	dks_jobs_order(s->env->tree, s->jobs, s->n, s->order, s->est);
	return 0;
}

int dks_build_all(struct dks_build_env *env, const struct dks_job *jobs, size_t n,
		  struct dks_build_summary *sum, struct dks_error *err)
{
	struct sched s = {.env = env, .jobs = jobs, .n = n, .tty = isatty(STDOUT_FILENO)};
	sigset_t chld, old;
	int sigfd, ret;

	if (env->jobs < 1)
		env->jobs = 1;
	s.free_slots = env->jobs;
	if (sched_alloc(&s) < 0)
		return dks_err(err, ENOMEM, "build scheduler");
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	ret = sigfd < 0 ? -1 : run_loop(&s, sigfd);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sched_free(&s);
	return result(&s, ret, sum, err);
}
