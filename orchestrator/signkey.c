// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signing by default, as dkms 3 (orchestrator/signkey.h): the first install
 * for a kernel that checks signatures makes the key (mok.c) where the
 * configuration says, /var/lib/dkms/mok.key and mok.pub by default. The
 * installer asks for it through its make_key hook and only ever reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dks/fileio.h"
#include "dks/lockwait.h"
#include "dks/mok.h"
#include "signkey.h"

/* The key's directory, made if missing (root's, 0755, as dkms's
 * /var/lib/dkms), and its .mok.lock taken: two first installs at once
 * (two kernels' hooks, autoinstall beside a package's postinst) must make
 * one key, and the one that waited must use it, not a half-written file.
 * A file, not the directory itself, so that it holds its holder's record
 * (lockwait.h) and a waiter can say who it waits for. */
static int lock_key_dir(const char *key, struct dks_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct dks_lock_wait w = {.what = "the signing key's lock", .path = path};
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", key);
	slash = strrchr(dir, '/');
	if (!slash)
		return dks_err(err, 0, "signing key %s: not an absolute path", key);
	slash[slash == dir] = '\0'; /* "/mok.key": "/" */
	if (dks_mkdir_p(dir) < 0)
		return dks_err(err, errno, "signing key %s: cannot create %s", key, dir);
	snprintf(path, sizeof(path), "%s/.mok.lock", strcmp(dir, "/") ? dir : "");
	/* O_NOFOLLOW: a planted link must not make us create a file elsewhere. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return dks_err(err, errno, "signing key %s: cannot open %s", key, path);
	if (dks_lock_take(fd, &w, err) < 0) {
		close(fd);
		return dks_err_prefix(err, "signing key %s", key);
	}
	return fd;
}

int dks_signkey_make(void *arg, const char *key, const char *cert, struct dks_error *err)
{
	int fd = lock_key_dir(key, err), ret = 0;

	(void)arg;
	if (fd < 0)
		return -1;
	/* Made by another install while we waited: that one is ours too. */
	if (access(key, F_OK) != 0) {
		ret = dks_generate_mok(key, cert, DKS_MOK_COMMON_NAME, err);
		if (ret == 0)
			printf("made a module signing key %s and its certificate %s; modules are "
			       "signed with it. Enrol the certificate once, or Secure Boot will "
			       "refuse them: mokutil --import %s, then reboot and confirm in the "
			       "MOK manager\n", key, cert, cert);
	}
	dks_lock_release(fd); /* the lock goes with it */
	return ret;
}
