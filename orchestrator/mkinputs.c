// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mktarball's build inputs, per kernel (mktarball.h): the spec evaluated
 * as a build evaluates it (dkms.conf in a sandbox, or the recipe) and the
 * unit digest over every input (identity.h), so that a fleet can tell
 * which build of which inputs it holds. A build keeps no record of the
 * toolchain it ran with: the one configured now is named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cli.h"
#include "dks/identity.h"
#include "dks/kernel.h"
#include "dks/spec.h"
#include "dks/toolchain.h"
#include "mktarball.h"

static int one_unit(struct dks_ctx *ctx, const struct dks_mktarball *o, size_t i,
		    char spec_out[DKS_SHA256_HEX], char unit_out[DKS_SHA256_HEX],
		    struct dks_error *err)
{
	struct dks_build_env env = {.cfg = &ctx->cfg, .tree = &ctx->tree, .profile = ctx->profile,
				    .jobserver = {-1, -1}, .jobs = ctx->cfg.jobs,
				    .conf = ctx->cli.conf, .directives = ctx->cli.directives,
				    .n_directives = ctx->cli.n_directives};
	struct dks_unit_inputs u = {.module = o->module, .version = o->version,
				    .profile = ctx->cfg.profile ? ctx->cfg.profile : "default"};
	struct dks_target t = {0};
	struct dks_spec *spec = NULL;
	char kspec[512];
	int rc;

	snprintf(kspec, sizeof(kspec), "%s/%s", o->kvers[i], o->arches[i]);
	rc = dks_target_resolve(kspec, ctx->cli.kernelsourcedir, ctx->cfg.install_tree, &t, err);
	if (rc == 0)
		rc = dks_build_spec(&env, o->module, o->version, &t, &spec, err);
	if (rc == 0)
		rc = dks_kernel_id(&t, &u.kernel, err);
	if (rc == 0) {
		dks_spec_digest(spec, spec_out);
		memcpy(u.spec, spec_out, DKS_SHA256_HEX);
		memcpy(u.source, o->source_digest, DKS_SHA256_HEX);
		memcpy(u.toolchain, o->toolchain_digest, DKS_SHA256_HEX);
		dks_unit_digest(&u, unit_out);
	}
	dks_kernel_id_clear(&u.kernel);
	dks_spec_free(spec);
	dks_target_clear(&t);
	return rc;
}

int dks_mktarball_inputs(const struct dks_ctx *ctx, struct dks_mktarball *o, char **label,
			 struct dks_error *err)
{
	char *src = dks_tree_source_dir(&ctx->tree, o->module, o->version), *root = NULL;
	int rc = src ? dks_source_digest(src, o->source_digest, err) : dks_err(err, 0, "out of memory");

	free(src);
	if (rc == 0)
		rc = dks_toolchain_resolve(ctx->cfg.dkms_tree, ctx->cfg.toolchain, &root, err);
	if (rc == 0)
		rc = dks_toolchain_id(root ? root : "/", o->toolchain_digest, label, err);
	free(root);
	o->toolchain_label = *label;
	return rc;
}

int dks_mktarball_units(struct dks_ctx *ctx, struct dks_mktarball *o, struct dks_error *err)
{
	if (dks_ctx_profile(ctx, err) < 0)
		return -1;
	o->spec_digests = calloc(o->n_kernels, sizeof(*o->spec_digests));
	o->unit_digests = calloc(o->n_kernels, sizeof(*o->unit_digests));
	if (!o->spec_digests || !o->unit_digests)
		return dks_err(err, 0, "out of memory");
	for (size_t i = 0; i < o->n_kernels; i++)
		if (one_unit(ctx, o, i, o->spec_digests[i], o->unit_digests[i], err) < 0)
			return dks_err_prefix(err, "%s/%s, %s", o->module, o->version, o->kvers[i]);
	return 0;
}
