/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The archive manifest (common/manifest.c) an ldtarball archive carries. */
#include "fuzz.h"
#include "dks/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_error err = {0};
	struct dks_manifest *m = NULL;

	if (dks_manifest_parse((const char *)data, size, "fuzz/manifest", &m, &err) == 0)
		dks_manifest_free(m);
	return 0;
}
