// SPDX-License-Identifier: GPL-2.0-or-later
/* The cache's file helpers (cache_internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_internal.h"
#include "dks/sha256.h"

int dks_cache_open_dir(const struct dks_cache *c)
{
	/* The administrator's path (it may be a link to a share); what is
	 * inside it is never followed. */
	return open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int dks_cache_copy_fd(int in, int out, uint64_t limit, char sum[DKS_SHA256_HEX], uint64_t *got)
{
	struct dks_sha256 *h = dks_sha256_new();
	char buf[1 << 16];
	int ret = 0;

	*got = 0;
	if (!h) {
		errno = ENOMEM;
		return -1;
	}
	while (*got <= limit) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -1 : 0;
			break;
		}
		*got += (uint64_t)n;
		if (*got > limit) /* longer than it said: not a byte more written */
			break;
		dks_sha256_add(h, buf, (size_t)n);
		if (write_all(out, buf, (size_t)n) < 0) {
			ret = -1;
			break;
		}
	}
	dks_sha256_final(h, sum);
	return ret;
}

bool dks_cache_is_key(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int dks_cache_move_into(int dfd, const char *name, const char *sub)
{
	char to[256];
	struct timespec ts;

	if (mkdirat(dfd, sub, 0755) < 0 && errno != EEXIST)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(to, sizeof(to), "%s/%.64s.%ld.%ld", sub, name, (long)getpid(), ts.tv_nsec);
	return renameat(dfd, name, dfd, to);
}

void dks_cache_set_aside(int dfd, const char *key)
{
	if (dks_cache_move_into(dfd, key, DKS_CACHE_BAD) < 0 && errno != ENOENT)
		dks_warn("cache entry %.64s: cannot move it to %s/: %s", key, DKS_CACHE_BAD,
			 strerror(errno));
}
