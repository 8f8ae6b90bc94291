/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Status suffixes of an installed line: suffix.c. */
#ifndef DKS_SUFFIX_H
#define DKS_SUFFIX_H

#include <stddef.h>

#include "dks/tree.h"

/* The status line's suffixes for an installed m/kver/arch (dkms's
 * wording) in s->suffix, and our notes in s->notes (the in-tree modules
 * it shadows: " (shadows in-tree ext4)"); "" when there is nothing to say. */
void dks_installed_suffix(const struct dks_tree *t, const char *m, const char *kver,
			  const char *arch, struct dks_status *s);

#endif
