/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the recipe files, which call one way (no file calls back):
 *
 *   recipe.c       load: the file -> struct dks_recipe (tables for the
 *                  common YAML walker, then the checks across keys)
 *   recipe_spec.c  struct dks_recipe + one kernel -> struct dks_spec
 *   recipe_vars.c  ${var} substitution, used by both of them
 *   fetch.c        the source put in place (reads struct dks_recipe only)
 */
#ifndef DKS_RECIPE_INTERNAL_H
#define DKS_RECIPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dks/error.h"

/* A SHA-256 in hex, and the word a recipe may give instead of a checksum it
 * cannot know yet: it loads (plan, spec), but fetch refuses it. */
#define SHA256_HEX	64
#define SHA256_UNPINNED "unpinned"

/* ---- the recipe ---- */

struct cmd {
	char *text;
	unsigned long line; /* of its first character */
};

/* Elements of the lists of mappings begin with their line. */
struct override {
	unsigned long line;
	char *kernel; /* ERE on the release: MAKE_MATCH[i] */
	struct cmd command;
};

struct patch {
	unsigned long line;
	char *file;
	char *kernel; /* PATCH_MATCH[i], or NULL: every kernel */
};

struct module {
	unsigned long line;
	char *name, *location, *dest, *dest_name;
	bool strip;
};

struct dks_recipe {
	char *path; /* as given, for messages and spec->source */
	char *text; /* the validated bytes: what fetch copies */
	size_t text_len;
	char *name, *version;

	/* source: */
	char *dir, *tarball, *sha256, *url; /* as written */
	unsigned strip_components;
	unsigned long source_line, sha256_line, kernel_line;
	char *src_dir, *src_tarball; /* resolved against the recipe's dir */
	bool in_source;		     /* loaded from <src>/dkms-sandbox.yaml */

	/* build: */
	char *build_dir; /* relative, "." = top */
	struct cmd command, clean;
	struct override *overrides;
	size_t n_overrides;
	char *pre_build, *post_build;

	struct module *modules;
	size_t n_modules;
	unsigned long modules_line;
	struct patch *patches;
	size_t n_patches;
	char *post_add, *pre_install, *post_install, *post_remove;

	/* kernel: */
	char *k_match, *k_min, *k_max, *k_arch;
	char **k_config;
	size_t n_k_config;

	bool autoinstall, no_weak_modules;
	char **build_depends;
	size_t n_build_depends;
	char *obsolete_by;
};

/* Defaults of what a recipe may leave out. */
#define DKS_RECIPE_LOCATION "."
#define DKS_RECIPE_DEST	    "/updates/dkms"

static inline const char *dks_or_default(const char *s, const char *def)
{
	return s ? s : def;
}

/* ---- ${var} substitution: recipe_vars.c ---- */

enum { V_KERNELVER, V_KSRC, V_ARCH, V_JOBS, V_MODULE, V_MODVER, V_BUILD_DIR, V_COUNT };

/* "kernelver", ...: the names of ${var}, in the order above. */
extern const char *const dks_recipe_var_names[V_COUNT];

/* @s is letters, digits and characters of @extra only. */
bool dks_recipe_only(const char *s, const char *extra);

/* Expand @cmd into @out; with @out NULL, only check that every ${name} is
 * known ("SOURCE:LINE: unknown variable", exit 8). */
int dks_recipe_expand(const char *source, const struct cmd *cmd, const char *const vals[V_COUNT],
		      FILE *out, struct dks_error *err);

/* A value for ${@var} must need no shell quoting. */
int dks_recipe_check_value(const char *var, const char *val, struct dks_error *err);

#endif
