// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "dkmscli": dkms 3.x's command line (orchestrator/options.c,
 * optable.c, argrules.c, verbscan.c). First the command-line cases of
 * upstream dkms's run_test.sh (its run_with_expected_error cases about
 * arguments), each with upstream's exit code and the words of its message;
 * then the other rules dkms.in's parser applies, with dkms.in's codes;
 * then the forms and options scripts written for dkms pass. Every run
 * points the trees at a temporary directory.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "insttest.h"
#include "modtest.h"
#include "sbtest.h"

TestSuite(dkmscli, .fini = sbt_cleanup);

struct run {
	char out[65536];
	int code;
};

/* "$DKS_BIN ARGS" with empty temporary trees, stdout and stderr into
 * r->out, its exit code. */
static int ours(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ours(struct run *r, const char *fmt, ...)
{
	static char root[256];
	char args[4096];
	va_list ap;

	if (!root[0]) {
		char *dir = sbt_mkdtemp(NULL);

		snprintf(root, sizeof(root), "%s", dir);
		free(dir);
		sbt_must("mkdir -p %s/dkms %s/src %s/lib", root, root, root);
	}
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	r->code = sbt_sh(r->out, sizeof(r->out),
			 "%s %s --dkmstree %s/dkms --sourcetree %s/src --installtree %s/lib",
			 getenv("DKS_BIN"), args, root, root, root);
	return r->code;
}

/* ARGS exits @code and says @words. */
static void says(struct run *r, const char *args, int code, const char *words)
{
	ours(r, "%s", args);
	cr_expect_eq(r->code, code, "%s: exit %d, not %d: %s", args, r->code, code, r->out);
	cr_expect(strstr(r->out, words), "%s: '%s' not said: %s", args, words, r->out);
}

/* ARGS exits @code with one line holding @words. */
static void refused(const char *args, int code, const char *words)
{
	struct run r;

	says(&r, args, code, words);
	cr_expect_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1, "%s: not one line: %s", args,
		     r.out);
}

/* ---- upstream run_test.sh's command-line cases ---- */

Test(dkmscli, autoinstall_all_is_refused_with_5)
{
	refused("autoinstall --all", 5, "the action autoinstall does not support the --all parameter");
}

Test(dkmscli, autoinstall_with_a_repeated_k_is_refused_with_4)
{
	char *k = sbt_installed_kernel(), args[600];

	snprintf(args, sizeof(args), "autoinstall -k %s -k %s", k, k);
	refused(args, 4, "the action autoinstall does not support multiple kernel version "
			 "parameters on the command line");
	free(k);
}

Test(dkmscli, kernel_prerm_without_a_kernel_is_refused_with_4)
{
	refused("kernel_prerm", 4, "the action kernel_prerm requires exactly one kernel version "
				   "parameter on the command line");
}

Test(dkmscli, kernel_postinst_without_a_kernel_is_refused_with_4)
{
	refused("kernel_postinst", 4, "the action kernel_postinst requires exactly one kernel "
				      "version parameter on the command line");
}

Test(dkmscli, match_with_the_template_as_its_kernel_is_refused_with_2)
{
	char *k = sbt_installed_kernel(), args[600];

	snprintf(args, sizeof(args), "match --templatekernel=%s -k %s", k, k);
	refused(args, 2, "the templatekernel and the specified kernel version are the same");
	snprintf(args, sizeof(args), "match --templatekernel %s -k %s -a any", k, k);
	refused(args, 2, "the templatekernel and the specified kernel version are the same");
	free(k);
}

/* ---- dkms.in's other argument rules ---- */

/* dkms reads M/V/X as version "V/X" of M, one no tree holds: add, build
 * and install find no source (2), remove, unbuild and uninstall no such
 * m/v (3), each dkms 3.0.10's code and words. */
Test(dkmscli, a_version_holding_a_slash_is_one_that_is_not_there)
{
	struct run r;

	says(&r, "build hello/1.0/x86_64 -k 1", 2, "Could not find module source directory");
	says(&r, "install hello/1.0/x -k 1", 2, "hello-1.0/x does not exist");
	says(&r, "add hello/1.0/x", 2, "Could not find module source directory");
	says(&r, "remove hello/1.0/x --all", 3, "hello-1.0/x is not located in the DKMS tree");
	says(&r, "unbuild hello/1.0/x -k 1", 3, "is not located in the DKMS tree");
	says(&r, "uninstall hello/1.0/x -k 1", 3, "is not located in the DKMS tree");
}

/* dkms's status globs its tree: M/V/ARCH, or a name with "..", matches
 * nothing: no line, exit 0, never a path outside the tree. */
Test(dkmscli, status_of_a_name_no_module_can_have_is_empty_and_0)
{
	const char *forms[] = {"hello/1.0/x86_64", "../x", "hello/..", "-m .. -v 1"};
	struct run r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
		ours(&r, "status %s", forms[i]);
		cr_expect_eq(r.code, 0, "status %s: exit %d: %s", forms[i], r.code, r.out);
		cr_expect_str_eq(r.out, "", "status %s", forms[i]);
	}
	ours(&r, "status hello/1.0/x86_64 --json");
	cr_expect_str_eq(r.out, "[]\n", "--json: %s", r.out);
}

Test(dkmscli, a_verb_without_module_and_version_is_refused_with_1)
{
	const char *const verbs[] = {"build", "install", "uninstall", "unbuild", "remove"};
	char args[256];

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		refused(verbs[i], 1, "Arguments <module> and <module-version> are not specified");
		snprintf(args, sizeof(args), "%s -m hello", verbs[i]);
		refused(args, 1, "Arguments <module> and <module-version> are not specified");
	}
	refused("add -v 1.0", 1, "Arguments <module> and <module-version> are not specified");
}

Test(dkmscli, an_unknown_option_is_refused_with_2)
{
	refused("status --frobnicate", 2, "unknown option: --frobnicate");
	refused("--frobnicate status", 2, "unknown option: --frobnicate");
	refused("status -kfoo", 2, "unknown option: -kfoo"); /* dkms: no attached values */
	refused("status - ", 2, "unknown option: - (");
}

Test(dkmscli, two_actions_are_refused_with_4)
{
	refused("build remove -m hello -v 1.0", 4, "more than one action");
}

Test(dkmscli, all_with_a_kernel_is_2_and_with_an_arch_3)
{
	refused("remove -m hello -v 1.0 --all -k 1.2.3", 2, "kernel version and also --all");
	refused("remove -m hello -v 1.0 --all -a x86_64", 3, "an arch and also --all");
}

Test(dkmscli, several_arches_need_one_kernel_each)
{
	refused("remove hello/1.0 -k 1.2.3 -a x86_64 -a i386", 1, "one kernel version for each");
	refused("remove hello/1.0 -k 1.2.3/x86_64 -k 1.2.4 -a i386 -a arm64", 1,
		"3 arches and 2 kernel versions");
}

Test(dkmscli, add_and_install_refuse_all_with_5)
{
	refused("add hello/1.0 --all", 5, "the action add does not support the --all parameter");
	refused("install hello/1.0 --all", 5,
		"the action install does not support the --all parameter");
	refused("kernel_postinst --all", 5, "does not support the --all parameter");
}

Test(dkmscli, binaries_only_with_source_only_is_refused_with_8)
{
	struct run r;

	/* each also says it means nothing here: three lines */
	says(&r, "status --binaries-only --source-only", 8, "both --binaries-only and --source-only");
}

Test(dkmscli, an_empty_kernel_or_arch_is_refused_with_16)
{
	refused("remove hello/1.0 -k ''", 16, "empty kernelver[0]");
	refused("remove hello/1.0 -k 1.2.3/", 16, "empty arch[0]");
}

/* dkms's read_arg: an option's value missing at the end is "". */
Test(dkmscli, a_missing_value_at_the_end_is_empty)
{
	char *dir = sbt_mkdtemp(NULL), out[4096];

	cr_expect_eq(sbt_sh(out, sizeof(out), "%s remove hello/1.0 --dkmstree %s -k", getenv("DKS_BIN"),
			    dir), 16, "%s", out);
	cr_expect(strstr(out, "empty kernelver[0]"), "%s", out);
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s remove hello/1.0 --dkmstree %s -m", getenv("DKS_BIN"),
			    dir), 1, "%s", out);
	cr_expect(strstr(out, "<module> and <module-version> are not specified"), "%s", out);
	free(dir);
}

Test(dkmscli, an_unknown_action_is_one_line_and_exit_1)
{
	refused("--dkmstree /nonexistent frobnicate", 1, "unknown action 'frobnicate'");
}

/* ---- the forms scripts written for dkms use ---- */

/* Each spelling reaches the verb with hello/1.0 (not added: dkms's 3). */
Test(dkmscli, every_module_form_names_the_module)
{
	const char *const forms[] = {
	    "remove hello/1.0",          "remove -m hello/1.0",       "remove -m hello -v 1.0",
	    "-m hello -v 1.0 remove",    "--module hello -v 1.0 remove", "remove --module=hello/1.0",
	    "-v 1.0 remove --module-version 1.0 -m hello", "remove -k 1.2.3 hello/1.0 --kernelver=1.2.4",
	};
	struct run r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		says(&r, forms[i], 3, "hello/1.0: not added");
}

/* --kernelver K, --kernelver=K and -k K/ARCH all name kernel K. */
Test(dkmscli, every_kernel_form_names_the_kernel)
{
	/* build: the headers are looked for first (kernel_postinst of an
	 * empty tree has nothing to do, whatever the kernel: 0) */
	const char *const forms[] = {"build hello/1.0 --kernelver 0.0.0-nope",
				     "build hello/1.0 --kernelver=0.0.0-nope",
				     "-k 0.0.0-nope/x86_64 build hello/1.0"};
	struct run r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		says(&r, forms[i], 21, "kernel 0.0.0-nope: no headers");
}

/* dkms's pairing: one -a for every -k; or one per -k in order, a -k K/A
 * counting as one (unbuild says each kernel and arch it looked at). */
Test(dkmscli, arches_pair_with_kernels_as_dkms_pairs_them)
{
	char *dir = sbt_mkdtemp(NULL), out[4096];
	const char *const cases[][2] = {
	    {"-k k1 -k k2 -a a1", "k1, a1: not built\nhello/1.0, k2, a1: not built"},
	    {"-k k1/a1 -k k2 -a a2", "k1, a1: not built\nhello/1.0, k2, a2: not built"},
	    {"--arch=a3 --kernelver k1", "k1, a3: not built\n"},
	};

	sbt_must("mkdir -p %s/t/hello/1.0 %s/src/hello-1.0 && ln -s %s/src/hello-1.0 "
		 "%s/t/hello/1.0/source", dir, dir, dir, dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(sbt_sh(out, sizeof(out), "%s unbuild hello/1.0 %s --dkmstree %s/t "
				    "--sourcetree %s/src --installtree %s", getenv("DKS_BIN"),
				    cases[i][0], dir, dir, dir), 0, "%s: %s", cases[i][0], out);
		cr_expect(strstr(out, cases[i][1]), "%s: %s", cases[i][0], out);
	}
	free(dir);
}

/* toolchain's own words follow it; options may still come first. */
Test(dkmscli, options_before_toolchain_leave_its_words_in_place)
{
	struct run r;

	cr_expect_eq(ours(&r, "--profile default toolchain list"), 0, "%s", r.out);
	cr_expect(strstr(r.out, "NAME"), "%s", r.out);
}

Test(dkmscli, verb_help_exits_0_with_the_verbs_usage)
{
	const char *const verbs[] = {"add", "build", "unbuild", "remove", "install", "uninstall",
				     "match", "autoinstall", "kernel_postinst", "kernel_prerm",
				     "status", "generate-mok", "toolchain"};
	char want[128];
	struct run r;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		snprintf(want, sizeof(want), "Usage: dkms-sandbox %s ", verbs[i]);
		cr_expect_eq(ours(&r, "%s --help", verbs[i]), 0, "%s --help: %s", verbs[i], r.out);
		cr_expect(strstr(r.out, want), "%s --help: %s", verbs[i], r.out);
		cr_expect_eq(ours(&r, "-h %s -m x", verbs[i]), 0, "-h %s: %s", verbs[i], r.out);
		cr_expect(strstr(r.out, want), "-h %s: %s", verbs[i], r.out);
	}
	cr_expect_eq(ours(&r, "--all --help"), 0, "%s", r.out);
	cr_expect(strstr(r.out, "Verbs:"), "%s", r.out);
}

/* Called as dkms, the version line is dkms's (scripts parse it); as
 * dkms-sandbox, ours. -V and --version, anywhere. */
Test(dkmscli, version_is_dkms_line_as_dkms_and_ours_as_dkms_sandbox)
{
	char *dir = sbt_mkdtemp(NULL), out[512];

	sbt_must("ln -s %s %s/dkms", getenv("DKS_BIN"), dir);
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s/dkms --version", dir), 0, "%s", out);
	cr_expect_str_eq(out, "dkms-3.0.10\n");
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s/dkms build -m x -V", dir), 0, "%s", out);
	cr_expect_str_eq(out, "dkms-3.0.10\n");
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s status -V", getenv("DKS_BIN")), 0, "%s", out);
	cr_expect(strncmp(out, "dkms-sandbox ", 13) == 0 && !strchr(out, '\n')[1], "%s", out);
	free(dir);
}

/* Options dkms accepts that mean nothing in a sandbox: exit 0, one line
 * each, naming it. */
Test(dkmscli, dkms_options_without_meaning_here_are_one_line_each)
{
	const char *const opts[] = {"--no-initrd",	 "--no-clean-kernel", "--no-prepare-kernel",
				    "--symlink-modules", "--rpm_safe_upgrade", "--debug"};
	struct run r;
	char name[64];

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		snprintf(name, sizeof(name), "%.*s:", (int)strcspn(opts[i], "="), opts[i]);
		cr_expect_eq(ours(&r, "status %s", opts[i]), 0, "%s: %s", opts[i], r.out);
		cr_expect(strstr(r.out, name), "%s: %s", opts[i], r.out);
		cr_expect_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1, "%s: %s", opts[i], r.out);
	}
	/* and these are simply taken (mktarball's and ldtarball's too) */
	cr_expect_eq(ours(&r, "status --force-version-override --modprobe-on-install --no-depmod "
			      "--dkmsframework /nonexistent -j 3 --verbose --force --directive=MAKE=x "
			      "--binaries-only --archive=x.tar.gz"),
		     0, "%s", r.out);
	cr_expect_str_eq(r.out, "");
}

/* dkms's -q: nothing at all, the exit code alone. */
Test(dkmscli, quiet_prints_nothing_and_keeps_the_exit_code)
{
	struct run r;

	cr_expect_eq(ours(&r, "-q remove hello/1.0"), 3, "%s", r.out);
	cr_expect_str_eq(r.out, "");
	cr_expect_eq(ours(&r, "remove hello/1.0 --quiet"), 3, "%s", r.out);
	cr_expect_str_eq(r.out, "");
}

/* --sandbox-config is our YAML; -c is dkms's (a dkms.conf), never YAML. */
Test(dkmscli, sandbox_config_is_the_yaml_and_c_is_not)
{
	char *dir = sbt_mkdtemp(NULL), out[4096];

	sbt_must("mkdir -p %s/t/hello/1.0 %s/src/hello-1.0 && ln -s %s/src/hello-1.0 "
		 "%s/t/hello/1.0/source && echo 'dkmstree: %s/t' > %s/c.yaml && "
		 "echo 'no_such_key: 1' > %s/bad.yaml && cp %s/bad.yaml %s/bad.conf && "
		 "printf 'sourcetree: %s/src\ninstalltree: %s\n' >> %s/c.yaml",
		 dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s status --sandbox-config %s/c.yaml", getenv("DKS_BIN"),
			    dir), 0, "%s", out);
	cr_expect_str_eq(out, "hello/1.0: added\n");
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s status --dkmstree %s/t --sourcetree %s/src "
			    "--installtree %s --sandbox-config %s/bad.yaml", getenv("DKS_BIN"), dir,
			    dir, dir, dir), 1, "%s", out);
	cr_expect(strstr(out, "no_such_key"), "%s", out);
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s status --dkmstree %s/t --sourcetree %s/src "
			    "--installtree %s -c %s/bad.conf", getenv("DKS_BIN"), dir, dir, dir, dir),
		     0, "-c read a YAML: %s", out);
	/* The old spellings of --sandbox-config are refused, never ignored:
	 * the command would run with the machine's trees and key instead. */
	refused("status -c /etc/dkms-sandbox/config.yaml", 1, "--sandbox-config FILE");
	refused("install hello/1.0 --config=x.yml", 1, "--sandbox-config FILE");
	free(dir);
}

/* A stdout line printed before a stderr line comes first through one
 * pipe (apt's logs): stdout is line-buffered. POST_ADD fails after add's
 * "Creating symlink" line. */
Test(dkmscli, stdout_and_stderr_keep_their_order_in_one_pipe, .timeout = 120)
{
	struct mt_tree t;
	char out[65536];
	const char *link, *warn;

	mt_tree_make(&t);
	mt_module(&t, "order", "POST_ADD=\"fail.sh\"", "fail.sh", "#!/bin/sh\nexit 3\n");
	sbt_must("chmod 755 %s/src/order-1.0/fail.sh", t.root);
	cr_assert_eq(sbt_sh(out, sizeof(out), "%s add order/1.0 %s 2>&1 | cat", getenv("DKS_BIN"),
			    t.opts), 0, "%s", out);
	link = strstr(out, "Creating symlink");
	warn = strstr(out, "post_add");
	cr_assert(link && warn, "%s", out);
	cr_expect(link < warn, "stdout came after stderr:\n%s", out);
}

/* -c FILE: that dkms.conf instead of the module's, for add and build. */
Test(dkmscli, c_names_the_dkms_conf_add_and_build_read, .timeout = 300)
{
	struct mt_tree t;
	char out[65536];

	mt_tree_make(&t);
	mt_module(&t, "alt", "MAKE[0]=\"make -f ok.mk\"\nBUILT_MODULE_NAME[0]=\"missing\"", "ok.mk",
		  "all:\n\techo x > hello.ko\n");
	sbt_must("printf 'PACKAGE_NAME=alt\\nPACKAGE_VERSION=1.0\\nBUILT_MODULE_NAME[0]=hello\\n"
		 "DEST_MODULE_LOCATION[0]=/updates/dkms\\nSTRIP[0]=no\\nMAKE[0]=\"make -f ok.mk\"\\n'"
		 " > %s/alt.conf", t.root);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "add alt/1.0 -c %s/alt.conf", t.root), 0,
		     "%s", out);
	cr_expect_eq(mt_dks(&t, 240, out, sizeof(out), "build alt/1.0 -k %s", t.kver), 7,
		     "without -c, the module's own dkms.conf: %s", out);
	cr_expect_eq(mt_dks(&t, 240, out, sizeof(out), "-c %s/alt.conf build alt/1.0 -k %s", t.root,
			    t.kver), 0, "%s", out);
}

/* --verbose: make's output on stdout as it comes, make.log unchanged;
 * on a terminal with its control characters replaced. */
Test(dkmscli, verbose_shows_make_output_live_and_sanitized, .timeout = 300)
{
	struct mt_tree t;
	char out[65536], log[1024], cmd[4096];

	mt_tree_make(&t);
	mt_module(&t, "loud", "MAKE[0]=\"make -f loud.mk\"", "loud.mk",
		  "all:\n\t@printf 'LOUD-MARK \\033]0;pwned\\007\\n'; echo x > hello.ko\n");
	cr_assert_eq(mt_dks(&t, 240, out, sizeof(out), "build loud/1.0 -k %s", t.kver), 0, "%s", out);
	cr_expect_null(strstr(out, "LOUD-MARK"), "without --verbose: %s", out);
	snprintf(cmd, sizeof(cmd), "build loud/1.0 -k %s --force --verbose 2>/dev/null", t.kver);
	cr_assert_eq(mt_dks(&t, 240, out, sizeof(out), "%s", cmd), 0, "%s", out);
	cr_expect(strstr(out, "LOUD-MARK \033]0;pwned\007"), "a pipe gets the bytes: %s", out);
	mt_log_path(&t, "loud", log, sizeof(log));
	sbt_must("grep -q LOUD-MARK %s", log);
	cr_assert_eq(sbt_sh(out, sizeof(out), "script -qec '%s %s %s' /dev/null", getenv("DKS_BIN"),
			    cmd, t.opts), 0, "%s", out);
	cr_expect(strstr(out, "LOUD-MARK ?]0;pwned?"), "a terminal gets it sanitized: %s", out);
	cr_expect_null(strstr(out, "\033]0;"), "%s", out);
}

/* --modprobe-on-install loads only for the running kernel's /lib/modules:
 * an install anywhere else says, in one line, that nothing was loaded. */
Test(dkmscli, modprobe_on_install_loads_nothing_outside_lib_modules, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_assert_eq(hello_on(&t, "install", t.kver, "--modprobe-on-install"), 0, "%s", t.out);
	cr_expect(strstr(t.out, "--modprobe-on-install: "), "%s", t.out);
	cr_expect(strstr(t.out, "nothing loaded"), "%s", t.out);
	cr_assert_eq(hello_on(&t, "uninstall", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_expect_null(strstr(t.out, "modprobe"), "without the option: %s", t.out);
}

/* ---- upstream run_test.sh's "without headers" cases ---- */

/* build, autoinstall and kernel_postinst for a kernel without headers:
 * 21 and the headers' line, before anything runs; kernel_prerm of that
 * kernel: nothing to do, 0, silent (upstream's expected output is empty). */
Test(dkmscli, a_kernel_without_headers_is_21_and_prerm_is_silent, .timeout = 120)
{
	char *dir = sbt_mkdtemp(NULL), out[8192], opts[1024];
	const char *const verbs[] = {"build nh/1.0", "autoinstall", "kernel_postinst"};
	const char *k = "0.0.0-dks-noheaders";

	snprintf(opts, sizeof(opts), "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/lib",
		 dir, dir, dir);
	sbt_must("mkdir -p %s/dkms %s/lib %s/src/nh-1.0 && cd %s/src/nh-1.0 && printf '%%s\\n' "
		 "PACKAGE_NAME=nh PACKAGE_VERSION=1.0 BUILT_MODULE_NAME[0]=nh "
		 "DEST_MODULE_LOCATION[0]=/updates AUTOINSTALL=yes > dkms.conf && chmod -R a+rX %s",
		 dir, dir, dir, dir, dir);
	cr_assert_eq(sbt_sh(out, sizeof(out), "%s add nh/1.0 %s 2>&1", getenv("DKS_BIN"), opts), 0,
		     "%s", out);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		int rc = sbt_sh(out, sizeof(out), "%s %s -k %s %s 2>&1", getenv("DKS_BIN"), verbs[i],
				k, opts);

		cr_expect_eq(rc, 21, "%s: exit %d: %s", verbs[i], rc, out);
		cr_expect(strstr(out, "no headers at "), "%s: %s", verbs[i], out);
		cr_expect(!strstr(out, "building"), "%s started a build: %s", verbs[i], out);
	}
	cr_expect_eq(sbt_sh(out, sizeof(out), "%s kernel_prerm -k %s %s 2>&1", getenv("DKS_BIN"), k,
			    opts), 0, "%s", out);
	cr_expect_str_eq(out, "", "kernel_prerm of a kernel with nothing installed says nothing");
	free(dir);
}

/* --directive NAME=VALUE sets NAME after the dkms.conf (and its overrides),
 * as dkms's read_conf does; NAME must be a shell variable name, and never
 * one of the driver's own (__dks*): one line, exit 1. */
Test(dkmscli, directive_sets_a_directive_after_the_dkms_conf, .timeout = 300)
{
	struct mt_tree t;
	char out[65536];

	mt_tree_make(&t);
	mt_module(&t, "dir", "MAKE[0]=\"make -f ok.mk\"\nBUILT_MODULE_NAME[0]=\"hello\"\n"
		  "STRIP[0]=no\nBUILD_EXCLUSIVE_KERNEL=\"^none$\"", "ok.mk",
		  "all:\n\techo x > hello.ko\n");
	cr_assert_eq(mt_dks(&t, 60, out, sizeof(out), "add dir/1.0"), 0, "%s", out);
	cr_expect_eq(mt_dks(&t, 240, out, sizeof(out), "build dir/1.0 -k %s", t.kver), 77,
		     "the conf's BUILD_EXCLUSIVE_KERNEL: %s", out);
	cr_expect_eq(mt_dks(&t, 240, out, sizeof(out),
			    "build dir/1.0 -k %s --directive 'BUILD_EXCLUSIVE_KERNEL=.*'", t.kver),
		     0, "the directive's: %s", out);
	for (const char *const *bad = (const char *const[]){"1X=y", "A-B=y", "NOEQUALS",
							    "__dks_out=1", "=y", NULL};
	     *bad; bad++) {
		cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "status --directive '%s'", *bad), 1,
			     "%s: %s", *bad, out);
		cr_expect(strstr(out, "--directive") && strchr(out, '\n') == out + strlen(out) - 1,
			  "%s: one line: %s", *bad, out);
	}
}
