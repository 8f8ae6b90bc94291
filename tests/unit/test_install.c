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
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest.h"

TestSuite(install, .fini = sbt_cleanup);

struct it {
	char root[256];
	char kver[256], other[256];
	char opts[2048];
	char out[65536];
	int status;
};

static int sh(struct it *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(struct it *t, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(t->out, 1, sizeof(t->out) - 1, p);
	t->out[n] = 0;
	t->status = pclose(p);
	t->status = WIFEXITED(t->status) ? WEXITSTATUS(t->status) : 128;
	return t->status;
}

static void setup(struct it *t)
{
	char *dir = sbt_mkdtemp(NULL), *k = sbt_installed_kernel();

	snprintf(t->root, sizeof(t->root), "%s", dir);
	snprintf(t->kver, sizeof(t->kver), "%s", k);
	free(dir);
	free(k);
	cr_assert_eq(sh(t, "ls /lib/modules | grep -v '^%s$' | head -n 1", t->kver), 0);
	t->out[strcspn(t->out, "\n")] = 0;
	snprintf(t->other, sizeof(t->other), "%.255s", t->out);
	snprintf(t->opts, sizeof(t->opts),
		 "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/root/lib/modules "
		 "--mok-key %s/keys/mok.key --mok-cert %s/keys/mok.pub",
		 t->root, t->root, t->root, t->root, t->root);
	/* The key's directories must be root's (key hygiene): so is this one. */
	cr_assert_eq(sh(t, "cd %s && chown 0:0 . && chmod 755 . && mkdir -p dkms src/hello-1.0 keys && chmod 700 keys && "
			   "for k in %s %s; do mkdir -p root/lib/modules/$k && "
			   "ln -s \"$(readlink -f /lib/modules/$k/build)\" root/lib/modules/$k/build && "
			   "touch root/lib/modules/$k/modules.order root/lib/modules/$k/modules.builtin "
			   "root/lib/modules/$k/modules.builtin.modinfo; done && "
			   "cp %s/tests/modules/hello/* src/hello-1.0/ && printf 'PACKAGE_NAME=hello\\n"
			   "PACKAGE_VERSION=1.0\\nBUILT_MODULE_NAME[0]=hello\\n' > src/hello-1.0/dkms.conf && "
			   "chmod -R a+rX src dkms root && %s generate-mok --mok-key keys/mok.key "
			   "--mok-cert keys/mok.pub",
			   t->root, t->kver, t->other, getenv("DKS_SRCDIR"), getenv("DKS_BIN")),
		     0, "%s", t->out);
}

static int dks(struct it *t, const char *args)
{
	return sh(t, "%s %s %s", getenv("DKS_BIN"), args, t->opts);
}

Test(install, installs_signed_runs_depmod_and_uninstall_restores_the_original, .timeout = 300)
{
	struct it t;
	char args[1024], ko[1024];

	setup(&t);
	snprintf(ko, sizeof(ko), "%s/root/lib/modules/%s/updates/dkms/hello.ko", t.root, t.kver);
	sh(&t, "mkdir -p %s/root/lib/modules/%s/updates/dkms && echo original > %s", t.root, t.kver, ko);
	snprintf(args, sizeof(args), "install hello/1.0 -k %s", t.kver);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	cr_expect(strstr(t.out, "installed (signed)") != NULL, "%s", t.out);
	sh(&t, "modinfo -F signer %s", ko);
	cr_expect(strstr(t.out, "dkms-sandbox module signing key") != NULL, "signer: %s", t.out);
	sh(&t, "grep '^updates/dkms/hello.ko:' %s/root/lib/modules/%s/modules.dep", t.root, t.kver);
	cr_expect_eq(t.status, 0, "depmod did not list the module");
	sh(&t, "modprobe -d %s/root -S %s --show-depends hello", t.root, t.kver);
	cr_expect(strstr(t.out, "insmod") && strstr(t.out, "updates/dkms/hello.ko"), "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") != NULL, "%s", t.out);
	snprintf(args, sizeof(args), "uninstall hello/1.0 -k %s", t.kver);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	sh(&t, "cat %s", ko);
	cr_expect_str_eq(t.out, "original\n", "the original module was not restored");
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") == NULL && strstr(t.out, ": built"), "%s", t.out);
}

/* A module that is not what it claims is refused, and nothing is placed. */
enum tamper { OTHER_KERNEL, SIGNED, NOT_ELF };

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
	snprintf(args, sizeof(args), "install hello/1.0 -k %s", t->kver);
	dks(t, args);
	cr_expect_eq(t->status, 6, "%s: exit %d: %s", reason, t->status, t->out);
	cr_expect(strstr(t->out, reason) != NULL, "no '%s' in: %s", reason, t->out);
	sh(t, "test -e %s/root/lib/modules/%s/updates/dkms/hello.ko", t->root, t->kver);
	cr_expect_neq(t->status, 0, "%s: a module was placed", reason);
}

Test(install, refuses_a_module_built_for_another_kernel, .timeout = 300)
{
	struct it t;

	setup(&t);
	expect_refused(&t, OTHER_KERNEL, "vermagic");
}

Test(install, refuses_a_module_already_signed, .timeout = 300)
{
	struct it t;

	setup(&t);
	expect_refused(&t, SIGNED, "signature");
}

Test(install, refuses_a_file_that_is_not_elf, .timeout = 300)
{
	struct it t;

	setup(&t);
	expect_refused(&t, NOT_ELF, "ELF");
}

/* autoinstall builds and installs the AUTOINSTALL modules only; the kernel
 * hooks take exactly one -k (exit 4); kernel_prerm uninstalls. */
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
	snprintf(args, sizeof(args), "kernel_prerm -k %s", t.kver);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") == NULL, "%s", t.out);
}

/* A module that fails to build fails autoinstall (exit 11, dkms's code)
 * but not the others; a module that BUILD_DEPENDS on it is not built. */
Test(install, autoinstall_goes_on_past_a_failure_and_skips_its_dependents, .timeout = 300)
{
	struct it t;
	char args[1024];

	setup(&t);
	sh(&t, "cd %s/src && for m in broken needy; do cp -r hello-1.0 $m-1.0 && "
	       "sed -i \"s/=hello$/=$m/\" $m-1.0/dkms.conf && "
	       "printf 'DEST_MODULE_NAME[0]=%%s\\nAUTOINSTALL=yes\\n' $m >> $m-1.0/dkms.conf; done && "
	       "echo '#error broken on purpose' >> broken-1.0/hello.c && "
	       "echo 'BUILD_DEPENDS=broken' >> needy-1.0/dkms.conf && "
	       "echo 'AUTOINSTALL=yes' >> hello-1.0/dkms.conf && chmod -R a+rX .", t.root);
	cr_assert_eq(t.status, 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add broken/1.0"), 0, "%s", t.out);
	cr_assert_eq(dks(&t, "add needy/1.0"), 0, "%s", t.out);
	snprintf(args, sizeof(args), "autoinstall -k %s", t.kver);
	cr_assert_eq(dks(&t, args), 11, "%s", t.out);
	cr_expect(strstr(t.out, "needy/1.0: not built: its BUILD_DEPENDS broken") != NULL, "%s",
		  t.out);
	cr_expect(strstr(t.out, "2 module(s) failed") != NULL, "%s", t.out);
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
