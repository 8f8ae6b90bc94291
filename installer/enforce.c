// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Does a kernel refuse unsigned modules (installer/enforce.h)? Read from
 * its config, and for the running kernel from /proc and /sys below a root
 * the caller may move (tests never depend on this machine's Secure Boot).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "enforce.h"

/* The first line of a small kernel file, or "" when it cannot be read
 * (no securityfs, an older kernel: nothing known, nothing enforced). */
static void first_line(const char *root, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

const char *dks_sig_enforced(const struct dks_kernel_facts *f, const char *host_root)
{
	const char *root = host_root ? host_root : "";
	char line[256];

	if (f->sig_force)
		return "CONFIG_MODULE_SIG_FORCE=y";
	/* The state below is the running kernel's: another kernel may boot
	 * without Secure Boot, and its config says nothing of it. */
	first_line(root, "proc/sys/kernel/osrelease", line, sizeof(line));
	if (!f->release || strcmp(line, f->release) != 0)
		return NULL;
	first_line(root, "sys/kernel/security/lockdown", line, sizeof(line));
	if (strstr(line, "[integrity]") || strstr(line, "[confidentiality]"))
		return "the running kernel is locked down (Secure Boot)";
	first_line(root, "sys/module/module/parameters/sig_enforce", line, sizeof(line));
	if (line[0] == 'Y' || line[0] == '1')
		return "the running kernel has module.sig_enforce=1";
	return NULL;
}
