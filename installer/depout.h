/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What depmod wrote, against each file's grammar (installer/depout.c),
 * before it replaces the kernel's files: modules.softdep and
 * modules.weakdep are modprobe configuration for libkmod, modules.devname
 * becomes tmpfiles lines through `kmod static-nodes`, and the others are
 * read by root's tools. Every line must be one depmod writes, built of
 * values that pass .modinfo's grammar (modinfo.h).
 */
#ifndef DKS_DEPOUT_H
#define DKS_DEPOUT_H

#include "dks/error.h"

#define DKS_DEPOUT_MAX (256L * 1024 * 1024) /* one index file (Debian 6.1's largest: 1.3 MB) */

/* Check @name, a file depmod wrote in the directory @dirfd (@dir names it
 * in messages). Text files not known: printable lines. 0, or
 * DKS_EXIT_INSTALL_FAILED with "<dir>/<name>:<line>: ..." in @err. */
int dks_depout_check(int dirfd, const char *dir, const char *name, struct dks_error *err);
/* The same on @len bytes in memory (the fuzzing entry point). */
int dks_depout_check_buf(const char *buf, size_t len, const char *dir, const char *name,
			 struct dks_error *err);

#endif
