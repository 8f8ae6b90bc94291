/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for tests that run things in a real sandbox: the probe
 * (tests/helpers/probe.c, path in $DKS_PROBE) is bound read-only at
 * /probe and run with its stdout and stderr captured, together with the
 * sandbox's own messages (denied syscalls), into one text.
 *
 * The probe prints one result line per attempt:
 *     probe: <what>: ok [(<detail>)]
 *     probe: <what>: failed: <strerror> (errno N)
 * and exits 0 when an attempt succeeded (the sandbox is broken), 1 when
 * every attempt failed.
 */
#ifndef DKS_SBTEST_H
#define DKS_SBTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dks/error.h"
#include "dks/profile.h"
#include "dks/sandbox.h"

#define SBT_MAX_BINDS 8
#define SBT_DEFAULT_TIMEOUT 20 /* seconds: no test may leave a sandbox behind */
#define SBT_PROBE_DIR "/probe" /* where the probe's directory is bound */

struct sbt_opts {
	const char *profile; /* NULL: "default" */
	const char *user;    /* NULL: the library's default build user */
	const char *kernel;  /* dks_sandbox_set_kernel(kver, NULL), or NULL */
	const char *ro[SBT_MAX_BINDS]; /* host paths bound read-only, same path */
	const char *rw[SBT_MAX_BINDS]; /* host paths bound writable, same path */
	const char *cwd;     /* NULL: the library's default */
	unsigned timeout;    /* 0: SBT_DEFAULT_TIMEOUT */
	int in_fd;           /* stdin of the command; 0: /dev/null */
};

struct sbt_out {
	int rc; /* dks_sandbox_run()'s return (or a setup step's) */
	struct dks_error err;
	struct dks_sandbox_result res;
	uid_t host_uid; /* dks_sandbox_host_uid() of the sandbox that ran */
	char *text;     /* stdout + stderr + sandbox messages, NUL-terminated */
	size_t len;
};

/* Results of sbt_result() that are not an errno. */
#define SBT_RESULT_OK (-1)      /* the attempt succeeded */
#define SBT_RESULT_MISSING (-2) /* no result line for it */

/* $DKS_PROBE (asserts it is set and absolute). */
const char *sbt_probe_path(void);

/* Configure a sandbox from @o, run @argv (argv[0] as the sandbox sees
 * it), capture its output. Never asserts (usable in forked children);
 * returns out->rc. Free with sbt_out_free(). */
int sbt_run(const struct sbt_opts *o, char *const argv[], struct sbt_out *out);

/* Run "/probe/probe ARGS..." (NULL-terminated) and assert the sandbox
 * itself worked (rc == 0). */
void sbt_probe(const struct sbt_opts *o, struct sbt_out *out, ...)
	__attribute__((sentinel));

void sbt_out_free(struct sbt_out *out);

/* Does the captured text contain @needle? */
bool sbt_has(const struct sbt_out *out, const char *needle);
/* Does a line that the probe did not print (a sandbox message) contain it? */
bool sbt_sandbox_said(const struct sbt_out *out, const char *needle);
/* Is @name among result.denied? */
bool sbt_denied_has(const struct sbt_out *out, const char *name);
/* The probe's result for attempt @what: SBT_RESULT_OK, SBT_RESULT_MISSING,
 * or the errno it failed with (0: failed without an errno). */
int sbt_result(const struct sbt_out *out, const char *what);
/* Value after "@key" at the start of a line ("uid=" -> "1000"), malloc'd. */
char *sbt_value(const struct sbt_out *out, const char *key);
/* One-line description of the outcome, for assertion messages. */
const char *sbt_outcome(const struct sbt_out *out);

/* The probe exited 1 and every result line failed with one of @errnos
 * (terminated by -1). */
void sbt_assert_denied_(const struct sbt_out *out, const int *errnos);
#define sbt_assert_denied(out, ...) \
	sbt_assert_denied_((out), (const int[]){ __VA_ARGS__, -1 })
/* Attempt @what failed with exactly @errnum. */
void sbt_assert_failed_with(const struct sbt_out *out, const char *what,
			    int errnum);
/* The probe exited 0 and attempt @what (NULL: any) succeeded. */
void sbt_assert_ok(const struct sbt_out *out, const char *what);

/* The host uid/gid a sandbox for @user (NULL: default) runs as. */
void sbt_host_ids(const char *user, uid_t *uid, gid_t *gid);
/* The tests' fixed build uid (root: no host user's; others: their own),
 * and setting it on a sandbox (root only; a no-op for others). */
uid_t sbt_build_uid(void);
/* @n consecutive uids that no host user or group has, from a random
 * start: this test's own (tests run in parallel); "FIRST-LAST" for them. */
uid_t sbt_free_uids(unsigned n);
char *sbt_uid_range(uid_t first, unsigned n);
int sbt_set_test_user(struct dks_sandbox *sb, struct dks_error *err);
/* mkdtemp under /tmp, owned by the build uid of @user, removed by
 * sbt_cleanup. malloc'd. */
char *sbt_mkdtemp(const char *user);
/* Run a shell command on the host (printf-style); assert that it exits 0. */
void sbt_must(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Remove a tree (never following links). */
void sbt_rmtree(const char *path);
/* Write @text to @path, owned by @uid:@gid, mode @mode. */
void sbt_write_file(const char *path, const char *text, uid_t uid, gid_t gid,
		    mode_t mode);
/* Any file under @dir with S_ISUID or S_ISGID? Its path (malloc'd) or NULL. */
char *sbt_find_setid(const char *dir);

/* The newest kernel in /lib/modules with headers (asserts there is one). */
char *sbt_installed_kernel(void);
/* The limits of profile @name. */
struct dks_limits sbt_profile_limits(const char *name);

/* Listeners in the test process: 127.0.0.1 on an ephemeral port, and an
 * abstract unix socket with a random name (@name gets it, without '@'). */
int sbt_tcp_listener(uint16_t *port);
int sbt_abstract_listener(char *name, size_t size);
/* Is a connection waiting on listener @fd? */
bool sbt_listener_has_client(int fd);

/*
 * Cleanup that survives a failed assertion: Criterion leaves the test
 * function at the first failure, so temporary dirs and child processes
 * are registered here and removed by sbt_cleanup, the suites' .fini. Each
 * test runs in a process of its own, so the list is per test.
 */
void sbt_defer_rmtree(const char *path);
void sbt_defer_kill(pid_t pid);
void sbt_cleanup(void);

/* A child of the test that sleeps until killed (dies with the test). */
pid_t sbt_spawn_sleeper(void);
bool sbt_is_alive(pid_t pid);
void sbt_kill_and_reap(pid_t pid);
/* Run a shell command on the host, stderr into stdout, its output (cut at
 * @size - 1 bytes) into @out: its exit code (128 when it was killed). */
int sbt_sh(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sbt_vsh(char *out, size_t size, const char *fmt, va_list ap);
/* Run @argv on the host, unsandboxed, output discarded: its wait status. */
int sbt_host_run(char *const argv[]);
/* A host process whose /proc/PID/cmdline contains @marker, or 0. */
pid_t sbt_find_cmdline(const char *marker);

/*
 * Facts of this machine, discovered at test time from its own files and
 * never through the code under test: a test never types in a kernel
 * release, a compiler version or a package version of the machine (Debian
 * publishes new ones every few weeks).
 */
/* Every kernel in /lib/modules with headers, oldest first (strverscmp),
 * NULL-terminated (asserts there is one); free with sbt_strv_free. */
char **sbt_installed_kernels(size_t *n);
void sbt_strv_free(char **v);
/* Where /lib/modules/@kver/build leads (realpath), malloc'd. */
char *sbt_kernel_headers(const char *kver);
/* @sym's value in the kernel's .config (else include/config/auto.conf),
 * quotes removed; NULL when it is not set. malloc'd. */
char *sbt_kernel_config(const char *kver, const char *sym);
/* Is @sym y or m? */
bool sbt_kernel_config_set(const char *kver, const char *sym);
/* UTS_RELEASE of include/generated/utsrelease.h, malloc'd. */
char *sbt_kernel_release(const char *kver);
/* The ELF machine of the kernel's architecture (EM_X86_64 ...). */
unsigned short sbt_kernel_machine(const char *kver);
/* The vermagic its modules carry, from utsrelease.h and its config as
 * include/linux/vermagic.h composes it (trailing space kept), malloc'd. */
char *sbt_kernel_vermagic(const char *kver);
/* The major version of the gcc the kernel was built with
 * (CONFIG_GCC_VERSION, else CONFIG_CC_VERSION_TEXT); 0: not gcc. */
int sbt_kernel_gcc_major(const char *kver);
/* The major version of the host's gcc (`gcc -dumpversion`). */
int sbt_host_gcc_major(void);
/* $DKS_SRCDIR/tests/fixtures/@rel (asserts it is readable), malloc'd. */
char *sbt_fixture(const char *rel);

#endif
