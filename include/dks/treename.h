/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of the DKMS tree's path components: common/treename.c. */
#ifndef DKS_TREENAME_H
#define DKS_TREENAME_H

#include "dks/error.h"

/* Longest module, version, kernel or arch name the tree accepts. */
#define DKS_TREE_NAME_MAX 128

/* Can @name be a path component of the tree? Not empty, at most
 * DKS_TREE_NAME_MAX bytes, no '/', no control character, no leading '.'
 * (so neither "." nor "..", nor the tree's own hidden names), and not a
 * name the layout reserves (a version "original_module" or "kernel-*", a
 * kernel "source" or "build"). @what ("module", "version", "kernel",
 * "arch") names it in the message. Every function below checks its names. */
int dks_tree_check_name(const char *what, const char *name, struct dks_error *err);

#endif
