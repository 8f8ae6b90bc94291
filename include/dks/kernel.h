/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel targets: a release, an architecture, and its headers. The
 * headers are found at <installtree>/KVER/build, or given with
 * --kernelsourcedir (also for headers unpacked with dpkg -x below some
 * directory: their absolute paths are then resolved below that root).
 */
#ifndef DKS_KERNEL_H
#define DKS_KERNEL_H

#include <stddef.h>

#include "dks/error.h"

struct dks_target {
	char *kver;
	char *arch;    /* uname -m style: x86_64 */
	char *headers; /* the headers directory (absolute, on the host) */
	char *headers_in; /* the same as a sandbox sees it (kernel_source_dir) */
	char *config;  /* <headers>/.config */
};

/* "KVER" or "KVER/ARCH" (dkms's -k syntax). @headers: --kernelsourcedir or
 * NULL. Missing headers: exit 21 naming the kernel. */
int dks_target_resolve(const char *spec, const char *headers, const char *install_tree,
		       struct dks_target *out, struct dks_error *err);
/* For uninstall, which needs no headers (a kernel being removed may have
 * lost them): resolved when they are there, else only kver and arch (the
 * other fields NULL). */
int dks_target_bare(const char *spec, const char *headers, const char *install_tree,
		    struct dks_target *out, struct dks_error *err);
/* Every kernel of @install_tree that has headers (--all), sorted. */
int dks_targets_installed(const char *install_tree, struct dks_target **out, size_t *n,
			  struct dks_error *err);
/* The running kernel (uname -r), for add and for -k-less commands. */
int dks_target_running(const char *install_tree, struct dks_target *out, struct dks_error *err);
void dks_target_clear(struct dks_target *t);
void dks_targets_free(struct dks_target *t, size_t n);

#endif
