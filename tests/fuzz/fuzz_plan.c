/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The build plan file (orchestrator/planfile.c), read on every fleet node. */
#include "fuzz.h"
#include "orchestrator/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_error err = {0};
	struct dks_plan *p = NULL;

	if (dks_plan_parse((const char *)data, size, "fuzz.plan", &p, &err) == 0)
		dks_plan_free(p);
	return 0;
}
