// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cache gc (dks_cache_gc): least recently used entries first, until the
 * rest fit @max_size. An entry leaves by a rename into .trash/ first, and
 * is deleted there: a reader that opened it before sees it whole (its
 * files stay readable through its fds), one that comes after finds no
 * entry; no reader ever finds half an entry under its key.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_internal.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"

#define TMP_MAX_AGE (24 * 3600) /* a writer's temp dir older than this is dead */

static int by_use(const void *a, const void *b)
{
	const struct dks_cache_entry *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Everything in @sub/ of @dfd, deleted (best effort). */
static void empty_sub(int dfd, const char *sub)
{
	int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			dks_rmtree_at(dirfd(d), e->d_name);
	closedir(d);
}

/* Temp dirs of writers that died (older than a day). */
static void dead_temps(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strncmp(e->d_name, DKS_CACHE_TMP_PREFIX, strlen(DKS_CACHE_TMP_PREFIX)) == 0 &&
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime < now - TMP_MAX_AGE)
			dks_rmtree_at(dfd, e->d_name);
	closedir(d);
}

static int evict(int dfd, struct dks_cache_entry *v, size_t n, uint64_t max_size,
		 size_t *removed, uint64_t *freed, struct dks_error *err)
{
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += v[i].bytes;
	qsort(v, n, sizeof(*v), by_use);
	for (size_t i = 0; i < n && total > max_size; i++) {
		if (dks_cache_move_into(dfd, v[i].key, DKS_CACHE_TRASH) < 0) {
			if (errno == ENOENT)
				continue; /* another gc took it */
			return dks_err(err, errno, "cache gc: moving %s to %s/", v[i].key,
				       DKS_CACHE_TRASH);
		}
		total -= v[i].bytes;
		(*removed)++;
		*freed += v[i].bytes;
	}
	return 0;
}

int dks_cache_gc(const struct dks_cache *c, uint64_t max_size, size_t *removed, uint64_t *freed,
		 struct dks_error *err)
{
	cleanup_free struct dks_cache_entry *v = NULL;
	cleanup_close int dfd = dks_cache_open_dir(c);
	size_t n = 0, r = 0;
	uint64_t f = 0;
	int ret;

	if (dfd < 0)
		return errno == ENOENT ? 0 : dks_err(err, errno, "cache %s", c->dir);
	if (dks_cache_list(c, &v, &n, err) < 0)
		return -1;
	ret = evict(dfd, v, n, max_size, &r, &f, err);
	empty_sub(dfd, DKS_CACHE_TRASH);
	empty_sub(dfd, DKS_CACHE_BAD);
	dead_temps(dfd);
	if (removed)
		*removed = r;
	if (freed)
		*freed = f;
	return ret;
}
