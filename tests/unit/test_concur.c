// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the concurrency stress (make check-concurrency, tests/concur/) found,
 * each made deterministic: another command is played by the test (a lock
 * holder it controls, or a remove it runs at the right instant).
 *   - uninstall of an added module that is not built: dkms's skip (0),
 *     not "not built (no manifest)" (1); of one not added: 3, as dkms;
 *   - a build whose m/v a remove took while it ran: one line, exit 3, and
 *     the module stays removed (its dir was made again: broken);
 *   - an install that waited for the lock while another command took its
 *     build: it builds again and installs (was: 6, "not built").
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/lockwait.h"
#include "modtest.h"
#include "sbtest.h"

TestSuite(concur, .fini = sbt_cleanup);

#define expect_has(out, want) \
	cr_expect(strstr((out), (want)) != NULL, "want '%s' in: %s", (want), (out))

/* foo-1.0: tests/modules/hello built as foo's, its make first sleeping
 * @delay seconds (a build slow enough to race with). */
static void foo_module(const struct mt_tree *t, unsigned delay)
{
	char conf[512];

	snprintf(conf, sizeof(conf),
		 "MAKE[0]=\"sleep %u; make -C $kernel_source_dir "
		 "M=$dkms_tree/$module/$module_version/build\"",
		 delay);
	mt_module(t, "foo", conf, NULL, NULL);
	sbt_must("cp %s/tests/modules/hello/hello.c %s/tests/modules/hello/Kbuild %s/src/foo-1.0/ "
		 "&& chmod -R a+rX %s/src",
		 getenv("DKS_SRCDIR"), getenv("DKS_SRCDIR"), t->root, t->root);
}

/* "$DKS_BIN ARGS <tree options>" started in the background, its output
 * into @log; waitpid for its exit code. */
static pid_t start(const struct mt_tree *t, const char *log, const char *args)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char cmd[4096];

		snprintf(cmd, sizeof(cmd), "exec timeout -k 5 240 %s %s %s >%s 2>&1",
			 getenv("DKS_BIN"), args, t->opts, log);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int finish(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Poll until @cmd (a shell test) succeeds; false after @seconds. */
static bool wait_until(unsigned seconds, const char *cmd)
{
	char out[256];

	for (unsigned i = 0; i < seconds * 10; i++) {
		if (sbt_sh(out, sizeof(out), "%s", cmd) == 0)
			return true;
		usleep(100000);
	}
	return false;
}

static void slurp(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(out, 1, size - 1, f) : 0;

	out[n] = '\0';
	if (f)
		fclose(f);
}

/* A child holds @lock (as another command would: flock and its record)
 * until the test closes the returned fd. */
static int hold(const char *lock)
{
	int ready[2];
	pid_t holder;

	/* O_CLOEXEC: a command the test starts must not keep the pipe open. */
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		char c;
		int fd = open(lock, O_RDWR | O_CLOEXEC);

		if (fd < 0 || flock(fd, LOCK_EX) < 0 || dks_lock_record(fd) < 0)
			_exit(1);
		close(ready[1]);
		/* Let go when the test closes its end. */
		_exit(read(ready[0], &c, 1) < 0);
	}
	sbt_defer_kill(holder);
	close(ready[0]);
	return ready[1];
}

Test(concur, uninstall_of_a_module_not_built_or_not_added_is_dkms_s_skip_or_3, .timeout = 60)
{
	struct mt_tree t;
	char out[4096];

	mt_tree_make(&t);
	mt_module(&t, "foo", NULL, NULL, NULL);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "uninstall foo/1.0 -k %s", t.kver), 3, "%s",
		     out);
	expect_has(out, "foo-1.0 is not located in the DKMS tree");
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0"), 0, "%s", out);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "uninstall foo/1.0 -k %s", t.kver), 0, "%s",
		     out);
	expect_has(out, "not installed, skip");
}

Test(concur, a_build_whose_module_is_removed_meanwhile_fails_3_and_keeps_nothing, .timeout = 240)
{
	struct mt_tree t;
	char log[600], out[8192], cond[1024];
	pid_t build;

	mt_tree_make(&t);
	foo_module(&t, 6);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0"), 0, "%s", out);
	snprintf(log, sizeof(log), "%s/build.log", t.root);
	snprintf(out, sizeof(out), "build foo/1.0 -k %s", t.kver);
	build = start(&t, log, out);
	/* Its staging dir is there: the build runs. */
	snprintf(cond, sizeof(cond), "ls -d %s/dkms/foo/1.0/.stage-* >/dev/null 2>&1", t.root);
	cr_assert(wait_until(60, cond), "the build never staged");
	cr_assert_eq(mt_dks(&t, 60, out, sizeof(out), "remove foo/1.0 --all"), 0, "%s", out);
	cr_expect_eq(finish(build), 3);
	slurp(log, out, sizeof(out));
	expect_has(out, "removed from the tree by another command while it was being built");
	/* Not made again: no m/v dir without its source link (broken). */
	snprintf(cond, sizeof(cond), "%s/dkms/foo/1.0", t.root);
	cr_expect_neq(access(cond, F_OK), 0, "%s is back", cond);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "status"), 0, "%s", out);
	cr_expect(strstr(out, "foo") == NULL, "status: %s", out);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "fsck"), 0, "%s", out);
}

/* The install built foo, then waited for the lock; the holder (another
 * command, played by the test) took the build meanwhile. */
Test(concur, an_install_whose_build_is_taken_while_it_waits_builds_again, .timeout = 300)
{
	struct mt_tree t;
	char log[600], out[8192], lock[600], build_dir[700], cmd[1024];
	int holder_fd;
	pid_t install;
	struct utsname u;

	uname(&u);
	mt_tree_make(&t);
	foo_module(&t, 0);
	cr_assert_eq(mt_dks(&t, 120, out, sizeof(out), "build foo/1.0 -k %s", t.kver), 0, "%s", out);
	snprintf(lock, sizeof(lock), "%s/dkms/foo/.lock", t.root);
	holder_fd = hold(lock);
	snprintf(log, sizeof(log), "%s/install.log", t.root);
	snprintf(cmd, sizeof(cmd), "grep -q 'waiting for foo' %s", log);
	/* Keys and the kernel's index files in the test's own trees. */
	sbt_must("chown 0:0 %s && mkdir -m 700 %s/keys && touch %s/lib/%s/modules.order %s/lib/%s/modules.builtin "
		 "%s/lib/%s/modules.builtin.modinfo",
		 t.root, t.root, t.root, t.kver, t.root, t.kver, t.root, t.kver);
	snprintf(out, sizeof(out), "install foo/1.0 -k %s --no-depmod --mok-key %s/keys/mok.key "
		 "--mok-cert %s/keys/mok.pub", t.kver, t.root, t.root);
	install = start(&t, log, out);
	cr_assert(wait_until(60, cmd), "the install never waited");
	snprintf(build_dir, sizeof(build_dir), "%s/dkms/foo/1.0/%s", t.root, t.kver);
	sbt_must("rm -rf %s", build_dir);
	close(holder_fd);
	cr_expect_eq(finish(install), 0);
	slurp(log, out, sizeof(out));
	expect_has(out, "installed");
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "status"), 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "foo/1.0, %s, %s: installed", t.kver, u.machine);
	expect_has(out, cmd);
}

/* A remover deletes its module dir as .gone-<pid>-XXXXXX. Another remover
 * or fsck --repair deleting it at the same time made one of them fail:
 * only a .gone dir whose remover is gone (or that names no pid) is
 * theirs to delete. */
Test(concur, a_live_removers_gone_dir_is_left_to_it, .timeout = 60)
{
	struct mt_tree t;
	char out[8192], live[600], dead[600];
	pid_t gone = fork();

	if (gone == 0)
		_exit(0);
	cr_assert_gt(gone, 0);
	waitpid(gone, NULL, 0);
	mt_tree_make(&t);
	mt_module(&t, "foo", NULL, NULL, NULL);
	snprintf(live, sizeof(live), "%s/dkms/.gone-%d-aaaaaa", t.root, (int)getpid());
	snprintf(dead, sizeof(dead), "%s/dkms/.gone-%d-bbbbbb", t.root, (int)gone);
	sbt_must("mkdir -p %s/x %s/x", live, dead);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0"), 0, "%s", out);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "remove foo/1.0 --all"), 0, "%s", out);
	cr_expect_neq(access(dead, F_OK), 0, "%s: a dead remover's, left", dead);
	cr_expect_eq(access(live, F_OK), 0, "%s: a live remover's, deleted", live);
	sbt_must("mkdir -p %s/x", dead);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "fsck"), 1, "%s", out);
	expect_has(out, "bbbbbb: the leftover of a remove");
	cr_expect(strstr(out, "aaaaaa") == NULL, "%s", out);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "fsck --repair"), 0, "%s", out);
	cr_expect_neq(access(dead, F_OK), 0, "%s: left by fsck --repair", dead);
	cr_expect_eq(access(live, F_OK), 0, "%s: deleted by fsck --repair", live);
}

/* An uninstall removes the location's dirs when they are empty while it
 * still holds the kernel's lock: an install waiting for that lock makes
 * them and writes into them (check-concurrency: a remover's rmdir after
 * its unlock took updates/dkms/ from under an install, exit 6). Seen in
 * the uninstall's own system calls, in order: every rmdir of the
 * location falls between the lock's open and its close. */
Test(concur, an_uninstall_tidies_the_location_under_the_kernel_s_lock, .timeout = 180)
{
	struct mt_tree t;
	char out[8192], trace[600], cmd[2048];

	mt_tree_make(&t);
	foo_module(&t, 0);
	sbt_must("chown 0:0 %s && mkdir -m 700 %s/keys", t.root, t.root);
	cr_assert_eq(mt_dks(&t, 120, out, sizeof(out),
			    "install foo/1.0 -k %s --no-depmod --mok-key %s/keys/mok.key "
			    "--mok-cert %s/keys/mok.pub",
			    t.kver, t.root, t.root),
		     0, "%s", out);
	snprintf(trace, sizeof(trace), "%s/uninstall.strace", t.root);
	snprintf(cmd, sizeof(cmd),
		 /* LeakSanitizer cannot run under ptrace (check-asan) */
		 "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "
		 "strace -f -qq -o %s -e trace=openat,close,rmdir %s uninstall foo/1.0 -k %s "
		 "--no-depmod %s 2>&1",
		 trace, getenv("DKS_BIN"), t.kver, t.opts);
	cr_assert_eq(sbt_sh(out, sizeof(out), "%s", cmd), 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s/lib/%s/updates", t.root, t.kver);
	cr_expect_neq(access(cmd, F_OK), 0, "%s is left", cmd);
	/* "<pid> openat(..., \".../.depmod-K.lock\", ...) = FD" .. "<pid> close(FD)" */
	cr_assert_eq(sbt_sh(out, sizeof(out),
			    "awk '/openat\\(.*\\/\\.depmod-[^\"]*\\.lock\"/ { pid = $1; fd = $NF; held = 1; next }"
			    " held && $1 == pid && $2 == \"close(\" fd \")\" { held = 0; next }"
			    " /rmdir\\(.*\\/updates(\\/dkms)?\"\\) = 0/ { if (held) inside++; else outside++ }"
			    " END { printf \"%%d %%d\", inside, outside }' %s",
			    trace),
		     0, "%s", out);
	cr_expect_str_eq(out, "2 0", "rmdirs of the location with the lock held, without: %s (%s)",
			 out, trace);
}

/* fsck's walk waits for a module's lock while its holder removes the
 * module (played by the test): fsck skips it (was: made its dir again,
 * empty, or said "not added", exit 3, when the walk met a remove). */
Test(concur, fsck_skips_a_module_removed_while_it_waits_and_leaves_it_removed, .timeout = 60)
{
	struct mt_tree t;
	char log[600], out[8192], lock[600], cmd[1024];
	int holder_fd;
	pid_t fsck;

	mt_tree_make(&t);
	mt_module(&t, "foo", NULL, NULL, NULL);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0"), 0, "%s", out);
	snprintf(lock, sizeof(lock), "%s/dkms/foo/.lock", t.root);
	holder_fd = hold(lock);
	snprintf(log, sizeof(log), "%s/fsck.log", t.root);
	fsck = start(&t, log, "fsck");
	snprintf(cmd, sizeof(cmd), "grep -q 'waiting for foo' %s", log);
	cr_assert(wait_until(30, cmd), "fsck never waited");
	sbt_must("rm -rf %s/dkms/foo", t.root);
	close(holder_fd);
	cr_expect_eq(finish(fsck), 0);
	slurp(log, out, sizeof(out));
	snprintf(cmd, sizeof(cmd), "%s/dkms/foo", t.root);
	cr_expect_neq(access(cmd, F_OK), 0, "fsck made %s again: %s", cmd, out);
}
