// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A toolchain image as the sandbox's root. The image is read-only, and has
 * none of the mount points a build needs (/usr/src/linux-headers-*, the
 * build and source dirs, /lib/modules/KVER): the root is a read-only
 * overlay of a small skeleton holding exactly those (with the
 * /lib/modules/KVER/{build,source} links) over the image. No upper layer:
 * nothing can be written through it.
 *
 * Skeleton paths are resolved the way the image resolves them (its /lib ->
 * usr/lib, ...), so that a skeleton directory merges with the image's real
 * one instead of hiding the image's link.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define SKEL "/rootskel"

/* Drop the last component of @cur ("/a/b" -> "/a", "/a" -> ""). */
static void parent_of(char *cur)
{
	char *slash = strrchr(cur, '/');

	if (slash)
		*slash = 0;
}

/* @path inside @image with the image's symlinks followed (inside it). */
static int image_resolve(const char *image, const char *path, char *out, size_t size)
{
	char cur[PATH_MAX] = "", rest[PATH_MAX], host[2 * PATH_MAX], link[PATH_MAX];
	char *p = rest;
	int hops = 0;

	snprintf(rest, sizeof(rest), "%s", path);
	while (*p) {
		size_t n;
		ssize_t l;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && strncmp(p, "..", 2) == 0) {
			parent_of(cur);
			p += n;
			continue;
		}
		if (!(n == 1 && *p == '.')) {
			snprintf(host, sizeof(host), "%s%s/%.*s", image, cur, (int)n, p);
			l = readlink(host, link, sizeof(link) - 1);
			if (l >= 0) {
				char next[PATH_MAX];

				if (++hops > 40)
					return -1;
				link[l] = 0;
				snprintf(next, sizeof(next), "%s%s", link, p + n);
				if (link[0] == '/')
					cur[0] = 0;
				snprintf(rest, sizeof(rest), "%s", next);
				p = rest;
				continue;
			}
			snprintf(cur + strlen(cur), sizeof(cur) - strlen(cur), "/%.*s", (int)n, p);
		}
		p += n;
	}
	snprintf(out, size, "%s", cur[0] ? cur : "/");
	return 0;
}

static void mkdirs(const struct dks_run_ctx *ctx, char *path, bool last_is_dir)
{
	for (char *p = path + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		if (c || last_is_dir) {
			*p = 0;
			if (mkdir(path, 0755) < 0 && errno != EEXIST)
				dks_child_die(ctx, errno, "cannot create %s", path);
			*p = c;
		}
		if (!c)
			break;
	}
}

/* The skeleton entry for @path: a directory, or an empty file. */
static void skel_entry(const struct dks_run_ctx *ctx, const char *image, const char *path,
		       bool dir)
{
	char resolved[PATH_MAX], full[PATH_MAX + 16];
	int fd;

	if (image_resolve(image, path, resolved, sizeof(resolved)) < 0)
		dks_child_die(ctx, ELOOP, "toolchain image: %s", path);
	snprintf(full, sizeof(full), SKEL "%s", resolved);
	mkdirs(ctx, full, dir);
	if (dir)
		return;
	fd = open(full, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		dks_child_die(ctx, errno, "cannot create %s", full);
	close(fd);
}

static void skel_link(const struct dks_run_ctx *ctx, const char *image, const char *dir,
		      const char *name, const char *target)
{
	char resolved[PATH_MAX], full[2 * PATH_MAX];

	if (image_resolve(image, dir, resolved, sizeof(resolved)) < 0)
		dks_child_die(ctx, ELOOP, "toolchain image: %s", dir);
	snprintf(full, sizeof(full), SKEL "%s/%s", resolved, name);
	if (symlink(target, full) < 0)
		dks_child_die(ctx, errno, "cannot create %s", full);
}

static void skel_kernel(const struct dks_run_ctx *ctx, const char *image)
{
	const struct dks_kernel *k = &ctx->sb->kernel;
	char dir[PATH_MAX];

	if (!k->kver)
		return;
	for (size_t i = 0; i < k->dirs.n; i++)
		skel_entry(ctx, image, dks_kernel_dst(k, k->dirs.v[i]), true);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", k->kver);
	skel_entry(ctx, image, dir, true);
	skel_link(ctx, image, dir, "build", dks_kernel_dst(k, k->build));
	if (k->source)
		skel_link(ctx, image, dir, "source", dks_kernel_dst(k, k->source));
}

void dks_mount_image_root(const struct dks_run_ctx *ctx, const char *image, const char *newroot)
{
	const struct dks_sandbox *sb = ctx->sb;
	static const char *const fixed[] = {"/proc", "/dev", "/tmp"};
	char opts[2 * PATH_MAX];

	mkdirs(ctx, (char[]){SKEL}, true);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		skel_entry(ctx, image, fixed[i], true);
	skel_kernel(ctx, image);
	for (size_t i = 0; i < sb->n_binds; i++)
		skel_entry(ctx, image, sb->binds[i].dst, dks_bind_is_dir(ctx, i));
	snprintf(opts, sizeof(opts), "lowerdir=" SKEL ":%s", image);
	if (mount("overlay", newroot, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) < 0)
		dks_child_die(ctx, errno, "cannot mount the toolchain image %s", image);
}
