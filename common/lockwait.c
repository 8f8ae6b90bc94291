// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Taking a tree lock (include/dks/lockwait.h): at once when it is free;
 * else one line on stderr naming the holder, then the wait, as long as it
 * takes (dkms 3.0.10 takes no lock at all: two runs on one module race;
 * waiting is the nearest to "just runs") or until the timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dks/lockwait.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* flock has no timeout: poll, 10 ms at first, up to 200 ms between
 * tries (the wait is for another command's work: seconds, not µs). */
static int poll_lock(int fd, int timeout)
{
	struct timespec nap = {0, 10 * 1000 * 1000};
	double end = now() + timeout;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (now() >= end)
			return errno = ETIMEDOUT, -1;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 200 * 1000 * 1000)
			nap.tv_nsec *= 2;
	}
}

static int block(int fd)
{
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* The holder writes its record right after its flock, and empties it
 * right before letting go: a waiter that looks in between reads nothing.
 * Look again a few times (100 ms in all) before calling the holder
 * unknown. 0: the lock came free meanwhile (taken); 1: still busy. */
static int settle(int fd, char *holder, size_t size)
{
	struct timespec nap = {0, 20 * 1000 * 1000};

	for (int i = 0; i < 5; i++) {
		dks_lock_describe(fd, holder, size);
		if (strncmp(holder, "held by pid ", 12) == 0)
			return 1;
		nanosleep(&nap, NULL);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
	}
	return 1;
}

static int wait_busy(int fd, struct dks_lock_wait *w, struct dks_error *err)
{
	char holder[DKS_LOCK_HOLDER_MAX];

	if (!w->announced) {
		if (settle(fd, holder, sizeof(holder)) == 0)
			return 0;
		fprintf(stderr, "dkms-sandbox: waiting for %s (%s), %s\n", w->what, w->path,
			holder);
		w->announced = true;
	}
	if ((w->timeout ? poll_lock(fd, w->timeout) : block(fd)) == 0)
		return 0;
	if (errno != ETIMEDOUT)
		return dks_err(err, errno, "cannot lock %s", w->path);
	dks_lock_describe(fd, holder, sizeof(holder));
	return dks_err(err, 0, "gave up waiting for %s (%s) after %d s (lock_timeout): %s",
		       w->what, w->path, w->timeout, holder);
}

int dks_lock_take(int fd, struct dks_lock_wait *w, struct dks_error *err)
{
	int r;

	while ((r = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (r < 0 && errno != EWOULDBLOCK)
		return dks_err(err, errno, "cannot lock %s", w->path);
	if (r < 0 && wait_busy(fd, w, err) < 0)
		return -1;
	/* The record is what a waiter shows: a lock whose holder cannot say
	 * who it is (a full disk) is given back, not held anonymously. */
	if (dks_lock_record(fd) < 0) {
		int e = errno;

		flock(fd, LOCK_UN);
		return dks_err(err, e, "cannot write the holder's record in %s", w->path);
	}
	return 0;
}

void dks_lock_release(int fd)
{
	if (fd < 0)
		return;
	/* A record left behind is harmless (its pid is checked), but an
	 * empty file says plainly that nobody holds it. */
	if (ftruncate(fd, 0) < 0) {
		/* nothing to do: the waiter checks the pid and start time */
	}
	close(fd);
}
