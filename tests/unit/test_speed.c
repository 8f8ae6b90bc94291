// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "speed" (issue 11): jobs start longest first by the duration the
 * tree recorded for them, a damaged or hostile record orders nothing and
 * harms nothing, every form of MAKE line gets the build's jobserver, and
 * slots freed when no job waits are lent to the builds still running.
 * No timing is asserted: the makefiles below only finish when make runs
 * two of their steps at once, which only the jobserver can grant.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/tree.h"
#include "modtest.h"
#include "orchestrator/build.h"
#include "orchestrator/jobtime.h"
#include "sbtest.h"

TestSuite(speed, .fini = sbt_cleanup);

/* a and b each wait for the other (30 s at most): the build succeeds only
 * when make runs them at once. */
static const char pair_mk[] =
    "all: a b\n\techo x > hello.ko\n"
    "a b: prep\n"
    "\t@touch $@.started; for i in $$(seq 60); do [ -e $(if $(filter a,$@),b,a).started ] "
    "&& exit 0; sleep 0.5; done; echo \"$@ ran alone\"; exit 1\n"
    "prep:\n\tsleep $(PREP)\n"
    ".PHONY: all a b prep\n";

static void write_at(const char *root, const char *rel, const char *text)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	sbt_write_file(path, text, 0, 0, 0644);
}

/* A MAKE of each form dkms.conf files use, each building pair.mk. */
static const struct {
	const char *name, *make;
} forms[] = {
    {"plain", "make -f pair.mk PREP=0"},
    {"subshell", "(make -f pair.mk PREP=0; true)"},
    {"cd", "cd sub && make -f ../pair.mk PREP=0 && cp hello.ko .."},
    {"envfirst", "PREP=0 make -f pair.mk"},
    {"script", "./build.sh"},
    {"sequence", "true; make -f pair.mk PREP=0"},
};

/* Did the run's output say "M/1.0, ...: built (...)"? */
static bool built(const char *out, const char *m)
{
	char head[256];

	snprintf(head, sizeof(head), "%s/1.0, ", m);
	for (const char *p = out; (p = strstr(p, head)); p++) {
		const char *end = strchr(p, '\n'), *b = strstr(p, ": built (");

		if (b && (!end || b < end) && (p == out || p[-1] == '\n'))
			return true;
	}
	return false;
}

Test(speed, every_make_line_form_gets_the_jobserver, .timeout = 300)
{
	struct mt_tree t;
	char out[65536], conf[256], dir[1024], args[1024] = "";
	size_t n = sizeof(forms) / sizeof(forms[0]);

	mt_tree_make(&t);
	for (size_t i = 0; i < n; i++) {
		snprintf(conf, sizeof(conf), "MAKE[0]=\"%s\"", forms[i].make);
		mt_module(&t, forms[i].name, conf, "pair.mk", pair_mk);
		snprintf(dir, sizeof(dir), "src/%s-1.0/build.sh", forms[i].name);
		write_at(t.root, dir, "#!/bin/sh\nexec make -f pair.mk PREP=0\n");
		sbt_must("mkdir -p %s/src/%s-1.0/sub && chmod -R a+rX,a+x %s/src/%s-1.0", t.root,
			 forms[i].name, t.root, forms[i].name);
		snprintf(args + strlen(args), sizeof(args) - strlen(args), " %s/1.0",
			 forms[i].name);
	}
	/* -j 2n over n builds: a share of 2 each, make's slot and one token */
	cr_assert_eq(mt_dks(&t, 240, out, sizeof(out), "build%s -k %s -j %zu", args, t.kver, 2 * n),
		     0, "%s", out);
	for (size_t i = 0; i < n; i++)
		cr_expect(built(out, forms[i].name), "%s did not build:\n%s", forms[i].name, out);
	cr_expect_null(strstr(out, "jobserver unavailable"), "%s", out);
}

Test(speed, slots_freed_when_no_job_waits_are_lent_to_running_builds, .timeout = 300)
{
	struct mt_tree t;
	char out[65536];

	mt_tree_make(&t);
	/* with -j 2 and two jobs each starts with one slot and an empty
	 * jobserver; "quick" ends while "pair" prepares, and pair's a and b
	 * run at once only if quick's slot is lent to it */
	mt_module(&t, "quick", "MAKE[0]=\"echo x > hello.ko\"", "quick.c", "");
	mt_module(&t, "pair", "MAKE[0]=\"make -f pair.mk PREP=5\"", "pair.mk", pair_mk);
	cr_assert_eq(mt_dks(&t, 200, out, sizeof(out), "build quick/1.0 pair/1.0 -k %s -j 2",
			    t.kver),
		     0, "%s", out);
	cr_expect(built(out, "quick"), "%s", out);
	cr_expect(built(out, "pair"), "%s", out);
	cr_expect_null(strstr(out, "ran alone"), "%s", out);
}

/* The "building" lines' order of a -j 1 run. */
static void start_order(const char *out, char *order, size_t size)
{
	const char *p = out;

	order[0] = 0;
	while ((p = strstr(p, ": building"))) {
		const char *line = p;

		while (line > out && line[-1] != '\n')
			line--;
		snprintf(order + strlen(order), size - strlen(order), "%c", *line);
		p++;
	}
}

Test(speed, jobs_start_longest_first_by_their_recorded_duration, .timeout = 120)
{
	struct mt_tree t;
	char out[65536], order[16];
	const char *names[] = {"alpha", "beta", "gamma"}, *ms[] = {"100\n", "5000\n", "2000\n"};

	mt_tree_make(&t);
	for (int i = 0; i < 3; i++) {
		char rel[256];

		mt_module(&t, names[i], "MAKE[0]=\"echo x > hello.ko\"", "a.c", "");
		cr_assert_eq(mt_dks(&t, 60, out, sizeof(out), "add %s/1.0", names[i]), 0, "%s", out);
		snprintf(rel, sizeof(rel), "dkms/%s/1.0/" DKS_JOBTIME_FILE, names[i]);
		write_at(t.root, rel, ms[i]);
	}
	cr_assert_eq(mt_dks(&t, 100, out, sizeof(out), "build alpha/1.0 beta/1.0 gamma/1.0 -k %s -j 1",
			    t.kver),
		     0, "%s", out);
	start_order(out, order, sizeof(order));
	cr_expect_str_eq(order, "bga", "%s", out);
	/* each build replaced its record with what it measured: a number */
	for (int i = 0; i < 3; i++) {
		struct dks_tree tree;
		char dk[512], src[512], lib[512];

		snprintf(dk, sizeof(dk), "%s/dkms", t.root);
		snprintf(src, sizeof(src), "%s/src", t.root);
		snprintf(lib, sizeof(lib), "%s/lib", t.root);
		tree = (struct dks_tree){.dkms_tree = dk, .source_tree = src, .install_tree = lib};
		cr_expect_geq(dks_jobtime_read(&tree, names[i], "1.0"), 0);
	}
	sbt_sh(out, sizeof(out), "ls -A %s/dkms/*/1.0 | grep -c '%s-' || true", t.root,
	       DKS_JOBTIME_FILE);
	cr_expect_eq(atoi(out), 0, "a temp record was left: %s", out);
}

Test(speed, a_record_is_a_plain_decimal_of_at_most_a_week)
{
	cr_expect_eq(dks_jobtime_parse("1234\n", 5), 1234);
	cr_expect_eq(dks_jobtime_parse("0", 1), 0);
	cr_expect_eq(dks_jobtime_parse("604800000", 9), DKS_JOBTIME_MAX_MS);
	cr_expect_eq(dks_jobtime_parse("604800001", 9), -1);
	cr_expect_eq(dks_jobtime_parse("99999999999", 11), -1);
	cr_expect_eq(dks_jobtime_parse("-5", 2), -1);
	cr_expect_eq(dks_jobtime_parse("+5", 2), -1);
	cr_expect_eq(dks_jobtime_parse(" 5", 2), -1);
	cr_expect_eq(dks_jobtime_parse("5 ", 2), -1);
	cr_expect_eq(dks_jobtime_parse("5\n\n", 3), -1);
	cr_expect_eq(dks_jobtime_parse("0x10", 4), -1);
	cr_expect_eq(dks_jobtime_parse("1e9", 3), -1);
	cr_expect_eq(dks_jobtime_parse("5\0" "9", 3), -1);
	cr_expect_eq(dks_jobtime_parse("", 0), -1);
	cr_expect_eq(dks_jobtime_parse("\n", 1), -1);
}

/* Hostile records of m-N/1.0: each must read as unknown, so m-N is
 * ordered by its source's size (a few bytes: about 1 s). */
static const struct {
	const char *name, *make; /* shell run in <m>/1.0 to plant the record */
} hostile[] = {
    {"garbage", "printf 'soon' > .last-build-ms"},
    {"huge", "echo 999999999999 > .last-build-ms"},
    {"negative", "echo -70000 > .last-build-ms"},
    {"padded", "printf '%%4096s' 70000 > .last-build-ms"},
    {"symlink", "echo 70000 > ../../big && ln -s ../../big .last-build-ms"},
    {"fifo", "mkfifo .last-build-ms"},
    {"directory", "mkdir -p .last-build-ms/70000"},
    {"devzero", "ln -s /dev/zero .last-build-ms"},
};

Test(speed, a_damaged_or_hostile_record_orders_nothing, .timeout = 60)
{
	size_t n = sizeof(hostile) / sizeof(hostile[0]);
	struct dks_target target = {.kver = "k", .arch = "x86_64"};
	struct dks_job jobs[16];
	size_t order[16];
	long est[16];
	char *root = sbt_mkdtemp(NULL), dk[512], src[512];
	struct dks_tree tree = {.dkms_tree = dk, .source_tree = src, .install_tree = src};

	snprintf(dk, sizeof(dk), "%s/dkms", root);
	snprintf(src, sizeof(src), "%s/src", root);
	for (size_t i = 0; i < n; i++) {
		sbt_must("mkdir -p %s/%s/1.0 %s/%s-1.0 && echo x > %s/%s-1.0/a.c && cd %s/%s/1.0 && %s",
			 dk, hostile[i].name, src, hostile[i].name, src, hostile[i].name, dk,
			 hostile[i].name, hostile[i].make);
		jobs[i] = (struct dks_job){.module = hostile[i].name, .version = "1.0",
					   .target = &target};
	}
	/* one honest record, the longest, and one module with a big source */
	sbt_must("mkdir -p %s/honest/1.0 %s/honest-1.0 && echo 3000 > %s/honest/1.0/.last-build-ms", dk,
		 src, dk);
	sbt_must("mkdir -p %s/bigsrc/1.0 %s/bigsrc-1.0 && head -c 150000 /dev/zero > "
		 "%s/bigsrc-1.0/big.c", dk, src, src);
	jobs[n] = (struct dks_job){.module = "honest", .version = "1.0", .target = &target};
	jobs[n + 1] = (struct dks_job){.module = "bigsrc", .version = "1.0", .target = &target};
	dks_jobs_order(&tree, jobs, n + 2, order, est);
	cr_expect_eq(order[0], n, "the honest record first");
	cr_expect_eq(order[1], n + 1, "then the biggest source");
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(dks_jobtime_read(&tree, hostile[i].name, "1.0"), -1, "%s",
			     hostile[i].name);
		cr_expect_lt(est[i], 2000, "%s: %ld", hostile[i].name, est[i]);
		cr_expect_eq(order[i + 2], i, "%s keeps its place", hostile[i].name);
	}
	free(root);
}

Test(speed, a_new_version_is_expected_to_take_what_the_last_one_took)
{
	char *root = sbt_mkdtemp(NULL), dk[512], src[512];
	struct dks_tree tree = {.dkms_tree = dk, .source_tree = src, .install_tree = src};

	snprintf(dk, sizeof(dk), "%s/dkms", root);
	snprintf(src, sizeof(src), "%s/src", root);
	sbt_must("mkdir -p %s/m/1.0 %s/m/2.0 %s/m-2.0 && echo 42000 > %s/m/1.0/.last-build-ms", dk, dk,
		 src, dk);
	cr_expect_eq(dks_jobtime_estimate(&tree, "m", "2.0"), 42000);
	free(root);
}

/* ---- the mount table, read without libmount (common/mountinfo.c) ---- */

#include "dks/mountinfo.h"
#include <sys/mount.h>

Test(speed, mountinfo_lines_split_and_unescape_as_the_kernel_wrote_them)
{
	char line[] = "36 35 98:0 /mnt\\0401 /mnt/pa\\134ren\\011t rw,noatime master:1 shared:2 - "
		      "ext3 /dev/ro\\040ot rw,errors=continue";
	struct dks_mountinfo m;

	cr_assert_eq(dks_mountinfo_parse(line, &m), 0);
	cr_expect_str_eq(m.root, "/mnt 1");
	cr_expect_str_eq(m.target, "/mnt/pa\\ren\tt");
	cr_expect_str_eq(m.vfs_opts, "rw,noatime");
	cr_expect_str_eq(m.fstype, "ext3");
	cr_expect_str_eq(m.source, "/dev/ro ot");
	cr_expect_str_eq(m.fs_opts, "rw,errors=continue");
}

Test(speed, mountinfo_refuses_lines_without_their_fields)
{
	const char *bad[] = {"", "36 35 98:0 / /mnt", "36 35 98:0 / /mnt rw master:1",
			     "36 35 98:0 / /mnt rw - ext3", "36 35 98:0 / /mnt rw -"};
	struct dks_mountinfo m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s", bad[i]);
		cr_expect_eq(dks_mountinfo_parse(buf, &m), -1, "%s", bad[i]);
	}
}

Test(speed, mountinfo_keeps_a_backslash_that_is_no_octal_escape)
{
	char line[] = "1 2 0:1 / /a\\9b\\0 rw - tmpfs x\\47 rw";
	struct dks_mountinfo m;

	cr_assert_eq(dks_mountinfo_parse(line, &m), 0);
	cr_expect_str_eq(m.target, "/a\\9b\\0");
	cr_expect_str_eq(m.source, "x\\47");
	cr_expect_str_eq(m.fs_opts, "rw");
}

Test(speed, mount_options_give_the_flags_a_remount_must_repeat)
{
	cr_expect_eq(dks_mount_opts_flags("ro,nosuid,nodev,noexec,relatime"),
		     MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
	cr_expect_eq(dks_mount_opts_flags("rw,noatime,nodiratime"), MS_NOATIME | MS_NODIRATIME);
	cr_expect_eq(dks_mount_opts_flags("rw,strictatime"), MS_STRICTATIME);
	cr_expect_eq(dks_mount_opts_flags("rox,nosuidy,,x=ro"), 0);
	cr_expect_eq(dks_mount_opts_flags(""), 0);
}

static int count_root(const struct dks_mountinfo *m, void *arg)
{
	if (strcmp(m->target, "/") == 0)
		(*(int *)arg)++;
	return 0;
}

Test(speed, this_process_mount_table_has_a_root)
{
	int roots = 0;

	cr_assert_eq(dks_mountinfo_each("/proc/self/mountinfo", count_root, &roots), 0);
	cr_expect_geq(roots, 1);
	cr_expect_eq(dks_mountinfo_each("/nonexistent/mountinfo", count_root, &roots), -1);
}
