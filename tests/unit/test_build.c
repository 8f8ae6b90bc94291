// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "build": real out-of-tree module builds through the sandbox library
 * against the installed kernel headers: the project's tests/modules/hello as
 * root and as an unprivileged user, a real Debian *-dkms source
 * (v4l2loopback, fetched at test time with tests/fetch-corpus.sh), and a
 * broken module whose failure must be reported.
 *
 * Environment: DKS_SRCDIR (repo root, default "."), DKS_CORPUS_DIR (cache of
 * unpacked packages, default /tmp/dkms-sandbox-corpus).
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/profile.h"
#include "dks/sandbox.h"

#define BUILD_TIMEOUT 500 /* seconds, under the test's 600 */

/* Where the test's trees live: not under /tmp (the sandbox has its own
 * /tmp), world-traversable, like /var/lib/dkms. */
#define WORK_PARENT "/var/tmp"

static const char *srcdir(void)
{
	const char *s = getenv("DKS_SRCDIR");
	return s && *s ? s : ".";
}

/* The kernel to build for: the first entry of /lib/modules (sorted) that
 * has a build/ directory (usually a link to the headers). */
static char *find_kver(void)
{
	struct dirent **ents = NULL;
	char *kver = NULL;
	int n = scandir("/lib/modules", &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (!kver && ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "/lib/modules/%s/build/Makefile",
				 ents[i]->d_name);
			if (stat(path, &st) == 0)
				kver = strdup(ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	return kver;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	cr_assert_not_null(s);
	return s;
}

/* Run a host command (no shell), stdout+stderr to stderr; its exit status
 * or -1. */
static int run_host(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(2, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* First line of a command's stdout (via the shell), without its newline. */
static char *capture_line(const char *cmd)
{
	char buf[4096] = "";
	FILE *f = popen(cmd, "r");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	pclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

static char *vermagic_of(const char *ko)
{
	char *cmd = xasprintf("PATH=\"$PATH:/usr/sbin:/sbin\" modinfo -F vermagic '%s'", ko);
	char *v = capture_line(cmd);

	free(cmd);
	return v;
}

/* A test's tree: WORK (root-owned, 0755) with the make log, and
 * WORK/build, the writable build dir owned by the build uid. */
struct tree {
	char work[256];
	char build[PATH_MAX];
	char log[PATH_MAX];
};

static void tree_make(struct tree *t, const char *name, const char *copy_from)
{
	snprintf(t->work, sizeof(t->work), WORK_PARENT "/dks-test-%s.XXXXXX", name);
	cr_assert_not_null(mkdtemp(t->work), "mkdtemp %s: %s", t->work, strerror(errno));
	cr_assert_eq(chmod(t->work, 0755), 0);
	snprintf(t->build, sizeof(t->build), "%s/build", t->work);
	snprintf(t->log, sizeof(t->log), "%s/make.log", t->work);
	cr_assert_eq(mkdir(t->build, 0755), 0, "mkdir %s: %s", t->build, strerror(errno));
	if (copy_from) {
		char *from = xasprintf("%s/.", copy_from);
		char *argv[] = { "cp", "-R", from, t->build, NULL };

		cr_assert_eq(run_host(argv), 0, "cp -R %s %s failed", from, t->build);
		free(from);
	}
}

static void tree_chown(const struct tree *t, uid_t uid, gid_t gid)
{
	char *owner = xasprintf("%u:%u", (unsigned)uid, (unsigned)gid);
	char *argv[] = { "chown", "-R", owner, (char *)t->build, NULL };

	cr_assert_eq(run_host(argv), 0, "chown -R %s %s failed", owner, t->build);
	free(owner);
}

static void tree_remove(const struct tree *t)
{
	char *argv[] = { "rm", "-rf", (char *)t->work, NULL };

	run_host(argv);
}

/* The last lines of the build log, to explain a failure. */
static char *log_tail(const struct tree *t)
{
	char *cmd = xasprintf("tail -n 25 '%s' 2>/dev/null", t->log);
	char buf[8192];
	size_t n = 0;
	FILE *f = popen(cmd, "r");

	free(cmd);
	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		pclose(f);
	}
	return strdup(buf);
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * One build in a sandbox. Fills @res; returns dks_sandbox_run's value, with
 * the message in @err. @prepare (if not NULL) runs after the sandbox is
 * configured and before the run (to chown the build dir to that uid).
 */
struct build_spec {
	const char *kver;
	const char *ro;  /* bound read-only at its path, or NULL */
	const struct tree *tree;
	char *const *argv;
	void (*prepare)(const struct tree *t, uid_t uid, gid_t gid);
};

static int sandbox_build(const struct build_spec *s, struct dks_sandbox_result *res,
			 struct dks_error *err)
{
	struct dks_profile *prof = NULL;
	struct dks_sandbox *sb = NULL;
	int logfd = -1, nullfd = -1, r;

	memset(res, 0, sizeof(*res));
	r = dks_profile_load("default", &prof, err);
	if (r < 0)
		return r;
	r = dks_sandbox_new(&sb, err);
	if (r < 0)
		goto out;
	dks_sandbox_set_profile(sb, prof);
	if ((r = dks_sandbox_set_kernel(sb, s->kver, NULL, err)) < 0)
		goto out;
	if (s->ro && (r = dks_sandbox_add_bind(sb, s->ro, NULL, false, err)) < 0)
		goto out;
	if ((r = dks_sandbox_add_bind(sb, s->tree->build, NULL, true, err)) < 0)
		goto out;
	if ((r = dks_sandbox_set_cwd(sb, s->tree->build, err)) < 0)
		goto out;
	dks_sandbox_set_timeout(sb, BUILD_TIMEOUT);

	logfd = open(s->tree->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0) {
		r = dks_err(err, errno, "open %s", s->tree->log);
		goto out;
	}
	dks_sandbox_set_stdio(sb, nullfd, logfd, logfd);

	if (s->prepare) {
		if ((r = dks_sandbox_resolve_user(sb, err)) < 0)
			goto out;
		s->prepare(s->tree, dks_sandbox_host_uid(sb), dks_sandbox_host_gid(sb));
	}
	r = dks_sandbox_run(sb, s->argv, res, err);
out:
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	dks_sandbox_free(sb);
	dks_profile_free(prof);
	return r;
}

static void assert_built(const struct tree *t, const char *mod, const char *kver)
{
	char *ko = xasprintf("%s/%s.ko", t->build, mod);
	char *tail = log_tail(t);

	cr_assert(file_exists(ko), "%s was not built; %s ends:\n%s", ko, t->log, tail);
	char *vm = vermagic_of(ko);
	cr_assert_not_null(vm);
	cr_assert(strncmp(vm, kver, strlen(kver)) == 0 && vm[strlen(kver)] == ' ',
		  "vermagic of %s is \"%s\", want \"%s ...\"", ko, vm, kver);
	free(vm);
	free(tail);
	free(ko);
}

static void assert_exited_0(const struct tree *t, int r, const struct dks_sandbox_result *res,
			    const struct dks_error *err)
{
	cr_assert_eq(r, 0, "dks_sandbox_run failed: %s", err->msg);
	if (res->outcome != DKS_SANDBOX_EXITED || res->exit_status != 0) {
		char *tail = log_tail(t);
		char denied[1024] = "";

		for (size_t i = 0; i < res->n_denied; i++) {
			strncat(denied, " ", sizeof(denied) - strlen(denied) - 1);
			strncat(denied, res->denied[i], sizeof(denied) - strlen(denied) - 1);
		}
		cr_assert_fail("build: outcome %d, status %d, signal %d, denied:%s\n"
			       "%s ends:\n%s",
			       (int)res->outcome, res->exit_status, res->term_signal,
			       denied, t->log, tail);
	}
}

static char *need_kver(void)
{
	char *kver = find_kver();

	cr_assert_not_null(kver, "no /lib/modules/*/build: install linux-headers-amd64 (make deps)");
	return kver;
}

static char *hello_src(void)
{
	char *src = xasprintf("%s/tests/modules/hello", srcdir());
	char *abs = realpath(src, NULL);

	cr_assert_not_null(abs, "%s: %s (set DKS_SRCDIR)", src, strerror(errno));
	free(src);
	return abs;
}

static char **make_modules_argv(const char *kver, const char *build)
{
	char **argv = calloc(7, sizeof(*argv));

	cr_assert_not_null(argv);
	argv[0] = strdup("make");
	argv[1] = strdup("-j2");
	argv[2] = strdup("-C");
	argv[3] = xasprintf("/lib/modules/%s/build", kver);
	argv[4] = xasprintf("M=%s", build);
	argv[5] = strdup("modules");
	return argv;
}

static void free_argv(char **argv)
{
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

Test(build, build_hello_module_as_root, .timeout = 600)
{
	struct dks_error err = { 0 };
	struct dks_sandbox_result res;
	struct tree t;

	cr_assert_eq(geteuid(), 0, "run the tests as root (make check)");
	char *kver = need_kver();
	char *src = hello_src();

	tree_make(&t, "hello-root", src);
	char **argv = make_modules_argv(kver, t.build);
	struct build_spec s = {
		.kver = kver, .ro = src, .tree = &t, .argv = argv, .prepare = tree_chown,
	};
	int r = sandbox_build(&s, &res, &err);

	assert_exited_0(&t, r, &res, &err);
	assert_built(&t, "hello", kver);

	/* The build ran as the unprivileged build user, not as root. */
	struct stat st;
	char *ko = xasprintf("%s/hello.ko", t.build);
	cr_assert_eq(stat(ko, &st), 0);
	cr_assert_neq(st.st_uid, 0, "hello.ko is owned by root: the build ran as root");

	free(ko);
	dks_sandbox_result_clear(&res);
	free_argv(argv);
	tree_remove(&t);
	free(src);
	free(kver);
}

/* The child's exit codes. */
enum { CHILD_OK, CHILD_DROP = 10, CHILD_RUN, CHILD_STATUS, CHILD_UID };

Test(build, build_hello_module_as_normal_user, .timeout = 600)
{
	struct tree t;
	uid_t uid = getuid();
	gid_t gid = getgid();
	char *kver = need_kver();
	char *src = hello_src();

	tree_make(&t, "hello-user", src);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		char *from = xasprintf("%s/.", src), *copy = xasprintf("%s/src", t.work);
		char *cp[] = { "cp", "-R", from, copy, NULL };

		/* nobody has no rights to lend: the source must be where it can
		 * reach it (the checkout may be below /root). */
		cr_assert_eq(mkdir(copy, 0755), 0);
		cr_assert_eq(run_host(cp), 0, "cp -R %s %s failed", from, copy);
		free(from);
		free(src);
		src = copy;
		cr_assert_not_null(pw, "no user nobody");
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		tree_chown(&t, uid, gid);
		/* The log is written by the child. */
		cr_assert_eq(chown(t.work, uid, gid), 0);
	}
	char **argv = make_modules_argv(kver, t.build);

	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct dks_error err = { 0 };
		struct dks_sandbox_result res;

		if (geteuid() == 0) {
			if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
			    setresuid(uid, uid, uid) < 0) {
				perror("drop to nobody");
				_exit(CHILD_DROP);
			}
			/* A user who exec'd dkms-sandbox is dumpable; after
			 * setresuid this process is not (its /proc/self would
			 * be root's). */
			prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		}
		struct build_spec s = { .kver = kver, .ro = src, .tree = &t, .argv = argv };
		int r = sandbox_build(&s, &res, &err);
		if (r < 0) {
			fprintf(stderr, "as uid %u: dks_sandbox_run: %s\n", (unsigned)getuid(),
				err.msg);
			_exit(CHILD_RUN);
		}
		if (res.outcome != DKS_SANDBOX_EXITED || res.exit_status != 0) {
			fprintf(stderr, "as uid %u: outcome %d status %d signal %d\n",
				(unsigned)getuid(), (int)res.outcome, res.exit_status,
				res.term_signal);
			for (size_t i = 0; i < res.n_denied; i++)
				fprintf(stderr, "denied: %s\n", res.denied[i]);
			_exit(CHILD_STATUS);
		}
		dks_sandbox_result_clear(&res);
		_exit(CHILD_OK);
	}

	int status;
	while (waitpid(pid, &status, 0) < 0)
		cr_assert_eq(errno, EINTR);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_OK) {
		char *tail = log_tail(&t);
		cr_assert_fail("unprivileged build failed (wait status 0x%x, child code %d;"
			       " see stderr); %s ends:\n%s",
			       status, WIFEXITED(status) ? WEXITSTATUS(status) : -1, t.log, tail);
	}
	assert_built(&t, "hello", kver);

	struct stat st;
	char *ko = xasprintf("%s/hello.ko", t.build);
	cr_assert_eq(stat(ko, &st), 0);
	cr_assert_eq(st.st_uid, uid, "hello.ko owned by %u, want %u", (unsigned)st.st_uid,
		     (unsigned)uid);

	free(ko);
	free_argv(argv);
	tree_remove(&t);
	free(src);
	free(kver);
}

/* Value of `KEY="..."` / `KEY=...` on a line of a dkms.conf (first match),
 * quotes removed; NULL when absent. */
static char *dkms_conf_value(const char *conf, const char *key)
{
	FILE *f = fopen(conf, "r");
	char line[1024];
	char *val = NULL;
	size_t klen = strlen(key);

	if (!f)
		return NULL;
	while (!val && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		if (strncmp(p, key, klen) != 0 || p[klen] != '=')
			continue;
		p += klen + 1;
		p[strcspn(p, "\r\n")] = '\0';
		size_t n = strlen(p);
		if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
			p[n - 1] = '\0';
			p++;
		}
		val = strdup(p);
	}
	fclose(f);
	return val;
}

/* A dkms.conf MAKE line as dkms runs it for @kver: split at blanks, the
 * kernel variables expanded, a leading `make` given -j2 and
 * KERNELRELEASE. NULL-terminated, malloc'd (free_argv). */
static char **dkms_make_argv(const char *line, const char *kver)
{
	static const char *const vars[] = {"${kernel_source_dir}", "$kernel_source_dir",
					   "${kernelver}", "$kernelver"};
	char *copy = strdup(line), *save = NULL;
	char **argv = calloc(strlen(line) + 3, sizeof(*argv));
	size_t n = 0;

	cr_assert(copy && argv);
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char *word = strdup(w);

		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			char *at = strstr(word, vars[i]), *value, *next;

			if (!at)
				continue;
			value = i < 2 ? xasprintf("/lib/modules/%s/build", kver) : strdup(kver);
			next = xasprintf("%.*s%s%s", (int)(at - word), word, value,
					 at + strlen(vars[i]));
			free(value);
			free(word);
			word = next;
		}
		cr_assert_null(strpbrk(word, "$`;|&()<>\"'"),
			       "MAKE[0] '%s' is more than this test expands", line);
		argv[n++] = word;
		if (n == 1) {
			cr_assert_str_eq(word, "make", "MAKE[0] '%s' does not start with make", line);
			argv[n++] = strdup("-j2");
			argv[n++] = xasprintf("KERNELRELEASE=%s", kver);
		}
	}
	cr_assert_gt(n, 0, "MAKE[0] is empty");
	free(copy);
	return argv;
}

Test(build, build_v4l2loopback_from_debian, .timeout = 600)
{
	struct dks_error err = { 0 };
	struct dks_sandbox_result res;
	struct tree t;
	const char *cache = getenv("DKS_CORPUS_DIR");

	if (!cache || !*cache)
		cache = "/tmp/dkms-sandbox-corpus";
	char *kver = need_kver();
	char *cmd = xasprintf("'%s/tests/fetch-corpus.sh' '%s' v4l2loopback-dkms", srcdir(), cache);
	char *pkgsrc = capture_line(cmd);

	cr_assert(pkgsrc && pkgsrc[0] == '/', "%s failed (see stderr)", cmd);

	/* What dkms would run: the package's own MAKE[0] line (whatever
	 * version Debian has today), with the leading `make` given -jN and
	 * KERNELRELEASE, kernel_source_dir = the headers. */
	char *conf = xasprintf("%s/dkms.conf", pkgsrc);
	char *make0 = dkms_conf_value(conf, "MAKE[0]");
	cr_assert_not_null(make0, "%s has no MAKE[0]", conf);
	char **argv = dkms_make_argv(make0, kver);

	tree_make(&t, "v4l2loopback", pkgsrc);
	struct build_spec s = {
		.kver = kver, .ro = pkgsrc, .tree = &t, .argv = argv,
		.prepare = geteuid() == 0 ? tree_chown : NULL,
	};
	int r = sandbox_build(&s, &res, &err);

	assert_exited_0(&t, r, &res, &err);
	assert_built(&t, "v4l2loopback", kver);

	dks_sandbox_result_clear(&res);
	free_argv(argv);
	tree_remove(&t);
	free(make0);
	free(conf);
	free(pkgsrc);
	free(cmd);
	free(kver);
}

Test(build, build_failure_reports_status, .timeout = 600)
{
	struct dks_error err = { 0 };
	struct dks_sandbox_result res;
	struct tree t;
	char *kver = need_kver();

	tree_make(&t, "broken", NULL);
	char *c = xasprintf("%s/broken.c", t.build);
	char *kb = xasprintf("%s/Kbuild", t.build);
	FILE *f = fopen(c, "w");
	cr_assert_not_null(f);
	fputs("// SPDX-License-Identifier: GPL-2.0-or-later\n"
	      "#include <linux/module.h>\n"
	      "static int __init broken_init(void)\n"
	      "{\n"
	      "\treturn 0 /* missing semicolon */\n"
	      "}\n"
	      "module_init(broken_init);\n"
	      "MODULE_LICENSE(\"GPL\");\n",
	      f);
	cr_assert_eq(fclose(f), 0);
	f = fopen(kb, "w");
	cr_assert_not_null(f);
	fputs("obj-m := broken.o\n", f);
	cr_assert_eq(fclose(f), 0);

	char **argv = make_modules_argv(kver, t.build);
	struct build_spec s = {
		.kver = kver, .tree = &t, .argv = argv,
		.prepare = geteuid() == 0 ? tree_chown : NULL,
	};
	int r = sandbox_build(&s, &res, &err);

	cr_assert_eq(r, 0, "dks_sandbox_run failed to set up: %s", err.msg);
	char *tail = log_tail(&t);
	cr_assert_eq(res.outcome, DKS_SANDBOX_EXITED, "outcome %d, signal %d; make.log:\n%s",
		     (int)res.outcome, res.term_signal, tail);
	cr_assert_neq(res.exit_status, 0, "make of a broken module exited 0");
	cr_assert_eq(res.exit_status, 2, "make exited %d, want 2; make.log:\n%s",
		     res.exit_status, tail);
	cr_assert(strstr(tail, "error") != NULL, "no compiler error in make.log:\n%s", tail);
	char *ko = xasprintf("%s/broken.ko", t.build);
	cr_assert(!file_exists(ko), "%s exists after a failed build", ko);

	free(ko);
	free(tail);
	dks_sandbox_result_clear(&res);
	free_argv(argv);
	tree_remove(&t);
	free(kb);
	free(c);
	free(kver);
}
