/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The appended-signature trailer (installer/sigcheck.c). */
#include "fuzz.h"
#include "installer/sigcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_sig_trailer t;
	const char *why = NULL;

	if (dks_sig_trailer_parse(data, size, &t, &why) == 0) {
		if (t.content_len > size || t.sig_off > size || t.sig_len > size - t.sig_off)
			abort(); /* the parser promised these are inside the image */
	} else if (!why) {
		abort();
	}
	return 0;
}
