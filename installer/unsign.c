// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A build dkms made, taken over: dkms signs its modules when it builds
 * them, we sign when we install. dks_unsign_built (installer.h) puts the
 * bytes the kernel build produced back into module/, so that install
 * validates and signs them as any build of ours.
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
#include "dks/fileio.h"
#include "dks/handoff.h"
#include "dks/installer.h"
#include "internal.h"
#include "sigcheck.h"
#include "sign.h"

int dks_module_replace(int dfd, const char *name, const void *buf, size_t len,
		       struct dks_error *err)
{
	char tmp[NAME_MAX + 16];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), ".replace-%.200s", name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return dks_err(err, errno, "cannot create %s", tmp);
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0)
		ret = dks_err(err, errno, "cannot write %s", tmp);
	close(fd);
	if (ret == 0 && renameat(dfd, tmp, dfd, name) < 0)
		ret = dks_err(err, errno, "cannot rename %s", tmp);
	if (ret < 0)
		unlinkat(dfd, tmp, 0);
	return ret < 0 ? -1 : fsync(dfd) == 0 ? 0 : dks_err(err, errno, "fsync");
}

static int unsign_one(int dfd, const char *name, const struct dks_trust *t,
		      struct dks_error *err)
{
	struct dks_error ignored = {0};
	size_t content;
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free void *buf = NULL;
	struct stat st;
	size_t keep;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s", name);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > DKS_MODULE_MAX)
		return 0; /* not a module: install refuses it with its reason */
	buf = malloc((size_t)st.st_size);
	if (!buf || dks_read_full(fd, buf, (size_t)st.st_size) != st.st_size)
		return dks_err(err, errno ? errno : EIO, "%s", name);
	keep = dks_module_unsigned_len(buf, (size_t)st.st_size);
	if (keep && t && dks_sig_verify(t, NULL, buf, (size_t)st.st_size, &content, name,
					&ignored) == 0)
		return 0; /* signed for this host: install checks it again, with the hash */
	return keep ? dks_module_replace(dfd, name, buf, keep, err) : 0;
}

int dks_unsign_built(const char *module_dir, const char *trusted_cert, struct dks_error *err)
{
	struct dks_error ignored = {0};
	struct dks_trust *t = NULL;
	DIR *d = opendir(module_dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return dks_err(err, errno, "%s", module_dir);
	if (trusted_cert && access(trusted_cert, F_OK) == 0 &&
	    dks_trust_load(trusted_cert, &t, &ignored) < 0)
		t = NULL;
	while (ret == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] != '.' && n > 3 && strcmp(de->d_name + n - 3, ".ko") == 0)
			ret = unsign_one(dirfd(d), de->d_name, t, err);
	}
	closedir(d);
	dks_trust_free(t);
	return ret;
}
