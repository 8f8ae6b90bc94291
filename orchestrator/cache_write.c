// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A cache insert (dks/cache.h). Several builders may write one shared
 * directory at once, and a writer may die at any instant: the entry is
 * written in a private temp dir inside the cache (same filesystem), every
 * file and the dir fsynced, then renamed to its key in one rename. A
 * rename onto a directory that exists and is not empty fails (POSIX, NFS
 * included): the first writer's entry stays, a later one discards its
 * copy. Readers therefore see an entry whole or not at all; a temp dir
 * left by a dead writer is never read (its name is not a key) and gc
 * removes it after a day.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_internal.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct dks_cache_file *)a)->name,
		      ((const struct dks_cache_file *)b)->name);
}

/* Copy @src (a regular file, not a link) to @name in @tfd, fsynced, into @f. */
static int put_file(const char *src, int tfd, const char *name, struct dks_cache_file *f,
		    struct dks_error *err)
{
	cleanup_close int in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	cleanup_close int out = -1;
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0)
		return dks_err(err, errno, "cache: %s", src);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > DKS_CACHE_FILE_MAX)
		return dks_err(err, 0, "cache: %s is not a regular file of at most %llu bytes", src,
			       DKS_CACHE_FILE_MAX);
	out = openat(tfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0 || dks_cache_copy_fd(in, out, DKS_CACHE_FILE_MAX, f->sha256, &f->size) < 0 ||
	    f->size > DKS_CACHE_FILE_MAX || fsync(out) < 0)
		return dks_err(err, errno ? errno : EFBIG, "cache: copying %s", src);
	snprintf(f->name, sizeof(f->name), "%s", name);
	return 0;
}

/* Every .ko of @module_dir into @tfd. */
static int put_modules(const char *module_dir, int tfd, struct dks_cache_manifest *m,
		       struct dks_error *err)
{
	DIR *d = opendir(module_dir);
	struct dirent *e;
	char src[PATH_MAX];
	int ret = 0;

	if (!d)
		return dks_err(err, errno, "cache: %s", module_dir);
	while (ret == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!dks_cache_name_ok(e->d_name) || strcmp(e->d_name, DKS_CACHE_LOG) == 0 ||
		    m->n_files + 1 >= DKS_CACHE_FILES_MAX) {
			ret = dks_err(err, 0, "cache: %s/%.64s: not a name (or one too many) an "
					      "entry holds", module_dir, e->d_name);
			break;
		}
		snprintf(src, sizeof(src), "%s/%s", module_dir, e->d_name);
		ret = put_file(src, tfd, e->d_name, &m->files[m->n_files], err);
		m->n_files += ret == 0;
	}
	closedir(d);
	return ret;
}

static int put_manifest(int tfd, struct dks_cache_manifest *m, struct dks_error *err)
{
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;

	qsort(m->files, m->n_files, sizeof(m->files[0]), cmp_file);
	text = dks_cache_manifest_format(m);
	if (!text)
		return dks_err(err, 0, "cache: the unit's inputs cannot be written in a manifest");
	fd = openat(tfd, DKS_CACHE_MANIFEST, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0 ||
	    fsync(tfd) < 0)
		return dks_err(err, errno, "cache: writing a manifest");
	return 0;
}

/* The entry in the temp dir @tmp (of @dfd), then renamed to @key. */
static int write_entry(int dfd, const char *tmp, const char *key, const struct dks_unit_inputs *in,
		       const char *module_dir, const char *log, struct dks_error *err)
{
	cleanup_close int tfd = openat(dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dks_cache_manifest m = {.in = *in};

	if (tfd < 0)
		return dks_err(err, errno, "cache: %s", tmp);
	if (fchmod(tfd, 0755) < 0 || put_modules(module_dir, tfd, &m, err) < 0 ||
	    put_file(log, tfd, DKS_CACHE_LOG, &m.files[m.n_files++], err) < 0 ||
	    put_manifest(tfd, &m, err) < 0)
		return -1;
	if (renameat(dfd, tmp, dfd, key) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			return 1; /* another writer's entry is there: ours goes */
		return dks_err(err, errno, "cache: renaming %s to %s", tmp, key);
	}
	return fsync(dfd) < 0 ? dks_err(err, errno, "cache: %s", key) : 0;
}

static int cache_dir_made(const struct dks_cache *c, struct dks_error *err)
{
	if (c->dir_optional)
		return 0; /* the default dir is used only where it exists */
	if (dks_mkdir_p(c->dir) < 0)
		return dks_err(err, errno, "cache: %s", c->dir);
	return 0;
}

int dks_cache_insert(const struct dks_cache *c, const struct dks_unit_inputs *in,
		     const char *module_dir, const char *log, struct dks_error *err)
{
	char key[DKS_SHA256_HEX], path[PATH_MAX];
	cleanup_close int dfd = -1;
	const char *tmp;
	struct stat st;
	int ret;

	if (c->mode != DKS_CACHE_RW || cache_dir_made(c, err) < 0)
		return c->mode != DKS_CACHE_RW ? 0 : -1;
	dfd = dks_cache_open_dir(c);
	if (dfd < 0)
		return c->dir_optional && errno == ENOENT ? 0 : dks_err(err, errno, "cache: %s", c->dir);
	dks_unit_digest(in, key);
	if (fstatat(dfd, key, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0; /* there already (a bad one is set aside by its next reader) */
	snprintf(path, sizeof(path), "%s/" DKS_CACHE_TMP_PREFIX "%.12s-XXXXXX", c->dir, key);
	if (!mkdtemp(path))
		return dks_err(err, errno, "cache: a temp dir in %s", c->dir);
	tmp = strrchr(path, '/') + 1;
	ret = write_entry(dfd, tmp, key, in, module_dir, log, err);
	if (ret != 0)
		dks_rmtree_at(dfd, tmp);
	if (ret < 0)
		return -1;
	if (c->max_size)
		return dks_cache_gc(c, c->max_size, NULL, NULL, err);
	return 0;
}
