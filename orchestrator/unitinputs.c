// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A build unit's inputs (unitinputs.h), from the identity API
 * (dks/identity.h); nothing here hashes by itself. The plan names a unit
 * by their digest, and the cache keys its entries by the same digest.
 */
#include <string.h>

#include "dks/cleanup.h"
#include "unitinputs.h"

int dks_unit_inputs_make(const struct dks_build_env *env, const struct dks_spec *s,
			 const char *m, const char *v, const struct dks_target *t,
			 struct dks_unit_inputs *in, struct dks_error *err)
{
	const char *tc = env->cfg->toolchain && strcmp(env->cfg->toolchain, "host") != 0
			     ? env->cfg->toolchain
			     : "/";
	cleanup_free char *src = dks_tree_source_dir(env->tree, m, v);
	cleanup_free char *label = NULL;

	*in = (struct dks_unit_inputs){.module = m,
				       .version = v,
				       .profile = env->cfg->profile ? env->cfg->profile : "default"};
	if (!src)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, 0, "%s/%s: not added", m, v);
	dks_spec_digest(s, in->spec);
	if (dks_source_digest(src, in->source, err) < 0 ||
	    dks_toolchain_id(tc, in->toolchain, &label, err) < 0)
		return -1;
	return dks_kernel_id(t, &in->kernel, err);
}
