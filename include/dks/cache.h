/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The content-addressed cache of built modules (docs/cache.md):
 *
 *   <cache_dir>/<key>/manifest      the inputs the key is computed from, and
 *                                   each file's name, size and sha256
 *   <cache_dir>/<key>/<name>.ko     a built module, as collected
 *   <cache_dir>/<key>/make.log      its build's log
 *   <cache_dir>/.tmp-XXXXXX/        an entry being written (one writer's)
 *   <cache_dir>/.trash/             entries on their way out (gc)
 *   <cache_dir>/.bad/               entries that failed verification
 *   <cache_dir>/.stats              hit and miss counters (flock'd)
 *
 * <key> is dks_unit_digest() of the unit's inputs (dks/identity.h): the
 * same digest a plan names a unit by. The directory may be shared by
 * several builders (read-write) and consumers (read-only), on NFS or any
 * shared filesystem: an entry appears whole in one rename, and a reader
 * verifies all of it while it copies it, never trusting what it reads.
 * The installer does not trust it either: what comes from the cache is
 * validated at install like any build.
 */
#ifndef DKS_CACHE_H
#define DKS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dks/error.h"
#include "dks/identity.h"

#define DKS_DEFAULT_CACHE_DIR "/var/cache/dkms-sandbox/builds"
#define DKS_CACHE_FORMAT "dkms-sandbox-cache 2" /* 2: input vmlinux */
#define DKS_CACHE_MANIFEST "manifest"
#define DKS_CACHE_LOG "make.log"
#define DKS_CACHE_MANIFEST_MAX (64u << 10) /* bytes of a manifest */
#define DKS_CACHE_FILES_MAX 64             /* files of an entry (.ko and the log) */
#define DKS_CACHE_FILE_MAX (256ull << 20)  /* bytes of one file */
#define DKS_CACHE_NAME_MAX 200
#define DKS_CACHE_VALUE_MAX 4096 /* bytes of one input's value */

enum dks_cache_mode { DKS_CACHE_RW, DKS_CACHE_RO, DKS_CACHE_OFF };

struct dks_cache {
	const char *dir;
	enum dks_cache_mode mode;
	uint64_t max_size; /* bytes; 0: no cap */
	bool dir_optional; /* the default dir: no cache unless it exists */
};

struct dks_cache_file {
	char name[DKS_CACHE_NAME_MAX + 1];
	uint64_t size;
	char sha256[DKS_SHA256_HEX];
};

/* An entry's manifest: the unit's inputs (strings owned here) and files. */
struct dks_cache_manifest {
	struct dks_unit_inputs in;
	char *module, *version, *profile; /* what in.module, ... point at */
	struct dks_cache_file files[DKS_CACHE_FILES_MAX];
	size_t n_files;
};

/* A file name an entry may hold: [A-Za-z0-9_.+-], not starting with '.',
 * DKS_CACHE_LOG or ending in ".ko". */
bool dks_cache_name_ok(const char *name);

/* The manifest's text (cache_manifest.c); NULL when out of memory or an
 * input holds a control character (then it cannot be cached). */
char *dks_cache_manifest_format(const struct dks_cache_manifest *m);
/* Parse @len bytes strictly: the canonical text only (formatting the
 * result gives the same bytes), names in increasing order, every bound
 * checked. @what names the entry in messages. */
int dks_cache_manifest_parse(const char *buf, size_t len, const char *what,
			     struct dks_cache_manifest *m, struct dks_error *err);
void dks_cache_manifest_clear(struct dks_cache_manifest *m);

/* Look @key up (cache_read.c): on a hit, each .ko is copied into
 * @module_dir and the log's bytes appended to @log_fd, all of it verified
 * (the manifest's inputs give @key, every file regular, of its size and
 * sha256, nothing more in the entry, @kos (n: @n_kos, may be 0) exactly
 * the .ko names). 1: a hit; 0: a miss. A bad entry is a miss with one
 * warning line naming it, moved to .bad/ (read-write mode), and what was
 * copied is taken back. Never fails the caller. */
int dks_cache_lookup(const struct dks_cache *c, const char key[DKS_SHA256_HEX],
		     const char *module_dir, int log_fd, const char *const *kos, size_t n_kos);

/* Insert a build (cache_write.c): the .ko files of @module_dir and the
 * log @log, under the key of @in, written to a private temp dir, every
 * file fsynced, renamed into place in one rename (an entry already there
 * wins; ours is discarded). Then a gc when above max_size. */
int dks_cache_insert(const struct dks_cache *c, const struct dks_unit_inputs *in,
		     const char *module_dir, const char *log, struct dks_error *err);

/* One entry, as gc and stats see it (cache_walk.c). */
struct dks_cache_entry {
	char key[DKS_SHA256_HEX];
	uint64_t bytes;        /* its files' sizes */
	struct timespec used;  /* last insert or hit: the entry dir's mtime */
};

/* Every entry (names of 64 hex digits that are directories); *@out to
 * free. A missing cache dir is none. */
int dks_cache_list(const struct dks_cache *c, struct dks_cache_entry **out, size_t *n,
		   struct dks_error *err);

/* Remove least recently used entries until the rest take at most
 * @max_size bytes, each renamed into .trash/ first (a reader sees it
 * whole or not at all); empty .trash/ and .bad/, and remove temp dirs
 * older than a day (cache_gc.c). @removed, @freed may be NULL. */
int dks_cache_gc(const struct dks_cache *c, uint64_t max_size, size_t *removed, uint64_t *freed,
		 struct dks_error *err);

/* Hit and miss counters in <dir>/.stats, under flock (cache_stats.c):
 * counted in read-write mode only, best effort. */
void dks_cache_count(const struct dks_cache *c, bool hit);
int dks_cache_counters(const struct dks_cache *c, uint64_t *hits, uint64_t *misses);

#endif
