// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lost writes (docs/reliability.md "Lost writes"): the power-cut model of
 * make check-lostwrites (tests/faults/lostshim.c logs what a cut could
 * lose, rewind.c undoes it), and one regression test for each bug it
 * found: what a command reported done must survive a cut after it, a
 * journal naming a directory the cut took is recovered, status does not
 * call a unit installed mid-transaction, an add cut short never leaves
 * m/v broken and its leftover is fsck's to remove.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "insttest.h"
#include "sbtest.h"

/* The shim before the command; an ASan build (make check-asan) otherwise
 * refuses to start with a library loaded before its runtime. */
#define PRELOAD                                                                                    \
	"ASAN_OPTIONS=verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS} "                    \
	"LD_PRELOAD=$R/lostshim.so "

TestSuite(lostwrites, .fini = sbt_cleanup);

#define expect_out(t, want)                                                                        \
	cr_expect(strstr((t)->out, (want)) != NULL, "want '%s' in: %s", (want), (t)->out)
#define expect_no(t, want)                                                                         \
	cr_expect(strstr((t)->out, (want)) == NULL, "did not want '%s' in: %s", (want), (t)->out)

/* The shim and the rewind, built from the checkout into the test's dir. */
static void tools(struct it *t)
{
	const char *src = getenv("DKS_SRCDIR");

	cr_assert_eq(sh(t,
			"cd %s && cc -D_GNU_SOURCE -O1 -fPIC -shared -o lostshim.so "
			"%s/tests/faults/lostshim.c -ldl && cc -D_GNU_SOURCE -O1 -o rewind "
			"%s/tests/faults/rewind.c",
			t->root, src, src),
		     0, "%s", t->out);
}

#define TREES "$R/dkms:$R/root:$R/src"

/* dkms-sandbox VERB hello/1.0 -k KVER under the shim (@env: its cut),
 * with a fresh log; the binary @bin (NULL: DKS_BIN). */
static int hello_lost(struct it *t, const char *bin, const char *env, const char *verb)
{
	return sh(t,
		  "R=%s; rm -rf $R/lost && mkdir $R/lost && " PRELOAD
		  "LOST_LOG=$R/lost LOST_PATH_PREFIX=" TREES " %s %s %s hello/1.0 -k %s %s",
		  t->root, env, bin ? bin : getenv("DKS_BIN"), verb, t->kver, t->opts);
}

/* The worst case the model allows for the log of the last run. */
static void rewind_worst(struct it *t)
{
	cr_assert_eq(sh(t, "R=%s; $R/rewind $R/lost " TREES, t->root), 0, "%s", t->out);
	expect_out(t, ", 0 failed");
}

static const char *arch(void)
{
	static struct utsname u;

	uname(&u);
	return u.machine;
}

Test(lostwrites, the_model_loses_what_was_not_synced, .timeout = 60)
{
	struct it t;

	setup(&t);
	tools(&t);
	cr_assert_eq(
	    sh(&t,
	       "R=%s; mkdir -p $R/dkms/d $R/lost && sync $R/dkms $R/dkms/d && "
	       "LOST_INHERIT=1 " PRELOAD "LOST_LOG=$R/lost "
	       "LOST_PATH_PREFIX=$R/dkms sh -c 'cd $0 && echo a > new && echo b > kept && "
	       "sync kept . && mv kept moved && mkdir sub && echo c > sub/f && sync sub/f sub' "
	       "$R/dkms/d && ls $R/dkms/d && cat $R/lost/log",
	       t.root),
	    0, "%s", t.out);
	cr_assert_str_eq(strstr(t.out, "C ") ? "" : t.out, "", "nothing logged: %s", t.out);
	rewind_worst(&t);
	/* new: its entry synced with the dir, its data never: empty. kept:
	 * synced, its rename not. sub: its own entry never synced: gone. */
	cr_expect_eq(sh(&t, "cd %s/dkms/d && ls && cat kept && wc -c < new", t.root), 0, "%s",
		     t.out);
	cr_expect_str_eq(t.out, "kept\nnew\nb\n0\n");
}

Test(lostwrites, an_install_reported_done_survives_a_power_cut, .timeout = 300)
{
	struct it t;

	setup(&t);
	tools(&t);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(hello_lost(&t, NULL, "", "install"), 0, "%s", t.out);
	rewind_worst(&t);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed\n") != NULL, "after a cut: %s", t.out);
	cr_expect_eq(sh(&t, "ls %s/root/lib/modules/%s/updates/dkms/hello.ko", t.root, t.kver), 0,
		     "the module went with updates/dkms/ (its mkdir not synced): %s", t.out);
	cr_expect_eq(dks(&t, "fsck"), 0, "%s", t.out);
}

Test(lostwrites, a_build_reported_done_survives_a_power_cut, .timeout = 300)
{
	struct it t;
	char before[256];

	setup(&t);
	tools(&t);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(hello_lost(&t, NULL, "", "build"), 0, "%s", t.out);
	cr_assert_eq(
	    sh(&t, "sha256sum < %s/dkms/hello/1.0/%s/%s/module/hello.ko", t.root, t.kver, arch()),
	    0, "%s", t.out);
	snprintf(before, sizeof(before), "%.200s", t.out);
	rewind_worst(&t);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": built\n") != NULL, "after a cut: %s", t.out);
	/* the stage's files synced before the commit renamed it in */
	sh(&t, "sha256sum < %s/dkms/hello/1.0/%s/%s/module/hello.ko", t.root, t.kver, arch());
	cr_expect_str_eq(t.out, before, "the .ko after a cut is not the one built");
	cr_expect_eq(dks(&t, "fsck"), 0, "%s", t.out);
}

/* A cut can take a directory a journal names a file in (install made
 * updates/dkms/ and the cut lost it): recovery has nothing to sync there. */
Test(lostwrites, a_journal_naming_a_directory_the_cut_took_is_recovered, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(sh(&t,
			"printf 'dkms-sandbox transaction\\nstate apply\\nn %s/root/lib/modules/"
			"%s/gone/dkms/hello.ko\\n' > %s/dkms/hello/.txn-%s-%s",
			t.root, t.kver, t.root, t.kver, arch()),
		     0, "%s", t.out);
	cr_expect_eq(dks(&t, "fsck --repair"), 0, "%s", t.out);
	expect_out(&t, "repaired");
	cr_expect_neq(sh(&t, "ls %s/dkms/hello/.txn-*", t.root), 0, "journal left: %s", t.out);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
}

/* Killed at each step of an uninstall, status never calls the unit
 * installed while its transaction is cut short (its module or record may
 * be gone already); after fsck --repair it is installed again. */
Test(lostwrites, status_mid_transaction_is_not_installed, .timeout = 600)
{
	struct it t;
	char cmd[1024];
	int n;

	setup(&t);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	for (n = 1; n < 30; n++) {
		snprintf(cmd, sizeof(cmd), "DKS_CRASH_AFTER=%d %s", n, getenv("DKS_CRASHBIN"));
		if (sh(&t, "%s uninstall hello/1.0 -k %s %s", cmd, t.kver, t.opts) == 0)
			break;
		cr_assert_eq(t.status, 128 + 9, "crash point %d: %s", n, t.out);
		dks(&t, "status");
		if (strstr(t.out, ": installed"))
			cr_expect_eq(sh(&t,
					"ls %s/dkms/hello/.installed-* %s/root/lib/modules/%s/"
					"updates/dkms/hello.ko",
					t.root, t.root, t.kver),
				     0, "crash point %d: status says installed, files gone: %s", n,
				     t.out);
		cr_expect_eq(dks(&t, "fsck --repair"), 0, "crash point %d: %s", n, t.out);
		cr_expect_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	}
	cr_expect_geq(n, 5, "only %d crash points in an uninstall", n - 1);
}

/* add cut at any point: m/v is added or not there, never broken (an m/v
 * dir without its link while the source is there) — killed only, and
 * after a power cut too; an add that completed is added after a cut. */
Test(lostwrites, an_add_cut_anywhere_never_leaves_m_v_broken, .timeout = 300)
{
	struct it t;
	int n;

	setup(&t);
	tools(&t);
	for (n = 1; n < 40; n++) {
		sh(&t, "rm -rf %s/dkms/hello", t.root);
		sh(&t,
		   "R=%s; rm -rf $R/lost && mkdir $R/lost && " PRELOAD
		   "LOST_LOG=$R/lost LOST_PATH_PREFIX=" TREES " LOST_AT=%d %s add hello/1.0 %s",
		   t.root, n, getenv("DKS_BIN"), t.opts);
		if (!strstr(t.out, "lostshim: cut"))
			break;
		dks(&t, "status");
		cr_expect(!strstr(t.out, "broken"), "killed at %d: %s", n, t.out);
		rewind_worst(&t);
		dks(&t, "status");
		cr_expect(!strstr(t.out, "broken"), "cut at %d: %s", n, t.out);
		cr_expect_eq(dks(&t, "fsck --repair"), 0, "cut at %d: %s", n, t.out);
		cr_expect_eq(sh(&t, "%s add hello/1.0 %s", getenv("DKS_BIN"), t.opts), 0,
			     "cut at %d: %s", n, t.out);
	}
	cr_expect_geq(n, 3, "only %d points in an add", n - 1);
	rewind_worst(&t);
	dks(&t, "status");
	cr_expect_str_eq(t.out, "hello/1.0: added\n", "an add that completed, after a cut");
}

Test(lostwrites, fsck_removes_the_leftover_of_an_add, .timeout = 120)
{
	struct it t;

	setup(&t);
	cr_assert_eq(sh(&t,
			"mkdir -p %s/dkms/hello/.add-Ab12Cd && ln -s %s/src/hello-1.0 "
			"%s/dkms/hello/.add-Ab12Cd/source",
			t.root, t.root, t.root),
		     0, "%s", t.out);
	cr_expect_eq(dks(&t, "fsck"), 1, "%s", t.out);
	expect_out(&t, "/dkms/hello/.add-Ab12Cd: the leftover of an add that was cut short");
	cr_expect_eq(dks(&t, "fsck --repair"), 0, "%s", t.out);
	cr_expect_neq(sh(&t, "ls -d %s/dkms/hello/.add-*", t.root), 0, "%s", t.out);
	cr_expect_eq(sh(&t, "ls %s/src/hello-1.0/hello.c", t.root), 0, "the link was followed");
}
