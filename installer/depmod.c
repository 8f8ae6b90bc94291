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
 *
 * depmod copies module metadata into files root's tools read as
 * configuration (modules.softdep is modprobe configuration), so what it
 * writes is checked before it replaces the kernel's files: depmod runs on
 * a view of the kernel's directory (<installtree>/.dks-depmod-<kver>.XXXXXX
 * /lib/modules/<kver>, a link to each of its entries but depmod's own
 * outputs; depmod follows them), every text file it wrote must pass its
 * grammar (depout.c), and only then is each renamed over the kernel's.
 * A refusal leaves the kernel's index files as they were.
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
#include <sys/wait.h>
#include <unistd.h>

#include "depout.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "internal.h"

#define OUTPUTS_MAX 64

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

/* depmod's inputs in the kernel's directory; its outputs are the other
 * modules.* files. */
static bool is_output(const char *name)
{
	static const char *const inputs[] = {"modules.order", "modules.builtin",
					     "modules.builtin.modinfo"};

	if (strncmp(name, "modules.", strlen("modules.")) != 0)
		return false;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		if (strcmp(name, inputs[i]) == 0)
			return false;
	return true;
}

/* @view gets a link to each entry of @kdir but depmod's outputs (and
 * hidden names, build and source, which depmod skips anyway). */
static int make_view(const char *kdir, const char *view, struct dks_error *err)
{
	DIR *d = opendir(kdir);
	cleanup_close int vfd = open(view, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	char target[PATH_MAX];
	int ret = 0;

	if (!d || vfd < 0) {
		ret = dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s",
				   d ? view : kdir);
		goto out;
	}
	while (ret == 0 && (errno = 0, de = readdir(d))) {
		const char *n = de->d_name;

		if (n[0] == '.' || !strcmp(n, "build") || !strcmp(n, "source") || is_output(n))
			continue;
		if (snprintf(target, sizeof(target), "%s/%s", kdir, n) >= (int)sizeof(target))
			errno = ENAMETOOLONG;
		else if (symlinkat(target, vfd, n) == 0)
			continue;
		ret = dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s/%s", view, n);
	}
	if (ret == 0 && errno)
		ret = dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s", kdir);
out:
	if (d)
		closedir(d);
	return ret;
}

/* The regular files depmod wrote in @vfd: at most OUTPUTS_MAX names. */
static int list_outputs(int vfd, const char *view, char names[][NAME_MAX + 1], size_t *n,
			struct dks_error *err)
{
	DIR *d = fdopendir(dup(vfd));
	struct dirent *de;

	*n = 0;
	if (!d)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s", view);
	while ((de = readdir(d)))
		if (de->d_type == DT_REG && is_output(de->d_name) && *n < OUTPUTS_MAX)
			snprintf(names[(*n)++], NAME_MAX + 1, "%s", de->d_name);
	closedir(d);
	return 0;
}

static bool is_bin(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".bin") == 0;
}

/* Check every text file depmod wrote in @view, then rename each (the
 * binary indexes too) over @kdir's. */
static int install_outputs(const char *view, const char *kdir, struct dks_error *err)
{
	cleanup_close int vfd = open(view, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int kfd = open(kdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char names[OUTPUTS_MAX][NAME_MAX + 1];
	size_t n;

	if (vfd < 0 || kfd < 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s",
				    vfd < 0 ? view : kdir);
	if (list_outputs(vfd, view, names, &n, err) < 0)
		return -1;
	if (n == 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "depmod wrote nothing in %s",
				    view);
	for (size_t i = 0; i < n; i++)
		if (!is_bin(names[i]) && dks_depout_check(vfd, kdir, names[i], err) < 0)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (renameat(vfd, names[i], kfd, names[i]) < 0)
			return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno,
					    "depmod: cannot place %s/%s", kdir, names[i]);
	if (fsync(kfd) < 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "fsync %s", kdir);
	return 0;
}

/* depmod on the view below @root (config dirs are not below -b: an empty
 * one is given for a tree that is not the machine's, so that the
 * machine's depmod.d does not apply). */
static int run_depmod(const char *path, bool real, const char *root, const char *kver,
		      struct dks_error *err)
{
	char cfg[] = "/tmp/dks-depmod.d-XXXXXX";
	int st;

	if (!real && !mkdtemp(cfg))
		return dks_err(err, errno, "depmod config dir");
	if (real)
		st = run(path, (char *const[]){"depmod", "-b", (char *)root, (char *)kver, NULL});
	else
		st = run(path, (char *const[]){"depmod", "-C", cfg, "-b", (char *)root,
					       (char *)kver, NULL});
	if (!real)
		rmdir(cfg);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "depmod %s failed", kver);
	return 0;
}

/* The install tree must be <root>/lib/modules. */
int dks_depmod(const struct dks_tree *t, const char *kver, struct dks_error *err)
{
	size_t n = strlen(t->install_tree), suffix = strlen("/lib/modules");
	char root[PATH_MAX], view[2 * PATH_MAX], kdir[PATH_MAX];
	bool real = strcmp(t->install_tree, "/lib/modules") == 0;
	const char *path = find_depmod();
	int ret;

	if (n < suffix || strcmp(t->install_tree + n - suffix, "/lib/modules") != 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "depmod needs an install tree ending in /lib/modules, not %s "
				    "(or --no-depmod)", t->install_tree);
	if (!path)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "no root-owned depmod in /usr/sbin, /sbin, /usr/bin or /bin "
				    "(install kmod, or --no-depmod)");
	snprintf(kdir, sizeof(kdir), "%s/%s", t->install_tree, kver);
	/* Beside the kernel's directory: the renames stay on its filesystem. */
	snprintf(root, sizeof(root), "%s/.dks-depmod-%s.XXXXXX", t->install_tree, kver);
	if (!mkdtemp(root))
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s", root);
	snprintf(view, sizeof(view), "%s/lib/modules/%s", root, kver);
	ret = dks_mkdir_p(view) == 0
		  ? 0
		  : dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s", view);
	if (ret == 0)
		ret = make_view(kdir, view, err);
	if (ret == 0)
		ret = run_depmod(path, real, root, kver, err);
	if (ret == 0)
		ret = install_outputs(view, kdir, err);
	dks_rmtree(root);
	return ret;
}
