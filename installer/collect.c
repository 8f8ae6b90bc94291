// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Collecting the built modules: the privileged side reading a directory
 * that the (untrusted) build controlled. Every .ko is opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 * below the build directory's fd, must be a regular file with one link
 * and at most DKS_MODULE_MAX bytes, and is copied byte by byte into a
 * fresh file: a symlink or hardlink planted to /etc/shadow yields an
 * error, never the file. The installer validates the copy later.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/exit.h"
#include "dks/handoff.h"
#include "dks/installer.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"

static int copy_fd(int in, int out, off_t size)
{
	char buf[65536];
	off_t done = 0;

	while (done < size) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || done + n > size)
			return -1; /* changed under us: refuse */
		if (write(out, buf, (size_t)n) != n)
			return -1;
		done += n;
	}
	return fsync(out);
}

/* Open and vet one built module; its fd, or -1 with @err filled. */
static int open_module(int dirfd, const char *rel, const char *what, off_t *size,
		       struct dks_error *err)
{
	cleanup_close int fd = dks_open_beneath(dirfd, rel);
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return dks_err_code(err, DKS_EXIT_MODULE_MISSING, 0, "%s: built module %s is missing",
				    what, rel);
	if (fd < 0)
		return dks_err_code(err, DKS_EXIT_MODULE_MISSING, errno,
				    "%s: refusing %s (a link, or outside the build directory)", what, rel);
	if (fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s: %s", what, rel);
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		return dks_err_code(err, DKS_EXIT_MODULE_MISSING, 0,
				    "%s: refusing %s: not a regular file with exactly one link", what,
				    rel);
	if (st.st_size <= 0 || st.st_size > DKS_MODULE_MAX)
		return dks_err_code(err, DKS_EXIT_MODULE_MISSING, 0,
				    "%s: refusing %s: %lld bytes", what, rel, (long long)st.st_size);
	*size = st.st_size;
	return steal_fd(&fd);
}

static int module_path(char *buf, size_t size, const struct dks_collect_item *m)
{
	const char *loc = m->built_location ? m->built_location : "";
	int n;

	while (loc[0] == '.' && loc[1] == '/')
		loc += 2;
	if (strcmp(loc, ".") == 0)
		loc = "";
	n = snprintf(buf, size, "%s%s%s.ko", loc, *loc && loc[strlen(loc) - 1] != '/' ? "/" : "",
		     m->built_name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int collect_one(int dirfd, const struct dks_collect_item *m, const char *what,
		       const char *module_dir, struct dks_error *err)
{
	char rel[PATH_MAX], dst[PATH_MAX];
	cleanup_close int in = -1, out = -1;
	off_t size = 0;

	if (module_path(rel, sizeof(rel), m) < 0 ||
	    snprintf(dst, sizeof(dst), "%s/%s.ko", module_dir, m->dest_name) >= (int)sizeof(dst))
		return dks_err(err, ENAMETOOLONG, "%s: %s", what, m->built_name);
	in = open_module(dirfd, rel, what, &size, err);
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return dks_err(err, errno, "%s: %s", what, dst);
	if (copy_fd(in, out, size) < 0)
		return dks_err(err, errno, "%s: cannot copy %s", what, rel);
	return 0;
}

int dks_collect(int build_dirfd, const struct dks_collect_item *items, size_t n,
		const char *module_dir, const char *what, struct dks_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (collect_one(build_dirfd, &items[i], what, module_dir, err) < 0)
			return -1;
	return 0;
}
