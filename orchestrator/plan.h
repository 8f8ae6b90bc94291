/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A build plan (docs/fleet.md): the matrix module x version x kernel x
 * arch, each buildable unit with the digest of its inputs (dks/identity.h),
 * the units BUILD_EXCLUSIVE_* excludes apart with the reason. Made by
 * `plan` (plan.c, written by planjson.c); read back, strictly, by
 * `build --plan FILE --unit N` (planfile.c, then planunit.c).
 */
#ifndef DKS_PLAN_H
#define DKS_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "build.h"
#include "dks/error.h"
#include "dks/identity.h"
#include "dks/kernel.h"

#define DKS_PLAN_FORMAT "dkms-sandbox-plan"
#define DKS_PLAN_VERSION 2 /* 2: inputs.vmlinux */
#define DKS_PLAN_MAX_BYTES (16u << 20) /* a plan file is read whole: at most this */
#define DKS_PLAN_MAX_UNITS 65536

struct dks_plan_unit {
	char *module, *version, *kernel, *arch;
	char digest[DKS_SHA256_HEX];  /* dks_unit_digest of the inputs below */
	char source[DKS_SHA256_HEX], spec[DKS_SHA256_HEX], toolchain[DKS_SHA256_HEX];
	char *vermagic;
	char config[DKS_SHA256_HEX], symvers[DKS_SHA256_HEX]; /* "" when absent */
	char vmlinux[DKS_SHA256_HEX];                           /* "" without headers */
	char *reason; /* excluded units: why (BUILD_EXCLUSIVE_*'s line); else NULL */
};

struct dks_plan {
	long long version;                     /* DKS_PLAN_VERSION */
	char *dkmstree, *sourcetree, *installtree; /* what it was made against */
	char *profile, *toolchain_label;
	struct dks_plan_unit *units; /* buildable: index = position */
	size_t n_units;
	struct dks_plan_unit *excluded;
	size_t n_excluded;
};

void dks_plan_free(struct dks_plan *p);
/* Sort units into the plan's order: module, version (sort -V), kernel
 * (sort -V), arch. */
void dks_plan_sort(struct dks_plan_unit *u, size_t n);

/* The unit m/v for @target: its spec evaluated in a sandbox as build does
 * (dks_build_spec), BUILD_EXCLUSIVE_* applied, its inputs and their digest
 * (plan.c). Excluded: 0 with u->reason set. Any other failure: -1. */
int dks_plan_unit_make(const struct dks_build_env *env, const char *m, const char *v,
		       const struct dks_target *target, struct dks_plan_unit *u,
		       struct dks_error *err);
void dks_plan_unit_clear(struct dks_plan_unit *u);

/* The plan as JSON (planjson.c) and as a table for humans. */
int dks_plan_write_json(FILE *out, const struct dks_plan *p);
int dks_plan_write_table(FILE *out, const struct dks_plan *p);

/* Parse a plan from @len bytes (planfile.c): strict, bounded; every
 * violation is one line naming @name and the field. Fuzzable: bytes in. */
int dks_plan_parse(const char *buf, size_t len, const char *name, struct dks_plan **out,
		   struct dks_error *err);
/* Read @path (a regular file, at most DKS_PLAN_MAX_BYTES) and parse it. */
int dks_plan_load(const char *path, struct dks_plan **out, struct dks_error *err);

#endif
