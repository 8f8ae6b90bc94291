/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The archive extractor (orchestrator/fetch.c dks_extract: toolchain
 * images, recipe sources, ldtarball's module archives) on an archive the
 * fuzzer writes; it extracts into a scratch directory, emptied after each
 * run. The first byte picks the limits (image, links out, ldtarball's). */
#include "fuzz.h"
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "dks/fileio.h"
#include "dks/recipe.h"

static char dir[] = "/tmp/dks-fuzz-extract.XXXXXX";
static char from[sizeof(dir) + 16], dest[sizeof(dir) + 16];

static void cleanup(void)
{
	(void)dks_rmtree(dir);
}

static void write_input(const uint8_t *data, size_t size)
{
	int fd = open(from, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dks_extract_limits lim = {.total_max = 1 << 20, .entry_max = 1 << 18,
					 .entries_max = 64};
	struct dks_error err = {0};
	unsigned skipped = 0;

	if (size < 1)
		return 0;
	if (!from[0]) {
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		snprintf(from, sizeof(from), "%s/in", dir);
		snprintf(dest, sizeof(dest), "%s/out", dir);
	}
	lim.image = data[0] & 1;
	lim.links_out = data[0] & 2;
	lim.no_links = lim.no_dups = data[0] & 4;
	write_input(data + 1, size - 1);
	(void)dks_extract(from, dest, &lim, &skipped, &err);
	(void)dks_rmtree(dest);
	return 0;
}
