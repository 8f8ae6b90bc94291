// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The entries of a cache (dks_cache_list): what gc and stats count. Only
 * names that are keys and directories (never followed) are entries; their
 * size is the sum of the regular files in them, their last use the dir's
 * mtime (an insert makes it, a hit in read-write mode touches it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_internal.h"
#include "dks/cleanup.h"

static uint64_t entry_bytes(int dfd, const char *key)
{
	int fd = openat(dfd, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	uint64_t bytes = 0;
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			bytes += (uint64_t)st.st_size;
	closedir(d);
	return bytes;
}

static int push(struct dks_cache_entry **v, size_t *n, size_t *cap, const char *key,
		const struct stat *st, uint64_t bytes)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct dks_cache_entry *nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	memcpy((*v)[*n].key, key, DKS_SHA256_HEX);
	(*v)[*n].bytes = bytes;
	(*v)[(*n)++].used = st->st_mtim;
	return 0;
}

int dks_cache_list(const struct dks_cache *c, struct dks_cache_entry **out, size_t *n,
		   struct dks_error *err)
{
	int fd = dks_cache_open_dir(c);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	size_t cap = 0;
	struct dirent *e;
	struct stat st;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? 0 : dks_err(err, errno, "cache %s", c->dir);
	}
	while (ret == 0 && (e = readdir(d)))
		if (dks_cache_is_key(e->d_name) &&
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) &&
		    push(out, n, &cap, e->d_name, &st, entry_bytes(dirfd(d), e->d_name)) < 0)
			ret = dks_err(err, ENOMEM, "cache %s", c->dir);
	closedir(d);
	return ret;
}
