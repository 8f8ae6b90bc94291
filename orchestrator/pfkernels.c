// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which kernels preflight prepares (preflight.h): the one the machine
 * boots next, and every kernel of the install tree newer than the running
 * one (a kernel package unpacked but not booted yet). The running kernel
 * is read where host_root says (tests give their own), else uname.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/spec.h"
#include "dks/treename.h"
#include "preflight.h"

#define INSTALLED_MAX 4096

static char *running_release(const struct dks_config *cfg)
{
	char path[PATH_MAX], buf[DKS_TREE_NAME_MAX + 2];
	cleanup_close int fd = -1;
	struct utsname u;
	ssize_t n = -1;

	snprintf(path, sizeof(path), "%s/proc/sys/kernel/osrelease",
		 cfg->host_root ? cfg->host_root : "");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		n = dks_read_full(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (dks_tree_check_name("kernel", buf, NULL) == 0)
			return strdup(buf);
	}
	return uname(&u) == 0 ? strdup(u.release) : NULL;
}

static int by_version(const void *a, const void *b)
{
	return dks_version_cmp(*(char *const *)a, *(char *const *)b);
}

static bool is_kernel_dir(DIR *d, const char *name)
{
	struct stat st;

	return name[0] != '.' && dks_tree_check_name("kernel", name, NULL) == 0 &&
	       fstatat(dirfd(d), name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* The kernels of the install tree (a directory with a kernel's name),
 * oldest first. */
static int installed(const char *tree, char ***out, size_t *n, struct dks_error *err)
{
	DIR *d = opendir(tree);
	struct dirent *e;

	*out = calloc(INSTALLED_MAX + 1, sizeof(**out));
	*n = 0;
	if (!*out || (!d && errno != ENOENT)) {
		if (d)
			closedir(d);
		return dks_err(err, *out ? errno : ENOMEM, "install tree %s", tree);
	}
	while (d && (e = readdir(d)) && *n < INSTALLED_MAX)
		if (is_kernel_dir(d, e->d_name) && ((*out)[*n] = strdup(e->d_name)))
			(*n)++;
	if (d)
		closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), by_version);
	return 0;
}

static int push(struct dks_pf_kernel **k, size_t *n, const char *kver, bool next, bool newer)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*k)[i].kver, kver) == 0) {
			(*k)[i].newer |= newer;
			return 0;
		}
	(*k)[*n] = (struct dks_pf_kernel){.kver = strdup(kver), .next_boot = next, .newer = newer};
	return (*k)[(*n)++].kver ? 0 : -1;
}

int dks_pf_kernels(const struct dks_config *cfg, struct dks_boot_next *boot, char **running,
		   struct dks_pf_kernel **out, size_t *n, struct dks_error *err)
{
	char **inst = NULL;
	size_t ni = 0;
	int r = -1;

	*out = NULL;
	*n = 0;
	*running = running_release(cfg);
	if (!*running || installed(cfg->install_tree, &inst, &ni, err) < 0)
		goto done;
	if (dks_boot_next(cfg->boot_root ? cfg->boot_root : "/", inst, ni, boot, err) < 0)
		goto done;
	*out = calloc(ni + 2, sizeof(**out));
	if (!*out || (boot->kver && push(out, n, boot->kver, true,
					 dks_version_cmp(boot->kver, *running) > 0) < 0))
		goto done;
	for (size_t i = 0; i < ni; i++)
		if (dks_version_cmp(inst[i], *running) > 0 &&
		    push(out, n, inst[i], false, true) < 0)
			goto done;
	r = 0;
done:
	for (size_t i = 0; inst && i < ni; i++)
		free(inst[i]);
	free(inst);
	if (r < 0 && !err->msg[0])
		dks_err(err, ENOMEM, "preflight's kernels");
	return r;
}

void dks_pf_kernels_free(struct dks_pf_kernel *k, size_t n)
{
	for (size_t i = 0; k && i < n; i++)
		free(k[i].kver);
	free(k);
}
