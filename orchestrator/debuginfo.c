// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Debug info nobody keeps. Debian's kernels set CONFIG_DEBUG_INFO, so
 * kbuild compiles every module with -g; dkms then strips it (`strip -g`,
 * STRIP[#] defaults to yes), throwing the DWARF away. Generating it is
 * about an eighth of the compile's CPU (apfs: 12.5 s with, 10.9 s
 * without). GCC's -g does not change the code it generates: the stripped
 * .ko is the same, section by section, but for its build id (which
 * hashes the debug info too) and, at times, the order in which modpost
 * lists the same symbol versions in __versions (the loader looks each up
 * by name). Test debuginfo::a_stripped_module_is_built_without_it_*.
 *
 * The debug info is needed, and kept, when a module is not stripped
 * (STRIP[#]=no), when a POST_BUILD script runs before the strip (it may
 * read it), and when the kernel's build dir has a vmlinux: kbuild then
 * makes each module's BTF from its DWARF (CONFIG_DEBUG_INFO_BTF_MODULES),
 * and BTF survives strip -g.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "debuginfo.h"

static bool has_vmlinux(const char *headers)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/vmlinux", headers) >= (int)sizeof(path))
		return true; /* cannot tell: keep it */
	return lstat(path, &st) == 0 || errno != ENOENT;
}

bool dks_build_drops_debug_info(const struct dks_spec *s, const char *headers)
{
	if (!headers || s->n_modules == 0 || (s->post_build && *s->post_build))
		return false;
	for (size_t i = 0; i < s->n_modules; i++)
		if (!s->modules[i].strip)
			return false;
	return !has_vmlinux(headers);
}
