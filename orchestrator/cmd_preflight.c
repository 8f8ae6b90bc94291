// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox preflight [M[/V]...] [--json] [--force] [--boot-root DIR]
 *
 * Before a reboot (an upgrade tool's hook: docs/upgrades.md): autoinstall
 * for the kernel the machine boots next and for every installed kernel
 * newer than the running one, a report per module and kernel, exit 11
 * when a module config.yaml calls critical failed (preflight.h).
 *
 * With --json the report alone is on stdout: what the builds print goes
 * to stderr, so that a hook can parse stdout whatever a build says.
 */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "preflight.h"

/* --json: stdout (fd 1, the builds' too) goes to stderr until the
 * report; the real stdout is returned, or -1. */
static int divert_stdout(void)
{
	int saved;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (saved >= 0 && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		close(saved);
		return -1;
	}
	return saved;
}

static int restore_stdout(int saved)
{
	fflush(stdout);
	if (dup2(saved, STDOUT_FILENO) < 0)
		return -1;
	close(saved);
	return 0;
}

static int report(const struct dks_ctx *ctx, const struct dks_pf_report *rep, int code)
{
	if (ctx->cli.json)
		return dks_pf_report_json(stdout, rep, code);
	dks_pf_report_text(stdout, rep);
	return 0;
}

int cmd_preflight(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_pf_report rep = {0};
	int saved = -1, ret = dks_ctx_open(argc, argv, "preflight", &ctx, &err);
	bool off = false, ran = false;

	/* preflight finds its kernels: a -k would silently mean nothing */
	if (ret == 0 && ctx.cli.n_kernels)
		ret = dks_err(&err, 0,
			      "preflight: -k is not taken: preflight prepares the next "
			      "boot's kernel and the newer ones (docs/upgrades.md)");
	if (ret == 0 && ctx.cli.json && (saved = divert_stdout()) < 0)
		ret = dks_err(&err, 0, "preflight: cannot divert stdout for --json");
	/* no-autoinstall: dkms's line (on stderr with --json), an empty report */
	off = ret == 0 && dks_autoinstall_disabled(&ctx);
	if (ret == 0 && !off)
		ret = dks_ctx_profile(&ctx, &err);
	if (ret == 0 && !off) {
		ret = dks_preflight(&ctx, &rep, &err);
		ran = true;
	}
	if (rep.installed) /* before stdout is back: --json's stdout is the report's */
		dks_ctx_post_transaction(&ctx);
	if (saved >= 0 && restore_stdout(saved) < 0 && ret == 0)
		ret = dks_err(&err, 0, "preflight: cannot restore stdout for --json");
	if ((ran || (off && ctx.cli.json)) && report(&ctx, &rep, ret < 0 ? err.exit_code : 0) < 0 &&
	    ret == 0)
		ret = dks_err(&err, 0, "preflight: cannot write the report");
	ret = ret < 0 ? dks_fail(&err) : 0;
	dks_pf_report_clear(&rep);
	dks_ctx_close(&ctx);
	return ret;
}
