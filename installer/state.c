// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Is m/v installed for a kernel: the kernel-<kver>-<arch> link that the
 * install transaction writes last and removes first (installer.h), and
 * whether a transaction of it was cut short among its steps.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/installer.h"
#include "dks/treename.h"

/* <mfd>/kernel-<kver>-<arch> -> <v>/<kver>/<arch>? */
bool dks_installed_at(int mfd, const char *v, const char *kver, const char *arch)
{
	char link[2 * DKS_TREE_NAME_MAX + 16], want[3 * DKS_TREE_NAME_MAX + 4],
	    target[sizeof(want) + 1];
	ssize_t n;

	snprintf(link, sizeof(link), "kernel-%s-%s", kver, arch);
	snprintf(want, sizeof(want), "%s/%s/%s", v, kver, arch);
	n = readlinkat(mfd, link, target, sizeof(target) - 1);
	if (n < 0 || (size_t)n >= sizeof(target) - 1)
		return false;
	target[n] = '\0';
	return strcmp(target, want) == 0;
}

#define APPLYING "dkms-sandbox transaction\nstate apply\n"

bool dks_txn_cut_short_at(int mfd, const char *kver, const char *arch)
{
	char name[NAME_MAX + 1], head[sizeof(APPLYING)];
	cleanup_close int fd = -1;
	ssize_t n;

	if ((size_t)snprintf(name, sizeof(name), ".txn-%s-%s", kver, arch) >= sizeof(name))
		return false;
	fd = openat(mfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head) - 1);
	return n == (ssize_t)sizeof(head) - 1 && memcmp(head, APPLYING, sizeof(head) - 1) == 0;
}

bool dks_installed(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		   const char *arch)
{
	cleanup_close int root = -1, mfd = -1;

	if (dks_tree_check_name("module", m, NULL) < 0 ||
	    dks_tree_check_name("version", v, NULL) < 0 ||
	    dks_tree_check_name("kernel", kver, NULL) < 0 ||
	    dks_tree_check_name("arch", arch, NULL) < 0)
		return false;
	root = open(t->dkms_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mfd = root >= 0 ? openat(root, m, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	return mfd >= 0 && dks_installed_at(mfd, v, kver, arch);
}
