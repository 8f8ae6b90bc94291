// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the privileged installer does with what it does not control: the
 * caller's environment (depmod is never found through $PATH), a failing
 * depmod (one clear line, everything rolled back), hook scripts that the
 * handoff format cannot carry (refused, never dropped). Temporary trees
 * only (insttest.h).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "insttest.h"
#include "sbtest.h"

TestSuite(installer, .fini = sbt_cleanup);

/* A caller (sudo, a kernel hook) hands root its PATH: a depmod planted
 * first in it must never run as root. */
Test(installer, depmod_is_never_found_through_the_callers_path, .timeout = 300)
{
	struct it t;
	char marker[512];

	setup(&t);
	snprintf(marker, sizeof(marker), "%s/planted-depmod-ran", t.root);
	sh(&t, "mkdir -p %s/evil && printf '#!/bin/sh\\ntouch %s\\nexit 0\\n' > %s/evil/depmod && "
	       "chmod 755 %s/evil/depmod", t.root, marker, t.root, t.root);
	sh(&t, "env PATH=%s/evil:/usr/sbin:/usr/bin:/sbin:/bin %s install hello/1.0 -k %s %s", t.root,
	   getenv("DKS_BIN"), t.kver, t.opts);
	cr_assert_eq(t.status, 0, "%s", t.out);
	cr_expect_neq(access(marker, F_OK), 0, "the depmod in the caller's PATH ran as root");
	sh(&t, "grep -c '^updates/dkms/hello.ko:' %s/root/lib/modules/%s/modules.dep", t.root,
	   t.kver);
	cr_expect_str_eq(t.out, "1\n", "the real depmod did not run");
}

/* depmod fails (here: the install tree is not <root>/lib/modules): exit 6,
 * one line that says it was rolled back, and no module left behind. */
Test(installer, failing_depmod_rolls_back_with_one_clear_line, .timeout = 300)
{
	struct it t;
	char alt[512];

	setup(&t);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	snprintf(alt, sizeof(alt), "%s/alt/mods", t.root);
	sh(&t, "mkdir -p %s/%s && ln -s \"$(readlink -f /lib/modules/%s/build)\" %s/%s/build", alt,
	   t.kver, t.kver, alt, t.kver);
	sh(&t, "{ %s install hello/1.0 -k %s %s --installtree %s 2>&1 >/dev/null; }",
	   getenv("DKS_BIN"), t.kver, t.opts, alt);
	cr_expect_eq(t.status, 6, "exit %d: %s", t.status, t.out);
	cr_expect(strstr(t.out, "rolled back: depmod needs an install tree") != NULL, "%s", t.out);
	cr_expect(strstr(t.out, ": :") == NULL, "a doubled separator: %s", t.out);
	cr_expect_eq(strchr(t.out, '\n') - t.out + 1, (long)strlen(t.out), "not one line: %s",
		     t.out);
	sh(&t, "find %s -name 'hello.ko*' | wc -l", alt);
	cr_expect_str_eq(t.out, "0\n", "a module was left in the install tree");
	sh(&t, "%s status hello/1.0 %s --installtree %s", getenv("DKS_BIN"), t.opts, alt);
	cr_expect(strstr(t.out, "installed") == NULL, "status says installed: %s", t.out);
}

/* The hooks record is "name<TAB>script" lines: a script with a tab or a
 * newline cannot be carried. A dkms.conf's cannot have one (dkms's
 * safe_source makes a value its words joined by one space: "check first"
 * runs); a --directive's is refused (bad dkms.conf, exit 8) naming the
 * directive, never silently dropped: a dropped PRE_INSTALL would let an
 * install through that it was meant to stop. */
Test(installer, a_hook_script_the_record_cannot_carry_is_refused_not_dropped, .timeout = 300)
{
	struct it t;
	char path[1024];

	setup(&t);
	hello_on(&t, "build", t.kver, "--directive \"$(printf 'PRE_INSTALL=check\\tfirst')\"");
	cr_expect_eq(t.status, 8, "exit %d: %s", t.status, t.out);
	cr_expect(strstr(t.out, "PRE_INSTALL 'check?first'") != NULL, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": built") == NULL, "built without its PRE_INSTALL: %s", t.out);
	sh(&t, "printf 'PRE_INSTALL=\"check\\tfirst\"\\n' >> %s/src/hello-1.0/dkms.conf", t.root);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	snprintf(path, sizeof(path), "%s/dkms/hello/1.0/%s/*/hooks", t.root, t.kver);
	sh(&t, "cat %s", path);
	cr_expect_str_eq(t.out, "pre_install\tcheck first\n", "%s", path);
}

/* install builds what is not built yet: a build that fails says so once
 * (its worker's line), with make's exit code, and nothing is installed. */
Test(installer, a_failed_build_inside_install_is_reported_once, .timeout = 300)
{
	struct it t;

	setup(&t);
	sh(&t, "printf 'this does not compile;\\n' >> %s/src/hello-1.0/hello.c", t.root);
	/* The build's log tail comes first; then the lines about hello/1.0. */
	sh(&t, "{ %s install hello/1.0 -k %s %s 2>&1 >/dev/null; } | grep '^dkms-sandbox: hello/1.0'",
	   getenv("DKS_BIN"), t.kver, t.opts);
	cr_expect_eq(strchr(t.out, '\n') - t.out + 1, (long)strlen(t.out),
		     "not one line of failure on stderr: %s", t.out);
	hello_on(&t, "install", t.kver, "");
	cr_expect_eq(t.status, 10, "exit %d (make failed is 10): %s", t.status, t.out);
	sh(&t, "find %s/root/lib/modules -name 'hello.ko*' | wc -l", t.root);
	cr_expect_str_eq(t.out, "0\n", "a module was installed");
}

/* A status nobody received is not a success: a script reading `status
 * --json` from a full disk must not take "[]" it never got for an empty
 * tree. One line, exit 1, both formats. */
Test(installer, status_that_cannot_be_written_fails_with_one_line)
{
	char *dir = sbt_mkdtemp(NULL), out[4096];
	const char *const formats[] = {"--json", ""};

	/* One added module: both formats have a line to write. */
	cr_assert_eq(sbt_sh(out, sizeof(out), "mkdir -p %s/src/m-1.0 %s/dkms/m/1.0 && "
			    "ln -s %s/src/m-1.0 %s/dkms/m/1.0/source && %s status --dkmstree "
			    "%s/dkms --sourcetree %s/src --installtree %s", dir, dir, dir, dir,
			    getenv("DKS_BIN"), dir, dir, dir), 0, "%s", out);
	cr_assert_str_eq(out, "m/1.0: added\n");
	for (size_t i = 0; i < 2; i++) {
		int rc = sbt_sh(out, sizeof(out),
				"{ %s status %s --dkmstree %s/dkms --sourcetree %s/src "
				"--installtree %s >/dev/full; } 2>&1",
				getenv("DKS_BIN"), formats[i], dir, dir, dir);

		cr_expect_eq(rc, 1, "status %s to /dev/full: exit %d: %s", formats[i], rc, out);
		cr_expect(strstr(out, "cannot write the status: No space left on device") != NULL,
			  "%s", out);
		cr_expect_eq(strchr(out, '\n') - out + 1, (long)strlen(out), "not one line: %s", out);
	}
	free(dir);
}

/* The manifest is read back as root: one line more than the handoff's
 * bound is an error naming it, never a silent cut to the first 64 (the
 * rest would be "installed" without being placed). */
Test(installer, a_manifest_past_its_bound_is_refused, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	sh(&t, "m=%s/dkms/hello/1.0/%s/$(uname -m)/manifest && l=$(head -n 1 $m) && "
	       "for i in $(seq 64); do printf '%%s\\n' \"$l\" >> $m; done && wc -l < $m",
	   t.root, t.kver);
	cr_assert_str_eq(t.out, "65\n", "%s", t.out);
	hello_on(&t, "install", t.kver, "");
	cr_expect_eq(t.status, 6, "exit %d: %s", t.status, t.out);
	cr_expect(strstr(t.out, "more than 64 modules") != NULL, "%s", t.out);
	sh(&t, "find %s/root/lib/modules -name 'hello.ko*' | wc -l", t.root);
	cr_expect_str_eq(t.out, "0\n", "a module was installed");
}
