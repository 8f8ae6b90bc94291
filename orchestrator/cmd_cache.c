// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox cache stats
 * dkms-sandbox cache gc [--max-size BYTES]
 * The build cache (docs/cache.md): its entries, bytes, first and last
 * use, hits and misses; gc removes least recently used entries until the
 * rest fit (--max-size, else cache_max_size), and what is set aside.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cachebuild.h"
#include "cli.h"
#include "dks/cleanup.h"

static const char *const mode_names[] = {"read-write", "read-only", "off"};

static void print_time(const char *label, const struct timespec *t)
{
	char when[32] = "-";
	struct tm tm;

	if (t && gmtime_r(&t->tv_sec, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%-12s %s\n", label, when);
}

static int stats(const struct dks_cache *c, struct dks_error *err)
{
	cleanup_free struct dks_cache_entry *v = NULL;
	size_t n = 0, oldest = 0, newest = 0;
	uint64_t bytes = 0, hits = 0, misses = 0;

	if (dks_cache_list(c, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bytes += v[i].bytes;
		if (v[i].used.tv_sec < v[oldest].used.tv_sec)
			oldest = i;
		if (v[i].used.tv_sec > v[newest].used.tv_sec)
			newest = i;
	}
	dks_cache_counters(c, &hits, &misses);
	printf("%-12s %s (%s)\n", "cache:", c->dir, mode_names[c->mode]);
	printf("%-12s %zu\n", "entries:", n);
	printf("%-12s %" PRIu64 "\n", "bytes:", bytes);
	print_time("oldest use:", n ? &v[oldest].used : NULL);
	print_time("newest use:", n ? &v[newest].used : NULL);
	printf("%-12s %" PRIu64 "\n%-12s %" PRIu64 "\n", "hits:", hits, "misses:", misses);
	return 0;
}

/* Was --max-size given (its value may be 0: empty the cache)? */
static bool max_size_given(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "--max-size", 10) == 0)
			return true;
	return false;
}

static int gc(const struct dks_ctx *ctx, const struct dks_cache *c, bool given,
	      struct dks_error *err)
{
	uint64_t max = given ? ctx->cli.max_size : c->max_size ? c->max_size : UINT64_MAX;
	uint64_t freed = 0;
	size_t removed = 0;

	if (c->mode == DKS_CACHE_RO)
		return dks_err(err, 0, "cache gc: %s is read-only here (cache_mode)", c->dir);
	if (dks_cache_gc(c, max, &removed, &freed, err) < 0)
		return -1;
	printf("cache gc: %zu entries removed, %" PRIu64 " bytes freed\n", removed, freed);
	return 0;
}

static int run(const struct dks_ctx *ctx, int argc, char **argv, struct dks_error *err)
{
	const char *what = argc > 1 ? argv[1] : "";
	struct dks_cache c = dks_cache_of(&ctx->cfg);

	if (strcmp(what, "stats") == 0 && !ctx->cli.module)
		return stats(&c, err);
	if (strcmp(what, "gc") == 0 && !ctx->cli.module)
		return gc(ctx, &c, max_size_given(argc, argv), err);
	return dks_err(err, 0, "cache: stats | gc [--max-size BYTES]");
}

int cmd_cache(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	int rc = 0;

	/* "cache gc": the verb's own word comes first. */
	if (dks_ctx_open(argc - 1, argv + 1, "cache", &ctx, &err) < 0 ||
	    run(&ctx, argc, argv, &err) < 0)
		rc = dks_fail(&err);
	dks_ctx_close(&ctx);
	return rc;
}
