// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whose are the framework files (framework.h)? dkms sources them as root,
 * so a framework file someone else can change is a way into root: here it
 * would steer root's writes (a tree, a key) and post_transaction runs as
 * root. A file is trusted when it, and every directory above it (as named
 * and as resolved), is root's and writable by no one else; a sticky
 * directory (/tmp) is allowed, since there only an entry's owner may rename
 * or remove it. Reads metadata only.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "framework.h"
#include "dks/cleanup.h"

static bool trusted_stat(const struct stat *st)
{
	bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);

	return st->st_uid == 0 && (sticky_dir || !(st->st_mode & (S_IWGRP | S_IWOTH)));
}

/* @path (not followed) and every directory above it (followed): the first
 * one that is not trusted, in @buf, or NULL. */
static const char *untrusted_in_chain(const char *path, char *buf, size_t size)
{
	struct stat st;
	char *slash;

	snprintf(buf, size, "%s", path);
	if (lstat(buf, &st) < 0 || !trusted_stat(&st))
		return buf;
	while ((slash = strrchr(buf, '/'))) {
		slash[slash == buf] = '\0';
		if (stat(buf, &st) < 0 || !trusted_stat(&st))
			return buf;
		if (slash == buf)
			break;
	}
	return NULL;
}

const char *dks_framework_untrusted(const struct dks_framework *fw, char *buf, size_t size)
{
	for (size_t i = 0; i < fw->n_files; i++) {
		cleanup_free char *real = realpath(fw->files[i], NULL);

		if (fw->files[i][0] != '/' || !real) {
			snprintf(buf, size, "%s", fw->files[i]);
			return buf;
		}
		if (untrusted_in_chain(fw->files[i], buf, size) ||
		    untrusted_in_chain(real, buf, size))
			return buf;
	}
	return NULL;
}
