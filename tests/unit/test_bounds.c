// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a sandbox may take of the host, and who it runs as: the cgroup that
 * bounds the whole sandbox (processes, page cache, tmpfs), the scratch
 * tmpfs a build writes in, and the build uids that no host process shares.
 * Each attack aims only at what the test made: its own sandbox, its own
 * files, its own uid range.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "sbtest.h"

/* ---- the cgroup ----------------------------------------------------------- */

static bool file_has(const char *path, const char *word)
{
	char text[4096] = "";
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

	if (f)
		fclose(f);
	text[n] = 0;
	return strstr(text, word) != NULL;
}

/* Computed from /proc/self/{cgroup,mountinfo} and the hierarchies, not
 * through the library: where may this caller bound a sandbox's memory? */
static bool expect_cgroup(void)
{
	char line[8192], own[4096] = "", path[8400];
	FILE *f = fopen("/proc/self/cgroup", "r");
	bool v2_mem = false, v1_mem = false;
	char v2[4096] = "", v1[4096] = "", v1own[4096] = "";

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "0::%4095s", own);
		if (strstr(line, ":memory:"))
			sscanf(strstr(line, ":memory:") + 8, "%4095s", v1own);
	}
	if (f)
		fclose(f);
	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char target[4096], type[64], opts[512];

		if (sscanf(line, "%*s %*s %*s %*s %4095s %*s%*[^-]- %63s %*s %511s", target, type,
			   opts) != 3)
			continue;
		if (strcmp(type, "cgroup2") == 0 && (!v2[0] || strcmp(target, "/sys/fs/cgroup") == 0))
			snprintf(v2, sizeof(v2), "%s", target);
		if (strcmp(type, "cgroup") == 0 && strstr(opts, "memory"))
			snprintf(v1, sizeof(v1), "%s", target);
	}
	if (f)
		fclose(f);
	if (v2[0] && own[0]) {
		snprintf(path, sizeof(path), "%s%s/cgroup.subtree_control", v2,
			 strcmp(own, "/") ? own : "");
		if (file_has(path, "memory") && file_has(path, "pids"))
			return true; /* delegated */
	}
	if (geteuid() != 0)
		return false;
	/* Root enables memory and pids below the v2 mount's root: where they
	 * are enabled there already, or where that root is the host's (no
	 * memory.max: a container's root has processes and cannot). */
	snprintf(path, sizeof(path), "%s/cgroup.controllers", v2);
	v2_mem = v2[0] && file_has(path, "memory") && file_has(path, "pids");
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", v2);
	if (v2_mem && !(file_has(path, "memory") && file_has(path, "pids"))) {
		snprintf(path, sizeof(path), "%s/memory.max", v2);
		v2_mem = access(path, F_OK) != 0;
	}
	/* v1: a child of root's own memory cgroup, where it may write. */
	if (v1[0] && v1own[0]) {
		snprintf(path, sizeof(path), "%s%s", v1, strcmp(v1own, "/") ? v1own : "");
		v1_mem = access(path, W_OK) == 0;
	}
	return v2_mem || v1_mem;
}

Test(bounds, a_cgroup_wherever_the_caller_can_make_one, .timeout = 30)
{
	struct sbt_opts o = {0};
	struct sbt_out out = {0};
	char *argv[] = {"/bin/true", NULL};
	bool expected = expect_cgroup();

	cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
	cr_expect_eq(out.res.cgroup, expected, "a cgroup %s here, but the sandbox %s one",
		     expected ? "can be made" : "cannot be made",
		     out.res.cgroup ? "used" : "did not use");
	if (!expected)
		cr_expect(sbt_sandbox_said(&out, "memory is bounded per process only"),
			  "no warning names what is unbounded:\n%s", out.text);
	sbt_out_free(&out);
}

static char *profile_file(const char *dir, const char *limits)
{
	char *path = NULL;
	FILE *f;

	cr_assert(asprintf(&path, "%s/bounded.yaml", dir) > 0);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "limits:\n%s", limits);
	fclose(f);
	return path;
}

/* Four writers, each far below the per-process limit, filling /tmp (tmpfs
 * pages, charged as page cache is) to twice the sandbox's memory: the
 * sandbox's own OOM killer stops it; nothing of the host's is taken. */
Test(bounds, memory_is_bounded_for_the_whole_sandbox, .timeout = 60)
{
	cleanup_free char *dir = sbt_mkdtemp(NULL);
	cleanup_free char *prof = profile_file(dir, "  memory: 64M\n  tmp_size: 1G\n");
	struct sbt_opts o = {.profile = prof};
	struct sbt_out out = {0};
	char *argv[] = {"/bin/sh", "-c",
			"for i in 1 2 3 4; do head -c 32M /dev/zero > /tmp/f$i & done; wait; "
			"n=$(cat /tmp/f* | wc -c); echo total=$n", NULL};

	if (!expect_cgroup()) {
		cr_log_warn("no cgroup can be made here (not root, none delegated): skipped");
		return;
	}
	cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
	cr_expect(out.res.cgroup, "no cgroup was used");
	cr_expect(!sbt_has(&out, "total=134217728"),
		  "128 MiB of tmpfs pages were held by a sandbox bounded at 64 MiB:\n%s", out.text);
	sbt_out_free(&out);
}

/* ---- root's cgroups kept per build uid (sandbox/cgkeep.c) ------------------ */

/* The first cgroup named @glob (malloc'd), or NULL. */
static char *find_cgroup(const char *glob)
{
	char cmd[256], line[4096] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "find /sys/fs/cgroup -maxdepth 8 -type d "
		 "-name '%s' -print -quit 2>/dev/null", glob);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	if (!fgets(line, sizeof(line), p))
		line[0] = 0;
	pclose(p);
	line[strcspn(line, "\n")] = 0;
	return line[0] ? strdup(line) : NULL;
}

/* Where uid @uid's kept cgroup is (malloc'd), or NULL. */
static char *kept_cgroup(uid_t uid)
{
	char glob[64];

	snprintf(glob, sizeof(glob), "dkms-sandbox-uid-%u", (unsigned)uid);
	return find_cgroup(glob);
}

/* The memory limit in @dir (v2 memory.max, v1 memory.limit_in_bytes). */
static unsigned long long memory_limit(const char *dir)
{
	char path[4200], text[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.max", dir);
	if (access(path, F_OK) != 0)
		snprintf(path, sizeof(path), "%s/memory.limit_in_bytes", dir);
	f = fopen(path, "r");
	if (f && !fgets(text, sizeof(text), f))
		text[0] = 0;
	if (f)
		fclose(f);
	return strtoull(text, NULL, 10);
}

/* A 1-uid range of the test's own, and a profile with @memory. */
static void run_kept(const char *user, const char *dir, const char *memory, const char *script,
		     struct sbt_out *out)
{
	cleanup_free char *limits = NULL, *prof = NULL;
	struct sbt_opts o = {.user = user};
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};

	cr_assert(asprintf(&limits, "  memory: %s\n  tmp_size: 1G\n", memory) > 0);
	prof = profile_file(dir, limits);
	o.profile = prof;
	cr_assert_eq(sbt_run(&o, argv, out), 0, "%s", out->err.msg);
	cr_assert(out->res.cgroup, "no cgroup was used");
}

/* Kept cgroups are root's (build uids; make check runs as root), where
 * the host has a memory cgroup hierarchy root can use: without one there
 * is nothing to keep (said, then skipped). */
static bool skip_unless_root_cgroup(void)
{
	cr_assert_eq(geteuid(), 0, "run the tests as root (make check): kept cgroups are root's");
	if (expect_cgroup())
		return false;
	cr_log_warn("no memory cgroup hierarchy root can use on this host: skipped");
	return true;
}

/* The next sandbox of a uid takes the same cgroup, with its own limits;
 * an OOM of one sandbox is not reported for the next. */
Test(bounds, a_build_uid_s_cgroup_is_kept_with_each_sandbox_s_limits_and_oom_count,
     .timeout = 90)
{
	cleanup_free char *dir = sbt_mkdtemp(NULL), *user = NULL, *cg = NULL, *cg2 = NULL;
	struct sbt_out o1 = {0}, o2 = {0};
	uid_t uid;

	if (skip_unless_root_cgroup())
		return;
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	run_kept(user, dir, "64M",
		 "for i in 1 2 3 4; do head -c 32M /dev/zero > /tmp/f$i & done; wait", &o1);
	cg = kept_cgroup(uid);
	cr_assert_not_null(cg, "no cgroup kept for uid %u", (unsigned)uid);
	cr_expect_eq(memory_limit(cg), 64ULL << 20);
	cr_expect(sbt_sandbox_said(&o1, "out of memory"), "the OOM was not reported:\n%s", o1.text);
	run_kept(user, dir, "96M", "true", &o2);
	cg2 = kept_cgroup(uid);
	cr_expect(cg2 && strcmp(cg, cg2) == 0, "the uid's second sandbox did not keep %s", cg);
	cr_expect_eq(memory_limit(cg), 96ULL << 20, "the second sandbox's limit is not in force");
	cr_expect(!sbt_sandbox_said(&o2, "out of memory"),
		  "the first sandbox's OOM was reported for the second:\n%s", o2.text);
	rmdir(cg);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* A kept cgroup that has a process (here the test's own sleeper) is never
 * taken: the sandbox gets a fresh one, the kept one is left untouched. */
Test(bounds, a_kept_cgroup_with_a_process_in_it_is_not_taken, .timeout = 60)
{
	cleanup_free char *dir = sbt_mkdtemp(NULL), *user = NULL, *cg = NULL, *procs = NULL;
	struct sbt_out o1 = {0}, o2 = {0};
	pid_t sleeper;
	FILE *f;
	uid_t uid;

	if (skip_unless_root_cgroup())
		return;
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	run_kept(user, dir, "64M", "true", &o1);
	cg = kept_cgroup(uid);
	cr_assert_not_null(cg);
	sleeper = sbt_spawn_sleeper();
	cr_assert(asprintf(&procs, "%s/cgroup.procs", cg) > 0);
	f = fopen(procs, "w");
	cr_assert_not_null(f);
	fprintf(f, "%d\n", (int)sleeper);
	cr_assert_eq(fclose(f), 0, "cannot move the test's sleeper into %s", cg);
	run_kept(user, dir, "96M", "true", &o2);
	cr_expect_eq(memory_limit(cg), 64ULL << 20,
		     "a sandbox took the kept cgroup though a process is in it");
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
	for (int i = 0; i < 100 && rmdir(cg) < 0 && errno == EBUSY; i++)
		usleep(10000);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* A first sandbox of @user (uid @uid) with 64M: the cgroup kept for it,
 * and in *@parent the dir it is kept in. */
static char *first_kept(const char *user, const char *dir, uid_t uid, struct sbt_out *o,
			char **parent)
{
	char *cg;

	run_kept(user, dir, "64M", "true", o);
	cg = kept_cgroup(uid);
	cr_assert_not_null(cg, "no cgroup kept for uid %u", (unsigned)uid);
	*parent = strdup(cg);
	*strrchr(*parent, '/') = 0;
	return cg;
}

/* Kept cgroups live below root's <hierarchy>/dkms-sandbox, a parent that
 * lasts, never below the caller's own cgroup (a session's, a service's:
 * they come and go, and what is kept there would pin them). One that is
 * not root's (here chowned to nobody: as a delegated subtree's user could
 * make one ahead) is never taken: its files would be another's to write. */
Test(bounds, kept_cgroups_are_root_s_below_a_lasting_parent, .timeout = 60)
{
	cleanup_free char *dir = sbt_mkdtemp(NULL), *user = NULL, *cg = NULL, *parent = NULL;
	struct sbt_out o1 = {0}, o2 = {0};
	struct stat st;
	uid_t uid;

	if (skip_unless_root_cgroup())
		return;
	uid = sbt_free_uids(1);
	user = sbt_uid_range(uid, 1);
	cg = first_kept(user, dir, uid, &o1, &parent);
	cr_expect_str_eq(strrchr(parent, '/'), "/dkms-sandbox", "kept below %s", parent);
	cr_assert_eq(chown(cg, 65534, 65534), 0, "%s: %s", cg, strerror(errno));
	run_kept(user, dir, "96M", "true", &o2);
	cr_expect_eq(memory_limit(cg), 64ULL << 20, "a sandbox took a kept cgroup not root's");
	cr_expect(stat(cg, &st) == 0 && st.st_uid == 65534, "%s changed hands", cg);
	rmdir(cg);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* At most 64 are kept: past that, those of uids no sandbox holds go, the
 * least recently used first (a uid without a lock file was never used:
 * here the test's 64 made by hand), a held one never. */
Test(bounds, kept_cgroups_are_bounded_and_a_held_uid_s_is_never_removed, .timeout = 60)
{
	cleanup_free char *dir = sbt_mkdtemp(NULL), *user = NULL, *cg = NULL, *parent = NULL;
	cleanup_free char *lockp = NULL, *heldp = NULL;
	cleanup_close int lock = -1;
	struct sbt_out o1 = {0}, o2 = {0};
	char p[4300];
	int present = 0;
	uid_t uid;

	if (skip_unless_root_cgroup())
		return;
	uid = sbt_free_uids(67);
	user = sbt_uid_range(uid, 1);
	cg = first_kept(user, dir, uid, &o1, &parent);
	for (unsigned i = 1; i <= 65; i++) {
		snprintf(p, sizeof(p), "%s/dkms-sandbox-uid-%u", parent, (unsigned)(uid + i));
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "%s: %s", p, strerror(errno));
	}
	/* uid + 65 is held, as buildids.c holds a uid. */
	cr_assert(asprintf(&lockp, "/run/dkms-sandbox/build-uids/%u", (unsigned)(uid + 65)) > 0);
	lock = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	cr_assert_geq(lock, 0);
	cr_assert_eq(flock(lock, LOCK_EX | LOCK_NB), 0);
	free(user);
	user = sbt_uid_range(uid + 66, 1);
	run_kept(user, dir, "64M", "true", &o2);
	for (unsigned i = 0; i <= 66; i++) {
		snprintf(p, sizeof(p), "%s/dkms-sandbox-uid-%u", parent, (unsigned)(uid + i));
		present += access(p, F_OK) == 0;
	}
	cr_assert(asprintf(&heldp, "%s/dkms-sandbox-uid-%u", parent, (unsigned)(uid + 65)) > 0);
	cr_expect_eq(access(heldp, F_OK), 0, "the held uid's cgroup was removed");
	cr_expect_leq(present, 64, "%d of the test's kept cgroups are left", present);
	cr_expect_eq(access(cg, F_OK), 0, "the cgroup of a uid used a moment ago went first");
	for (unsigned i = 0; i <= 66; i++) {
		snprintf(p, sizeof(p), "%s/dkms-sandbox-uid-%u", parent, (unsigned)(uid + i));
		rmdir(p);
	}
	unlink(lockp);
	sbt_out_free(&o1);
	sbt_out_free(&o2);
}

/* A caller killed with -9 leaves its fresh cgroup (it removes it after the
 * run): the next fresh one made beside it removes it, once its process is
 * gone; the cgroup of a caller that lives (the test's sleeper's) stays.
 * (A test running beside this one may be the sandbox that removes it.) */
Test(bounds, a_killed_caller_s_cgroup_is_removed_by_the_next_sandbox, .timeout = 60)
{
	cleanup_free char *cg = NULL, *live = NULL, *parent = NULL;
	struct sbt_out out = {0};
	char glob[64], *argv[] = {"/bin/true", NULL};
	struct sbt_opts o = {0};
	pid_t caller, sleeper;

	if (skip_unless_root_cgroup())
		return;
	caller = fork();
	cr_assert_geq(caller, 0);
	if (caller == 0) {
		char *sleep_argv[] = {"/bin/sleep", "30", NULL};

		_exit(sbt_run(&o, sleep_argv, &out) < 0 ? 1 : 0);
	}
	snprintf(glob, sizeof(glob), "dkms-sandbox-%d-*", (int)caller);
	/* As long as the caller runs (45 s at most): a slow start is no failure. */
	for (int i = 0; i < 4500 && !cg && waitpid(caller, NULL, WNOHANG) == 0; i++) {
		cg = find_cgroup(glob);
		if (!cg)
			usleep(10000);
	}
	kill(caller, SIGKILL);
	waitpid(caller, NULL, 0);
	cr_assert_not_null(cg, "the caller's sandbox never had a cgroup");
	parent = strdup(cg);
	*strrchr(parent, '/') = 0;
	sleeper = sbt_spawn_sleeper();
	cr_assert(asprintf(&live, "%s/dkms-sandbox-%d-1", parent, (int)sleeper) > 0);
	cr_assert_eq(mkdir(live, 0755), 0, "%s: %s", live, strerror(errno));
	/* init dies with its caller (PDEATHSIG): wait until its cgroup is empty. */
	for (int i = 0; i < 4500; i++) {
		cleanup_free char *procs = NULL;
		char c;
		int fd;

		cr_assert(asprintf(&procs, "%s/cgroup.procs", cg) > 0);
		fd = open(procs, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, &c, 1) == 0) {
			if (fd >= 0)
				close(fd);
			break;
		}
		close(fd);
		usleep(10000);
	}
	cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
	cr_expect_neq(access(cg, F_OK), 0, "the killed caller's cgroup %s is still there", cg);
	cr_expect_eq(access(live, F_OK), 0, "the cgroup of a caller that lives was removed");
	rmdir(live);
	rmdir(cg);
	sbt_out_free(&out);
}

/* ---- the scratch tmpfs ---------------------------------------------------- */

struct scratch_run {
	int rc;
	struct dks_error err;
	struct dks_sandbox_result res;
	int dirfd;
	char text[8192];
};

static void run_scratch(uint64_t size, const char *script, struct scratch_run *r)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	struct dks_sandbox *sb = NULL;
	cleanup_close int cap = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	cleanup_close int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	memset(r, 0, sizeof(*r));
	cr_assert(cap >= 0 && null >= 0);
	cr_assert_eq(dks_sandbox_new(&sb, &r->err), 0);
	cr_assert_eq(sbt_set_test_user(sb, &r->err), 0, "%s", r->err.msg);
	cr_assert_eq(dks_sandbox_add_scratch(sb, "/build", size, &r->err), 0, "%s", r->err.msg);
	dks_sandbox_set_cwd(sb, "/build", &r->err);
	dks_sandbox_set_timeout(sb, SBT_DEFAULT_TIMEOUT);
	dks_sandbox_set_stdio(sb, null, cap, cap);
	r->rc = dks_sandbox_run(sb, argv, &r->res, &r->err);
	r->dirfd = dks_sandbox_scratch(sb);
	dks_sandbox_free(sb);
	n = pread(cap, r->text, sizeof(r->text) - 1, 0);
	r->text[n > 0 ? n : 0] = 0;
}

static void expect_said(const struct scratch_run *r, const char *needle)
{
	cr_expect(strstr(r->text, needle), "no '%s' in:\n%s", needle, r->text);
}

/* Every way of holding blocks past the bound fails inside; the caller
 * reads what was left once the sandbox (and the tmpfs's mount) is gone. */
Test(bounds, the_scratch_holds_no_more_than_its_size_whatever_the_build_does, .timeout = 60)
{
	struct scratch_run r;
	char buf[64] = "";
	cleanup_close int fd = -1;

	if (geteuid() != 0) {
		cr_log_warn("a scratch tmpfs is root's: skipped");
		return;
	}
	run_scratch(8 << 20,
		    "stat -f -c 'type=%T' . ; "
		    "fallocate -n -l 16M kept 2>/dev/null && echo KEEP_SIZE-passed; rm -f kept; "
		    "fallocate -l 16M full 2>/dev/null && echo fallocate-passed; rm -f full; "
		    "truncate -s 1G sparse && echo sparse-ok; "
		    "head -c 16M /dev/zero | dd of=sparse conv=notrunc 2>/dev/null && echo fill-passed; "
		    "rm -f sparse; mkdir many && cd many && "
		    "i=0; while [ $i -lt 4000 ]; do printf '' 2>/dev/null > f$i || break; i=$((i+1)); done; echo files=$i; "
		    "cd .. && rm -rf many && echo result > out && echo done",
		    &r);
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	expect_said(&r, "type=tmpfs");
	expect_said(&r, "sparse-ok");
	expect_said(&r, "done");
	cr_expect(!strstr(r.text, "KEEP_SIZE-passed"), "fallocate -n passed the bound:\n%s", r.text);
	cr_expect(!strstr(r.text, "fallocate-passed"), "fallocate passed the bound:\n%s", r.text);
	cr_expect(!strstr(r.text, "fill-passed"), "a sparse file filled past the bound:\n%s", r.text);
	cr_expect(!strstr(r.text, "files=4000"), "4000 files in an 8 MiB scratch:\n%s", r.text);
	cr_assert_geq(r.dirfd, 0, "no scratch to read after the run");
	fd = openat(r.dirfd, "out", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	cr_assert_geq(fd, 0, "the build's output is not in the scratch: %s", strerror(errno));
	cr_expect_gt(read(fd, buf, sizeof(buf) - 1), 0);
	cr_expect_str_eq(buf, "result\n");
	close(r.dirfd);
}

/* ---- build uids ----------------------------------------------------------- */

static struct dks_sandbox *resolved(const char *user, struct dks_error *err)
{
	struct dks_sandbox *sb = NULL;

	cr_assert_eq(dks_sandbox_new(&sb, err), 0);
	if ((user && dks_sandbox_set_user(sb, user, err) < 0) ||
	    dks_sandbox_resolve_user(sb, err) < 0) {
		dks_sandbox_free(sb);
		return NULL;
	}
	return sb;
}

/* Concurrent sandboxes never share a uid; a freed one is taken again. */
Test(bounds, each_running_sandbox_has_a_build_uid_of_its_own)
{
	uid_t first = sbt_free_uids(3);
	cleanup_free char *spec = sbt_uid_range(first, 3);
	struct dks_error err = {0};
	struct dks_sandbox *sb[4] = {0};

	if (geteuid() != 0) {
		cr_log_warn("build uids are root's: skipped");
		return;
	}
	for (int i = 0; i < 3; i++) {
		sb[i] = resolved(spec, &err);
		cr_assert_not_null(sb[i], "%s", err.msg);
		cr_expect_eq(dks_sandbox_host_uid(sb[i]), first + (uid_t)i);
		cr_expect_eq(dks_sandbox_host_gid(sb[i]), first + (gid_t)i);
	}
	sb[3] = resolved(spec, &err);
	cr_expect_null(sb[3], "a 4th sandbox got a uid of a 3-uid range");
	cr_expect(strstr(err.msg, "every one is in use"), "%s", err.msg);
	dks_sandbox_free(sb[1]);
	sb[3] = resolved(spec, &err);
	cr_assert_not_null(sb[3], "%s", err.msg);
	cr_expect_eq(dks_sandbox_host_uid(sb[3]), first + 1);
	for (int i = 0; i < 4; i++)
		if (i != 1)
			dks_sandbox_free(sb[i]);
}

/* A uid some host process runs as is skipped: it could reach the build. */
Test(bounds, a_uid_a_host_process_has_is_never_taken, .timeout = 30)
{
	uid_t first = sbt_free_uids(2);
	cleanup_free char *spec = sbt_uid_range(first, 2);
	struct dks_error err = {0};
	struct dks_sandbox *sb;
	int go[2];
	pid_t pid;
	char c;

	if (geteuid() != 0) {
		cr_log_warn("build uids are root's: skipped");
		return;
	}
	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(go[0]);
		if (setresgid(first, first, first) < 0 || setresuid(first, first, first) < 0)
			_exit(1);
		(void)!write(go[1], "x", 1);
		pause();
		_exit(0);
	}
	close(go[1]);
	cr_assert_eq(read(go[0], &c, 1), 1, "the child could not become uid %u", (unsigned)first);
	sb = resolved(spec, &err);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(go[0]);
	cr_assert_not_null(sb, "%s", err.msg);
	cr_expect_eq(dks_sandbox_host_uid(sb), first + 1, "took uid %u, which a host process has",
		     (unsigned)dks_sandbox_host_uid(sb));
	dks_sandbox_free(sb);
}

Test(bounds, shared_or_host_uids_are_refused)
{
	struct dks_error err = {0};
	struct dks_sandbox *sb = NULL;
	struct passwd *pw = getpwuid(1) ? getpwuid(1) : getpwuid(2);
	cleanup_free char *with_user = NULL;

	cr_assert_eq(dks_sandbox_new(&sb, &err), 0);
	cr_expect_lt(dks_sandbox_set_user(sb, "nobody", &err), 0, "nobody was accepted");
	cr_expect(strstr(err.msg, "share"), "%s", err.msg);
	cr_expect_lt(dks_sandbox_set_user(sb, "65534", &err), 0, "uid 65534 was accepted");
	cr_expect_lt(dks_sandbox_set_user(sb, "65000-66000", &err), 0, "a range with nobody");
	cr_expect_lt(dks_sandbox_set_user(sb, "5-3", &err), 0, "a reversed range");
	cr_expect_lt(dks_sandbox_set_user(sb, "0-10", &err), 0, "a range with root");
	if (pw) {
		with_user = sbt_uid_range(pw->pw_uid, 1);
		cr_expect_lt(dks_sandbox_set_user(sb, with_user, &err), 0, "%s holds %s", with_user,
			     pw->pw_name);
		cr_expect(strstr(err.msg, pw->pw_name), "%s", err.msg);
	}
	dks_sandbox_free(sb);
}

/* A user without subordinate ids: a clear error, never a fallback. */
Test(bounds, no_build_uids_is_an_error_not_a_fallback)
{
	struct dks_error err = {0};
	struct dks_sandbox *sb = NULL;
	struct passwd *pw;
	char spec[300] = "";

	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_uid != 0 && !file_has("/etc/subuid", pw->pw_name)) {
			snprintf(spec, sizeof(spec), "subids:%s", pw->pw_name);
			break;
		}
	endpwent();
	cr_assert(spec[0], "every user has subordinate ids here");
	cr_assert_eq(dks_sandbox_new(&sb, &err), 0);
	cr_expect_lt(dks_sandbox_set_user(sb, spec, &err), 0, "%s was accepted", spec);
	cr_expect(strstr(err.msg, "no subordinate ids"), "%s", err.msg);
	dks_sandbox_free(sb);
}

/* Root's default: the dkms-sandbox user's subordinate ids (make deps and
 * make install give it some), or the error that says how to get them. */
Test(bounds, the_default_build_uids_are_the_dkms_sandbox_users_subids)
{
	struct dks_error err = {0};
	struct dks_sandbox *sb;
	char line[256];
	unsigned long first = 0, count = 0;
	FILE *f = fopen("/etc/subuid", "r");

	if (geteuid() != 0) {
		cr_log_warn("build uids are root's: skipped");
		return;
	}
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "dkms-sandbox:%lu:%lu", &first, &count) == 2)
			break;
	if (f)
		fclose(f);
	sb = resolved(NULL, &err);
	if (!getpwnam("dkms-sandbox") || !count) {
		cr_expect_null(sb, "a build uid without a dkms-sandbox user with subordinate ids");
		cr_expect(strstr(err.msg, "no build uids"), "%s", err.msg);
		return;
	}
	cr_assert_not_null(sb, "%s", err.msg);
	cr_expect(dks_sandbox_host_uid(sb) >= first && dks_sandbox_host_uid(sb) < first + count,
		  "uid %u is not one of dkms-sandbox's %lu+%lu", (unsigned)dks_sandbox_host_uid(sb),
		  first, count);
	dks_sandbox_free(sb);
}

/* ---- a host process of the old shared uid --------------------------------- */

/* The pid of a host process running as @uid whose command line starts with
 * @comm, waited for while @runner (the sandbox's caller) runs, 45 s at
 * most: how long a sandbox takes to start is no part of the test. 0 when
 * none shows up. */
static pid_t wait_for_process(uid_t uid, const char *comm, pid_t runner)
{
	for (int tries = 0; tries < 4500 && waitpid(runner, NULL, WNOHANG) == 0; tries++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		pid_t found = 0;

		while (d && !found && (e = readdir(d))) {
			char path[300], text[64] = "";
			struct stat st;
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
			if (e->d_name[0] < '1' || e->d_name[0] > '9' || stat(path, &st) < 0 ||
			    st.st_uid != uid || !(f = fopen(path, "r")))
				continue;
			if (fgets(text, sizeof(text), f) && strncmp(text, comm, strlen(comm)) == 0)
				found = atoi(e->d_name);
			fclose(f);
		}
		if (d)
			closedir(d);
		if (found)
			return found;
		usleep(10000);
	}
	return 0;
}

/* What a host service running as nobody (the build uid root's builds fell
 * back to) tries on a running build: read its environment, signal it,
 * enter its user namespace. Exit code: a bit per attempt that worked. */
static int attack_as_nobody(pid_t target)
{
	char path[64];
	int worked = 0, fd;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return 100;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)target);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[256];

		if (read(fd, buf, sizeof(buf)) > 0)
			worked |= 1;
		close(fd);
	}
	if (kill(target, 0) == 0)
		worked |= 2;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)target);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && setns(fd, CLONE_NEWUSER) == 0)
		worked |= 4;
	return worked;
}

Test(bounds, a_host_process_of_the_old_shared_uid_cannot_reach_a_build, .timeout = 60)
{
	char *argv[] = {"/bin/sleep", "50", NULL};
	struct dks_error err = {0};
	struct dks_sandbox_result res;
	struct dks_sandbox *sb = NULL;
	pid_t runner, target, attacker;
	int st = 0;

	if (geteuid() != 0) {
		cr_log_warn("build uids are root's: skipped");
		return;
	}
	cr_assert_eq(dks_sandbox_new(&sb, &err), 0);
	cr_assert_eq(dks_sandbox_resolve_user(sb, &err), 0, "%s", err.msg);
	cr_assert_neq(dks_sandbox_host_uid(sb), 65534, "the build runs as nobody");
	dks_sandbox_setenv(sb, "DKS_TEST_SECRET", "build-secret", &err);
	runner = fork();
	cr_assert_geq(runner, 0);
	if (runner == 0)
		_exit(dks_sandbox_run(sb, argv, &res, &err) == 0 ? 0 : 1);
	target = wait_for_process(dks_sandbox_host_uid(sb), "sleep", runner);
	cr_assert_gt(target, 0, "the build's command never showed up");
	attacker = fork();
	cr_assert_geq(attacker, 0);
	if (attacker == 0)
		_exit(attack_as_nobody(target));
	waitpid(attacker, &st, 0);
	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	dks_sandbox_free(sb);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 100, "the attacker could not become nobody");
	cr_expect_eq(WEXITSTATUS(st) & 1, 0, "nobody read the build's environment");
	cr_expect_eq(WEXITSTATUS(st) & 2, 0, "nobody could signal the build");
	cr_expect_eq(WEXITSTATUS(st) & 4, 0, "nobody entered the build's user namespace");
}
