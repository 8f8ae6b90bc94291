/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON reader (common/jsonparse.c) under the plan file and others. */
#include "fuzz.h"
#include "dks/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_error err = {0};
	struct dks_json *j = NULL;

	if (dks_json_parse((const char *)data, size, "fuzz.json", &j, &err) == 0)
		dks_json_free(j);
	return 0;
}
