// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dks_dpkg_owners, remembered (dpkg_db.h): the owners of the tree's
 * dkms.conf files, kept in <dkmstree>/.dpkg-owners with the identity of
 * ADMINDIR/info (device, inode, mtime and ctime to the nanosecond) they
 * were read under. dpkg writes every list as a new file renamed into
 * info/, so a package installed or removed changes that directory's times:
 * the memo is then stale and the lists are read again. A memo that is
 * missing, damaged, too big, not a regular file, for another database, or
 * silent on one of the paths asked is a miss, never an error; writing it
 * is best-effort (temp file + rename: a reader sees the old or the new).
 *
 *   dks-dpkg-owners 1 ADMINDIR DEV INO MTIME CTIME\n
 *   PATH\tPACKAGE\n   (one per owner; "-" for a path no package ships)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "orchestrator/dpkg_db.h"

#define MEMO_MAX (1024 * 1024)

/* The first line a memo for @admindir as it is now must have. */
static char *memo_key(const char *admindir)
{
	cleanup_free char *info = NULL;
	struct stat st;
	char *key = NULL;

	if (asprintf(&info, "%s/info", admindir) < 0 || stat(info, &st) < 0 ||
	    strpbrk(admindir, "\t\n"))
		return NULL;
	if (asprintf(&key, "dks-dpkg-owners 1 %s %ju %ju %lld.%09ld %lld.%09ld\n", admindir,
		     (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (long long)st.st_mtim.tv_sec,
		     st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec) < 0)
		return NULL;
	return key;
}

/* The memo's bytes, NUL-terminated, or NULL. */
static char *memo_read(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MEMO_MAX)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? read(fd, buf, (size_t)st.st_size + 1) : -1;
	if (n < 0 || n != st.st_size) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* @path's lines in @body onto @out (index @i); false when it has none. */
static bool memo_path(const char *body, const char *path, size_t i, struct strv *out)
{
	size_t len = strlen(path);
	bool seen = false;
	char idx[32];

	snprintf(idx, sizeof(idx), "%zu", i);
	for (const char *l = body; *l; l = strchr(l, '\n') + 1) {
		const char *end = strchr(l, '\n'), *pkg = l + len + 1;
		char name[160];

		if (!end)
			return false; /* cut short */
		if ((size_t)(end - l) <= len + 1 || strncmp(l, path, len) != 0 || l[len] != '\t' ||
		    (size_t)(end - pkg) >= sizeof(name))
			continue;
		memcpy(name, pkg, (size_t)(end - pkg));
		name[end - pkg] = '\0';
		seen = true;
		if (strcmp(name, "-") != 0 && dks_dpkg_name_ok(name) &&
		    (strv_push(out, idx) < 0 || strv_push(out, name) < 0))
			return false;
	}
	return seen;
}

/* Every one of @paths answered by the memo at @memo for @key? */
static bool memo_lookup(const char *memo, const char *key, const struct strv *paths,
			struct strv *out)
{
	cleanup_free char *buf = memo_read(memo);
	size_t klen = strlen(key);

	if (!buf || strncmp(buf, key, klen) != 0)
		return false;
	for (size_t i = 0; i < paths->n; i++)
		if (!memo_path(buf + klen, paths->v[i], i, out)) {
			strv_free(out);
			return false;
		}
	return true;
}

static void memo_write(const char *memo, const char *key, const struct strv *paths,
		       const struct strv *owners)
{
	cleanup_free char *tmp = NULL;
	FILE *f;
	int fd;

	for (size_t i = 0; i < paths->n; i++)
		if (strpbrk(paths->v[i], "\t\n"))
			return;
	if (asprintf(&tmp, "%s.%ld-XXXXXX", memo, (long)getpid()) < 0 ||
	    (fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	fputs(key, f);
	for (size_t i = 0; i < paths->n; i++) {
		bool any = false;

		for (size_t j = 0; j + 1 < owners->n; j += 2)
			if (strtoul(owners->v[j], NULL, 10) == i) {
				fprintf(f, "%s\t%s\n", paths->v[i], owners->v[j + 1]);
				any = true;
			}
		if (!any)
			fprintf(f, "%s\t-\n", paths->v[i]);
	}
	if (fchmod(fileno(f), 0644) < 0 || ferror(f) | fclose(f) || rename(tmp, memo) < 0)
		unlink(tmp);
}

int dks_dpkg_owners_memo(const char *memo, const char *admindir, const struct strv *paths,
			 struct strv *out, struct dks_error *err)
{
	cleanup_free char *key = paths->n ? memo_key(admindir) : NULL;

	if (key && memo_lookup(memo, key, paths, out))
		return 0;
	if (dks_dpkg_owners(admindir, paths, out, err) < 0)
		return -1;
	if (key)
		memo_write(memo, key, paths, out);
	return 0;
}
