// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fixed environment of every module build, so that the same inputs
 * give the same .ko bytes whatever the time, the build uid, the machine
 * or where the tree lies (docs/build.md, "Reproducible modules"). The
 * paths are canonical already (the sandbox's /usr/src/<m>-<v> and
 * /var/lib/dkms/<m>/<v>/build); what is left is what a build could read
 * from the clock, the locale, the time zone and the host's name.
 *
 * SOURCE_DATE_EPOCH is one fixed value, not the source tree's newest
 * mtime: a unit's identity (identity.h) is its contents, never its times,
 * so a copy touched later must build the same bytes.
 */
#include "build.h"
#include "dks/sandbox.h"

#define EPOCH "946684800" /* 2000-01-01 00:00:00 UTC (zip and friends want >= 1980) */

static const char *const fixed_env[][2] = {
	{"SOURCE_DATE_EPOCH", EPOCH},
	{"KBUILD_BUILD_TIMESTAMP", "Sat Jan  1 00:00:00 UTC 2000"},
	{"KBUILD_BUILD_USER", "dkms-sandbox"},
	{"KBUILD_BUILD_HOST", "dkms-sandbox"},
	{"LC_ALL", "C"},
	{"TZ", "UTC"},
	{"HOME", "/tmp"},
};

int dks_build_repro_env(struct dks_sandbox *sb, struct dks_error *err)
{
	for (size_t i = 0; i < sizeof(fixed_env) / sizeof(fixed_env[0]); i++)
		if (dks_sandbox_setenv(sb, fixed_env[i][0], fixed_env[i][1], err) < 0)
			return -1;
	return 0;
}
