// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * depmod for one kernel, run by the privileged installer (internal.h).
 *
 * It runs as root, so nothing of the caller chooses what runs or how:
 * depmod is found at fixed absolute paths (never through $PATH, which a
 * sudo caller or a kernel hook may hand us), must be a root-owned file
 * that only root can write, and gets an environment of our own (no
 * LD_PRELOAD, no locale or kmod variables of the caller's). stdin is
 * /dev/null; stdout and stderr stay the caller's (depmod's warnings are
 * for the administrator).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static const char *const depmod_paths[] = {"/usr/sbin/depmod", "/sbin/depmod", "/usr/bin/depmod",
					   "/bin/depmod"};

static char *const clean_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};

/* The first of depmod_paths that is a root-owned executable nobody else
 * may write, or NULL. stat follows links (/sbin -> usr/sbin on merged
 * /usr): the file reached is what is checked. */
static const char *find_depmod(void)
{
	struct stat st;

	for (size_t i = 0; i < sizeof(depmod_paths) / sizeof(depmod_paths[0]); i++) {
		if (stat(depmod_paths[i], &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH)) && (st.st_mode & S_IXUSR))
			return depmod_paths[i];
	}
	return NULL;
}

/* fork + execve; the wait status, or -1. */
static int run(const char *path, char *const argv[])
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0)
			_exit(127);
		execve(path, argv, clean_env);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pid < 0 ? -1 : st;
}

/* The install tree must be <root>/lib/modules: depmod -b <root> then (its
 * config dirs are not below -b: an empty one is given for a tree that is
 * not the machine's, so that the machine's depmod.d does not apply). */
int dks_depmod(const struct dks_tree *t, const char *kver, struct dks_error *err)
{
	size_t n = strlen(t->install_tree), suffix = strlen("/lib/modules");
	char base[PATH_MAX], cfg[] = "/tmp/dks-depmod.d-XXXXXX";
	bool real = strcmp(t->install_tree, "/lib/modules") == 0;
	const char *path = find_depmod();
	int st;

	if (n < suffix || strcmp(t->install_tree + n - suffix, "/lib/modules") != 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "depmod needs an install tree ending in /lib/modules, not %s "
				    "(or --no-depmod)", t->install_tree);
	if (!path)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "no root-owned depmod in /usr/sbin, /sbin, /usr/bin or /bin "
				    "(install kmod, or --no-depmod)");
	snprintf(base, sizeof(base), "%.*s", (int)(n - suffix), t->install_tree);
	if (!real && !mkdtemp(cfg))
		return dks_err(err, errno, "depmod config dir");
	if (real)
		st = run(path, (char *const[]){"depmod", "-a", (char *)kver, NULL});
	else
		st = run(path, (char *const[]){"depmod", "-C", cfg, "-b", base, (char *)kver, NULL});
	if (!real)
		rmdir(cfg);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "depmod %s failed", kver);
	return 0;
}
