// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight's memory of failures (preflight.h): one small record per
 * build unit that failed, <dkmstree>/<m>/<v>/<kver>/<arch>/preflight-failed,
 * holding the unit's digest (identity.h: source, spec, kernel, toolchain,
 * profile) and the failure's exit code. It is tree state: written to a
 * temporary name, synced and renamed over (a crash leaves the old record
 * or the new one); read strictly (a damaged record is one warning and is
 * ignored: the module is built again, never held back on a guess).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/treename.h"
#include "preflight.h"

#define RECORD_NAME  "preflight-failed"
#define RECORD_MAGIC "dkms-sandbox preflight-failed 1\n"
#define RECORD_MAX   256

/* The unit's directory, its names checked (they come from the tree). */
static int unit_dir(const struct dks_tree *t, const struct dks_pf_unit *u, char *dir, size_t size,
		    struct dks_error *err)
{
	if (dks_tree_check_name("module", u->module, err) < 0 ||
	    dks_tree_check_name("version", u->version, err) < 0 ||
	    dks_tree_check_name("kernel", u->kver, err) < 0 ||
	    dks_tree_check_name("arch", u->arch, err) < 0)
		return -1;
	if ((size_t)snprintf(dir, size, "%s/%s/%s/%s/%s", t->dkms_tree, u->module, u->version,
			     u->kver, u->arch) >= size)
		return dks_err(err, ENAMETOOLONG, "%s", t->dkms_tree);
	return 0;
}

static bool is_hex64(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == DKS_SHA256_HEX - 1 && s[n] == '\n';
}

/* The record's text: magic, "unit HEX", "code N". */
static int parse_record(const char *buf, char unit[DKS_SHA256_HEX], int *code)
{
	const char *p = buf + sizeof(RECORD_MAGIC) - 1, *c;
	char *end;
	long v;

	if (strncmp(buf, RECORD_MAGIC, sizeof(RECORD_MAGIC) - 1) != 0)
		return -1;
	if (strncmp(p, "unit ", 5) != 0 || !is_hex64(p + 5))
		return -1;
	memcpy(unit, p + 5, DKS_SHA256_HEX - 1);
	unit[DKS_SHA256_HEX - 1] = '\0';
	c = p + 5 + DKS_SHA256_HEX;
	if (strncmp(c, "code ", 5) != 0 || c[5] < '1' || c[5] > '9')
		return -1;
	errno = 0;
	v = strtol(c + 5, &end, 10);
	if (errno || v < 1 || v > 255 || strcmp(end, "\n") != 0)
		return -1;
	*code = (int)v;
	return 0;
}

int dks_pf_memory_read(const struct dks_tree *t, const struct dks_pf_unit *u,
		       char unit[DKS_SHA256_HEX], int *code)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], buf[RECORD_MAX + 1];
	cleanup_close int fd = -1;
	struct stat st;
	ssize_t n;

	if (unit_dir(t, u, dir, sizeof(dir), NULL) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/" RECORD_NAME, dir);
	/* O_NOFOLLOW, O_NONBLOCK: a planted link or FIFO is not a record. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_MAX ||
	    (n = dks_read_full(fd, buf, RECORD_MAX)) < 0) {
		dks_warn("%s: not a readable failure record (ignored: the module is built again)",
			 path);
		return 0;
	}
	buf[n] = '\0';
	if ((size_t)n != strlen(buf) || parse_record(buf, unit, code) < 0) {
		dks_warn("%s: a damaged failure record (ignored: the module is built again)", path);
		return 0;
	}
	return 1;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int dks_pf_memory_write(const struct dks_tree *t, const struct dks_pf_unit *u, const char *unit,
			int code, struct dks_error *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32], path[PATH_MAX + 32], text[RECORD_MAX];
	cleanup_close int fd = -1, dfd = -1;
	int len;

	if (unit_dir(t, u, dir, sizeof(dir), err) < 0)
		return -1;
	len = snprintf(text, sizeof(text), RECORD_MAGIC "unit %s\ncode %d\n", unit, code);
	snprintf(tmp, sizeof(tmp), "%s/." RECORD_NAME ".%ld", dir, (long)getpid());
	snprintf(path, sizeof(path), "%s/" RECORD_NAME, dir);
	if (dks_mkdir_p(dir) < 0)
		return dks_err(err, errno, "failure record %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, text, (size_t)len) < 0 || fsync(fd) < 0) {
		int e = errno;

		unlink(tmp);
		return dks_err(err, e, "failure record %s", path);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return dks_err(err, e, "failure record %s", path);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

void dks_pf_memory_forget(const struct dks_tree *t, const struct dks_pf_unit *u)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];

	if (unit_dir(t, u, dir, sizeof(dir), NULL) < 0)
		return;
	snprintf(path, sizeof(path), "%s/" RECORD_NAME, dir);
	if (unlink(path) < 0 && errno != ENOENT)
		dks_warn("cannot remove the failure record %s: %s", path, strerror(errno));
}
