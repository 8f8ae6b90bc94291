/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path helpers the test shims share (faultshim.c, lostshim.c): is a path
 * under one of the test's trees (a ':'-separated prefix list), and the
 * absolute path of a name relative to a directory fd or of an open fd
 * (both through /proc/self/fd). Test code only.
 */
#ifndef DKS_SHIMPATH_H
#define DKS_SHIMPATH_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static inline int shim_under_one(const char *path, const char *p, size_t n)
{
	return n && strncmp(path, p, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* Is @path under a tree of @prefixes (NULL or empty: every path is)? */
static inline int shim_under(const char *prefixes, const char *path)
{
	const char *p = prefixes, *colon;

	if (!p || !*p)
		return 1;
	if (!path)
		return 0;
	for (; p; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		if (shim_under_one(path, p, colon ? (size_t)(colon - p) : strlen(p)))
			return 1;
	}
	return 0;
}

static inline const char *shim_fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

/* The absolute path of @name relative to @dirfd (AT_FDCWD or a dir fd). */
static inline const char *shim_resolve(int dirfd, const char *name, char *buf, size_t size)
{
	char dir[PATH_MAX];

	if (!name || name[0] == '/')
		return name;
	if (dirfd == AT_FDCWD) {
		if (!getcwd(dir, sizeof(dir)))
			return NULL;
	} else if (!shim_fd_path(dirfd, dir, sizeof(dir))) {
		return NULL;
	}
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
		return NULL;
	return buf;
}

#endif
