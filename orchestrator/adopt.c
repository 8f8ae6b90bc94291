// SPDX-License-Identifier: GPL-2.0-or-later
/* Taking over a build dkms made: adopt.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "build.h"
#include "dks/fileio.h"
#include "dks/handoff.h"
#include "dks/installer.h"
#include "dks/spec.h"

/* Into place, hooks first: the manifest's presence says the handoff is whole. */
static int move_in(const char *tmp, const char *build, struct dks_error *err)
{
	const char *const names[] = {DKS_HOOKS, DKS_MANIFEST};
	char from[PATH_MAX + 32], to[PATH_MAX + 32];

	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s/%s", tmp, names[i]);
		snprintf(to, sizeof(to), "%s/%s", build, names[i]);
		if (rename(from, to) < 0)
			return dks_err(err, errno, "cannot move %s to %s", from, to);
	}
	return 0;
}

/* The handoff written in a fresh hidden dir of the build, then moved in. */
static int write_handoff(const struct dks_spec *s, const char *build, struct dks_error *err)
{
	char tmp[PATH_MAX];
	int ret;

	if (snprintf(tmp, sizeof(tmp), "%s/.adopt-XXXXXX", build) >= (int)sizeof(tmp))
		return dks_err(err, ENAMETOOLONG, "%s", build);
	if (!mkdtemp(tmp))
		return dks_err(err, errno, "cannot create %s", tmp);
	ret = dks_build_write_handoff(s, tmp, err);
	if (ret == 0)
		ret = move_in(tmp, build, err);
	dks_rmtree(tmp);
	return ret;
}

/* What install verifies modules that arrive signed with (install.c). */
static const char *trusted_cert(const struct dks_ctx *ctx)
{
	const struct dks_config *c = &ctx->cfg;

	return c->trusted_cert ? c->trusted_cert : c->mok_cert ? c->mok_cert : DKS_DEFAULT_MOK_CERT;
}

int dks_adopt_build(struct dks_ctx *ctx, const char *m, const char *v,
		    const struct dks_target *t, struct dks_error *err)
{
	struct dks_build_env env = {.cfg = &ctx->cfg, .tree = &ctx->tree,
				    .jobserver = {-1, -1}, .jobs = ctx->cfg.jobs,
				    .conf = ctx->cli.conf,
				    .directives = ctx->cli.directives,
				    .n_directives = ctx->cli.n_directives};
	struct dks_spec *spec = NULL;
	char build[PATH_MAX], manifest[PATH_MAX + 16];
	int ret;

	snprintf(build, sizeof(build), "%s/%s/%s/%s/%s", ctx->tree.dkms_tree, m, v, t->kver,
		 t->arch);
	snprintf(manifest, sizeof(manifest), "%s/" DKS_MANIFEST, build);
	if (!dks_tree_is_built(&ctx->tree, m, v, t->kver, t->arch) ||
	    access(manifest, F_OK) == 0)
		return 0;
	if (dks_ctx_profile(ctx, err) < 0)
		return -1;
	env.profile = ctx->profile;
	ret = dks_build_spec(&env, m, v, t, &spec, err);
	if (ret < 0)
		return dks_err_prefix(err, "%s/%s, %s, %s: built by dkms, and its spec cannot be "
				      "read to take it over", m, v, t->kver, t->arch);
	snprintf(manifest, sizeof(manifest), "%s/module", build);
	ret = dks_unsign_built(manifest, trusted_cert(ctx), err);
	if (ret == 0)
		ret = write_handoff(spec, build, err);
	if (ret == 0)
		printf("%s/%s, %s, %s: taken over from dkms (manifest from %s)\n", m, v, t->kver,
		       t->arch, spec->source ? spec->source : "its spec");
	dks_spec_free(spec);
	return ret;
}
