// SPDX-License-Identifier: GPL-2.0-or-later
/* The error convention: include/dks/error.h and docs/errors.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dks/cleanup.h"
#include "dks/error.h"
#include "dks/termsafe.h"

/* Fill @err (if not NULL) once, and return -1: every constructor below. */
static int fill(struct dks_error *err, int exit_code, int reason, int errnum,
		const char *fmt, va_list ap)
{
	int n;

	if (!err)
		return -1;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s",
			 strerror(errnum));
	err->errnum = errnum;
	err->exit_code = exit_code;
	err->reason = reason;
	err->reported = false;
	return -1;
}

int dks_err(struct dks_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, 1, 0, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int dks_err_code(struct dks_error *err, int exit_code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, exit_code, 0, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int dks_err_reason(struct dks_error *err, int reason, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, 1, reason, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int dks_err_prefix(struct dks_error *err, const char *fmt, ...)
{
	char buf[2 * DKS_ERROR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf, DKS_ERROR_MSG_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= DKS_ERROR_MSG_MAX)
		n = DKS_ERROR_MSG_MAX - 1;
	snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", err->msg);
	snprintf(err->msg, sizeof(err->msg), "%.*s", DKS_ERROR_MSG_MAX - 1, buf);
	return -1;
}

int dks_err_reported(struct dks_error *err, int exit_code)
{
	if (!err)
		return -1;
	*err = (struct dks_error){.exit_code = exit_code, .reported = true};
	return -1;
}

/* Messages name modules and echo dkms.conf values: bytes of a module,
 * which must not drive the administrator's terminal (common/termsafe.c). */
static void print_line(const char *prefix, const char *msg)
{
	cleanup_free char *safe = dks_termsafe_str(msg);

	fprintf(stderr, "dkms-sandbox: %s%s\n", prefix, safe ? safe : "(out of memory)");
}

void dks_error_print(const struct dks_error *err)
{
	if (err->reported)
		return;
	print_line("", err->msg);
}

void dks_warn(const char *fmt, ...)
{
	char msg[DKS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_line("warning: ", msg);
}
