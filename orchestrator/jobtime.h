/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How long a module's build took the last time, and the order a run
 * starts its jobs in: longest first (docs/build.md, "Longest first").
 * The record only orders work: a missing, damaged or hostile one is
 * "unknown", never an error.
 */
#ifndef DKS_JOBTIME_H
#define DKS_JOBTIME_H

#include <stddef.h>

#include "build.h"

/* <dkmstree>/<m>/<v>/DKS_JOBTIME_FILE: the milliseconds of m/v's last
 * build (any kernel), decimal, one line. */
#define DKS_JOBTIME_FILE ".last-build-ms"
/* A record above this (a week) is not believed. */
#define DKS_JOBTIME_MAX_MS 604800000L

/* The record's value from its bytes: decimal digits, an optional '\n',
 * at most DKS_JOBTIME_MAX_MS; else -1. */
long dks_jobtime_parse(const char *buf, size_t len);

/* m/v's record, or -1 (none, unreadable, not a regular file, damaged). */
long dks_jobtime_read(const struct dks_tree *t, const char *m, const char *v);

/* Record @ms for m/v: a temp file renamed over the record. Best effort:
 * a failure leaves the old record (or none) and is not reported. */
void dks_jobtime_write(const struct dks_tree *t, const char *m, const char *v, long ms);

/* The duration m/v is expected to take: its record, else the largest
 * record of another version of m, else a guess from its source's size. */
long dks_jobtime_estimate(const struct dks_tree *t, const char *m, const char *v);

/* @order (n entries): the jobs' indexes, longest estimate first, equal
 * estimates in the given order. @est (n entries, may be NULL): each job's
 * estimate, by job index. */
void dks_jobs_order(const struct dks_tree *t, const struct dks_job *jobs, size_t n,
		    size_t *order, long *est);

#endif
