// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms 3.x's tree states, install rules and status output (issue 16): the
 * cases of upstream run_test.sh's run_with_expected_error that are about
 * tree state, install/uninstall and status, with modules of our own
 * (vt: one file whose MODULE_VERSION the test chooses), in temporary trees
 * (insttest.h). Where Debian's dkms 3.0.10 gives the same output, the
 * test runs it on the same tree and compares (it only reads the tree and
 * sources our dkms.conf for status; its add, build and install with
 * --dkmstree/--sourcetree/--installtree and --no-depmod, traced with
 * strace, wrote only below those trees and /tmp; the machine's
 * /var/lib/dkms is checked unchanged).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "insttest.h"
#include "sbtest.h"

TestSuite(states, .fini = sbt_cleanup);

#define DKMS "/usr/sbin/dkms"

/* <root>/src/vt-@dir: vt.c with MODULE_VERSION(@modver) (none when NULL),
 * a dkms.conf for vt/@dir plus @extra lines. */
static void vt_source(struct it *t, const char *dir, const char *modver, const char *extra)
{
	cr_assert_eq(sh(t, "d=%s/src/vt-%s && mkdir -p $d && cd $d && "
			   "printf '#include <linux/module.h>\\n"
			   "static int __init vt_init(void) { return 0; }\\n"
			   "static void __exit vt_exit(void) { }\\n"
			   "module_init(vt_init);\\nmodule_exit(vt_exit);\\n"
			   "MODULE_LICENSE(\"GPL\");\\n%s%s%s' > vt.c && echo 'obj-m := vt.o' > Kbuild && "
			   "printf 'PACKAGE_NAME=vt\\nPACKAGE_VERSION=%s\\nBUILT_MODULE_NAME[0]=vt\\n"
			   "DEST_MODULE_LOCATION[0]=/updates/dkms\\n%s' > dkms.conf && chmod -R a+rX .",
			t->root, dir, modver ? "MODULE_VERSION(\"" : "", modver ? modver : "",
			modver ? "\");\\n" : "", dir, extra),
		     0, "%s", t->out);
}

/* dkms-sandbox VERB vt/@v -k <kver> MORE. */
static int vt(struct it *t, const char *verb, const char *v, const char *more)
{
	char args[1024];

	snprintf(args, sizeof(args), "%s vt/%s -k %s %s", verb, v, t->kver, more);
	return dks(t, args);
}

static void installed_path(const struct it *t, char *path, size_t size)
{
	snprintf(path, size, "%s/root/lib/modules/%s/updates/dkms/vt.ko", t->root, t->kver);
}

/* The output holds @want. */
#define expect_out(t, want) cr_expect(strstr((t)->out, (want)) != NULL, "want '%s' in: %s", (want), (t)->out)

/* ---- add (run_test.sh's first cases): no source 2, added already 3 ---- */

Test(states, add_of_a_missing_or_an_added_module_exits_2_or_3, .timeout = 120)
{
	struct it t;
	char args[1024];

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	cr_expect_eq(dks(&t, "add -m vt -v 9.9"), 2, "%s", t.out);
	expect_out(&t, "vt/9.9: no source at ");
	cr_assert_eq(dks(&t, "add -m vt -v 1.0"), 0, "%s", t.out);
	snprintf(args, sizeof(args), "add %s/src/vt-1.0", t.root);
	cr_expect_eq(dks(&t, args), 3, "%s", t.out);
	snprintf(args, sizeof(args), "add %s/src/vt-1.0/dkms.conf", t.root);
	cr_expect_eq(dks(&t, args), 3, "%s", t.out);
	cr_expect_eq(dks(&t, "add -m vt -v 1.0"), 3, "%s", t.out);
	expect_out(&t, "vt/1.0: already added");
}

/* ---- the version check of install (run_test.sh: multiversion, nover) ---- */

Test(states, install_of_an_older_version_over_a_newer_one_exits_6, .timeout = 300)
{
	struct it t;
	char ko[1024], *before;

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	vt_source(&t, "2.0", "2.0", "");
	installed_path(&t, ko, sizeof(ko));
	cr_assert_eq(vt(&t, "install", "2.0", ""), 0, "%s", t.out);
	cr_assert_eq(vt(&t, "build", "1.0", ""), 0, "%s", t.out);
	sh(&t, "sha256sum < %s", ko);
	before = strdup(t.out);
	cr_expect_eq(vt(&t, "install", "1.0", ""), 6, "%s", t.out);
	expect_out(&t, "module version 1.0 for vt.ko is not newer than what is already found in "
		       "kernel");
	expect_out(&t, "(2.0). You may override by specifying --force.");
	sh(&t, "sha256sum < %s", ko);
	cr_expect_str_eq(t.out, before, "the installed module changed");
	free(before);
	dks(&t, "status vt");
	expect_out(&t, "vt/1.0, ");
	cr_expect(strstr(t.out, ": built\nvt/2.0, ") && strstr(t.out, ": installed\n"), "%s", t.out);
	/* dkms's two ways past it. */
	cr_expect_eq(vt(&t, "install", "1.0", "--force-version-override"), 0, "%s", t.out);
	dks(&t, "status vt/1.0");
	expect_out(&t, ": installed\n");
	cr_expect_eq(vt(&t, "install", "2.0", ""), 0, "%s", t.out); /* newer: no question */
	cr_expect_eq(vt(&t, "install", "1.0", "--force"), 0, "%s", t.out);
	dks(&t, "status vt/1.0");
	expect_out(&t, ": installed\n");
}

Test(states, install_of_the_same_module_under_another_version_exits_6, .timeout = 300)
{
	struct it t;

	setup(&t);
	/* 3.0 ships the same module as 2.0 (MODULE_VERSION 2.0, same source). */
	vt_source(&t, "2.0", "2.0", "");
	vt_source(&t, "3.0", "2.0", "");
	cr_assert_eq(vt(&t, "install", "2.0", ""), 0, "%s", t.out);
	cr_expect_eq(vt(&t, "install", "3.0", ""), 6, "%s", t.out);
	expect_out(&t, "/updates/dkms/vt.ko already installed at version 2.0, override by "
		       "specifying --force");
	/* Unversioned (run_test.sh's nover_update): the srcversion decides,
	 * when the kernel gives one without MODULE_VERSION
	 * (CONFIG_MODULE_SRCVERSION_ALL); else, as upstream's test notes for
	 * Debian, nothing tells the two apart and the install goes on. */
	vt_source(&t, "4.0", NULL, "");
	vt_source(&t, "5.0", NULL, "");
	cr_assert_eq(vt(&t, "install", "4.0", ""), 0, "%s", t.out);
	cr_assert_eq(vt(&t, "build", "5.0", ""), 0, "%s", t.out);
	sh(&t, "modinfo -F srcversion %s/dkms/vt/5.0/%s/x86_64/module/vt.ko", t.root, t.kver);
	if (t.out[0]) {
		cr_expect_eq(vt(&t, "install", "5.0", ""), 6, "%s", t.out);
		expect_out(&t, "already installed (unversioned module), override by specifying "
			       "--force");
		cr_expect_eq(vt(&t, "install", "5.0", "--force-version-override"), 0, "%s", t.out);
	} else {
		cr_expect_eq(vt(&t, "install", "5.0", ""), 0, "no srcversion: %s", t.out);
	}
}

/* The kernel's own module (or another package's) of the name, newer:
 * refused, compressed or not; a file that is no module is not compared. */
Test(states, a_newer_module_of_the_name_in_the_kernel_tree_refuses_the_install, .timeout = 300)
{
	struct it t;
	const char *const forms[] = {"cat", "xz --check=crc32 -c", "zstd -q -c"};
	const char *const names[] = {"vt.ko", "vt.ko.xz", "vt.ko.zst"};

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	vt_source(&t, "9.0", "9.0", "");
	cr_assert_eq(vt(&t, "build", "9.0", ""), 0, "%s", t.out);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(sh(&t, "d=%s/root/lib/modules/%s/kernel/drivers/misc && mkdir -p $d && "
				    "rm -f $d/vt.ko* && %s %s/dkms/vt/9.0/%s/x86_64/module/vt.ko > $d/%s",
				t.root, t.kver, forms[i], t.root, t.kver, names[i]),
			     0, "%s", t.out);
		cr_expect_eq(vt(&t, "install", "1.0", ""), 6, "%s: %s", names[i], t.out);
		expect_out(&t, "is not newer than what is already found in kernel");
	}
	/* What cannot be read as a module is not compared: no crash, no
	 * refusal. A truncated module; a zstd frame that does not say its
	 * size (read back only up to DKS_MODULE_MAX: not read at all); text. */
	const char *const junk[] = {"head -c 300 $m > vt.ko", "cat $m | zstd -q -c > vt.ko.zst",
				    "echo 'not a module' > vt.ko"};

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const char *cmd = junk[i];

		cr_assert_eq(sh(&t, "cd %s/root/lib/modules/%s/kernel/drivers/misc && rm -f vt.ko* && "
				    "m=%s/dkms/vt/9.0/%s/x86_64/module/vt.ko && %s",
				t.root, t.kver, t.root, t.kver, cmd), 0, "%s", t.out);
		cr_expect_eq(vt(&t, "install", "1.0", ""), 0, "%s: %s", cmd, t.out);
		cr_assert_eq(vt(&t, "uninstall", "1.0", ""), 0, "%s", t.out);
	}
}

/* ---- run_test.sh's "incomplete" status ---- */

Test(states, install_after_the_built_module_was_deleted_exits_6_and_does_not_rebuild,
     .timeout = 300)
{
	struct it t;
	char ko[1024], build[1024], *log1;

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	installed_path(&t, ko, sizeof(ko));
	snprintf(build, sizeof(build), "%s/dkms/vt/1.0/%s/x86_64", t.root, t.kver);
	cr_assert_eq(vt(&t, "install", "1.0", ""), 0, "%s", t.out);
	sh(&t, "rm %s/module/vt.ko %s && stat -c %%Y.%%i %s/log/make.log", build, ko, build);
	log1 = strdup(t.out);
	dks(&t, "status vt");
	expect_out(&t, ", x86_64: installed (Built modules are missing in the kernel modules "
		       "folder)\n");
	cr_expect_eq(vt(&t, "uninstall", "1.0", ""), 0, "%s", t.out);
	dks(&t, "status vt");
	expect_out(&t, ", x86_64: built (Built modules are missing in the kernel modules folder)\n");
	cr_expect_eq(vt(&t, "install", "1.0", ""), 6, "%s", t.out);
	expect_out(&t, "Missing module vt in ");
	expect_out(&t, "/dkms/vt/1.0/");
	sh(&t, "ls %s/module; stat -c %%Y.%%i %s/log/make.log", build, build);
	cr_expect_str_eq(t.out, log1, "rebuilt (or module/ refilled)");
	free(log1);
	dks(&t, "status vt");
	expect_out(&t, ": built (Built modules are missing in the kernel modules folder)\n");
	cr_expect_eq(dks(&t, "remove vt/1.0 --all"), 0, "%s", t.out);
	dks(&t, "status vt");
	cr_expect_str_eq(t.out, "");
}

/* ---- run_test.sh's "broken" status ---- */

static void expect_broken_refusals(struct it *t)
{
	const char *const verbs[] = {"build", "install", "unbuild", "uninstall", "remove"};
	char link[1024];
	struct stat st;

	snprintf(link, sizeof(link), "%s/dkms/vt/1.0/source", t->root);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		cr_expect_eq(vt(t, verbs[i], "1.0", ""), 4, "%s: %s", verbs[i], t->out);
		expect_out(t, "vt/1.0 is broken! Missing the source directory or the symbolic "
			      "link pointing to it. Manual intervention is required!");
	}
	/* Never silently re-added (nor its dangling link replaced). */
	if (lstat(link, &st) == 0)
		cr_expect(S_ISLNK(st.st_mode) && access(link, F_OK) != 0, "the link was remade");
	dks(t, "status");
	expect_out(t, "vt/1.0: broken\n");
}

Test(states, a_module_whose_source_link_is_gone_is_broken, .timeout = 300)
{
	struct it t;

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	vt_source(&t, "2.0", "2.0", "");
	cr_assert_eq(dks(&t, "add vt/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add vt/2.0"), 0, "%s", t.out);
	sh(&t, "rm %s/dkms/vt/1.0/source", t.root);
	/* status: the line on stdout, dkms's error on stderr, exit 0. */
	cr_expect_eq(sh(&t, "{ %s status vt/1.0 %s 2>/dev/null; }", getenv("DKS_BIN"), t.opts), 0);
	cr_expect_str_eq(t.out, "vt/1.0: broken\n");
	sh(&t, "{ %s status %s 2>&1 >/dev/null; }", getenv("DKS_BIN"), t.opts);
	cr_expect_str_eq(t.out, "dkms-sandbox: vt/1.0: Missing the module source directory or the "
				"symbolic link pointing to it. Manual intervention is required!\n");
	sh(&t, "{ %s status %s 2>/dev/null; }", getenv("DKS_BIN"), t.opts);
	cr_expect_str_eq(t.out, "vt/1.0: broken\nvt/2.0: added\n");
	expect_broken_refusals(&t);
	/* add puts the link back, as dkms's. */
	cr_expect_eq(dks(&t, "add vt/1.0"), 0, "%s", t.out);
	dks(&t, "status vt/1.0");
	cr_expect_str_eq(t.out, "vt/1.0: added\n");
}

Test(states, a_module_whose_source_is_gone_is_broken, .timeout = 300)
{
	struct it t;

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	cr_assert_eq(vt(&t, "build", "1.0", ""), 0, "%s", t.out);
	sh(&t, "rm -r %s/src/vt-1.0", t.root); /* the link dangles */
	dks(&t, "status vt");
	expect_out(&t, "vt/1.0: broken\n");
	expect_broken_refusals(&t);
	cr_expect_eq(sh(&t, "%s autoinstall -k %s %s", getenv("DKS_BIN"), t.kver, t.opts), 0,
		     "dkms: a broken module is said and skipped: %s", t.out);
	expect_out(&t, "vt/1.0 is broken!");
	/* add, as dkms 3.4's: the dangling link is no "already added" (3);
	 * without the source it is "no source" (2); with it, the link again. */
	cr_expect_eq(dks(&t, "add vt/1.0"), 2, "%s", t.out);
	sh(&t, "mv %s/dkms/vt/1.0/source %s/dkms/vt/1.0/old && ln -s %s/nowhere "
	       "%s/dkms/vt/1.0/source", t.root, t.root, t.root, t.root);
	vt_source(&t, "1.0", "1.0", "");
	cr_expect_eq(dks(&t, "add vt/1.0"), 0, "%s", t.out);
	dks(&t, "status vt");
	cr_expect(strstr(t.out, ": built\n") && !strstr(t.out, "broken"), "%s", t.out);
}

/* ---- status -k (dkms 3.0.10 prints the same: compared) ---- */

/* dkms 3.0.10's status with @args on our trees; its exit code. */
static int debian_status(struct it *t, const char *args)
{
	cr_assert_eq(access(DKMS, X_OK), 0, DKMS " is not installed (make deps installs it)");
	return sh(t, DKMS " status %s --dkmstree %s/dkms --sourcetree %s/src --installtree "
			  "%s/root/lib/modules 2>&1", args, t->root, t->root, t->root);
}

Test(states, status_k_prints_the_added_lines_dkms_prints, .timeout = 300)
{
	struct it t;
	char *theirs = NULL, *machine, ks[8][600];

	setup(&t);
	sh(&t, "ls -la --time-style=full-iso /var/lib/dkms");
	machine = strdup(t.out);
	vt_source(&t, "1.0", "1.0", "");
	vt_source(&t, "2.0", "2.0", "");
	cr_assert_eq(vt(&t, "build", "1.0", ""), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add vt/2.0"), 0, "%s", t.out);
	/* -k K, another kernel, K/ARCH, K with another arch, a longer
	 * release, two kernels (dkms: one round each), -a with and without -k. */
	snprintf(ks[0], sizeof(ks[0]), "-k %.255s", t.kver);
	snprintf(ks[1], sizeof(ks[1]), "-k %.255s", t.other);
	snprintf(ks[2], sizeof(ks[2]), "-k %.255s/x86_64", t.kver);
	snprintf(ks[3], sizeof(ks[3]), "-k %.255s/aarch64", t.kver);
	snprintf(ks[4], sizeof(ks[4]), "-k %.255s-rt", t.kver);
	snprintf(ks[5], sizeof(ks[5]), "-k %.255s -k %.255s", t.kver, t.other);
	snprintf(ks[6], sizeof(ks[6]), "-k %.255s -a aarch64", t.kver);
	snprintf(ks[7], sizeof(ks[7]), "-a aarch64");
	for (size_t i = 0; i < 8; i++) {
		cr_assert_eq(debian_status(&t, ks[i]), 0, "%s", t.out);
		free(theirs);
		theirs = strdup(t.out);
		cr_assert_eq(sh(&t, "%s status %s %s 2>&1", getenv("DKS_BIN"), ks[i], t.opts), 0);
		cr_expect_str_eq(t.out, theirs, "status %s", ks[i]);
	}
	cr_expect_str_eq(theirs, "vt/1.0: added\nvt/2.0: added\n");
	sh(&t, "ls -la --time-style=full-iso /var/lib/dkms");
	cr_expect_str_eq(t.out, machine, "the machine's /var/lib/dkms changed");
	free(theirs);
	free(machine);
}

/* ---- status_wording: Debian 12's words ---- */

Test(states, status_wording_30_gives_debian_dkms_words, .timeout = 300)
{
	struct it t;
	char line[1024];

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	cr_assert_eq(vt(&t, "install", "1.0", ""), 0, "%s", t.out);
	sh(&t, "rm %s/dkms/vt/1.0/%s/x86_64/module/vt.ko && mkdir -p "
	       "%s/dkms/vt/original_module/%s/x86_64",
	   t.root, t.kver, t.root, t.kver);
	dks(&t, "status vt");
	snprintf(line, sizeof(line), "vt/1.0, %s, x86_64: installed (Original modules exist) "
		 "(Built modules are missing in the kernel modules folder)\n", t.kver);
	cr_expect_str_eq(t.out, line);
	/* dkms 3.0.10's words (its module_status_built_extra). */
	sh(&t, "echo 'status_wording: \"3.0\"' >> %s/config.yaml", t.root);
	dks(&t, "status vt");
	snprintf(line, sizeof(line), "vt/1.0, %s, x86_64: installed (original_module exists) "
		 "(WARNING! Missing some built modules!)\n", t.kver);
	cr_expect_str_eq(t.out, line);
	dks(&t, "status vt --json");
	expect_out(&t, "\"notes\": [\"original_module exists\", \"WARNING! Missing some built "
		       "modules!\"]");
	sh(&t, "sed -i 's/^status_wording: .*/status_wording: 2.9/' %s/config.yaml", t.root);
	cr_expect_eq(dks(&t, "status vt"), 1, "%s", t.out);
	expect_out(&t, "config.yaml:");
	expect_out(&t, "status_wording");
}

/* A tree Debian's dkms made (add, build, install; its own key, no depmod,
 * temporary trees): with status_wording "3.0" our line is its line. */
Test(states, status_wording_30_prints_what_debian_dkms_prints, .timeout = 300)
{
	struct it t;
	char *machine, *theirs;

	setup(&t);
	sh(&t, "ls -la --time-style=full-iso /var/lib/dkms");
	machine = strdup(t.out);
	vt_source(&t, "1.0", "1.0", "");
	cr_assert_eq(access(DKMS, X_OK), 0, DKMS " is not installed (make deps installs it)");
	cr_assert_eq(sh(&t, "cd %s && for v in add build install; do mok_signing_key=$PWD/dk.key "
			    "mok_certificate=$PWD/dk.pub " DKMS " $v -m vt -v 1.0 -k %s --dkmstree "
			    "$PWD/dkms --sourcetree $PWD/src --installtree $PWD/root/lib/modules "
			    "--no-depmod || exit 1; done && mkdir -p dkms/vt/original_module/%s/x86_64",
			t.root, t.kver, t.kver),
		     0, "%s", t.out);
	cr_assert_eq(debian_status(&t, ""), 0, "%s", t.out);
	theirs = strdup(t.out);
	cr_expect(strstr(theirs, ": installed (original_module exists)\n"), "%s", theirs);
	dks(&t, "status");
	expect_out(&t, ": installed (Original modules exist)\n");
	sh(&t, "echo 'status_wording: \"3.0\"' >> %s/config.yaml", t.root);
	dks(&t, "status");
	cr_expect_str_eq(t.out, theirs);
	sh(&t, "ls -la --time-style=full-iso /var/lib/dkms");
	cr_expect_str_eq(t.out, machine, "the machine's /var/lib/dkms changed");
	free(theirs);
	free(machine);
}

/* dkms: install of a module BUILD_EXCLUSIVE excludes is build's 77, once,
 * with the reason; nothing is built or placed. */
Test(states, install_of_an_excluded_module_exits_77_with_the_reason, .timeout = 300)
{
	struct it t;

	setup(&t);
	vt_source(&t, "1.0", "1.0", "BUILD_EXCLUSIVE_KERNEL=\"^0\\\\.\"\n");
	cr_expect_eq(vt(&t, "install", "1.0", ""), 77, "%s", t.out);
	expect_out(&t, "BUILD_EXCLUSIVE_KERNEL");
	cr_expect(!strstr(t.out, "other commands"), "taken for a race: %s", t.out);
	dks(&t, "status vt");
	cr_expect_str_eq(t.out, "vt/1.0: added\n");
}

/* uninstall needs no headers: of a kernel it has none for (gone with its
 * package, or never there) it is dkms's skip, 0, and nothing is made. */
Test(states, uninstall_for_a_kernel_without_headers_is_a_skip, .timeout = 300)
{
	struct it t;

	setup(&t);
	vt_source(&t, "1.0", "1.0", "");
	cr_assert_eq(dks(&t, "add vt/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, "uninstall vt/1.0 -k 0.0.1-noheaders"), 0, "%s", t.out);
	expect_out(&t, "vt/1.0, 0.0.1-noheaders, x86_64: not installed");
	cr_expect_neq(sh(&t, "ls -d %s/root/lib/modules/0.0.1-noheaders", t.root), 0,
		      "a modules dir was made: %s", t.out);
	dks(&t, "status vt");
	cr_expect_str_eq(t.out, "vt/1.0: added\n");
}

/* A verb on a module that is neither added nor has a source is dkms's 2
 * or 3, and leaves nothing in the tree (no <m>/ for a lock). */
Test(states, a_verb_on_a_module_not_there_leaves_nothing, .timeout = 120)
{
	static const struct {
		const char *verb;
		int code;
	} cases[] = {{"build", 2}, {"install", 2}, {"remove", 3}, {"uninstall", 3}, {"unbuild", 3}};
	struct it t;
	char args[512];

	setup(&t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(args, sizeof(args), "%s nosuch/1.0 -k %s", cases[i].verb, t.kver);
		cr_expect_eq(dks(&t, args), cases[i].code, "%s: %s", cases[i].verb, t.out);
		sh(&t, "ls -A %s/dkms", t.root);
		cr_expect_str_eq(t.out, "", "%s left: %s", cases[i].verb, t.out);
	}
}

/* ---- unbuild and remove without -k: the running kernel's, as dkms ---- */

/* "built"/"installed" or "-" for vt/1.0 on @kver, from status. */
static const char *state_on(struct it *t, const char *kver)
{
	char line[512];

	dks(t, "status vt");
	snprintf(line, sizeof(line), "vt/1.0, %s, x86_64: installed\n", kver);
	if (strstr(t->out, line))
		return "installed";
	snprintf(line, sizeof(line), "vt/1.0, %s, x86_64: built\n", kver);
	return strstr(t->out, line) ? "built" : "-";
}

/* dkms 3.0.10 and 3.4 (setup_kernels_arches) default -k to the running
 * kernel for unbuild and remove as for every verb; remove then deletes the
 * version only when no kernel's build is left. The trees' two kernels may
 * or may not be the running one: each is expected as dkms would leave it. */
Test(states, unbuild_and_remove_without_k_touch_the_running_kernel_only, .timeout = 600)
{
	struct it t;
	char running[256], args[512];
	const char *kernels[2];

	setup(&t);
	kernels[0] = t.kver, kernels[1] = t.other;
	sh(&t, "uname -r");
	snprintf(running, sizeof(running), "%.*s", (int)strcspn(t.out, "\n"), t.out);
	vt_source(&t, "1.0", "1.0", "");
	cr_assert_eq(vt(&t, "install", "1.0", ""), 0, "%s", t.out);
	snprintf(args, sizeof(args), "build vt/1.0 -k %s", t.other);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "unbuild vt/1.0"), 0, "%s", t.out);
	cr_expect_str_eq(state_on(&t, t.kver), strcmp(t.kver, running) ? "installed" : "-");
	cr_expect_str_eq(state_on(&t, t.other), strcmp(t.other, running) ? "built" : "-");
	cr_assert_eq(dks(&t, "remove vt/1.0"), 0, "%s", t.out);
	for (size_t i = 0; i < 2; i++)
		if (strcmp(kernels[i], running) != 0)
			cr_expect_str_neq(state_on(&t, kernels[i]), "-", "%s's build was taken",
					  kernels[i]);
	cr_assert_eq(dks(&t, "remove vt/1.0 --all"), 0, "%s", t.out);
	dks(&t, "status vt");
	cr_expect_str_eq(t.out, "");
}

/* ---- autoinstall, kernel_preinst ---- */

/* Nothing in the tree: autoinstall has nothing to do, headers or not
 * (dkms: 0; a container's unconditional autoinstall), and makes nothing. */
Test(states, autoinstall_of_an_empty_tree_is_0_without_headers, .timeout = 60)
{
	struct it t;

	setup(&t);
	cr_expect_eq(dks(&t, "autoinstall -k 0.0.1-noheaders"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, "kernel_postinst -k 0.0.1-noheaders"), 0, "%s", t.out);
	sh(&t, "ls -A %s/dkms; test ! -e %s/root/lib/modules/0.0.1-noheaders || echo modules dir",
	   t.root, t.root);
	cr_expect_str_eq(t.out, "", "made: %s", t.out);
	vt_source(&t, "1.0", "1.0", "AUTOINSTALL=yes\n");
	cr_assert_eq(dks(&t, "add vt/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, "autoinstall -k 0.0.1-noheaders"), 21, "a module to build, no "
		     "headers: %s", t.out);
}

Test(states, autoinstall_installs_a_built_module_without_building_it_again, .timeout = 300)
{
	struct it t;
	char *before, build[1024];

	setup(&t);
	vt_source(&t, "1.0", "1.0", "AUTOINSTALL=yes\n");
	snprintf(build, sizeof(build), "%s/dkms/vt/1.0/%s/x86_64", t.root, t.kver);
	cr_assert_eq(vt(&t, "build", "1.0", ""), 0, "%s", t.out);
	sh(&t, "stat -c %%Y.%%i %s/module/vt.ko %s/log/make.log", build, build);
	before = strdup(t.out);
	cr_expect_eq(sh(&t, "%s autoinstall -k %s %s", getenv("DKS_BIN"), t.kver, t.opts), 0, "%s",
		     t.out);
	cr_expect(strstr(t.out, "building") == NULL, "built again: %s", t.out);
	dks(&t, "status vt");
	expect_out(&t, ": installed\n");
	sh(&t, "stat -c %%Y.%%i %s/module/vt.ko %s/log/make.log", build, build);
	cr_expect_str_eq(t.out, before, "the build was replaced");
	free(before);
}

Test(states, kernel_preinst_drops_the_autoinstall_builds_of_its_kernel, .timeout = 300)
{
	struct it t;
	char ko[1024];

	setup(&t);
	vt_source(&t, "1.0", "1.0", "AUTOINSTALL=yes\n");
	installed_path(&t, ko, sizeof(ko));
	cr_assert_eq(vt(&t, "install", "1.0", ""), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out); /* not AUTOINSTALL */
	cr_assert_eq(hello_on(&t, "build", t.other, ""), 0, "%s", t.out);
	cr_expect_eq(sh(&t, "%s kernel_preinst %s", getenv("DKS_BIN"), t.opts), 4, "%s", t.out);
	cr_expect_eq(sh(&t, "%s kernel_preinst -k %s %s", getenv("DKS_BIN"), t.kver, t.opts), 0,
		     "%s", t.out);
	expect_out(&t, "dkms: removing module vt/1.0 for kernel ");
	cr_expect_neq(access(ko, F_OK), 0, "still installed");
	dks(&t, "status");
	expect_out(&t, "vt/1.0: added\n");
	cr_expect(strstr(t.out, "hello/1.0, ") && strstr(t.out, t.other), "%s", t.out);
	cr_expect_eq(sh(&t, "%s status hello -k %s %s | grep -c ': built$'", getenv("DKS_BIN"),
			t.kver, t.opts),
		     0, "hello dropped: %s", t.out);
}
