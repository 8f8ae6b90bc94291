/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The load test's console parser (orchestrator/testload_console.c): a
 * hostile module's printk lands in it. */
#include "fuzz.h"
#include "orchestrator/testload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_tl_console c;

	memset(&c, 0, sizeof(c));
	dks_tl_console_parse((const char *)data, size, "n0nce", &c);
	dks_tl_console_clear(&c);
	memset(&c, 0, sizeof(c));
	dks_tl_console_tail((const char *)data, size, &c);
	dks_tl_console_clear(&c);
	return 0;
}
