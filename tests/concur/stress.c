// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The concurrency stress driver (make check-concurrency, docs/reliability.md
 * "Concurrency"): WORKERS processes, each running random dkms-sandbox
 * commands (add, build, install, uninstall, remove, autoinstall, status,
 * fsck without --repair) on overlapping modules and kernels until SECONDS
 * have passed. Every command runs under a timeout in its own process
 * group: a command still running then is a hang, reported with the wait
 * channel and kernel stack of each of its processes, then killed. Every
 * exit code is checked against the codes that command may return in some
 * state of the tree (a concurrent command may have changed it). Each
 * command's stderr is read for the waiting line (lockwait.h): waits, and
 * waits whose holder was named, are counted.
 *
 *   stress BIN SECONDS WORKERS SEED OUTDIR "MOD..." "KVER..." -- TREE-OPTION...
 *
 * One line per command is appended to OUTDIR/events (one write: atomic
 * between workers); the summary is printed at the end; exit 1 when a
 * command hung or returned a code it may not.
 *
 * C rather than a script: a hung command must be seen before it is killed
 * (its processes' /proc/PID/stack and wchan), and the process group kill,
 * the per-command deadline and the bookkeeping are plain here.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ITEMS 8
#define OP_TIMEOUT 300 /* seconds: a build under full load takes ~20 s */

struct cfg {
	const char *bin, *out;
	int seconds, workers;
	unsigned seed;
	char *mods[MAX_ITEMS], *kvers[MAX_ITEMS];
	int n_mods, n_kvers;
	char **tree; /* the tree options, NULL-terminated */
};

/* A verb, how often it is picked, the exit codes it may return in some
 * state of the tree (-1 ends), and how it is spelled. */
struct op {
	const char *name;
	int weight;
	int ok[4];
	enum { MOD_KVER, MOD_ALL, MOD_ONLY, KVER_ONLY, NOTHING } args;
};

static const struct op ops[] = {
    /* 3: already added */
    {"add", 14, {0, 3, -1}, MOD_ONLY},
    /* 13: a BUILD_DEPENDS module is not installed for that kernel; 3: a
     * remove took m/v while it was being built (tree.h) */
    {"build", 14, {0, 13, 3, -1}, MOD_KVER},
    /* install builds what is not built (dkms does): as build */
    {"install", 20, {0, 13, 3, -1}, MOD_KVER},
    /* 3: not added (dkms's module_is_added_or_die) */
    {"uninstall", 12, {0, 3, -1}, MOD_KVER},
    /* 3: not added */
    {"remove", 8, {0, 3, -1}, MOD_ALL},
    /* 11: a module failed (its BUILD_DEPENDS removed meanwhile) */
    {"autoinstall", 8, {0, 11, -1}, KVER_ONLY},
    {"status", 12, {0, -1}, NOTHING},
    /* 1: something to fix; only quiet points demand 0 (the script) */
    {"fsck", 10, {0, 1, -1}, NOTHING},
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int split(char *s, char **out)
{
	int n = 0;

	for (char *tok = strtok(s, " "); tok && n < MAX_ITEMS; tok = strtok(NULL, " "))
		out[n++] = tok;
	return n;
}

static const struct op *pick(unsigned *seed)
{
	int total = 0, r;

	for (size_t i = 0; i < N_OPS; i++)
		total += ops[i].weight;
	r = (int)(rand_r(seed) % (unsigned)total);
	for (size_t i = 0; i < N_OPS; i++)
		if ((r -= ops[i].weight) < 0)
			return &ops[i];
	return &ops[0];
}

/* argv of one command: BIN VERB [M/1.0] [-k K | --all] TREE... */
static int make_argv(const struct cfg *c, const struct op *o, unsigned *seed, char **argv,
		     char *mv, size_t size)
{
	int n = 0;

	argv[n++] = (char *)c->bin;
	argv[n++] = (char *)o->name;
	snprintf(mv, size, "%s/1.0", c->mods[rand_r(seed) % (unsigned)c->n_mods]);
	if (o->args != KVER_ONLY && o->args != NOTHING)
		argv[n++] = mv;
	if (o->args == MOD_KVER || o->args == KVER_ONLY) {
		argv[n++] = "-k";
		argv[n++] = c->kvers[rand_r(seed) % (unsigned)c->n_kvers];
	} else if (o->args == MOD_ALL) {
		argv[n++] = "--all";
	}
	for (char **t = c->tree; *t; t++)
		argv[n++] = *t;
	argv[n] = NULL;
	return n;
}

static bool allowed(const struct op *o, int code)
{
	for (int i = 0; o->ok[i] >= 0; i++)
		if (o->ok[i] == code)
			return true;
	return false;
}

/* A file's first line holding @s, copied into @line (or ""). */
static bool grep_line(const char *path, const char *s, char *line, size_t size)
{
	FILE *f = fopen(path, "r");
	bool found = false;

	line[0] = '\0';
	if (!f)
		return false;
	while (!found && fgets(line, (int)size, f))
		found = strstr(line, s) != NULL;
	fclose(f);
	if (!found)
		line[0] = '\0';
	return found;
}

/* A hung command: every process of its group, its wait channel and
 * kernel stack, on stderr, before it is killed. */
static void show_group(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], buf[4096];

	fprintf(stderr, "concur: HANG: process group %d after %d s:\n", (int)pgid, OP_TIMEOUT);
	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		FILE *f;

		if (pid <= 0 || getpgid(pid) != pgid)
			continue;
		snprintf(path, sizeof(path), "cat /proc/%d/cmdline | tr '\\0' ' '; echo; "
			 "echo -n 'wchan: '; cat /proc/%d/wchan; echo; cat /proc/%d/stack",
			 (int)pid, (int)pid, (int)pid);
		fprintf(stderr, "  pid %d: ", (int)pid);
		fflush(stderr);
		f = popen(path, "r");
		while (f && fgets(buf, sizeof(buf), f))
			fprintf(stderr, "    %s", buf);
		if (f)
			pclose(f);
	}
	if (d)
		closedir(d);
}

/* Wait for @pid until @deadline; -2: it hung (shown, killed). */
static int wait_for(pid_t pid, double deadline)
{
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (now() > deadline) {
			show_group(pid);
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -2;
		}
		usleep(20000);
	}
}

static pid_t spawn(char **argv, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		setpgid(0, 0);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* One event line: op=V code=N ok=0|1 ms=N waited=0|1 named=0|1 */
static void event(int efd, const struct op *o, int code, bool ok, double secs,
		  const char *log)
{
	char line[512], wait[1024];
	bool waited = grep_line(log, "dkms-sandbox: waiting for ", wait, sizeof(wait));
	int n = snprintf(line, sizeof(line), "op=%s code=%d ok=%d ms=%.0f waited=%d named=%d\n",
			 o->name, code, ok, secs * 1000, waited,
			 waited && strstr(wait, "held by pid ") != NULL);

	if (write(efd, line, (size_t)n) != n)
		perror("concur: events");
	if (waited && getenv("CONCUR_SHOW_WAITS"))
		fprintf(stderr, "concur: %s", wait);
}

/* A command that hung or returned what it may not: its output kept. */
static void keep_failure(const struct cfg *c, int w, int k, char **argv, int code,
			 const char *log)
{
	char kept[600], cmd[2048] = "";

	for (char **a = argv; *a; a++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s ", *a);
	snprintf(kept, sizeof(kept), "%s/fail-w%d-%d.log", c->out, w, k);
	rename(log, kept);
	fprintf(stderr, "concur: FAIL: exit %d: %s(output: %s)\n", code, cmd, kept);
}

static int worker(const struct cfg *c, int w, double end)
{
	unsigned seed = c->seed * 7919u + (unsigned)w;
	char log[600], events[600], mv[300];
	char *argv[64];
	int efd, fails = 0;

	snprintf(events, sizeof(events), "%s/events", c->out);
	snprintf(log, sizeof(log), "%s/w%d.log", c->out, w);
	efd = open(events, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (efd < 0)
		return perror(events), 1;
	for (int k = 0; now() < end; k++) {
		const struct op *o = pick(&seed);
		double t0 = now();
		pid_t pid;
		int code;

		make_argv(c, o, &seed, argv, mv, sizeof(mv));
		pid = spawn(argv, log);
		code = pid < 0 ? -1 : wait_for(pid, t0 + OP_TIMEOUT);
		event(efd, o, code, allowed(o, code), now() - t0, log);
		if (!allowed(o, code)) {
			keep_failure(c, w, k, argv, code, log);
			fails++;
		} else if (code && getenv("CONCUR_KEEP_ALL")) {
			char kept[700];

			snprintf(kept, sizeof(kept), "%s/code%d-%s-w%d-%d.log", c->out, code,
				 o->name, w, k);
			rename(log, kept);
		}
	}
	close(efd);
	return fails ? 1 : 0;
}

static int parse(int argc, char **argv, struct cfg *c)
{
	if (argc < 9 || strcmp(argv[8], "--") != 0) {
		fprintf(stderr, "usage: stress BIN SECONDS WORKERS SEED OUTDIR \"MOD...\" "
				"\"KVER...\" -- TREE-OPTION...\n");
		return -1;
	}
	c->bin = argv[1];
	c->seconds = atoi(argv[2]);
	c->workers = atoi(argv[3]);
	c->seed = (unsigned)strtoul(argv[4], NULL, 10);
	c->out = argv[5];
	c->n_mods = split(argv[6], c->mods);
	c->n_kvers = split(argv[7], c->kvers);
	c->tree = argv + 9;
	if (c->seconds <= 0 || c->workers <= 0 || c->workers > 64 || !c->n_mods || !c->n_kvers) {
		fprintf(stderr, "stress: bad SECONDS, WORKERS, modules or kernels\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cfg c = {0};
	pid_t pids[64];
	int bad = 0;
	double end;

	if (parse(argc, argv, &c) < 0)
		return 2;
	end = now() + c.seconds;
	for (int w = 0; w < c.workers; w++) {
		pids[w] = fork();
		if (pids[w] == 0)
			_exit(worker(&c, w, end));
	}
	for (int w = 0; w < c.workers; w++) {
		int st = 0;

		if (pids[w] > 0)
			waitpid(pids[w], &st, 0);
		bad |= pids[w] < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	return bad ? 1 : 0;
}
