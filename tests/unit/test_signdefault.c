// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signing by default, as dkms 3: the first install for a kernel that checks
 * signatures makes the key (at the configured paths, here <tmp>/keys) and
 * says once how to enrol it; an unsigned module is refused for a kernel
 * that enforces signatures. In temporary trees only (insttest.h): a
 * kernel's config is changed in a copy of its headers, and the running
 * kernel's lockdown is a file below an injected host_root, so that no test
 * depends on this machine's kernel or Secure Boot.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insttest.h"
#include "sbtest.h"

TestSuite(signdefault, .fini = sbt_cleanup);

/* The trees with no key yet (setup makes one for the other tests). */
static void setup_keyless(struct it *t)
{
	setup(t);
	cr_assert_eq(sh(t, "rm %s/keys/mok.key %s/keys/mok.pub", t->root, t->root), 0, "%s",
		     t->out);
}

static void config_line(struct it *t, const char *line)
{
	cr_assert_eq(sh(t, "echo '%s' >> %s/config.yaml", line, t->root), 0, "%s", t->out);
}

/* hello built for @kver with its real headers, then the kernel's headers
 * replaced by a copy whose config went through @sed (on .config and
 * include/config/auto.conf, the two files a config is read from). */
static void built_with_config(struct it *t, const char *kver, const char *sed)
{
	cr_assert_eq(hello_on(t, "build", kver, ""), 0, "%s", t->out);
	cr_assert_eq(sh(t, "cd %s && h=$(readlink -f /lib/modules/%s/build) && "
			   "cp -a $h hdr-%s && ln -sfn $(readlink -f $h/scripts) hdr-%s/scripts && "
			   "ln -sfn $(readlink -f $h/tools) hdr-%s/tools && "
			   "sed -i '%s' hdr-%s/.config hdr-%s/include/config/auto.conf && "
			   "ln -sfn $PWD/hdr-%s root/lib/modules/%s/build",
			t->root, kver, kver, kver, kver, sed, kver, kver, kver, kver),
		     0, "%s", t->out);
}

#define SIG_FORCE "s/^# CONFIG_MODULE_SIG_FORCE is not set/CONFIG_MODULE_SIG_FORCE=y/; " \
		  "$a CONFIG_MODULE_SIG_FORCE=y"
#define NO_SIG "/^CONFIG_MODULE_SIG=y/d"

static int installed_file(struct it *t, const char *kver)
{
	return sh(t, "test -e %s/root/lib/modules/%s/updates/dkms/hello.ko", t->root, kver);
}

/* The module's appended signature verifies with the certificate
 * (facts.md: sig_len at [size-32, size-28), the content before it). */
static int signature_verifies(struct it *t, const char *kver)
{
	return sh(t, "cd %s && f=root/lib/modules/%s/updates/dkms/hello.ko && s=$(stat -c %%s $f) && "
		     "n=$(tail -c 32 $f | head -c 4 | od -An -tu1 | "
		     "awk '{print $1*16777216+$2*65536+$3*256+$4}') && "
		     "head -c $((s-40-n)) $f > content.bin && tail -c $((n+40)) $f | head -c $n > sig.der && "
		     "openssl x509 -inform DER -in keys/mok.pub -out cert.pem && "
		     "openssl cms -verify -binary -inform DER -in sig.der -content content.bin "
		     "-certfile cert.pem -nointern -noverify -out /dev/null",
		  t->root, kver);
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Fails on the old code: it installed unsigned and made no key. */
Test(signdefault, first_install_makes_the_key_signs_and_says_once_how_to_enrol, .timeout = 300)
{
	struct it t;
	char all[sizeof(t.out) * 2];

	setup_keyless(&t);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	snprintf(all, sizeof(all), "%s", t.out);
	cr_expect(strstr(t.out, "installed (signed)") != NULL, "%s", t.out);
	cr_assert_eq(sh(&t, "cd %s/keys && stat -c '%%a %%u' mok.key && ls", t.root), 0, "%s", t.out);
	cr_expect_str_eq(t.out, "600 0\nmok.key\nmok.pub\n", "the key pair");
	cr_expect_eq(signature_verifies(&t, t.kver), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "install", t.other, ""), 0, "%s", t.out);
	strncat(all, t.out, sizeof(all) - strlen(all) - 1);
	cr_expect_eq(signature_verifies(&t, t.other), 0, "the second install: %s", t.out);
	cr_expect_eq(count(all, "mokutil --import"), 1, "the enrol line, once: %s", all);
	cr_expect(strstr(all, "keys/mok.pub") != NULL, "%s", all);
}

/* Fails on the old code: no key is made at all. */
Test(signdefault, concurrent_first_installs_make_one_key, .timeout = 600)
{
	struct it t;
	char *bin = getenv("DKS_BIN");

	setup_keyless(&t);
	cr_assert_eq(sh(&t, "cd %s/src && for m in a b c; do cp -r hello-1.0 $m-1.0 && "
			    "sed -i \"s/^PACKAGE_NAME=hello$/PACKAGE_NAME=$m/\" $m-1.0/dkms.conf && "
			    "echo \"DEST_MODULE_NAME[0]=$m\" >> $m-1.0/dkms.conf; done && chmod -R a+rX .",
			t.root), 0, "%s", t.out);
	cr_assert_eq(sh(&t, "%s build a/1.0 b/1.0 c/1.0 -k %s -k %s %s", bin, t.kver, t.other, t.opts),
		     0, "%s", t.out);
	/* Six installs at once, three modules (three locks) on two kernels. */
	sh(&t, "for m in a b c; do for k in %s %s; do %s install $m/1.0 -k $k %s > %s/out.$m.$k 2>&1 & "
	       "done; done; wait; cat %s/out.*; grep -l 'installed (signed)' %s/out.* | wc -l",
	   t.kver, t.other, bin, t.opts, t.root, t.root, t.root);
	cr_expect(strstr(t.out, "\n6\n") != NULL, "six signed installs: %s", t.out);
	cr_expect_eq(count(t.out, "mokutil --import"), 1, "one key made: %s", t.out);
	sh(&t, "ls %s/keys", t.root);
	cr_expect_str_eq(t.out, "mok.key\nmok.pub\n", "the key pair");
	sh(&t, "cd %s && openssl x509 -inform DER -in keys/mok.pub -out c.pem && for m in a b c; do "
	       "for k in %s %s; do modinfo -F sig_key root/lib/modules/$k/updates/dkms/$m.ko; done; "
	       "done | sort -u | wc -l", t.root, t.kver, t.other);
	cr_expect_str_eq(t.out, "1\n", "the modules were signed with different keys");
}

/* Fails on the old code: `sign` is no configuration key there. */
Test(signdefault, sig_force_kernel_refuses_unsigned_and_places_nothing, .timeout = 300)
{
	struct it t;

	setup_keyless(&t);
	config_line(&t, "sign: never");
	built_with_config(&t, t.kver, SIG_FORCE);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 6, "%s", t.out);
	cr_expect(strstr(t.out, "dkms-sandbox: hello/1.0, ") &&
		      strstr(t.out, "refused: the module would be unsigned (sign: never)") &&
		      strstr(t.out, "CONFIG_MODULE_SIG_FORCE=y"),
		  "%s", t.out);
	cr_expect_neq(installed_file(&t, t.kver), 0, "a module was placed");
	sh(&t, "ls %s/keys", t.root);
	cr_expect_str_eq(t.out, "", "sign: never made a key");
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") == NULL, "%s", t.out);
	/* sign: auto signs it (the key made then). */
	sh(&t, "sed -i '/^sign:/d' %s/config.yaml", t.root);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_expect_eq(signature_verifies(&t, t.kver), 0, "%s", t.out);
}

/* Fails on the old code: `host_root` and `sign` are no configuration keys
 * there, and it installed unsigned for a locked-down kernel. */
Test(signdefault, lockdown_refuses_unsigned_for_the_running_kernel_only, .timeout = 300)
{
	struct it t;
	char line[512];

	setup_keyless(&t);
	config_line(&t, "sign: never");
	snprintf(line, sizeof(line), "host_root: %s/host", t.root);
	config_line(&t, line);
	cr_assert_eq(sh(&t, "cd %s && mkdir -p host/proc/sys/kernel host/sys/kernel/security && "
			    "echo %s > host/proc/sys/kernel/osrelease && echo 'none [integrity] "
			    "confidentiality' > host/sys/kernel/security/lockdown", t.root, t.kver),
		     0, "%s", t.out);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 6, "%s", t.out);
	cr_expect(strstr(t.out, "locked down") != NULL, "%s", t.out);
	cr_expect_neq(installed_file(&t, t.kver), 0, "a module was placed");
	cr_expect_eq(hello_on(&t, "install", t.other, ""), 0, "not the running kernel: %s", t.out);
	cr_expect(strstr(t.out, "installing unsigned (sign: never)") != NULL, "%s", t.out);
	/* module.sig_enforce=1 is the same refusal. */
	cr_assert_eq(sh(&t, "cd %s/host && echo none > sys/kernel/security/lockdown && "
			    "mkdir -p sys/module/module/parameters && "
			    "echo Y > sys/module/module/parameters/sig_enforce", t.root), 0, "%s", t.out);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 6, "%s", t.out);
	cr_expect(strstr(t.out, "module.sig_enforce=1") != NULL, "%s", t.out);
	cr_expect_neq(installed_file(&t, t.kver), 0, "a module was placed");
}

/* As the old code did (a guard, not a change): no CONFIG_MODULE_SIG, no
 * signature and no key. */
Test(signdefault, kernel_without_module_sig_installs_unsigned_and_makes_no_key, .timeout = 300)
{
	struct it t;

	setup_keyless(&t);
	built_with_config(&t, t.kver, NO_SIG);
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	cr_expect(strstr(t.out, "installing unsigned") && !strstr(t.out, "mokutil"), "%s", t.out);
	cr_expect_eq(installed_file(&t, t.kver), 0, "not placed");
	sh(&t, "ls %s/keys; tail -c 28 %s/root/lib/modules/%s/updates/dkms/hello.ko", t.root, t.root,
	   t.kver);
	cr_expect(strstr(t.out, "mok.") == NULL && strstr(t.out, "Module signature") == NULL,
		  "a key was made or the module signed: %s", t.out);
}

/* The kernel hooks' path (autoinstall, as a kernel's postinst runs it)
 * signs by default too. Fails on the old code: unsigned, no key. */
Test(signdefault, autoinstall_makes_the_key_and_signs, .timeout = 300)
{
	struct it t;
	char args[512];

	setup_keyless(&t);
	sh(&t, "echo 'AUTOINSTALL=yes' >> %s/src/hello-1.0/dkms.conf", t.root);
	cr_assert_eq(dks(&t, "add hello/1.0"), 0, "%s", t.out);
	snprintf(args, sizeof(args), "autoinstall -k %.255s", t.kver);
	cr_assert_eq(dks(&t, args), 0, "%s", t.out);
	cr_expect_eq(count(t.out, "mokutil --import"), 1, "%s", t.out);
	cr_expect_eq(signature_verifies(&t, t.kver), 0, "%s", t.out);
}

/* A certificate without its key is never overwritten (it may be
 * enrolled): an error naming it, nothing placed. Fails on the old code:
 * it installed unsigned. */
Test(signdefault, a_certificate_without_its_key_is_kept_and_refused, .timeout = 300)
{
	struct it t;

	setup_keyless(&t);
	sh(&t, "echo enrolled > %s/keys/mok.pub", t.root);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 6, "%s", t.out);
	cr_expect(strstr(t.out, "keys/mok.pub: already exists") != NULL, "%s", t.out);
	cr_expect_neq(installed_file(&t, t.kver), 0, "a module was placed");
	sh(&t, "ls %s/keys; cat %s/keys/mok.pub", t.root, t.root);
	cr_expect_str_eq(t.out, "mok.pub\nenrolled\n", "the certificate was replaced");
}
