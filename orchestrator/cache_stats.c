// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cache's hit and miss counters: <dir>/.stats, "hits N\nmisses N\n",
 * read and rewritten under flock (NFS v4 and local filesystems lock it;
 * without a lock the count may miss an increment, nothing worse). Read
 * bounded and strictly: a damaged file counts from 0 again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_internal.h"
#include "dks/cleanup.h"

static void parse(int fd, uint64_t *hits, uint64_t *misses)
{
	char buf[128];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	*hits = *misses = 0;
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "hits %" SCNu64 "\nmisses %" SCNu64 "\n", hits, misses) != 2)
		*hits = *misses = 0;
}

static int open_stats(const struct dks_cache *c, int flags)
{
	cleanup_close int dfd = dks_cache_open_dir(c);
	struct stat st;
	int fd;

	if (dfd < 0)
		return -1;
	fd = openat(dfd, DKS_CACHE_STATS, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

void dks_cache_count(const struct dks_cache *c, bool hit)
{
	cleanup_close int fd = c->mode == DKS_CACHE_RW ? open_stats(c, O_RDWR | O_CREAT) : -1;
	uint64_t hits, misses;
	char buf[128];
	int len;

	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return;
	parse(fd, &hits, &misses);
	*(hit ? &hits : &misses) += 1;
	len = snprintf(buf, sizeof(buf), "hits %" PRIu64 "\nmisses %" PRIu64 "\n", hits, misses);
	if (pwrite(fd, buf, (size_t)len, 0) == len)
		(void)!ftruncate(fd, len);
	flock(fd, LOCK_UN);
}

int dks_cache_counters(const struct dks_cache *c, uint64_t *hits, uint64_t *misses)
{
	cleanup_close int fd = open_stats(c, O_RDONLY);

	*hits = *misses = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (flock(fd, LOCK_SH) == 0) {
		parse(fd, hits, misses);
		flock(fd, LOCK_UN);
	}
	return 0;
}
