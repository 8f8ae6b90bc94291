// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * In-tree modules that ours shadow (internal.h).
 *
 * A package may name its module after one of the kernel's (ext4): dkms
 * allows it, it is how drivers are updated, and depmod's search order
 * (updates/ before kernel/) makes modprobe load ours. It stays allowed,
 * but the administrator is told, once per shadowed module, and the install
 * record keeps it for status. A module built into the kernel
 * (modules.builtin) cannot be replaced by a loadable one: ours will never
 * load, and the warning says so. The kernel's own file is left where it is
 * (a same-named file at our very destination is another matter: it is kept
 * in original_module/, as before).
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
#include "internal.h"

#define WALK_DEPTH_MAX	 16	   /* kernel/ is 6 deep on Debian 6.1 */
#define BUILTIN_SIZE_MAX (8 << 20) /* modules.builtin (Debian 6.1: 30 KiB) */

typedef struct dks_install_plan plan_t;

/* Does the file name @f ("ext4.ko", "snd-hda-intel.ko.xz") name the module
 * @m? '-' and '_' are one (the kernel's module names). */
static bool names_module(const char *f, const char *m)
{
	static const char *const exts[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	size_t n = strlen(m);

	for (size_t i = 0; i < n; i++)
		if (f[i] != m[i] && !(strchr("-_", f[i]) && f[i] && strchr("-_", m[i])))
			return false;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcmp(f + n, exts[i]) == 0)
			return true;
	return false;
}

/* <installtree>/<kver><location> of module @i: what is there is ours to
 * replace (and keep in original_module/), not to shadow. */
static void dest_dir(char *buf, size_t size, const plan_t *p, size_t i)
{
	snprintf(buf, size, "%s/%s%s", p->t->install_tree, p->k->kver,
		 p->distro_location ? p->distro_location : p->e[i].location);
}

/* Printable, for the warning (the kernel's tree is root's, but a terminal
 * is no place for its control bytes either). */
static void tell(const plan_t *p, size_t i, bool builtin, const char *path)
{
	char shown[PATH_MAX];
	size_t o = 0;

	for (const char *c = path; *c && o + 1 < sizeof(shown); c++)
		shown[o++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
	shown[o] = '\0';
	if (builtin)
		dks_warn("%s.ko has the name of a module built into kernel %s (modules.builtin: "
			 "%s): a built-in module cannot be replaced by a loadable one, so this one "
			 "will not load",
			 p->e[i].dest, p->k->kver, shown);
	else
		dks_warn("%s.ko shadows the in-tree module %s", p->e[i].dest, shown);
}

static int found(plan_t *p, size_t i, bool builtin, const char *path, struct dks_error *err)
{
	tell(p, i, builtin, path);
	if (dks_installrec_add_shadow(&p->rec, p->e[i].dest, builtin, path) < 0)
		return dks_err(err, errno, "%s: install record", p->what);
	return 0;
}

/* A file @name in the directory @dir of the kernel's tree: one of ours? */
static int match_file(plan_t *p, const char *dir, const char *name, struct dks_error *err)
{
	char path[PATH_MAX], ours[PATH_MAX];

	for (size_t i = 0; i < p->n; i++) {
		if (!names_module(name, p->e[i].dest))
			continue;
		dest_dir(ours, sizeof(ours), p, i);
		if (strcmp(dir, ours) == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
			continue;
		if (found(p, i, false, path, err) < 0)
			return -1;
	}
	return 0;
}

/* For filesystems whose readdir does not say. */
static unsigned char type_of(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	return S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
}

/* Every file below @dir (opened as @fd, which this takes), no link
 * followed, at most WALK_DEPTH_MAX deep. */
static int walk(plan_t *p, int fd, const char *dir, int depth, struct dks_error *err)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		close(fd);
		return 0; /* unreadable: nothing to tell */
	}
	while (ret == 0 && (de = readdir(d))) {
		char sub[PATH_MAX];
		int subfd;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_UNKNOWN)
			de->d_type = type_of(dirfd(d), de->d_name);
		if (de->d_type == DT_REG) {
			ret = match_file(p, dir, de->d_name, err);
			continue;
		}
		if (de->d_type != DT_DIR || depth >= WALK_DEPTH_MAX ||
		    snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub))
			continue;
		subfd =
		    openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (subfd >= 0)
			ret = walk(p, subfd, sub, depth + 1, err);
	}
	closedir(d);
	return ret;
}

/* modules.builtin: "kernel/fs/ext4/ext4.ko" lines. */
static int scan_builtin(plan_t *p, const char *kdir, struct dks_error *err)
{
	char path[PATH_MAX + 32];
	cleanup_fclose FILE *f = NULL;
	cleanup_free char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/modules.builtin", kdir);
	f = fopen(path, "re");
	while (f && (len = getline(&line, &cap, f)) > 0 &&
	       (total += (size_t)len) < BUILTIN_SIZE_MAX) {
		const char *base;

		line[strcspn(line, "\n")] = '\0';
		base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
		for (size_t i = 0; i < p->n; i++)
			if (names_module(base, p->e[i].dest) && found(p, i, true, line, err) < 0)
				return -1;
	}
	return 0;
}

int dks_shadow_scan(plan_t *p, struct dks_error *err)
{
	char kdir[PATH_MAX], kernel[PATH_MAX + 8];
	int fd;

	snprintf(kdir, sizeof(kdir), "%s/%s", p->t->install_tree, p->k->kver);
	snprintf(kernel, sizeof(kernel), "%s/kernel", kdir);
	fd = open(kernel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && walk(p, fd, kernel, 0, err) < 0)
		return -1;
	return scan_builtin(p, kdir, err);
}
