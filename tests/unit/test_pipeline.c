// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DKMS verbs end to end, through the real binary ($DKS_BIN), on real
 * third-party modules from Debian's *-dkms packages (fetched at test time
 * into /tmp/dkms-sandbox-corpus, never committed), against the installed
 * Debian kernel headers. Every tree is a temporary directory: the install
 * tree only holds KVER/build links to the real headers.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest.h"

#define CORPUS "/tmp/dkms-sandbox-corpus"

TestSuite(pipeline, .fini = sbt_cleanup);

struct trees {
	char root[256];
	char opts[1024]; /* --dkmstree ... --sourcetree ... --installtree ... */
	char kver[256];  /* the newest installed kernel with headers */
	char kver2[256]; /* another one, or "" */
};

struct run {
	int status;
	char out[65536];
};

/* Temporary trees; the install tree links KVER/build to the real headers
 * of every installed kernel (make deps installs two). */
static void make_trees(struct trees *t)
{
	char *dir = sbt_mkdtemp(NULL);
	struct dirent *de;
	DIR *d;
	char *newest = sbt_installed_kernel();

	snprintf(t->kver, sizeof(t->kver), "%s", newest);
	free(newest);
	t->kver2[0] = 0;
	snprintf(t->root, sizeof(t->root), "%s", dir);
	free(dir);
	sbt_must("chmod 755 %s && mkdir -p %s/dkms %s/src %s/lib", t->root, t->root, t->root, t->root);
	d = opendir("/lib/modules");
	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		char build[512];

		snprintf(build, sizeof(build), "/lib/modules/%s/build/Makefile", de->d_name);
		if (de->d_name[0] == '.' || access(build, F_OK) != 0)
			continue;
		sbt_must("mkdir %s/lib/%s && ln -s \"$(readlink -f /lib/modules/%s/build)\" %s/lib/%s/build",
		   t->root, de->d_name, de->d_name, t->root, de->d_name);
		if (strcmp(de->d_name, t->kver) != 0)
			snprintf(t->kver2, sizeof(t->kver2), "%s", de->d_name);
	}
	closedir(d);
	snprintf(t->opts, sizeof(t->opts), "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/lib",
		 t->root, t->root, t->root);
}

static void dks(struct run *r, const struct trees *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void dks(struct run *r, const struct trees *t, const char *fmt, ...)
{
	char args[4096], cmd[8192];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s %s 2>&1", getenv("DKS_BIN"), args, t->opts);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(r->out, 1, sizeof(r->out) - 1, p);
	r->out[n] = 0;
	r->status = pclose(p);
	cr_assert(WIFEXITED(r->status), "%s", cmd);
	r->status = WEXITSTATUS(r->status);
}

/* Unpack a Debian *-dkms package and copy the source of @module into the
 * source tree: its version (whatever Debian has today, from the source
 * dir's name <module>-<version>) into @version. */
static void corpus(const struct trees *t, const char *pkg, const char *module, char *version,
		   size_t size)
{
	char cmd[1024], line[1024], *base;
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/tests/fetch-corpus.sh " CORPUS " %s",
		 getenv("DKS_SRCDIR"), pkg);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
		if (found || strncmp(base, module, strlen(module)) != 0 ||
		    base[strlen(module)] != '-')
			continue;
		found = true;
		snprintf(version, size, "%s", base + strlen(module) + 1);
		sbt_must("cp -a %s %s/src/ && chmod -R a+rX %s/src", line, t->root, t->root);
	}
	cr_assert_eq(pclose(p), 0, "%s failed", cmd);
	cr_assert(found, "%s: no source dir %s-<version>", pkg, module);
}

static void expect_ko_for(const struct trees *t, const char *kver, const char *m, const char *v,
			  const char *ko)
{
	char path[1024], cmd[2048], vermagic[512] = "";
	FILE *p;

	snprintf(path, sizeof(path), "%s/dkms/%s/%s/%s/x86_64/module/%s.ko", t->root, m, v, kver,
		 ko);
	cr_assert_eq(access(path, F_OK), 0, "%s is missing", path);
	snprintf(cmd, sizeof(cmd), "modinfo -F vermagic %s", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (!fgets(vermagic, sizeof(vermagic), p))
		vermagic[0] = 0;
	pclose(p);
	cr_expect(strncmp(vermagic, kver, strlen(kver)) == 0 && vermagic[strlen(kver)] == ' ',
		  "%s: vermagic '%s' does not name %s", path, vermagic, kver);
}

static void expect_ko(const struct trees *t, const char *m, const char *v, const char *ko)
{
	expect_ko_for(t, t->kver, m, v, ko);
}

Test(pipeline, builds_five_debian_modules_for_two_kernels_in_one_call, .timeout = 1200)
{
	struct trees t;
	struct run r;
	char line[1024], v4l[64], ddcci[64], tp[64], bb[64], wb[64];

	make_trees(&t);
	corpus(&t, "v4l2loopback-dkms", "v4l2loopback", v4l, sizeof(v4l));
	corpus(&t, "ddcci-dkms", "ddcci", ddcci, sizeof(ddcci));
	corpus(&t, "tp-smapi-dkms", "tp_smapi", tp, sizeof(tp));
	corpus(&t, "bbswitch-dkms", "bbswitch", bb, sizeof(bb));
	corpus(&t, "dm-writeboost-dkms", "dm-writeboost", wb, sizeof(wb));
	dks(&r, &t, "add v4l2loopback/%s", v4l);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(t.kver2[0], "one kernel's headers: make deps installs two");
	dks(&r, &t, "build v4l2loopback/%s ddcci/%s tp_smapi/%s bbswitch/%s dm-writeboost/%s "
		    "-k %s -k %s", v4l, ddcci, tp, bb, wb, t.kver, t.kver2);
	cr_assert_eq(r.status, 0, "%s", r.out);
	for (int i = 0; i < 2; i++) {
		const char *k = i ? t.kver2 : t.kver;

		expect_ko_for(&t, k, "v4l2loopback", v4l, "v4l2loopback");
		expect_ko_for(&t, k, "ddcci", ddcci, "ddcci");
		expect_ko_for(&t, k, "ddcci", ddcci, "ddcci-backlight");
		expect_ko_for(&t, k, "tp_smapi", tp, "tp_smapi");
		expect_ko_for(&t, k, "tp_smapi", tp, "thinkpad_ec");
		expect_ko_for(&t, k, "tp_smapi", tp, "hdaps");
		expect_ko_for(&t, k, "bbswitch", bb, "bbswitch");
		expect_ko_for(&t, k, "dm-writeboost", wb, "dm-writeboost");
	}
	dks(&r, &t, "status");
	cr_assert_eq(r.status, 0, "%s", r.out);
	snprintf(line, sizeof(line), "v4l2loopback/%s, %s, x86_64: built\n", v4l, t.kver);
	cr_expect(strstr(r.out, line) != NULL, "no '%s' in:\n%s", line, r.out);
	snprintf(line, sizeof(line), "ddcci/%s, %s, x86_64: built\n", ddcci, t.kver);
	cr_expect(strstr(r.out, line) != NULL, "no '%s' in:\n%s", line, r.out);
}

/* A module of our own in the source tree: tests/modules/hello with a
 * dkms.conf whose extra lines the test chooses. */
static void hello_module(const struct trees *t, const char *m, const char *v, const char *extra)
{
	char dir[512], conf[600];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/src/%s-%s", t->root, m, v);
	sbt_must("mkdir -p %s && cp %s/tests/modules/hello/* %s/ && chmod -R a+rX %s", dir,
	   getenv("DKS_SRCDIR"), dir, dir);
	snprintf(conf, sizeof(conf), "%s/dkms.conf", dir);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "PACKAGE_NAME=\"%s\"\nPACKAGE_VERSION=\"%s\"\nBUILT_MODULE_NAME[0]=\"hello\"\n"
		   "DEST_MODULE_LOCATION[0]=\"/updates/dkms\"\n%s\n", m, v, extra ? extra : "");
	fclose(f);
	sbt_must("chmod a+r %s", conf);
}

Test(pipeline, add_build_status_unbuild_remove, .timeout = 300)
{
	struct trees t;
	struct run r;
	char line[1024];

	make_trees(&t);
	hello_module(&t, "hello", "1.0", NULL);
	dks(&r, &t, "add hello/1.0");
	cr_assert_eq(r.status, 0, "%s", r.out);
	dks(&r, &t, "status");
	cr_expect_str_eq(r.out, "hello/1.0: added\n");
	dks(&r, &t, "add hello/1.0");
	cr_expect_eq(r.status, 3, "second add: %s", r.out);
	dks(&r, &t, "build hello/1.0 -k %s", t.kver);
	cr_assert_eq(r.status, 0, "%s", r.out);
	expect_ko(&t, "hello", "1.0", "hello");
	dks(&r, &t, "status");
	snprintf(line, sizeof(line), "hello/1.0, %s, x86_64: built\n", t.kver);
	cr_expect_str_eq(r.out, line);
	dks(&r, &t, "status --json");
	cr_expect(strstr(r.out, "\"state\"") && strstr(r.out, "built"), "%s", r.out);
	dks(&r, &t, "build hello/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "already built") != NULL, "%s", r.out);
	dks(&r, &t, "unbuild hello/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 0, "%s", r.out);
	dks(&r, &t, "status");
	cr_expect_str_eq(r.out, "hello/1.0: added\n");
	dks(&r, &t, "remove hello/1.0 --all");
	cr_expect_eq(r.status, 0, "%s", r.out);
	dks(&r, &t, "status");
	cr_expect_str_eq(r.out, "");
}

Test(pipeline, add_without_source_is_exit_2)
{
	struct trees t;
	struct run r;

	make_trees(&t);
	dks(&r, &t, "add nosuch/1.0");
	cr_expect_eq(r.status, 2, "%s", r.out);
	cr_expect(strstr(r.out, "nosuch") != NULL, "%s", r.out);
}

Test(pipeline, failed_build_is_exit_10_with_log_tail_and_path, .timeout = 300)
{
	struct trees t;
	struct run r;
	char log[1024];

	make_trees(&t);
	hello_module(&t, "broken", "1.0", NULL);
	sbt_must("echo 'this is not C;' >> %s/src/broken-1.0/hello.c", t.root);
	dks(&r, &t, "build broken/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 10, "%s", r.out);
	snprintf(log, sizeof(log), "%s/dkms/broken/1.0/%s/x86_64/log/make.log", t.root, t.kver);
	cr_expect_eq(access(log, F_OK), 0, "no log at %s", log);
	cr_expect(strstr(r.out, log) != NULL, "the log's path is not printed:\n%s", r.out);
	cr_expect(strstr(r.out, "error") != NULL, "no compiler error shown:\n%s", r.out);
	dks(&r, &t, "status");
	cr_expect(strstr(r.out, "built") == NULL, "a failed build is not built:\n%s", r.out);
}

Test(pipeline, build_exclusive_kernel_is_exit_77_one_line, .timeout = 120)
{
	struct trees t;
	struct run r;

	make_trees(&t);
	hello_module(&t, "excl", "1.0", "BUILD_EXCLUSIVE_KERNEL=\"^2\\.6\\.\"");
	dks(&r, &t, "build excl/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 77, "%s", r.out);
	cr_expect(strstr(r.out, "BUILD_EXCLUSIVE_KERNEL") != NULL, "%s", r.out);
}

/* The build dir is the attacker's: a .ko replaced by a link to a secret
 * must never be read, and nothing is committed. */
Test(pipeline, planted_symlink_and_hardlink_are_not_collected, .timeout = 300)
{
	struct trees t;
	struct run r;
	char ko[1024];

	make_trees(&t);
	hello_module(&t, "evil", "1.0",
		     "MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/evil/1.0/build modules"
		     " && rm hello.ko && ln -s /etc/shadow hello.ko\"");
	dks(&r, &t, "build evil/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 7, "%s", r.out);
	snprintf(ko, sizeof(ko), "%s/dkms/evil/1.0/%s/x86_64/module/hello.ko", t.root, t.kver);
	cr_expect_neq(access(ko, F_OK), 0, "a module was committed");
	hello_module(&t, "evil2", "1.0",
		     "MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/evil2/1.0/build modules"
		     " && ln hello.ko hello-copy.ko\"");
	dks(&r, &t, "build evil2/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 7, "a .ko with two links was collected: %s", r.out);
}

/* A build writes in a bounded scratch, never on the host's disk: blocks
 * kept past EOF (FALLOC_FL_KEEP_SIZE, which RLIMIT_FSIZE never sees),
 * plain fallocate and many files all stop at build_size; the module is
 * still built and committed. */
Test(pipeline, a_build_cannot_take_the_hosts_disk, .timeout = 300)
{
	struct trees t;
	struct run r;
	char prof[600], ko[1024];
	FILE *f;

	make_trees(&t);
	snprintf(prof, sizeof(prof), "%s/small.yaml", t.root);
	f = fopen(prof, "w");
	cr_assert_not_null(f);
	fputs("limits:\n  build_size: 64M\n", f);
	fclose(f);
	hello_module(&t, "filler", "1.0",
		     "MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/filler/1.0/build modules"
		     " && { : > kept; fallocate -n -l 256M kept && echo KEPT-256M; rm -f kept;"
		     " fallocate -l 256M big && echo BIG-256M; rm -f big; true; }\"");
	dks(&r, &t, "build filler/1.0 -k %s --profile %s", t.kver, prof);
	cr_expect_eq(r.status, 0, "%s", r.out);
	snprintf(ko, sizeof(ko), "%s/dkms/filler/1.0/%s/x86_64/log/make.log", t.root, t.kver);
	sbt_must("! grep -q '^KEPT-256M$\\|^BIG-256M$' %s || { cat %s; false; }", ko, ko);
	snprintf(ko, sizeof(ko), "%s/dkms/filler/1.0/%s/x86_64/module/hello.ko", t.root, t.kver);
	cr_expect_eq(access(ko, F_OK), 0, "the module was not committed:\n%s", r.out);
	sbt_must("! ls -d %s/dkms/filler/1.0/.build-* 2>/dev/null", t.root);
}

/* dkms.conf is shell: evaluated only inside the sandbox. */
Test(pipeline, hostile_dkms_conf_is_contained, .timeout = 120)
{
	struct trees t;
	struct run r;
	char marker[600];

	make_trees(&t);
	snprintf(marker, sizeof(marker), "%s/pwned", t.root);
	hello_module(&t, "hostile", "1.0", NULL);
	sbt_must("chmod 777 %s && printf 'touch %s; echo x > /tmp/pwned-dks-test; cat /etc/shadow\\n' "
	   ">> %s/src/hostile-1.0/dkms.conf", t.root, marker, t.root);
	dks(&r, &t, "add hostile/1.0");
	cr_expect_eq(access(marker, F_OK), -1, "the dkms.conf wrote %s on the host", marker);
	cr_expect(strstr(r.out, "root:") == NULL, "/etc/shadow leaked:\n%s", r.out);
	unlink("/tmp/pwned-dks-test"); /* in case it ever was */
	hello_module(&t, "looping", "1.0", "while :; do :; done");
	dks(&r, &t, "add looping/1.0");
	cr_expect_eq(r.status, 8, "%s", r.out);
	cr_expect(strstr(r.out, "timed out") != NULL, "%s", r.out);
}

/* A second kernel: Debian 12's 6.12 headers, unpacked (never installed)
 * by tests/fetch-kernel.sh; its install-tree entry links to them. */
static void second_kernel(const struct trees *t, char *kver, size_t size)
{
	char cmd[1024], root[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/tests/fetch-kernel.sh /var/tmp/dkms-sandbox-kernels 6.12",
		 getenv("DKS_SRCDIR"));
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%255s %1023s", kver, root), 2, "fetch-kernel.sh printed nothing");
	pclose(p);
	(void)size;
	sbt_must("mkdir -p %s/lib/%s && ln -s %s/usr/src/linux-headers-%s %s/lib/%s/build && chmod -R a+rX %s",
	   t->root, kver, root, kver, t->root, kver, root);
}

/* bbswitch builds on the installed kernel and on the unpacked newer series
 * alike (facts: most of the corpus predates 6.12's API and fails there, as
 * with dkms). */
Test(pipeline, builds_against_unpacked_6_12_headers, .timeout = 900)
{
	struct trees t;
	struct run r;
	char k2[256], bb[64];

	make_trees(&t);
	second_kernel(&t, k2, sizeof(k2));
	corpus(&t, "bbswitch-dkms", "bbswitch", bb, sizeof(bb));
	dks(&r, &t, "build bbswitch/%s -k %s -k %s", bb, t.kver, k2);
	cr_assert_eq(r.status, 0, "%s", r.out);
	expect_ko_for(&t, t.kver, "bbswitch", bb, "bbswitch");
	expect_ko_for(&t, k2, "bbswitch", bb, "bbswitch");
	dks(&r, &t, "build bbswitch/%s --all --force", bb);
	cr_expect_eq(r.status, 0, "--all: %s", r.out);
	cr_expect(strstr(r.out, k2) && strstr(r.out, t.kver), "--all did not build both:\n%s", r.out);
}

/* The declarative front end: add takes a recipe, fetches its source into
 * the source tree, and the build works from it like from a dkms.conf. */
Test(pipeline, recipe_add_and_build, .timeout = 300)
{
	struct trees t;
	struct run r;

	make_trees(&t);
	dks(&r, &t, "add %s/recipes/hello.yaml", getenv("DKS_SRCDIR"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	dks(&r, &t, "build hello/1.0 -k %s", t.kver);
	cr_assert_eq(r.status, 0, "%s", r.out);
	expect_ko(&t, "hello", "1.0", "hello");
}

/* Modules whose make runs 6 parallel 1 s steps, each printing when it
 * starts and ends (into its job's make.log): built together with -j 2,
 * at most 2 steps may ever run at once across all jobs (one jobserver),
 * and more than one must (the jobs do run in parallel). 1 s, not less:
 * two jobs' make phases must overlap however unevenly their sandboxes
 * start on a slow machine. */
static void parallel_module(const struct trees *t, const char *m)
{
	char mk[600];
	FILE *f;

	hello_module(t, m, "1.0", "MAKE[0]=\"make -f par.mk\"\nSTRIP[0]=\"no\"");
	snprintf(mk, sizeof(mk), "%s/src/%s-1.0/par.mk", t->root, m);
	f = fopen(mk, "w");
	cr_assert_not_null(f);
	fputs("T := a b c d e f\nall: $(T)\n\techo x > hello.ko\n"
	      "$(T):\n\t@echo \"start $$(date +%s%N)\"; sleep 1; echo \"end $$(date +%s%N)\"\n"
	      ".PHONY: all $(T)\n", f);
	fclose(f);
	sbt_must("chmod a+r %s", mk);
}

static int max_overlap(const struct trees *t)
{
	char cmd[1024];
	FILE *p;
	long long ts;
	char kind[16];
	int now = 0, max = 0;

	snprintf(cmd, sizeof(cmd), "cat %s/dkms/par*/1.0/*/*/log/make.log | grep -E '^(start|end) ' "
		 "| awk '{print $2, $1}' | sort -n", t->root);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fscanf(p, "%lld %15s", &ts, kind) == 2) {
		now += strcmp(kind, "start") == 0 ? 1 : -1;
		if (now > max)
			max = now;
	}
	pclose(p);
	return max;
}

Test(pipeline, one_jobserver_bounds_all_jobs, .timeout = 300)
{
	struct trees t;
	struct run r;
	int max;

	make_trees(&t);
	parallel_module(&t, "par1");
	parallel_module(&t, "par2");
	parallel_module(&t, "par3");
	dks(&r, &t, "build par1/1.0 par2/1.0 par3/1.0 -k %s -j 2", t.kver);
	cr_assert_eq(r.status, 0, "%s", r.out);
	max = max_overlap(&t);
	cr_expect_leq(max, 2, "%d make steps ran at once with -j 2", max);
	cr_expect_geq(max, 2, "the jobs did not run in parallel (at most %d step at once)", max);
}

/* status reads the tree only: no dkms.conf is evaluated, no process is
 * started (strace counts the binary's own execve and nothing else). */
Test(pipeline, status_starts_no_process, .timeout = 120)
{
	struct trees t;
	struct run r;
	char cmd[2048], trace[600];
	FILE *p;
	int execs = 0, forks = 0;
	char line[1024];

	make_trees(&t);
	hello_module(&t, "quiet", "1.0", "touch /tmp/status-ran-dkms-conf");
	dks(&r, &t, "add quiet/1.0");
	cr_assert_eq(r.status, 0, "%s", r.out);
	snprintf(trace, sizeof(trace), "%s/strace.out", t.root);
	/* LeakSanitizer cannot run under ptrace (the check-asan build). */
	snprintf(cmd, sizeof(cmd), "ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o %s %s status %s",
		 trace, getenv("DKS_BIN"), t.opts);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	p = fopen(trace, "r");
	cr_assert_not_null(p);
	/* The syscall's name after strace's pid, never a path in the line
	 * (a checkout in /root/dks-clone has "clone" in every path). */
	while (fgets(line, sizeof(line), p)) {
		const char *call = line + strspn(line, "0123456789 ");

		execs += strncmp(call, "execve(", 7) == 0;
		forks += strncmp(call, "clone(", 6) == 0 || strncmp(call, "clone3(", 7) == 0 ||
			 strncmp(call, "fork(", 5) == 0 || strncmp(call, "vfork(", 6) == 0;
	}
	fclose(p);
	cr_expect_eq(execs, 1, "status ran %d programs", execs);
	cr_expect_eq(forks, 0, "status started %d processes", forks);
}

/* add SOURCE_DIR (or its dkms.conf), like dkms: the source is copied into
 * the source tree under the name its dkms.conf declares. */
Test(pipeline, add_copies_a_source_dir_into_the_source_tree, .timeout = 120)
{
	struct trees t;
	struct run r;
	char copied[600];

	make_trees(&t);
	hello_module(&t, "elsewhere", "2.0", NULL);
	sbt_must("mv %s/src/elsewhere-2.0 %s/outside", t.root, t.root);
	dks(&r, &t, "add %s/outside/dkms.conf", t.root);
	cr_assert_eq(r.status, 0, "%s", r.out);
	snprintf(copied, sizeof(copied), "%s/src/elsewhere-2.0/hello.c", t.root);
	cr_expect_eq(access(copied, F_OK), 0, "the source was not copied to %s", copied);
	dks(&r, &t, "status");
	cr_expect_str_eq(r.out, "elsewhere/2.0: added\n");
	dks(&r, &t, "add %s/outside", t.root);
	cr_expect_eq(r.status, 3, "added twice: %s", r.out);
}

/* recipes/ixgbevf.yaml: the project cannot download Intel's tarball, so a
 * user unpacks it into the source tree; add then accepts the recipe, and
 * its tarball (checksum unpinned) is never trusted. */
Test(pipeline, ixgbevf_recipe_is_accepted_with_its_source_in_the_tree, .timeout = 120)
{
	struct trees t;
	struct run r;
	char placed[600];

	make_trees(&t);
	sbt_must("mkdir -p %s/src/ixgbevf-3.2.2/src && echo '/* stand-in */' > "
	   "%s/src/ixgbevf-3.2.2/src/ixgbevf_main.c && chmod -R a+rX %s/src", t.root, t.root, t.root);
	dks(&r, &t, "add %s/recipes/ixgbevf.yaml", getenv("DKS_SRCDIR"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	dks(&r, &t, "status");
	cr_expect_str_eq(r.out, "ixgbevf/3.2.2: added\n");
	snprintf(placed, sizeof(placed), "%s/src/ixgbevf-3.2.2/dkms-sandbox.yaml", t.root);
	cr_expect_eq(access(placed, F_OK), 0, "the recipe was not placed in the source");
}

Test(pipeline, ixgbevf_recipe_without_source_refuses_the_unpinned_tarball, .timeout = 60)
{
	struct trees t;
	struct run r;

	make_trees(&t);
	dks(&r, &t, "add %s/recipes/ixgbevf.yaml", getenv("DKS_SRCDIR"));
	cr_expect_neq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "ixgbevf") != NULL, "%s", r.out);
	dks(&r, &t, "status");
	cr_expect_str_eq(r.out, "");
}

/* BUILD_DEPENDS: a module that needs another one installed for the kernel
 * exits 13 until it is (dkms's code and message); --force builds it all
 * the same, with dkms's warning. A built dependency is not enough (dkms
 * 3.4 asks for an installed one; test_dkmsconfcases.c installs it). */
Test(pipeline, build_depends_is_exit_13_unless_forced, .timeout = 300)
{
	struct trees t;
	struct run r;

	make_trees(&t);
	hello_module(&t, "base", "1.0", NULL);
	hello_module(&t, "child", "1.0", "BUILD_DEPENDS[0]=\"base\"");
	dks(&r, &t, "build child/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 13, "%s", r.out);
	cr_expect(strstr(r.out, "due to missing BUILD_DEPENDS: base.") != NULL, "%s", r.out);
	dks(&r, &t, "build base/1.0 -k %s", t.kver);
	cr_assert_eq(r.status, 0, "%s", r.out);
	dks(&r, &t, "build child/1.0 -k %s", t.kver);
	cr_expect_eq(r.status, 13, "built, not installed: %s", r.out);
	dks(&r, &t, "build child/1.0 -k %s --force", t.kver);
	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "despite of missing BUILD_DEPENDS: base.") != NULL, "%s", r.out);
}

/* PATCH[] from patches/ and PRE_BUILD run in the sandbox before make: the
 * patched source and the script's output end up in the module. */
Test(pipeline, patches_and_pre_build_shape_the_module, .timeout = 300)
{
	struct trees t;
	struct run r;
	char cmd[2048], out[256] = "";
	FILE *p;

	make_trees(&t);
	hello_module(&t, "patched", "1.0",
		     "PATCH[0]=\"desc.patch\"\nPRE_BUILD=\"pre.sh\"");
	sbt_must("cd %s/src/patched-1.0 && mkdir patches && cp hello.c hello.c.orig && "
	   "sed -i 's/^MODULE_LICENSE/MODULE_DESCRIPTION(\"patched by dkms\");\\nMODULE_LICENSE/' hello.c && "
	   "(diff -u hello.c.orig hello.c | sed 's|^--- hello.c.orig|--- a/hello.c|; s|^+++ hello.c|+++ b/hello.c|' "
	   "> patches/desc.patch; true) && mv hello.c.orig hello.c && "
	   "printf '#!/bin/sh\\necho \"MODULE_INFO(prebuild, \\\\\"ran\\\\\");\" >> hello.c\\n' > pre.sh && "
	   "chmod 755 pre.sh && chmod -R a+rX .", t.root);
	dks(&r, &t, "build patched/1.0 -k %s", t.kver);
	cr_assert_eq(r.status, 0, "%s", r.out);
	snprintf(cmd, sizeof(cmd), "modinfo -F description %s/dkms/patched/1.0/%s/x86_64/module/hello.ko; "
		 "modinfo -F prebuild %s/dkms/patched/1.0/%s/x86_64/module/hello.ko", t.root, t.kver,
		 t.root, t.kver);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	out[fread(out, 1, sizeof(out) - 1, p)] = 0;
	pclose(p);
	cr_expect(strstr(out, "patched by dkms") != NULL, "the patch was not applied: %s", out);
	cr_expect(strstr(out, "ran") != NULL, "PRE_BUILD did not run: %s", out);
}
