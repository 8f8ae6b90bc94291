// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host paths a caller names (bind sources, the kernel's header dirs,
 * a toolchain image), as the sandbox reaches them (internal.h, dks_trees):
 * cloned by a root caller with its own rights before the sandbox drops
 * them, attached by init (mounts.c, image.c); what cannot be cloned is
 * opened by init with the build user's rights, as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dks/fileio.h"
#include "internal.h"

bool dks_mount_api_legacy(void)
{
	const char *api = getenv("DKMS_SANDBOX_MOUNT_API");

	return api && strcmp(api, "legacy") == 0;
}

/* Bound on its own unless already there through the host toolchain's
 * /usr and not masked (never for unpacked headers: the host's own dirs
 * are not theirs). */
static const char *const masks[] = DKS_MASKED_DIRS;

bool dks_kernel_dir_bound(const struct dks_sandbox *sb, const char *dir)
{
	if (sb->toolchain || sb->kernel.root || !dks_path_under(dir, "/usr"))
		return true;
	for (int i = 0; masks[i]; i++)
		if (dks_path_under(dir, masks[i]) || (strcmp(masks[i], "/lib/modules") == 0 &&
					      dks_path_under(dir, "/usr/lib/modules")))
			return true;
	return false;
}

bool dks_bind_is_dir(const struct dks_run_ctx *ctx, size_t i)
{
	int fd = dks_bind_tree(ctx, i);
	char path[PATH_MAX];
	struct stat st;

	if (fd >= 0)
		return fstat(fd, &st) < 0 || S_ISDIR(st.st_mode);
	snprintf(path, sizeof(path), "/oldroot%s", ctx->sb->binds[i].src);
	return stat(path, &st) < 0 || S_ISDIR(st.st_mode);
}

/* A host path the caller names, cloned with the caller's rights as a
 * detached mount tree (internal.h, dks_trees); -1 where it cannot be (no
 * openat2 or open_tree, a symlink in the path): init then opens the path
 * with the build user's rights, as it always did. Tested on Linux 6.18:
 * root's clone moves into the build user's own user+mount namespace. */
static int clone_tree(const char *path, unsigned attrs)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
	struct mount_attr attr = {.attr_set = attrs, .propagation = MS_PRIVATE};
	int dir, fd;

	/* Names are canonical (realpath when named, so a bind source that is a
	 * symlink binds its target, as before): a symlink in one now was swapped
	 * in by a component's owner, and root must not follow it (ELOOP). */
	dir = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (dir < 0)
		return -1;
	/* Resolved once, here: a swap after this changes nothing. AT_RECURSIVE
	 * clones the named tree and the mounts below it, not its parent or
	 * siblings; the clone is detached: nothing else can reach it. */
	fd = open_tree(dir, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	close(dir);
	if (fd < 0 || dks_mount_api_legacy())
		return fd; /* legacy: init sets attributes and propagation with mount(2) */
	/* Private: a clone of a shared mount joins its peer group, and a mount
	 * made below it in the sandbox would appear on the host (it does).
	 * Read-only holds though the kernel does not lock it (as it does for a
	 * namespace's copy): only CAP_SYS_ADMIN could clear it, and the command
	 * has none in any namespace: every set emptied, no_new_privs, and
	 * seccomp refuses the mount calls and the new user namespace that
	 * would be the only way back to one (docs/security.md). */
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The scratch, made anew for this run (-1: none asked for). */
static int open_scratch(const struct dks_sandbox *sb, uid_t uid, gid_t gid, struct dks_trees *t,
			size_t *index, struct dks_error *err)
{
	for (size_t i = 0; i < sb->n_binds; i++)
		if (sb->binds[i].scratch) {
			*index = i;
			return dks_scratch_create(sb->binds[i].scratch, uid, gid, &t->scratch, err);
		}
	*index = SIZE_MAX;
	return -1;
}

int dks_trees_open(const struct dks_sandbox *sb, uid_t uid, gid_t gid, struct dks_trees *t,
		   struct dks_error *err)
{
	const struct dks_kernel *k = &sb->kernel;
	size_t n = sb->n_binds + k->dirs.n, scratch;
	int sfd;

	*t = (struct dks_trees){.toolchain = -1, .scratch = -1};
	/* A normal caller has no rights to lend: it is the build user. */
	if (geteuid() != 0)
		return 0;
	sfd = open_scratch(sb, uid, gid, t, &scratch, err);
	if (sfd < 0 && scratch != SIZE_MAX)
		return -1;
	if (sb->toolchain)
		t->toolchain = clone_tree(sb->toolchain, DKS_RO_ATTRS);
	if (n == 0 || !(t->fds = malloc(n * sizeof(*t->fds)))) {
		if (sfd >= 0)
			close(sfd);
		return n == 0 ? 0 : dks_err(err, ENOMEM, "sandbox");
	}
	t->n = n;
	for (size_t i = 0; i < sb->n_binds; i++)
		t->fds[i] = i == scratch ? sfd : sb->binds[i].tmpfs ? -1
					 : clone_tree(sb->binds[i].src, sb->binds[i].writable
										? DKS_RW_ATTRS : DKS_RO_ATTRS);
	for (size_t i = 0; i < k->dirs.n; i++)
		t->fds[sb->n_binds + i] = dks_kernel_dir_bound(sb, k->dirs.v[i])
						  ? clone_tree(k->dirs.v[i], DKS_RO_ATTRS) : -1;
	return 0;
}

void dks_trees_close(struct dks_trees *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	if (t->toolchain >= 0)
		close(t->toolchain);
	if (t->scratch >= 0)
		close(t->scratch);
	free(t->fds);
	*t = (struct dks_trees){.toolchain = -1, .scratch = -1};
}
