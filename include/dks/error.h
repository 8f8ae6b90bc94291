/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one error convention of dkms-sandbox (docs/errors.md).
 *
 * A function that can fail takes a `struct dks_error *` as its last
 * argument and returns a negative value on failure, after filling the error
 * once with dks_err(). Callers add nothing and return the value up. The
 * message names the thing (file, line, module, kernel) and says what is
 * wrong; when errnum is not 0, ": strerror(errnum)" is appended.
 *
 * exit_code is the process exit code the CLI uses for this error: 1 unless
 * the failure has a dkms-defined code (docs/errors.md lists them).
 */
#ifndef DKS_ERROR_H
#define DKS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#define DKS_ERROR_MSG_MAX 1024

struct dks_error {
	int errnum;    /* errno of the failing call, or 0 */
	int exit_code; /* CLI exit code for this failure (default 1) */
	int reason;    /* a room's typed reason callers may act on (0: none),
			* e.g. enum dks_sandbox_reason */
	bool reported; /* the line was printed already (dks_err_reported) */
	char msg[DKS_ERROR_MSG_MAX];
};

/* Fill @err (if not NULL) and return -1. */
int dks_err(struct dks_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with a specific CLI exit code. */
int dks_err_code(struct dks_error *err, int exit_code, int errnum,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Same, with a room's typed reason (err->reason) and the default code. */
int dks_err_reason(struct dks_error *err, int reason, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prefix the existing message with "prefix: " (context from a caller). */
int dks_err_prefix(struct dks_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The failure was reported already, on stderr, by the process that had
 * it (a build worker prints its job's line as the job ends): fill @err
 * with only @exit_code, so that callers return it up as any error and the
 * CLI prints no second line for it. Returns -1. */
int dks_err_reported(struct dks_error *err, int exit_code);

/* Print "dkms-sandbox: <msg>" on stderr (nothing for a reported error). */
void dks_error_print(const struct dks_error *err);

/* Warnings go to stderr with the same prefix. */
void dks_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
