/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Debug info nobody keeps (debuginfo.c): a build whose every module is
 * stripped (`strip -g`, dkms's STRIP[#] default) is compiled without it.
 */
#ifndef DKS_DEBUGINFO_H
#define DKS_DEBUGINFO_H

#include <stdbool.h>

#include "dks/spec.h"

/* True when every module of @s is stripped, no POST_BUILD script could
 * read the debug info first, and @headers (the kernel's build dir on the
 * host; NULL: none) has no vmlinux, so kbuild makes no BTF from it. */
bool dks_build_drops_debug_info(const struct dks_spec *s, const char *headers);

/* What the build's MAKEFLAGS then carries: make's command-line override
 * of the kernel's CONFIG_DEBUG_INFO, passed down to every sub-make. */
#define DKS_NO_DEBUG_INFO_MAKEFLAGS " -- CONFIG_DEBUG_INFO="

#endif
