// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "dkmssession": one session of dkms-style invocations, in dkms's
 * option orders and forms (-m/-v, m/v, -m m/v, options before the verb,
 * --kernelver, --kernelver=, -k K/ARCH), run by Debian's dkms 3.0.10
 * (/usr/sbin/dkms) on one copy of the trees and by dkms-sandbox, called as
 * `dkms`, on another: every step must give the same exit code, and every
 * status the same lines. Nothing is typed in but the invocations: what is
 * right is what dkms does.
 *
 * dkms 3.0.10 is kept in the temporary trees: --dkmstree, --sourcetree and
 * --installtree on every call, --no-depmod (its depmod would run on the
 * machine's /lib/modules), its signing key named by mok_signing_key and
 * mok_certificate in the environment (it reads /etc/dkms/framework.conf
 * and has no option to read another; Debian ships it all commented). It
 * looks for headers at /lib/modules/KVER/build, which it only reads.
 * Under strace it wrote nothing outside the trees and /tmp (its mktemp
 * files). The test checks that the machine's /var/lib/dkms is unchanged.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sbtest.h"

#define DKMS "/usr/sbin/dkms"

TestSuite(dkmssession, .fini = sbt_cleanup);

struct session {
	char root[256], kver[256], arch[sizeof(((struct utsname *)0)->machine)];
	char machine[4096]; /* the machine's /var/lib/dkms, before */
};

/* <root>/<who>/{dkms,src/hello-1.0,lib/KVER/build}, hello from
 * tests/modules with a dkms.conf of ours. */
static void trees(const struct session *s, const char *who)
{
	sbt_must("cd %s && mkdir -p %s/dkms %s/src/hello-1.0 %s/lib/%s %s/keys && chmod 700 %s/keys && "
		 "cp %s/tests/modules/hello/* %s/src/hello-1.0/ && "
		 "ln -s \"$(readlink -f /lib/modules/%s/build)\" %s/lib/%s/build && "
		 "printf 'PACKAGE_NAME=hello\\nPACKAGE_VERSION=1.0\\nBUILT_MODULE_NAME[0]=hello\\n"
		 "DEST_MODULE_LOCATION[0]=/updates/dkms\\nAUTOINSTALL=yes\\n' > %s/src/hello-1.0/dkms.conf"
		 " && chmod -R a+rX %s/src",
		 s->root, who, who, who, s->kver, who, who, getenv("DKS_SRCDIR"), who, s->kver, who,
		 s->kver, who, who);
}

static void setup(struct session *s)
{
	char *dir, *kver;
	struct utsname u;

	cr_assert_eq(access(DKMS, X_OK), 0,
		     DKMS " is not installed (make deps installs Debian's dkms): nothing to compare with");
	dir = sbt_mkdtemp(NULL);
	kver = sbt_installed_kernel();
	cr_assert_eq(uname(&u), 0);
	snprintf(s->root, sizeof(s->root), "%s", dir);
	snprintf(s->kver, sizeof(s->kver), "%s", kver);
	snprintf(s->arch, sizeof(s->arch), "%s", u.machine);
	free(dir);
	free(kver);
	sbt_sh(s->machine, sizeof(s->machine), "ls -la --time-style=full-iso /var/lib/dkms 2>&1");
	sbt_must("chown 0:0 %s && chmod 755 %s && ln -s %s %s/dkms", s->root, s->root,
		 getenv("DKS_BIN"), s->root);
	trees(s, "theirs");
	trees(s, "ours");
	sbt_must("printf 'mok_key: %s/ours/keys/mok.key\\nmok_cert: %s/ours/keys/mok.pub\\n' > "
		 "%s/ours/config.yaml", s->root, s->root, s->root);
}

/* @args with {K} and {A} replaced by the kernel and the arch. */
static void fill(const struct session *s, const char *args, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = args; *p && n + 1 < size; p++) {
		const char *with = strncmp(p, "{K}", 3) == 0 ? s->kver
				   : strncmp(p, "{A}", 3) == 0 ? s->arch : NULL;

		if (with) {
			n += (size_t)snprintf(out + n, size - n, "%s", with);
			p += 2;
		} else {
			out[n++] = *p;
		}
		n = n < size ? n : size - 1;
	}
	out[n] = 0;
}

/* @args by dkms on its trees, or by dkms-sandbox called as `dkms` on its
 * own: the exit code, stdout and stderr in @out. */
static int run(const struct session *s, bool dkms, const char *args, char *out, size_t size)
{
	char a[1024], env[1024] = "", tail[1024] = "", bin[300];
	const char *who = dkms ? "theirs" : "ours";

	fill(s, args, a, sizeof(a));
	snprintf(bin, sizeof(bin), "%s/dkms", s->root);
	if (dkms)
		snprintf(env, sizeof(env), "mok_signing_key=%s/theirs/keys/mok.key "
			 "mok_certificate=%s/theirs/keys/mok.pub ", s->root, s->root);
	else
		snprintf(tail, sizeof(tail), "--sandbox-config %s/ours/config.yaml", s->root);
	return sbt_sh(out, size, "%s%s %s --dkmstree %s/%s/dkms --sourcetree %s/%s/src "
		      "--installtree %s/%s/lib --no-depmod %s 2>&1", env, dkms ? DKMS : bin, a,
		      s->root, who, s->root, who, s->root, who, tail);
}

/* One step: both exit @want; status (stdout) the same after it. */
static void step(const struct session *s, const char *args, int want)
{
	char theirs[65536], mine[65536];

	cr_expect_eq(run(s, true, args, theirs, sizeof(theirs)), want, "dkms %s: %s", args, theirs);
	cr_expect_eq(run(s, false, args, mine, sizeof(mine)), want, "dkms-sandbox %s: %s", args, mine);
	run(s, true, "status", theirs, sizeof(theirs));
	run(s, false, "status", mine, sizeof(mine));
	cr_expect_str_eq(mine, theirs, "status after '%s'", args);
}

/* A step whose whole output must be the same (status, --version), and
 * hold @words (the session went where it should, for both). */
static void same_output(const struct session *s, const char *args, const char *words)
{
	char theirs[65536], mine[65536];

	cr_expect_eq(run(s, true, args, theirs, sizeof(theirs)), 0, "dkms %s: %s", args, theirs);
	cr_expect_eq(run(s, false, args, mine, sizeof(mine)), 0, "dkms-sandbox %s: %s", args, mine);
	cr_expect_str_eq(mine, theirs, "%s", args);
	cr_expect(strstr(theirs, words), "dkms %s: '%s' not said: %s", args, words, theirs);
}

Test(dkmssession, a_dkms_session_gives_dkms_exit_codes_and_status_lines, .timeout = 900)
{
	struct session s;
	char now[sizeof(s.machine)];

	setup(&s);
	step(&s, "add -m hello -v 1.0", 0);
	same_output(&s, "status -m hello -v 1.0", "hello/1.0: added");
	step(&s, "-m hello -v 1.0 build -k {K}", 0);
	step(&s, "build hello/1.0 --kernelver {K}", 0); /* already built */
	same_output(&s, "status hello/1.0 -k {K}", ": built");
	step(&s, "install -m hello/1.0 -k {K}/{A}", 0);
	same_output(&s, "status -m hello", ": installed");
	step(&s, "--kernelver={K} uninstall hello/1.0", 0);
	step(&s, "-k {K} -m hello -v 1.0 install", 0);
	step(&s, "remove hello/1.0 --all", 0);
	same_output(&s, "status", "");
	same_output(&s, "--version", "dkms-");
	sbt_sh(now, sizeof(now), "ls -la --time-style=full-iso /var/lib/dkms 2>&1");
	cr_assert_str_eq(now, s.machine, "the machine's /var/lib/dkms changed");
}

/* The command line's errors, as dkms 3.0.10 gives them. */
Test(dkmssession, argument_errors_give_dkms_exit_codes, .timeout = 300)
{
	struct session s;

	setup(&s);
	step(&s, "remove -m hello -v 1.0 --all", 3);
	step(&s, "uninstall -m hello", 1);
	step(&s, "status --frobnicate", 2);
	step(&s, "build remove hello/1.0", 4);
	step(&s, "remove hello/1.0 --all -k {K}", 2);
	step(&s, "remove hello/1.0 --all -a {A}", 3);
	step(&s, "remove hello/1.0 -k {K} -a {A} -a {A}", 1);
	step(&s, "add hello/1.0 --all", 5);
	step(&s, "status --binaries-only --source-only", 8);
}
