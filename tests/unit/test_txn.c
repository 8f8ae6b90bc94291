// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crash safety and concurrency of the installer (design.md, security model
 * 6), in temporary trees only (insttest.h). The crash-test binary
 * (tests/helpers/crashpoint.c) is killed with SIGKILL at the N-th crash
 * point of an install or an uninstall, for every N until one runs through;
 * after each kill the tree must hold the old module or the new one, and
 * the next install or uninstall must reach exactly the state a run that
 * was never interrupted reaches.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insttest.h"
#include "sbtest.h"

TestSuite(txn, .fini = sbt_cleanup);

#define KILLED 137 /* the shell's status for a child killed by SIGKILL */

/* What the install changes, in one comparable text: the modules in
 * updates/ and the kept originals (by content), hello in modules.dep, the
 * kernel link, the install record, and any leftover (journal, backup,
 * temporary file). */
static void state(struct it *t, char *out, size_t size)
{
	sh(t, "cd %s && { find root/lib/modules/%s/updates -type f | sort | xargs -r sha256sum; "
	      "grep hello root/lib/modules/%s/modules.dep | sed 's/^/dep: /'; "
	      "echo link: $(readlink dkms/hello/kernel-%s-x86_64); "
	      "find dkms/hello/original_module -type f 2>/dev/null | sort | xargs -r sha256sum; "
	      "ls -A dkms/hello | grep '^\\.installed'; "
	      "find root dkms -name '*.dks-*' -o -name '.txn-*' | sed 's/^/LEFTOVER /'; } 2>&1",
	   t->root, t->kver, t->kver, t->kver);
	cr_assert_lt(strlen(t->out), size, "state too long");
	memcpy(out, t->out, strlen(t->out) + 1);
}

static void save(struct it *t, const char *name)
{
	cr_assert_eq(sh(t, "cd %s && rm -rf %s && mkdir %s && cp -a root dkms %s/", t->root, name,
			name, name),
		     0, "%s", t->out);
}

static void restore(struct it *t, const char *name)
{
	cr_assert_eq(sh(t, "cd %s && rm -rf root dkms && cp -a %s/root %s/dkms .", t->root, name,
			name),
		     0, "%s", t->out);
}

static int crash(struct it *t, const char *verb, int n)
{
	return sh(t, "DKS_CRASH_AFTER=%d %s %s hello/1.0 -k %s %s", n, getenv("DKS_CRASHBIN"), verb,
		  t->kver, t->opts);
}

static int verb(struct it *t, const char *v)
{
	return hello_on(t, v, t->kver, "");
}

/* The module in the install tree is the original or ours, whole. */
static void expect_old_or_new(struct it *t, const char *before, const char *after, int n)
{
	sh(t, "cd %s && sha256sum root/lib/modules/%s/updates/dkms/hello.ko | cut -d' ' -f1",
	   t->root, t->kver);
	t->out[strcspn(t->out, "\n")] = 0;
	cr_expect(*t->out && (strstr(before, t->out) || strstr(after, t->out)),
		  "after crash point %d the module is neither the old one nor the new one: %s", n,
		  t->out);
	cr_expect_eq(dks(t, "status"), 0, "status after crash point %d: %s", n, t->out);
}

/* Two originals of hello, of two formats; hello built; installed and
 * uninstalled once (so that modules.dep exists): s0. Installed: s1. */
static void prepare(struct it *t, char *d0, char *d1, size_t size)
{
	setup(t);
	sh(t, "cd %s/root/lib/modules/%s && mkdir -p updates/dkms && echo original > "
	      "updates/dkms/hello.ko && echo 'zst original' > updates/dkms/hello.ko.zst",
	   t->root, t->kver);
	cr_assert_eq(verb(t, "install"), 0, "%s", t->out);
	cr_assert_eq(verb(t, "uninstall"), 0, "%s", t->out);
	save(t, "s0");
	state(t, d0, size);
	cr_assert(strstr(d0, "link:\n") && !strstr(d0, "LEFTOVER"),
		  "%s", d0);
	cr_assert_eq(verb(t, "install"), 0, "%s", t->out);
	save(t, "s1");
	state(t, d1, size);
	cr_assert(strstr(d1, "dep: updates/dkms/hello.ko:") && strstr(d1, "link: 1.0/") && !strstr(d1, "LEFTOVER") &&
		      strstr(d1, "original_module/") && !strstr(d1, "updates/dkms/hello.ko.zst"),
		  "%s", d1);
}

/* After a crash, @recover (by the ordinary binary) must reach @want. */
static void expect_recovered(struct it *t, const char *recover, const char *want, int n)
{
	char now[16384];

	cr_assert_eq(verb(t, recover), 0, "%s after crash point %d: %s", recover, n, t->out);
	state(t, now, sizeof(now));
	cr_expect_str_eq(now, want, "%s after crash point %d", recover, n);
}

/* @verb from snapshot @from, killed at crash point 1, 2, ... until it runs
 * through: each time the module is old or new; then @verb again reaches
 * @want, and, from the same crash, the opposite verb (after a crash inside
 * its own recovery) reaches @other. */
static void crash_every_step(struct it *t, const char *verb, const char *from, const char *want,
			     const char *opposite, const char *other)
{
	const char *d0 = strcmp(verb, "install") ? want : other;
	const char *d1 = strcmp(verb, "install") ? other : want;
	int n;

	for (n = 1; n < 100; n++) {
		restore(t, from);
		if (crash(t, verb, n) != KILLED)
			break;
		expect_old_or_new(t, d0, d1, n);
		expect_recovered(t, verb, want, n);
		restore(t, from);
		cr_assert_eq(crash(t, verb, n), KILLED, "%s", t->out);
		crash(t, opposite, 1);
		expect_recovered(t, opposite, other, n);
	}
	cr_expect_eq(t->status, 0, "%s with no crash: %s", verb, t->out);
	cr_expect_gt(n, 8, "only %d crash points: the journal is not exercised", n - 1);
}

Test(txn, install_killed_at_every_step_recovers_whole, .timeout = 900)
{
	struct it t;
	char d0[16384], d1[16384];

	prepare(&t, d0, d1, sizeof(d0));
	crash_every_step(&t, "install", "s0", d1, "uninstall", d0);
}

Test(txn, uninstall_killed_at_every_step_recovers_whole, .timeout = 900)
{
	struct it t;
	char d0[16384], d1[16384];

	prepare(&t, d0, d1, sizeof(d0));
	crash_every_step(&t, "uninstall", "s1", d0, "install", d1);
}

/* Two installs of different modules for one kernel at the same time both
 * succeed, and depmod's result has both (each depmod runs after the other's
 * module is placed, or after its own: the kernel's lock). */
Test(txn, concurrent_installs_for_one_kernel_both_reach_modules_dep, .timeout = 600)
{
	struct it t;
	char both[2048];

	setup(&t);
	cr_assert_eq(sh(&t, "cd %s/src && cp -r hello-1.0 hello2-1.0 && cd hello2-1.0 && "
			    "sed -i 's/hello/hello2/g' Kbuild dkms.conf && mv hello.c hello2.c && "
			    "chmod -R a+rX .",
			t.root),
		     0, "%s", t.out);
	snprintf(both, sizeof(both), "build hello/1.0 hello2/1.0 -k %s", t.kver);
	cr_assert_eq(dks(&t, both), 0, "%s", t.out);
	for (int i = 0; i < 6; i++) {
		sh(&t, "B=%s; O='%s'; K=%s; $B install hello/1.0 -k $K $O >/dev/null & "
		       "$B install hello2/1.0 -k $K $O > /dev/null & "
		       "wait %%1 && wait %%2 && grep -c '^updates/dkms/hello2*.ko:' %s/root/lib/modules/$K/modules.dep",
		   getenv("DKS_BIN"), t.opts, t.kver, t.root);
		cr_assert_str_eq(t.out, "2\n", "round %d: %s", i, t.out);
		sh(&t, "B=%s; O='%s'; K=%s; $B uninstall hello/1.0 -k $K $O & "
		       "$B uninstall hello2/1.0 -k $K $O & wait %%1 && wait %%2 && "
		       "grep -c '^updates/dkms/hello2*.ko:' %s/root/lib/modules/$K/modules.dep",
		   getenv("DKS_BIN"), t.opts, t.kver, t.root);
		cr_assert_str_eq(t.out + strlen(t.out) - 2, "0\n", "round %d: %s", i, t.out);
	}
}
