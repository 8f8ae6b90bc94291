// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sandbox's children report to the caller through the report pipe:
 * fixed-size messages, each one write() below PIPE_BUF (atomic). A child
 * that fails reports one line and exits (docs/errors.md); the caller turns
 * it into an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void dks_child_send(const struct dks_run_ctx *ctx, const struct dks_msg *m)
{
	ssize_t n;

	do
		n = write(ctx->report_fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
}

void dks_child_die(const struct dks_run_ctx *ctx, int errnum, const char *fmt, ...)
{
	struct dks_msg m = {.type = DKS_MSG_SETUP_ERROR, .a = 125};
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(m.text))
		snprintf(m.text + n, sizeof(m.text) - (size_t)n, ": %s", strerror(errnum));
	dks_child_send(ctx, &m);
	_exit(125);
}
