// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The installer end to end, in temporary trees only: the install tree is
 * <tmp>/root/lib/modules with links to the real headers and empty
 * modules.order/builtin files, so that the real depmod -b and modprobe -d
 * work on it and nothing of the machine's /lib/modules is touched.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "installer/distro.h"
#include "insttest.h"
#include "sbtest.h"

TestSuite(install, .fini = sbt_cleanup);

Test(install, installs_signed_runs_depmod_and_uninstall_restores_the_original, .timeout = 300)
{
	struct it t;
	char ko[1024];

	setup(&t);
	snprintf(ko, sizeof(ko), "%s/root/lib/modules/%s/updates/dkms/hello.ko", t.root, t.kver);
	sh(&t, "mkdir -p %s/root/lib/modules/%s/updates/dkms && echo original > %s", t.root, t.kver, ko);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_expect(strstr(t.out, "installed (signed)") != NULL, "%s", t.out);
	sh(&t, "modinfo -F signer %s", ko);
	cr_expect(strstr(t.out, "dkms-sandbox module signing key") != NULL, "signer: %s", t.out);
	sh(&t, "grep '^updates/dkms/hello.ko:' %s/root/lib/modules/%s/modules.dep", t.root, t.kver);
	cr_expect_eq(t.status, 0, "depmod did not list the module");
	sh(&t, "modprobe -d %s/root -S %s --show-depends hello", t.root, t.kver);
	cr_expect(strstr(t.out, "insmod") && strstr(t.out, "updates/dkms/hello.ko"), "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") != NULL, "%s", t.out);
	cr_assert_eq(hello_on(&t, "uninstall", t.kver, ""), 0, "%s", t.out);
	sh(&t, "cat %s", ko);
	cr_expect_str_eq(t.out, "original\n", "the original module was not restored");
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") == NULL && strstr(t.out, ": built"), "%s", t.out);
}

/* status says what dkms says after "installed": a kept original, an
 * installed module that differs from what was installed (or a rebuilt one
 * that differs from the installed), a missing one. */
Test(install, status_suffixes_tell_originals_differences_and_missing_modules, .timeout = 300)
{
	struct it t;
	char ko[1024];

	setup(&t);
	snprintf(ko, sizeof(ko), "%s/root/lib/modules/%s/updates/dkms/hello.ko", t.root, t.kver);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, "x86_64: installed\n") != NULL, "%s", t.out);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_expect(strstr(t.out, "already installed") != NULL, "a second install: %s", t.out);
	cr_assert_eq(hello_on(&t, "uninstall", t.kver, ""), 0, "%s", t.out);
	/* uninstall removed updates/dkms/ (empty, as dkms's rmdir -p). */
	sh(&t, "mkdir -p \"$(dirname %s)\" && echo original > %s", ko, ko);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed (Original modules exist)\n") != NULL, "%s", t.out);
	/* Same size, same mtime would pass the metadata check: the content
	 * is compared when either changed. */
	sh(&t, "perl -e 'open F, \"+<\", $ARGV[0] or die; seek F, 100, 0; print F \"X\"' %s", ko);
	dks(&t, "status");
	cr_expect(strstr(t.out, "(Original modules exist) (Differences between built and installed "
				"modules)\n") != NULL, "%s", t.out);
	dks(&t, "status --json");
	cr_expect(strstr(t.out, "\"notes\": [\"Original modules exist\", \"Differences between "
				"built and installed modules\"]") != NULL, "%s", t.out);
	/* dkms 3.4 (module_status_built_extra): an installed file gone is a
	 * difference; "missing" is said of the build's own module/ (a test of
	 * its own: states::install_after_the_built_module_was_deleted_...). */
	sh(&t, "rm %s", ko);
	dks(&t, "status");
	cr_expect(strstr(t.out, "(Original modules exist) (Differences between built and installed "
				"modules)\n") != NULL, "%s", t.out);
	cr_assert_eq(hello_on(&t, "install", t.kver, "--force"), 0, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed (Original modules exist)\n") != NULL, "--force: %s",
		  t.out);
	/* Built again from the same source: the same bytes, no difference. */
	cr_assert_eq(hello_on(&t, "build", t.kver, "--force"), 0, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed (Original modules exist)\n") != NULL, "%s", t.out);
	sh(&t, "echo 'MODULE_INFO(rebuilt, \"yes\");' >> %s/src/hello-1.0/hello.c", t.root);
	cr_assert_eq(hello_on(&t, "build", t.kver, "--force"), 0, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, "(Differences between built and installed modules)") != NULL,
		  "a rebuild: %s", t.out);
}

/* remove (and unbuild) uninstall first, as dkms. */
Test(install, remove_uninstalls_first, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "remove hello/1.0 --all"), 0, "%s", t.out);
	cr_expect(strstr(t.out, "uninstalled") && strstr(t.out, "removed"), "%s", t.out);
	sh(&t, "ls %s/root/lib/modules/%s/updates/dkms; grep -c hello %s/root/lib/modules/%s/modules.dep",
	   t.root, t.kver, t.root, t.kver);
	cr_expect_str_eq(t.out, "0\n", "left in the install tree or modules.dep");
	dks(&t, "status");
	cr_expect_str_eq(t.out, "", "%s", t.out);
}

/* match installs on a kernel what is installed on a template kernel, as
 * dkms; its argument errors are dkms's codes. */
Test(install, match_installs_what_the_template_kernel_has, .timeout = 300)
{
	struct it t;
	struct utsname u;
	char args[1024];

	setup(&t);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	snprintf(args, sizeof(args), "match --templatekernel %s -k %s", t.kver, t.kver);
	cr_expect_eq(dks(&t, args), 2, "the same kernel: %s", t.out);
	snprintf(args, sizeof(args), "match --templatekernel %s -k %s -m nosuch", t.kver, t.other);
	cr_expect_eq(dks(&t, args), 3, "a module not in the tree: %s", t.out);
	cr_expect_eq(dks(&t, "match -k x"), 1, "no template: %s", t.out);
	/* no -k: the running kernel, as dkms; so it is the template's own */
	cr_assert_eq(uname(&u), 0);
	snprintf(args, sizeof(args), "match --templatekernel %s", u.release);
	cr_expect_eq(dks(&t, args), 2, "the running kernel is not the target: %s", t.out);
	snprintf(args, sizeof(args), "match --templatekernel %s -k %s -k %s", t.kver, t.other, t.other);
	cr_expect_eq(dks(&t, args), 4, "two targets: %s", t.out);
	snprintf(args, sizeof(args), "match --templatekernel %s -k %s", t.other, t.kver);
	cr_expect_eq(dks(&t, args), 0, "%s", t.out);
	cr_expect(strstr(t.out, "nothing to be done") != NULL, "%s", t.out);
	snprintf(args, sizeof(args), "match --templatekernel=%s -k %s -m hello", t.kver, t.other);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	dks(&t, "status");
	sh(&t, "%s status %s | grep -c ': installed'", getenv("DKS_BIN"), t.opts);
	cr_expect_str_eq(t.out, "2\n", "hello is not installed on both kernels");
	sh(&t, "grep -c '^updates/dkms/hello.ko:' %s/root/lib/modules/%s/modules.dep", t.root,
	   t.other);
	cr_expect_str_eq(t.out, "1\n", "depmod for the matched kernel");
}

/* POST_ADD, PRE_INSTALL, POST_INSTALL and POST_REMOVE run, as dkms runs them, from
 * the source directory, but in a sandbox: not as root, and a file of the
 * host (one this test made) stays as it was. A failed PRE_INSTALL stops
 * the install with exit 101 and places nothing, unless --force. */
Test(install, install_hooks_run_in_a_sandbox_and_pre_install_can_stop_it, .timeout = 300)
{
	struct it t;

	setup(&t);
	cr_assert_eq(sh(&t, "cd %s && echo unchanged > victim && chmod 666 victim && cd src/hello-1.0 && "
			    "printf 'POST_ADD=add.sh\nPRE_INSTALL=pre.sh\nPOST_INSTALL=post.sh\nPOST_REMOVE=rm.sh\n' >> dkms.conf && "
			    "printf '#!/bin/sh\necho POST_ADD ran as uid $(id -u)\n' > add.sh && "
			    "printf '#!/bin/sh\necho PRE_INSTALL ran; exit 3\n' > pre.sh && "
			    "printf '#!/bin/sh\necho POST_INSTALL ran as uid $(id -u) for $kernelver; "
			    "echo pwned > %s/victim; touch here\n' > post.sh && "
			    "printf '#!/bin/sh\necho POST_REMOVE ran in $PWD\n' > rm.sh && chmod 755 *.sh",
			t.root, t.root),
		     0, "%s", t.out);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_expect(strstr(t.out, "POST_ADD ran as uid ") && !strstr(t.out, "uid 0\n"), "%s", t.out);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 101, "%s", t.out);
	cr_expect(strstr(t.out, "PRE_INSTALL ran") && strstr(t.out, "pre_install script failed"),
		  "%s", t.out);
	sh(&t, "test -e %s/root/lib/modules/%s/updates/dkms/hello.ko && echo placed", t.root, t.kver);
	cr_expect_str_eq(t.out, "", "a failed PRE_INSTALL placed the module");
	cr_assert_eq(hello_on(&t, "install", t.kver, "--force"), 0, "%s", t.out);
	cr_expect(strstr(t.out, "POST_INSTALL ran as uid ") && !strstr(t.out, "uid 0 ") &&
		      strstr(t.out, t.kver),
		  "%s", t.out);
	cr_expect(strstr(t.out, "post_install script failed") != NULL,
		  "writing the host's file or the source did not fail: %s", t.out);
	sh(&t, "cat %s/victim; ls %s/src/hello-1.0/here 2>&1", t.root, t.root);
	cr_expect(strncmp(t.out, "unchanged\n", 10) == 0 && strstr(t.out, "No such file"),
		  "the hook wrote outside its sandbox: %s", t.out);
	cr_assert_eq(hello_on(&t, "uninstall", t.kver, ""), 0, "%s", t.out);
	cr_expect(strstr(t.out, "POST_REMOVE ran in /usr/src/hello-1.0") != NULL, "%s", t.out);
}

/* Where modules go, by /etc/os-release, as dkms's
 * override_dest_module_location (ID for Ubuntu, else ID_LIKE, else ID). */
Test(install, distro_destination_rules_follow_dkms)
{
	static const struct {
		const char *os_release, *want;
	} cases[] = {
	    {"ID=debian\nVERSION_ID=\"12\"\n", "/updates/dkms"},
	    {"ID=ubuntu\nID_LIKE=debian\n", "/updates/dkms"},
	    {"ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", "/updates/dkms"},
	    {"ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", "/extra"},
	    {"ID=fedora\n", "/extra"},
	    {"ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n", "/updates"},
	    {"ID=arch\n", "/updates/dkms"},
	    {"ID=alpine\n", "/kernel/drivers/misc"},
	    {"", "/kernel/drivers/misc"},
	};
	char *dir = sbt_mkdtemp(NULL), path[512];

	snprintf(path, sizeof(path), "%s/os-release", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sbt_write_file(path, cases[i].os_release, 0, 0, 0644);
		cr_expect_str_eq(dks_distro_location(path, "/kernel/drivers/misc"), cases[i].want,
				 "%s", cases[i].os_release);
	}
	unlink(path);
	cr_expect_str_eq(dks_distro_location(path, "/extra/x"), "/extra/x", "no os-release");
	free(dir);
}

/* The module's install dir below <installtree>/<kver>, by finding it. */
static void landed(struct it *t, const char *want, const char *how)
{
	sh(t, "cd %s/root/lib/modules/%s && find . -name 'hello.ko*' | sort", t->root, t->kver);
	cr_expect_str_eq(t->out, want, "%s: the module landed elsewhere", how);
}

/* --os-release installs in another distribution's layout: on Fedora
 * (ID=fedora) dkms's rule puts every module in /extra, through the whole
 * install (placed, depmod, status, uninstall). */
Test(install, fedora_os_release_installs_into_extra, .timeout = 300)
{
	struct it t;
	char *fedora = sbt_fixture("os-release/fedora"), more[1024];

	setup(&t);
	snprintf(more, sizeof(more), "--os-release %s", fedora);
	cr_assert_eq(hello_on(&t, "install", t.kver, more), 0, "%s", t.out);
	landed(&t, "./extra/hello.ko\n", "Fedora");
	sh(&t, "grep -c '^extra/hello.ko:' %s/root/lib/modules/%s/modules.dep", t.root, t.kver);
	cr_expect_str_eq(t.out, "1\n", "depmod did not list extra/hello.ko");
	sh(&t, "modinfo -F signer %s/root/lib/modules/%s/extra/hello.ko", t.root, t.kver);
	cr_expect(strstr(t.out, "dkms-sandbox module signing key") != NULL, "signer: %s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, "x86_64: installed\n") != NULL, "%s", t.out);
	cr_assert_eq(hello_on(&t, "uninstall", t.kver, more), 0, "%s", t.out);
	landed(&t, "", "uninstalled");
	free(fedora);
}

/* os_release: in config.yaml does the same. Ubuntu's rule (by ID, not
 * ID_LIKE) is /updates/dkms, whatever DEST_MODULE_LOCATION says. */
Test(install, ubuntu_os_release_installs_into_updates_dkms, .timeout = 300)
{
	struct it t;

	setup(&t);
	use_os_release(&t, "ubuntu");
	sh(&t, "echo 'DEST_MODULE_LOCATION[0]=/extra' >> %s/src/hello-1.0/dkms.conf", t.root);
	cr_assert_eq(t.status, 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	landed(&t, "./updates/dkms/hello.ko\n", "Ubuntu");
	sh(&t, "grep -c '^updates/dkms/hello.ko:' %s/root/lib/modules/%s/modules.dep", t.root,
	   t.kver);
	cr_expect_str_eq(t.out, "1\n", "depmod did not list updates/dkms/hello.ko");
}

/* An os-release someone names must exist: not silently the module's own
 * location instead of the distribution's. */
Test(install, a_missing_os_release_is_an_error_naming_it, .timeout = 60)
{
	struct it t;
	char more[1024];

	setup(&t);
	snprintf(more, sizeof(more), "--os-release %s/no-os-release", t.root);
	cr_expect_eq(hello_on(&t, "install", t.kver, more), 1, "%s", t.out);
	cr_expect(strstr(t.out, "no-os-release") && strstr(t.out, "No such file"), "%s", t.out);
	landed(&t, "", "refused");
}

/* A module that is not what it claims is refused, and nothing is placed. */
enum tamper { OTHER_KERNEL, SIGNED, NOT_ELF, BAD_CRC, SYMLINK, HARDLINK };

static void tamper(struct it *t, enum tamper how, const char *mod)
{
	switch (how) {
	case OTHER_KERNEL:
		sh(t, "cp %s/dkms/hello/1.0/%s/x86_64/module/hello.ko %s", t->root, t->other, mod);
		break;
	case SIGNED:
		sh(t, "printf '~Module signature appended~\\n' >> %s", mod);
		break;
	case NOT_ELF:
		sh(t, "echo 'not a module' > %s", mod);
		break;
	case BAD_CRC: /* one byte of the first symbol's CRC flipped */
		sh(t, "objcopy --dump-section __versions=%s.v %s && perl -e 'open F, \"+<\", "
		      "$ARGV[0] or die; binmode F; read F, $b, 1; seek F, 0, 0; "
		      "print F chr(ord($b) ^ 1)' %s.v && objcopy --update-section __versions=%s.v %s",
		   mod, mod, mod, mod, mod);
		break;
	case SYMLINK: /* at a file of the test's own, standing in for /etc/shadow */
		sh(t, "echo secret > %s/secret && rm %s && ln -s %s/secret %s", t->root, mod, t->root,
		   mod);
		break;
	case HARDLINK:
		sh(t, "echo secret > %s/secret && rm %s && ln %s/secret %s", t->root, mod, t->root,
		   mod);
		break;
	}
	cr_assert_eq(t->status, 0, "tampering: %s", t->out);
}

static void expect_refused(struct it *t, enum tamper how, const char *reason)
{
	char args[1024], mod[1024];

	snprintf(mod, sizeof(mod), "%s/dkms/hello/1.0/%.255s/x86_64/module/hello.ko", t->root,
		 t->kver);
	snprintf(args, sizeof(args), "build hello/1.0 -k %.255s -k %.255s --force", t->kver,
		 t->other);
	cr_assert_eq(dks(t, args), 0, "%s", t->out);
	tamper(t, how, mod);
	hello_on(t, "install", t->kver, "");
	cr_expect_eq(t->status, 6, "%s: exit %d: %s", reason, t->status, t->out);
	cr_expect(strstr(t->out, reason) != NULL, "no '%s' in: %s", reason, t->out);
	sh(t, "test -e %s/root/lib/modules/%s/updates/dkms/hello.ko", t->root, t->kver);
	cr_expect_neq(t->status, 0, "%s: a module was placed", reason);
}

static void refused(enum tamper how, const char *reason)
{
	struct it t;

	setup(&t);
	expect_refused(&t, how, reason);
}

Test(install, refuses_a_module_built_for_another_kernel, .timeout = 300)
{
	refused(OTHER_KERNEL, "vermagic");
}

Test(install, refuses_a_module_already_signed, .timeout = 300)
{
	refused(SIGNED, "signature");
}

Test(install, refuses_a_file_that_is_not_elf, .timeout = 300)
{
	refused(NOT_ELF, "ELF");
}

Test(install, refuses_a_module_with_a_wrong_symbol_crc, .timeout = 300)
{
	refused(BAD_CRC, "Module.symvers says");
}

/* A symlink where the built module was: the build is there (dkms: module/
 * is), its module is refused, exit 6, and the link's target is never
 * read; build --force makes it whole again. */
Test(install, a_symlink_planted_as_the_module_is_not_followed, .timeout = 300)
{
	struct it t;
	char mod[1024];

	setup(&t);
	snprintf(mod, sizeof(mod), "%s/dkms/hello/1.0/%.255s/x86_64/module/hello.ko", t.root,
		 t.kver);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	tamper(&t, SYMLINK, mod);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 6, "%s", t.out);
	cr_expect(strstr(t.out, "hello.ko: a symbolic link, not a module") != NULL, "%s", t.out);
	cr_assert_eq(hello_on(&t, "build", t.kver, "--force"), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	sh(&t, "test ! -L %s && modinfo -F name %s/root/lib/modules/%s/updates/dkms/hello.ko", mod,
	   t.root, t.kver);
	cr_expect_str_eq(t.out, "hello\n", "the installed module is not the fresh build");
}

Test(install, refuses_a_hardlink_planted_as_the_module, .timeout = 300)
{
	refused(HARDLINK, "with one link");
}

/* autoinstall builds and installs the AUTOINSTALL modules only; the kernel
 * hooks take exactly one -k (exit 4); kernel_prerm uninstalls and unbuilds. */
Test(install, autoinstall_and_the_kernel_hooks, .timeout = 300)
{
	struct it t;
	char args[1024];

	setup(&t);
	sh(&t, "cd %s/src && cp -r hello-1.0 manual-1.0 && sed -i 's/=hello$/=manual/; "
	       "s/^PACKAGE_NAME=.*/PACKAGE_NAME=manual/' manual-1.0/dkms.conf && "
	       "echo 'DEST_MODULE_NAME[0]=manual' >> manual-1.0/dkms.conf && "
	       "echo 'AUTOINSTALL=yes' >> hello-1.0/dkms.conf && chmod -R a+rX .", t.root);
	cr_assert_eq(t.status, 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add manual/1.0"), 0, "%s", t.out);
	snprintf(args, sizeof(args), "autoinstall -k %s", t.kver);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, "hello/1.0, ") && strstr(t.out, ": installed"), "%s", t.out);
	cr_expect(strstr(t.out, "manual/1.0: added") != NULL, "a module without AUTOINSTALL: %s",
		  t.out);
	cr_expect_eq(dks(&t, "kernel_postinst"), 4, "%s", t.out);
	/* A kernel being removed may have lost its headers already. */
	sh(&t, "rm %s/root/lib/modules/%s/build", t.root, t.kver);
	snprintf(args, sizeof(args), "kernel_prerm -k %s", t.kver);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	cr_expect(strstr(t.out, "dkms: removing module hello/1.0 for kernel ") != NULL, "%s", t.out);
	/* dkms 3.4: the builds go with the kernel, not only the installs. */
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") == NULL && strstr(t.out, t.kver) == NULL, "%s",
		  t.out);
	cr_expect(strstr(t.out, "hello/1.0: added") != NULL, "%s", t.out);
}

/* A module that fails to build fails autoinstall (exit 11, dkms's code)
 * but not the others; a module that BUILD_DEPENDS on it is not built; a
 * module BUILD_EXCLUSIVE leaves out is skipped, not failed (upstream's
 * "1 x skip, 1 x fail, 1 x pass"); kernel_postinst fails the same way. */
Test(install, autoinstall_goes_on_past_a_failure_and_skips_its_dependents, .timeout = 300)
{
	struct it t;
	char args[1024];

	setup(&t);
	sh(&t, "cd %s/src && for m in broken needy badconf needy2 skipme; do cp -r hello-1.0 $m-1.0 && "
	       "sed -i \"s/=hello$/=$m/\" $m-1.0/dkms.conf && "
	       "printf 'DEST_MODULE_NAME[0]=%%s\\nAUTOINSTALL=yes\\n' $m >> $m-1.0/dkms.conf; done && "
	       "echo '#error broken on purpose' >> broken-1.0/hello.c && "
	       "echo 'BUILD_DEPENDS=broken' >> needy-1.0/dkms.conf && "
	       "echo 'BUILD_DEPENDS=badconf' >> needy2-1.0/dkms.conf && "
	       "echo 'BUILD_EXCLUSIVE_KERNEL=\"^0\\.0\\.0-never$\"' >> skipme-1.0/dkms.conf && "
	       "echo 'AUTOINSTALL=yes' >> hello-1.0/dkms.conf && chmod -R a+rX .", t.root);
	cr_assert_eq(t.status, 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add broken/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add needy/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add badconf/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add needy2/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add skipme/1.0"), 0, "%s", t.out);
	/* A dkms.conf that no longer evaluates (after add): its dependent is
	 * not built either. */
	sh(&t, "echo 'exit 3' >> %s/src/badconf-1.0/dkms.conf", t.root);
	snprintf(args, sizeof(args), "autoinstall -k %s", t.kver);
	cr_assert_eq(dks(&t, args), 11, "%s", t.out);
	cr_expect(strstr(t.out, "needy/1.0 autoinstall failed due to missing dependencies: broken.")
		  != NULL, "%s", t.out);
	cr_expect(strstr(t.out, "badconf/1.0, ") && strstr(t.out, "cannot be evaluated"), "%s",
		  t.out);
	cr_expect(strstr(t.out, "needy2/1.0 autoinstall failed due to missing dependencies: "
				"badconf.") != NULL, "%s", t.out);
	cr_expect(strstr(t.out, "4 module(s) failed") != NULL, "skipme is not a failure: %s", t.out);
	cr_expect(strstr(t.out, "skipme/1.0") && strstr(t.out, "skipped"), "%s", t.out);
	snprintf(args, sizeof(args), "kernel_postinst -k %s", t.kver);
	cr_expect_eq(dks(&t, args), 11, "kernel_postinst: %s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, "hello/1.0, ") && strstr(t.out, ": installed"), "%s", t.out);
	cr_expect(strstr(t.out, "broken/1.0: added") && strstr(t.out, "needy/1.0: added"), "%s",
		  t.out);
}

/* The signing key is root's, mode 0600: even bound into a sandbox by hand,
 * the unprivileged build user cannot read it (and no profile binds it:
 * profiles expose /etc entries only, never with ".."). */
Test(install, the_signing_key_cannot_be_read_from_a_sandbox, .timeout = 60)
{
	struct it t;

	setup(&t);
	sh(&t, "%s sandbox run --ro %s/keys:/keys -- /bin/cat /keys/mok.key", getenv("DKS_BIN"),
	   t.root);
	cr_expect_neq(t.status, 0, "the key was read: %s", t.out);
	cr_expect(strstr(t.out, "PRIVATE KEY") == NULL, "the key leaked: %s", t.out);
}

/* A package may take an in-tree module's name (dkms's way to update a
 * driver): install says so, one line per shadowed module with its path,
 * leaves the kernel's file where it is, and status tells it in --verbose
 * and --json only (dkms's line stays byte-exact). */
Test(install, names_each_in_tree_module_it_shadows, .timeout = 300)
{
	struct it t;
	char line[2048], intree[1024];

	setup(&t);
	snprintf(intree, sizeof(intree), "%s/root/lib/modules/%s/kernel/drivers/misc/hello.ko",
		 t.root, t.kver);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(sh(&t, "mkdir -p %s/root/lib/modules/%s/kernel/drivers/misc && cp "
			    "%s/dkms/hello/1.0/%s/x86_64/module/hello.ko %s && md5sum %s > %s/sum",
			t.root, t.kver, t.root, t.kver, intree, intree, t.root),
		     0, "%s", t.out);
	/* The kernel's copy is this very module: dkms's version check
	 * refuses it (states::), the override lets it shadow. */
	cr_assert_eq(hello_on(&t, "install", t.kver, "--force-version-override"), 0, "%s", t.out);
	snprintf(line, sizeof(line), "dkms-sandbox: warning: hello.ko shadows the in-tree module %s\n",
		 intree);
	cr_expect(strstr(t.out, line) != NULL, "no \"%s\" in: %s", line, t.out);
	sh(&t, "md5sum -c %s/sum && modprobe -d %s/root -S %s --show-depends hello", t.root,
	   t.root, t.kver);
	cr_expect(strstr(t.out, "updates/dkms/hello.ko") != NULL, "ours is not the one loaded, or "
		  "the in-tree file changed: %s", t.out);
	snprintf(line, sizeof(line), "hello/1.0, %s, x86_64: installed\n", t.kver);
	dks(&t, "status");
	cr_expect_str_eq(t.out, line, "the dkms line changed");
	dks(&t, "status --verbose");
	cr_expect(strstr(t.out, "x86_64: installed (shadows in-tree hello)\n") != NULL, "%s", t.out);
	dks(&t, "status --json");
	cr_expect(strstr(t.out, "\"notes\": [\"shadows in-tree hello\"]") != NULL, "%s", t.out);
	cr_assert_eq(hello_on(&t, "uninstall", t.kver, ""), 0, "%s", t.out);
	sh(&t, "md5sum -c %s/sum", t.root);
	cr_expect_eq(t.status, 0, "uninstall touched the in-tree module: %s", t.out);
}

/* A built-in module cannot be replaced by a loadable one: install says so. */
Test(install, says_a_module_built_into_the_kernel_cannot_be_replaced, .timeout = 300)
{
	struct it t;

	setup(&t);
	sh(&t, "echo kernel/drivers/misc/hello.ko >> %s/root/lib/modules/%s/modules.builtin",
	   t.root, t.kver);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_expect(strstr(t.out, "dkms-sandbox: warning: hello.ko has the name of a module built "
				"into kernel ") &&
		      strstr(t.out, "(modules.builtin: kernel/drivers/misc/hello.ko): a built-in "
				    "module cannot be replaced by a loadable one"),
		  "%s", t.out);
	dks(&t, "status --json");
	cr_expect(strstr(t.out, "\"notes\": [\"shadows built-in hello\"]") != NULL, "%s", t.out);
}
