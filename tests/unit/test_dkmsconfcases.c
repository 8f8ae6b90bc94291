// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms 3.x's own bad-input cases for dkms.conf and for add/build (upstream
 * run_test.sh's run_with_expected_error cases, the ones about dkms.conf,
 * BUILD_EXCLUSIVE, BUILD_DEPENDS and patches), each with a small dkms.conf
 * and module of our own, asserting dkms's exit code and the words of its
 * message. Where Debian's dkms 3.0.10 (/usr/sbin/dkms) can run a case in
 * temporary trees, the test runs it too and compares the exit codes.
 * Also: links in a source tree that add copies (the hostile ones too).
 * All in temporary trees (insttest.h).
 *
 * Upstream's cases (run_test.sh, by its module) and ours:
 *   1  add of a dir without dkms.conf: add_of_a_directory_without_dkms_conf_is_exit_1
 *   8  add, empty and invalid conf: empty_and_invalid_dkms_conf_are_exit_8_at_add
 *   8  add, sparse arrays, duplicate built/dest names:
 *      sparse_arrays_and_duplicates_are_exit_8_at_add
 *   8  build, defaulted BUILT_MODULE_NAME and no module source:
 *      defaulted_name_without_module_source_is_exit_8_at_build
 *   5  build, missing patch, ../x, a/../x: missing_or_climbing_patches_are_exit_5_at_build
 *   77 build, BUILD_EXCLUSIVE and the per-module [0] cases (kernel version, config):
 *      element_0_of_build_exclusive_excludes_the_package
 *   -  per-module config exclusive, one of two built:
 *      a_module_excluded_by_its_own_entry_is_skipped_not_the_package
 *   13 build and 11 autoinstall, circular: circular_dependencies_fail_autoinstall_and_build
 *   13 build, unsatisfied BUILD_DEPENDS (dependencies_test, dependencies_rebuild_test):
 *      build_depends_rebuild_records_and_follows_the_dependency_version,
 *      pipeline::build_depends_is_exit_13_unless_forced
 *   11 autoinstall, a dependency on a no-autoinstall module; deferred (0), an unknown one:
 *      dependencies_autoinstall_cannot_meet_fail_it
 *   11 autoinstall, a dependency on a failing module:
 *      install::autoinstall_goes_on_past_a_failure_and_skips_its_dependents
 *   -  zero modules, CRLF, deprecated directives (exit 0, expected output):
 *      zero_modules_and_deprecated_directives_warn_and_add, crlf_conf_with_a_dest_name_installs
 * The others (no source 2, already added 3, no headers 21, autoinstall and
 * kernel hook arguments 4/5, match 2, downgrade and missing built module 6,
 * os-release 4, broken 4, dkms_autoinstaller 1) are command-line and
 * tree-state cases, not dkms.conf ones.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "insttest.h"
#include "sbtest.h"

TestSuite(dkmsconfcases, .fini = sbt_cleanup);

/* src/@m-1.0: tests/modules/hello built as the modules @mods (space
 * separated: "a b" builds a.ko and b.ko), with @conf as its dkms.conf. */
static void package(struct it *t, const char *m, const char *mods, const char *conf)
{
	char path[512];

	cr_assert_eq(sh(t,
			"cd %s/src && mkdir -p %s-1.0 && cd %s-1.0 && "
			"cp %s/tests/modules/hello/Makefile . && : > Kbuild && "
			"for x in %s; do cp %s/tests/modules/hello/hello.c $x.c && "
			"echo \"obj-m += $x.o\" >> Kbuild; done",
			t->root, m, m, getenv("DKS_SRCDIR"), mods, getenv("DKS_SRCDIR")),
		     0, "%s", t->out);
	snprintf(path, sizeof(path), "%s/src/%s-1.0/dkms.conf", t->root, m);
	sbt_write_file(path, conf, 0, 0, 0644);
	cr_assert_eq(sh(t, "chmod -R a+rX %s/src", t->root), 0, "%s", t->out);
}

/* package() with a dkms.conf naming @m, each of @mods a module of its
 * own (BUILT_MODULE_NAME[i], DEST_MODULE_LOCATION[i]), then @extra. */
static void package_of(struct it *t, const char *m, const char *mods, const char *extra)
{
	char conf[4096], name[64];
	size_t len =
	    (size_t)snprintf(conf, sizeof(conf), "PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\n", m);
	int i = 0;

	for (const char *p = mods; sscanf(p, "%63s", name) == 1; i++) {
		len += (size_t)snprintf(
		    conf + len, sizeof(conf) - len,
		    "BUILT_MODULE_NAME[%d]=%s\nDEST_MODULE_LOCATION[%d]=/updates/dkms\n", i, name,
		    i);
		p = strstr(p, name) + strlen(name);
	}
	snprintf(conf + len, sizeof(conf) - len, "%s", extra);
	package(t, m, mods, conf);
}

/* dkms-sandbox VERB @m/1.0 -k KVER MORE. */
static int on(struct it *t, const char *verb, const char *m, const char *more)
{
	char args[1024];

	snprintf(args, sizeof(args), "%s %s/1.0 -k %s %s", verb, m, t->kver, more ? more : "");
	return dks(t, args);
}

static void expect_out(const struct it *t, const char *needle)
{
	cr_expect(strstr(t->out, needle) != NULL, "'%s' not in:\n%s", needle, t->out);
}

static void expect_status(struct it *t, const char *needle)
{
	dks(t, "status");
	expect_out(t, needle);
}

#define PKG(m) "PACKAGE_NAME=" m "\nPACKAGE_VERSION=1.0\n"

/* ---- add ------------------------------------------------------------------------------- */

/* Debian's dkms, in the same kind of temporary trees (it writes a temp
 * file in /tmp and nothing else for a refused add). */
static int debian_dkms_add(struct it *t, const char *dir)
{
	cr_assert_eq(
	    access("/usr/sbin/dkms", X_OK), 0,
	    "Debian's dkms (/usr/sbin/dkms, the reference; make deps installs it) is missing");
	return sh(t,
		  "mkdir -p %s/ref/dkms %s/ref/src && /usr/sbin/dkms add %s --dkmstree %s/ref/dkms "
		  "--sourcetree %s/ref/src",
		  t->root, t->root, dir, t->root, t->root);
}

Test(dkmsconfcases, add_of_a_directory_without_dkms_conf_is_exit_1, .timeout = 120)
{
	struct it t;
	char dir[512], args[600];
	int ref;

	setup(&t);
	snprintf(dir, sizeof(dir), "%s/noconf", t.root);
	cr_assert_eq(
	    sh(&t, "mkdir %s && echo 'int x;' > %s/x.c && chmod -R a+rX %s", dir, dir, dir), 0,
	    "%s", t.out);
	ref = debian_dkms_add(&t, dir);
	cr_expect_eq(ref, 1, "Debian's dkms: %s", t.out);
	snprintf(args, sizeof(args), "add %s", dir);
	cr_expect_eq(dks(&t, args), ref, "%s", t.out);
	expect_out(&t, "Arguments <module> and <module-version> are not specified");
	cr_expect_eq(sh(&t, "ls -A %s/dkms %s/src | grep -c noconf", t.root, t.root), 1,
		     "nothing added: %s", t.out);
}

/* One upstream case: a package (@mods) with @conf; `add` exits @code and
 * says @needle (NULL: any words). With @ref, Debian's dkms 3.0.10 adds the
 * same directory and must exit @code too (the cases it checks as 3.4). */
static void add_case(struct it *t, const char *m, const char *mods, const char *conf, int code,
		     const char *needle, bool ref)
{
	char args[600];

	package(t, m, mods, conf);
	snprintf(args, sizeof(args), "%s/src/%s-1.0", t->root, m);
	if (ref)
		cr_expect_eq(debian_dkms_add(t, args), code, "Debian's dkms, %s: %s", m, t->out);
	snprintf(args, sizeof(args), "add %s/1.0", m);
	cr_expect_eq(dks(t, args), code, "%s: %s", m, t->out);
	if (needle)
		expect_out(t, needle);
}

Test(dkmsconfcases, empty_and_invalid_dkms_conf_are_exit_8_at_add, .timeout = 120)
{
	struct it t;

	setup(&t);
	add_case(&t, "empty", "empty", "", 8, NULL, true);
	add_case(&t, "comment", "comment", "# nothing but a comment\n", 8,
		 "No 'PACKAGE_NAME' directive specified", false);
	/* upstream's dkms_conf_test_invalid: its first error is record #0's. */
	add_case(&t, "invalid", "bar",
		 PKG("invalid") "DEST_MODULE_NAME[0]=bar.ko\nDEST_MODULE_LOCATION=/wrong/path\n"
				"BUILT_MODULE_NAME[1]=bar.o\nDEST_MODULE_NAME[1]=foo\n"
				"AUTOINSTALL=maybe\n",
		 8, "No 'BUILT_MODULE_NAME' directive specified for record #0", true);
	add_case(&t, "maybe", "maybe",
		 PKG("maybe") "DEST_MODULE_LOCATION[0]=/updates\nAUTOINSTALL=maybe\n", 8,
		 "Unsupported AUTOINSTALL value 'maybe'", false);
	add_case(&t, "nodest", "nodest", PKG("nodest") "BUILT_MODULE_NAME[0]=nodest\n", 8,
		 "No 'DEST_MODULE_LOCATION' directive specified for record #0", true);
	add_case(&t, "wrongdest", "wrongdest",
		 PKG("wrongdest") "DEST_MODULE_LOCATION[0]=/wrong/path\n", 8,
		 "does not begin with '/kernel', '/updates', or '/extra' in record #0", true);
	cr_expect_eq(dks(&t, "status"), 0, "%s", t.out);
	cr_expect_eq(t.out[0], '\0', "nothing was added: %s", t.out);
}

Test(dkmsconfcases, sparse_arrays_and_duplicates_are_exit_8_at_add, .timeout = 120)
{
	struct it t;

	setup(&t);
	add_case(&t, "sparse", "s1 s3",
		 PKG("sparse") "BUILT_MODULE_NAME[1]=s1\nDEST_MODULE_LOCATION[1]=/kernel/extra\n"
			       "BUILT_MODULE_NAME[3]=s3\nDEST_MODULE_LOCATION[3]=/kernel/extra\n"
			       "DEST_MODULE_LOCATION[4]=/oops\n",
		 8, "No 'BUILT_MODULE_NAME' directive specified for record #0", true);
	add_case(&t, "dup", "dup",
		 PKG("dup") "BUILT_MODULE_NAME[0]=dup\nDEST_MODULE_LOCATION[0]=/kernel/extra\n"
			    "BUILT_MODULE_NAME[1]=dup\nDEST_MODULE_LOCATION[1]=/kernel/extra\n",
		 8, "Duplicate module 'dup' in 'BUILT_MODULE_NAME[1]'", false);
	add_case(&t, "dupdest", "a b",
		 PKG("dupdest") "BUILT_MODULE_NAME[0]=a\nDEST_MODULE_LOCATION[0]=/kernel/extra\n"
				"BUILT_MODULE_NAME[1]=b\nDEST_MODULE_NAME[1]=a\n"
				"DEST_MODULE_LOCATION[1]=/kernel/extra\n",
		 8, "Duplicate module 'a' in 'DEST_MODULE_NAME[1]'", false);
}

Test(dkmsconfcases, zero_modules_and_deprecated_directives_warn_and_add, .timeout = 300)
{
	struct it t;

	setup(&t);
	add_case(&t, "zero", "zero", PKG("zero"), 0, "Zero modules specified.", false);
	expect_status(&t, "zero/1.0: added");
	add_case(&t, "old", "old",
		 PKG("old") "BUILT_MODULE_NAME[0]=old\nDEST_MODULE_LOCATION[0]=/kernel/extra\n"
			    "AUTOINSTALL=yes\nREMAKE_INITRD=yes\nCLEAN=\"make "
			    "clean\"\nOBSOLETE_BY=99.0\n",
		 0, "Deprecated feature: REMAKE_INITRD", false);
	expect_out(&t, "Deprecated feature: OBSOLETE_BY: use BUILD_EXCLUSIVE_KERNEL_MAX instead");
	/* dkms 3.4 warns for CLEAN too, Debian's 3.0.10 does not (every Debian
	 * package sets it): the reference's way here. */
	cr_expect(strstr(t.out, "Deprecated feature: CLEAN") == NULL, "%s", t.out);
	cr_expect_eq(on(&t, "install", "old", NULL), 0, "%s", t.out);
	expect_status(&t, "old/1.0, ");
	expect_out(&t, ": installed");
}

Test(dkmsconfcases, crlf_conf_with_a_dest_name_installs, .timeout = 300)
{
	struct it t;

	setup(&t);
	package(&t, "crlf", "crlf",
		"PACKAGE_NAME=\"crlf\"\r\nPACKAGE_VERSION=\"1.0\"\r\nBUILT_MODULE_NAME[0]=crlf\r\n"
		"DEST_MODULE_NAME[0]=dos\r\nDEST_MODULE_LOCATION[0]=\"/kernel/extra\"\r\n");
	cr_expect_eq(dks(&t, "add crlf/1.0"), 0, "%s", t.out);
	cr_expect_eq(on(&t, "install", "crlf", NULL), 0, "%s", t.out);
	expect_status(&t, "crlf/1.0, ");
	cr_expect_eq(
	    sh(&t, "find %s/root/lib/modules/%s -name 'dos.ko*' | grep -c .", t.root, t.kver), 0,
	    "installed as dos.ko: %s", t.out);
}

/* ---- build: the source, the patches ---------------------------------------------------- */

Test(dkmsconfcases, defaulted_name_without_module_source_is_exit_8_at_build, .timeout = 120)
{
	struct it t;
	char conf[512];

	setup(&t);
	cr_assert_eq(sh(&t, "mkdir %s/src/nosrc-1.0", t.root), 0);
	snprintf(conf, sizeof(conf), "%s/src/nosrc-1.0/dkms.conf", t.root);
	sbt_write_file(conf, PKG("nosrc") "DEST_MODULE_LOCATION[0]=/updates-dkms-test\n", 0, 0,
		       0644);
	cr_expect_eq(dks(&t, "add nosrc/1.0"), 0, "%s", t.out);
	cr_expect_eq(on(&t, "build", "nosrc", NULL), 8, "%s", t.out);
	expect_out(&t, "does not appear to have module source located within it");
	expect_status(&t, "nosrc/1.0: added");
}

Test(dkmsconfcases, missing_or_climbing_patches_are_exit_5_at_build, .timeout = 300)
{
	static const char *const bad[] = {"missing.patch", "../badpath.patch",
					  "subdir/../badpath.patch"};
	static const char *const says[] = {"cannot be found in", "contains '..' path component",
					   "contains '..' path component"};
	char conf[512], name[32];
	struct it t;

	setup(&t);
	for (size_t i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "patch%zu", i);
		snprintf(conf, sizeof(conf),
			 "PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=%s\n"
			 "DEST_MODULE_LOCATION[0]=/kernel/extra\nPATCH[0]=\"%s\"\n",
			 name, name, bad[i]);
		package(&t, name, name, conf);
		cr_expect_eq(sh(&t, "echo 'not a patch' > %s/src/badpath.patch", t.root), 0);
		snprintf(conf, sizeof(conf), "add %s/1.0", name);
		cr_expect_eq(dks(&t, conf), 0, "added, as dkms does: %s", t.out);
		cr_expect_eq(on(&t, "build", name, NULL), 5, "%s: %s", bad[i], t.out);
		expect_out(&t, says[i]);
		expect_out(&t, bad[i]);
	}
}

/* ---- BUILD_EXCLUSIVE_*[i] (dkms 3.4) --------------------------------------------------- */

Test(dkmsconfcases, element_0_of_build_exclusive_excludes_the_package, .timeout = 300)
{
	struct it t;

	setup(&t);
	/* upstream's dkms_per_module_kernel_version_test: [0] is the package's. */
	package_of(&t, "kv", "old new",
		   "BUILD_EXCLUSIVE_KERNEL_MAX[0]=3.99\nBUILD_EXCLUSIVE_KERNEL_MIN[1]=5.0\n");
	cr_expect_eq(dks(&t, "add kv/1.0"), 0, "%s", t.out);
	cr_expect_eq(on(&t, "build", "kv", NULL), 77, "%s", t.out);
	expect_out(&t, "BUILD_EXCLUSIVE_KERNEL_MAX");
	expect_status(&t, "kv/1.0: added");
	/* upstream's dkms_per_module_config_test: [1] alone cannot undo [0]. */
	package_of(&t, "cfg", "m1 m2 m3",
		   "BUILD_EXCLUSIVE_KERNEL[0]=\"^99\\..*\"\nBUILD_EXCLUSIVE_KERNEL[1]=\".*\"\n"
		   "BUILD_EXCLUSIVE_ARCH[1]=none\n");
	cr_expect_eq(dks(&t, "add cfg/1.0"), 0, "%s", t.out);
	cr_expect_eq(on(&t, "build", "cfg", NULL), 77, "%s", t.out);
	expect_status(&t, "cfg/1.0: added");
}

/* upstream's dkms_per_module_config_exclusive_test, and an arch variant:
 * the module whose own entry excludes the kernel is left out, the others
 * are built and installed. */
Test(dkmsconfcases, a_module_excluded_by_its_own_entry_is_skipped_not_the_package, .timeout = 300)
{
	struct it t;

	setup(&t);
	package_of(&t, "pm", "mod1 mod2 mod3",
		   "BUILD_EXCLUSIVE_CONFIG[0]=\"CONFIG_MODULES !CONFIG_NONEXISTENT_CONFIG\"\n"
		   "BUILD_EXCLUSIVE_CONFIG[1]=\"!CONFIG_MODULES CONFIG_NONEXISTENT_CONFIG\"\n"
		   "BUILD_EXCLUSIVE_ARCH[2]=\"^none$\"\n");
	cr_expect_eq(dks(&t, "add pm/1.0"), 0, "%s", t.out);
	cr_expect_eq(on(&t, "install", "pm", NULL), 0, "%s", t.out);
	expect_status(&t, "pm/1.0, ");
	cr_expect_eq(sh(&t,
			"cd %s/root/lib/modules/%s && find . -name 'mod*.ko*' | sed 's|.*/||' | "
			"sort | tr '\\n' ' '",
			t.root, t.kver),
		     0);
	cr_expect(strncmp(t.out, "mod1.ko", 7) == 0 && strstr(t.out, "mod2") == NULL &&
		      strstr(t.out, "mod3") == NULL,
		  "only mod1 installed: %s", t.out);
}

/* ---- BUILD_DEPENDS ---------------------------------------------------------------------- */

Test(dkmsconfcases, circular_dependencies_fail_autoinstall_and_build, .timeout = 300)
{
	struct it t;
	char args[600];

	setup(&t);
	package_of(&t, "circ", "circ", "AUTOINSTALL=yes\nBUILD_DEPENDS=circ\n");
	cr_expect_eq(dks(&t, "add circ/1.0"), 0, "%s", t.out);
	snprintf(args, sizeof(args), "autoinstall -k %s", t.kver);
	cr_expect_eq(dks(&t, args), 11, "%s", t.out);
	expect_out(&t, "circ/1.0 autoinstall failed due to missing dependencies: circ.");
	expect_status(&t, "circ/1.0: added");
	cr_expect_eq(on(&t, "build", "circ", NULL), 13, "%s", t.out);
	expect_out(&t, "due to missing BUILD_DEPENDS: circ.");
	cr_expect_eq(on(&t, "build", "circ", "--force"), 0, "%s", t.out);
	expect_out(&t, "despite of missing BUILD_DEPENDS: circ.");
}

/* A dependency added but not AUTOINSTALL: a real missing one (11); one
 * not added at all: deferred (0); one that fails to build: 11. */
Test(dkmsconfcases, dependencies_autoinstall_cannot_meet_fail_it, .timeout = 300)
{
	struct it t;
	char args[600];

	setup(&t);
	snprintf(args, sizeof(args), "autoinstall -k %s", t.kver);
	package_of(&t, "later", "later", "AUTOINSTALL=yes\nBUILD_DEPENDS=elsewhere\n");
	cr_expect_eq(dks(&t, "add later/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, args), 0, "%s", t.out);
	expect_out(&t, "later/1.0 autoinstall deferred: BUILD_DEPENDS not registered with DKMS: "
		       "elsewhere.");
	package_of(&t, "manual", "manual", "");
	package_of(&t, "needy", "needy", "AUTOINSTALL=yes\nBUILD_DEPENDS=manual\n");
	cr_expect_eq(dks(&t, "add manual/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, "add needy/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, args), 11, "%s", t.out);
	expect_out(&t, "needy/1.0 autoinstall failed due to missing dependencies: manual.");
	expect_status(&t, "needy/1.0: added");
	expect_out(&t, "manual/1.0: added");
	/* Once the dependency is installed by hand, autoinstall builds it. */
	cr_expect_eq(on(&t, "install", "manual", NULL), 0, "%s", t.out);
	cr_expect_eq(dks(&t, args), 0, "%s", t.out);
	expect_status(&t, "needy/1.0, ");
}

Test(dkmsconfcases, build_depends_rebuild_records_and_follows_the_dependency_version,
     .timeout = 400)
{
	struct it t;
	char dep[600], args[600];

	setup(&t);
	package_of(&t, "base", "base", "");
	package_of(&t, "child", "child", "BUILD_DEPENDS=base\nBUILD_DEPENDS_REBUILD=yes\n");
	cr_expect_eq(dks(&t, "add base/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, "add child/1.0"), 0, "%s", t.out);
	cr_expect_eq(on(&t, "build", "child", NULL), 13, "%s", t.out);
	cr_expect_eq(on(&t, "build", "child", "--force"), 0, "%s", t.out);
	snprintf(dep, sizeof(dep), "%s/dkms/child/1.0/%s/x86_64/.dep_base", t.root, t.kver);
	cr_expect_neq(access(dep, F_OK), 0, "--force records nothing (as dkms)");
	cr_expect_eq(on(&t, "unbuild", "child", NULL), 0, "%s", t.out);
	cr_expect_eq(on(&t, "install", "base", NULL), 0, "%s", t.out);
	cr_expect_eq(on(&t, "build", "child", NULL), 0, "%s", t.out);
	cr_expect_eq(sh(&t, "cat %s", dep), 0, "%s", t.out);
	cr_expect_str_eq(t.out, "1.0\n");
	/* A new version of the dependency installed: child is rebuilt against
	 * it, and installed again (dkms's check_and_rebuild_dependent_modules). */
	cr_expect_eq(on(&t, "install", "child", NULL), 0, "%s", t.out);
	cr_assert_eq(sh(&t,
			"cd %s/src && cp -r base-1.0 base-2.0 && "
			"sed -i 's/^PACKAGE_VERSION=1.0/PACKAGE_VERSION=2.0/' base-2.0/dkms.conf && "
			/* a new version of the module too: the same module again
			 * would be refused by install's version check (states::) */
			"sed -i 's/MODULE_VERSION(\"1.0\")/MODULE_VERSION(\"2.0\")/' base-2.0/*.c && "
			"grep -q 'MODULE_VERSION(\"2.0\")' base-2.0/*.c",
			t.root),
		     0, "%s", t.out);
	cr_expect_eq(dks(&t, "add base/2.0"), 0, "%s", t.out);
	snprintf(args, sizeof(args), "install base/2.0 -k %s", t.kver);
	cr_expect_eq(dks(&t, args), 0, "%s", t.out);
	expect_out(&t, "Rebuilding module child/1.0 due to updated dependencies");
	cr_expect_eq(sh(&t, "cat %s", dep), 0, "%s", t.out);
	cr_expect_str_eq(t.out, "2.0\n");
	expect_status(&t, "child/1.0, ");
	cr_expect(strstr(t.out, "child/1.0, ") &&
		      strstr(strstr(t.out, "child/1.0, "), ": installed"),
		  "%s", t.out);
	package_of(&t, "badflag", "badflag", "BUILD_DEPENDS_REBUILD=always\n");
	cr_expect_eq(dks(&t, "add badflag/1.0"), 8, "%s", t.out);
	expect_out(&t, "Unsupported BUILD_DEPENDS_REBUILD value 'always'");
}

/* ---- links in a source that add copies ---------------------------------------------- */

/* Debian's *-dkms sources hold links such as README.gz -> /usr/share/doc/...:
 * add SOURCE_DIR copies them as links, never following them; the hostile
 * ones (to /etc/shadow, to a directory outside, a loop) are copied as links
 * too, and the module still builds: nothing of the host is read through
 * them, and in the build sandbox they dangle. */
Test(dkmsconfcases, add_copies_links_as_links_and_never_follows_them, .timeout = 300)
{
	struct it t;
	char dir[512], args[600];

	setup(&t);
	snprintf(dir, sizeof(dir), "%s/outside/links-1.0", t.root);
	package_of(&t, "links", "links", "");
	cr_assert_eq(sh(&t,
			"mkdir -p %s/outside && mv %s/src/links-1.0 %s && cd %s && "
			"ln -s /usr/share/doc/dkms/changelog.Debian.gz README.gz && "
			"ln -s /etc/shadow shadow && ln -s /etc etc && ln -s loop2 loop1 && "
			"ln -s loop1 loop2 && ln -s Kbuild inside && ln -s ../../../../etc up",
			t.root, t.root, dir, dir),
		     0, "%s", t.out);
	snprintf(args, sizeof(args), "add %s", dir);
	cr_expect_eq(dks(&t, args), 0, "%s", t.out);
	cr_expect_eq(sh(&t,
			"cd %s/src/links-1.0 && for l in README.gz shadow etc loop1 loop2 inside "
			"up; do printf '%%s ' $(readlink $l); done",
			t.root),
		     0, "%s", t.out);
	cr_expect_str_eq(t.out, "/usr/share/doc/dkms/changelog.Debian.gz /etc/shadow /etc loop2 "
				"loop1 Kbuild ../../../../etc ");
	cr_expect_eq(on(&t, "build", "links", NULL), 0, "%s", t.out);
}

/* The host reads a module's dkms.conf (and recipe) only as files of the
 * source: a dkms.conf that is a link to /etc/shadow is refused before
 * anything reads it, and no line of it shows up. */
Test(dkmsconfcases, a_dkms_conf_or_recipe_linked_out_of_the_source_is_refused, .timeout = 120)
{
	struct it t;
	char dir[512], args[600];

	setup(&t);
	snprintf(dir, sizeof(dir), "%s/src/evil-1.0", t.root);
	cr_assert_eq(sh(&t,
			"mkdir %s && cp %s/tests/modules/hello/* %s && "
			"ln -s /etc/shadow %s/dkms.conf && chmod -R a+rX %s",
			dir, getenv("DKS_SRCDIR"), dir, dir, dir),
		     0, "%s", t.out);
	cr_expect_eq(dks(&t, "add evil/1.0"), 8, "%s", t.out);
	expect_out(&t, "a link out of its source directory");
	cr_expect(strstr(t.out, "root:") == NULL, "a line of /etc/shadow: %s", t.out);
	snprintf(args, sizeof(args), "add %s", dir);
	cr_expect_eq(dks(&t, args), 8, "%s", t.out);
	cr_expect(strstr(t.out, "root:") == NULL, "a line of /etc/shadow: %s", t.out);
	/* PATH/dkms.conf: the link is not resolved into /etc as the source. */
	snprintf(args, sizeof(args), "add %s/dkms.conf", dir);
	cr_expect_eq(dks(&t, args), 8, "%s", t.out);
	expect_out(&t, "a link out of its source directory");
	cr_assert_eq(sh(&t, "rm %s/dkms.conf && ln -s /etc/shadow %s/dkms-sandbox.yaml", dir, dir),
		     0);
	cr_expect_eq(dks(&t, "add evil/1.0"), 8, "%s", t.out);
	expect_out(&t, "a symbolic link: refused");
	cr_expect(strstr(t.out, "root:") == NULL, "a line of /etc/shadow: %s", t.out);
}

/* autoinstall tells a refused build from a skipped one by its exit code:
 * a missing patch (5, refused before any log is written) fails it (11),
 * only BUILD_EXCLUSIVE (77) is a skip. */
Test(dkmsconfcases, autoinstall_counts_a_refused_build_as_failed_not_skipped, .timeout = 300)
{
	struct it t;
	char args[600];

	setup(&t);
	snprintf(args, sizeof(args), "autoinstall -k %s", t.kver);
	package_of(&t, "badpatch", "badpatch", "AUTOINSTALL=yes\nPATCH[0]=missing.patch\n");
	cr_expect_eq(dks(&t, "add badpatch/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, args), 11, "%s", t.out);
	expect_out(&t, "Patch missing.patch as specified in dkms.conf cannot be found");
	cr_expect_eq(dks(&t, "remove badpatch/1.0 --all"), 0, "%s", t.out);
	package_of(&t, "excl", "excl", "AUTOINSTALL=yes\nBUILD_EXCLUSIVE_KERNEL=\"^99\\.\"\n");
	cr_expect_eq(dks(&t, "add excl/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, args), 0, "only skipped: %s", t.out);
	/* dkms: a skipped dependency leaves its dependent to the build's own
	 * BUILD_DEPENDS check, which fails (13): autoinstall fails. */
	package_of(&t, "after", "after", "AUTOINSTALL=yes\nBUILD_DEPENDS=excl\n");
	cr_expect_eq(dks(&t, "add after/1.0"), 0, "%s", t.out);
	cr_expect_eq(dks(&t, args), 11, "%s", t.out);
	expect_out(&t, "due to missing BUILD_DEPENDS: excl.");
}
