/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.yaml (orchestrator/config.c through common/yamlwalk.c). */
#include "fuzz.h"
#include "dks/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_error err = {0};
	struct dks_config c;

	if (dks_config_parse((const char *)data, size, "fuzz/config.yaml", &c, &err) == 0)
		dks_config_clear(&c);
	return 0;
}
