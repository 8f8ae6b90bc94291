/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A build cache entry's manifest (orchestrator/cache_manifest.c), read from
 * a cache directory that other builders, or a hostile share, write. */
#include <stdlib.h>

#include "dks/cache.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_cache_manifest m;
	struct dks_error err = {0};
	char *again;

	if (dks_cache_manifest_parse((const char *)data, size, "fuzz.manifest", &m, &err) < 0)
		return 0;
	/* what parses is canonical: formatting it gives the same bytes */
	again = dks_cache_manifest_format(&m);
	if (!again || strlen(again) != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
	dks_cache_manifest_clear(&m);
	return 0;
}
