// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The source tree's digest (dks/identity.h). Records, each field ending
 * in NUL: "d" path; "f" path x|- sha256; "l" path target. Paths are
 * relative to the top. Walked through fds opened beneath their parent
 * with O_NOFOLLOW, so a link is hashed as a link and never entered.
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

#include "dks/cleanup.h"
#include "dks/identity.h"
#include "dks/strv.h"

#define SRC_DEPTH_MAX 64

struct walk {
	struct dks_sha256 *h;
	const char *top;
	char path[PATH_MAX];
	struct dks_error *err;
};

static int walk_dir(struct walk *w, int dfd, size_t len, int depth);

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of @dfd but . and .., sorted, NULL-terminated; NULL on
 * failure (errno). */
static char **dir_names(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct strv v = {0};
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d);
	errno = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strv_push(&v, e->d_name) < 0)
			break;
		errno = 0;
	}
	int saved = errno;

	closedir(d);
	if (saved) {
		strv_free(&v);
		errno = saved;
		return NULL;
	}
	if (!v.v)
		return calloc(1, sizeof(char *));
	qsort(v.v, v.n, sizeof(*v.v), cmp_names);
	return v.v;
}

static int hash_file(struct walk *w, int dfd, const char *name, const struct stat *st)
{
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	char hex[DKS_SHA256_HEX];

	if (fd < 0 || dks_sha256_fd(fd, hex) < 0)
		return dks_err(w->err, errno, "%s/%s: cannot read it", w->top, w->path);
	dks_sha256_str(w->h, "f");
	dks_sha256_str(w->h, w->path);
	dks_sha256_str(w->h, (st->st_mode & 0111) ? "x" : "-");
	dks_sha256_str(w->h, hex);
	return 0;
}

static int hash_link(struct walk *w, int dfd, const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

	if (n < 0)
		return dks_err(w->err, errno, "%s/%s: cannot read the link", w->top, w->path);
	target[n] = '\0';
	dks_sha256_str(w->h, "l");
	dks_sha256_str(w->h, w->path);
	dks_sha256_str(w->h, target);
	return 0;
}

static int hash_entry(struct walk *w, int dfd, const char *name, size_t len, int depth)
{
	struct stat st;
	size_t n = strlen(name);

	if (len + n + 2 > sizeof(w->path))
		return dks_err(w->err, ENAMETOOLONG, "%s/%s/%s: path too long", w->top, w->path, name);
	snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len ? "/" : "", name);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return dks_err(w->err, errno, "%s/%s", w->top, w->path);
	if (S_ISREG(st.st_mode))
		return hash_file(w, dfd, name, &st);
	if (S_ISLNK(st.st_mode))
		return hash_link(w, dfd, name);
	if (!S_ISDIR(st.st_mode))
		return dks_err(w->err, 0, "%s/%s: not a file, a directory or a link", w->top,
			       w->path);
	cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return dks_err(w->err, errno, "%s/%s", w->top, w->path);
	dks_sha256_str(w->h, "d");
	dks_sha256_str(w->h, w->path);
	return walk_dir(w, sub, strlen(w->path), depth + 1);
}

static int walk_dir(struct walk *w, int dfd, size_t len, int depth)
{
	cleanup_strv char **names = NULL;

	if (depth > SRC_DEPTH_MAX)
		return dks_err(w->err, ELOOP, "%s/%s: more than %d directory levels", w->top,
			       w->path, SRC_DEPTH_MAX);
	names = dir_names(dfd);
	if (!names)
		return dks_err(w->err, errno ? errno : ENOMEM, "%s/%s: cannot list it", w->top,
			       w->path);
	for (char **p = names; *p; p++) {
		if (hash_entry(w, dfd, *p, len, depth) < 0)
			return -1;
		w->path[len] = '\0';
	}
	return 0;
}

int dks_source_digest(const char *dir, char out[DKS_SHA256_HEX], struct dks_error *err)
{
	struct walk w = {.top = dir, .err = err};
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	out[0] = '\0';
	if (fd < 0)
		return dks_err(err, errno, "%s: cannot open the source", dir);
	w.h = dks_sha256_new();
	if (!w.h)
		return dks_err(err, ENOMEM, "%s: sha256", dir);
	dks_sha256_str(w.h, "dks-source 1");
	rc = walk_dir(&w, fd, 0, 0);
	if (rc < 0) {
		dks_sha256_free(w.h);
		return -1;
	}
	if (dks_sha256_final(w.h, out) < 0)
		return dks_err(err, ENOMEM, "%s: sha256", dir);
	return 0;
}
