/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A build unit's inputs as the identity API computes them (unitinputs.c):
 * the one place plan, build --plan and the cache get them from. */
#ifndef DKS_UNITINPUTS_H
#define DKS_UNITINPUTS_H

#include "build.h"
#include "dks/identity.h"
#include "dks/spec.h"

/* The inputs of m/v for @t with its evaluated spec @s: the source's,
 * the spec's and the toolchain's digests and the kernel's identity (to
 * clear with dks_kernel_id_clear(&in->kernel)); in->module, version and
 * profile point at @m, @v and @env's configuration. */
int dks_unit_inputs_make(const struct dks_build_env *env, const struct dks_spec *s,
			 const char *m, const char *v, const struct dks_target *t,
			 struct dks_unit_inputs *in, struct dks_error *err);

#endif
