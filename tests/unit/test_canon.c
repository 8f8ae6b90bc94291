// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Canonical paths in the build sandbox (docs/build.md): the module's source
 * is writable at /usr/src/<m>-<v> (a copy: the host's never changes), the
 * build dir is /var/lib/dkms/<m>/<v>/build, the modules it depends on are
 * read-only at their canonical paths; CC is the kernel's compiler, as dkms
 * exports it; a shell starts without a seccomp denial line while a real
 * socket attempt is still denied and reported. Real builds through
 * $DKS_BIN against the newest installed kernel's headers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cleanup.h"
#include "modtest.h"
#include "sbtest.h"

TestSuite(canon, .fini = sbt_cleanup);

static char out[65536];

/* tests/modules/hello as m-1.0 in the tree, with @extra dkms.conf lines
 * and, when @script is set, make.sh holding it. */
static void hello(const struct mt_tree *t, const char *m, const char *extra, const char *script)
{
	mt_module(t, m, extra, script ? "make.sh" : NULL, script);
	sbt_must("cp %s/tests/modules/hello/* %s/src/%s-1.0/ && chmod -R a+rX %s/src/%s-1.0",
		 getenv("DKS_SRCDIR"), t->root, m, t->root, m);
}

/* A fingerprint of every name, type, mode, size and content below @dir. */
static char *fingerprint(const char *dir)
{
	char buf[8192];

	cr_assert_eq(sbt_sh(buf, sizeof(buf),
			    "cd %s && find . -printf '%%p %%y %%m %%s %%l\\n' | sort | md5sum && "
			    "find . -type f -exec md5sum {} + | sort | md5sum", dir), 0, "%s", buf);
	return strdup(buf);
}

static char *read_log(const struct mt_tree *t, const char *m)
{
	char path[1024];
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	mt_log_path(t, m, path, sizeof(path));
	f = fopen(path, "r");
	cr_assert_not_null(f, "no %s", path);
	cr_assert_geq(getdelim(&text, &n, 0, f), 0, "%s", path);
	fclose(f);
	return text;
}

/* The dependency: a built module whose source holds a header-like file.
 * It is built, not installed: the dependents are built with --force, which
 * dkms 3.4 asks for when a BUILD_DEPENDS module is not installed (13
 * otherwise; pipeline::build_depends_is_exit_13_unless_forced). */
static void dependency(const struct mt_tree *t)
{
	hello(t, "dep", NULL, NULL);
	sbt_must("echo 'from dep' > %s/src/dep-1.0/dep.txt && chmod a+r %s/src/dep-1.0/dep.txt",
		 t->root, t->root);
	cr_assert_eq(mt_dks(t, 600, out, sizeof(out), "add dep/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(t, 600, out, sizeof(out), "build dep/1.0 -k %s", t->kver), 0, "%s",
		     out);
}

/* What west-chamber-dkms does, with a module of our own: MAKE links a
 * file of its BUILD_DEPENDS into its own source dir, builds there by
 * absolute path and moves the .ko into the build dir by absolute path. */
static const char west_make[] =
	"set -e\n"
	"S=/usr/src/wc-1.0 B=/var/lib/dkms/wc/1.0/build\n"
	"ln -s -f /usr/src/dep-1.0/dep.txt $S/dep.txt\n"
	"cat $S/dep.txt > $S/copied.txt\n"
	"ls /var/lib/dkms/dep/1.0/$1/*/module/hello.ko* >/dev/null && echo dep-built-visible\n"
	"echo \"pwd=$PWD\"\n"
	"make -C /lib/modules/$1/build M=$S modules\n"
	"mv $S/hello.ko $B/\n";

Test(canon, a_make_writes_its_source_reads_its_dependency_and_moves_modules_by_absolute_path,
     .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *before = NULL, *after = NULL, *log = NULL;
	char src[600];

	mt_tree_make(&t);
	dependency(&t);
	hello(&t, "wc", "BUILD_DEPENDS[0]=\"dep\"\n"
	      "MAKE[0]=\"echo conf-dir=$(pwd) dep-seen=$(ls -d /usr/src/dep-*); "
	      "bash ./make.sh $kernelver\"", west_make);
	snprintf(src, sizeof(src), "%s/src/wc-1.0", t.root);
	before = fingerprint(src);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add wc/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build wc/1.0 -k %s --force", t.kver), 0,
		     "%s", out);
	log = read_log(&t, "wc");
	cr_expect(strstr(log, "pwd=/var/lib/dkms/wc/1.0/build\n"), "not in the build dir:\n%s", log);
	cr_expect(strstr(log, "M=/usr/src/wc-1.0") || strstr(log, "/usr/src/wc-1.0/hello.o"),
		  "not built in /usr/src/wc-1.0:\n%s", log);
	cr_expect(!strstr(log, "seccomp denied"), "a denial line:\n%s", log);
	cr_expect(strstr(log, "conf-dir=/usr/src/wc-1.0 "), "dkms.conf not read at the "
		  "source's canonical path:\n%s", log);
	cr_expect(strstr(log, "dep-seen=/usr/src/dep-1.0\n"), "dkms.conf did not see its "
		  "BUILD_DEPENDS' source:\n%s", log);
	cr_expect(strstr(log, "dep-built-visible\n"), "the dependency's build is hidden:\n%s", log);
	sbt_must("test -s %s/dkms/wc/1.0/%s/*/module/hello.ko*", t.root, t.kver);
	after = fingerprint(src);
	cr_expect_str_eq(after, before, "the host's copy of the source changed");
}

/* Without it in BUILD_DEPENDS, another module's source is not there. */
Test(canon, a_module_not_depended_on_stays_hidden, .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *log = NULL;

	mt_tree_make(&t);
	hello(&t, "dep", NULL, NULL);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add dep/1.0"), 0, "%s", out);
	hello(&t, "other", "MAKE[0]=\"bash ./make.sh $kernelver\"",
	      "ls -d /usr/src/*/ /var/lib/dkms/*/ 2>&1 | sed 's/^/seen /'\n"
	      "make -C /lib/modules/$1/build M=$PWD modules\n");
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add other/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build other/1.0 -k %s", t.kver), 0, "%s",
		     out);
	log = read_log(&t, "other");
	cr_expect(strstr(log, "seen /usr/src/other-1.0/\n"), "own source missing:\n%s", log);
	cr_expect(!strstr(log, "/usr/src/dep-1.0"), "another module's source is visible:\n%s", log);
}

/* A hostile MAKE turns its writable source against the host: symlinks
 * swapped in to the original, a hard link to the dependency's files,
 * writes through to the dependency's source and the original. Each must
 * fail; both host copies stay as they were. */
static const char attack[] =
	"S=/usr/src/wc-1.0\n"
	"try() { if (eval \"$2\") 2>/dev/null; then echo \"ATTACK $1 succeeded\"; else echo \"ATTACK $1 failed\"; fi; }\n"
	"try orig-write 'echo x >> /var/lib/dkms/wc/1.0/source/dkms.conf'\n"
	"try orig-create 'echo x > /var/lib/dkms/wc/1.0/source/pwned'\n"
	"try dep-write 'echo x >> /usr/src/dep-1.0/dep.txt'\n"
	"try dep-create 'echo x > /usr/src/dep-1.0/pwned'\n"
	"try hardlink 'ln /usr/src/dep-1.0/dep.txt $S/hl'\n"
	"try symlink-dir 'rm -rf $S/sub && ln -s /var/lib/dkms/wc/1.0/source $S/sub && echo x > $S/sub/pwned'\n"
	"try symlink-file 'ln -sf /usr/src/dep-1.0/dep.txt $S/dkms.conf && echo x >> $S/dkms.conf'\n"
	"try symlink-swap 'mv $S $S.old && ln -s /var/lib/dkms/wc/1.0/source $S && echo x > $S/pwned'\n"
	"exit 1\n";

Test(canon, the_writable_source_cannot_write_the_host, .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *src_before = NULL, *dep_before = NULL, *log = NULL;
	cleanup_free char *src_after = NULL, *dep_after = NULL;
	char src[600], dep[600];

	mt_tree_make(&t);
	dependency(&t);
	hello(&t, "wc", "BUILD_DEPENDS[0]=\"dep\"\nMAKE[0]=\"bash ./make.sh\"", attack);
	snprintf(src, sizeof(src), "%s/src/wc-1.0", t.root);
	snprintf(dep, sizeof(dep), "%s/src/dep-1.0", t.root);
	src_before = fingerprint(src);
	dep_before = fingerprint(dep);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add wc/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build wc/1.0 -k %s --force", t.kver), 10,
		     "%s", out);
	log = read_log(&t, "wc");
	cr_expect(!strstr(log, "succeeded"), "an attack succeeded:\n%s", log);
	cr_expect(strstr(log, "ATTACK symlink-swap failed"), "the attacks did not run:\n%s", log);
	src_after = fingerprint(src);
	dep_after = fingerprint(dep);
	cr_expect_str_eq(src_after, src_before, "the host's copy of the source changed");
	cr_expect_str_eq(dep_after, dep_before, "the dependency's source changed");
}

/* The copy lives in a tmpfs of build_size: filling it stops there. */
Test(canon, the_writable_source_is_bounded_by_the_build_size, .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *log = NULL, *dir = sbt_mkdtemp(NULL);
	char profile[600];

	mt_tree_make(&t);
	snprintf(profile, sizeof(profile), "%s/small.yaml", dir);
	sbt_write_file(profile, "name: small\nlimits:\n  build_size: 16M\n", 0, 0, 0644);
	hello(&t, "big", "MAKE[0]=\"bash ./make.sh\"",
	      "dd if=/dev/zero of=/usr/src/big-1.0/small bs=1M count=1 2>/dev/null && echo SMALL fits\n"
	      "if dd if=/dev/zero of=/usr/src/big-1.0/fill bs=1M count=64 2>/dev/null; then\n"
	      "  echo FILL succeeded; else echo FILL stopped at $(du -m /usr/src/big-1.0/fill); fi\n"
	      "exit 1\n");
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add big/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build big/1.0 -k %s --profile %s", t.kver,
			    profile), 10, "%s", out);
	log = read_log(&t, "big");
	cr_expect(strstr(log, "SMALL fits\n"), "the source is not writable:\n%s", log);
	cr_expect(strstr(log, "FILL stopped at"), "64 MiB fit in a 16 MiB source tmpfs:\n%s", log);
}

/* dkms exports CC: the first word of the headers' CONFIG_CC_VERSION_TEXT
 * when the toolchain has it (read from the headers here, not typed in). */
Test(canon, cc_is_the_kernels_compiler_as_dkms_exports_it, .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *log = NULL;
	char want[256], line[600];

	mt_tree_make(&t);
	cr_assert_eq(sbt_sh(want, sizeof(want),
			    "t=$(grep -m1 '^CONFIG_CC_VERSION_TEXT=' %s/lib/%s/build/.config | "
			    "cut -d= -f2- | tr -d '\"' | cut -d' ' -f1); command -v \"$t\" >/dev/null "
			    "&& printf %%s \"$t\"", t.root, t.kver), 0,
		     "the kernel's compiler is not on this machine: %s", want);
	hello(&t, "cc", "MAKE[0]=\"bash ./make.sh $kernelver\"",
	      "echo \"CC=${CC-unset} KERNEL_CC=${KERNEL_CC-unset}\"\n"
	      "make -C /lib/modules/$1/build M=$PWD modules\n");
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add cc/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build cc/1.0 -k %s", t.kver), 0, "%s", out);
	log = read_log(&t, "cc");
	snprintf(line, sizeof(line), "CC=%s KERNEL_CC=%s\n", want, want);
	cr_expect(strstr(log, line), "no '%s' in:\n%s", line, log);
}

/* dkms runs a build as `module=M module_version=V kernelver=K arch=A
 * do_build`, which bash exports: Makefiles read $(kernelver) (KDIR :=
 * /lib/modules/$(kernelver)/build), and would build for the running kernel
 * (or fail) without it. PRE_BUILD and POST_BUILD see them too. */
Test(canon, dkms_s_variables_are_in_the_build_s_environment, .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *log = NULL;
	char line[600], arch[64];

	mt_tree_make(&t);
	cr_assert_eq(sbt_sh(arch, sizeof(arch), "uname -m | tr -d '\\n'"), 0);
	hello(&t, "kv", "MAKE[0]=\"make -f kv.mk\"\nPRE_BUILD=\"pre.sh\"\nPOST_BUILD=\"pre.sh\"",
	      NULL);
	sbt_must("cd %s/src/kv-1.0 && printf 'all:\\n\\t@echo \"make sees $(module)/$(module_version) "
		 "for $(kernelver)/$(arch)\"\\n\\t$(MAKE) -C /lib/modules/$(kernelver)/build "
		 "M=$(CURDIR) modules\\n' > kv.mk && printf '#!/bin/sh\\necho \"script sees "
		 "$module/$module_version for $kernelver/$arch\"\\n' > pre.sh && chmod a+rx pre.sh "
		 "&& chmod a+r kv.mk", t.root);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add kv/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build kv/1.0 -k %s", t.kver), 0, "%s", out);
	log = read_log(&t, "kv");
	snprintf(line, sizeof(line), "make sees kv/1.0 for %s/%s\n", t.kver, arch);
	cr_expect(strstr(log, line), "no '%s' in:\n%s", line, log);
	snprintf(line, sizeof(line), "script sees kv/1.0 for %s/%s\n", t.kver, arch);
	cr_expect(strstr(log, line), "no '%s' in:\n%s", line, log);
	cr_expect(strstr(strstr(log, line) + 1, line), "POST_BUILD did not see it:\n%s", log);
}

/* zfs-dkms's POST_BUILD, as its dkms.conf writes it (on lines of their
 * own): a script that copies files into the tree's <kver>/<arch>, where
 * dkms has log/ and module/ by then. It runs and succeeds; what it copies
 * stays in the sandbox: the build writes nothing into the tree. */
Test(canon, a_post_build_copying_into_the_kernel_s_tree_dir_succeeds, .timeout = 900)
{
	struct mt_tree t;
	char arch[64];

	mt_tree_make(&t);
	cr_assert_eq(sbt_sh(arch, sizeof(arch), "uname -m | tr -d '\\n'"), 0);
	hello(&t, "zp", "POST_BUILD=\"post.sh\n  -n ${PACKAGE_NAME}\n  -v ${PACKAGE_VERSION}\n"
		  "  -a ${arch}\n  -k ${kernelver}\n  -t ${dkms_tree}\n\"", NULL);
	sbt_must("cd %s/src/zp-1.0 && printf '#!/bin/sh\nset -e\n"
		 "while getopts a:k:n:t:v: o; do eval \"$o=\\$OPTARG\"; done\n"
		 "d=\"$t/$n/$v/$k/$a\"\ntest -d \"$d/log\" && test -d \"$d/module\"\n"
		 "exec cp Makefile \"$d/\"\n' > post.sh && chmod a+rx post.sh", t.root);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add zp/1.0"), 0, "%s", out);
	cr_expect_eq(mt_dks(&t, 600, out, sizeof(out), "build zp/1.0 -k %s", t.kver), 0, "%s", out);
	cr_expect_neq(sbt_sh(out, sizeof(out), "test -e %s/dkms/zp/1.0/%s/%s/Makefile", t.root,
			     t.kver, arch), 0, "the build wrote into the tree");
}

/* dkms puts KERNELRELEASE on a leading make's command line, never in the
 * environment: a MAKE that starts with another word (nvidia-kernel-dkms's
 * "env NV_VERBOSE=1 make ...") runs a Makefile that reads a set
 * KERNELRELEASE as kbuild's second pass, and has no target then. */
Test(canon, a_make_that_does_not_start_with_make_sees_no_kernelrelease, .timeout = 900)
{
	struct mt_tree t;

	mt_tree_make(&t);
	hello(&t, "kr", "MAKE[0]=\"env KR=1 make -f kr.mk\"", NULL);
	sbt_must("cd %s/src/kr-1.0 && printf 'ifneq ($(KERNELRELEASE),)\n$(error KERNELRELEASE "
		 "is set: $(KERNELRELEASE))\nelse\nall:\n\t$(MAKE) -C /lib/modules/$(kernelver)/build "
		 "M=$(CURDIR) modules\nendif\n' > kr.mk && chmod a+r kr.mk", t.root);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "add kr/1.0"), 0, "%s", out);
	cr_expect_eq(mt_dks(&t, 600, out, sizeof(out), "build kr/1.0 -k %s", t.kver), 0, "%s", out);
}

/* bash asks nscd (socket AF_UNIX) and whether stdin is a network
 * connection (getpeername): neither may print a denial line, in any
 * profile a build runs under. */
Test(canon, a_shell_starts_without_a_denial_line, .timeout = 60)
{
	const char *const profiles[] = {"default", "strict", NULL};
	char *argv[] = {"/bin/bash", "-c", "id -un >/dev/null; echo started", NULL};

	for (int i = 0; profiles[i]; i++) {
		struct sbt_opts o = {.profile = profiles[i]};
		struct sbt_out o_out = {0};

		cr_assert_eq(sbt_run(&o, argv, &o_out), 0, "%s", o_out.err.msg);
		cr_expect(sbt_has(&o_out, "started"), "[%s] %s", profiles[i], o_out.text);
		cr_expect_eq(o_out.res.n_denied, 0, "[%s] a denial:\n%s", profiles[i], o_out.text);
		cr_expect(!sbt_has(&o_out, "seccomp"), "[%s] a seccomp line:\n%s", profiles[i],
			  o_out.text);
		sbt_out_free(&o_out);
	}
}

/* The quiet AF_UNIX answer is no opening: AF_INET is still denied and
 * reported, and AF_UNIX still fails. */
Test(canon, a_real_socket_attempt_is_still_denied_and_reported, .timeout = 60)
{
	struct sbt_opts o = {0};
	struct sbt_out o_out;

	sbt_probe(&o, &o_out, "socket", NULL);
	cr_assert_eq(sbt_result(&o_out, "socket AF_INET"), EPERM, "%s", o_out.text);
	cr_assert(sbt_denied_has(&o_out, "socket"), "not reported:\n%s", o_out.text);
	cr_assert(sbt_sandbox_said(&o_out, "socket"), "no denial line:\n%s", o_out.text);
	sbt_out_free(&o_out);
	sbt_probe(&o, &o_out, "abstract", "dks-canon-test", NULL);
	cr_assert_eq(sbt_result(&o_out, "abstract @dks-canon-test"), EAFNOSUPPORT, "%s",
		     o_out.text);
	sbt_out_free(&o_out);
}

/* A POST_ADD hook is a bash in a sandbox too: no denial line either. */
Test(canon, a_hook_run_prints_no_denial_line, .timeout = 300)
{
	struct mt_tree t;

	mt_tree_make(&t);
	mt_module(&t, "hook", "POST_ADD=\"add.sh\"", "add.sh",
		  "#!/bin/bash\necho \"hook ran as $(id -un)\"\n");
	sbt_must("chmod a+rx %s/src/hook-1.0/add.sh", t.root);
	cr_assert_eq(mt_dks(&t, 120, out, sizeof(out), "add hook/1.0"), 0, "%s", out);
	cr_expect(strstr(out, "hook ran as "), "the hook did not run:\n%s", out);
	cr_expect(!strstr(out, "seccomp"), "a seccomp line:\n%s", out);
}

/* Debian's own west-chamber-dkms (fetched at test time, never committed)
 * after xtables-addons-dkms, on the newest installed kernel and on 6.12
 * headers unpacked by tests/fetch-kernel.sh: dkms 3.0.10 builds both.
 * Its dkms.conf finds xtables-addons with `find /usr/src`; it may read
 * it because its package says `Depends: xtables-addons-dkms`: a dpkg
 * database of the two packages' own control files, in the test's dir
 * (tests/make-dpkg-db.sh, dpkg_admindir), is how the build learns it. */
Test(canon, west_chamber_builds_after_xtables_addons_on_two_kernels, .timeout = 1800)
{
	struct mt_tree t;
	const char *srcdir = getenv("DKS_SRCDIR");
	cleanup_free char *before = NULL, *after = NULL;
	char k2[256], wc[256], path[1024];

	mt_tree_make(&t);
	sbt_must("for d in $(%s/tests/fetch-corpus.sh /tmp/dkms-sandbox-corpus xtables-addons-dkms "
		 "west-chamber-dkms); do cp -a \"$d\" %s/src/ || exit 1; done && chmod -R a+rX %s/src",
		 srcdir, t.root, t.root);
	cr_assert_eq(sbt_sh(k2, sizeof(k2), "set -e; set -- $(%s/tests/fetch-kernel.sh "
			    "/var/tmp/dkms-sandbox-kernels 6.12); mkdir -p %s/lib/$1; "
			    "ln -s $2/usr/src/linux-headers-$1 %s/lib/$1/build; chmod -R a+rX $2; "
			    "printf %%s $1", srcdir, t.root, t.root), 0, "%s", k2);
	cr_assert_eq(sbt_sh(wc, sizeof(wc), "cd %s/src && printf %%s west-chamber-*", t.root), 0);
	snprintf(path, sizeof(path), "%s/src/%s", t.root, wc);
	before = fingerprint(path);
	cr_assert_eq(mt_dks(&t, 120, out, sizeof(out), "add %s", path), 0, "%s", out);
	sbt_must("cd %s/src && for d in xtables-addons-*; do %s add $d %s >/dev/null || exit 1; done",
		 t.root, getenv("DKS_BIN"), t.opts);
	*strchr(wc + strlen("west-chamber"), '-') = '/';
	sbt_must("cd %s && %s/tests/make-dpkg-db.sh $PWD/dpkg $PWD/src "
		 "/tmp/dkms-sandbox-corpus/xtables-addons-dkms /tmp/dkms-sandbox-corpus/"
		 "west-chamber-dkms && echo \"dpkg_admindir: $PWD/dpkg\" > config.yaml", t.root,
		 srcdir);
	cr_assert_eq(mt_dks(&t, 1200, out, sizeof(out), "build %s -k %s -k %s --sandbox-config "
			    "%s/config.yaml", wc, t.kver, k2, t.root), 0, "%s", out);
	for (const char *const *k = (const char *const[]){t.kver, k2, NULL}; *k; k++)
		sbt_must("cd %s/dkms/%s/%s/*/module && ls xt_CUI.ko* xt_ZHANG.ko* xt_gfw.ko*", t.root,
			 wc, *k);
	after = fingerprint(path);
	cr_expect_str_eq(after, before, "the host's copy of west-chamber changed");
}
