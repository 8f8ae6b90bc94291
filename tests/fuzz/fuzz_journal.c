/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The install transaction's journal (installer/txn.c), parsed only: the
 * recovery that acts on it is the fault-injection tests' concern. */
#include "fuzz.h"
#include "installer/txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_error err = {0};
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return 0;
	(void)dks_txn_journal_parse(f, "fuzz/journal", &err);
	fclose(f);
	return 0;
}
