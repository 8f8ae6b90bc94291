// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sandbox's shape (mount table, headers, the legacy mount path) and the
 * CLI's contract (help, version, errors, exit codes).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/sandbox.h"
#include "sbtest.h"

TestSuite(sandbox, .fini = sbt_cleanup);

/* Mount points (field 5 of mountinfo) of a probe's mountinfo dump. */
static size_t mount_points(const struct sbt_out *out, char ***points)
{
	size_t n = 0;
	char *copy = strdup(out->text), *save = NULL;

	*points = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[4096];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 || mp[0] != '/')
			continue;
		*points = realloc(*points, (n + 1) * sizeof(char *));
		(*points)[n++] = strdup(mp);
	}
	free(copy);
	return n;
}

static bool starts_with_dir(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 && (path[len] == 0 || path[len] == '/');
}

static bool mount_expected(const char *mp, const char *kver, const char *rw)
{
	static const char *const fixed[] = {"/", "/usr", "/usr/src", "/usr/lib/modules",
					    "/usr/local", "/proc", "/dev", "/tmp", SBT_PROBE_DIR, NULL};
	char hdr[256];

	for (int i = 0; fixed[i]; i++)
		if (strcmp(mp, fixed[i]) == 0)
			return true;
	snprintf(hdr, sizeof(hdr), "/usr/src/linux-headers-%s", kver);
	if (starts_with_dir(mp, "/etc") || starts_with_dir(mp, "/proc") ||
	    starts_with_dir(mp, "/dev") || strncmp(mp, hdr, strlen(hdr) - strlen("amd64")) == 0)
		return true;
	return strcmp(mp, rw) == 0;
}

Test(sandbox, mount_table_lists_only_toolchain_headers_binds_and_pseudo_fs, .timeout = 60)
{
	cleanup_free char *kver = sbt_installed_kernel();
	cleanup_free char *rw = sbt_mkdtemp(NULL);
	struct sbt_opts o = {.kernel = kver, .rw = {rw}};
	struct sbt_out out = {0};
	char **mp;
	size_t n;
	bool saw_headers = false;

	sbt_probe(&o, &out, "mountinfo", NULL);
	n = mount_points(&out, &mp);
	cr_assert_gt(n, 5, "no mount table in:\n%s", out.text);
	for (size_t i = 0; i < n; i++) {
		cr_expect(mount_expected(mp[i], kver, rw), "unexpected mount %s in the sandbox", mp[i]);
		if (strstr(mp[i], "/usr/src/linux-headers-"))
			saw_headers = true;
		free(mp[i]);
	}
	free(mp);
	cr_expect(saw_headers, "the kernel headers are not mounted:\n%s", out.text);
	sbt_out_free(&out);
}

Test(sandbox, usr_src_shows_only_this_kernels_headers, .timeout = 60)
{
	cleanup_free char *kver = sbt_installed_kernel();
	struct sbt_opts o = {.kernel = kver};
	struct sbt_out out = {0};
	char *argv[] = {"/bin/sh", "-c", "ls /usr/src; ls /lib/modules; ls /usr/lib/linux-kbuild-*/scripts/mod/modpost", NULL};

	cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
	cr_assert_eq(out.res.exit_status, 0, "%s", out.text);
	cr_expect(strstr(out.text, "googletest") == NULL && strstr(out.text, "python3") == NULL,
		  "other sources of /usr/src are visible:\n%s", out.text);
	cr_expect(sbt_has(&out, "linux-headers-"), "%s", out.text);
	cr_expect(sbt_has(&out, "modpost"), "kbuild's scripts are not reachable:\n%s", out.text);
	sbt_out_free(&out);
}

static const char *fmt_what(const char *path)
{
	static char what[4200];

	snprintf(what, sizeof(what), "write %s", path);
	return what;
}

/* The mount(2) + libmount path keeps the same flags as the new mount API. */
Test(sandbox, legacy_mount_api_is_equally_readonly, .timeout = 60)
{
	cleanup_free char *kver = sbt_installed_kernel();
	cleanup_free char *rw = sbt_mkdtemp(NULL);
	struct sbt_opts o = {.kernel = kver, .rw = {rw}};
	struct sbt_out out = {0};
	char target[4096];

	setenv("DKMS_SANDBOX_MOUNT_API", "legacy", 1);
	sbt_probe(&o, &out, "write", "/usr/dkms-sandbox-test", NULL);
	sbt_assert_failed_with(&out, "write /usr/dkms-sandbox-test", EROFS);
	sbt_out_free(&out);
	snprintf(target, sizeof(target), "/lib/modules/%s/build/Makefile.dks", kver);
	sbt_probe(&o, &out, "write", target, NULL);
	sbt_assert_failed_with(&out, fmt_what(target), EROFS);
	sbt_out_free(&out);
	snprintf(target, sizeof(target), "%s/ok", rw);
	sbt_probe(&o, &out, "write", target, NULL);
	sbt_assert_ok(&out, fmt_what(target));
	sbt_out_free(&out);
	unsetenv("DKMS_SANDBOX_MOUNT_API");
}

/* The sandbox knows nothing of dkms: missing headers are a typed reason,
 * which the CLI turns into dkms's 21. */
Test(sandbox, missing_kernel_headers_is_a_typed_reason_naming_the_kernel)
{
	struct dks_sandbox *sb = NULL;
	struct dks_error err = {0};
	char out[4096];

	cr_assert_eq(dks_sandbox_new(&sb, &err), 0);
	cr_assert_lt(dks_sandbox_set_kernel(sb, "0.0.0-nope", NULL, &err), 0);
	cr_expect_eq(err.reason, DKS_SANDBOX_NO_HEADERS);
	cr_expect_eq(err.exit_code, 1, "the sandbox set an exit code: %d", err.exit_code);
	cr_expect(strstr(err.msg, "0.0.0-nope") != NULL, "%s", err.msg);
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s sandbox run -k 0.0.0-nope -- /bin/true",
			    getenv("DKS_BIN")), 21, "sandbox run -k without headers: %s", out);
	cr_expect_lt(dks_sandbox_set_kernel(sb, "../../etc", NULL, &err), 0);
	cr_expect(strstr(err.msg, "not a kernel release") != NULL, "%s", err.msg);
	dks_sandbox_free(sb);
}

Test(sandbox, bind_destination_must_be_absolute_without_dotdot)
{
	struct dks_sandbox *sb = NULL;
	struct dks_error err = {0};

	cr_assert_eq(dks_sandbox_new(&sb, &err), 0);
	cr_expect_lt(dks_sandbox_add_bind(sb, "/tmp", "/a/../../etc", true, &err), 0);
	cr_expect_lt(dks_sandbox_add_bind(sb, "/tmp", "relative", true, &err), 0);
	cr_expect_lt(dks_sandbox_add_bind(sb, "/nonexistent-src", NULL, false, &err), 0);
	cr_expect(strstr(err.msg, "/nonexistent-src") != NULL, "%s", err.msg);
	cr_expect_eq(dks_sandbox_add_bind(sb, "/tmp", "/a/..b", true, &err), 0, "%s", err.msg);
	dks_sandbox_free(sb);
}

Test(sandbox, build_user_root_is_refused)
{
	struct dks_sandbox *sb = NULL;
	struct dks_error err = {0};

	cr_assert_eq(dks_sandbox_new(&sb, &err), 0);
	cr_expect_lt(dks_sandbox_set_user(sb, "root", &err), 0);
	cr_expect(strstr(err.msg, "must not be root") != NULL, "%s", err.msg);
	cr_expect_lt(dks_sandbox_set_user(sb, "no-such-user-xyz", &err), 0);
	dks_sandbox_free(sb);
}

/* ---- the CLI ---- */

struct cli {
	int status;
	char out[8192];
};

static void run_cli(struct cli *c, const char *args)
{
	char cmd[4096];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", getenv("DKS_BIN"), args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(c->out, 1, sizeof(c->out) - 1, p);
	c->out[n] = 0;
	c->status = pclose(p);
	cr_assert(WIFEXITED(c->status), "%s: %s", args, c->out);
	c->status = WEXITSTATUS(c->status);
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(cli, version_and_help)
{
	struct cli c;

	run_cli(&c, "--version");
	cr_expect_eq(c.status, 0);
	cr_expect(strstr(c.out, "dkms-sandbox 0.") != NULL, "%s", c.out);
	run_cli(&c, "--help");
	cr_expect_eq(c.status, 0);
	cr_expect(strstr(c.out, "sandbox") != NULL, "%s", c.out);
	run_cli(&c, "sandbox run --help");
	cr_expect_eq(c.status, 0);
	cr_expect(strstr(c.out, "--timeout") != NULL, "%s", c.out);
}

Test(cli, unknown_verb_is_one_line_exit_1)
{
	struct cli c;

	run_cli(&c, "frobnicate");
	cr_expect_eq(c.status, 1);
	cr_expect_eq(lines(c.out), 1, "%s", c.out);
	cr_expect(strstr(c.out, "frobnicate") != NULL, "%s", c.out);
}

Test(cli, bad_profile_names_file_and_line, .timeout = 30)
{
	char path[] = "/tmp/dks-profile-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	char args[256];
	struct cli c;

	cr_assert_geq(fd, 0);
	dprintf(fd, "name: bad\nseccomp:\n  allow: [read, sokcet]\n");
	close(fd);
	snprintf(args, sizeof(args), "sandbox run --profile %s -- /bin/true", path);
	run_cli(&c, args);
	unlink(path);
	cr_expect_eq(c.status, 125);
	cr_expect_eq(lines(c.out), 1, "%s", c.out);
	cr_expect(strstr(c.out, ":3:") != NULL && strstr(c.out, "sokcet") != NULL, "%s", c.out);
}

Test(cli, missing_command_and_headers_fail_clearly, .timeout = 30)
{
	struct cli c;

	run_cli(&c, "sandbox run --");
	cr_expect_eq(c.status, 125);
	cr_expect(strstr(c.out, "no command") != NULL, "%s", c.out);
	run_cli(&c, "sandbox run -k 0.0.0-nope -- /bin/true");
	cr_expect_eq(c.status, 21, "%s", c.out);
	cr_expect(strstr(c.out, "0.0.0-nope") != NULL, "%s", c.out);
	run_cli(&c, "sandbox run -- /no/such/command");
	cr_expect_eq(c.status, 127, "%s", c.out);
	cr_expect(strstr(c.out, "/no/such/command") != NULL, "%s", c.out);
}

Test(cli, exit_status_signal_and_timeout_codes, .timeout = 60)
{
	struct cli c;

	run_cli(&c, "sandbox run -- /bin/sh -c 'exit 7'");
	cr_expect_eq(c.status, 7, "%s", c.out);
	run_cli(&c, "sandbox run -- /bin/sh -c 'kill -TERM $$'");
	cr_expect_eq(c.status, 128 + 15, "%s", c.out);
	run_cli(&c, "sandbox run --timeout 1 -- /bin/sleep 30");
	cr_expect_eq(c.status, 124, "%s", c.out);
	cr_expect(strstr(c.out, "timed out") != NULL, "%s", c.out);
}

Test(cli, command_is_searched_in_the_sandbox_path_not_the_callers, .timeout = 30)
{
	char cmd[4096];

	/* The caller's PATH leads nowhere: "sh" must still be found. */
	snprintf(cmd, sizeof(cmd), "PATH=/nonexistent %s sandbox run -- sh -c 'exit 3' 2>/dev/null",
		 getenv("DKS_BIN"));
	cr_expect_eq(WEXITSTATUS(system(cmd)), 3);
}

/* sandbox run -k sets KERNELRELEASE (builds do not: test_canon.c); a
 * later --setenv changes it. */
Test(cli, sandbox_run_k_sets_kernelrelease, .timeout = 30)
{
	cleanup_free char *kver = sbt_installed_kernel();
	struct cli c;
	char args[1024], want[300];

	snprintf(args, sizeof(args), "sandbox run -k %s -- sh -c 'echo \"[$KERNELRELEASE]\"'", kver);
	run_cli(&c, args);
	snprintf(want, sizeof(want), "[%s]\n", kver);
	cr_expect_eq(c.status, 0, "%s", c.out);
	cr_expect(strstr(c.out, want), "%s", c.out); /* (ASan may add lines) */
	snprintf(args, sizeof(args),
		 "sandbox run -k %s --setenv KERNELRELEASE=x -- sh -c 'echo \"[$KERNELRELEASE]\"'", kver);
	run_cli(&c, args);
	cr_expect(strstr(c.out, "[x]\n"), "%s", c.out);
	run_cli(&c, "sandbox run -- sh -c 'echo \"[${KERNELRELEASE-unset}]\"'");
	cr_expect(strstr(c.out, "[unset]\n"), "%s", c.out);
}

/* The embedded profiles are compiled at build time (profiles/compile.c):
 * what the binary carries must be what parsing the YAML gives, and its
 * seccomp program what libseccomp compiles from it at run time. */
extern const char dks_embedded_default[], dks_embedded_strict[], dks_embedded_debug[];
int dks_seccomp_export(const struct dks_profile *p, int fd, struct dks_error *err);

static void expect_same_strv(char **a, size_t na, char **b, size_t nb, const char *what)
{
	cr_assert_eq(na, nb, "%s: %zu vs %zu entries", what, na, nb);
	for (size_t i = 0; i < na; i++)
		cr_expect_str_eq(a[i], b[i], "%s[%zu]", what, i);
}

static void expect_same_bpf(const struct dks_profile *compiled, const struct dks_profile *parsed)
{
	struct dks_error err = {0};
	char buf[65536];
	int fd = memfd_create("bpf", 0);
	ssize_t n;

	cr_assert_geq(fd, 0);
	cr_assert_eq(dks_seccomp_export(parsed, fd, &err), 0, "%s", err.msg);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	cr_assert_not_null(compiled->bpf, "%s: no compiled seccomp program", compiled->name);
	cr_assert_eq((size_t)n, compiled->bpf_len, "%s: program size", compiled->name);
	cr_expect(memcmp(buf, compiled->bpf, (size_t)n) == 0, "%s: programs differ", compiled->name);
}

Test(sandbox, compiled_embedded_profiles_equal_the_yaml)
{
	const char *names[] = {"default", "strict", "debug"};
	const char *texts[] = {dks_embedded_default, dks_embedded_strict, dks_embedded_debug};

	for (int i = 0; i < 3; i++) {
		struct dks_profile *c = NULL, *p = NULL;
		struct dks_error err = {0};

		cr_assert_eq(dks_profile_load(names[i], &c, &err), 0, "%s", err.msg);
		cr_assert_eq(dks_profile_parse(texts[i], strlen(texts[i]), "t", &p, &err), 0, "%s",
			     err.msg);
		expect_same_strv(c->allow, c->n_allow, p->allow, p->n_allow, "allow");
		expect_same_strv(c->enosys, c->n_enosys, p->enosys, p->n_enosys, "enosys");
		expect_same_strv(c->etc, c->n_etc, p->etc, p->n_etc, "etc");
		cr_expect_eq(c->seccomp_mode, p->seccomp_mode);
		cr_expect(c->deny_namespace_clone == p->deny_namespace_clone &&
			  c->deny_setid_mode == p->deny_setid_mode &&
			  c->deny_tty_injection == p->deny_tty_injection && c->landlock == p->landlock);
		cr_expect(memcmp(&c->limits, &p->limits, sizeof(c->limits)) == 0, "%s limits", names[i]);
		expect_same_bpf(c, p);
		dks_profile_free(c);
		dks_profile_free(p);
	}
}

/* A caller that dropped from root to a user without exec is not dumpable:
 * it cannot map the namespace it creates, and must be told so. */
Test(sandbox, non_dumpable_caller_gets_a_clear_error, .timeout = 30)
{
	int fds[2];
	pid_t pid;
	char msg[1024] = "";
	ssize_t n;
	int st;

	cr_assert_eq(geteuid(), 0, "run the tests as root (make check)");
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		struct dks_sandbox *sb = NULL;
		struct dks_error err = {0};
		struct dks_sandbox_result res;
		char *argv[] = {"/bin/true", NULL};

		close(fds[0]);
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) || dks_sandbox_new(&sb, &err) < 0)
			_exit(2);
		dks_sandbox_set_stdio(sb, 0, 1, open("/dev/null", O_WRONLY));
		if (dks_sandbox_run(sb, argv, &res, &err) == 0)
			_exit(3);
		n = write(fds[1], err.msg, strlen(err.msg));
		_exit(n > 0 ? 0 : 4);
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);
	msg[n > 0 ? n : 0] = 0;
	cr_expect(strstr(msg, "not dumpable") != NULL, "%s", msg);
}

/* A passed fd (a make jobserver) reaches the command at 3; nothing else. */
Test(sandbox, passed_fd_reaches_the_command_and_nothing_else, .timeout = 30)
{
	struct dks_sandbox *sb = NULL;
	struct dks_error err = {0};
	struct dks_sandbox_result res;
	char *argv[] = {"/bin/sh", "-c", "echo token >&3 && ! { true >&4; } 2>/dev/null", NULL};
	int p[2], devnull = open("/dev/null", O_WRONLY);
	char buf[64] = "";
	ssize_t n;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(dks_sandbox_new(&sb, &err), 0);
	dks_sandbox_set_stdio(sb, devnull, devnull, devnull);
	cr_assert_eq(dks_sandbox_pass_fd(sb, p[1], &err), 3);
	cr_assert_eq(dks_sandbox_run(sb, argv, &res, &err), 0, "%s", err.msg);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	cr_expect_eq(res.outcome, DKS_SANDBOX_EXITED);
	cr_expect_eq(res.exit_status, 0, "fd 4 was open, or writing fd 3 failed");
	cr_expect(n > 0 && strncmp(buf, "token", 5) == 0, "got '%s'", buf);
	dks_sandbox_result_clear(&res);
	dks_sandbox_free(sb);
	close(p[0]);
	close(devnull);
}

/* Tools of the toolchain behave as on the host: grep 3.8 drains a pipe
 * into /dev/null with splice, and a denial turns `cmd | grep x >/dev/null`
 * into exit 2, a configure test's silent other branch (openafs's egrep
 * check did). Every profile a build may run under. */
Test(sandbox, grep_into_dev_null_from_a_pipe_answers_as_on_the_host, .timeout = 60)
{
	const char *const profiles[] = {"default", "strict", NULL};
	char *argv[] = {"/bin/sh", "-c",
			"seq 100000 | grep 99999 >/dev/null; echo rc=$?", NULL};

	for (int i = 0; profiles[i]; i++) {
		struct sbt_opts o = {.profile = profiles[i]};
		struct sbt_out out = {0};
		cleanup_free char *rc = NULL;

		cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
		rc = sbt_value(&out, "rc=");
		cr_expect_str_eq(rc ? rc : "", "0", "[%s] grep answered rc=%s:\n%s", profiles[i],
				 rc ? rc : "?", out.text);
		cr_expect_eq(out.res.n_denied, 0, "[%s] a denial:\n%s", profiles[i], out.text);
		sbt_out_free(&out);
	}
}
