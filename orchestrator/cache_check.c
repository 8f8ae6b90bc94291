// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * build --check against the cache (cachebuild.h): the unit's entry, when
 * the cache has one, is copied out verified (as a hit would be) into the
 * private tree and its .ko files compared with the rebuild's, so that a
 * poisoned or stale entry is named like a tampered build.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildcheck.h"
#include "cachebuild.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"

/* The entry of @j, copied into <priv>/.cache-<i>/module: 1, or 0 (none). */
static int entry_copy(const struct dks_build_env *env, const char *dir,
		      const struct dks_job *j, struct dks_error *err)
{
	const struct dks_spec_target st = {.kver = j->target->kver, .arch = j->target->arch};
	struct dks_spec *s = NULL;
	struct dks_unit_inputs in = {0};
	char mod[PATH_MAX + 16], log[PATH_MAX + 16];
	cleanup_close int log_fd = -1;
	int ret;

	snprintf(mod, sizeof(mod), "%s/module", dir);
	snprintf(log, sizeof(log), "%s/make.log", dir);
	if (dks_mkdir_p(mod) < 0)
		return dks_err(err, errno, "%s", mod);
	log_fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0)
		return dks_err(err, errno, "%s", log);
	if (dks_build_spec(env, j->module, j->version, j->target, &s, err) < 0)
		return -1;
	ret = dks_spec_exclude_modules(s, &st, j->target->config, err) != 0 ? -1 : 0;
	if (ret == 0)
		ret = dks_build_cached(env, j, s, dir, log_fd, &in);
	dks_kernel_id_clear(&in.kernel);
	dks_spec_free(s);
	return ret;
}

int dks_build_check_cache(const struct dks_build_env *env, const char *priv,
			  const struct dks_job *jobs, size_t n, struct dks_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct dks_target *k = jobs[i].target;
		char dir[PATH_MAX], mod[PATH_MAX + 16], rebuilt[PATH_MAX], unit[PATH_MAX + 64];
		int ret;

		snprintf(dir, sizeof(dir), "%s/.cache-%zu", priv, i);
		ret = entry_copy(env, dir, &jobs[i], err);
		if (ret <= 0) {
			if (ret < 0)
				return -1;
			continue;
		}
		snprintf(mod, sizeof(mod), "%s/module", dir);
		snprintf(rebuilt, sizeof(rebuilt), "%s/%s/%s/%s/%s/module", priv, jobs[i].module,
			 jobs[i].version, k->kver, k->arch);
		snprintf(unit, sizeof(unit), "%s/%s, %s, %s (the cache's entry)", jobs[i].module,
			 jobs[i].version, k->kver, k->arch);
		if (dks_build_compare(unit, mod, rebuilt, err) < 0)
			return -1;
	}
	return 0;
}
