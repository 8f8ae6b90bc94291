/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/PID/mountinfo, read without libmount (common/mountinfo.c): the
 * sandbox reads it at every start, and libmount with what it pulls in
 * (libblkid, libselinux, libpcre2) cost more to load and relocate than
 * the whole read (docs/sandbox.md, "Start-up").
 */
#ifndef DKS_MOUNTINFO_H
#define DKS_MOUNTINFO_H

/* One line's fields, unescaped (\040 is a space). Valid for the call only. */
struct dks_mountinfo {
	const char *root;     /* field 4: the mount's root within its filesystem */
	const char *target;   /* field 5: the mount point */
	const char *vfs_opts; /* field 6: per-mount options (rw,nosuid,...) */
	const char *fstype;   /* after " - " */
	const char *source;
	const char *fs_opts;  /* the superblock's options */
};

/* Split one line (its '\n' removed) in place into @m. 0, or -1 for a line
 * that is not a mountinfo line (too few fields, no " - "). */
int dks_mountinfo_parse(char *line, struct dks_mountinfo *m);

/* Each well-formed line of the file at @path through @fn (malformed ones
 * are skipped); stops at the first nonzero return of @fn and returns it.
 * 0 at the end, or -1 with errno when the file cannot be read. */
int dks_mountinfo_each(const char *path, int (*fn)(const struct dks_mountinfo *m, void *arg),
		       void *arg);

/* The MS_* flags of the per-mount options @opts ("rw,nosuid,relatime"):
 * ro, nosuid, nodev, noexec, noatime, nodiratime, relatime,
 * strictatime; other words add nothing. */
unsigned long dks_mount_opts_flags(const char *opts);

#endif
