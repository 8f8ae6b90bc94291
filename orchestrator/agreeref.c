// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tree's unit as this host sees it (agree.h), digested with the code
 * mktarball and plan use (identity.h), and an archive's manifest block
 * held against it: which input differs, by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agree.h"
#include "build.h"
#include "dks/cleanup.h"
#include "dks/toolchain.h"

/* The source's digest, or "" when the tree holds dkms's binaries-only
 * stub (<m>/<v>/source a directory: ldtarball of a binaries-only
 * archive), not the source. */
static int source_of(const struct dks_ctx *ctx, const char *m, const char *v, char *out,
		     struct dks_error *err)
{
	cleanup_free char *link = NULL;
	cleanup_free char *src = dks_tree_source_dir(&ctx->tree, m, v);
	struct stat st;

	*out = '\0';
	if (!src || asprintf(&link, "%s/%s/%s/source", ctx->tree.dkms_tree, m, v) < 0)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	if (lstat(link, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return dks_source_digest(src, out, err);
}

/* The configured toolchain's digest, or "" when it has no gcc. */
static int toolchain_of(const struct dks_ctx *ctx, char *out, struct dks_error *err)
{
	cleanup_free char *root = NULL;

	*out = '\0';
	if (dks_toolchain_resolve(ctx->cfg.dkms_tree, ctx->cfg.toolchain, &root, err) < 0)
		return -1;
	if (dks_toolchain_gcc_major(root ? root : "/") <= 0)
		return 0;
	return dks_toolchain_id(root ? root : "/", out, NULL, err);
}

static int kernel_of(struct dks_ctx *ctx, const char *m, const char *v,
		     struct dks_agree_kernel *k, struct dks_error *err)
{
	struct dks_build_env env = {.cfg = &ctx->cfg, .tree = &ctx->tree, .profile = ctx->profile,
				    .jobserver = {-1, -1}, .jobs = ctx->cfg.jobs,
				    .conf = ctx->cli.conf, .directives = ctx->cli.directives,
				    .n_directives = ctx->cli.n_directives};
	struct dks_spec *spec = NULL;

	if (dks_build_spec(&env, m, v, k->t, &spec, err) < 0)
		return -1;
	dks_spec_digest(spec, k->spec);
	dks_spec_free(spec);
	return dks_kernel_id(k->t, &k->id, err);
}

int dks_agree_ref_make(struct dks_ctx *ctx, const char *m, const char *v,
		       const struct dks_target *t, size_t n, struct dks_agree_ref *ref,
		       struct dks_error *err)
{
	*ref = (struct dks_agree_ref){.module = m, .version = v,
				      .profile = ctx->cfg.profile ? ctx->cfg.profile : "default"};
	if (dks_ctx_profile(ctx, err) < 0 || source_of(ctx, m, v, ref->source, err) < 0 ||
	    toolchain_of(ctx, ref->toolchain, err) < 0)
		return -1;
	ref->k = calloc(n ? n : 1, sizeof(*ref->k));
	if (!ref->k)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	for (size_t i = 0; i < n; i++) {
		ref->k[i].t = &t[i];
		ref->n++;
		if (kernel_of(ctx, m, v, &ref->k[i], err) < 0)
			return dks_err_prefix(err, "%s/%s, %s, %s", m, v, t[i].kver, t[i].arch);
	}
	return 0;
}

void dks_agree_ref_clear(struct dks_agree_ref *ref)
{
	for (size_t i = 0; i < ref->n; i++)
		dks_kernel_id_clear(&ref->k[i].id);
	free(ref->k);
	ref->k = NULL;
	ref->n = 0;
}

/* @mine when this host knows it, else the archive's @theirs. */
static const char *pick(const char *mine, const char *theirs)
{
	return mine && *mine ? mine : theirs;
}

/* The unit digest of this host's inputs, the archive's where it has none. */
static void unit_here(const struct dks_agree_ref *ref, const struct dks_agree_kernel *k,
		      const struct dks_manifest_kernel *mk, char out[DKS_SHA256_HEX])
{
	struct dks_unit_inputs u = {.module = ref->module, .version = ref->version,
				    .profile = ref->profile};

	snprintf(u.source, sizeof(u.source), "%s", pick(ref->source, mk->source));
	snprintf(u.toolchain, sizeof(u.toolchain), "%s", pick(ref->toolchain, mk->toolchain));
	memcpy(u.spec, k->spec, sizeof(u.spec));
	u.kernel = (struct dks_kernel_id){.release = (char *)pick(k->id.release, mk->kver),
					  .arch = k->id.arch ? k->id.arch : mk->arch,
					  .vermagic = (char *)pick(k->id.vermagic, mk->vermagic)};
	snprintf(u.kernel.config, sizeof(u.kernel.config), "%s", pick(k->id.config, mk->config));
	snprintf(u.kernel.symvers, sizeof(u.kernel.symvers), "%s",
		 pick(k->id.symvers, mk->symvers));
	snprintf(u.kernel.vmlinux, sizeof(u.kernel.vmlinux), "%s",
		 pick(k->id.vmlinux, mk->vmlinux));
	dks_unit_digest(&u, out);
}

/* "NAME (the archive's X, this host's Y), ..." for each input both sides
 * state that differs (a manifest's "-": the unit digest still covers it). */
static void name_inputs(const struct dks_agree_ref *ref, const struct dks_agree_kernel *k,
			const struct dks_manifest_kernel *mk, char *buf, size_t size)
{
	const char *names[] = {"source", "dkms.conf as evaluated", "toolchain", "kernel .config",
			       "kernel Module.symvers", "kernel vmlinux"};
	const char *here[] = {ref->source,  k->spec,	   ref->toolchain,
			      k->id.config, k->id.symvers, k->id.vmlinux};
	const char *there[] = {mk->source, mk->spec,	mk->toolchain,
			       mk->config, mk->symvers, mk->vmlinux};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(*names) && len < size; i++)
		if (*here[i] && *there[i] && strcmp(here[i], there[i]) != 0)
			len += (size_t)snprintf(buf + len, size - len,
						"%s%s (the archive's %.12s, this host's %.12s)",
						len ? ", " : "", names[i], there[i], here[i]);
}

int dks_agree_unit(struct dks_agree_ref *ref, struct dks_agree_kernel *k,
		   const struct dks_manifest_kernel *mk, const char *archive,
		   struct dks_error *err)
{
	char want[DKS_SHA256_HEX], which[1024];

	unit_here(ref, k, mk, want);
	name_inputs(ref, k, mk, which, sizeof(which));
	/* an input line that is not this host's is refused even under a
	 * unit digest that is (a manifest whose lines disagree) */
	if (strcmp(want, mk->unit) != 0 || *which)
		return dks_err_code(err, DKS_EXIT_CHECK_DIFFERS, 0,
				    "%s/%s, %s, %s: %s is another unit: %s", ref->module,
				    ref->version, k->t->kver, k->t->arch, archive,
				    *which ? which
					   : "its unit digest is not that of its own inputs "
					     "(another profile, or a manifest that lies)");
	if (*k->first_unit && strcmp(k->first_unit, mk->unit) != 0)
		return dks_err_code(err, DKS_EXIT_CHECK_DIFFERS, 0,
				    "%s/%s, %s, %s: %s and %s name other units (%.12s, %.12s): "
				    "inputs this host cannot check (the source of a binaries-only "
				    "load, the toolchain) differ", ref->module, ref->version,
				    k->t->kver, k->t->arch, k->first_archive, archive,
				    k->first_unit, mk->unit);
	if (!*k->first_unit) {
		memcpy(k->first_unit, mk->unit, sizeof(k->first_unit));
		k->first_archive = archive;
	}
	return 0;
}
