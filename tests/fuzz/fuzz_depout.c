/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The depmod output checker (installer/depout.c): the index files depmod
 * writes from hostile modules' .modinfo. The first byte picks the file. */
#include "fuzz.h"
#include "installer/depout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"modules.dep", "modules.alias", "modules.symbols",
					    "modules.softdep", "modules.weakdep", "modules.devname",
					    "modules.builtin.modinfo", "modules.order"};
	struct dks_error err = {0};
	char *b;

	if (size < 1)
		return 0;
	b = fuzz_tail(data, size);
	(void)dks_depout_check_buf(b, size - 1, "/lib/modules/6.1.0-99-amd64",
				   names[data[0] % (sizeof(names) / sizeof(names[0]))], &err);
	free(b);
	return 0;
}
