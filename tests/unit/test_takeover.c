// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tree Debian's dkms 3.0.10 made is taken over (docs/tree.md, "A tree
 * dkms left"): the real /usr/sbin/dkms adds, builds and installs a small
 * module in temporary trees; dkms-sandbox ($DKS_BIN) must print dkms's
 * status lines for it, and its uninstall, unbuild and remove must leave
 * the trees as dkms's own would. dkms runs with a key of the test's own
 * (mok_signing_key/mok_certificate) and --no-depmod, and every test checks
 * that the machine's /var/lib/dkms did not change.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest.h"

#define DKMS "/usr/sbin/dkms"

TestSuite(takeover, .fini = sbt_cleanup);

struct fx {
	char root[256], kver[256];
	char machine[4096]; /* `ls -la` of the machine's /var/lib/dkms, before */
};

/* @cmd's output into @out; its exit code. */
static int capture(const char *cmd, char *out, size_t size)
{
	return sbt_sh(out, size, "%s", cmd);
}

static void machine_tree(char *out, size_t size)
{
	capture("ls -la --time-style=full-iso /var/lib/dkms 2>&1", out, size);
}

/* A module source with a dkms.conf, trees in @f->root, KVER/build linked
 * to the real headers. */
static void setup(struct fx *f)
{
	char *dir, *kver;

	cr_assert_eq(access(DKMS, X_OK), 0,
		     DKMS " is not installed (make deps installs Debian's dkms): nothing to compare with");
	dir = sbt_mkdtemp(NULL);
	kver = sbt_installed_kernel();
	snprintf(f->root, sizeof(f->root), "%s", dir);
	snprintf(f->kver, sizeof(f->kver), "%s", kver);
	free(dir);
	free(kver);
	machine_tree(f->machine, sizeof(f->machine));
	sbt_must("chown 0:0 %s && chmod 755 %s && mkdir -p %s/dkms %s/src/hello-1.0 %s/lib/%s && "
		 "cp %s/tests/modules/hello/* %s/src/hello-1.0/ && "
		 "ln -s \"$(readlink -f /lib/modules/%s/build)\" %s/lib/%s/build",
		 f->root, f->root, f->root, f->root, f->root, f->kver, getenv("DKS_SRCDIR"), f->root, f->kver,
		 f->root, f->kver);
	sbt_must("printf 'PACKAGE_NAME=hello\\nPACKAGE_VERSION=1.0\\nBUILT_MODULE_NAME[0]=hello\\n"
	   "DEST_MODULE_LOCATION[0]=/updates/dkms\\nAUTOINSTALL=yes\\n' > %s/src/hello-1.0/dkms.conf"
	   " && chmod -R a+rX %s/src", f->root, f->root);
}

/* The machine's /var/lib/dkms is as it was. */
static void machine_unchanged(const struct fx *f)
{
	char now[sizeof(f->machine)];

	machine_tree(now, sizeof(now));
	cr_assert_str_eq(now, f->machine, "the machine's /var/lib/dkms changed");
}

static const char *trees(const char *root)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/lib",
		 root, root, root);
	return buf;
}

/* Real dkms on the trees in @root: its exit code, its output in @out. */
static int dkms(const struct fx *f, const char *root, const char *args, char *out, size_t size)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "mok_signing_key=%s/mok.key mok_certificate=%s/mok.pub " DKMS
		 " %s -m hello -v 1.0 %s --no-depmod 2>&1", f->root, f->root, args, trees(root));
	return capture(cmd, out, size);
}

static int ours(const char *root, const char *args, char *out, size_t size)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "%s %s hello/1.0 %s --no-depmod 2>&1", getenv("DKS_BIN"), args,
		 trees(root));
	return capture(cmd, out, size);
}

/* One dkms verb on the fixture: add, or build/install for its kernel. */
static void dkms_step(const struct fx *f, const char *verb)
{
	char args[512], out[65536];
	bool add = strcmp(verb, "add") == 0;

	snprintf(args, sizeof(args), "%s%s%s", verb, add ? "" : " -k ", add ? "" : f->kver);
	cr_assert_eq(dkms(f, f->root, args, out, sizeof(out)), 0, "dkms %s: %s", args, out);
}

/* dkms makes, from nothing, the state @verb leads to. */
static void dkms_to(const struct fx *f, const char *verb)
{
	const char *const steps[] = {"add", "build", "install"};

	for (size_t i = 0; i < 3; i++) {
		dkms_step(f, steps[i]);
		if (strcmp(steps[i], verb) == 0)
			break;
	}
}

/* Both tools' status lines, the same. */
static void same_status(const struct fx *f, const char *root, const char *want)
{
	char theirs[4096], mine[4096], cmd[2048];

	snprintf(cmd, sizeof(cmd), DKMS " status %s 2>&1", trees(root));
	cr_assert_eq(capture(cmd, theirs, sizeof(theirs)), 0, "%s", theirs);
	snprintf(cmd, sizeof(cmd), "%s status %s 2>&1", getenv("DKS_BIN"), trees(root));
	cr_assert_eq(capture(cmd, mine, sizeof(mine)), 0, "%s", mine);
	cr_assert_str_eq(mine, theirs);
	cr_assert(strstr(theirs, want), "dkms status: %s (want %s)", theirs, want);
}

/* The names in @root's dkms and install trees, sorted, without what is
 * ours alone and dkms ignores: the locks, the build's handoff (manifest,
 * hooks). Link targets are left out: the copies point at one source. */
static void listing(const char *root, char *out, size_t size)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && find dkms lib -printf '%%p %%y\\n' | "
		 "grep -Ev '/(\\.lock|\\.depmod-[^/]*\\.lock|\\.dpkg-owners|manifest|hooks) ' | "
		 "LC_ALL=C sort",
		 root);
	capture(cmd, out, size);
}

/* A copy of the whole fixture at <root>.bN (the source link still points
 * at <root>/src, which stays). */
static void copy(const struct fx *f, char *b, size_t size)
{
	static int n;

	snprintf(b, size, "%s.b%d", f->root, n++);
	sbt_defer_rmtree(b);
	sbt_must("cp -a %s %s", f->root, b);
}

Test(takeover, status_prints_dkms_lines_for_added_built_installed, .timeout = 300)
{
	struct fx f;

	setup(&f);
	dkms_step(&f, "add");
	same_status(&f, f.root, "hello/1.0: added");
	dkms_step(&f, "build");
	same_status(&f, f.root, ": built");
	dkms_step(&f, "install");
	same_status(&f, f.root, "installed");
	machine_unchanged(&f);
}

/* @verb (and @args) by dkms on the fixture and by us on a copy: same exit
 * code 0, same trees, same status. */
static void same_as_dkms(const struct fx *f, const char *verb, const char *args,
			 const char *want)
{
	char b[300], a1[512], out[65536], theirs[65536], mine[65536];

	copy(f, b, sizeof(b));
	snprintf(a1, sizeof(a1), "%s %s", verb, args);
	cr_assert_eq(dkms(f, f->root, a1, out, sizeof(out)), 0, "dkms %s: %s", a1, out);
	cr_assert_eq(ours(b, a1, out, sizeof(out)), 0, "dkms-sandbox %s: %s", a1, out);
	listing(f->root, theirs, sizeof(theirs));
	listing(b, mine, sizeof(mine));
	cr_assert_str_eq(mine, theirs, "after %s:\n%s\n---\n%s", verb, mine, theirs);
	same_status(f, b, want);
	machine_unchanged(f);
}

Test(takeover, uninstall_then_remove_leave_the_trees_as_dkms, .timeout = 300)
{
	struct fx f;
	char k[300], out[65536];

	setup(&f);
	dkms_to(&f, "install");
	snprintf(k, sizeof(k), "-k %s", f.kver);
	same_as_dkms(&f, "uninstall", k, "built");
	/* Both trees are now alike; remove from here on each. */
	same_as_dkms(&f, "remove", "--all", "");
	listing(f.root, out, sizeof(out));
	cr_assert(!strstr(out, "hello"), "dkms left: %s", out);
}

Test(takeover, remove_of_an_installed_module_uninstalls_it_as_dkms, .timeout = 300)
{
	struct fx f;

	setup(&f);
	dkms_to(&f, "install");
	same_as_dkms(&f, "remove", "--all", "");
}

Test(takeover, unbuild_of_a_built_and_of_an_installed_module, .timeout = 300)
{
	struct fx f;
	char k[300];

	setup(&f);
	snprintf(k, sizeof(k), "-k %s", f.kver);
	dkms_to(&f, "build");
	same_as_dkms(&f, "unbuild", k, "hello/1.0: added");
	dkms_step(&f, "build");
	dkms_step(&f, "install");
	same_as_dkms(&f, "unbuild", k, "hello/1.0: added");
}

/* dkms built (and signed) it with the key we use too: its signature
 * verifies against our certificate, so the module is kept as dkms signed
 * it and installed as it is (a signature by any other key is taken off
 * and the module signed again at install). */
Test(takeover, install_of_a_build_dkms_made_and_signed, .timeout = 300)
{
	struct fx f;
	char args[1024], out[65536], mod[1024];

	setup(&f);
	dkms_to(&f, "build");
	snprintf(args, sizeof(args), "install -k %s --mok-key %s/mok.key --mok-cert %s/mok.pub",
		 f.kver, f.root, f.root);
	cr_assert_eq(ours(f.root, args, out, sizeof(out)), 0, "%s", out);
	cr_expect(strstr(out, "arrived signed, verified against"), "%s", out);
	cr_assert_eq(ours(f.root, "status", out, sizeof(out)), 0, "%s", out);
	cr_expect(strstr(out, ": installed\n") && !strchr(out, '('), "%s", out);
	snprintf(mod, sizeof(mod), "%s/lib/%s/updates/dkms/hello.ko", f.root, f.kver);
	sbt_must("tail -c 28 %s | grep -q 'Module signature appended'", mod);
	sbt_must("cmp %s %s/dkms/hello/1.0/%s/*/module/hello.ko", mod, f.root, f.kver);
	machine_unchanged(&f);
}

/* dkms's added state holds an empty <v>/build/ that ours never has. */
Test(takeover, remove_of_an_added_module, .timeout = 120)
{
	struct fx f;

	setup(&f);
	dkms_to(&f, "add");
	same_as_dkms(&f, "remove", "--all", "");
}
