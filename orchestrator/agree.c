// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sign --agree-with ARCHIVE (agree.h, docs/fleet.md): another builder's
 * archive is hostile data. It goes through ldtarball's own extraction and
 * checks (ldtarball.h: the archive rules, the shape, the manifest and its
 * signature by the same policy, every .ko listed with its sha256 and
 * validated against this host's kernel of that name) into a private
 * scratch directory, never the tree; then for every kernel being signed
 * its manifest names the tree's unit (agreeref.c) and its .ko files are
 * the tree's byte for byte (buildcmp.c, the first differing ELF section
 * named). Nothing of the archive is ever placed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agree.h"
#include "buildcheck.h"
#include "dks/cleanup.h"
#include "ldtarball.h"

/* The staged build of @k's kernel, or NULL. */
static const struct dks_loaded_kernel *staged_kernel(const struct dks_staged *s,
						     const struct dks_target *t)
{
	for (size_t i = 0; i < s->n_kernels; i++)
		if (!strcmp(s->kernels[i].kver, t->kver) && !strcmp(s->kernels[i].arch, t->arch))
			return &s->kernels[i];
	return NULL;
}

/* One kernel the archive has a build for: the unit, then the bytes. */
static int agree_kernel(const struct dks_ctx *ctx, struct dks_agree_ref *ref,
			struct dks_agree_kernel *k, const struct dks_loaded_kernel *lk,
			const struct dks_staged *s, const char *archive, struct dks_error *err)
{
	cleanup_free char *unit = NULL, *mine = NULL, *theirs = NULL;

	if (asprintf(&unit, "%s/%s, %s, %s", ref->module, ref->version, k->t->kver, k->t->arch) < 0)
		return dks_err(err, ENOMEM, "%s", archive);
	if (dks_agree_unit(ref, k, dks_manifest_kernel(s->manifest, lk->kver, lk->arch), archive,
			   err) < 0)
		return -1;
	if (asprintf(&mine, "%s/%s/%s/%s/%s/module", ctx->tree.dkms_tree, ref->module,
		     ref->version, k->t->kver, k->t->arch) < 0 ||
	    asprintf(&theirs, "%s/module", lk->dir) < 0)
		return dks_err(err, ENOMEM, "%s", archive);
	if (dks_build_compare_with(unit, mine, theirs, archive, err) < 0)
		return -1;
	k->confirmed++;
	return 0;
}

/* Every kernel being signed that the archive has a build for; one at least. */
static int agree_kernels(const struct dks_ctx *ctx, struct dks_agree_ref *ref,
			 const struct dks_staged *s, const char *archive, struct dks_error *err)
{
	size_t held = 0;

	for (size_t i = 0; i < ref->n; i++) {
		const struct dks_loaded_kernel *lk = staged_kernel(s, ref->k[i].t);

		if (lk && agree_kernel(ctx, ref, &ref->k[i], lk, s, archive, err) < 0)
			return -1;
		held += lk != NULL;
	}
	if (!held)
		return dks_err_code(err, DKS_EXIT_CHECK_DIFFERS, 0,
				    "%s/%s: %s holds no build for a kernel being signed",
				    ref->module, ref->version, archive);
	return 0;
}

/* The staged archive is of m/v, with a manifest (its units). */
static int same_module(const struct dks_agree_ref *ref, const struct dks_staged *s,
		       const char *archive, struct dks_error *err)
{
	if (strcmp(s->module, ref->module) || strcmp(s->version, ref->version))
		return dks_err_code(err, DKS_EXIT_CHECK_DIFFERS, 0,
				    "%s/%s: %s holds %s/%s", ref->module, ref->version, archive,
				    s->module, s->version);
	if (!s->manifest)
		return dks_err_code(err, DKS_EXIT_CHECK_DIFFERS, 0,
				    "%s/%s: %s has no manifest (an archive of dkms's): it names no "
				    "unit and cannot confirm a build", ref->module, ref->version,
				    archive);
	return 0;
}

int dks_agree_archive(struct dks_ctx *ctx, struct dks_agree_ref *ref, const char *archive,
		      const char *scratch, struct dks_error *err)
{
	struct dks_ldtarball o = {.tree = &ctx->tree, .archive = archive,
				  .kernelsourcedir = ctx->cli.kernelsourcedir,
				  .boot_dir = ctx->cfg.boot_dir, .cert = dks_ldtarball_cert(ctx),
				  .require_signed = ctx->cli.require_signed ||
						    ctx->cfg.require_signed_archives,
				  .max_size = ctx->cli.max_size,
				  .conf_names = dks_ldtarball_conf_names, .conf_arg = ctx,
				  .stage_parent = scratch};
	struct dks_staged s = {0};
	int rc = dks_ldtarball_open(&o, &s, err);

	if (rc == 0)
		rc = same_module(ref, &s, archive, err);
	if (rc == 0)
		rc = dks_ldtarball_kernels(&o, &s, err);
	if (rc == 0)
		rc = agree_kernels(ctx, ref, &s, archive, err);
	if (rc == 0)
		printf("%s/%s: %s agrees: the same unit and the same bytes\n", ref->module,
		       ref->version, archive);
	dks_staged_clear(&s);
	return rc;
}
