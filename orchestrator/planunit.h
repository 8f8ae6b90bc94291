/* SPDX-License-Identifier: GPL-2.0-or-later */
/* build --plan FILE --unit N: the one job of a plan's unit (planunit.c). */
#ifndef DKS_PLANUNIT_H
#define DKS_PLANUNIT_H

#include "build.h"
#include "cli.h"
#include "targets.h"

/* The build environment of @ctx's options and configuration (build's). */
struct dks_build_env dks_plan_build_env(const struct dks_ctx *ctx);

/* Unit --unit of plan --plan, checked: its inputs recomputed and their
 * digest compared with the plan's (a stale plan: DKS_EXIT_STALE_PLAN,
 * nothing built). *@jobs: that one job (its target in @ts; free(*jobs)
 * frees its names too), or none when it is built already (not --force). */
int dks_plan_job(const struct dks_ctx *ctx, struct dks_targets *ts, struct dks_job **jobs,
		 size_t *n, struct dks_error *err);

#endif
