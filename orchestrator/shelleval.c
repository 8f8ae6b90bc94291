// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A shell driver run in a sandbox, its stdout captured (shelleval.h): the
 * part of evaluating a dkms.conf that a framework.conf shares.
 * Trusts its caller's paths and options and the sandbox engine; trusts
 * nothing that comes out of the sandbox: the capture is size-checked, and
 * stderr is shown only as a cleaned one-line tail. Calls the sandbox only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shelleval.h"
#include "dks/cleanup.h"
#include "dks/sandbox.h"

struct run {
	const struct dks_shell_job *j;
	struct dks_profile *own; /* the "default" profile when the caller gave none */
	struct dks_profile prof; /* shallow copy, with the output bounded */
	struct dks_sandbox *sb;
	int null_fd, out_fd, err_fd;
	unsigned timeout;
};

static void run_clear(struct run *r)
{
	dks_sandbox_free(r->sb);
	if (r->own)
		dks_profile_free(r->own);
	dks_closep(&r->null_fd);
	dks_closep(&r->out_fd);
	dks_closep(&r->err_fd);
}

/* The captures are memfds: the sandbox relays the shell's output into
 * them, bounded (see run_profile). */
static int run_stdio(struct run *r, struct dks_error *err)
{
	r->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	r->out_fd = memfd_create("shelleval-out", MFD_CLOEXEC);
	r->err_fd = memfd_create("shelleval-err", MFD_CLOEXEC);
	if (r->null_fd < 0 || r->out_fd < 0 || r->err_fd < 0)
		return dks_err(err, errno, "%s: capture files", r->j->name);
	dks_sandbox_set_stdio(r->sb, r->null_fd, r->out_fd, r->err_fd);
	dks_sandbox_kill_at_output_limit(r->sb);
	return 0;
}

/* A hostile file could write gigabytes to its stdout, which lives in the
 * caller's memory: cap its output (the relay kills the sandbox past it,
 * SIGXFSZ) and every file it writes (RLIMIT_FSIZE) just above what the
 * parsers accept. A configuration writes nothing big. */
static int run_profile(struct run *r, struct dks_error *err)
{
	const struct dks_eval_opts *o = r->j->o;
	const uint64_t cap = 2 * (uint64_t)DKS_DKMSCONF_MAX_OUTPUT;

	if (!o->profile && dks_profile_load("default", &r->own, err) < 0)
		return -1;
	r->prof = *(o->profile ? o->profile : r->own);
	if (r->prof.limits.file_size == 0 || r->prof.limits.file_size > cap)
		r->prof.limits.file_size = cap;
	if (r->prof.limits.output == 0 || r->prof.limits.output > cap)
		r->prof.limits.output = cap;
	dks_sandbox_set_profile(r->sb, &r->prof);
	return 0;
}

static int run_sandbox(struct run *r, struct dks_error *err)
{
	const struct dks_shell_job *j = r->j;
	const struct dks_eval_opts *o = j->o;

	r->timeout = o->timeout ? o->timeout : DKS_DKMSCONF_TIMEOUT;
	if (dks_sandbox_new(&r->sb, err) < 0 || run_profile(r, err) < 0 ||
	    (o->toolchain && dks_sandbox_set_toolchain(r->sb, o->toolchain, err) < 0) ||
	    (j->headers && dks_sandbox_set_kernel(r->sb, j->kver, j->headers, err) < 0) ||
	    (o->build_user && dks_sandbox_set_user(r->sb, o->build_user, err) < 0))
		return -1;
	/* The files the shell reads, read-only: it may read them, never
	 * change them, and sees nothing else of the host but the toolchain. */
	for (size_t i = 0; i < j->n_ro; i++)
		if (dks_sandbox_add_bind(r->sb, j->ro[i], j->ro_at ? j->ro_at[i] : NULL, false,
					 err) < 0)
			return -1;
	dks_sandbox_set_timeout(r->sb, r->timeout);
	if (dks_sandbox_set_cwd(r->sb, j->cwd ? j->cwd : "/", err) < 0)
		return -1;
	return run_stdio(r, err);
}

static int capture_error(const struct run *r, int errnum, struct dks_error *err)
{
	return dks_err_code(err, r->j->exit_code, errnum,
			    "%s: evaluation output unreadable or over %d bytes", r->j->name,
			    DKS_DKMSCONF_MAX_OUTPUT);
}

/* The records, all of them: a capture over the parsers' limit is refused
 * before it is read. */
static int read_capture(const struct run *r, char **buf, size_t *len, struct dks_error *err)
{
	cleanup_free char *b = NULL;
	struct stat st;
	ssize_t n;

	if (fstat(r->out_fd, &st) < 0)
		return capture_error(r, errno, err);
	if ((uint64_t)st.st_size > DKS_DKMSCONF_MAX_OUTPUT)
		return capture_error(r, EFBIG, err);
	b = malloc((size_t)st.st_size + 1);
	if (!b)
		return capture_error(r, ENOMEM, err);
	n = pread(r->out_fd, b, (size_t)st.st_size, 0);
	if (n < 0)
		return capture_error(r, errno, err);
	b[n] = '\0';
	*buf = steal_pointer(&b);
	*len = (size_t)n;
	return 0;
}

/* The last lines of stderr, joined with " | ", for a one-line error. The
 * sandbox's own lines (bash's harmless getpeername/nscd socket denials,
 * the build-user warning) would hide the file's message: they are left out. */
static void stderr_tail(int fd, char *out, size_t size)
{
	char buf[4096], *lines[3] = {0}, *save = NULL;
	struct stat st;
	ssize_t n;
	size_t len = 0;

	out[0] = '\0';
	if (fstat(fd, &st) < 0)
		return;
	n = pread(fd, buf, sizeof(buf) - 1,
		  st.st_size >= (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) + 1 : 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "dkms-sandbox: ", 14) == 0)
			continue;
		memmove(lines, lines + 1, sizeof(lines) - sizeof(lines[0]));
		lines[2] = l;
	}
	for (int i = 0; i < 3; i++)
		if (lines[i] && len + 4 < size)
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? " | " : ": ",
						lines[i]);
	for (size_t i = 0; i < len && i < size; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = '?';
}

static int outcome_error(const struct run *r, const struct dks_sandbox_result *res,
			 struct dks_error *err)
{
	const struct dks_shell_job *j = r->j;
	char tail[600];

	stderr_tail(r->err_fd, tail, sizeof(tail));
	if (res->outcome == DKS_SANDBOX_TIMED_OUT)
		return dks_err_code(err, j->exit_code, 0, "%s: evaluating %s timed out after %u s",
				    j->name, j->what, r->timeout);
	if (res->outcome == DKS_SANDBOX_SIGNALED && res->term_signal == SIGXFSZ)
		return dks_err_code(err, j->exit_code, 0, "%s: evaluating %s wrote more than %d bytes",
				    j->name, j->what, DKS_DKMSCONF_MAX_OUTPUT);
	if (res->outcome == DKS_SANDBOX_SIGNALED)
		return dks_err_code(err, j->exit_code, 0, "%s: evaluating %s was killed by signal %d%s",
				    j->name, j->what, res->term_signal, tail);
	return dks_err_code(err, j->exit_code, 0, "%s: evaluating %s failed (exit status %d)%s",
			    j->name, j->what, res->exit_status, tail);
}

int dks_shell_eval(const struct dks_shell_job *j, char **out, size_t *len, struct dks_error *err)
{
	__attribute__((cleanup(run_clear))) struct run r = {
	    .j = j, .null_fd = -1, .out_fd = -1, .err_fd = -1};
	struct dks_sandbox_result res = {0};
	int rc;

	*out = NULL;
	if (run_sandbox(&r, err) < 0)
		return -1;
	if (dks_sandbox_run(r.sb, j->argv, &res, err) < 0)
		return dks_err_prefix(err, "%s: evaluating %s", j->name, j->what);
	rc = res.outcome == DKS_SANDBOX_EXITED && res.exit_status == 0
		 ? 0
		 : outcome_error(&r, &res, err);
	dks_sandbox_result_clear(&res);
	if (rc == 0)
		rc = read_capture(&r, out, len, err);
	return rc;
}
