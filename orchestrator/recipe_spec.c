// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A recipe's struct dks_spec for one kernel (include/dks/recipe.h,
 * docs/recipes.md): the same spec a dkms.conf gives, with the
 * kernel-dependent choices made here (build.overrides, patches[].kernel)
 * and ${var} substituted (recipe_vars.c) in the command lines. kernel:
 * constraints pass on unchanged as BUILD_EXCLUSIVE_*.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dks/regexcost.h"
#include "dks/cleanup.h"
#include "dks/recipe.h"
#include "recipe_internal.h"

/* dkms's tree, as the build sandbox sees it, when the target names none. */
#define DEFAULT_DKMS_TREE "/var/lib/dkms"

static void spec_freep(struct dks_spec **s)
{
	dks_spec_free(*s);
}
#define cleanup_spec __attribute__((cleanup(spec_freep)))

struct target_vals {
	char *kernel_dir, *build_dir, jobs[16];
	const char *v[V_COUNT];
};

static void target_vals_release(struct target_vals *tv)
{
	free(tv->kernel_dir);
	free(tv->build_dir);
}

/* dkms's values for a kernel: kernel_source_dir defaults to
 * /lib/modules/KVER/build, the tree to /var/lib/dkms, jobs to the CPUs. */
static int target_vals_init(struct target_vals *tv, const struct dks_recipe *r,
			    const struct dks_spec_target *t, struct dks_error *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = t->jobs > 0 ? t->jobs : cpus > 0 ? (int)cpus : 1;

	if (!t->kver || !t->arch)
		return dks_err(err, EINVAL, "%s: kernel target without a release or an arch",
			       r->path);
	if (t->kernel_dir)
		tv->kernel_dir = strdup(t->kernel_dir);
	else if (asprintf(&tv->kernel_dir, "/lib/modules/%s/build", t->kver) < 0)
		tv->kernel_dir = NULL;
	if (asprintf(&tv->build_dir, "%s/%s/%s/build",
		     dks_or_default(t->dkms_tree, DEFAULT_DKMS_TREE), r->name, r->version) < 0)
		tv->build_dir = NULL;
	if (!tv->kernel_dir || !tv->build_dir)
		return dks_err(err, ENOMEM, "%s", r->path);
	snprintf(tv->jobs, sizeof(tv->jobs), "%d", jobs);
	tv->v[V_KERNELVER] = t->kver;
	tv->v[V_KSRC] = tv->kernel_dir;
	tv->v[V_ARCH] = t->arch;
	tv->v[V_JOBS] = tv->jobs;
	tv->v[V_MODULE] = r->name;
	tv->v[V_MODVER] = r->version;
	tv->v[V_BUILD_DIR] = tv->build_dir;
	for (int i = 0; i < V_COUNT; i++)
		if (dks_recipe_check_value(dks_recipe_var_names[i], tv->v[i], err) < 0)
			return -1;
	return 0;
}

static bool build_in_top(const struct dks_recipe *r)
{
	return !r->build_dir || strcmp(r->build_dir, ".") == 0;
}

/* @prefix, then @cmd expanded, into *@out (malloc'd). */
static int expand_to(const struct dks_recipe *r, const char *prefix, const struct cmd *cmd,
		     const struct target_vals *tv, char **out, struct dks_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return dks_err(err, errno, "%s", r->path);
	fputs(prefix, f);
	rc = dks_recipe_expand(r->path, cmd, tv->v, f, err);
	if (fclose(f) != 0 && rc == 0)
		return dks_err(err, ENOMEM, "%s", r->path);
	if (rc < 0)
		return -1;
	*out = steal_pointer(&buf);
	return 0;
}

/* The command line for @cmd, run in build.directory: "cd 'DIR' && ...".
 * Single quotes are safe: check_relpath allows no quote in DIR. */
static int command_line(const struct dks_recipe *r, const struct cmd *cmd,
			const struct target_vals *tv, char **out, struct dks_error *err)
{
	cleanup_free char *prefix = NULL;

	if (build_in_top(r))
		return expand_to(r, "", cmd, tv, out, err);
	if (asprintf(&prefix, "cd '%s' && ", r->build_dir) < 0)
		return dks_err(err, ENOMEM, "%s", r->path);
	return expand_to(r, prefix, cmd, tv, out, err);
}

static bool kernel_matches(const char *ere, const char *kver)
{
	regex_t re;
	bool match;

	/* Compiled once at load already: a failure here is memory. */
	if (dks_regex_too_big(ere) || regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	match = regexec(&re, kver, 0, NULL, 0) == 0;
	regfree(&re);
	return match;
}

/* MAKE[i]/MAKE_MATCH[i]: the first override whose ERE matches, else the
 * command, else NULL = dkms's default line (the build adds -jN and
 * KERNELRELEASE to its leading make), or that line with M= pointing into
 * build.directory: still a leading make, so it keeps that treatment. */
static int spec_make(const struct dks_recipe *r, const struct dks_spec_target *t,
		     const struct target_vals *tv, struct dks_spec *s, struct dks_error *err)
{
	cleanup_free char *def = NULL;
	struct cmd cmd = {NULL, 0};

	for (size_t i = 0; i < r->n_overrides; i++)
		if (kernel_matches(r->overrides[i].kernel, t->kver))
			return command_line(r, &r->overrides[i].command, tv, &s->make, err);
	if (r->command.text)
		return command_line(r, &r->command, tv, &s->make, err);
	if (build_in_top(r))
		return 0;
	if (asprintf(&def, "make -C ${kernel_source_dir} M=${build_dir}/%s", r->build_dir) < 0)
		return dks_err(err, ENOMEM, "%s", r->path);
	cmd.text = def;
	return expand_to(r, "", &cmd, tv, &s->make, err);
}

/* *@dst = copy of @src (NULL stays NULL); false when out of memory. */
static bool dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

static char **strv_dup(char *const *v, size_t n)
{
	char **c = calloc(n + 1, sizeof(*c));

	for (size_t i = 0; c && i < n; i++) {
		if (!(c[i] = strdup(v[i]))) {
			dks_strv_free(c);
			return NULL;
		}
	}
	return c;
}

static int spec_modules(const struct dks_recipe *r, struct dks_spec *s, struct dks_error *err)
{
	s->modules = calloc(r->n_modules, sizeof(*s->modules));
	if (!s->modules)
		return dks_err(err, ENOMEM, "%s", r->path);
	for (size_t i = 0; i < r->n_modules; i++) {
		const struct module *m = &r->modules[i];
		struct dks_spec_module *sm = &s->modules[i];
		const char *loc = dks_or_default(m->location, DKS_RECIPE_LOCATION);

		s->n_modules = i + 1;
		/* spec: "" is the top of the build directory. */
		if (!dup_opt(&sm->built_name, m->name) ||
		    !dup_opt(&sm->built_location, strcmp(loc, ".") == 0 ? "" : loc) ||
		    !dup_opt(&sm->dest_name, dks_or_default(m->dest_name, m->name)) ||
		    !dup_opt(&sm->dest_location, dks_or_default(m->dest, DKS_RECIPE_DEST)))
			return dks_err(err, ENOMEM, "%s", r->path);
		sm->strip = m->strip;
	}
	return 0;
}

/* PATCH[i]/PATCH_MATCH[i]: the patches for this kernel, in order. */
static int spec_patches(const struct dks_recipe *r, const char *kver, struct dks_spec *s,
			struct dks_error *err)
{
	s->patches = calloc(r->n_patches + 1, sizeof(*s->patches));
	if (!s->patches)
		return dks_err(err, ENOMEM, "%s", r->path);
	for (size_t i = 0; i < r->n_patches; i++) {
		const struct patch *p = &r->patches[i];

		if (p->kernel && !kernel_matches(p->kernel, kver))
			continue;
		if (!(s->patches[s->n_patches].file = strdup(p->file)))
			return dks_err(err, ENOMEM, "%s", r->path);
		s->n_patches++;
	}
	return 0;
}

static int spec_scalars(const struct dks_recipe *r, struct dks_spec *s, struct dks_error *err)
{
	const struct {
		char **dst;
		const char *src;
	} copies[] = {
	    {&s->name, r->name},
	    {&s->version, r->version},
	    {&s->source, r->path},
	    {&s->pre_build, r->pre_build},
	    {&s->post_build, r->post_build},
	    {&s->post_add, r->post_add},
	    {&s->pre_install, r->pre_install},
	    {&s->post_install, r->post_install},
	    {&s->post_remove, r->post_remove},
	    {&s->obsolete_by, r->obsolete_by},
	    {&s->excl_kernel, r->k_match},
	    {&s->excl_kernel_min, r->k_min},
	    {&s->excl_kernel_max, r->k_max},
	    {&s->excl_arch, r->k_arch},
	};

	for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
		if (!dup_opt(copies[i].dst, copies[i].src))
			return dks_err(err, ENOMEM, "%s", r->path);
	s->autoinstall = r->autoinstall;
	s->no_weak_modules = r->no_weak_modules;
	s->build_depends = strv_dup(r->build_depends, r->n_build_depends);
	s->n_build_depends = r->n_build_depends;
	if (r->n_k_config) {
		s->excl_config = strv_dup(r->k_config, r->n_k_config);
		s->n_excl_config = r->n_k_config;
	}
	if (!s->build_depends || (r->n_k_config && !s->excl_config))
		return dks_err(err, ENOMEM, "%s", r->path);
	return 0;
}

int dks_recipe_spec(const struct dks_recipe *r, const struct dks_spec_target *t,
		    struct dks_spec **out, struct dks_error *err)
{
	__attribute__((cleanup(target_vals_release))) struct target_vals tv = {0};
	cleanup_spec struct dks_spec *s = calloc(1, sizeof(*s));

	if (!s)
		return dks_err(err, ENOMEM, "%s", r->path);
	if (target_vals_init(&tv, r, t, err) < 0 || spec_scalars(r, s, err) < 0 ||
	    spec_modules(r, s, err) < 0 || spec_patches(r, t->kver, s, err) < 0 ||
	    spec_make(r, t, &tv, s, err) < 0)
		return -1;
	if (r->clean.text && command_line(r, &r->clean, &tv, &s->clean, err) < 0)
		return -1;
	*out = steal_pointer(&s);
	return 0;
}
