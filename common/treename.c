// SPDX-License-Identifier: GPL-2.0-or-later
/* Names the DKMS tree accepts as path components: include/dks/treename.h. */
#include <stdbool.h>
#include <string.h>

#include "dks/treename.h"

struct reserved {
	const char *what, *name;
	bool prefix;
};

/* Names that would be read as part of the layout: <m>/original_module,
 * <m>/kernel-<kver>-<arch>, <m>/<v>/source, <m>/<v>/build. */
static const struct reserved reserved_names[] = {
    {"version", "original_module", false},
    {"version", "kernel-", true},
    {"kernel", "source", false},
    {"kernel", "build", false},
};

static bool is_reserved(const char *what, const char *name)
{
	for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++) {
		const struct reserved *r = &reserved_names[i];
		size_t len = r->prefix ? strlen(r->name) : strlen(r->name) + 1;

		if (strcmp(what, r->what) == 0 && strncmp(name, r->name, len) == 0)
			return true;
	}
	return false;
}

int dks_tree_check_name(const char *what, const char *name, struct dks_error *err)
{
	if (!name || !*name)
		return dks_err(err, 0, "empty %s name", what);
	if (strlen(name) > DKS_TREE_NAME_MAX)
		return dks_err(err, 0, "%s name '%.40s...' is longer than %d characters", what,
			       name, DKS_TREE_NAME_MAX);
	for (const char *p = name; *p; p++) {
		/* The name is not printed: it would carry the control
		 * character onto the terminal. */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return dks_err(err, 0, "%s name contains a control character", what);
	}
	if (strchr(name, '/'))
		return dks_err(err, 0, "%s name '%s' must not contain '/'", what, name);
	if (name[0] == '.')
		return dks_err(err, 0, "%s name '%s' must not start with '.'", what, name);
	if (is_reserved(what, name))
		return dks_err(err, 0, "%s name '%s' is reserved by the tree's layout", what, name);
	return 0;
}
