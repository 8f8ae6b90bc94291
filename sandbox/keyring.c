// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sandbox's own session keyring. A session keyring is inherited by
 * fork, exec and setuid, and a process possesses every key linked in it
 * (possessor permissions, whatever the key's owner): without this, the
 * sandbox would hold the caller's session keyring, root's keys included.
 * keyctl, add_key and request_key are in the host-deny set as well
 * (hostdeny.c): this is the layer below, for a kernel interface that
 * reaches keyrings some other way.
 */
#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

void dks_keyring_fresh(const struct dks_run_ctx *ctx)
{
	/* A NULL name: a new anonymous keyring, empty, owned by the build
	 * uid, installed as the session keyring of init and, through fork,
	 * of every process of the sandbox. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0)
		return;
	if (errno == ENOSYS)
		return; /* a kernel without keys: nothing to share */
	dks_child_die(ctx, errno, "cannot give the sandbox a session keyring of its own");
}
