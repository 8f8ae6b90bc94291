// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A cache lookup (dks/cache.h). The entry is untrusted: a builder with
 * write access, a damaged share or a hostile consumer's NFS server may
 * have put anything there. So every name is opened beneath the cache dir
 * without following a link (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS),
 * O_NONBLOCK (a FIFO cannot block us), must be a regular file of the size
 * its manifest says and at most DKS_CACHE_FILE_MAX; the key is recomputed
 * from the manifest's inputs; and each file is hashed from the very bytes
 * we copy into the tree (never linked: the entry may change after any
 * check, and what we verified must be what we keep).
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

/* The manifest of the entry at @efd, read whole and parsed. */
static int read_manifest(int efd, const char *what, struct dks_cache_manifest *m,
			 struct dks_error *err)
{
	cleanup_close int fd = dks_open_beneath(efd, DKS_CACHE_MANIFEST);
	cleanup_free char *buf = malloc(DKS_CACHE_MANIFEST_MAX + 1);
	struct stat st;
	ssize_t n;

	if (!buf)
		return dks_err(err, ENOMEM, "%s", what);
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s: its manifest", what);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "%s: its manifest is not a regular file", what);
	n = dks_read_full(fd, buf, DKS_CACHE_MANIFEST_MAX + 1);
	if (n < 0)
		return dks_err(err, errno, "%s: its manifest", what);
	return dks_cache_manifest_parse(buf, (size_t)n, what, m, err);
}

static const struct dks_cache_file *listed(const struct dks_cache_manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return &m->files[i];
	return NULL;
}

/* Nothing in the entry but its manifest and the files it lists. */
static int only_listed(int efd, const char *what, const struct dks_cache_manifest *m,
		       struct dks_error *err)
{
	int fd = dup(efd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	size_t seen = 0;
	struct dirent *e;
	int ret = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return dks_err(err, errno, "%s", what);
	}
	while (ret == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, DKS_CACHE_MANIFEST) == 0)
			continue;
		if (!listed(m, e->d_name) || ++seen > m->n_files)
			ret = dks_err(err, 0, "%s: '%.64s' is not in its manifest", what, e->d_name);
	}
	closedir(d);
	if (ret == 0 && seen != m->n_files)
		ret = dks_err(err, 0, "%s: a file of its manifest is missing", what);
	return ret;
}

/* The .ko names of the entry are exactly @kos. */
static int same_modules(const struct dks_cache_manifest *m, const char *what,
			const char *const *kos, size_t n_kos, struct dks_error *err)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_files; i++)
		n += strcmp(m->files[i].name, DKS_CACHE_LOG) != 0;
	for (size_t i = 0; i < n_kos; i++)
		if (!listed(m, kos[i]))
			return dks_err(err, 0, "%s: no %s in it", what, kos[i]);
	if (n_kos && n != n_kos)
		return dks_err(err, 0, "%s: %zu modules, the build makes %zu", what, n, n_kos);
	return 0;
}

/* Copy @f of the entry into @dst (appending), hashing what is copied. */
static int copy_file(int efd, const struct dks_cache_file *f, int dst, const char *what,
		     struct dks_error *err)
{
	cleanup_close int fd = dks_open_beneath(efd, f->name);
	struct stat st;
	char sum[DKS_SHA256_HEX];
	uint64_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s: %s", what, f->name);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size)
		return dks_err(err, 0, "%s: %s is not a regular file of %llu bytes", what, f->name,
			       (unsigned long long)f->size);
	if (dks_cache_copy_fd(fd, dst, f->size, sum, &got) < 0)
		return dks_err(err, errno, "%s: copying %s", what, f->name);
	if (got != f->size || strcmp(sum, f->sha256) != 0)
		return dks_err(err, 0, "%s: %s does not match its manifest's size and sha256", what,
			       f->name);
	return 0;
}

static int copy_module(int efd, const struct dks_cache_file *f, int mfd, const char *what,
		       struct dks_error *err)
{
	cleanup_close int out = openat(mfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
						       O_CLOEXEC, 0644);

	if (out < 0)
		return dks_err(err, errno, "%s: %s in the tree", what, f->name);
	if (copy_file(efd, f, out, what, err) < 0)
		return -1;
	return fsync(out) < 0 ? dks_err(err, errno, "%s: %s in the tree", what, f->name) : 0;
}

/* Take back a failed copy: the tree as it was before the lookup. */
static void undo(const struct dks_cache_manifest *m, int mfd, int log_fd, off_t log_size)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (strcmp(m->files[i].name, DKS_CACHE_LOG) != 0)
			unlinkat(mfd, m->files[i].name, 0);
	if (ftruncate(log_fd, log_size) < 0)
		dks_warn("the build's log could not be truncated: %s", strerror(errno));
}

static int verify_and_copy(int efd, const char *key, const char *what, const char *module_dir,
			   int log_fd, const char *const *kos, size_t n_kos, struct dks_error *err)
{
	struct dks_cache_manifest m;
	char digest[DKS_SHA256_HEX];
	cleanup_close int mfd = open(module_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	off_t log_size = lseek(log_fd, 0, SEEK_END);
	int ret;

	if (mfd < 0 || log_size < 0)
		return dks_err(err, errno, "%s", module_dir);
	if (read_manifest(efd, what, &m, err) < 0)
		return -1;
	dks_unit_digest(&m.in, digest);
	ret = strcmp(digest, key) != 0
		  ? dks_err(err, 0, "%s: its manifest's inputs give the key %.12s", what, digest)
		  : 0;
	if (ret == 0)
		ret = same_modules(&m, what, kos, n_kos, err);
	if (ret == 0)
		ret = only_listed(efd, what, &m, err);
	for (size_t i = 0; ret == 0 && i < m.n_files; i++)
		ret = strcmp(m.files[i].name, DKS_CACHE_LOG) == 0
			  ? copy_file(efd, &m.files[i], log_fd, what, err)
			  : copy_module(efd, &m.files[i], mfd, what, err);
	if (ret < 0)
		undo(&m, mfd, log_fd, log_size);
	dks_cache_manifest_clear(&m);
	return ret;
}

int dks_cache_lookup(const struct dks_cache *c, const char key[DKS_SHA256_HEX],
		     const char *module_dir, int log_fd, const char *const *kos, size_t n_kos)
{
	cleanup_close int dfd = c->mode == DKS_CACHE_OFF ? -1 : dks_cache_open_dir(c);
	cleanup_close int efd = dfd < 0 ? -1 : dks_open_beneath(dfd, key);
	struct dks_error err = {0};
	char what[PATH_MAX + 80];
	struct stat st;

	if (efd < 0 && (errno == ENOENT || dfd < 0))
		return 0;
	snprintf(what, sizeof(what), "cache entry %s/%s", c->dir, key);
	if (efd < 0 || fstat(efd, &st) < 0)
		dks_err(&err, errno, "%s", what);
	else if (!S_ISDIR(st.st_mode))
		dks_err(&err, 0, "%s: not a directory", what);
	else if (verify_and_copy(efd, key, what, module_dir, log_fd, kos, n_kos, &err) == 0) {
		if (c->mode == DKS_CACHE_RW) /* least recently used: gc's order */
			futimens(efd, NULL);
		return 1;
	}
	dks_warn("%s: ignored", err.msg);
	if (c->mode == DKS_CACHE_RW)
		dks_cache_set_aside(dfd, key);
	return 0;
}
