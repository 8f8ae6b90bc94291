// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsck (orchestrator/fsck*.c, docs/reliability.md): every kind of
 * inconsistency it knows, planted in a temporary tree (insttest.h), is
 * reported with its path; --repair fixes the safe ones (leftovers of
 * writers that are gone, an installed link to nothing) and leaves the
 * others listed (exit 1); a clean tree is exit 0. Hostile names: a
 * leftover's pid that is alive (ours) is not touched; a kernel link
 * pointing out of the module dir is reported, never followed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "insttest.h"
#include "sbtest.h"

TestSuite(fsck, .fini = sbt_cleanup);

#define expect_out(t, want) \
	cr_expect(strstr((t)->out, (want)) != NULL, "want '%s' in: %s", (want), (t)->out)
#define expect_no(t, want) \
	cr_expect(strstr((t)->out, (want)) == NULL, "did not want '%s' in: %s", (want), (t)->out)

/* A pid that was a process and is gone. */
static long dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	cr_assert_gt(p, 0);
	waitpid(p, NULL, 0);
	return (long)p;
}

static const char *arch(void)
{
	static struct utsname u;

	uname(&u);
	return u.machine;
}

Test(fsck, a_clean_tree_is_exit_0, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_expect_eq(dks(&t, "fsck"), 0, "%s", t.out);
	expect_out(&t, "0 found, 0 repaired");
	cr_expect_eq(dks(&t, "fsck hello"), 0, "%s", t.out);
}

Test(fsck, leftovers_of_dead_writers_are_found_and_repaired, .timeout = 120)
{
	struct it t;
	long dead = dead_pid();

	setup(&t);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(sh(&t, "d=%s/dkms && mkdir -p $d/.gone-aaaaaa/x $d/.ldtarball-%ld-bbbbbb "
			    "$d/.ldtarball-%ld-cccccc $d/hello/1.0/.old-dddddd "
			    "$d/hello/1.0/9.9/.new-eeeeee $d/hello/1.0/9.9/%s/.adopt-ffffff && "
			    "touch $d/hello/1.0/9.9/%s/.preflight-failed.%ld && "
			    "ln -s x $d/hello/1.0/.link-gggggg && "
			    "ln -s 1.0/9.9/%s $d/hello/kernel-9.9-%s && "
			    "echo half > $d/hello/.txn-9.9-x86_64.dks-new && "
			    /* best-effort records' temp files: a dead writer's,
			     * an older version's (no pid), a live one's */
			    "touch $d/.dpkg-owners.%ld-hhhhhh $d/.dpkg-owners.iiiiii "
			    "$d/.dpkg-owners.%ld-jjjjjj $d/hello/1.0/.last-build-ms-%ld-kkkkkk "
			    "$d/hello/1.0/.last-build-ms-%ld-llllll",
			 t.root, dead, (long)getpid(), arch(), arch(), dead, arch(), arch(), dead,
			 (long)getpid(), dead, (long)getpid()),
		     0, "%s", t.out);
	cr_expect_eq(dks(&t, "fsck"), 1, "%s", t.out);
	expect_out(&t, ".gone-aaaaaa: the leftover of a remove");
	expect_out(&t, ".ldtarball-");
	expect_no(&t, "cccccc"); /* our own pid: alive */
	expect_out(&t, ".old-dddddd");
	expect_out(&t, ".new-eeeeee");
	expect_out(&t, ".adopt-ffffff");
	expect_out(&t, ".preflight-failed.");
	expect_out(&t, ".link-gggggg");
	expect_out(&t, "kernel-9.9-");
	expect_out(&t, ".txn-9.9-x86_64.dks-new: the leftover of a journal write");
	expect_out(&t, "hhhhhh: a dpkg memo write whose process is gone");
	expect_out(&t, "iiiiii: a dpkg memo write");
	expect_no(&t, "jjjjjj");
	expect_out(&t, "kkkkkk: a build-time record whose writer is gone");
	expect_no(&t, "llllll");
	expect_out(&t, "12 found, 0 repaired, 12 left");
	cr_expect_eq(dks(&t, "fsck --repair"), 0, "%s", t.out);
	expect_out(&t, "12 found, 12 repaired");
	cr_expect_eq(dks(&t, "fsck"), 0, "%s", t.out);
	cr_expect_eq(sh(&t, "test -d %s/dkms/.ldtarball-%ld-cccccc", t.root, (long)getpid()), 0);
	cr_expect_eq(sh(&t, "test -f %s/dkms/.dpkg-owners.%ld-jjjjjj && "
			    "test -f %s/dkms/hello/1.0/.last-build-ms-%ld-llllll",
			 t.root, (long)getpid(), t.root, (long)getpid()),
		     0, "a live writer's temp file was removed");
	cr_expect_eq(dks(&t, "status"), 0, "%s", t.out);
	expect_out(&t, "hello/1.0: added");
}

Test(fsck, damage_that_needs_a_command_is_listed_not_repaired, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(sh(&t, "d=%s/dkms/hello && printf 'hel' > $d/1.0/%s/%s/manifest && "
			    "touch $d/.txn-%s-%s $d/.txn-..-x && echo x >> %s/root/lib/modules/%s/updates/dkms/hello.ko",
			 t.root, t.kver, arch(), t.kver, arch(), t.root, t.kver),
		     0, "%s", t.out);
	cr_expect_eq(dks(&t, "fsck --repair"), 1, "%s", t.out);
	expect_out(&t, "manifest: ");
	expect_out(&t, "bad line in");
	expect_out(&t, "an install or uninstall was cut short: cannot repair: ");
	expect_out(&t, "not a dkms-sandbox journal");
	expect_out(&t, "installed files differ from the install record");
	expect_out(&t, ".txn-..-x: an install or uninstall was cut short: cannot repair: not a "
		       "journal name the installer makes");
	expect_out(&t, "4 found, 0 repaired, 4 left");
}

Test(fsck, a_source_link_to_nothing_is_listed, .timeout = 120)
{
	struct it t;

	setup(&t);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(sh(&t, "mv %s/src/hello-1.0 %s/src/moved", t.root, t.root), 0, "%s", t.out);
	cr_expect_eq(dks(&t, "fsck"), 1, "%s", t.out);
	expect_out(&t, "hello/1.0: its source link points to nothing");
}

Test(fsck, a_module_not_added_is_exit_3_and_a_bad_name_refused, .timeout = 60)
{
	struct it t;

	setup(&t);
	cr_expect_eq(dks(&t, "fsck nosuch"), 3, "%s", t.out);
	expect_out(&t, "nosuch: not added");
	cr_expect_neq(dks(&t, "fsck ../etc"), 0, "%s", t.out);
}

/* install killed at each of its crash points (the crash-test binary):
 * whatever it left, fsck --repair brings the tree to a state status
 * prints whole (built or installed), a second fsck finds nothing, and
 * install then succeeds. */
Test(fsck, repair_recovers_an_install_killed_at_every_crash_point, .timeout = 600)
{
	struct it t;
	int n, journals = 0;

	setup(&t);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(sh(&t, "cd %s && cp -a dkms dkms.built && cp -a root root.built", t.root), 0,
		     "%s", t.out);
	for (n = 1; n < 40; n++) {
		cr_assert_eq(sh(&t, "cd %s && rm -rf dkms root && cp -a dkms.built dkms && "
				    "cp -a root.built root", t.root), 0, "%s", t.out);
		sh(&t, "DKS_CRASH_AFTER=%d %s install hello/1.0 -k %s %s", n,
		   getenv("DKS_CRASHBIN"), t.kver, t.opts);
		if (!strstr(t.out, "crash point"))
			break;
		cr_expect_eq(dks(&t, "fsck --repair"), 0, "crash point %d: %s", n, t.out);
		journals += strstr(t.out, "cut short: repaired") != NULL;
		cr_expect_eq(dks(&t, "fsck"), 0, "crash point %d: %s", n, t.out);
		cr_expect_eq(dks(&t, "status"), 0, "%s", t.out);
		cr_expect(strstr(t.out, ": built\n") || strstr(t.out, ": installed\n"),
			  "crash point %d: status %s", n, t.out);
		cr_expect_eq(hello_on(&t, "install", t.kver, ""), 0, "crash point %d: %s", n, t.out);
	}
	cr_expect_gt(n, 2, "install reached no crash point");
	cr_expect_lt(n, 40, "install never ran through");
	cr_expect_gt(journals, 0, "no crash left a journal for fsck to recover");
}
