// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command's stdio. It never holds what the caller set: a terminal it
 * could read the administrator's keystrokes from or leave in raw mode
 * without echo, or a file (a build's make.log) it could fallocate
 * without bound. Its stdin is /dev/null when the caller's is a terminal;
 * its stdout and stderr are pipes the caller reads (run.c's monitor) and
 * relays to the fds it set: capped at the profile's limits.output, and
 * with control characters replaced (common/termsafe.c) where the
 * destination is a terminal. A file or a pipe gets the bytes exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dks/termsafe.h"
#include "internal.h"

#define CHUNK 16384

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Do @a and @b name one file (stdout and stderr on one terminal or one
 * log)? Then one pipe serves both and keeps their order. */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	if (a == b)
		return true;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino && sa.st_rdev == sb.st_rdev;
}

static int open_stream(struct dks_relay *r, int dst, struct dks_error *err)
{
	struct dks_relay_stream *s = &r->s[r->n];
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return dks_err(err, errno, "sandbox: output pipe");
	*s = (struct dks_relay_stream){
	    .rfd = p[0], .wfd = p[1], .dst = dst, .tty = isatty(dst), .last = '\n'};
	r->n++;
	return p[1];
}

/* A write to a closed pipe must not kill the caller: SIGPIPE is blocked
 * while the relay runs, and one it raised is consumed (dks_relay_close). */
static void block_sigpipe(struct dks_relay *r)
{
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, &r->oldmask);
	sigpending(&pipe);
	r->sigpipe_pending = sigismember(&pipe, SIGPIPE);
}

int dks_relay_open(const struct dks_sandbox *sb, struct dks_relay *r, struct dks_error *err)
{
	*r = (struct dks_relay){.null_fd = -1,
				.cap = sb->profile->limits.output,
				.kill_at_cap = sb->kill_at_output_limit};
	r->tee = (struct dks_relay_stream){.rfd = -1, .wfd = -1, .dst = sb->tee_fd,
					   .tty = sb->tee_fd >= 0 && isatty(sb->tee_fd), .last = '\n'};
	r->child[0] = sb->fds[0];
	if (isatty(sb->fds[0])) {
		r->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (r->null_fd < 0)
			return dks_err(err, errno, "sandbox: /dev/null");
		r->child[0] = r->null_fd;
	}
	r->child[1] = open_stream(r, sb->fds[1], err);
	if (r->child[1] < 0)
		return -1;
	r->child[2] =
	    same_file(sb->fds[1], sb->fds[2]) ? r->child[1] : open_stream(r, sb->fds[2], err);
	if (r->child[2] < 0)
		return -1;
	block_sigpipe(r);
	r->blocked = true;
	return 0;
}

void dks_relay_spawned(struct dks_relay *r)
{
	for (size_t i = 0; i < r->n; i++)
		close_fd(&r->s[i].wfd);
	close_fd(&r->null_fd);
}

static void write_all(struct dks_relay_stream *s, const char *buf, size_t len)
{
	struct pollfd pfd = {.fd = s->dst, .events = POLLOUT};

	while (len && !s->failed) {
		ssize_t n = write(s->dst, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) { /* a non-blocking terminal */
			poll(&pfd, 1, -1);
			continue;
		}
		if (n <= 0) {
			s->failed = true; /* drain on, write no more */
			s->write_errno = n < 0 ? errno : EIO;
			return;
		}
		s->last = buf[n - 1];
		buf += n;
		len -= (size_t)n;
	}
}

static void put(struct dks_relay_stream *s, const char *buf, size_t len)
{
	char safe[DKS_TERMSAFE_OUT(CHUNK)];

	if (!s->tty) {
		write_all(s, buf, len);
		return;
	}
	write_all(s, safe, dks_termsafe_feed(&s->ts, buf, len, safe));
}

/* A terminal's character left incomplete at the end. */
static void finish(struct dks_relay_stream *s)
{
	char c;

	if (s->tty && dks_termsafe_finish(&s->ts, &c))
		write_all(s, &c, 1);
}

/* Past the cap: one line on every destination that lost output. */
static void truncated(struct dks_relay *r, struct dks_relay_stream *s)
{
	char line[128];
	int n;

	r->truncated = true;
	if (s->noticed)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].dst == s->dst && r->s[i].noticed)
			return;
	s->noticed = true;
	finish(s);
	n = snprintf(line, sizeof(line),
		     "%sdkms-sandbox: output truncated after %" PRIu64 " bytes (limits.output)\n",
		     s->last == '\n' ? "" : "\n", r->cap);
	write_all(s, line, (size_t)n);
}

bool dks_relay_pump(struct dks_relay *r, size_t i)
{
	struct dks_relay_stream *s = &r->s[i];
	char buf[CHUNK];
	ssize_t n = read(s->rfd, buf, sizeof(buf));
	uint64_t room;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		finish(s);
		if (r->tee.dst >= 0)
			finish(&r->tee);
		close_fd(&s->rfd);
		return false;
	}
	if (r->cap == 0)
		room = UINT64_MAX;
	else
		room = r->total < r->cap ? r->cap - r->total : 0;
	put(s, buf, (uint64_t)n < room ? (size_t)n : (size_t)room);
	if (r->tee.dst >= 0)
		put(&r->tee, buf, (uint64_t)n < room ? (size_t)n : (size_t)room);
	r->total += (uint64_t)n;
	if ((uint64_t)n > room)
		truncated(r, s);
	return true;
}

bool dks_relay_done(const struct dks_relay *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].rfd >= 0)
			return false;
	return true;
}

void dks_relay_close(struct dks_relay *r)
{
	sigset_t pipe;

	for (size_t i = 0; i < r->n; i++) {
		close_fd(&r->s[i].rfd);
		close_fd(&r->s[i].wfd);
	}
	close_fd(&r->null_fd);
	if (!r->blocked)
		return;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	if (!r->sigpipe_pending)
		while (sigtimedwait(&pipe, NULL, &(struct timespec){0}) == SIGPIPE)
			;
	sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
	r->blocked = false;
}
