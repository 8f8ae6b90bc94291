/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sandbox profiles: what a sandbox allows is data (profiles/NAME.yaml), read
 * with libyaml. default, strict and debug are embedded in the binary; a
 * file of the same name in /etc/dkms-sandbox/profiles/ overrides one, and a
 * path (containing '/' or ending in .yaml) loads that file.
 *
 * A bad profile fails with "FILE:LINE: reason" (unknown key, unknown
 * syscall name, wrong type, value out of range, a syscall of the host-deny
 * set in `allow` or `enosys`).
 */
#ifndef DKS_PROFILE_H
#define DKS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dks/error.h"

enum dks_seccomp_mode {
	DKS_SECCOMP_ENFORCE, /* denied calls fail with EPERM and are reported */
	DKS_SECCOMP_LOG,     /* denied calls are reported, then allowed */
};

struct dks_limits {
	unsigned timeout;  /* wall-clock seconds, 0 = none */
	uint64_t memory;   /* bytes of address space per process (RLIMIT_AS) or
			      per sandbox (cgroup memory.max), 0 = unlimited */
	uint64_t file_size; /* RLIMIT_FSIZE bytes, 0 = unlimited */
	uint64_t open_files; /* RLIMIT_NOFILE */
	uint64_t processes;  /* processes in the sandbox (RLIMIT_NPROC/pids.max) */
	uint64_t tmp_size;   /* size of the sandbox's /tmp tmpfs */
	uint64_t build_size; /* size of a build's scratch dir (tmpfs), for callers */
	uint64_t output;     /* bytes of stdout + stderr relayed, 0 = unlimited */
};

struct dks_profile {
	char *name;   /* "default", or the file's basename */
	char *source; /* file name used in messages ("<embedded>/default.yaml") */

	enum dks_seccomp_mode seccomp_mode;
	char **allow; /* syscall names allowed unconditionally */
	size_t n_allow;
	char **enosys; /* syscall names that fail with ENOSYS (clone3) */
	size_t n_enosys;
	/* argument rules, each in the second filter */
	bool deny_namespace_clone; /* clone with CLONE_NEW* flags */
	bool deny_setid_mode;      /* chmod/fchmod/fchmodat/open* with S_ISUID|S_ISGID */
	bool deny_tty_injection;   /* ioctl TIOCSTI/TIOCLINUX, high bits masked */

	bool landlock;  /* use Landlock when the kernel has it */
	char **etc;     /* /etc entries of the host visible in the sandbox */
	size_t n_etc;
	struct dks_limits limits;

	/* The compiled seccomp program of an embedded profile (compiled at
	 * build time by profiles/compile.c), or NULL: then it is compiled
	 * at run time. Static data, never freed. */
	const void *bpf;
	size_t bpf_len;
};

/* Load a profile by NAME or FILE (see above). */
int dks_profile_load(const char *name_or_path, struct dks_profile **out,
		     struct dks_error *err);

/* Parse a profile from memory; @source names it in error messages. */
int dks_profile_parse(const char *text, size_t len, const char *source,
		      struct dks_profile **out, struct dks_error *err);

void dks_profile_free(struct dks_profile *p);

/* Can a sandbox of @p make a socket of any family (socket allowed, or log
 * mode)? Else only AF_UNIX ones, which die with their processes. */
bool dks_profile_makes_sockets(const struct dks_profile *p);

/* The host-deny set (sandbox/hostdeny.c): syscalls that reach kernel
 * state the host shares. No profile may list one; they fail with EPERM in
 * every seccomp mode, log included. NULL-terminated. */
extern const char *const dks_profile_host_denied[];
bool dks_profile_host_denied_has(const char *name);

/* Names of the embedded profiles, NULL-terminated. */
extern const char *const dks_profile_builtin_names[];

#endif
