// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms.conf's per-module overrides (dkmsconf_internal.h): the files an
 * admin puts in /etc/dkms to change a module's directives, found as dkms's
 * read_conf() finds them. Only their paths are decided here: they are
 * evaluated after the dkms.conf, in its sandbox (dkmsconf_eval.c), so an
 * override gets no more than a dkms.conf gets. The names come from the
 * tree or the source dir: each is checked by the tree's grammar first, so
 * a name cannot walk out of the directory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "dkmsconf_internal.h"
#include "dks/treename.h"

static bool usable(const char *what, const char *name)
{
	struct dks_error ignored = {0};

	return name && *name && dks_tree_check_name(what, name, &ignored) == 0;
}

int dks_dkmsconf_overrides(const char *dir, const char *m, const char *v, const char *kver,
			   const char *arch, char *out[DKS_OVERRIDES_MAX], size_t *n,
			   struct dks_error *err)
{
	char path[4096];

	*n = 0;
	if (!dir || !usable("module", m) || !usable("version", v) || !usable("kernel", kver) ||
	    !usable("arch", arch))
		return 0;
	for (int i = 0; i < DKS_OVERRIDES_MAX; i++) {
		struct stat st;

		switch (i) {
		case 0: snprintf(path, sizeof(path), "%s/%s.conf", dir, m); break;
		case 1: snprintf(path, sizeof(path), "%s/%s-%s.conf", dir, m, v); break;
		case 2: snprintf(path, sizeof(path), "%s/%s-%s-%s.conf", dir, m, v, kver); break;
		case 3: snprintf(path, sizeof(path), "%s/%s-%s-%s-%s.conf", dir, m, v, kver, arch); break;
		case 4: snprintf(path, sizeof(path), "%s/%s--%s.conf", dir, m, kver); break;
		default: snprintf(path, sizeof(path), "%s/%s--%s-%s.conf", dir, m, kver, arch); break;
		}
		/* dkms: [[ -e ]]; a directory or a FIFO is not a file to source. */
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		out[*n] = realpath(path, NULL);
		if (!out[*n])
			return dks_err(err, errno, "%s", path);
		(*n)++;
	}
	return 0;
}
