// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The spec's, the kernel's and a build unit's digests (dks/identity.h).
 * Each is sha256 over NUL-ended fields after a versioned tag, so that no
 * two different inputs give the same stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/identity.h"
#include "dks/installer.h"

static void add_bool(struct dks_sha256 *h, bool b)
{
	dks_sha256_str(h, b ? "1" : "0");
}

static void add_strs(struct dks_sha256 *h, char *const *v, size_t n)
{
	char count[32];

	snprintf(count, sizeof(count), "%zu", n);
	dks_sha256_str(h, count);
	for (size_t i = 0; i < n; i++)
		dks_sha256_str(h, v[i]);
}

static void add_excl(struct dks_sha256 *h, const struct dks_spec_excl *e)
{
	dks_sha256_str(h, e->kernel);
	dks_sha256_str(h, e->kernel_min);
	dks_sha256_str(h, e->kernel_max);
	dks_sha256_str(h, e->arch);
	add_strs(h, e->config, e->n_config);
}

static void add_modules(struct dks_sha256 *h, const struct dks_spec *s)
{
	char count[32];

	snprintf(count, sizeof(count), "%zu", s->n_modules);
	dks_sha256_str(h, count);
	for (size_t i = 0; i < s->n_modules; i++) {
		const struct dks_spec_module *m = &s->modules[i];

		dks_sha256_str(h, m->built_name);
		dks_sha256_str(h, m->built_location);
		dks_sha256_str(h, m->dest_name);
		dks_sha256_str(h, m->dest_location);
		add_bool(h, m->strip);
		add_excl(h, &m->excl);
	}
}

static void add_scripts(struct dks_sha256 *h, const struct dks_spec *s)
{
	const char *v[] = {s->make, s->clean, s->pre_build, s->post_build, s->post_add,
			   s->pre_install, s->post_install, s->post_remove, s->obsolete_by};

	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
		dks_sha256_str(h, v[i] ? v[i] : "\001unset");
}

void dks_spec_digest(const struct dks_spec *s, char out[DKS_SHA256_HEX])
{
	struct dks_sha256 *h = dks_sha256_new();
	char count[32];

	out[0] = '\0';
	if (!h)
		return;
	dks_sha256_str(h, "dks-spec 1");
	dks_sha256_str(h, s->name);
	dks_sha256_str(h, s->version);
	add_modules(h, s);
	add_scripts(h, s);
	snprintf(count, sizeof(count), "%zu", s->n_patches);
	dks_sha256_str(h, count);
	for (size_t i = 0; i < s->n_patches; i++)
		dks_sha256_str(h, s->patches[i].file);
	add_bool(h, s->autoinstall);
	add_bool(h, s->no_weak_modules);
	add_bool(h, s->build_depends_rebuild);
	add_strs(h, s->build_depends, s->n_build_depends);
	struct dks_spec_excl top = {s->excl_kernel, s->excl_kernel_min, s->excl_kernel_max,
				    s->excl_arch, s->excl_config, s->n_excl_config};
	add_excl(h, &top);
	dks_sha256_final(h, out);
}

static int kernel_file_digest(const struct dks_target *k, const char *name,
			      char out[DKS_SHA256_HEX], struct dks_error *err)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s", k->headers, name) >= (int)sizeof(path))
		return dks_err(err, ENAMETOOLONG, "%s/%s", k->headers, name);
	return dks_sha256_file(path, out, err);
}

int dks_kernel_id(const struct dks_target *k, struct dks_kernel_id *out, struct dks_error *err)
{
	memset(out, 0, sizeof(*out));
	out->arch = strdup(k->arch ? k->arch : "");
	if (!out->arch)
		return dks_err(err, ENOMEM, "%s: kernel identity", k->kver);
	if (!k->headers) {
		out->release = strdup(k->kver);
		return out->release ? 0 : dks_err(err, ENOMEM, "%s: kernel identity", k->kver);
	}
	if (dks_kernel_vermagic(k->headers, &out->release, &out->vermagic, err) < 0 ||
	    kernel_file_digest(k, ".config", out->config, err) < 0 ||
	    kernel_file_digest(k, "Module.symvers", out->symvers, err) < 0 ||
	    dks_vmlinux_digest(k->headers, out->vmlinux, err) < 0) {
		dks_kernel_id_clear(out);
		return -1;
	}
	return 0;
}

void dks_kernel_id_clear(struct dks_kernel_id *id)
{
	free(id->release);
	free(id->arch);
	free(id->vermagic);
	memset(id, 0, sizeof(*id));
}

void dks_unit_digest(const struct dks_unit_inputs *u, char out[DKS_SHA256_HEX])
{
	struct dks_sha256 *h = dks_sha256_new();
	const char *v[] = {u->module,	      u->version,	   u->profile,
			   u->source,	      u->spec,		   u->toolchain,
			   u->kernel.release, u->kernel.arch,	   u->kernel.vermagic,
			   u->kernel.config,  u->kernel.symvers,   u->kernel.vmlinux};

	out[0] = '\0';
	if (!h)
		return;
	/* 2: modules stripped anyway are built without -g; 3: the vmlinux */
	dks_sha256_str(h, "dks-unit 3");
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
		dks_sha256_str(h, v[i] ? v[i] : "\001unset");
	dks_sha256_final(h, out);
}
