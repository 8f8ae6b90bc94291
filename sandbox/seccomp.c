// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp from the profile, with libseccomp, as two filters:
 *
 * 1. the allow-list: the profile's syscalls are allowed, its `enosys` ones
 *    fail with ENOSYS (clone3: glibc then falls back to clone, whose flags
 *    filter 2 can inspect), everything else goes to the sandbox's init as a
 *    user notification: init reports the call by name and answers EPERM
 *    (enforce) or lets it run (log mode, the debug profile).
 * 2. argument rules, default allow. They live in a filter of their own
 *    because in one filter an unconditional ALLOW on a syscall silently
 *    overrides conditional rules on it; across filters the kernel takes
 *    the strictest answer.
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
#include <sys/stat.h>

#include "internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

/* What the sandbox's own last steps need (exec, exit), whatever the
 * profile says: without them no profile could start or end a command. */
static const char *const always_allowed[] = {"execve", "exit", "exit_group", "rt_sigreturn", NULL};

static const unsigned long ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME};

static int add_named(scmp_filter_ctx f, uint32_t action, const char *name,
		     struct dks_error *err)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	if (nr == __NR_SCMP_ERROR)
		return dks_err(err, 0, "seccomp: unknown syscall '%s'", name);
	r = seccomp_rule_add(f, action, nr, 0);
	if (r < 0 && r != -EEXIST)
		return dks_err(err, -r, "seccomp: rule for %s", name);
	return 0;
}

static scmp_filter_ctx new_filter(uint32_t def, struct dks_error *err)
{
	scmp_filter_ctx f = seccomp_init(def);

	if (!f) {
		dks_err(err, ENOMEM, "seccomp");
		return NULL;
	}
	if (seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0) < 0) {
		seccomp_release(f);
		dks_err(err, 0, "seccomp: cannot set filter attributes");
		return NULL;
	}
	return f;
}

static int allow_list(const struct dks_profile *p, scmp_filter_ctx f,
		      struct dks_error *err)
{
	for (size_t i = 0; i < p->n_allow; i++)
		if (add_named(f, SCMP_ACT_ALLOW, p->allow[i], err) < 0)
			return -1;
	for (size_t i = 0; i < p->n_enosys; i++)
		if (add_named(f, SCMP_ACT_ERRNO(ENOSYS), p->enosys[i], err) < 0)
			return -1;
	for (int i = 0; always_allowed[i]; i++)
		if (add_named(f, SCMP_ACT_ALLOW, always_allowed[i], err) < 0)
			return -1;
	return 0;
}

#define DENY SCMP_ACT_ERRNO(EPERM)

/* No new namespaces: they would hand the build a fresh set of
 * capabilities and the kernel attack surface that comes with them. */
static int rules_namespaces(scmp_filter_ctx f)
{
	int r = 0;

	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	r |= seccomp_rule_add(f, DENY, SCMP_SYS(unshare), 0);
	r |= seccomp_rule_add(f, DENY, SCMP_SYS(setns), 0);
	return r;
}

/* No setuid/setgid files: the build dir is on the host, where such a file
 * owned by the build uid would let anyone become the build uid. */
static int rules_setid(scmp_filter_ctx f)
{
	static const scmp_datum_t bits[] = {S_ISUID, S_ISGID};
	int r = 0;

	for (int i = 0; i < 2; i++) {
		scmp_datum_t b = bits[i];

		r |= seccomp_rule_add(f, DENY, SCMP_SYS(chmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b));
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(fchmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b));
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(fchmodat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(creat), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b));
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(open), 2,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
				      SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(openat), 2,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
				      SCMP_A3(SCMP_CMP_MASKED_EQ, b, b));
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(open), 2,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, O_TMPFILE, O_TMPFILE),
				      SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
		r |= seccomp_rule_add(f, DENY, SCMP_SYS(openat), 2,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, O_TMPFILE, O_TMPFILE),
				      SCMP_A3(SCMP_CMP_MASKED_EQ, b, b));
	}
	/* Its argument is a struct we cannot inspect. */
	r |= seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	return r;
}

/* No typing into the caller's terminal. The request is 32 bits wide but
 * the register 64: compare the low half only, or TIOCSTI | 1<<32 passes
 * the filter and still reaches the tty driver. */
static int rules_tty(scmp_filter_ctx f)
{
	int r = 0;

	r |= seccomp_rule_add(f, DENY, SCMP_SYS(ioctl), 1,
			      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCSTI));
	r |= seccomp_rule_add(f, DENY, SCMP_SYS(ioctl), 1,
			      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCLINUX));
	return r;
}

static int argument_rules(const struct dks_profile *p, scmp_filter_ctx f,
			  struct dks_error *err)
{
	if (p->deny_namespace_clone && rules_namespaces(f) < 0)
		return dks_err(err, 0, "seccomp: namespace rules");
	if (p->deny_setid_mode && rules_setid(f) < 0)
		return dks_err(err, 0, "seccomp: setuid/setgid mode rules");
	if (p->deny_tty_injection && rules_tty(f) < 0)
		return dks_err(err, 0, "seccomp: tty rules");
	return 0;
}

static int load_rules(const struct dks_profile *p, struct dks_error *err)
{
	scmp_filter_ctx f = new_filter(SCMP_ACT_ALLOW, err);
	int r;

	if (!f)
		return -1;
	if (argument_rules(p, f, err) < 0) {
		seccomp_release(f);
		return -1;
	}
	r = seccomp_load(f);
	seccomp_release(f);
	return r < 0 ? dks_err(err, -r, "seccomp: cannot load the argument filter") : 0;
}

int dks_seccomp_load(const struct dks_profile *p, struct dks_error *err)
{
	scmp_filter_ctx f = new_filter(SCMP_ACT_NOTIFY, err);
	int r, fd;

	if (!f)
		return -1;
	if (allow_list(p, f, err) < 0) {
		seccomp_release(f);
		return -1;
	}
	/* The argument rules go first: once the allow-list is loaded, every
	 * call that is not on it waits for init's answer. */
	if (load_rules(p, err) < 0) {
		seccomp_release(f);
		return -1;
	}
	r = seccomp_load(f);
	fd = r < 0 ? -1 : seccomp_notify_fd(f);
	seccomp_release(f);
	if (r < 0)
		return dks_err(err, -r, "seccomp: cannot load the allow-list");
	if (fd < 0)
		return dks_err(err, 0, "seccomp: no notification fd");
	return fd;
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
	if (ctx->sb->profile->seccomp_mode == DKS_SECCOMP_LOG) {
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
