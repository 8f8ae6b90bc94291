// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp from the profile, with libseccomp, as one filter whose default
 * action is a user notification:
 *
 * - the profile's syscalls are allowed; its `enosys` ones fail with ENOSYS
 *   (clone3: glibc then falls back to clone, whose flags can be checked);
 * - a syscall with an argument rule is allowed only under the condition
 *   that makes it harmless (clone without CLONE_NEW*, chmod without set-id
 *   bits, ioctl other than TIOCSTI/TIOCLINUX...);
 * - everything else, argument-rule violations included, goes to the
 *   sandbox's init, which reports the call by name and answers EPERM (or,
 *   in log mode, lets it run: never for the calls in never_continue, nor
 *   for the host-deny set of hostdeny.c, nor for a call libseccomp cannot
 *   name, which no profile could allow anyway).
 *
 * The argument rules are conditional ALLOWs rather than conditional
 * denials: in libseccomp an unconditional ALLOW silently overrides
 * conditional rules on the same syscall, and a second filter with its own
 * denials would deny silently (only one filter of a process may have a
 * notification listener). Here every denial is reported.
 *
 * Only the native ABI: a 32-bit or x32 syscall kills the process (their
 * numbers differ, so an allow-list for one ABI means nothing for another).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
		  CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)
#define SETID_BITS (S_ISUID | S_ISGID)

/* What the sandbox's own last steps need, whatever the profile says:
 * setting the limits (after the filter, so that they bind only the
 * command), exec and exit. prlimit64 cannot raise a hard limit without
 * CAP_SYS_RESOURCE, which nothing in the sandbox has. */
static const char *const always_allowed[] = {"prlimit64", "setrlimit", "execve", "exit",
					     "exit_group", "rt_sigreturn", NULL};

/* Denied even in log mode: letting these through would undo the
 * sandbox (a new user namespace has every capability; a set-id file
 * lands on the host; TIOCSTI types into the caller's terminal). */
static const char *const never_continue[] = {
	"unshare", "setns", "clone", "clone3", "chmod", "fchmod", "fchmodat", "fchmodat2",
	"creat", "open", "openat", "openat2", "ioctl", "mknod", "mknodat", "seccomp", NULL};

/* "Allowed when (arg & mask) == 0". */
struct arg_rule {
	const char *syscall;
	unsigned arg;
	scmp_datum_t mask;
};

/* No new namespaces: they would hand the build a fresh set of
 * capabilities and the kernel attack surface that comes with them. */
static const struct arg_rule ns_rules[] = {{"clone", 0, NS_FLAGS}, {NULL, 0, 0}};

/* No set-uid/set-gid files: the build dir is on the host, where such a
 * file owned by the build uid would let anyone become the build uid.
 * open/openat: allowed when not creating, or when the mode is clean. */
static const struct arg_rule setid_rules[] = {
	{"chmod", 1, SETID_BITS},   {"fchmod", 1, SETID_BITS},
	{"fchmodat", 2, SETID_BITS}, {"creat", 1, SETID_BITS},
	{"open", 2, SETID_BITS},     {"open", 1, O_CREAT | __O_TMPFILE},
	{"openat", 3, SETID_BITS},   {"openat", 2, O_CREAT | __O_TMPFILE},
	{NULL, 0, 0}};

/* ioctl requests that type into a terminal. Compared on the low 32 bits:
 * the request is an unsigned int, the register 64 bits wide, so
 * TIOCSTI | 1<<32 still reaches the tty driver as TIOCSTI. */
static const uint32_t tty_denied[] = {TIOCSTI, TIOCLINUX};

static int resolve(const char *name, struct dks_error *err)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return dks_err(err, 0, "seccomp: unknown syscall '%s'", name);
	return nr;
}

bool dks_seccomp_ruled(const struct dks_profile *p, const char *name)
{
	const struct arg_rule *sets[] = {p->deny_namespace_clone ? ns_rules : NULL,
					 p->deny_setid_mode ? setid_rules : NULL};

	if (p->deny_tty_injection && strcmp(name, "ioctl") == 0)
		return true;
	for (size_t s = 0; s < 2; s++)
		for (const struct arg_rule *r = sets[s]; r && r->syscall; r++)
			if (strcmp(r->syscall, name) == 0)
				return true;
	return false;
}

static int add_conditional(scmp_filter_ctx f, int nr, const struct arg_rule *r,
			   struct dks_error *err)
{
	int ret = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 1,
				   SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->mask, 0));

	return ret < 0 ? dks_err(err, -ret, "seccomp: rule for %s", r->syscall) : 0;
}

/* Allow ioctl for every request whose low 32 bits are none of
 * tty_denied: the complement, as masked-equal rules over bit prefixes
 * (a binary trie walk; about 32 rules per denied value). */
static int allow_ioctl_except(scmp_filter_ctx f, int nr, uint32_t prefix, int depth,
			      struct dks_error *err)
{
	uint32_t mask = depth ? ~0U << (32 - depth) : 0;
	bool hit = false;
	int ret;

	for (size_t i = 0; i < sizeof(tty_denied) / sizeof(tty_denied[0]); i++)
		hit |= (tty_denied[i] & mask) == prefix;
	if (!hit) {
		ret = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, mask, prefix));
		return ret < 0 ? dks_err(err, -ret, "seccomp: ioctl rule") : 0;
	}
	if (depth == 32)
		return 0; /* exactly a denied request */
	if (allow_ioctl_except(f, nr, prefix, depth + 1, err) < 0)
		return -1;
	return allow_ioctl_except(f, nr, prefix | (1U << (31 - depth)), depth + 1, err);
}

static int allow_ruled(const struct dks_profile *p, scmp_filter_ctx f, const char *name,
		       int nr, struct dks_error *err)
{
	const struct arg_rule *sets[] = {p->deny_namespace_clone ? ns_rules : NULL,
					 p->deny_setid_mode ? setid_rules : NULL};

	if (strcmp(name, "ioctl") == 0)
		return allow_ioctl_except(f, nr, 0, 0, err);
	for (size_t s = 0; s < 2; s++)
		for (const struct arg_rule *r = sets[s]; r && r->syscall; r++)
			if (strcmp(r->syscall, name) == 0 && add_conditional(f, nr, r, err) < 0)
				return -1;
	return 0;
}

static int allow(const struct dks_profile *p, scmp_filter_ctx f, const char *name,
		 struct dks_error *err)
{
	int nr = resolve(name, err);
	int r;

	if (nr < 0)
		return -1;
	/* profile.c refuses such a profile; a profile built in memory too. */
	if (dks_profile_host_denied_has(name))
		return dks_err(err, 0, "seccomp: '%s' is in the host-deny set: no profile may allow it",
			       name);
	if (dks_seccomp_ruled(p, name))
		return allow_ruled(p, f, name, nr, err);
	r = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
	if (r < 0 && r != -EEXIST)
		return dks_err(err, -r, "seccomp: rule for %s", name);
	return 0;
}

/* glibc asks nscd for every user lookup (bash looks up its own user at
 * start) through an AF_UNIX socket, and falls back to /etc/passwd when
 * socket() fails, whatever the errno. An AF_UNIX socket could reach no
 * one here (no host socket file is visible, abstract names are per
 * network namespace), so socket(AF_UNIX) fails with EAFNOSUPPORT in the
 * kernel, without a report line for every shell; every other family
 * (AF_INET, AF_NETLINK...) still goes to init, is denied and reported.
 * Not in log mode (debug reports every call, and the layers below are
 * then what tests see), nor where the profile allows socket: a
 * conditional rule beside an unconditional allow would be silently
 * dropped by libseccomp. */
static int quiet_unix_socket(const struct dks_profile *p, scmp_filter_ctx f,
			     struct dks_error *err)
{
	if (dks_profile_makes_sockets(p))
		return 0;
	if (seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
			     SCMP_A0(SCMP_CMP_EQ, AF_UNIX)) < 0)
		return dks_err(err, 0, "seccomp: rule for socket(AF_UNIX)");
	return 0;
}

static int build(const struct dks_profile *p, scmp_filter_ctx f, struct dks_error *err)
{
	for (size_t i = 0; i < p->n_allow; i++)
		if (allow(p, f, p->allow[i], err) < 0)
			return -1;
	for (int i = 0; always_allowed[i]; i++)
		if (allow(p, f, always_allowed[i], err) < 0)
			return -1;
	for (size_t i = 0; i < p->n_enosys; i++) {
		int nr = resolve(p->enosys[i], err);

		if (nr >= 0 && dks_profile_host_denied_has(p->enosys[i]))
			return dks_err(err, 0, "seccomp: '%s' is in the host-deny set: EPERM, not ENOSYS",
				       p->enosys[i]);
		if (nr < 0 || seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), nr, 0) < 0)
			return dks_err(err, 0, "seccomp: rule for %s", p->enosys[i]);
	}
	/* Its flags are in a struct no filter can read. */
	if (seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) < 0)
		return dks_err(err, 0, "seccomp: rule for openat2");
	return quiet_unix_socket(p, f, err);
}

/* Compile the profile's filter and write the BPF program to @fd. Runs in
 * the setup child, in parallel with init building the root filesystem:
 * libseccomp's compilation is off the start-up's critical path. */
int dks_seccomp_export(const struct dks_profile *p, int fd, struct dks_error *err)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_NOTIFY);
	int r;

	if (!f)
		return dks_err(err, ENOMEM, "seccomp");
	/* A binary tree of syscall numbers: kbuild makes millions of calls. */
	if (seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 || build(p, f, err) < 0) {
		seccomp_release(f);
		return err->msg[0] ? -1 : dks_err(err, 0, "seccomp: filter attributes");
	}
	r = seccomp_export_bpf(f, fd);
	seccomp_release(f);
	return r < 0 ? dks_err(err, -r, "seccomp: cannot export the filter") : 0;
}

/* Load a compiled program (no_new_privs is set); returns the
 * notification listener. Allocates nothing: safe in a vfork child. */
int dks_seccomp_install(const void *prog, size_t len, struct dks_error *err)
{
	struct sock_fprog fprog = {.len = (unsigned short)(len / sizeof(struct sock_filter)),
				   .filter = (struct sock_filter *)prog};
	long fd;

	if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > 4096)
		return dks_err(err, 0, "seccomp: bad filter program (%zu bytes)", len);
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
	if (fd < 0)
		return dks_err(err, errno, "seccomp: cannot load the filter");
	return (int)fd;
}

/* Log mode: may the call run after it was reported? Never a call that
 * would undo the sandbox or reach the host's shared state, nor one that
 * libseccomp cannot name (a newer syscall: unknown, so not trusted). */
static bool may_continue(int nr)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	if (!name)
		return false;
	free(name);
	if (dks_seccomp_host_denied_nr(nr))
		return false;
	for (int i = 0; never_continue[i]; i++)
		if (seccomp_syscall_resolve_name(never_continue[i]) == nr)
			return false;
	return true;
}

int dks_seccomp_serve(const struct dks_run_ctx *ctx, int fd)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct dks_msg m = {.type = DKS_MSG_DENIED};
	int ret = -1;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		return -1;
	if (seccomp_notify_receive(fd, req) < 0)
		goto out; /* the caller died meanwhile */
	m.a = req->data.nr;
	m.b = (int32_t)req->pid;
	dks_child_send(ctx, &m);
	resp->id = req->id;
	resp->val = 0;
	if (ctx->sb->profile->seccomp_mode == DKS_SECCOMP_LOG && may_continue(req->data.nr)) {
		resp->error = 0;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		resp->error = -EPERM;
		resp->flags = 0;
	}
	ret = seccomp_notify_respond(fd, resp);
out:
	seccomp_notify_free(req, resp);
	return ret;
}
