/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sandbox profiles (YAML through common/yamldoc.c and yamlwalk.c). */
#include "fuzz.h"
#include "dks/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_error err = {0};
	struct dks_profile *p = NULL;

	if (dks_profile_parse((const char *)data, size, "fuzz.yaml", &p, &err) == 0)
		dks_profile_free(p);
	return 0;
}
