// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms's post_transaction (cli.h): a command the admin names in
 * framework.conf (update-initramfs -u, say), run as root after a
 * transaction, exactly when dkms runs it.
 *
 * It runs as root, so it is honoured only from the admin's own files:
 * every framework file read (a later drop-in could otherwise forge what an
 * earlier one set, an earlier one redefine what a later one runs) must be
 * root's, and so every directory above it (framework_trust.c). As root an
 * untrusted file already stopped the command (ctx.c); this check is for
 * the other callers. Otherwise one line says which file is not, and
 * nothing runs. A dkms.conf and the per-module
 * overrides cannot set it: their driver prints only dkms.conf directives.
 * Its output goes to dkms's log file and, through the terminal filter, to
 * our stdout: what it prints cannot act on the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "dks/cleanup.h"
#include "dks/termsafe.h"

/* What the command wrote, read back from its log file, filtered onto our
 * stdout: what it prints cannot act on the terminal. */
static void show_output(int fd)
{
	struct dks_termsafe ts = {0};
	char buf[4096], out[DKS_TERMSAFE_OUT(sizeof(buf))];
	off_t off = 0;
	ssize_t n;
	size_t m;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		off += n;
		m = dks_termsafe_feed(&ts, buf, (size_t)n, out);
		fwrite(out, 1, m, stdout);
	}
	m = dks_termsafe_finish(&ts, out);
	fwrite(out, 1, m, stdout);
	fflush(stdout);
}

static void child(const char *cmd, const char *kver, int out)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	/* As in dkms, where it is eval'd with $kernelver set. */
	setenv("kernelver", kver, 1);
	execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* As dkms: the output goes to <dkms_tree>/post_transaction.log, emptied
 * first (a memfd when the tree has no room for it), and we wait for the
 * command only, not for what it leaves running. */
static int run(const struct dks_ctx *ctx, const char *cmd, const char *kver)
{
	char log[PATH_MAX];
	cleanup_close int fd = -1;
	int status = 0;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/post_transaction.log", ctx->cfg.dkms_tree);
	fd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		fd = memfd_create("post_transaction", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child(cmd, kver, fd);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	show_output(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void dks_ctx_post_transaction(const struct dks_ctx *ctx)
{
	const char *cmd = dks_framework_get(&ctx->fw, FW_post_transaction);
	char buf[PATH_MAX], kver[256] = "";
	const char *bad;
	int rc;

	if (!cmd)
		return;
	bad = dks_framework_untrusted(&ctx->fw, buf, sizeof(buf));
	if (bad) {
		dks_warn("post_transaction not run: %s is not root's, or others may write it", bad);
		return;
	}
	if (ctx->cli.n_kernels == 1)
		snprintf(kver, sizeof(kver), "%.*s", (int)strcspn(ctx->cli.kernels[0], "/"),
			 ctx->cli.kernels[0]);
	printf("Executing post-transaction command...\n");
	rc = run(ctx, cmd, kver);
	if (rc != 0)
		dks_warn("post_transaction failed (%s %d)", rc < 0 ? "error" : "exit status",
			 rc < 0 ? -rc : rc);
}
