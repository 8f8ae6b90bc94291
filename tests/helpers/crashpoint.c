// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The crash-test build of dkms-sandbox (build/dkms-sandbox-crashtest):
 * this definition replaces txn.c's empty dks_crash_point. With
 * DKS_CRASH_AFTER=N in the environment, the N-th crash point (1-based)
 * kills the process with SIGKILL, as a power cut or kill -9 would; it
 * says which point on stderr first. The installed binary has no such
 * switch.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void dks_crash_point(const char *what);

void dks_crash_point(const char *what)
{
	static long count;
	const char *at = getenv("DKS_CRASH_AFTER");

	if (!at || ++count != strtol(at, NULL, 10))
		return;
	fprintf(stderr, "crash point %ld (%s): SIGKILL\n", count, what);
	fflush(stderr);
	kill(getpid(), SIGKILL);
}
