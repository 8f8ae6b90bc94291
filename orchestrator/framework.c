// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms's framework.conf (framework.h): which files, whether anything needs
 * evaluating at all, and what the values mean here.
 *
 * The values come out of a sandbox where the files' shell ran, and a
 * framework.conf.d drop-in may come from any package: so each value is
 * checked as configuration before it is used, exactly as the YAML
 * configuration's (a tree is an absolute path, parallel_jobs a bounded
 * number, a key file an absolute path), and a bad one stops the command
 * with one line naming the file and key. The table in docs/framework.md
 * says what each key does here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "framework.h"
#include "dks/cleanup.h"

/* A framework file is a few lines: a bigger one is not read. */
#define FRAMEWORK_MAX_SIZE (64 * 1024)

static int add_file(struct dks_framework *fw, const char *path, struct dks_error *err)
{
	struct stat st;

	/* dkms: [[ -e ]]; a directory or a FIFO is nothing to source. */
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (fw->n_files >= DKS_FRAMEWORK_MAX_FILES)
		return dks_err(err, 0, "%s: more than %d framework files", path,
			       DKS_FRAMEWORK_MAX_FILES);
	fw->files[fw->n_files] = strdup(path);
	if (!fw->files[fw->n_files])
		return dks_err(err, ENOMEM, "%s", path);
	fw->n_files++;
	return 0;
}

static bool is_conf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && d->d_name[0] != '.' && strcmp(d->d_name + n - 5, ".conf") == 0;
}

static int conf_filter(const struct dirent *d)
{
	return is_conf(d);
}

/* <path>.d/ *.conf in byte order, as bash's glob in the C locale. */
static int list_dropins(const char *path, struct dks_framework *fw, struct dks_error *err)
{
	char dir[PATH_MAX], file[PATH_MAX + NAME_MAX + 2];
	struct dirent **names = NULL;
	int n, rc = 0;

	if ((size_t)snprintf(dir, sizeof(dir), "%s.d", path) >= sizeof(dir))
		return dks_err(err, ENAMETOOLONG, "%s", path);
	n = scandir(dir, &names, conf_filter, alphasort);
	if (n < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : dks_err(err, errno, "%s", dir);
	for (int i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, names[i]->d_name);
		if (rc == 0)
			rc = add_file(fw, file, err);
		free(names[i]);
	}
	free(names);
	return rc;
}

int dks_framework_list(const char *path, struct dks_framework *fw, struct dks_error *err)
{
	if (add_file(fw, path, err) < 0)
		return -1;
	return list_dropins(path, fw, err);
}

/* Debian's framework.conf is all comments: then nothing is set, and no
 * sandbox need start (status stays a reader of the tree). */
static int only_comments(const char *path, bool *yes, struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	char buf[FRAMEWORK_MAX_SIZE + 1];
	bool line_start = true, comment = false;
	ssize_t n;

	if (fd < 0)
		return dks_err(err, errno, "cannot read %s", path);
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return dks_err(err, errno, "cannot read %s", path);
	if (n > FRAMEWORK_MAX_SIZE)
		return dks_err(err, EFBIG, "%s", path);
	*yes = true;
	for (ssize_t i = 0; i < n && *yes; i++) {
		char c = buf[i];

		if (c == '\n')
			line_start = true, comment = false;
		else if (comment || ((c == ' ' || c == '\t' || c == '\r') && line_start))
			continue;
		else if (c == '#' && line_start)
			comment = true;
		else
			*yes = false;
	}
	return 0;
}

int dks_framework_find(const char *path, struct dks_framework *fw, bool *needed,
		       struct dks_error *err)
{
	bool quiet = true;

	if (dks_framework_list(path, fw, err) < 0)
		return -1;
	for (size_t i = 0; i < fw->n_files && quiet; i++)
		if (only_comments(fw->files[i], &quiet, err) < 0)
			return -1;
	*needed = !quiet;
	return 0;
}

const char *dks_framework_get(const struct dks_framework *fw, enum dks_fw_key key)
{
	return fw->val[key] && *fw->val[key] ? fw->val[key] : NULL;
}

void dks_framework_clear(struct dks_framework *fw)
{
	for (size_t i = 0; i < fw->n_files; i++)
		free(fw->files[i]);
	for (int k = 0; k < DKS_FW_N; k++)
		free(fw->val[k]);
	memset(fw, 0, sizeof(*fw));
}
