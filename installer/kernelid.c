// SPDX-License-Identifier: GPL-2.0-or-later
/* A kernel's release and vermagic for the orchestrator's identities
 * (dks/installer.h): the facts validation reads, nothing else. */
#include <stdlib.h>

#include "dks/installer.h"
#include "validate.h"

int dks_kernel_vermagic(const char *headers, char **release, char **vermagic,
			struct dks_error *err)
{
	struct dks_kernel_facts k = {0};

	if (dks_kernel_facts_load(headers, &k, err) < 0)
		return -1;
	*release = k.release;
	*vermagic = k.vermagic;
	k.release = k.vermagic = NULL;
	dks_kernel_facts_clear(&k);
	return 0;
}
