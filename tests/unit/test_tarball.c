// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "tarball": mktarball and ldtarball (docs/archives.md) in temporary
 * trees: our archives back into a fresh tree (full and binaries-only, then
 * installed there), dkms's layout, names and exit codes, the manifest's
 * signature, and Debian's dkms 3.0.10 (/usr/sbin/dkms) loading ours and
 * making archives we load. The kernel is the newest with headers, never
 * typed in.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sbtest.h"
#include "tarballtest.h"

#define DKMS "/usr/sbin/dkms"

TestSuite(tarball, .fini = sbt_cleanup);

static void expect_built_on_fleet(struct it *t)
{
	char want[512];
	struct utsname u;

	uname(&u);
	snprintf(want, sizeof(want), "hello/1.0, %s, %s: built", t->kver, u.machine);
	cr_expect_eq(fleet(t, "status"), 0, "%s", t->out);
	cr_expect(strstr(t->out, want), "fleet status: %s", t->out);
}

Test(tarball, full_archive_round_trip_loads_source_and_build, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "full.tar.gz", "");
	cr_assert_eq(fleet(&t, "ldtarball %s/full.tar.gz", t.root), 0, "%s", t.out);
	cr_expect(!strstr(t.out, "no manifest"), "%s", t.out);
	expect_built_on_fleet(&t);
	cr_expect_eq(sh(&t, "cmp %s/src/hello-1.0/hello.c %s/fleet/src/hello-1.0/hello.c && "
			    "readlink %s/fleet/dkms/hello/1.0/source",
			t.root, t.root, t.root),
		     0, "%s", t.out);
	cr_expect(strstr(t.out, "/fleet/src/hello-1.0"), "source link: %s", t.out);
}

Test(tarball, binaries_only_round_trip_installs_without_source, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "bin.tar.gz", "--binaries-only");
	cr_assert_eq(fleet(&t, "ldtarball %s/bin.tar.gz", t.root), 0, "%s", t.out);
	expect_built_on_fleet(&t);
	/* dkms's stub: the source is a directory holding only dkms.conf */
	cr_expect_eq(sh(&t, "cd %s/fleet && ls dkms/hello/1.0/source && test ! -L "
			    "dkms/hello/1.0/source && test ! -e src/hello-1.0",
			t.root),
		     0, "%s", t.out);
	cr_expect_str_eq(t.out, "dkms.conf\n");
	cr_assert_eq(fleet(&t, "install hello/1.0 -k %s", t.kver), 0, "%s", t.out);
	cr_expect_eq(sh(&t, "modinfo -F signer %s/root/lib/modules/%s/updates/dkms/hello.ko",
			t.root, t.kver),
		     0, "%s", t.out);
	cr_expect(*t.out && *t.out != '\n', "the installed module is not signed: %s", t.out);
}

Test(tarball, default_name_and_place_are_dkms_s, .timeout = 300)
{
	struct it t;
	struct utsname u;

	setup(&t);
	uname(&u);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "mktarball", t.kver, ""), 0, "%s", t.out);
	cr_expect_eq(sh(&t, "ls %s/dkms/hello/1.0/tarball/", t.root), 0, "%s", t.out);
	cr_expect(strstr(t.out, "hello-1.0-kernel") && strstr(t.out, t.kver) &&
		      strstr(t.out, u.machine) && strstr(t.out, ".dkms.tar.gz"),
		  "%s", t.out);
	/* the layout: dkms_main_tree/K/A/{module,log}, the source, our manifest */
	cr_expect_eq(sh(&t, "tar -tzf %s/dkms/hello/1.0/tarball/*.tar.gz | sort", t.root), 0, "%s",
		     t.out);
	cr_expect(strstr(t.out, "/x86_64/module/hello.ko") || strstr(t.out, "/module/hello.ko"),
		  "%s", t.out);
	cr_expect(strstr(t.out, "./dkms_source_tree/dkms.conf"), "%s", t.out);
	cr_expect(strstr(t.out, "./dkms_sandbox/manifest"), "%s", t.out);
	cr_expect(!strstr(t.out, "/manifest\n./dkms_main_tree") && !strstr(t.out, "/hooks"),
		  "our build handoff must stay home: %s", t.out);
}

Test(tarball, exit_codes_are_dkms_s, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_expect_eq(hello_on(&t, "mktarball", t.kver, ""), 3, "not added: %s", t.out);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect_eq(hello_on(&t, "mktarball", t.kver, ""), 6, "not built: %s", t.out);
	cr_expect(strstr(t.out, "No modules built for"), "%s", t.out);
	cr_expect_eq(hello_on(&t, "mktarball", t.kver, "--binaries-only --source-only"), 8, "%s",
		     t.out);
	cr_expect_eq(fleet(&t, "ldtarball %s/nothing.tar.gz", t.root), 2, "%s", t.out);
	cr_expect(strstr(t.out, "does not exist"), "%s", t.out);
	hello_archive(&t, "full.tar.gz", "");
	cr_assert_eq(fleet(&t, "ldtarball %s/full.tar.gz", t.root), 0, "%s", t.out);
	cr_expect_eq(fleet(&t, "ldtarball %s/full.tar.gz", t.root), 8, "twice: %s", t.out);
	cr_expect(strstr(t.out, "already added"), "%s", t.out);
	cr_expect_eq(fleet(&t, "ldtarball %s/full.tar.gz --force", t.root), 0, "--force: %s",
		     t.out);
	expect_built_on_fleet(&t);
}

Test(tarball, signed_manifest_verifies_with_the_configured_certificate, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "signed.tar.gz", "--binaries-only --sign");
	cr_expect_eq(sh(&t, "tar -tzf %s/signed.tar.gz", t.root), 0, "%s", t.out);
	cr_expect(strstr(t.out, "./dkms_sandbox/manifest.sig"), "%s", t.out);
	/* openssl agrees: a detached CMS signature of the manifest by our key */
	unpack(&t, "signed.tar.gz", "u");
	cr_expect_eq(sh(&t, "cd %s && openssl cms -verify -binary -inform DER -in "
			    "u/dkms_sandbox/manifest.sig -content u/dkms_sandbox/manifest -certfile "
			    "keys/mok.pub -nointern -noverify -out /dev/null",
			t.root),
		     0, "%s", t.out);
	cr_assert_eq(fleet(&t, "ldtarball %s/signed.tar.gz --require-signed", t.root), 0, "%s",
		     t.out);
	expect_built_on_fleet(&t);
}

Test(tarball, unsigned_archive_is_refused_when_signatures_are_required, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "plain.tar.gz", "--binaries-only");
	refused(&t, "plain.tar.gz", "--require-signed", "signed one is required");
	cr_assert_eq(sh(&t, "echo 'require_signed_archives: true' >> %s/config.yaml", t.root), 0);
	refused(&t, "plain.tar.gz", "", "signed one is required");
}

/* dkms 3.0.10 in its own temporary trees, as suite dkmssession runs it. */
static int dkms_on(struct it *t, const char *who, const char *args)
{
	return sh(t, "cd %s && mkdir -p %s/dkms %s/src %s/lib/%s %s/keys && "
		  "ln -sfn \"$(readlink -f /lib/modules/%s/build)\" %s/lib/%s/build && "
		  "mok_signing_key=$PWD/%s/keys/mok.key mok_certificate=$PWD/%s/keys/mok.pub %s "
		  "%s --dkmstree $PWD/%s/dkms --sourcetree $PWD/%s/src --installtree $PWD/%s/lib "
		  "--no-depmod 2>&1",
		  t->root, who, who, who, t->kver, who, t->kver, who, t->kver, who, who, DKMS, args,
		  who, who, who);
}

Test(tarball, dkms_3_0_10_loads_our_archives, .timeout = 300)
{
	struct it t;
	struct utsname u;
	char want[512];

	cr_assert_eq(access(DKMS, X_OK), 0, DKMS " is not installed (make deps installs it)");
	setup(&t);
	uname(&u);
	snprintf(want, sizeof(want), "hello/1.0, %s, %s: built", t.kver, u.machine);
	hello_archive(&t, "full.tar.gz", "--sign");
	hello_archive(&t, "bin.tar.gz", "--binaries-only");
	cr_expect_eq(dkms_on(&t, "theirs", "ldtarball full.tar.gz"), 0, "%s", t.out);
	dkms_on(&t, "theirs", "status");
	cr_expect(strstr(t.out, want), "dkms status after our full archive: %s", t.out);
	/* binaries-only: dkms 3.0.10 loads it and exits 1 (its load_tarball's
	 * last test), whatever the archive: only what it loaded is checked */
	dkms_on(&t, "theirs2", "ldtarball bin.tar.gz");
	dkms_on(&t, "theirs2", "status");
	cr_expect(strstr(t.out, want), "dkms status after our binaries-only archive: %s", t.out);
}

Test(tarball, dkms_3_0_10_archives_load_here, .timeout = 600)
{
	struct it t;
	char args[512];

	cr_assert_eq(access(DKMS, X_OK), 0, DKMS " is not installed (make deps installs it)");
	setup(&t);
	cr_assert_eq(sh(&t, "cd %s && mkdir -p theirs/src && cp -a src/hello-1.0 theirs/src/",
			t.root),
		     0, "%s", t.out);
	cr_assert_eq(dkms_on(&t, "theirs", "add hello/1.0"), 0, "%s", t.out);
	snprintf(args, sizeof(args), "build hello/1.0 -k %s", t.kver);
	cr_assert_eq(dkms_on(&t, "theirs", args), 0, "%s", t.out);
	snprintf(args, sizeof(args), "mktarball hello/1.0 -k %s --archive $PWD/dfull.tar.gz", t.kver);
	cr_assert_eq(dkms_on(&t, "theirs", args), 0, "%s", t.out);
	snprintf(args, sizeof(args),
		 "mktarball hello/1.0 -k %s --binaries-only --archive $PWD/dbin.tar.gz", t.kver);
	cr_assert_eq(dkms_on(&t, "theirs", args), 0, "%s", t.out);

	cr_assert_eq(fleet(&t, "ldtarball %s/dfull.tar.gz", t.root), 0, "%s", t.out);
	cr_expect(strstr(t.out, "no manifest"), "one line says there was none: %s", t.out);
	expect_built_on_fleet(&t);
	cr_assert_eq(fleet(&t, "remove hello/1.0 --all"), 0, "%s", t.out);
	cr_assert_eq(fleet(&t, "ldtarball %s/dbin.tar.gz", t.root), 0, "%s", t.out);
	expect_built_on_fleet(&t);
	/* dkms signed it at build; install takes that off and signs with ours */
	cr_expect_eq(fleet(&t, "install hello/1.0 -k %s", t.kver), 0, "%s", t.out);
	cr_expect_eq(fleet(&t, "status"), 0, "%s", t.out);
	cr_expect(strstr(t.out, ": installed"), "%s", t.out);
}

/* Killed (SIGKILL, the crash-test build) after each step of placing, the
 * fleet's tree is one dkms knows: nothing, added, or added and built;
 * never broken. The next ldtarball --force completes and clears the dead
 * load's staging directory. */
Test(tarball, killed_between_steps_the_tree_stays_consistent, .timeout = 600)
{
	struct it t;
	int n, rc;

	setup(&t);
	hello_archive(&t, "full.tar.gz", "");
	for (n = 1; n < 10; n++) {
		rc = sh(&t, "cd %s && rm -rf fleet && mkdir -p fleet/dkms fleet/src && "
			    "DKS_CRASH_AFTER=%d %s ldtarball full.tar.gz --dkmstree $PWD/fleet/dkms "
			    "--sourcetree $PWD/fleet/src --installtree $PWD/root/lib/modules "
			    "--sandbox-config config.yaml 2>&1",
			t.root, n, getenv("DKS_CRASHBIN"));
		if (rc == 0)
			break;
		cr_expect_eq(rc, 128 + 9, "crash point %d: %s", n, t.out);
		cr_expect_eq(fleet(&t, "status"), 0, "status after crash point %d: %s", n, t.out);
		cr_expect(!strstr(t.out, "broken"), "crash point %d: %s", n, t.out);
		cr_expect_eq(fleet(&t, "ldtarball %s/full.tar.gz --force", t.root), 0,
			     "reload after crash point %d: %s", n, t.out);
		expect_built_on_fleet(&t);
		cr_expect_eq(sh(&t, "ls -A %s/fleet/dkms | grep -c ldtarball", t.root), 1,
			     "a staging dir is left after crash point %d: %s", n, t.out);
	}
	cr_expect_geq(n, 4, "only %d crash points in a load", n - 1);
	cr_expect_eq(rc, 0, "never completed: %s", t.out);
}

/* Two kernels in one archive: dkms's name lists both; both load. */
Test(tarball, two_kernels_in_one_archive, .timeout = 600)
{
	struct it t;
	struct utsname u;
	char want[1200];

	setup(&t);
	uname(&u);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "build", t.other, ""), 0, "%s", t.out);
	snprintf(want, sizeof(want), "mktarball hello/1.0 -k %s -k %s --binaries-only", t.kver,
		 t.other);
	cr_assert_eq(dks(&t, want), 0, "%s", t.out);
	cr_expect_eq(sh(&t, "ls %s/dkms/hello/1.0/tarball/", t.root), 0, "%s", t.out);
	snprintf(want, sizeof(want), "hello-1.0-kernel%s-%s-kernel%s-%s.dkms.tar.gz", t.kver,
		 u.machine, t.other, u.machine);
	cr_expect(strstr(t.out, want), "name: %s", t.out);
	cr_assert_eq(fleet(&t, "ldtarball %s/dkms/hello/1.0/tarball/%s", t.root, want), 0, "%s",
		     t.out);
	expect_built_on_fleet(&t);
	snprintf(want, sizeof(want), "hello/1.0, %s, %s: built", t.other, u.machine);
	cr_expect(strstr(t.out, want), "fleet status: %s", t.out);
}

/* What dkms's `tar -xaf` reads, we read: a plain tar and a tar.xz of the
 * same archive load (libarchive's in-process decompressors). */
Test(tarball, plain_tar_and_xz_archives_load, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "good.tar.gz", "--binaries-only");
	unpack(&t, "good.tar.gz", "u");
	cr_assert_eq(sh(&t, "cd %s && tar -C u -cf plain.tar . && tar -C u -cJf x.tar.xz .",
			t.root),
		     0, "%s", t.out);
	cr_assert_eq(fleet(&t, "ldtarball %s/plain.tar", t.root), 0, "%s", t.out);
	expect_built_on_fleet(&t);
	cr_assert_eq(fleet(&t, "remove hello/1.0 --all"), 0, "%s", t.out);
	cr_assert_eq(fleet(&t, "ldtarball %s/x.tar.xz", t.root), 0, "%s", t.out);
	expect_built_on_fleet(&t);
}
