// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writing a tar.gz with libarchive, entry by entry (tarball.h): the file
 * is written under a temporary name beside its destination and renamed
 * into place at the end, so that a killed mktarball leaves no half
 * archive under the name a fleet would load. Host files are opened with
 * O_NOFOLLOW: a link planted in a build or a source is never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/lazylib.h"
#include "tarball.h"

#define TAR_DEPTH_MAX 64

struct dks_tar {
	struct archive *a;
	char *path, *tmp;
	int fd;
	time_t now;
	unsigned left_out; /* links and special files of a tree */
};

static int tar_err(struct dks_tar *t, const char *name, struct dks_error *err)
{
	return dks_err(err, archive_errno(t->a), "%s: '%s': %s", t->path, name,
		       archive_error_string(t->a));
}

void dks_tar_abort(struct dks_tar *t)
{
	if (!t)
		return;
	if (t->a)
		archive_write_free(t->a);
	if (t->fd >= 0)
		close(t->fd);
	if (t->tmp)
		unlink(t->tmp);
	free(t->tmp);
	free(t->path);
	free(t);
}

int dks_tar_open(const char *path, struct dks_tar **out, struct dks_error *err)
{
	struct dks_tar *t;

	*out = NULL;
	if (dks_lazylib_load(err) < 0)
		return -1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return dks_err(err, ENOMEM, "%s", path);
	t->fd = -1;
	if (!(t->path = strdup(path)) || asprintf(&t->tmp, "%s.dks-tmp-XXXXXX", path) < 0) {
		t->tmp = NULL;
		dks_tar_abort(t);
		return dks_err(err, ENOMEM, "%s", path);
	}
	t->now = time(NULL);
	t->fd = mkostemp(t->tmp, O_CLOEXEC);
	if (t->fd < 0 || fchmod(t->fd, 0644) < 0) {
		int e = errno;

		if (t->fd < 0) { /* nothing was made: nothing to unlink */
			free(t->tmp);
			t->tmp = NULL;
		}
		dks_tar_abort(t);
		return dks_err_code(err, DKS_EXIT_NO_WRITE, e, "cannot write next to %s", path);
	}
	t->a = archive_write_new();
	if (!t->a || archive_write_add_filter_gzip(t->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_open_fd(t->a, t->fd) != ARCHIVE_OK) {
		int rc = t->a ? tar_err(t, "", err) : dks_err(err, ENOMEM, "%s", path);

		dks_tar_abort(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* One entry's header, owned by root, at the archive's time. */
static int header(struct dks_tar *t, const char *name, mode_t type, int mode, size_t size,
		  struct dks_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	if (!e)
		return dks_err(err, ENOMEM, "%s", name);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, t->now, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	rc = archive_write_header(t->a, e);
	archive_entry_free(e);
	return rc == ARCHIVE_OK ? 0 : tar_err(t, name, err);
}

int dks_tar_dir(struct dks_tar *t, const char *name, struct dks_error *err)
{
	return header(t, name, AE_IFDIR, 0755, 0, err);
}

int dks_tar_bytes(struct dks_tar *t, const char *name, const void *p, size_t n, int mode,
		  struct dks_error *err)
{
	if (header(t, name, AE_IFREG, mode, n, err) < 0)
		return -1;
	if (n && archive_write_data(t->a, p, n) != (la_ssize_t)n)
		return tar_err(t, name, err);
	return 0;
}

static int copy_fd(struct dks_tar *t, const char *name, int fd, off_t size,
		   struct dks_error *err)
{
	char buf[65536];
	off_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return dks_err(err, n < 0 ? errno : EIO, "%s: changed while being read", name);
		if (n > size - done)
			n = (ssize_t)(size - done);
		if (archive_write_data(t->a, buf, (size_t)n) != n)
			return tar_err(t, name, err);
		done += n;
	}
	return 0;
}

int dks_tar_file(struct dks_tar *t, const char *name, const char *path, struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "%s: not a regular file", path);
	if (header(t, name, AE_IFREG, (st.st_mode & 0111) ? 0755 : 0644, (size_t)st.st_size,
		   err) < 0)
		return -1;
	return copy_fd(t, name, fd, st.st_size, err);
}

static int tree_at(struct dks_tar *t, const char *name, const char *dir, int depth,
		   struct dks_error *err);

static int tree_entry(struct dks_tar *t, const char *name, const char *dir,
		      const struct dirent *d, int depth, struct dks_error *err)
{
	cleanup_free char *n = NULL, *p = NULL;
	struct stat st;

	if (asprintf(&n, "%s/%s", name, d->d_name) < 0 || asprintf(&p, "%s/%s", dir, d->d_name) < 0)
		return dks_err(err, ENOMEM, "%s", dir);
	if (lstat(p, &st) < 0)
		return dks_err(err, errno, "%s", p);
	if (S_ISDIR(st.st_mode))
		return tree_at(t, n, p, depth + 1, err);
	if (S_ISREG(st.st_mode))
		return dks_tar_file(t, n, p, err);
	/* An archive we write never holds a link (ldtarball refuses them). */
	printf("%s: not a regular file or a directory: left out of the archive\n", p);
	t->left_out++;
	return 0;
}

static int tree_at(struct dks_tar *t, const char *name, const char *dir, int depth,
		   struct dks_error *err)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (depth > TAR_DEPTH_MAX)
		return dks_err(err, ELOOP, "%s: deeper than %d directories", dir, TAR_DEPTH_MAX);
	if (dks_tar_dir(t, name, err) < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return dks_err(err, errno, "%s", dir);
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = tree_entry(t, name, dir, e, depth, err);
	closedir(d);
	return rc;
}

unsigned dks_tar_left_out(const struct dks_tar *t)
{
	return t->left_out;
}

int dks_tar_tree(struct dks_tar *t, const char *name, const char *dir, struct dks_error *err)
{
	return tree_at(t, name, dir, 0, err);
}

int dks_tar_commit(struct dks_tar *t, struct dks_error *err)
{
	int rc = 0;

	if (archive_write_close(t->a) != ARCHIVE_OK)
		rc = tar_err(t, "", err);
	else if (fsync(t->fd) < 0)
		rc = dks_err(err, errno, "%s", t->tmp);
	else if (rename(t->tmp, t->path) < 0)
		rc = dks_err(err, errno, "cannot rename %s to %s", t->tmp, t->path);
	else {
		free(t->tmp);
		t->tmp = NULL; /* placed: dks_tar_abort must not unlink it */
	}
	dks_tar_abort(t);
	return rc;
}
