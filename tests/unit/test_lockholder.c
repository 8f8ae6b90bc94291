// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tree's locks say who holds them (common/lockholder.c, lockwait.c;
 * docs/tree.md "Locks"): a command that finds a lock busy names the
 * holder once and waits, or gives up after --lock-timeout / lock_timeout
 * with one line naming the lock and its holder. The record in a lock file
 * is hostile input: a dead pid, a pid reused by another process (another
 * start time), escape sequences and huge content are never shown raw.
 * The holders here are children of the test: they take the lock and write
 * their record through the library, as a dkms-sandbox command does.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/lockwait.h"
#include "modtest.h"
#include "sbtest.h"

TestSuite(lockholder, .fini = sbt_cleanup);

#define expect_has(out, want) \
	cr_expect(strstr((out), (want)) != NULL, "want '%s' in: %s", (want), (out))
#define expect_not(out, want) \
	cr_expect(strstr((out), (want)) == NULL, "did not want '%s' in: %s", (want), (out))

/* Does /proc/locks show a process blocked in flock on @fd's inode? A
 * blocked waiter's line reads "N: -> FLOCK ADVISORY WRITE PID MAJ:MIN:INO
 * 0 EOF" (fs/locks.c). The inode alone is matched: a stranger's lock on
 * another filesystem's inode of that number only lets go early. */
static bool waiter_blocked(int fd)
{
	struct stat st;
	char line[512], ino[32];
	bool found = false;
	FILE *f;

	if (fstat(fd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
		return false;
	snprintf(ino, sizeof(ino), ":%lu ", (unsigned long)st.st_ino);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "-> FLOCK") && strstr(line, ino);
	fclose(f);
	return found;
}

/* A child that takes @path's lock (with its record when @record), then
 * holds it @seconds and exits; with @until_waiter, lets go as soon as a
 * waiter is blocked on it (a waiter announces itself before it blocks),
 * so that no test depends on how long a command takes to reach the lock.
 * Returns once the lock is held. */
static pid_t holder(const char *path, bool record, unsigned seconds, bool until_waiter)
{
	int ready[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || flock(fd, LOCK_EX) < 0 || (record && dks_lock_record(fd) < 0))
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (unsigned i = 0; i < seconds * 100; i++) {
			if (until_waiter && waiter_blocked(fd))
				_exit(0);
			usleep(10000);
		}
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the holder could not take %s", path);
	close(ready[0]);
	sbt_defer_kill(pid);
	return pid;
}

/* foo's source in a fresh tree and its module dir (where its lock is). */
static void foo_tree(struct mt_tree *t, char *lock, size_t size)
{
	mt_tree_make(t);
	mt_module(t, "foo", NULL, NULL, NULL);
	sbt_must("mkdir -p %s/dkms/foo", t->root);
	snprintf(lock, size, "%s/dkms/foo/.lock", t->root);
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(lockholder, a_waiter_names_the_holder_once_and_goes_on_when_it_lets_go, .timeout = 60)
{
	struct mt_tree t;
	char lock[512], out[8192], want[640];
	pid_t pid;

	foo_tree(&t, lock, sizeof(lock));
	pid = holder(lock, true, 20, true);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0"), 0, "%s", out);
	snprintf(want, sizeof(want), "dkms-sandbox: waiting for foo's lock (%s), held by pid %d (",
		 lock, (int)pid);
	expect_has(out, want);
	cr_expect_eq(count(out, "waiting for"), 1, "%s", out);
	expect_has(out, "Creating symlink");
}

Test(lockholder, lock_timeout_gives_up_with_one_line_naming_lock_and_holder, .timeout = 60)
{
	struct mt_tree t;
	char lock[512], out[8192], want[640], link[600];
	pid_t pid;

	foo_tree(&t, lock, sizeof(lock));
	pid = holder(lock, true, 30, false);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0 --lock-timeout 1"), 1, "%s",
		     out);
	snprintf(want, sizeof(want),
		 "dkms-sandbox: gave up waiting for foo's lock (%s) after 1 s (lock_timeout): "
		 "held by pid %d (",
		 lock, (int)pid);
	expect_has(out, want);
	snprintf(link, sizeof(link), "%s/dkms/foo/1.0/source", t.root);
	cr_expect_neq(access(link, F_OK), 0, "%s: added while the lock was held", link);
}

Test(lockholder, lock_timeout_comes_from_the_configuration_and_is_checked, .timeout = 60)
{
	struct mt_tree t;
	char lock[512], out[8192], conf[600];

	foo_tree(&t, lock, sizeof(lock));
	snprintf(conf, sizeof(conf), "%s/config.yaml", t.root);
	write_bytes(conf, "lock_timeout: 1\n", 16);
	holder(lock, true, 30, false);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0 --sandbox-config %s", conf), 1,
		     "%s", out);
	expect_has(out, "after 1 s (lock_timeout)");
	write_bytes(conf, "lock_timeout: -3\n", 17);
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "status --sandbox-config %s", conf), 1,
		     "%s", out);
	expect_has(out, "lock_timeout");
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "status --lock-timeout soon"), 1, "%s", out);
	expect_has(out, "--lock-timeout 'soon'");
}

/* A record naming a process that is gone, or a live pid that started at
 * another time (the pid was reused): the holder is not named. */
Test(lockholder, a_dead_or_reused_pid_in_the_record_is_not_named, .timeout = 60)
{
	struct mt_tree t;
	char lock[512], out[8192], rec[128], want[128];
	pid_t dead = fork();
	unsigned long long start;

	if (dead == 0)
		_exit(0);
	cr_assert_gt(dead, 0);
	start = dks_proc_start_time(dead);
	waitpid(dead, NULL, 0);
	foo_tree(&t, lock, sizeof(lock));
	holder(lock, false, 30, false);
	snprintf(rec, sizeof(rec), "%d %llu dkms-sandbox install foo/1.0\n", (int)dead,
		 start ? start : 1);
	write_bytes(lock, rec, strlen(rec));
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0 --lock-timeout 1"), 1, "%s",
		     out);
	snprintf(want, sizeof(want), "(the record's pid %d is gone)", (int)dead);
	expect_has(out, want);
	expect_not(out, "held by pid");
	/* Our own pid is alive, but not with that start time. */
	snprintf(rec, sizeof(rec), "%d %llu dkms-sandbox remove foo/1.0\n", (int)getpid(),
		 dks_proc_start_time(getpid()) + 1);
	write_bytes(lock, rec, strlen(rec));
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0 --lock-timeout 1"), 1, "%s",
		     out);
	expect_not(out, "held by pid");
	expect_not(out, "remove foo/1.0");
}

Test(lockholder, escape_sequences_in_a_record_never_reach_the_terminal, .timeout = 60)
{
	struct mt_tree t;
	char lock[512], out[8192], rec[256];
	pid_t pid;

	foo_tree(&t, lock, sizeof(lock));
	pid = holder(lock, false, 30, false);
	/* Clear the screen, retitle the terminal, a right-to-left override. */
	snprintf(rec, sizeof(rec), "%d %llu dkms\x1b[2J\x1b]0;pwn\x07 \xe2\x80\xae\xc2\x9b" "x\n",
		 (int)pid, dks_proc_start_time(pid));
	write_bytes(lock, rec, strlen(rec));
	cr_expect_eq(mt_dks(&t, 30, out, sizeof(out), "add foo/1.0 --lock-timeout 1"), 1, "%s",
		     out);
	expect_has(out, "(dkms?[2J?]0;pwn? ?????x)");
	for (const char *p = out; *p; p++)
		cr_expect(*p == '\n' || ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f),
			  "byte %#x reached the output", (unsigned char)*p);
}

/* A holder whose record was cut, or bigger than a waiter reads: unknown,
 * and a long command line is shown cut at DKS_LOCK_CMD_MAX. */
Test(lockholder, a_huge_record_is_read_no_further_than_its_cap)
{
	char path[] = "/tmp/dks-lockholder-XXXXXX", out[DKS_LOCK_HOLDER_MAX];
	size_t big = 1 << 20;
	char *buf = malloc(big);
	int fd = mkstemp(path);
	int n;

	cr_assert(buf && fd >= 0);
	n = snprintf(buf, big, "%d %llu ", (int)getpid(), dks_proc_start_time(getpid()));
	memset(buf + n, 'A', big - (size_t)n - 1);
	buf[big - 1] = '\n';
	cr_assert_eq(write(fd, buf, big), (ssize_t)big);
	dks_lock_describe(fd, out, sizeof(out));
	cr_expect_str_eq(out, "held by a process that left no record");
	/* 400 bytes of command: inside what is read, shown cut. */
	cr_assert_eq(ftruncate(fd, 0), 0);
	buf[n + 400] = '\n';
	cr_assert_eq(pwrite(fd, buf, (size_t)n + 401, 0), n + 401);
	dks_lock_describe(fd, out, sizeof(out));
	cr_expect_lt(strlen(out), sizeof(out));
	cr_expect(strstr(out, "AAA...)") && strlen(strchr(out, '(')) == DKS_LOCK_CMD_MAX + 2, "%s",
		  out);
	close(fd);
	unlink(path);
	free(buf);
}

Test(lockholder, malformed_records_are_not_records)
{
	static const char *bad[] = {
	    "", "12 34 no newline", "-1 34 x\n", "+1 34 x\n", " 1 34 x\n", "1  34 x\n",
	    "0 34 x\n", "1 0 x\n", "12345678 34 x\n", "1 34\n", "x 34 y\n", "1 3x4 y\n",
	    "1\t34 x\n", "1 123456789012345678901 x\n",
	};
	char cmd[DKS_LOCK_CMD_MAX + 1];
	unsigned long long start;
	long pid;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_lt(dks_lock_parse(bad[i], strlen(bad[i]), &pid, &start, cmd), 0,
			     "parsed as a record: '%s'", bad[i]);
	cr_assert_eq(dks_lock_parse("42 7 a b\n", 9, &pid, &start, cmd), 0);
	cr_expect(pid == 42 && start == 7 && strcmp(cmd, "a b") == 0);
	/* A NUL inside the command is not an end the terminal would honour. */
	cr_assert_eq(dks_lock_parse("42 7 a\0b\n", 9, &pid, &start, cmd), 0);
	cr_expect_str_eq(cmd, "a?b");
}

Test(lockholder, a_fifo_planted_as_the_lock_file_is_not_read)
{
	char dir[] = "/tmp/dks-lockholder-XXXXXX", path[64], out[DKS_LOCK_HOLDER_MAX];
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.lock", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	fd = open(path, O_RDWR | O_NONBLOCK);
	cr_assert_geq(fd, 0);
	dks_lock_describe(fd, out, sizeof(out)); /* must not block */
	cr_expect_str_eq(out, "held by a process that left no record");
	close(fd);
	unlink(path);
	rmdir(dir);
}

/* The holder's own record parses back to itself; letting go empties it. */
Test(lockholder, the_holder_records_itself_and_empties_the_record_on_release)
{
	char path[] = "/tmp/dks-lockholder-XXXXXX", buf[DKS_LOCK_READ_MAX];
	char cmd[DKS_LOCK_CMD_MAX + 1];
	struct dks_lock_wait w = {.what = "test's lock", .path = path};
	struct dks_error err = {0};
	unsigned long long start;
	struct stat st;
	ssize_t n;
	long pid;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(dks_lock_take(fd, &w, &err), 0, "%s", err.msg);
	cr_expect(!w.announced);
	n = pread(fd, buf, sizeof(buf), 0);
	cr_assert_gt(n, 0);
	cr_assert_eq(dks_lock_parse(buf, (size_t)n, &pid, &start, cmd), 0, "%.*s", (int)n, buf);
	cr_expect_eq(pid, (long)getpid());
	cr_expect_eq(start, dks_proc_start_time(getpid()));
	/* Our command line, argv[0] by its base name (Criterion renames its
	 * workers: what /proc says, not what the test was started as). */
	cr_expect(cmd[0] && cmd[0] != '/' && !strchr(cmd, '\n'), "%s", cmd);
	dks_lock_release(fd);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_size, 0);
	unlink(path);
}
