/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shell files run in a sandbox, their values read back: the machinery
 * shared by dkms.conf (dkmsconf_eval.c) and dkms's framework.conf
 * (framework.c). A fixed bash driver sources the untrusted file(s) inside
 * a sandbox (no privileges, no network, only the named files read-only, a
 * time limit, a cap on what it may write) and prints records on stdout;
 * this file runs it and hands back the captured bytes, bounded. What the
 * records mean is the caller's business: it must parse them strictly.
 */
#ifndef DKS_SHELLEVAL_H
#define DKS_SHELLEVAL_H

#include <stddef.h>

#include "dks/dkmsconf.h"
#include "dks/error.h"

struct dks_shell_job {
	const char *name;  /* the file, as messages name it */
	const char *what;  /* "dkms.conf": "evaluating dkms.conf failed" */
	int exit_code;     /* the code of any failure (8: bad dkms.conf) */
	const struct dks_eval_opts *o; /* profile, toolchain, build user, timeout */
	const char *kver, *headers; /* headers bound for kver; NULL: none */
	const char *const *ro;  /* host paths bound read-only */
	const char *const *ro_at; /* where each is seen inside (NULL, or a NULL
				   * entry: at the same path) */
	size_t n_ro;
	const char *cwd;        /* NULL: / */
	char *const *argv;      /* "bash", "-c", driver, ... */
};

/* Run @j's driver; on exit status 0 its stdout, NUL-terminated, into
 * *@out (malloc'd, at most DKS_DKMSCONF_MAX_OUTPUT bytes, @len without the
 * NUL). Any other outcome is one line naming the file, with the tail of
 * what the shell said on stderr. */
int dks_shell_eval(const struct dks_shell_job *j, char **out, size_t *len, struct dks_error *err);

#endif
