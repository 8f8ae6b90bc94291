// SPDX-License-Identifier: GPL-2.0-or-later
/* Profiles: the embedded ones, and how a bad profile is reported. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dks/profile.h"

extern const char dks_embedded_default[], dks_embedded_strict[],
	dks_embedded_debug[];

static struct dks_profile *parse_ok(const char *text, const char *source)
{
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;
	int rc = dks_profile_parse(text, strlen(text), source, &p, &err);

	cr_assert_eq(rc, 0, "%s: %s", source, err.msg);
	cr_assert_not_null(p);
	return p;
}

/* Parse @text as "test.yaml"; it must fail, with a message holding every
 * string of @expect. */
static void parse_fails(const char *text, const char *const *expect)
{
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;
	int rc = dks_profile_parse(text, strlen(text), "test.yaml", &p, &err);

	cr_assert_lt(rc, 0, "parsed:\n%s", text);
	cr_assert_null(p);
	for (; *expect; expect++)
		cr_expect(strstr(err.msg, *expect), "'%s' not in: %s", *expect,
			  err.msg);
}
#define PARSE_FAILS(text, ...) \
	parse_fails(text, (const char *const[]){ __VA_ARGS__, NULL })

static bool allows(const struct dks_profile *p, const char *sc)
{
	for (size_t i = 0; i < p->n_allow; i++)
		if (strcmp(p->allow[i], sc) == 0)
			return true;
	return false;
}

/* A file under /tmp named ...@suffix holding @text; the caller unlinks. */
static char *temp_profile(const char *text, const char *suffix)
{
	char *path;
	FILE *f;
	int fd;

	cr_assert(asprintf(&path, "/tmp/dks-profile-XXXXXX%s", suffix) > 0);
	fd = mkstemps(path, (int)strlen(suffix));
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

Test(profile, embedded_default_parses)
{
	struct dks_profile *p = parse_ok(dks_embedded_default,
					 "<embedded>/default.yaml");

	cr_expect_str_eq(p->name, "default");
	cr_expect_eq(p->seccomp_mode, DKS_SECCOMP_ENFORCE);
	cr_expect_gt(p->n_allow, 100);
	dks_profile_free(p);
}

Test(profile, embedded_strict_parses)
{
	struct dks_profile *p = parse_ok(dks_embedded_strict,
					 "<embedded>/strict.yaml");

	cr_expect_str_eq(p->name, "strict");
	cr_expect_eq(p->seccomp_mode, DKS_SECCOMP_ENFORCE);
	dks_profile_free(p);
}

Test(profile, embedded_debug_parses)
{
	struct dks_profile *p = parse_ok(dks_embedded_debug,
					 "<embedded>/debug.yaml");

	cr_expect_str_eq(p->name, "debug");
	dks_profile_free(p);
}

Test(profile, default_allows_openat)
{
	struct dks_profile *p = parse_ok(dks_embedded_default, "default.yaml");

	cr_expect(allows(p, "openat"));
	cr_expect(allows(p, "setresuid"), "make breaks without setresuid");
	dks_profile_free(p);
}

Test(profile, default_denies_escape_syscalls)
{
	static const char *const never[] = {
		"socket",      "socketpair", "connect",   "mount",
		"umount2",     "pivot_root", "ptrace",    "unshare",
		"setns",       "bpf",        "keyctl",    "io_uring_setup",
		"userfaultfd", "init_module", "finit_module", "perf_event_open",
		"open_by_handle_at", "personality", "seccomp", "chroot",
		"setuid",      "setgid",     "mknod",     "mknodat",
		"chown",       "fchownat",   "openat2",
	};
	struct dks_profile *p = parse_ok(dks_embedded_default, "default.yaml");

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		cr_expect(!allows(p, never[i]), "default allows %s", never[i]);
	dks_profile_free(p);
}

Test(profile, default_makes_clone3_enosys)
{
	struct dks_profile *p = parse_ok(dks_embedded_default, "default.yaml");

	cr_assert_eq(p->n_enosys, 1);
	cr_expect_str_eq(p->enosys[0], "clone3");
	cr_expect(!allows(p, "clone3"));
	dks_profile_free(p);
}

Test(profile, default_has_documented_limits_and_rules)
{
	struct dks_profile *p = parse_ok(dks_embedded_default, "default.yaml");

	cr_expect_eq(p->limits.timeout, 3600);
	cr_expect_eq(p->limits.memory, 8ULL << 30);
	cr_expect_eq(p->limits.file_size, 4ULL << 30);
	cr_expect_eq(p->limits.open_files, 4096);
	cr_expect_eq(p->limits.processes, 1024);
	cr_expect_eq(p->limits.tmp_size, 1ULL << 30);
	cr_expect_eq(p->limits.build_size, 4ULL << 30);
	cr_expect_eq(p->limits.output, 64ULL << 20);
	cr_expect(p->deny_namespace_clone && p->deny_setid_mode &&
		  p->deny_tty_injection && p->landlock);
	cr_expect_eq(p->n_etc, 4);
	dks_profile_free(p);
}

Test(profile, debug_mode_is_log)
{
	struct dks_profile *p = parse_ok(dks_embedded_debug, "debug.yaml");

	cr_expect_eq(p->seccomp_mode, DKS_SECCOMP_LOG);
	dks_profile_free(p);
}

Test(profile, debug_allows_what_default_allows)
{
	struct dks_profile *d = parse_ok(dks_embedded_default, "default.yaml");
	struct dks_profile *g = parse_ok(dks_embedded_debug, "debug.yaml");

	cr_assert_eq(g->n_allow, d->n_allow);
	for (size_t i = 0; i < d->n_allow; i++)
		cr_expect(allows(g, d->allow[i]), "debug lacks %s",
			  d->allow[i]);
	cr_expect_eq(g->limits.memory, d->limits.memory);
	cr_expect_eq(g->limits.timeout, d->limits.timeout);
	dks_profile_free(d);
	dks_profile_free(g);
}

Test(profile, strict_allows_only_what_default_allows)
{
	struct dks_profile *d = parse_ok(dks_embedded_default, "default.yaml");
	struct dks_profile *s = parse_ok(dks_embedded_strict, "strict.yaml");

	cr_expect_lt(s->n_allow, d->n_allow);
	for (size_t i = 0; i < s->n_allow; i++)
		cr_expect(allows(d, s->allow[i]), "%s is only in strict",
			  s->allow[i]);
	dks_profile_free(d);
	dks_profile_free(s);
}

Test(profile, strict_has_smaller_limits)
{
	struct dks_profile *s = parse_ok(dks_embedded_strict, "strict.yaml");

	cr_expect_eq(s->limits.timeout, 1800);
	cr_expect_eq(s->limits.memory, 4ULL << 30);
	cr_expect_eq(s->limits.file_size, 1ULL << 30);
	cr_expect_eq(s->limits.open_files, 1024);
	cr_expect_eq(s->limits.processes, 512);
	cr_expect_eq(s->limits.tmp_size, 512ULL << 20);
	cr_expect_eq(s->limits.build_size, 2ULL << 30);
	cr_expect_eq(s->limits.output, 16ULL << 20);
	dks_profile_free(s);
}

Test(profile, unknown_key_reports_line_and_key)
{
	PARSE_FAILS("name: t\n"
		    "seccomp:\n"
		    "  alow: [read]\n",
		    "test.yaml:3:", "unknown key 'alow'", "'seccomp'");
}

Test(profile, unknown_top_level_key_is_rejected)
{
	PARSE_FAILS("name: t\nlandlok: true\n", "test.yaml:2:", "'landlok'");
}

Test(profile, unknown_syscall_reports_line_and_name)
{
	PARSE_FAILS("seccomp:\n"
		    "  allow: [read,\n"
		    "    write,\n"
		    "    frobnicate]\n",
		    "test.yaml:4:", "unknown syscall 'frobnicate'");
}

Test(profile, allow_that_is_not_a_sequence_is_rejected)
{
	PARSE_FAILS("name: t\nseccomp:\n  allow: 5\n", "test.yaml:3:",
		    "'seccomp.allow' must be a sequence");
}

Test(profile, bool_that_is_not_true_or_false_is_rejected)
{
	PARSE_FAILS("landlock: yes\n", "test.yaml:1:", "'landlock'",
		    "true or false");
}

Test(profile, bad_size_suffix_is_rejected)
{
	PARSE_FAILS("limits:\n  timeout: 10\n  memory: 8X\n", "test.yaml:3:",
		    "'limits.memory'", "'8X'");
}

Test(profile, size_overflow_is_rejected)
{
	PARSE_FAILS("limits:\n  memory: 17179869184G\n", "test.yaml:2:",
		    "too large");
}

Test(profile, count_of_zero_is_rejected)
{
	PARSE_FAILS("limits:\n  open_files: 0\n", "test.yaml:2:",
		    "'limits.open_files'", "at least 1");
}

Test(profile, sizes_take_binary_suffixes)
{
	struct dks_profile *p = parse_ok("limits:\n"
					 "  memory: 2G\n"
					 "  file_size: 512M\n"
					 "  tmp_size: 64K\n",
					 "t.yaml");

	cr_expect_eq(p->limits.memory, 2ULL << 30);
	cr_expect_eq(p->limits.file_size, 512ULL << 20);
	cr_expect_eq(p->limits.tmp_size, 64ULL << 10);
	dks_profile_free(p);
}

Test(profile, plain_bytes_and_zero_are_sizes)
{
	struct dks_profile *p =
		parse_ok("limits: {memory: 0, tmp_size: 4096}\n", "t.yaml");

	cr_expect_eq(p->limits.memory, 0);
	cr_expect_eq(p->limits.tmp_size, 4096);
	dks_profile_free(p);
}

Test(profile, duplicate_syscall_is_rejected)
{
	PARSE_FAILS("seccomp:\n"
		    "  allow:\n"
		    "    - read\n"
		    "    - write\n"
		    "    - read\n",
		    "test.yaml:5:", "duplicate syscall 'read'", "line 3");
}

Test(profile, duplicate_key_is_rejected)
{
	PARSE_FAILS("landlock: true\nlandlock: false\n", "test.yaml:2:",
		    "duplicate key 'landlock'");
}

Test(profile, syscall_both_allowed_and_enosys_is_rejected)
{
	PARSE_FAILS("seccomp:\n"
		    "  allow: [read, clone3]\n"
		    "  enosys: [clone3]\n",
		    "test.yaml:3:", "'clone3'", "both");
}

Test(profile, allowing_inherited_enosys_syscall_is_rejected)
{
	PARSE_FAILS("seccomp:\n  allow: [read, clone3]\n", "test.yaml:2:",
		    "'clone3'", "default profile");
}

Test(profile, dotdot_in_etc_is_rejected)
{
	PARSE_FAILS("etc: [passwd,\n  ../shadow]\n", "test.yaml:2:",
		    "'../shadow'");
}

Test(profile, absolute_etc_entry_is_rejected)
{
	PARSE_FAILS("etc: [/etc/passwd]\n", "test.yaml:1:", "'/etc/passwd'",
		    "relative");
}

Test(profile, empty_etc_component_is_rejected)
{
	PARSE_FAILS("etc: [ssl//certs]\n", "test.yaml:1:", "'ssl//certs'");
	PARSE_FAILS("etc: [ssl/]\n", "test.yaml:1:", "'ssl/'");
	PARSE_FAILS("etc: ['']\n", "test.yaml:1:", "empty");
}

Test(profile, unknown_mode_is_rejected)
{
	PARSE_FAILS("seccomp:\n  mode: permissive\n", "test.yaml:2:",
		    "'permissive'", "enforce, log");
}

Test(profile, yaml_syntax_error_reports_line)
{
	PARSE_FAILS("name: t\nseccomp:\n  allow: [read\n", "test.yaml:");
}

Test(profile, second_document_is_rejected)
{
	PARSE_FAILS("name: a\n---\nname: b\n", "test.yaml:3:",
		    "one YAML document");
}

Test(profile, empty_profile_is_rejected)
{
	PARSE_FAILS("# nothing\n", "test.yaml", "empty");
}

Test(profile, missing_name_is_file_basename)
{
	struct dks_profile *p = parse_ok("landlock: false\n",
					 "/some/dir/mybuild.yaml");

	cr_expect_str_eq(p->name, "mybuild");
	cr_expect_str_eq(p->source, "/some/dir/mybuild.yaml");
	cr_expect(!p->landlock);
	dks_profile_free(p);
}

Test(profile, missing_sections_are_the_defaults)
{
	struct dks_profile *d = parse_ok(dks_embedded_default, "default.yaml");
	struct dks_profile *p = parse_ok("name: small\n"
					 "limits:\n"
					 "  memory: 1G\n",
					 "small.yaml");

	cr_expect_str_eq(p->name, "small");
	cr_expect_eq(p->limits.memory, 1ULL << 30);
	cr_expect_eq(p->limits.timeout, d->limits.timeout);
	cr_expect_eq(p->n_allow, d->n_allow);
	cr_expect_eq(p->n_enosys, 1);
	cr_expect_eq(p->n_etc, d->n_etc);
	cr_expect_eq(p->seccomp_mode, DKS_SECCOMP_ENFORCE);
	cr_expect(p->deny_namespace_clone);
	dks_profile_free(d);
	dks_profile_free(p);
}

Test(profile, given_list_replaces_default_list)
{
	struct dks_profile *p = parse_ok("seccomp:\n  allow: [read, write]\n",
					 "t.yaml");

	cr_expect_eq(p->n_allow, 2);
	cr_expect(allows(p, "write") && !allows(p, "openat"));
	cr_expect_null(p->allow[2]);
	dks_profile_free(p);
}

Test(profile, missing_file_error_names_file)
{
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;

	cr_assert_lt(dks_profile_load("/nonexistent/dir/p.yaml", &p, &err), 0);
	cr_expect(strstr(err.msg, "/nonexistent/dir/p.yaml"), "%s", err.msg);
	cr_expect_eq(err.errnum, ENOENT);
}

Test(profile, unknown_profile_lists_known_ones)
{
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;

	cr_assert_lt(dks_profile_load("paranoid", &p, &err), 0);
	cr_expect(strstr(err.msg, "unknown profile 'paranoid'"), "%s", err.msg);
	cr_expect(strstr(err.msg, "default, strict, debug"), "%s", err.msg);
}

Test(profile, builtin_name_loads)
{
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;

	cr_assert_eq(dks_profile_load("strict", &p, &err), 0, "%s", err.msg);
	cr_expect_str_eq(p->name, "strict");
	if (access("/etc/dkms-sandbox/profiles/strict.yaml", F_OK) != 0)
		cr_expect_str_eq(p->source, "<embedded>/strict.yaml");
	dks_profile_free(p);
}

Test(profile, file_path_loads)
{
	char *path = temp_profile("seccomp:\n  mode: log\n", ".yaml");
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;
	int rc = dks_profile_load(path, &p, &err);

	unlink(path);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_str_eq(p->source, path);
	cr_expect_eq(strncmp(p->name, "dks-profile-", 12), 0, "%s", p->name);
	cr_expect_eq(p->seccomp_mode, DKS_SECCOMP_LOG);
	dks_profile_free(p);
	free(path);
}

Test(profile, bad_file_error_names_file_and_line)
{
	char *path = temp_profile("name: x\nlimits:\n  speed: 9\n", "");
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;
	char *where;
	int rc = dks_profile_load(path, &p, &err);

	unlink(path);
	cr_assert_lt(rc, 0);
	cr_assert(asprintf(&where, "%s:3:", path) > 0);
	cr_expect(strstr(err.msg, where), "%s", err.msg);
	free(where);
	free(path);
}

Test(profile, directory_is_not_a_profile)
{
	struct dks_error err = { 0 };
	struct dks_profile *p = NULL;

	cr_assert_lt(dks_profile_load("/tmp/", &p, &err), 0);
	cr_expect(strstr(err.msg, "'/tmp/'"), "%s", err.msg);
}
