// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sandbox's root filesystem, built by init in its own mount namespace:
 *
 *   /usr (+ /bin /lib ... as on the host)  the toolchain, read-only
 *   /etc         only the profile's entries, read-only, and a passwd/group
 *   /proc        fresh, with sys, irq, bus, fs read-only and the host's
 *                facts a build has no use for masked (proc_masked)
 *   /dev         tmpfs with null zero full random urandom tty
 *   /tmp         size-limited tmpfs
 *   headers      read-only at their host paths, with their symlink targets
 *   binds        the requested --ro/--rw binds
 *
 * and nothing else of the host: /usr/src and /lib/modules are masked by
 * empty tmpfs so that only this kernel's headers and this module's source
 * are there, and /usr/local (site configuration, local CA certificates)
 * is hidden the same way. Every bind is nosuid,nodev; every mount except
 * the writable binds, /tmp and /dev's nodes is read-only.
 *
 * The host's root stays reachable at /oldroot while building (as in
 * bubblewrap) and is detached before the command starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dks/fileio.h"
#include "dks/mountinfo.h"
#include "internal.h"

#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"
#define IMAGEROOT "/imageroot" /* the caller's clone of a toolchain image */
#define RO_ATTRS DKS_RO_ATTRS
#define RW_ATTRS DKS_RW_ATTRS

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty", NULL};
static const char *const root_links[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL};
/* Made read-only after /proc is mounted: the kernel knobs stay out of
 * reach even where a namespace would let a write through. */
static const char *const proc_ro[] = {"sys", "irq", "bus", "fs", NULL};
/* Host facts a build has no use for, each covered by an empty read-only
 * file where the kernel has it (as container runtimes mask /proc/kcore):
 * the boot command line and boot id, the running kernel's config, symbols
 * and loaded modules, disks, partitions and swap (host paths), the key
 * tables, scheduler and timer internals, interrupt counts (a keystroke
 * timing channel), file locks, sysrq and kernel memory. */
static const char *const proc_masked[] = {
	"cmdline", "config.gz", "diskstats", "partitions", "swaps", "kallsyms", "modules", "keys",
	"key-users", "sched_debug", "timer_list", "kcore", "sysrq-trigger", "interrupts",
	"softirqs", "locks", "sys/kernel/random/boot_id", NULL};
#define EMPTY_FILE "/empty" /* in the scratch root: the source of the masks */

static unsigned long attrs_to_flags(unsigned attrs)
{
	return ((attrs & MOUNT_ATTR_RDONLY) ? MS_RDONLY : 0) |
	       ((attrs & MOUNT_ATTR_NOSUID) ? MS_NOSUID : 0) |
	       ((attrs & MOUNT_ATTR_NODEV) ? MS_NODEV : 0) |
	       ((attrs & MOUNT_ATTR_NOEXEC) ? MS_NOEXEC : 0);
}

/* A bind remount must repeat the flags the kernel locked on mounts that
 * came from a more privileged namespace (nosuid, nodev, noexec, atime),
 * or it fails with EPERM: read them from the mount table. */
static int remount_keeping_locked(const struct dks_mountinfo *m, unsigned long add)
{
	unsigned long flags = dks_mount_opts_flags(m->vfs_opts);

	flags &= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
		 MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
	return mount(NULL, m->target, NULL, MS_BIND | MS_REMOUNT | flags | add, NULL);
}

struct remount {
	const struct dks_run_ctx *ctx;
	const char *dst;
	unsigned long add;
};

static int remount_one(const struct dks_mountinfo *m, void *arg)
{
	const struct remount *r = arg;
	size_t len = strlen(r->dst);
	const char *t = m->target;

	if (strncmp(t, r->dst, len) != 0 || (t[len] && t[len] != '/'))
		return 0;
	if (remount_keeping_locked(m, r->add) < 0)
		dks_child_die(r->ctx, errno, "cannot remount %s", t);
	return 0;
}

/* Remount the mount at @dst and every mount below it with @attrs added. */
static void remount_below(const struct dks_run_ctx *ctx, const char *dst, unsigned attrs)
{
	struct remount r = {.ctx = ctx, .dst = dst, .add = attrs_to_flags(attrs)};

	/* The host procfs: the sandbox's own is not mounted yet. Targets in it
	 * are relative to our root, the scratch tmpfs, like @dst. */
	if (dks_mountinfo_each(OLDROOT "/proc/self/mountinfo", remount_one, &r) < 0)
		dks_child_die(ctx, errno, "cannot read the mount table");
}

/* mount(2) fallback for kernels without mount_setattr (< 5.12): bind, then
 * remount the bind and every mount below it. */
static void bind_legacy(const struct dks_run_ctx *ctx, const char *src,
			const char *dst, unsigned attrs)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		dks_child_die(ctx, errno, "cannot bind %s", src);
	remount_below(ctx, dst, attrs);
}

/* Clone the tree at @src, set @attrs on every mount of the clone, attach
 * it at @dst. mount_setattr only adds restrictions, so the flags the kernel
 * locked stay as they were. */
static void bind_tree(const struct dks_run_ctx *ctx, const char *src,
		      const char *dst, unsigned attrs)
{
	struct mount_attr attr = {.attr_set = attrs};
	int fd;

	if (dks_mount_api_legacy())
		return bind_legacy(ctx, src, dst, attrs);
	fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0 && errno == ENOSYS)
		return bind_legacy(ctx, src, dst, attrs);
	if (fd < 0)
		dks_child_die(ctx, errno, "cannot bind %s", src);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		/* 5.2 to 5.11 have open_tree but not mount_setattr. */
		if (errno != ENOSYS)
			dks_child_die(ctx, errno, "cannot set attributes of %s", src);
		close(fd);
		return bind_legacy(ctx, src, dst, attrs);
	}
	if (move_mount(fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		dks_child_die(ctx, errno, "cannot attach %s at %s", src, dst);
	close(fd);
}

static void set_readonly(const struct dks_run_ctx *ctx, const char *path)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

	if (!dks_mount_api_legacy() && mount_setattr(AT_FDCWD, path, 0, &attr, sizeof(attr)) == 0)
		return;
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		dks_child_die(ctx, errno, "cannot make %s read-only", path);
}

static void mount_tmpfs(const struct dks_run_ctx *ctx, const char *dst,
			const char *opts, unsigned long flags)
{
	if (mount("tmpfs", dst, "tmpfs", flags, opts) < 0)
		dks_child_die(ctx, errno, "cannot mount tmpfs at %s", dst);
}

/* mkdir -p below the new root; the last component as a dir or a file. */
static void make_mountpoint(const struct dks_run_ctx *ctx, const char *path,
			    bool dir)
{
	char buf[PATH_MAX];
	int fd;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		dks_child_die(ctx, ENAMETOOLONG, "%s", path);
	for (char *p = buf + strlen(NEWROOT) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			dks_child_die(ctx, errno, "cannot create mount point %s", buf);
		*p = '/';
	}
	if (dir) {
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			dks_child_die(ctx, errno, "cannot create mount point %s", buf);
		return;
	}
	/* O_EXCL, no write access: an image's skeleton (a read-only overlay)
	 * may have the file already, and opening it for writing would fail. */
	fd = open(buf, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == EEXIST) {
		struct stat st;

		if (lstat(buf, &st) == 0 && S_ISREG(st.st_mode))
			return;
		dks_child_die(ctx, EEXIST, "mount point %s is not a file", buf);
	}
	if (fd < 0)
		dks_child_die(ctx, errno, "cannot create mount point %s", buf);
	close(fd);
}

static void host_path(char *buf, size_t size, const char *root, const char *path)
{
	snprintf(buf, size, "%s%s", root, path);
}

/* Bind host @src at @dst inside the new root. */
static void bind_host(const struct dks_run_ctx *ctx, const char *src,
		      const char *dst, unsigned attrs)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct stat st;

	host_path(from, sizeof(from), OLDROOT, src);
	host_path(to, sizeof(to), NEWROOT, dst);
	if (stat(from, &st) < 0)
		dks_child_die(ctx, errno, "cannot bind %s", src);
	make_mountpoint(ctx, to, S_ISDIR(st.st_mode));
	bind_tree(ctx, from, to, attrs);
}

/* Attach the caller's clone @fd of host @src (dks_trees) at @dst. */
static void attach_tree(const struct dks_run_ctx *ctx, int fd, const char *src,
			const char *dst, unsigned attrs)
{
	char proc[64];

	if (!dks_mount_api_legacy()) {
		/* Attributes set and made private by the caller (run.c). */
		if (move_mount(fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			dks_child_die(ctx, errno, "cannot attach %s at %s", src, dst);
		return;
	}
	/* mount(2) only: MS_MOVE takes a detached tree too, by its fd's link
	 * in the host's procfs (ours is not mounted yet); private before
	 * anything is mounted below it (run.c says why), then remounted. */
	snprintf(proc, sizeof(proc), OLDROOT "/proc/self/fd/%d", fd);
	if (mount(proc, dst, NULL, MS_MOVE, NULL) < 0 ||
	    mount(NULL, dst, NULL, MS_PRIVATE | MS_REC, NULL) < 0)
		dks_child_die(ctx, errno, "cannot attach %s at %s", src, dst);
	remount_below(ctx, dst, attrs);
}

/* Bind what the caller named: its clone @fd where it made one, else the
 * host path, opened with the build user's rights. */
static void bind_named(const struct dks_run_ctx *ctx, int fd, const char *src,
		       const char *dst, unsigned attrs)
{
	char to[PATH_MAX];
	struct stat st;

	if (fd < 0)
		return bind_host(ctx, src, dst, attrs);
	host_path(to, sizeof(to), NEWROOT, dst);
	/* The clone's type: the path may have changed since it was cloned. */
	if (fstat(fd, &st) < 0)
		dks_child_die(ctx, errno, "cannot bind %s", src);
	make_mountpoint(ctx, to, S_ISDIR(st.st_mode));
	attach_tree(ctx, fd, src, to, attrs);
}

static void write_text(const struct dks_run_ctx *ctx, const char *path,
		       const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		dks_child_die(ctx, errno, "cannot write %s", path);
	close(fd);
}

/* The host's /usr, read-only. When a kernel dir needs a mount point that
 * /usr lacks, /usr is a read-only overlay of the host's and a small layer
 * holding just those empty directories (no upper layer: nothing can be
 * written through it). */
static bool needs_usr_mountpoint(const struct dks_kernel *k, const char *dir);

static void mount_usr(const struct dks_run_ctx *ctx)
{
	const struct dks_kernel *k = &ctx->sb->kernel;
	char path[PATH_MAX];
	bool overlay = false;

	for (size_t i = 0; i < k->dirs.n; i++) {
		if (!needs_usr_mountpoint(k, k->dirs.v[i]))
			continue;
		snprintf(path, sizeof(path), "/usrskel%s", dks_kernel_dst(k, k->dirs.v[i]) + 4);
		for (char *p = path + 1;; p++) {
			if (*p && *p != '/')
				continue;
			char c = *p;

			*p = 0;
			if (mkdir(path, 0755) < 0 && errno != EEXIST)
				dks_child_die(ctx, errno, "cannot create %s", path);
			if (!(*p = c))
				break;
		}
		overlay = true;
	}
	if (!overlay)
		return bind_host(ctx, "/usr", "/usr", RO_ATTRS);
	make_mountpoint(ctx, NEWROOT "/usr", true);
	if (mount("overlay", NEWROOT "/usr", "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV,
		  "lowerdir=/usrskel:" OLDROOT "/usr") < 0)
		dks_child_die(ctx, errno, "cannot mount /usr with mount points for the kernel headers");
}

/* The host toolchain: /usr read-only, and /bin, /lib ... as the host has
 * them (symlinks into usr on merged-/usr systems, read-only binds else). */
static void setup_host_toolchain(const struct dks_run_ctx *ctx)
{
	char from[PATH_MAX], link[PATH_MAX];
	struct stat st;

	mount_usr(ctx);
	for (int i = 0; root_links[i]; i++) {
		ssize_t n;

		snprintf(from, sizeof(from), OLDROOT "/%s", root_links[i]);
		if (lstat(from, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			snprintf(link, sizeof(link), "/%s", root_links[i]);
			bind_host(ctx, link, link, RO_ATTRS);
			continue;
		}
		n = readlink(from, link, sizeof(link) - 1);
		if (!S_ISLNK(st.st_mode) || n < 0)
			continue;
		link[n] = 0;
		snprintf(from, sizeof(from), NEWROOT "/%s", root_links[i]);
		if (symlink(link, from) < 0)
			dks_child_die(ctx, errno, "cannot create %s", from);
	}
}

/* Only the named /etc entries (the profile's `etc`), and an identity for
 * the build user: no host accounts, no keys, no configuration. */
static void setup_etc(const struct dks_run_ctx *ctx)
{
	const struct dks_profile *p = ctx->sb->profile;
	char path[PATH_MAX], text[512];
	struct stat st;

	if (mkdir(NEWROOT "/etc", 0755) < 0)
		dks_child_die(ctx, errno, "cannot create /etc");
	for (size_t i = 0; i < p->n_etc; i++) {
		snprintf(path, sizeof(path), OLDROOT "/etc/%s", p->etc[i]);
		if (lstat(path, &st) < 0)
			continue;
		snprintf(path, sizeof(path), "/etc/%s", p->etc[i]);
		bind_host(ctx, path, path, RO_ATTRS);
	}
	snprintf(text, sizeof(text),
		 "root:x:0:0:root:/root:/bin/sh\n"
		 "build:x:%u:%u:dkms-sandbox build user:/tmp:/bin/sh\n",
		 (unsigned)ctx->uid, (unsigned)ctx->gid);
	write_text(ctx, NEWROOT "/etc/passwd", text);
	snprintf(text, sizeof(text), "root:x:0:\nbuild:x:%u:\n", (unsigned)ctx->gid);
	write_text(ctx, NEWROOT "/etc/group", text);
	write_text(ctx, NEWROOT "/etc/hostname", "dkms-sandbox\n");
}

/* Each entry of proc_masked the kernel has: an empty file instead, bound
 * read-only (a read gives nothing, a write EROFS). */
static void mask_proc(const struct dks_run_ctx *ctx)
{
	char path[PATH_MAX], first[PATH_MAX] = "";
	struct stat st;
	int fd = open(EMPTY_FILE, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);

	if (fd < 0)
		dks_child_die(ctx, errno, "cannot create %s", EMPTY_FILE);
	close(fd);
	for (int i = 0; proc_masked[i]; i++) {
		snprintf(path, sizeof(path), NEWROOT "/proc/%s", proc_masked[i]);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		/* The first mask is made read-only; the others are binds of it,
		 * which take its flags: one mount(2) each. */
		if (!first[0]) {
			bind_tree(ctx, EMPTY_FILE, path, RO_ATTRS | MOUNT_ATTR_NOEXEC);
			snprintf(first, sizeof(first), "%s", path);
		} else if (mount(first, path, NULL, MS_BIND, NULL) < 0) {
			dks_child_die(ctx, errno, "cannot mask %s", path);
		}
	}
}

static void setup_proc(const struct dks_run_ctx *ctx)
{
	char path[PATH_MAX];

	make_mountpoint(ctx, NEWROOT "/proc", true);
	/* Our own pid namespace's proc: host processes are not in it. */
	if (mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		dks_child_die(ctx, errno, "cannot mount /proc");
	for (int i = 0; proc_ro[i]; i++) {
		snprintf(path, sizeof(path), NEWROOT "/proc/%s", proc_ro[i]);
		if (access(path, F_OK) == 0)
			bind_tree(ctx, path, path, RO_ATTRS | MOUNT_ATTR_NOEXEC);
	}
	mask_proc(ctx);
}

static void setup_dev(const struct dks_run_ctx *ctx)
{
	static const char *const links[][2] = {
		{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
	char path[PATH_MAX];

	make_mountpoint(ctx, NEWROOT "/dev", true);
	mount_tmpfs(ctx, NEWROOT "/dev", "mode=0755,size=64k,nr_inodes=64", MS_NOSUID | MS_NOEXEC);
	for (int i = 0; dev_nodes[i]; i++) {
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		/* Host nodes, bound: a namespace cannot mknod, and nodes on a
		 * tmpfs mounted in a user namespace would not open. */
		bind_host(ctx, path, path, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), NEWROOT "/dev/%s", links[i][0]);
		if (symlink(links[i][1], path) < 0)
			dks_child_die(ctx, errno, "cannot create %s", path);
	}
	set_readonly(ctx, NEWROOT "/dev");
}

static void setup_tmp(const struct dks_run_ctx *ctx)
{
	char opts[128];
	uint64_t size = ctx->sb->profile->limits.tmp_size;

	make_mountpoint(ctx, NEWROOT "/tmp", true);
	if (size)
		snprintf(opts, sizeof(opts), "mode=1777,size=%llu,nr_inodes=%llu",
			 (unsigned long long)size, (unsigned long long)(size / 4096 + 1024));
	else
		snprintf(opts, sizeof(opts), "mode=1777");
	/* Bounded: filling /tmp cannot fill the host's memory. */
	mount_tmpfs(ctx, NEWROOT "/tmp", opts, MS_NOSUID | MS_NODEV);
}

static const char *const masks[] = DKS_MASKED_DIRS;

/* Hide every other module source and every kernel's modules behind empty
 * dirs of the scratch tmpfs, bound there (nosuid, nodev like the scratch;
 * read-only once the root is built): the kernel's headers and the binds
 * get mount points in them. Binds, not a tmpfs each: no superblock to make
 * at every start and tear down at every end. */
static void setup_masks(const struct dks_run_ctx *ctx)
{
	char path[PATH_MAX], empty[32];
	struct stat st;

	for (int i = 0; masks[i]; i++) {
		host_path(path, sizeof(path), NEWROOT, masks[i]);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(empty, sizeof(empty), "/mask%d", i);
		if (mkdir(empty, 0755) < 0 || mount(empty, path, NULL, MS_BIND, NULL) < 0)
			dks_child_die(ctx, errno, "cannot mask %s", masks[i]);
	}
}

static void finish_masks(const struct dks_run_ctx *ctx)
{
	char path[PATH_MAX];
	struct stat st;

	for (int i = 0; masks[i]; i++) {
		host_path(path, sizeof(path), NEWROOT, masks[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			set_readonly(ctx, path);
	}
}

/* A kernel dir that must appear below the host's read-only /usr where the
 * host has nothing (unpacked headers: /usr/lib/linux-kbuild-6.12...): a
 * mount point is needed that /usr does not have. */
static bool needs_usr_mountpoint(const struct dks_kernel *k, const char *dir)
{
	const char *dst = dks_kernel_dst(k, dir);
	char path[PATH_MAX];

	if (!dks_path_under(dst, "/usr"))
		return false;
	for (int i = 0; masks[i]; i++)
		if (dks_path_under(dst, masks[i]) || (strcmp(masks[i], "/lib/modules") == 0 &&
					      dks_path_under(dst, "/usr/lib/modules")))
			return false;
	snprintf(path, sizeof(path), OLDROOT "%s", dst);
	return access(path, F_OK) != 0;
}

static void modules_link(const struct dks_run_ctx *ctx, const char *name,
			 const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), NEWROOT "/lib/modules/%s/%s",
		 ctx->sb->kernel.kver, name);
	if (symlink(target, path) < 0)
		dks_child_die(ctx, errno, "cannot create /lib/modules/%s/%s",
			      ctx->sb->kernel.kver, name);
}

/* The kernel's headers, read-only at the same absolute paths as on the
 * host (their Makefiles and symlinks hold absolute paths), and
 * /lib/modules/KVER/{build,source} pointing at them. */
static void setup_kernel(const struct dks_run_ctx *ctx)
{
	const struct dks_kernel *k = &ctx->sb->kernel;
	char path[PATH_MAX];

	if (!k->kver)
		return;
	for (size_t i = 0; i < k->dirs.n; i++)
		if (dks_kernel_dir_bound(ctx->sb, k->dirs.v[i]))
			bind_named(ctx, dks_kernel_tree(ctx, i), k->dirs.v[i],
				   dks_kernel_dst(k, k->dirs.v[i]), RO_ATTRS);
	if (ctx->sb->toolchain)
		return; /* the image's skeleton has them (image.c) */
	snprintf(path, sizeof(path), NEWROOT "/lib/modules/%s/", k->kver);
	make_mountpoint(ctx, path, true);
	modules_link(ctx, "build", dks_kernel_dst(k, k->build));
	if (k->source)
		modules_link(ctx, "source", dks_kernel_dst(k, k->source));
}

/* A tmpfs of init's own (dks_sandbox_add_tmpfs): bounded in bytes and
 * inodes, so that the command cannot fill memory through it; no host
 * path is involved, so nothing written there can reach the host. */
static void mount_own_tmpfs(const struct dks_run_ctx *ctx, const struct dks_bind *b)
{
	char to[PATH_MAX], opts[128];

	host_path(to, sizeof(to), NEWROOT, b->dst);
	make_mountpoint(ctx, to, true);
	snprintf(opts, sizeof(opts), "mode=0755,size=%llu,nr_inodes=%llu",
		 (unsigned long long)b->tmpfs, (unsigned long long)(b->tmpfs / 16384));
	mount_tmpfs(ctx, to, opts, MS_NOSUID | MS_NODEV);
}

static void setup_binds(const struct dks_run_ctx *ctx)
{
	const struct dks_sandbox *sb = ctx->sb;

	for (size_t i = 0; i < sb->n_binds; i++)
		if (sb->binds[i].tmpfs)
			mount_own_tmpfs(ctx, &sb->binds[i]);
		else
			bind_named(ctx, dks_bind_tree(ctx, i), sb->binds[i].src, sb->binds[i].dst,
				   sb->binds[i].writable ? RW_ATTRS : RO_ATTRS);
}

/* Step into the new root and detach the host's: from here on, no path
 * leads back to it. */
static void pivot_into_newroot(const struct dks_run_ctx *ctx)
{
	if (chdir(NEWROOT) < 0)
		dks_child_die(ctx, errno, "chdir %s", NEWROOT);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		dks_child_die(ctx, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		dks_child_die(ctx, errno, "cannot detach the host root");
	if (chdir("/") < 0)
		dks_child_die(ctx, errno, "chdir /");
}

/* A scratch tmpfs becomes the root, the host's root moves to /oldroot:
 * sources are then reachable (under /oldroot) while the new root is
 * built, even those below the host's /tmp. */
static void enter_scratch_root(const struct dks_run_ctx *ctx)
{
	/* Nothing we mount propagates back to the host. */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		dks_child_die(ctx, errno, "cannot make / a slave mount");
	/* Room for an image root's skeleton of mount points (image.c). */
	mount_tmpfs(ctx, "/tmp", "mode=0755,size=1m,nr_inodes=1024", MS_NOSUID | MS_NODEV);
	if (chdir("/tmp") < 0 || mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
		dks_child_die(ctx, errno, "cannot prepare the scratch root");
	if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
		dks_child_die(ctx, errno, "pivot_root to the scratch root");
	if (chdir("/") < 0)
		dks_child_die(ctx, errno, "chdir /");
}

/* The toolchain image at /imageroot in the scratch root: the caller's
 * clone, so that overlayfs never resolves the caller's path as the build
 * user (it refuses a detached tree as a layer: lowerdir=/proc/self/fd/N is
 * EPERM), else a bind of the host path. Either way the overlay's options,
 * which mountinfo shows, name /imageroot, not the image's host path. */
static void image_root(const struct dks_run_ctx *ctx, char *path, size_t size)
{
	int fd = ctx->trees.toolchain;
	char from[PATH_MAX];

	if (mkdir(IMAGEROOT, 0755) < 0)
		dks_child_die(ctx, errno, "cannot create %s", IMAGEROOT);
	if (fd >= 0) {
		attach_tree(ctx, fd, ctx->sb->toolchain, IMAGEROOT, RO_ATTRS);
	} else {
		host_path(from, sizeof(from), OLDROOT, ctx->sb->toolchain);
		bind_tree(ctx, from, IMAGEROOT, RO_ATTRS);
	}
	snprintf(path, size, IMAGEROOT);
}

void dks_mounts_setup(const struct dks_run_ctx *ctx)
{
	const char *tc = ctx->sb->toolchain;

	enter_scratch_root(ctx);
	if (tc) {
		char from[PATH_MAX];

		image_root(ctx, from, sizeof(from));
		dks_mount_image_root(ctx, from, NEWROOT);
	} else {
		mount_tmpfs(ctx, NEWROOT, "mode=0755,size=4m,nr_inodes=4096", MS_NOSUID | MS_NODEV);
		setup_host_toolchain(ctx);
		setup_etc(ctx);
		setup_masks(ctx);
	}
	setup_proc(ctx);
	setup_dev(ctx);
	setup_tmp(ctx);
	setup_kernel(ctx);
	setup_binds(ctx);
	if (!tc) {
		finish_masks(ctx);
		set_readonly(ctx, NEWROOT);
	}
	pivot_into_newroot(ctx);
}
