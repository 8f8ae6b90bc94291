// SPDX-License-Identifier: GPL-2.0-or-later
/* dkms's destination rule by distribution: distro.h. */
#include <stdio.h>
#include <string.h>

#include "dks/cleanup.h"
#include "distro.h"

/* dkms's distro_version(): ID for Ubuntu, else ID_LIKE when it is set
 * (the whole value, as bash's ${ID_LIKE[0]} of a string), else ID. */
static void distro_of(const char *os_release, char *out, size_t size)
{
	cleanup_fclose FILE *f = fopen(os_release, "re");
	char line[256], id[128] = "", like[128] = "";

	while (f && fgets(line, sizeof(line), f)) {
		char *key_end = strchr(line, '='), *v;

		if (!key_end)
			continue;
		*key_end = 0;
		v = key_end + 1;
		v[strcspn(v, "\n")] = 0;
		if (*v == '"' || *v == '\'') {
			v[strcspn(v + 1, "\"'") + 1] = 0;
			v++;
		}
		if (strcmp(line, "ID") == 0)
			snprintf(id, sizeof(id), "%s", v);
		else if (strcmp(line, "ID_LIKE") == 0)
			snprintf(like, sizeof(like), "%s", v);
	}
	snprintf(out, size, "%s", strcmp(id, "ubuntu") != 0 && *like ? like : id);
}

const char *dks_distro_location(const char *os_release, const char *location)
{
	static const struct {
		const char *prefix, *location;
	} rules[] = {{"fedora", "/extra"},        {"rhel", "/extra"},   {"ovm", "/extra"},
		     {"sles", "/updates"},        {"suse", "/updates"}, {"opensuse", "/updates"},
		     {"debian", "/updates/dkms"}, {"ubuntu", "/updates/dkms"},
		     {"arch", "/updates/dkms"}};
	char distro[128];

	distro_of(os_release, distro, sizeof(distro));
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strncmp(distro, rules[i].prefix, strlen(rules[i].prefix)) == 0)
			return rules[i].location;
	return location;
}
