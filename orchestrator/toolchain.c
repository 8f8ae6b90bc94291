// SPDX-License-Identifier: GPL-2.0-or-later
/* Toolchain images: include/dks/toolchain.h, docs/toolchains.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/recipe.h"
#include "dks/toolchain.h"

static int check_name(const char *name, struct dks_error *err)
{
	size_t n = strlen(name);

	if (!n || n > 64 || name[0] == '.' || strcmp(name, "host") == 0 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return dks_err(err, 0, "toolchain '%s': a name of letters, digits, '.', '_', '-' "
				       "(not 'host')", name);
	return 0;
}

static char *image_dir(const char *dkms_tree, const char *name)
{
	char *dir;

	return asprintf(&dir, "%s/toolchains/%s", dkms_tree, name) < 0 ? NULL : dir;
}

static char *info_file(const char *dkms_tree, const char *name)
{
	char *f;

	return asprintf(&f, "%s/toolchains/.%s.info", dkms_tree, name) < 0 ? NULL : f;
}

int dks_toolchain_resolve(const char *dkms_tree, const char *spec, char **out,
			  struct dks_error *err)
{
	struct stat st;

	*out = NULL;
	if (!spec || strcmp(spec, "host") == 0)
		return 0;
	if (strchr(spec, '/')) {
		*out = strdup(spec);
		return *out ? 0 : dks_err(err, ENOMEM, "toolchain");
	}
	if (check_name(spec, err) < 0)
		return -1;
	*out = image_dir(dkms_tree, spec);
	if (!*out || stat(*out, &st) < 0 || !S_ISDIR(st.st_mode)) {
		dks_err(err, 0, "toolchain '%s' is not imported (dkms-sandbox toolchain import %s FILE)",
			spec, spec);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Bytes of regular files below @dir, never following links. */
static unsigned long long tree_size(const char *dir)
{
	char *paths[] = {(char *)dir, NULL};
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	unsigned long long total = 0;
	FTSENT *e;

	while (fts && (e = fts_read(fts)))
		if (e->fts_info == FTS_F)
			total += (unsigned long long)e->fts_statp->st_size;
	if (fts)
		fts_close(fts);
	return total;
}

static int write_info(const char *dkms_tree, const char *name, const char *dir,
		      struct dks_error *err)
{
	cleanup_free char *file = info_file(dkms_tree, name);
	char tmp[PATH_MAX];
	FILE *f;

	if (!file)
		return dks_err(err, ENOMEM, "toolchain");
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "we");
	if (!f)
		return dks_err(err, errno, "%s", tmp);
	fprintf(f, "imported %lld\nsize %llu\n", (long long)time(NULL), tree_size(dir));
	if (fclose(f) != 0 || rename(tmp, file) < 0)
		return dks_err(err, errno, "%s", file);
	return 0;
}

int dks_toolchain_import(const char *dkms_tree, const char *name, const char *from,
			 unsigned long long max_size, struct dks_error *err)
{
	struct dks_extract_limits lim = {.total_max = max_size ? max_size : DKS_TOOLCHAIN_MAX_SIZE,
					 .entry_max = 2ULL << 30, .entries_max = 2000000,
					 .image = true};
	cleanup_free char *base = NULL, *dir = NULL;
	unsigned skipped = 0;

	if (check_name(name, err) < 0)
		return -1;
	if (asprintf(&base, "%s/toolchains", dkms_tree) < 0 || !(dir = image_dir(dkms_tree, name)))
		return dks_err(err, ENOMEM, "toolchain");
	if ((mkdir(dkms_tree, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(base, 0755) < 0 && errno != EEXIST))
		return dks_err(err, errno, "%s", base);
	if (access(dir, F_OK) == 0)
		return dks_err(err, EEXIST, "toolchain '%s' (remove it first)", name);
	if (dks_extract(from, dir, &lim, &skipped, err) < 0)
		return -1;
	if (skipped)
		printf("%s: %u device nodes, FIFOs or sockets left out (a sandbox has its own /dev)\n",
		       name, skipped);
	return write_info(dkms_tree, name, dir, err);
}

int dks_toolchain_remove(const char *dkms_tree, const char *name, struct dks_error *err)
{
	cleanup_free char *dir = NULL, *file = NULL;

	if (check_name(name, err) < 0)
		return -1;
	dir = image_dir(dkms_tree, name);
	file = info_file(dkms_tree, name);
	if (!dir || !file)
		return dks_err(err, ENOMEM, "toolchain");
	if (access(dir, F_OK) < 0)
		return dks_err(err, ENOENT, "toolchain '%s'", name);
	if (dks_rmtree(dir) < 0)
		return dks_err(err, errno, "cannot remove %s", dir);
	unlink(file);
	return 0;
}

/* usr/lib/gcc/<triplet> below @root, never through a link (an image keeps
 * absolute links: usr -> /usr would lead to the host's compiler). */
static DIR *open_gcc_dir(const char *root, const char *triplet)
{
	const char *const path[] = {"usr", "lib", "gcc", triplet, NULL};
	int fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	DIR *d;

	for (int i = 0; fd >= 0 && path[i]; i++) {
		int next = openat(fd, path[i], O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		close(fd);
		fd = next;
	}
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

int dks_toolchain_gcc_major(const char *root)
{
	static const char *const triplets[] = {"x86_64-linux-gnu", "aarch64-linux-gnu", NULL};
	int best = 0;

	for (int t = 0; triplets[t]; t++) {
		DIR *d = open_gcc_dir(root, triplets[t]);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			int v = atoi(de->d_name);

			if (v > best && de->d_type == DT_DIR)
				best = v;
		}
		if (d)
			closedir(d);
	}
	return best;
}

/* CONFIG_CC_VERSION_TEXT="x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14) 12.2.0" */
int dks_kernel_gcc_major(const char *config)
{
	cleanup_fclose FILE *f = fopen(config, "re");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		const char *v = strrchr(line, ' ');

		if (strncmp(line, "CONFIG_CC_VERSION_TEXT=", 23) == 0 && strstr(line, "gcc") && v)
			return atoi(v + 1);
	}
	return 0;
}

static int read_info(const char *dkms_tree, struct dks_toolchain_info *t)
{
	cleanup_free char *file = info_file(dkms_tree, t->name);
	cleanup_fclose FILE *f = file ? fopen(file, "re") : NULL;
	char key[32];
	long long v;

	while (f && fscanf(f, "%31s %lld", key, &v) == 2) {
		if (strcmp(key, "imported") == 0)
			t->imported = v;
		else if (strcmp(key, "size") == 0)
			t->size = (unsigned long long)v;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dks_toolchain_info *)a)->name,
		      ((const struct dks_toolchain_info *)b)->name);
}

int dks_toolchain_list(const char *dkms_tree, struct dks_toolchain_info **out, size_t *n,
		       struct dks_error *err)
{
	cleanup_free char *base = NULL;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	if (asprintf(&base, "%s/toolchains", dkms_tree) < 0)
		return dks_err(err, ENOMEM, "toolchain");
	d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : dks_err(err, errno, "%s", base);
	while ((de = readdir(d))) {
		struct dks_toolchain_info *v;
		cleanup_free char *dir = NULL;

		/* An import in progress (or killed) is not a toolchain. */
		if (de->d_name[0] == '.' || de->d_type != DT_DIR || strstr(de->d_name, ".dks-tmp-"))
			continue;
		v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v)
			break;
		*out = v;
		v[*n] = (struct dks_toolchain_info){.name = strdup(de->d_name)};
		dir = image_dir(dkms_tree, de->d_name);
		v[*n].gcc_major = dir ? dks_toolchain_gcc_major(dir) : 0;
		read_info(dkms_tree, &v[(*n)++]);
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), by_name);
	return 0;
}

void dks_toolchain_list_free(struct dks_toolchain_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
