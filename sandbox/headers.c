// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A kernel's headers and every directory they lead to. On Debian,
 * /lib/modules/KVER/build -> /usr/src/linux-headers-KVER (the arch part),
 * whose Makefile includes /usr/src/linux-headers-KVER-common (the target of
 * .../source) and whose scripts/ and tools/ link into
 * /usr/lib/linux-kbuild-X.Y. All of them must be visible, read-only, at
 * the same absolute paths.
 *
 * Headers unpacked elsewhere (apt-get download + dpkg -x ROOT) are bound
 * at the paths they have below ROOT: /usr/src/..., /usr/lib/linux-kbuild-*.
 *
 * A symlink's target is bound as the directory at the same depth as the
 * headers directory (/usr/lib/linux-kbuild-6.1/scripts -> /usr/lib/
 * linux-kbuild-6.1). Only targets below /usr or beside the headers
 * directory are followed: a header tree cannot pull /etc or /root into a
 * sandbox.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "internal.h"

static size_t depth(const char *path)
{
	size_t d = 0;

	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			d++;
	return d;
}

static bool is_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == 0);
}

static bool covered(const struct strv *dirs, const char *path)
{
	for (size_t i = 0; i < dirs->n; i++)
		if (is_under(path, dirs->v[i]))
			return true;
	return false;
}

/* The ancestor of @target at depth @d (the whole path when shallower). */
static char *root_at_depth(const char *target, size_t d)
{
	const char *p = target;

	for (size_t i = 0; i < d && p; i++)
		p = strchr(p + 1, '/');
	return p ? strndup(target, (size_t)(p - target)) : strdup(target);
}

static int add_target(struct dks_kernel *k, const char *target, size_t d,
		      const char *allowed_parent)
{
	size_t skip = k->root ? strlen(k->root) : 0;
	struct stat st;
	char *root;

	if (covered(&k->dirs, target))
		return 0;
	if (k->root ? !is_under(target, k->root)
		    : !is_under(target, "/usr") && !is_under(target, allowed_parent))
		return 0;
	/* The depth counts from the unpacked root, where there is one. */
	root = root_at_depth(target, d + (skip ? depth(k->root) : 0));
	if (!root)
		return -1;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode) || depth(root) < 2) {
		free(root);
		return 0;
	}
	return strv_push_take(&k->dirs, root);
}

/* Where a link leads. Below an unpacked root, an absolute target means
 * that root's path, not the host's. */
static char *resolve_link(const struct dks_kernel *k, const char *link)
{
	char target[PATH_MAX], rooted[2 * PATH_MAX];
	ssize_t n;

	if (!k->root)
		return realpath(link, NULL);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return realpath(link, NULL);
	target[n] = 0;
	if (target[0] != '/')
		return realpath(link, NULL);
	snprintf(rooted, sizeof(rooted), "%s%s", k->root, target);
	return realpath(rooted, NULL);
}

/* Directory, link, or neither: readdir's d_type, else lstat. */
static unsigned char entry_type(int dfd, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type;
	if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	return S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
}

struct walk {
	struct dks_kernel *k;
	size_t d;
	const char *parent;
	char path[PATH_MAX];
};

/* The tree below @fd (w->path, @len bytes long) without following links;
 * where its symlinks lead goes into k->dirs. Files are not looked at:
 * d_type tells them from directories and links, so Debian's ~16000
 * header files cost no stat (through fts they cost one each, at every
 * sandbox start). An unreadable directory is skipped, as fts did. */
static int walk_fd(struct walk *w, int fd, size_t len)
{
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int ret = 0;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (ret == 0 && (e = readdir(dir))) {
		unsigned char type = entry_type(dirfd(dir), e);
		size_t n = strlen(e->d_name);
		cleanup_free char *target = NULL;

		if ((type != DT_DIR && type != DT_LNK) || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 || len + 1 + n >= sizeof(w->path))
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, e->d_name, n + 1);
		if (type == DT_DIR)
			ret = walk_fd(w, openat(dirfd(dir), e->d_name,
						O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
				      len + 1 + n);
		else if ((target = resolve_link(w->k, w->path)))
			ret = add_target(w->k, target, w->d, w->parent);
		w->path[len] = 0;
	}
	closedir(dir);
	return ret;
}

/* Walk @dir without following links; collect where its symlinks lead. */
static int walk(struct dks_kernel *k, const char *dir, size_t d,
		const char *allowed_parent)
{
	struct walk *w = calloc(1, sizeof(*w));
	int ret;

	if (!w || strlen(dir) >= sizeof(w->path)) {
		free(w);
		errno = w ? ENAMETOOLONG : ENOMEM;
		return -1;
	}
	*w = (struct walk){.k = k, .d = d, .parent = allowed_parent};
	strcpy(w->path, dir);
	ret = walk_fd(w, open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), strlen(dir));
	free(w);
	return ret;
}

static char *link_target(const struct dks_kernel *k, const char *link)
{
	struct stat st;

	if (lstat(link, &st) < 0)
		return NULL;
	return resolve_link(k, link);
}

/* Headers unpacked below some directory (dpkg -x ROOT): ROOT is what comes
 * before /usr/src/ in their path; NULL for installed headers. */
static char *unpacked_root(const char *build)
{
	const char *usr = strstr(build, "/usr/src/");

	return usr && usr != build ? strndup(build, (size_t)(usr - build)) : NULL;
}

/* Debian's arch headers pull the -common dir in with an absolute
 * "include /usr/src/linux-headers-X-common/Makefile" in their Makefile:
 * that dir is the kernel's source dir even without a source link. */
static char *makefile_include(const struct dks_kernel *k)
{
	char path[PATH_MAX], line[PATH_MAX + 16], dir[2 * PATH_MAX];
	cleanup_fclose FILE *f = NULL;
	char *slash;

	snprintf(path, sizeof(path), "%s/Makefile", k->build);
	f = fopen(path, "re");
	for (int i = 0; f && i < 16 && fgets(line, sizeof(line), f); i++) {
		if (strncmp(line, "include /", 9) != 0)
			continue;
		line[8 + strcspn(line + 8, " \t\n")] = 0;
		slash = strrchr(line + 8, '/');
		if (slash == line + 8)
			continue;
		*slash = 0;
		snprintf(dir, sizeof(dir), "%s%s", k->root ? k->root : "", line + 8);
		return realpath(dir, NULL);
	}
	return NULL;
}

static int resolve_dirs(struct dks_kernel *k, struct dks_error *err)
{
	cleanup_free char *parent = strdup(k->build);
	char *slash;
	size_t d = depth(k->build) - (k->root ? depth(k->root) : 0);

	if (!parent)
		return dks_err(err, ENOMEM, "kernel %s", k->kver);
	if (!k->source)
		k->source = makefile_include(k);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	if (strv_push(&k->dirs, k->build) < 0 ||
	    (k->source && !covered(&k->dirs, k->source) && strv_push(&k->dirs, k->source) < 0))
		return dks_err(err, ENOMEM, "kernel %s", k->kver);
	for (size_t i = 0; i < k->dirs.n; i++)
		if (walk(k, k->dirs.v[i], d, parent) < 0)
			return dks_err(err, errno, "kernel %s: cannot walk %s", k->kver, k->dirs.v[i]);
	return 0;
}

static bool kver_is_sane(const char *kver)
{
	if (!*kver || strlen(kver) > 200 || kver[0] == '.')
		return false;
	for (const char *p = kver; *p; p++)
		if (*p == '/' || *p < 0x21 || *p > 0x7e)
			return false;
	return true;
}

int dks_kernel_resolve(struct dks_kernel *k, const char *kver,
		       const char *headers, struct dks_error *err)
{
	char path[PATH_MAX];

	memset(k, 0, sizeof(*k));
	if (!kver_is_sane(kver))
		return dks_err(err, 0, "kernel '%s': not a kernel release name", kver);
	k->kver = strdup(kver);
	if (!k->kver)
		return dks_err(err, ENOMEM, "kernel");
	snprintf(path, sizeof(path), "/lib/modules/%s/build", kver);
	k->build = headers ? realpath(headers, NULL) : link_target(k, path);
	if (!k->build) {
		dks_kernel_clear(k);
		return dks_err_reason(err, DKS_SANDBOX_NO_HEADERS, 0,
				      "kernel %s: no headers at %s (install linux-headers-%s)", kver,
				      headers ? headers : path, kver);
	}
	k->root = unpacked_root(k->build);
	if (k->root)
		snprintf(path, sizeof(path), "%s/lib/modules/%s/source", k->root, kver);
	else
		snprintf(path, sizeof(path), "/lib/modules/%s/source", kver);
	k->source = headers && !k->root ? NULL : link_target(k, path);
	if (resolve_dirs(k, err) < 0) {
		dks_kernel_clear(k);
		return -1;
	}
	return 0;
}

void dks_kernel_clear(struct dks_kernel *k)
{
	free(k->kver);
	free(k->build);
	free(k->source);
	free(k->root);
	strv_free(&k->dirs);
	memset(k, 0, sizeof(*k));
}

char *dks_kernel_dir_in_sandbox(const char *headers)
{
	cleanup_free char *real = realpath(headers, NULL);
	cleanup_free char *root = real ? unpacked_root(real) : NULL;

	if (!real)
		return strdup(headers);
	return strdup(root ? real + strlen(root) : real);
}
