/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Leaks: what the host shares with a sandbox without meaning to (issue 15,
 * items 5 and 6). Each test plants its own secret on the host (a key in
 * its session keyring, a file under /usr/local) or reads a fact of the
 * host (its boot id, its command line), attacks from inside a real
 * sandbox with the probe (tests/helpers/probe.c), and checks that nothing
 * came through, under every profile: debug (seccomp in log mode)
 * included, and a profile file in log mode without Landlock.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/profile.h"
#include "sbtest.h"

TestSuite(leaks, .fini = sbt_cleanup);

#define OUTFMT	    "%s; output:\n%s"
#define OUTPUT(out) sbt_outcome(out), (out)->text

/* A profile file: seccomp in log mode, no Landlock. Nothing a profile can
 * say may open what these tests attack. */
static char *log_mode_profile(void)
{
	static const char yaml[] = "name: log-only\nseccomp:\n  mode: log\nlandlock: false\n";
	cleanup_free char *dir = sbt_mkdtemp(NULL);
	char *path = NULL;

	cr_assert(asprintf(&path, "%s/log-only.yaml", dir) > 0);
	sbt_write_file(path, yaml, 0, 0, 0644);
	return path;
}

/* Calls @fn for every embedded profile and a log-mode profile file. */
static void each_profile(void (*fn)(const char *profile, void *arg), void *arg)
{
	static const char *const names[] = {"default", "strict", "debug"};
	cleanup_free char *file = log_mode_profile();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fn(names[i], arg);
	fn(file, arg);
}

static char *random_hex(const char *prefix)
{
	uint64_t r = 0;
	char *s = NULL;

	cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
	cr_assert(asprintf(&s, "%s%016llx", prefix, (unsigned long long)r) > 0);
	return s;
}

/* Attempt @what failed with EPERM, and the sandbox reported @sys by name. */
static void assert_eperm(const struct sbt_out *out, const char *profile, const char *what,
			 const char *sys)
{
	int r = sbt_result(out, what);

	cr_assert_eq(r, EPERM, "[%s] \"%s\": expected EPERM, got %s %d: " OUTFMT, profile, what,
		     r == SBT_RESULT_OK ? "success" : "errno", r, OUTPUT(out));
	cr_assert(sbt_denied_has(out, sys), "[%s] %s was not reported as denied: " OUTFMT, profile,
		  sys, OUTPUT(out));
}

/* ---- item 5: the caller's session keyring ------------------------------ */

/* A session keyring of the test's own (each test is a process of its
 * own): its keys are the test's, nobody else's. Its serial. */
static long own_session_keyring(void)
{
	long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "dks-test-leaks");

	if (id < 0 && errno == ENOSYS)
		cr_skip_test("this kernel has no keys (CONFIG_KEYS): nothing to share");
	cr_assert_geq(id, 0, "join a session keyring: %s", strerror(errno));
	return id;
}

struct secret_key {
	long serial;
	char *desc;
	char *secret;
};

static void try_keys(const char *profile, void *arg)
{
	const struct secret_key *k = arg;
	struct sbt_opts o = {.profile = profile};
	cleanup_free char *serial = NULL;
	struct sbt_out out;

	cr_assert(asprintf(&serial, "%ld", k->serial) > 0);
	sbt_probe(&o, &out, "keys", serial, k->desc, NULL);
	cr_assert(!sbt_has(&out, k->secret), "[%s] the sandbox read the caller's key: " OUTFMT,
		  profile, OUTPUT(&out));
	assert_eperm(&out, profile, "keyctl read", "keyctl");
	assert_eperm(&out, profile, "keyctl search", "keyctl");
	assert_eperm(&out, profile, "keyctl describe session", "keyctl");
	assert_eperm(&out, profile, "add_key", "add_key");
	assert_eperm(&out, profile, "request_key", "request_key");
	sbt_out_free(&out);
}

/* The debug profile used to let keyctl through: it read root's keys. */
Test(leaks, sandbox_cannot_read_the_callers_session_keys, .timeout = 60)
{
	struct secret_key k = {0};

	own_session_keyring();
	k.desc = random_hex("dks-test-key-");
	k.secret = random_hex("dks-secret-");
	k.serial = syscall(SYS_add_key, "user", k.desc, k.secret, strlen(k.secret),
			   KEY_SPEC_SESSION_KEYRING);
	cr_assert_gt(k.serial, 0, "add_key: %s", strerror(errno));
	each_profile(try_keys, &k);
	syscall(SYS_keyctl, KEYCTL_REVOKE, k.serial);
	free(k.desc);
	free(k.secret);
}

/* The "usage" column of /proc/keys for key @id: references to it, among
 * them one per set of credentials (process) whose session keyring it is;
 * -1 when it is not listed. No assertion: a thread calls it. */
static int key_usage(long id)
{
	cleanup_fclose FILE *f = fopen("/proc/keys", "re");
	char line[512];
	unsigned long serial;
	int usage;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %*s %d", &serial, &usage) == 2 && (long)serial == id)
			return usage;
	return -1;
}

struct keyring_watch {
	const char *marker;
	long keyring;
	int baseline;
	_Atomic int usage; /* while the sandbox runs */
	_Atomic bool seen;
};

/* Once the command runs, wait (credentials are released after an RCU
 * grace period) until the keyring's references are back to the baseline,
 * at most 10 s; then end the command. The command is waited for 40 s: a
 * slow sandbox start (ASan, a loaded machine) is no part of the test. */
static void *watch_keyring(void *arg)
{
	struct keyring_watch *w = arg;
	pid_t pid = 0;

	for (int i = 0; i < 2000 && !(pid = sbt_find_cmdline(w->marker)); i++)
		usleep(20000);
	if (!pid)
		return NULL;
	w->seen = true;
	for (int i = 0; i < 500; i++) {
		w->usage = key_usage(w->keyring);
		if (w->usage == w->baseline)
			break;
		usleep(20000);
	}
	kill(pid, SIGKILL); /* ours: its command line has our marker */
	return NULL;
}

/* Seen from the host: no process of the sandbox holds the caller's
 * session keyring (it has one of its own). */
Test(leaks, sandbox_does_not_hold_the_callers_session_keyring, .timeout = 90)
{
	cleanup_free char *marker = random_hex("dks-marker-");
	struct keyring_watch w = {.marker = marker};
	struct sbt_opts o = {.timeout = 45};
	struct sbt_out out;
	pthread_t t;

	w.keyring = own_session_keyring();
	/* Threads share the test's credentials: no reference of their own. */
	cr_assert_eq(pthread_create(&t, NULL, watch_keyring, &w), 0);
	w.baseline = key_usage(w.keyring);
	cr_assert_gt(w.baseline, 0, "the test's keyring %lx is not in /proc/keys", w.keyring);
	sbt_probe(&o, &out, "sleeper", marker, NULL);
	pthread_join(t, NULL);
	cr_assert(w.seen, "the sandbox's command never ran: " OUTFMT, OUTPUT(&out));
	cr_assert_eq(w.usage, w.baseline,
		     "the caller's session keyring has %d references while the sandbox runs, "
		     "%d without it: the sandbox holds it",
		     w.usage, w.baseline);
	sbt_out_free(&out);
}

/* ---- the host-deny set ------------------------------------------------- */

static void try_host_deny(const char *profile, void *arg)
{
	static const char *const calls[][2] = {
	    {"userfaultfd", "userfaultfd"},
	    {"io_uring_setup", "io_uring_setup"},
	    {"name_to_handle_at", "name_to_handle_at"},
	    {"process_vm_readv", "process_vm_readv"},
	    {"perf_event_open", "perf_event_open"},
	    {"clock_adjtime", "clock_adjtime"},
	    {"unshare 0", "unshare"},
	    {"ptrace traceme", "ptrace"},
	};
	struct sbt_opts o = {.profile = profile};
	struct sbt_out out;

	(void)arg;
	sbt_probe(&o, &out, "hostdeny", NULL);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		assert_eperm(&out, profile, calls[i][0], calls[i][1]);
	sbt_out_free(&out);
}

/* These work without privilege when let through (on the host, at least
 * one must; io_uring and perf depend on sysctls), so only seccomp makes
 * them fail with EPERM, and it names each one: log mode used to let them
 * through. */
Test(leaks, host_deny_set_fails_with_eperm_even_in_log_mode, .timeout = 60)
{
	char *const host[] = {(char *)sbt_probe_path(), "hostdeny", NULL};

	cr_assert_eq(sbt_host_run(host), 0, "every one of the probe's calls fails on the host");
	each_profile(try_host_deny, NULL);
}

/* No profile may open the set: a profile that lists one is refused with
 * its file and line. */
Test(leaks, profile_listing_a_host_denied_syscall_is_refused_with_file_and_line)
{
	static const char *const names[] = {"keyctl",	     "add_key",	       "request_key",
					    "inotify_init1", "fanotify_init",  "mount",
					    "bpf",	     "io_uring_setup", "ptrace"};
	static const char *const lists[] = {"allow", "enosys"};

	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			struct dks_error err = {0};
			struct dks_profile *p = NULL;
			cleanup_free char *text = NULL;

			/* A name the list may hold, then the denied one on line 5. */
			cr_assert(asprintf(&text,
					   "name: t\nseccomp:\n  mode: log\n  %s: [%s,\n    %s]\n",
					   lists[l], l ? "clone3" : "read", names[i]) > 0);
			cr_expect_lt(dks_profile_parse(text, strlen(text), "t.yaml", &p, &err), 0,
				     "a profile with '%s' in %s was accepted", names[i], lists[l]);
			dks_profile_free(p);
			cr_expect(strstr(err.msg, "t.yaml:5:") && strstr(err.msg, names[i]) &&
				      strstr(err.msg, "host"),
				  "'%s' in %s: %s", names[i], lists[l], err.msg);
		}
	}
}

/* ---- item 6: /proc, /usr/local, inotify -------------------------------- */

/* /proc entries a build has no use for, as the sandbox must show them. */
static const char *const masked_proc[] = {
    "/proc/cmdline",
    "/proc/config.gz",
    "/proc/diskstats",
    "/proc/partitions",
    "/proc/swaps",
    "/proc/kallsyms",
    "/proc/modules",
    "/proc/keys",
    "/proc/key-users",
    "/proc/sched_debug",
    "/proc/timer_list",
    "/proc/kcore",
    "/proc/sysrq-trigger",
    "/proc/interrupts",
    "/proc/softirqs",
    "/proc/locks",
    "/proc/sys/kernel/random/boot_id",
};
#define N_MASKED (sizeof(masked_proc) / sizeof(masked_proc[0]))

/* The host's first line of @path (for the assertion that it is not seen). */
static char *host_first_line(const char *path)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	char line[256] = "";

	if (f && fgets(line, sizeof(line), f))
		line[strcspn(line, "\n")] = 0;
	return strdup(line);
}

static void try_proc(const char *profile, void *arg)
{
	struct sbt_opts o = {.profile = profile};
	cleanup_free char *base = strdup(sbt_probe_path());
	cleanup_free char *probe = NULL;
	const char *boot_id = arg;
	char *argv[N_MASKED + 3];
	struct sbt_out out;

	cr_assert(asprintf(&probe, "%s/%s", SBT_PROBE_DIR, basename(base)) > 0);
	argv[0] = probe;
	argv[1] = "slurp";
	for (size_t i = 0; i < N_MASKED; i++)
		argv[i + 2] = (char *)masked_proc[i];
	argv[N_MASKED + 2] = NULL;
	cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
	for (size_t i = 0; i < N_MASKED; i++) {
		char what[PATH_MAX];
		/* Where the kernel has it: empty; where it has not: not there. */
		int want = access(masked_proc[i], F_OK) == 0 ? 0 : ENOENT;

		snprintf(what, sizeof(what), "slurp %s", masked_proc[i]);
		cr_expect_eq(sbt_result(&out, what), want, "[%s] %s: expected %s: " OUTFMT, profile,
			     masked_proc[i], want ? "ENOENT" : "an empty file", OUTPUT(&out));
	}
	cr_assert(!sbt_has(&out, boot_id), "[%s] the host's boot id is visible: " OUTFMT, profile,
		  OUTPUT(&out));
	sbt_out_free(&out);
}

Test(leaks, proc_entries_of_the_host_read_empty, .timeout = 60)
{
	cleanup_free char *boot_id = host_first_line("/proc/sys/kernel/random/boot_id");

	cr_assert_gt(strlen(boot_id), 8, "no boot id on the host");
	each_profile(try_proc, boot_id);
}

/* /usr/local holds the site's configuration and local CA certificates:
 * the host's, not the toolchain's. The default PATH still finds it. */
Test(leaks, usr_local_of_the_host_is_not_visible, .timeout = 60)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *file = NULL;
	cleanup_free char *what = NULL;
	cleanup_free char *secret = random_hex("dks-secret-");
	struct sbt_opts o = {0};
	struct sbt_out out;
	char *argv[] = {"/bin/sh", "-c", "command -v gcc && command -v make && command -v ld",
			NULL};

	cr_assert_eq(access("/usr/local/share", W_OK), 0,
		     "/usr/local/share is not writable here: the test cannot plant its file");
	dir = strdup("/usr/local/share/dks-test-XXXXXX");
	cr_assert(dir && mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(dir);
	chmod(dir, 0755);
	cr_assert(asprintf(&file, "%s/site.conf", dir) > 0);
	sbt_write_file(file, secret, 0, 0, 0644);
	cr_assert(asprintf(&what, "read %s", file) > 0);
	sbt_probe(&o, &out, "read", file, NULL);
	sbt_assert_failed_with(&out, what, ENOENT);
	sbt_out_free(&out);
	sbt_probe(&o, &out, "listdir", "/usr/local", NULL);
	sbt_assert_denied(&out, 0, ENOENT);
	sbt_out_free(&out);
	cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
	cr_assert_eq(out.res.exit_status, 0, "the toolchain is not on the default PATH: " OUTFMT,
		     OUTPUT(&out));
	sbt_out_free(&out);
}

static void try_inotify(const char *profile, void *arg)
{
	struct sbt_opts o = {.profile = profile};
	struct sbt_out out;

	(void)arg;
	sbt_probe(&o, &out, "inotify", "/usr", NULL);
	sbt_assert_denied(&out, EPERM);
	assert_eperm(&out, profile, "inotify_init1", "inotify_init1");
	assert_eperm(&out, profile, "fanotify_init", "fanotify_init");
	sbt_out_free(&out);
}

/* A watch on the /usr bind would report the host's activity there. */
Test(leaks, inotify_and_fanotify_are_denied_in_every_profile, .timeout = 60)
{
	each_profile(try_inotify, NULL);
}

/* mountinfo shows an overlay's options: the image's layer must be named
 * by the sandbox's own path, not by where the image is on the host. A
 * normal user's sandbox opens the image itself (root's clones it). */
Test(leaks, mountinfo_names_no_host_path_of_a_toolchain_image, .timeout = 60)
{
	cleanup_free char *dir = sbt_mkdtemp(NULL);
	cleanup_free char *img = NULL;
	static char out[65536];
	int rc;

	cr_assert_eq(geteuid(), 0, "run the tests as root (make check): the test becomes nobody");
	cr_assert(asprintf(&img, "%s/image", dir) > 0);
	cr_assert_eq(chmod(dir, 0755), 0);
	/* The binary too: the checkout may be below a dir nobody cannot
	 * reach (/root). */
	rc = sbt_sh(out, sizeof(out),
		    "mkdir -p '%s/bin' && cp '%s' '%s/bin/probe' && cp '%s' '%s/dkms-sandbox' && "
		    "chmod -R a+rX '%s'",
		    img, sbt_probe_path(), img, getenv("DKS_BIN"), dir, dir);
	cr_assert_eq(rc, 0, "%s", out);
	rc = sbt_sh(out, sizeof(out),
		    "cd / && runuser -u nobody -- '%s/dkms-sandbox' sandbox run --toolchain '%s' -- "
		    "/bin/probe mountinfo",
		    dir, img);
	cr_assert_eq(rc, 0, "the sandbox did not run: %s", out);
	cr_assert(strstr(out, "lowerdir="), "no overlay root in:\n%s", out);
	cr_assert(!strstr(out, dir), "the image's host path %s is in mountinfo:\n%s", dir, out);
}
