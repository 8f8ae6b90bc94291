/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Run one command in a fresh sandbox: new user, mount, pid, net, ipc, uts
 * and cgroup namespaces; a read-only toolchain root; optional kernel headers
 * at their host paths; the requested binds; seccomp, Landlock, no
 * capabilities, limits and a wall-clock timeout. It knows nothing of DKMS.
 *
 * Life cycle: dks_sandbox_new -> dks_sandbox_set_* / add_* -> dks_sandbox_run
 * (may be called again) -> dks_sandbox_free. The object is opaque.
 */
#ifndef DKS_SANDBOX_H
#define DKS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dks/error.h"
#include "dks/profile.h"

struct dks_sandbox;

enum dks_sandbox_outcome {
	DKS_SANDBOX_EXITED,    /* the command exited: exit_status */
	DKS_SANDBOX_SIGNALED,  /* the command was killed by term_signal */
	DKS_SANDBOX_TIMED_OUT, /* the timeout killed every process */
};

/* Why a sandbox call failed, in err->reason, for callers that act on it
 * (the sandbox sets no exit codes: it knows nothing of dkms's). */
enum dks_sandbox_reason {
	DKS_SANDBOX_OTHER = 0,
	DKS_SANDBOX_NO_HEADERS, /* dks_sandbox_set_kernel: no headers for the kernel */
	DKS_SANDBOX_SETUP,      /* dks_sandbox_run: the sandbox could not be set up */
	DKS_SANDBOX_NO_SCRATCH, /* dks_sandbox_add_scratch: not for this caller */
	DKS_SANDBOX_NO_SOURCE,  /* dks_sandbox_add_bind: the source is not there (ENOENT) */
};

struct dks_sandbox_result {
	enum dks_sandbox_outcome outcome;
	int exit_status;
	int term_signal;
	double elapsed; /* seconds */
	bool cgroup;    /* memory and processes were also bounded by a cgroup
			   of the sandbox's own (docs/sandbox.md, "Limits") */
	bool output_truncated; /* stdout + stderr passed limits.output */
	int output_errno; /* writing the command's output failed (ENOSPC...): 0 if not */
	char **denied;  /* syscall names seccomp denied (or logged), unique */
	size_t n_denied;
};

int dks_sandbox_new(struct dks_sandbox **out, struct dks_error *err);
void dks_sandbox_free(struct dks_sandbox *sb);

/* The profile is copied by reference: it must outlive the sandbox. */
void dks_sandbox_set_profile(struct dks_sandbox *sb, const struct dks_profile *p);

/* "host" (default): the host's /usr read-only; or a root filesystem DIR. */
int dks_sandbox_set_toolchain(struct dks_sandbox *sb, const char *toolchain,
			      struct dks_error *err);

/* Kernel headers of @kver, read-only at their host paths with every
 * directory their symlinks lead to. @headers: the headers directory, or
 * NULL for /lib/modules/KVER/build. Sets KERNELRELEASE. */
int dks_sandbox_set_kernel(struct dks_sandbox *sb, const char *kver,
			   const char *headers, struct dks_error *err);

/* Where a headers directory appears inside a sandbox: its own path, or,
 * for headers unpacked below some directory (dpkg -x ROOT), the path below
 * ROOT (/usr/src/linux-headers-...). malloc'd. */
char *dks_kernel_dir_in_sandbox(const char *headers);

/* Bind @src at @dst (NULL = same path) read-only or writable. */
int dks_sandbox_add_bind(struct dks_sandbox *sb, const char *src,
			 const char *dst, bool writable, struct dks_error *err);

/* A fresh writable tmpfs at @dst, owned by the build user, holding at
 * most @size bytes and @size/16 KiB inodes, whatever the command does
 * (fallocate, sparse files, many small files): made by the caller at each
 * run, outside the sandbox, never on the host's disk; its pages are
 * charged to the sandbox's cgroup. After a run, dks_sandbox_scratch reads
 * what the command left there. One per sandbox; root callers only (reason
 * DKS_SANDBOX_NO_SCRATCH otherwise: the caller binds a host dir instead). */
int dks_sandbox_add_scratch(struct dks_sandbox *sb, const char *dst, uint64_t size,
			    struct dks_error *err);

/* A fresh writable tmpfs at @dst made by init inside the sandbox at each
 * run (any caller), holding at most @size bytes and @size/16 KiB inodes,
 * charged to the sandbox's cgroup, gone with the sandbox: room the command
 * may fill that nobody reads back (a build's writable copy of its source). */
int dks_sandbox_add_tmpfs(struct dks_sandbox *sb, const char *dst, uint64_t size,
			  struct dks_error *err);

/* The last run's scratch: a new O_RDONLY directory fd on its root (the
 * caller closes it; the tmpfs lives until it and the sandbox are gone),
 * or -1 when there is none. */
int dks_sandbox_scratch(const struct dks_sandbox *sb);

/* Started as root: who the command runs as on the host. @user is a user
 * name or uid (not root, not nobody: host processes share it), a range of
 * build uids "FIRST-LAST" (no host user's), or "subids:NAME", the
 * subordinate ids of NAME (/etc/subuid, /etc/subgid). From a range, each
 * sandbox takes a uid that no other sandbox and no host process has, and
 * holds it until dks_sandbox_free. Default: "subids:dkms-sandbox". Normal
 * callers: the command runs as the caller, whatever is set. */
int dks_sandbox_set_user(struct dks_sandbox *sb, const char *user,
			 struct dks_error *err);

/* Take the build uid now (dks_sandbox_run does it if not done): for a
 * caller that prepares files the build user must own. Fails when the
 * range is exhausted or root has none (no silent fallback). */
int dks_sandbox_resolve_user(struct dks_sandbox *sb, struct dks_error *err);

/* Overrides the profile's timeout (seconds, 0 = none). */
void dks_sandbox_set_timeout(struct dks_sandbox *sb, unsigned seconds);

/* Working directory inside the sandbox (default: first writable bind, or /). */
int dks_sandbox_set_cwd(struct dks_sandbox *sb, const char *dir,
			struct dks_error *err);

/* Add or replace an environment variable of the command. */
int dks_sandbox_setenv(struct dks_sandbox *sb, const char *name,
		       const char *value, struct dks_error *err);

/* Where the command's stdin/stdout/stderr come from and go (default 0,
 * 1, 2). The command never holds these fds: a terminal as stdin becomes
 * /dev/null; its stdout and stderr are pipes the caller relays here until
 * every process of the sandbox is gone, at most the profile's
 * limits.output bytes (then one line says the rest was dropped), with
 * control characters replaced where @out_fd/@err_fd is a terminal. Denials
 * and sandbox messages go to @err_fd. */
void dks_sandbox_set_stdio(struct dks_sandbox *sb, int in_fd, int out_fd,
			   int err_fd);

/* A copy of everything relayed to stdout and stderr also goes to @fd
 * (-1: none), with control characters replaced where it is a terminal:
 * `build --verbose` shows make's output live while make.log gets it. */
void dks_sandbox_set_tee(struct dks_sandbox *sb, int fd);

/* Output past limits.output kills the sandbox instead of being dropped:
 * the outcome is DKS_SANDBOX_SIGNALED with SIGXFSZ, as for a file past
 * file_size (for captures whose caller refuses big output anyway). */
void dks_sandbox_kill_at_output_limit(struct dks_sandbox *sb);

/* Pass @fd to the command (e.g. a make jobserver pipe): it becomes fd
 * 3, 4, ... in the order of the calls. Returns that number. Everything
 * passed is reachable by the untrusted command: pass nothing else. */
#define DKS_MAX_PASS_FDS 6
int dks_sandbox_pass_fd(struct dks_sandbox *sb, int fd, struct dks_error *err);

/* Run argv[0] (looked up in the sandbox's PATH) and wait for it. Returns 0
 * when the command ran (whatever its status: see @res), negative when the
 * sandbox could not be set up. */
int dks_sandbox_run(struct dks_sandbox *sb, char *const argv[],
		    struct dks_sandbox_result *res, struct dks_error *err);

void dks_sandbox_result_clear(struct dks_sandbox_result *res);

/* The uid the command runs as on the host, once resolved (by
 * dks_sandbox_resolve_user or a run); (uid_t)-1 before, for root. */
uid_t dks_sandbox_host_uid(const struct dks_sandbox *sb);
gid_t dks_sandbox_host_gid(const struct dks_sandbox *sb);

#endif
