/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The install record (installer/installrec.c) a damaged or hostile tree
 * holds, read from memory through the reader's stream entry point; a record
 * read whole must format again. */
#include "fuzz.h"
#include "dks/installrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_error err = {0};
	struct dks_installrec r;
	FILE *f = fmemopen((void *)data, size, "r");
	char *out = NULL;
	size_t len = 0;

	if (!f)
		return 0;
	if (dks_installrec_read_stream(f, "fuzz/.installed", &r, &err) == 1) {
		if (dks_installrec_format(&r, &out, &len, &err) == 0)
			free(out);
		dks_installrec_free(&r);
	}
	fclose(f);
	return 0;
}
