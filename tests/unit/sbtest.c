/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for tests that run the probe in a real sandbox (sbtest.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <fts.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "sbtest.h"

const char *sbt_probe_path(void)
{
	const char *p = getenv("DKS_PROBE");

	cr_assert(p && p[0] == '/',
		  "DKS_PROBE must be the absolute path of build/probe (make check-run)");
	return p;
}

/* ---- running ----------------------------------------------------------- */

static int add_binds(struct dks_sandbox *sb, const char *const *paths,
		     bool writable, struct dks_error *err)
{
	for (size_t i = 0; i < SBT_MAX_BINDS && paths[i]; i++) {
		if (dks_sandbox_add_bind(sb, paths[i], NULL, writable, err) < 0)
			return dks_err_prefix(err, "sbt: bind %s", paths[i]);
	}
	return 0;
}

static int probe_bind(struct dks_sandbox *sb, struct dks_error *err)
{
	const char *probe = getenv("DKS_PROBE");
	cleanup_free char *dir = NULL;

	if (!probe || probe[0] != '/')
		return dks_err(err, 0, "sbt: DKS_PROBE is not an absolute path");
	dir = strdup(probe);
	if (!dir)
		return dks_err(err, ENOMEM, "sbt");
	if (dks_sandbox_add_bind(sb, dirname(dir), SBT_PROBE_DIR, false, err) < 0)
		return dks_err_prefix(err, "sbt: bind %s at %s", dir, SBT_PROBE_DIR);
	return 0;
}

/* Root's sandboxes take a build uid from a range at each run; a test
 * that prepares files for the build user needs to know it beforehand:
 * one uid of the tests' own that no host user has (the range itself is
 * tested where it matters: test_bounds.c). */
uid_t sbt_build_uid(void)
{
	static uid_t uid;

	if (geteuid() != 0)
		return geteuid();
	if (!uid)
		for (uid = 1900000000; getpwuid(uid) || getgrgid(uid); uid++)
			;
	return uid;
}

uid_t sbt_free_uids(unsigned n)
{
	uint32_t r = 0;

	cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
	for (uid_t first = 1800000000 + (r % 100000) * 16;; first += 1600000) {
		bool used = false;

		for (unsigned i = 0; i < n && !used; i++)
			used = getpwuid(first + i) || getgrgid(first + i);
		if (!used)
			return first;
	}
}

char *sbt_uid_range(uid_t first, unsigned n)
{
	char *s = NULL;

	cr_assert(asprintf(&s, "%u-%u", (unsigned)first, (unsigned)(first + n - 1)) > 0);
	return s;
}

int sbt_set_test_user(struct dks_sandbox *sb, struct dks_error *err)
{
	char id[16];

	snprintf(id, sizeof(id), "%u", (unsigned)sbt_build_uid());
	return geteuid() == 0 ? dks_sandbox_set_user(sb, id, err) : 0;
}

static int configure(struct dks_sandbox *sb, const struct sbt_opts *o,
		     int in_fd, int cap_fd, struct dks_error *err)
{
	if (o->user && dks_sandbox_set_user(sb, o->user, err) < 0)
		return dks_err_prefix(err, "sbt: user %s", o->user);
	if (!o->user && sbt_set_test_user(sb, err) < 0)
		return dks_err_prefix(err, "sbt: the tests' build uid");
	if (o->kernel && dks_sandbox_set_kernel(sb, o->kernel, NULL, err) < 0)
		return dks_err_prefix(err, "sbt: kernel %s", o->kernel);
	if (probe_bind(sb, err) < 0 || add_binds(sb, o->ro, false, err) < 0 ||
	    add_binds(sb, o->rw, true, err) < 0)
		return -1;
	if (o->cwd && dks_sandbox_set_cwd(sb, o->cwd, err) < 0)
		return dks_err_prefix(err, "sbt: cwd %s", o->cwd);
	dks_sandbox_set_timeout(sb, o->timeout ? o->timeout : SBT_DEFAULT_TIMEOUT);
	dks_sandbox_set_stdio(sb, in_fd, cap_fd, cap_fd);
	return 0;
}

static void read_capture(int fd, struct sbt_out *out)
{
	struct stat st;
	ssize_t n = 0;

	if (fd >= 0 && fstat(fd, &st) == 0)
		out->text = malloc((size_t)st.st_size + 1);
	else
		out->text = malloc(1);
	if (!out->text)
		abort();
	if (fd >= 0 && st.st_size > 0)
		n = pread(fd, out->text, (size_t)st.st_size, 0);
	out->len = n > 0 ? (size_t)n : 0;
	out->text[out->len] = '\0';
}

int sbt_run(const struct sbt_opts *o, char *const argv[], struct sbt_out *out)
{
	struct dks_sandbox *sb = NULL;
	struct dks_profile *prof = NULL;
	const char *pname = o->profile ? o->profile : "default";
	cleanup_close int cap = -1;
	cleanup_close int devnull = -1;
	int in_fd = o->in_fd;

	memset(out, 0, sizeof(*out));
	out->rc = -1;
	/* A file, not a pipe: the run is synchronous and output may be big. */
	cap = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (cap < 0) {
		dks_err(&out->err, errno, "sbt: capture file in /tmp");
		goto done;
	}
	if (in_fd <= 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		in_fd = devnull;
	}
	if (dks_profile_load(pname, &prof, &out->err) < 0) {
		dks_err_prefix(&out->err, "sbt: profile %s", pname);
		goto done;
	}
	if (dks_sandbox_new(&sb, &out->err) < 0)
		goto done;
	dks_sandbox_set_profile(sb, prof);
	if (configure(sb, o, in_fd, cap, &out->err) < 0)
		goto done;
	out->host_uid = dks_sandbox_host_uid(sb);
	out->rc = dks_sandbox_run(sb, argv, &out->res, &out->err);
done:
	read_capture(cap, out);
	dks_sandbox_free(sb);
	if (prof)
		dks_profile_free(prof);
	return out->rc;
}

void sbt_probe(const struct sbt_opts *o, struct sbt_out *out, ...)
{
	char path[PATH_MAX];
	cleanup_free char *base = strdup(sbt_probe_path());
	char *argv[16];
	size_t n = 0;
	va_list ap;

	cr_assert(base);
	snprintf(path, sizeof(path), "%s/%s", SBT_PROBE_DIR, basename(base));
	argv[n++] = path;
	va_start(ap, out);
	for (char *a; (a = va_arg(ap, char *)) && n < 15;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	sbt_run(o, argv, out);
	cr_assert_eq(out->rc, 0, "the sandbox did not run the probe: %s\noutput:\n%s",
		     out->err.msg, out->text);
}

void sbt_out_free(struct sbt_out *out)
{
	dks_sandbox_result_clear(&out->res);
	free(out->text);
	out->text = NULL;
}

/* ---- reading the output ------------------------------------------------ */

bool sbt_has(const struct sbt_out *out, const char *needle)
{
	return out->text && strstr(out->text, needle);
}

/* Calls @fn on each line; stops when it returns true. */
static bool each_line(const struct sbt_out *out,
		      bool (*fn)(const char *line, size_t len, void *arg), void *arg)
{
	const char *p = out->text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (fn(p, len, arg))
			return true;
		p = nl ? nl + 1 : p + len;
	}
	return false;
}

static bool starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(line, prefix, n);
}

static bool sandbox_line_has(const char *line, size_t len, void *arg)
{
	const char *needle = arg;

	if (starts(line, len, "probe: ") || starts(line, len, "info: ") ||
	    starts(line, len, "env: "))
		return false;
	return memmem(line, len, needle, strlen(needle)) != NULL;
}

bool sbt_sandbox_said(const struct sbt_out *out, const char *needle)
{
	return each_line(out, sandbox_line_has, (void *)needle);
}

bool sbt_denied_has(const struct sbt_out *out, const char *name)
{
	for (size_t i = 0; i < out->res.n_denied; i++) {
		if (out->res.denied[i] && !strcmp(out->res.denied[i], name))
			return true;
	}
	return false;
}

/* "probe: WHAT: ok ..." or "probe: WHAT: failed: ... (errno N)". */
static int parse_result(const char *line, size_t len)
{
	const char *rest = memmem(line, len, ": failed: ", 10);
	const char *e;

	if (!rest)
		return SBT_RESULT_OK;
	for (e = line + len - 1; e > rest && *e != '('; e--)
		;
	if (!starts(e, (size_t)(line + len - e), "(errno "))
		return 0;
	return atoi(e + 7);
}

/* The "WHAT" of a result line, or NULL/0. */
static const char *result_what(const char *line, size_t len, size_t *wlen)
{
	const char *end;

	if (!starts(line, len, "probe: "))
		return NULL;
	end = memmem(line, len, ": failed: ", 10);
	if (!end)
		end = memmem(line + 7, len - 7, ": ok", 4);
	if (!end)
		return NULL;
	*wlen = (size_t)(end - line - 7);
	return line + 7;
}

struct find_result {
	const char *what;
	int result;
};

static bool match_result(const char *line, size_t len, void *arg)
{
	struct find_result *f = arg;
	size_t wlen;
	const char *w = result_what(line, len, &wlen);

	if (!w || wlen != strlen(f->what) || memcmp(w, f->what, wlen))
		return false;
	f->result = parse_result(line, len);
	return true;
}

int sbt_result(const struct sbt_out *out, const char *what)
{
	struct find_result f = { what, SBT_RESULT_MISSING };

	each_line(out, match_result, &f);
	return f.result;
}

struct find_value {
	const char *key;
	char *value;
};

static bool match_value(const char *line, size_t len, void *arg)
{
	struct find_value *f = arg;

	if (!starts(line, len, f->key))
		return false;
	f->value = strndup(line + strlen(f->key), len - strlen(f->key));
	return true;
}

char *sbt_value(const struct sbt_out *out, const char *key)
{
	struct find_value f = { key, NULL };

	each_line(out, match_value, &f);
	return f.value;
}

const char *sbt_outcome(const struct sbt_out *out)
{
	static __thread char buf[160];

	if (out->rc < 0) {
		snprintf(buf, sizeof(buf), "sandbox failed: %.120s", out->err.msg);
		return buf;
	}
	switch (out->res.outcome) {
	case DKS_SANDBOX_EXITED:
		snprintf(buf, sizeof(buf), "exited %d", out->res.exit_status);
		break;
	case DKS_SANDBOX_SIGNALED:
		snprintf(buf, sizeof(buf), "killed by signal %d (%s)",
			 out->res.term_signal, strsignal(out->res.term_signal));
		break;
	case DKS_SANDBOX_TIMED_OUT:
		snprintf(buf, sizeof(buf), "timed out after %.1fs", out->res.elapsed);
		break;
	default:
		snprintf(buf, sizeof(buf), "unknown outcome %d", (int)out->res.outcome);
	}
	return buf;
}

/* ---- assertions -------------------------------------------------------- */

struct check_denied {
	const int *errnos;
	int n_results;
	char bad[512];
};

static bool check_denied_line(const char *line, size_t len, void *arg)
{
	struct check_denied *c = arg;
	size_t wlen;
	int r;

	if (!result_what(line, len, &wlen))
		return false;
	c->n_results++;
	r = parse_result(line, len);
	for (const int *e = c->errnos; *e != -1; e++) {
		if (r == *e)
			return false;
	}
	snprintf(c->bad, sizeof(c->bad), "%.*s", (int)len, line);
	return true;
}

void sbt_assert_denied_(const struct sbt_out *out, const int *errnos)
{
	struct check_denied c = { errnos, 0, "" };
	char want[256] = "";

	for (const int *e = errnos; *e != -1; e++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
			 e == errnos ? "" : " or ", *e ? strerror(*e) : "errno 0");
	cr_assert(out->res.outcome == DKS_SANDBOX_EXITED && out->res.exit_status == 1,
		  "expected the probe to fail (exit 1), but it %s; output:\n%s",
		  sbt_outcome(out), out->text);
	cr_assert(!each_line(out, check_denied_line, &c),
		  "expected every attempt to fail with %s, got \"%s\"; output:\n%s",
		  want, c.bad, out->text);
	cr_assert(c.n_results > 0, "no result line from the probe; output:\n%s",
		  out->text);
}

void sbt_assert_failed_with(const struct sbt_out *out, const char *what,
			    int errnum)
{
	int r = sbt_result(out, what);

	cr_assert_neq(r, SBT_RESULT_MISSING, "no result for \"%s\"; output:\n%s",
		      what, out->text);
	cr_assert_eq(r, errnum, "\"%s\": expected %s (errno %d), got %s%d; output:\n%s",
		     what, strerror(errnum), errnum,
		     r == SBT_RESULT_OK ? "success " : "errno ", r, out->text);
}

void sbt_assert_ok(const struct sbt_out *out, const char *what)
{
	cr_assert(out->res.outcome == DKS_SANDBOX_EXITED && out->res.exit_status == 0,
		  "expected the probe to succeed (exit 0), but it %s; output:\n%s",
		  sbt_outcome(out), out->text);
	if (what)
		cr_assert_eq(sbt_result(out, what), SBT_RESULT_OK,
			     "\"%s\" did not succeed; output:\n%s", what, out->text);
}

/* ---- cleanup ---------------------------------------------------------- */

#define SBT_MAX_DEFERRED 16

/* Per test process (see sbtest.h): the one piece of mutable state here. */
static struct {
	char *dirs[SBT_MAX_DEFERRED];
	pid_t pids[SBT_MAX_DEFERRED];
	size_t n_dirs, n_pids;
} deferred;

void sbt_defer_rmtree(const char *path)
{
	cr_assert(deferred.n_dirs < SBT_MAX_DEFERRED);
	deferred.dirs[deferred.n_dirs++] = strdup(path);
}

void sbt_defer_kill(pid_t pid)
{
	cr_assert(deferred.n_pids < SBT_MAX_DEFERRED);
	deferred.pids[deferred.n_pids++] = pid;
}

void sbt_cleanup(void)
{
	while (deferred.n_pids)
		sbt_kill_and_reap(deferred.pids[--deferred.n_pids]);
	while (deferred.n_dirs) {
		char *d = deferred.dirs[--deferred.n_dirs];

		sbt_rmtree(d);
		free(d);
	}
}

/* ---- files ------------------------------------------------------------- */

void sbt_host_ids(const char *user, uid_t *uid, gid_t *gid)
{
	struct dks_sandbox *sb = NULL;
	struct dks_error err = { 0 };

	cr_assert_eq(dks_sandbox_new(&sb, &err), 0, "dks_sandbox_new: %s", err.msg);
	if (user)
		cr_assert_eq(dks_sandbox_set_user(sb, user, &err), 0,
			     "set_user %s: %s", user, err.msg);
	else
		cr_assert_eq(sbt_set_test_user(sb, &err), 0, "%s", err.msg);
	*uid = dks_sandbox_host_uid(sb);
	*gid = dks_sandbox_host_gid(sb);
	dks_sandbox_free(sb);
}

char *sbt_mkdtemp(const char *user)
{
	char *dir = strdup("/tmp/dks-test-XXXXXX");
	uid_t uid;
	gid_t gid;

	cr_assert(dir && mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	sbt_host_ids(user, &uid, &gid);
	/* The build user must be able to write it: only the sandbox's
	 * mounts may make it read-only. */
	sbt_defer_rmtree(dir);
	cr_assert_eq(chown(dir, uid, gid), 0, "chown %s %u:%u: %s", dir, uid, gid,
		     strerror(errno));
	/* Readable by whatever build uid the code under test takes. */
	cr_assert_eq(chmod(dir, 0755), 0, "chmod %s: %s", dir, strerror(errno));
	return dir;
}

void sbt_rmtree(const char *path)
{
	char *const paths[] = { (char *)path, NULL };
	FTS *fts;
	FTSENT *e;

	if (!path)
		return;
	fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	if (!fts)
		return;
	while ((e = fts_read(fts))) {
		if (e->fts_info == FTS_D)
			chmod(e->fts_accpath, 0700); /* a test may have made it 0555 */
		else if (e->fts_info == FTS_DP)
			rmdir(e->fts_accpath);
		else
			unlink(e->fts_accpath);
	}
	fts_close(fts);
}

void sbt_write_file(const char *path, const char *text, uid_t uid, gid_t gid,
		    mode_t mode)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	cr_assert(fd >= 0, "create %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchown(fd, uid, gid), 0, "chown %s: %s", path, strerror(errno));
	cr_assert_eq(fchmod(fd, mode), 0);
}

char *sbt_find_setid(const char *dir)
{
	char *const paths[] = { (char *)dir, NULL };
	char *found = NULL;
	FTSENT *e;
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);

	cr_assert(fts, "fts_open %s: %s", dir, strerror(errno));
	while (!found && (e = fts_read(fts))) {
		if (e->fts_statp && e->fts_info != FTS_NS &&
		    (e->fts_statp->st_mode & (S_ISUID | S_ISGID)) &&
		    !S_ISDIR(e->fts_statp->st_mode))
			found = strdup(e->fts_path);
	}
	fts_close(fts);
	return found;
}

void sbt_must(const char *fmt, ...)
{
	char cmd[8192], out[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(sbt_sh(out, sizeof(out), "%s", cmd), 0, "failed: %s: %s", cmd, out);
}

char *sbt_installed_kernel(void)
{
	char *kver = NULL;
	struct dirent *de;
	DIR *d = opendir("/lib/modules");

	cr_assert(d, "/lib/modules: %s", strerror(errno));
	while ((de = readdir(d))) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/lib/modules/%s/build/Makefile", de->d_name);
		if (access(path, F_OK) != 0 || (kver && strverscmp(kver, de->d_name) > 0))
			continue;
		free(kver);
		kver = strdup(de->d_name);
	}
	closedir(d);
	cr_assert_not_null(kver, "no kernel headers in /lib/modules (make deps installs them)");
	return kver;
}

struct dks_limits sbt_profile_limits(const char *name)
{
	struct dks_profile *p = NULL;
	struct dks_error err = { 0 };
	struct dks_limits l;

	cr_assert_eq(dks_profile_load(name, &p, &err), 0, "profile %s: %s", name,
		     err.msg);
	l = p->limits;
	dks_profile_free(p);
	return l;
}

/* ---- listeners --------------------------------------------------------- */

int sbt_tcp_listener(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s",
		     strerror(errno));
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

int sbt_abstract_listener(char *name, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint32_t rnd = 0;
	size_t len;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	cr_assert_eq(getrandom(&rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(name, size, "dks-test-%d-%08x", (int)getpid(), rnd);
	len = strlen(name);
	memcpy(sa.sun_path + 1, name, len);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa,
			  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)),
		     0, "bind @%s: %s", name, strerror(errno));
	cr_assert_eq(listen(fd, 16), 0);
	return fd;
}

bool sbt_listener_has_client(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* ---- processes --------------------------------------------------------- */

pid_t sbt_spawn_sleeper(void)
{
	pid_t pid = fork();

	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	sbt_defer_kill(pid);
	return pid;
}

bool sbt_is_alive(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == 0 && kill(pid, 0) == 0;
}

void sbt_kill_and_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int sbt_host_run(char *const argv[])
{
	int status = -1;
	pid_t pid = fork();

	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return status;
}

static bool cmdline_has(const char *pid, const char *marker)
{
	char path[64], buf[4096];
	ssize_t n;
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	return n > 0 && memmem(buf, (size_t)n, marker, strlen(marker));
}

pid_t sbt_find_cmdline(const char *marker)
{
	struct dirent *de;
	pid_t found = 0;
	DIR *d = opendir("/proc");

	cr_assert(d);
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (atoi(de->d_name) != getpid() && cmdline_has(de->d_name, marker))
			found = atoi(de->d_name);
	}
	closedir(d);
	return found;
}

int sbt_vsh(char *out, size_t size, const char *fmt, va_list ap)
{
	char cmd[8192];
	FILE *p;
	size_t n;
	int st;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int sbt_sh(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int st;

	va_start(ap, fmt);
	st = sbt_vsh(out, size, fmt, ap);
	va_end(ap);
	return st;
}

/* ---- facts of this machine, discovered at test time --------------------------
 *
 * Everything a test expects of the machine (its kernels, their
 * configuration, its compilers) is read here from the machine's own files,
 * without the code under test, so that the suite holds on whatever
 * kernel headers and compilers are installed (see sbtest.h).
 */

static int by_version(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

char **sbt_installed_kernels(size_t *n)
{
	char **v = NULL;
	struct dirent *de;
	DIR *d = opendir("/lib/modules");

	*n = 0;
	cr_assert(d, "/lib/modules: %s", strerror(errno));
	while ((de = readdir(d))) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/lib/modules/%s/build/Makefile", de->d_name);
		if (de->d_name[0] == '.' || access(path, F_OK) != 0)
			continue;
		v = realloc(v, (*n + 2) * sizeof(*v));
		cr_assert_not_null(v);
		v[(*n)++] = strdup(de->d_name);
		v[*n] = NULL;
	}
	closedir(d);
	cr_assert_gt(*n, 0, "no kernel headers in /lib/modules (make deps installs them)");
	qsort(v, *n, sizeof(*v), by_version);
	return v;
}

void sbt_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char *sbt_kernel_headers(const char *kver)
{
	char link[PATH_MAX], *real;

	snprintf(link, sizeof(link), "/lib/modules/%s/build", kver);
	real = realpath(link, NULL);
	cr_assert_not_null(real, "%s: %s", link, strerror(errno));
	return real;
}

/* The kernel's configuration file: .config (values quoted), else
 * include/config/auto.conf (unquoted). */
static FILE *open_kernel_config(const char *kver)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/lib/modules/%s/build/.config", kver);
	f = fopen(path, "re");
	if (!f) {
		snprintf(path, sizeof(path), "/lib/modules/%s/build/include/config/auto.conf", kver);
		f = fopen(path, "re");
	}
	cr_assert_not_null(f, "kernel %s: no .config nor include/config/auto.conf", kver);
	return f;
}

char *sbt_kernel_config(const char *kver, const char *sym)
{
	FILE *f = open_kernel_config(kver);
	size_t n = strlen(sym), size = 0;
	char *line = NULL, *value = NULL;

	while (!value && getline(&line, &size, f) > 0) {
		char *v = line + n + 1;

		if (strncmp(line, sym, n) != 0 || line[n] != '=')
			continue;
		v[strcspn(v, "\n")] = '\0';
		if (v[0] == '"' && strlen(v) >= 2 && v[strlen(v) - 1] == '"') {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		value = strdup(v);
	}
	free(line);
	fclose(f);
	return value;
}

bool sbt_kernel_config_set(const char *kver, const char *sym)
{
	char *v = sbt_kernel_config(kver, sym);
	bool set = v && (strcmp(v, "y") == 0 || strcmp(v, "m") == 0);

	free(v);
	return set;
}

/* The string #defined as @name in header @rel of the kernel's headers. */
static char *header_string(const char *kver, const char *rel, const char *name)
{
	char path[PATH_MAX], *line = NULL, *value = NULL;
	size_t size = 0, n = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/lib/modules/%s/build/%s", kver, rel);
	f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	while (!value && getline(&line, &size, f) > 0) {
		char *p = line, *q;

		if (strncmp(p, "#define ", 8) != 0)
			continue;
		p += 8 + strspn(p + 8, " \t");
		if (strncmp(p, name, n) != 0 || (p[n] != ' ' && p[n] != '\t'))
			continue;
		p = strchr(p + n, '"');
		q = p ? strchr(p + 1, '"') : NULL;
		if (q)
			value = strndup(p + 1, (size_t)(q - p - 1));
	}
	free(line);
	fclose(f);
	cr_assert_not_null(value, "%s: no #define %s \"...\"", path, name);
	return value;
}

char *sbt_kernel_release(const char *kver)
{
	return header_string(kver, "include/generated/utsrelease.h", "UTS_RELEASE");
}

/* The ELF machine and the vermagic part of the kernel's architecture
 * (arch/<arch>/include/asm/vermagic.h), by its config. */
static const struct {
	const char *symbol;
	unsigned short machine;
	const char *vermagic;
} sbt_arches[] = {
    {"CONFIG_X86_64", EM_X86_64, ""},   {"CONFIG_ARM64", EM_AARCH64, "aarch64"},
    {"CONFIG_RISCV", EM_RISCV, "riscv"}, {"CONFIG_PPC64", EM_PPC64, ""},
    {"CONFIG_S390", EM_S390, ""},       {"CONFIG_LOONGARCH", EM_LOONGARCH, ""},
};

static size_t kernel_arch(const char *kver)
{
	for (size_t i = 0; i < sizeof(sbt_arches) / sizeof(sbt_arches[0]); i++)
		if (sbt_kernel_config_set(kver, sbt_arches[i].symbol))
			return i;
	cr_assert_fail("kernel %s: an architecture sbtest.c does not know", kver);
	return 0;
}

unsigned short sbt_kernel_machine(const char *kver)
{
	return sbt_arches[kernel_arch(kver)].machine;
}

char *sbt_kernel_vermagic(const char *kver)
{
	char *release = sbt_kernel_release(kver), *vm = NULL, *seed = NULL;
	bool preempt = sbt_kernel_config_set(kver, "CONFIG_PREEMPT_BUILD") ||
		       sbt_kernel_config_set(kver, "CONFIG_PREEMPT");
	const char *rs = sbt_kernel_config_set(kver, "CONFIG_RANDSTRUCT") ? "RANDSTRUCT_"
			 : sbt_kernel_config_set(kver, "CONFIG_GCC_PLUGIN_RANDSTRUCT")
			     ? "RANDSTRUCT_PLUGIN_"
			     : NULL;
	bool ppc = strcmp(sbt_arches[kernel_arch(kver)].symbol, "CONFIG_PPC64") == 0;

	if (rs)
		seed = header_string(kver, "include/generated/randstruct_hash.h",
				     "RANDSTRUCT_HASHED_SEED");
	/* include/linux/vermagic.h: UTS_RELEASE " " SMP PREEMPT MODULE_UNLOAD
	 * MODVERSIONS ARCH RANDSTRUCT. */
	cr_assert(asprintf(&vm, "%s %s%s%s%s%s%s%s%s%s", release,
			   sbt_kernel_config_set(kver, "CONFIG_SMP") ? "SMP " : "",
			   preempt ? "preempt "
			   : sbt_kernel_config_set(kver, "CONFIG_PREEMPT_RT") ? "preempt_rt "
									   : "",
			   sbt_kernel_config_set(kver, "CONFIG_MODULE_UNLOAD") ? "mod_unload " : "",
			   sbt_kernel_config_set(kver, "CONFIG_MODVERSIONS") ? "modversions " : "",
			   sbt_arches[kernel_arch(kver)].vermagic,
			   ppc && sbt_kernel_config_set(kver, "CONFIG_MPROFILE_KERNEL")
			       ? "mprofile-kernel "
			       : "",
			   ppc && sbt_kernel_config_set(kver, "CONFIG_RELOCATABLE") ? "relocatable "
										     : "",
			   rs ? rs : "", seed ? seed : "") > 0);
	free(release);
	free(seed);
	return vm;
}

int sbt_kernel_gcc_major(const char *kver)
{
	char *v = sbt_kernel_config(kver, "CONFIG_GCC_VERSION");
	int major = 0;

	/* CONFIG_GCC_VERSION=120200; 0 (or none) when not built with gcc. */
	if (v)
		major = atoi(v) / 10000;
	free(v);
	if (major)
		return major;
	/* Older kernels: the last word of "gcc-N (Debian N.2.0-1) N.2.0". */
	v = sbt_kernel_config(kver, "CONFIG_CC_VERSION_TEXT");
	if (v && strstr(v, "gcc") && strrchr(v, ' '))
		major = atoi(strrchr(v, ' ') + 1);
	free(v);
	return major;
}

int sbt_host_gcc_major(void)
{
	char out[64];

	cr_assert_eq(sbt_sh(out, sizeof(out), "gcc -dumpversion"), 0, "gcc -dumpversion: %s", out);
	cr_assert(out[0] >= '1' && out[0] <= '9', "gcc -dumpversion: %s", out);
	return atoi(out);
}

char *sbt_fixture(const char *rel)
{
	const char *src = getenv("DKS_SRCDIR");
	char *path;

	cr_assert(src && src[0] == '/', "DKS_SRCDIR must be the absolute source dir (make check-run)");
	cr_assert(asprintf(&path, "%s/tests/fixtures/%s", src, rel) > 0);
	cr_assert_eq(access(path, R_OK), 0, "%s: %s", path, strerror(errno));
	return path;
}
