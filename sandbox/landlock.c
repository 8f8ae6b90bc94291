// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Landlock, where the kernel has it: a second, independent wall behind the
 * read-only mounts. The command may write only below its writable binds,
 * /tmp and the /dev nodes; may not bind or connect TCP sockets (ABI 4);
 * may not reach abstract unix sockets or signal processes outside its own
 * domain (ABI 6). Reading and executing are not restricted here (the mount
 * namespace decides what exists at all).
 *
 * The uapi header of the build host may be older than the running kernel,
 * so the ABI is spelled out here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)    /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_FS_WRITE_ALL                                                       \
	(LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE |            \
	 LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | \
	 LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM)

static int abi_version(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

static void ruleset_for_abi(int abi, struct ll_ruleset_attr *a, size_t *size)
{
	memset(a, 0, sizeof(*a));
	a->handled_access_fs = LL_FS_WRITE_ALL;
	*size = sizeof(uint64_t);
	if (abi >= 2)
		a->handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		a->handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 4) {
		a->handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		*size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		a->scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		*size = sizeof(*a);
	}
}

static int allow_beneath(int ruleset, const char *path, uint64_t access,
			 struct dks_error *err)
{
	struct ll_path_beneath pb = {.allowed_access = access};
	int r;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return dks_err(err, errno, "landlock: %s", path);
	r = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return r < 0 ? dks_err(err, errno, "landlock: rule for %s", path) : 0;
}

static int add_rules(const struct dks_sandbox *sb, int ruleset, uint64_t all,
		     struct dks_error *err)
{
	uint64_t dev = LL_FS_WRITE_FILE | (all & LL_FS_TRUNCATE);

	if (allow_beneath(ruleset, "/tmp", all, err) < 0 ||
	    allow_beneath(ruleset, "/dev", dev, err) < 0)
		return -1;
	for (size_t i = 0; i < sb->n_binds; i++)
		if (sb->binds[i].writable &&
		    allow_beneath(ruleset, sb->binds[i].dst, all, err) < 0)
			return -1;
	return 0;
}

int dks_landlock_apply(const struct dks_sandbox *sb, struct dks_error *err)
{
	struct ll_ruleset_attr attr;
	size_t size;
	int abi, fd;

	if (!sb->profile->landlock)
		return 0;
	abi = abi_version();
	if (abi < 1) {
		dprintf(2, "dkms-sandbox: warning: this kernel has no Landlock: mounts and seccomp only\n");
		return 0;
	}
	ruleset_for_abi(abi, &attr, &size);
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return dks_err(err, errno, "landlock: create ruleset (ABI %d)", abi);
	if (add_rules(sb, fd, attr.handled_access_fs, err) < 0) {
		close(fd);
		return -1;
	}
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		close(fd);
		return dks_err(err, errno, "landlock: restrict");
	}
	close(fd);
	return 0;
}
