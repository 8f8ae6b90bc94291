// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms's own configuration (docs/framework.md): framework.conf and its .d
 * drop-ins, evaluated in a sandbox and checked; the per-module overrides
 * in the dkms conf dir; no-autoinstall; post_transaction, only from root's
 * files. In temporary trees only (insttest.h): the framework file is
 * <tmp>/etc/framework.conf (--dkmsframework), the conf dir <tmp>/etc
 * (dkms_confdir), and the trees and keys come from the framework file,
 * not from options, so that every run below goes through it.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insttest.h"
#include "sbtest.h"

TestSuite(framework, .fini = sbt_cleanup);

/* The trees and key of insttest.h, named by a framework file instead of
 * options (never dkms's /var/lib/dkms/mok.key); config.yaml names only the
 * os-release and the conf dir. */
static void fw_setup(struct it *t)
{
	setup(t);
	cr_assert_eq(sh(t, "cd %s && mkdir -p etc/framework.conf.d && "
			   "grep '^os_release:' config.yaml > fw.yaml && "
			   "echo \"dkms_confdir: $PWD/etc\" >> fw.yaml && "
			   "printf '# trees\\ndkms_tree=%%s/dkms\\nsource_tree=%%s/src\\n"
			   "install_tree=%%s/root/lib/modules\\nmok_signing_key=%%s/keys/mok.key\\n"
			   "mok_certificate=%%s/keys/mok.pub\\n' $PWD $PWD $PWD $PWD $PWD "
			   "> etc/framework.conf",
			t->root),
		     0, "%s", t->out);
}

/* Under AddressSanitizer (make check-asan), a sandbox's clone makes ASan
 * print three lines of its own on stderr: they are not ours. */
static void drop_sanitizer_lines(char *s)
{
	char *line = s, *out = s;

	while (*line) {
		size_t n = strcspn(line, "\n") + (line[strcspn(line, "\n")] == '\n');

		if (strncmp(line, "==", 2) != 0 && strncmp(line, "False positive error reports", 28) != 0 &&
		    strncmp(line, "For details see https://github.com/google/sanitizers", 52) != 0) {
			memmove(out, line, n);
			out += n;
		}
		line += n;
	}
	*out = '\0';
}

/* dkms-sandbox ARGS with the framework file and fw.yaml, no tree options. */
static int fw(struct it *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fw(struct it *t, const char *fmt, ...)
{
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	sh(t, "%s %s --sandbox-config %s/fw.yaml --dkmsframework %s/etc/framework.conf",
	   getenv("DKS_BIN"), args, t->root, t->root);
	drop_sanitizer_lines(t->out);
	return t->status;
}

/* Append @text (printf-escaped) to etc/@file. */
static void put(struct it *t, const char *file, const char *text)
{
	cr_assert_eq(sh(t, "printf '%s' >> %s/etc/%s", text, t->root, file), 0, "%s", t->out);
}

static int exists(struct it *t, const char *rel)
{
	return sh(t, "test -e %s/%s", t->root, rel) == 0;
}

Test(framework, trees_and_mok_key_come_from_framework_conf, .timeout = 300)
{
	struct it t;
	char line[1024];

	fw_setup(&t);
	sh(&t, "mkdir -m 700 %s/fwkeys", t.root);
	snprintf(line, sizeof(line), "mok_signing_key=%s/fwkeys/k.key\\nmok_certificate=%s/fwkeys/k.pub\\n",
		 t.root, t.root);
	put(&t, "framework.conf.d/keys.conf", line);
	put(&t, "framework.conf.d/modprobe.conf", "modprobe_on_install=true\n");
	cr_assert_eq(fw(&t, "install hello/1.0 -k %s", t.kver), 0, "%s", t.out);
	cr_expect(strstr(t.out, "installed (signed)") != NULL, "%s", t.out);
	/* modprobe_on_install is --modprobe-on-install: not the machine's
	 * /lib/modules here, so it says it loads nothing. */
	cr_expect(strstr(t.out, "--modprobe-on-install: ") && strstr(t.out, "nothing loaded"),
		  "modprobe_on_install taken as the option: %s", t.out);
	cr_expect(exists(&t, "dkms/hello/1.0/source"), "the framework's dkms_tree");
	snprintf(line, sizeof(line), "root/lib/modules/%s/updates/dkms/hello.ko", t.kver);
	cr_expect(exists(&t, line), "the framework's install_tree");
	cr_expect(exists(&t, "fwkeys/k.key") && exists(&t, "fwkeys/k.pub"),
		  "the key made at the framework's mok_signing_key/mok_certificate");
	sh(&t, "cd %s && openssl x509 -inform DER -in fwkeys/k.pub -noout -serial | cut -d= -f2 && "
	       "modinfo -F sig_key root/lib/modules/%s/updates/dkms/hello.ko | tr -d :",
	   t.root, t.kver);
	cr_expect(t.out[0] && strncmp(t.out, strchr(t.out, '\n') + 1, strcspn(t.out, "\n")) == 0,
		  "signed with the framework's key: %s", t.out);
}

Test(framework, yaml_overrides_framework_and_options_override_yaml, .timeout = 120)
{
	struct it t;

	fw_setup(&t);
	put(&t, "framework.conf.d/tree.conf", "dkms_tree=$source_tree/../fwtree\\n");
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect(exists(&t, "fwtree/hello/1.0/source"), "framework over the default");
	cr_assert_eq(sh(&t, "echo dkmstree: %s/yamltree >> %s/fw.yaml", t.root, t.root), 0, "%s",
		     t.out);
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect(exists(&t, "yamltree/hello/1.0/source"), "config.yaml over the framework");
	cr_assert_eq(fw(&t, "add hello/1.0 --dkmstree %s/clitree", t.root), 0, "%s", t.out);
	cr_expect(exists(&t, "clitree/hello/1.0/source"), "the option over config.yaml");
}

Test(framework, parallel_jobs_is_what_the_dkms_conf_sees, .timeout = 120)
{
	struct it t;

	fw_setup(&t);
	cr_assert_eq(sh(&t, "echo '[ \"$parallel_jobs\" = 3 ] || exit 1' >> %s/src/hello-1.0/dkms.conf",
			t.root), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "add hello/1.0"), 8, "no parallel_jobs yet: %s", t.out);
	put(&t, "framework.conf", "parallel_jobs=3\\n");
	cr_expect_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "remove hello/1.0 --all -j %s", "2"), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "add hello/1.0 -j %s", "2"), 8, "-j over parallel_jobs: %s", t.out);
}

Test(framework, autoinstall_all_kernels_is_what_common_postinst_reads)
{
	struct it t;

	fw_setup(&t);
	cr_assert_eq(fw(&t, "framework autoinstall_all_kernels"), 0, "%s", t.out);
	cr_expect_str_eq(t.out, "\n", "unset: empty");
	put(&t, "framework.conf.d/all.conf", "autoinstall_all_kernels=yes\\n");
	cr_assert_eq(fw(&t, "framework autoinstall_all_kernels"), 0, "%s", t.out);
	cr_expect_str_eq(t.out, "yes\n");
	cr_assert_eq(sh(&t, "grep -c 'dkms framework autoinstall_all_kernels' %s/dist/common.postinst",
			getenv("DKS_SRCDIR")), 0, "common.postinst asks dkms-sandbox: %s", t.out);
}

Test(framework, unknown_key_warns_once_naming_file_and_key)
{
	struct it t;
	char want[512];

	fw_setup(&t);
	put(&t, "framework.conf.d/typo.conf", "dkms_tre=/x\\n");
	cr_assert_eq(fw(&t, "status"), 0, "%s", t.out);
	snprintf(want, sizeof(want),
		 "dkms-sandbox: warning: %s/etc/framework.conf.d/typo.conf: unknown key 'dkms_tre' "
		 "(ignored)\n", t.root);
	cr_expect_str_eq(t.out, want);
}

/* The files are read by the build uid: one it cannot read is an error
 * naming it, never an empty file (its post_transaction silently lost). */
Test(framework, unreadable_file_is_an_error_naming_it)
{
	struct it t;

	fw_setup(&t);
	put(&t, "framework.conf.d/secret.conf", "parallel_jobs=2\n");
	cr_assert_eq(sh(&t, "chmod 600 %s/etc/framework.conf.d/secret.conf", t.root), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "status"), 1, "%s", t.out);
	cr_expect(strstr(t.out, "framework.conf.d/secret.conf: Permission denied") != NULL, "%s",
		  t.out);
}

Test(framework, syntax_error_is_an_error_naming_the_file)
{
	struct it t;

	fw_setup(&t);
	put(&t, "framework.conf.d/broken.conf", "if then\n");
	cr_expect_eq(fw(&t, "status"), 1, "%s", t.out);
	cr_expect(strstr(t.out, "syntax error") && strstr(t.out, "in ") &&
		      strstr(t.out, "/etc/framework.conf.d/broken.conf\n"),
		  "%s", t.out);
}

/* Debian's framework.conf is all comments: nothing runs for it (here: the
 * profile, needed only to evaluate, is never loaded). */
Test(framework, comment_only_files_start_no_sandbox)
{
	struct it t;

	fw_setup(&t);
	cr_assert_eq(sh(&t, "cd %s/etc && mv framework.conf trees.conf && "
			    "printf '# parallel_jobs=2\\n\\n  # x\\n' > framework.conf", t.root), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "status --profile %s", "/nonexistent/profile.yaml"), 0, "%s", t.out);
	put(&t, "framework.conf", "verbose=1\\n");
	cr_expect_neq(fw(&t, "status --profile %s", "/nonexistent/profile.yaml"), 0, "%s", t.out);
}

Test(framework, no_autoinstall_turns_autoinstall_and_kernel_postinst_off, .timeout = 120)
{
	struct it t;

	fw_setup(&t);
	cr_assert_eq(sh(&t, "echo AUTOINSTALL=yes >> %s/src/hello-1.0/dkms.conf && touch %s/etc/no-autoinstall",
			t.root, t.root), 0, "%s", t.out);
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "autoinstall -k %s", t.kver), 0, "%s", t.out);
	cr_expect_str_eq(t.out, "Automatic installation of modules has been disabled.\n");
	cr_expect_eq(fw(&t, "kernel_postinst -k %s", t.kver), 0, "%s", t.out);
	cr_expect_str_eq(t.out, "Automatic installation of modules has been disabled.\n");
	cr_expect_eq(fw(&t, "kernel_postinst"), 4, "the -k rule first, as dkms: %s", t.out);
	fw(&t, "status");
	cr_expect_str_eq(t.out, "hello/1.0: added\n", "nothing built");
}

/* ---- post_transaction ---- */

/* A post_transaction that records that it ran, with $kernelver, and
 * prints an escape sequence (a terminal title) and a bell. */
static void post_transaction(struct it *t, const char *file)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "post_transaction='\\''echo \"ran [$kernelver]\" > %s/ran; "
		 "printf \"\\\\033]0;title\\\\007visible\\\\n\"'\\''\\n", t->root);
	put(t, file, text);
}

Test(framework, post_transaction_runs_as_root_after_remove_not_after_add, .timeout = 120)
{
	struct it t;

	fw_setup(&t);
	post_transaction(&t, "framework.conf.d/initramfs.conf");
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect(!exists(&t, "ran"), "not after add");
	cr_assert_eq(fw(&t, "remove hello/1.0 --all"), 0, "%s", t.out);
	cr_expect(strstr(t.out, "Executing post-transaction command...\n") != NULL, "%s", t.out);
	cr_expect(strstr(t.out, "visible") && !strchr(t.out, '\033') && !strchr(t.out, '\007'),
		  "its output through the terminal filter: %s", t.out);
	sh(&t, "cat %s/ran && stat -c %%u %s/ran && cat %s/dkms/post_transaction.log", t.root,
	   t.root, t.root);
	cr_expect(strncmp(t.out, "ran []\n0\n", 9) == 0, "ran as root: %s", t.out);
	cr_expect(strstr(t.out, "visible") != NULL, "dkms's log: %s", t.out);
}

/* After an autoinstall only when a module is installed for the kernel
 * (installed now or before: dkms's installed_modules), with $kernelver
 * the -k kernel. */
Test(framework, post_transaction_runs_after_an_autoinstall_that_installed, .timeout = 300)
{
	struct it t;
	char want[300];

	fw_setup(&t);
	post_transaction(&t, "framework.conf.d/initramfs.conf");
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(fw(&t, "autoinstall -k %s", t.kver), 0, "%s", t.out);
	cr_expect(!exists(&t, "ran"), "no AUTOINSTALL module, nothing run: %s", t.out);
	cr_assert_eq(sh(&t, "echo AUTOINSTALL=yes >> %s/src/hello-1.0/dkms.conf", t.root), 0, "%s",
		     t.out);
	cr_assert_eq(fw(&t, "autoinstall -k %s", t.kver), 0, "%s", t.out);
	snprintf(want, sizeof(want), "ran [%s]\n", t.kver);
	sh(&t, "cat %s/ran", t.root);
	cr_expect_str_eq(t.out, want);
}

/* dkms sources the framework files as root: each way a file or a
 * directory above it could be someone else's stops the command as root,
 * with one line naming it; nothing of it is used, post_transaction never
 * runs. */
Test(framework, untrusted_framework_file_is_refused_as_root, .timeout = 300)
{
	static const char *const breaks[] = {
	    "chmod o+w etc/framework.conf.d/initramfs.conf",
	    "chmod g+w etc/framework.conf.d/initramfs.conf",
	    "chown 65534 etc/framework.conf.d/initramfs.conf",
	    "chmod o+w etc/framework.conf.d",
	    "chown 65534 etc",
	    "chmod o+w etc/framework.conf",
	    "touch etc/framework.conf.d/zz.conf && chmod a+w etc/framework.conf.d/zz.conf",
	};

	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		struct it t;

		fw_setup(&t);
		post_transaction(&t, "framework.conf.d/initramfs.conf");
		cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
		cr_assert_eq(sh(&t, "cd %s && %s", t.root, breaks[i]), 0, "%s", t.out);
		cr_expect_eq(fw(&t, "remove hello/1.0 --all"), 1, "%s: %s", breaks[i], t.out);
		cr_expect(strstr(t.out, "dkms-sandbox: ") && strstr(t.out, t.root) &&
			      strstr(t.out, ": not root's, or others may write it: "),
			  "%s: %s", breaks[i], t.out);
		cr_expect(!exists(&t, "ran"), "%s: it ran", breaks[i]);
		cr_expect(exists(&t, "dkms/hello/1.0/source"), "%s: the remove ran", breaks[i]);
	}
}

/* The dkms.conf and the admin's per-module overrides are evaluated in the
 * sandbox, and only directives come back: neither sets post_transaction,
 * nor writes the host. */
Test(framework, module_files_cannot_set_post_transaction_or_write_the_host, .timeout = 120)
{
	struct it t;
	char text[1024];

	fw_setup(&t);
	cr_assert_eq(sh(&t, "echo 'post_transaction=\"touch %s/ran\"; touch %s/pwned' >> "
			    "%s/src/hello-1.0/dkms.conf", t.root, t.root, t.root), 0, "%s", t.out);
	snprintf(text, sizeof(text), "post_transaction=\"touch %s/ran\"; touch %s/pwned2\\n", t.root,
		 t.root);
	put(&t, "hello.conf", text);
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(fw(&t, "remove hello/1.0 --all"), 0, "%s", t.out);
	cr_expect(!strstr(t.out, "post-transaction"), "%s", t.out);
	cr_expect(!exists(&t, "ran") && !exists(&t, "pwned") && !exists(&t, "pwned2"));
}

/* ---- a hostile drop-in gets no more than a dkms.conf ---- */

Test(framework, dropin_runs_unprivileged_and_cannot_write_the_host)
{
	struct it t;
	char text[1024];

	fw_setup(&t);
	snprintf(text, sizeof(text),
		 "touch %s/pwned; mkdir %s/pwned-dir; tmp_location=/uid-$(id -u)\\n", t.root, t.root);
	put(&t, "framework.conf.d/evil.conf", text);
	cr_assert_eq(fw(&t, "framework tmp_location"), 0, "%s", t.out);
	cr_expect(strncmp(t.out, "/uid-", 5) == 0 && strcmp(t.out, "/uid-0\n") != 0,
		  "not root: %s", t.out);
	cr_expect(!exists(&t, "pwned") && !exists(&t, "pwned-dir"), "wrote the host");
}

Test(framework, dropin_values_are_checked_as_configuration)
{
	static const char *const bad[][2] = {
	    {"dkms_tree=relative/tree", "dkms_tree must be an absolute path"},
	    {"install_tree=$(printf \"/x\\\\033[2J\")", "install_tree must not hold control"},
	    {"parallel_jobs=100000", "parallel_jobs must be at most 1024"},
	    {"parallel_jobs=\"2; reboot\"", "parallel_jobs must be a whole number"},
	    {"try_sign_modules=maybe", "try_sign_modules must be true, false or not_in_chroot"},
	    {"mok_signing_key=pkcs11:token", "mok_signing_key must be an absolute path"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct it t;
		char want[512], line[256];

		fw_setup(&t);
		snprintf(line, sizeof(line), "%s\\n", bad[i][0]);
		put(&t, "framework.conf.d/evil.conf", line);
		cr_expect_eq(fw(&t, "status"), 1, "%s: %s", bad[i][0], t.out);
		snprintf(want, sizeof(want), "dkms-sandbox: %s/etc/framework.conf.d/evil.conf: %s",
			 t.root, bad[i][1]);
		cr_expect(strstr(t.out, want) != NULL && !strchr(t.out, '\033'), "%s: %s", bad[i][0],
			  t.out);
	}
}

Test(framework, dropin_flooding_its_output_is_cut, .timeout = 60)
{
	struct it t;

	fw_setup(&t);
	put(&t, "framework.conf.d/flood.conf", "dkms_tree=/$(head -c 3000000 /dev/zero | tr \"\\\\0\" a)\\n");
	cr_expect_eq(fw(&t, "status"), 1, "%s", t.out);
	cr_expect(strstr(t.out, "framework.conf: evaluating framework.conf wrote more than") ||
		      strstr(t.out, "evaluation output unreadable or over"),
		  "%s", t.out);
}

/* ---- the admin's per-module overrides ---- */

/* dkms's order: <m>.conf, then the more specific forms; here the kernel
 * form lifts what <m>.conf set, for one kernel only. */
Test(framework, overrides_apply_in_dkms_order, .timeout = 300)
{
	struct it t;
	char name[512];

	fw_setup(&t);
	put(&t, "hello.conf", "BUILD_EXCLUSIVE_KERNEL=\"^none$\"\\n");
	snprintf(name, sizeof(name), "hello-1.0-%s.conf", t.kver);
	put(&t, name, "BUILD_EXCLUSIVE_KERNEL=\"\"\\n");
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "build hello/1.0 -k %s", t.other), 77, "hello.conf: %s", t.out);
	cr_expect_eq(fw(&t, "build hello/1.0 -k %s", t.kver), 0, "hello-1.0-KVER.conf: %s", t.out);
	/* All six forms at once, the last in dkms's order winning. */
	put(&t, "hello-1.0.conf", "BUILD_EXCLUSIVE_KERNEL=\"^none$\"\n");
	snprintf(name, sizeof(name), "hello-1.0-%s-$(uname -m).conf", t.kver);
	put(&t, name, "BUILD_EXCLUSIVE_KERNEL=\"^none$\"\n");
	snprintf(name, sizeof(name), "hello--%s.conf", t.kver);
	put(&t, name, "BUILD_EXCLUSIVE_KERNEL=\"^none$\"\n");
	snprintf(name, sizeof(name), "hello--%s-$(uname -m).conf", t.kver);
	put(&t, name, "BUILD_EXCLUSIVE_KERNEL=\"\"\n");
	cr_expect_eq(fw(&t, "build hello/1.0 -k %s --force", t.kver), 0,
		      "hello--KVER-ARCH.conf last of six: %s", t.out);
	cr_expect_eq(fw(&t, "build hello/1.0 -k %s", t.other), 77, "%s", t.out);
	/* As dkms's safe_source: each file is sourced in a subshell that
	 * echoes the directives it has; one it unset is not echoed, so the
	 * value of the files before it stays. */
	sh(&t, "echo 'unset BUILD_EXCLUSIVE_KERNEL' > %s/etc/%s", t.root, name);
	cr_expect_eq(fw(&t, "build hello/1.0 -k %s --force", t.kver), 77,
		      "an unset in the last file: %s", t.out);
}

Test(framework, override_changes_make, .timeout = 300)
{
	struct it t;
	char log[512];

	fw_setup(&t);
	put(&t, "hello.conf", "MAKE[0]=\"echo made-by-the-override; false\"\\n");
	cr_assert_eq(fw(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect_eq(fw(&t, "build hello/1.0 -k %s", t.kver), 10, "%s", t.out);
	snprintf(log, sizeof(log), "%s/dkms/hello/1.0/build/make.log", t.root);
	sh(&t, "cat %s %s/dkms/hello/1.0/%s/*/log/make.log 2>/dev/null", log, t.root, t.kver);
	cr_expect(strstr(t.out, "made-by-the-override") != NULL, "%s", t.out);
}

Test(framework, override_with_a_syntax_error_is_a_bad_conf_naming_it)
{
	struct it t;

	fw_setup(&t);
	put(&t, "hello-1.0.conf", "MAKE[0]=(\\n");
	cr_expect_eq(fw(&t, "add hello/1.0"), 8, "%s", t.out);
	cr_expect(strstr(t.out, "/etc/hello-1.0.conf\n") != NULL, "%s", t.out);
}
