/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Status suffixes of a built or installed line: suffix.c. */
#ifndef DKS_SUFFIX_H
#define DKS_SUFFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/tree.h"

/* dkms 3.4's words (dkms.in, module_status_built_extra). */
#define DKS_SUFFIX_ORIGINAL " (Original modules exist)"
#define DKS_SUFFIX_DIFFER " (Differences between built and installed modules)"
#define DKS_SUFFIX_MISSING " (Built modules are missing in the kernel modules folder)"

/* The suffixes of m/v's line for kver/arch, as dkms 3.4 gives them, in
 * s->suffix: original_module/ holds something; then one of: a module the
 * build's manifest names is gone from its module/ dir (dkms 3.4's
 * "missing", whatever its words say), or (@installed) an installed file or
 * the built one changed since the install or is gone (the install
 * record). Our notes (the in-tree modules an installed one shadows:
 * " (shadows in-tree ext4)") in s->notes. "" when there is nothing. */
void dks_build_suffix(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		      const char *arch, bool installed, struct dks_status *s);

/* s->suffix in dkms 3.0.10's words (config status_wording: "3.0"). */
void dks_suffix_words_30(struct dks_status *s);

#endif
