/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recipes: the native, declarative alternative to dkms.conf
 * (recipes/NAME.yaml, specified in docs/recipes.md). No shell is evaluated
 * anywhere: the build command is a command line in which the host only
 * substitutes ${kernelver} ${kernel_source_dir} ${arch} ${jobs}
 * ${module} ${module_version}; it then runs in the build sandbox like a
 * dkms.conf MAKE line.
 */
#ifndef DKS_RECIPE_H
#define DKS_RECIPE_H

#include <stdbool.h>

#include "dks/error.h"
#include "dks/spec.h"

struct dks_recipe;

/* Parse and validate a recipe file: FILE:LINE: reason on error (exit 8). */
int dks_recipe_load(const char *path, struct dks_recipe **out, struct dks_error *err);
void dks_recipe_free(struct dks_recipe *r);

const char *dks_recipe_name(const struct dks_recipe *r);
const char *dks_recipe_version(const struct dks_recipe *r);
/* hooks.post_add, or NULL. */
const char *dks_recipe_post_add(const struct dks_recipe *r);

/* The spec for one kernel (kernel constraints become BUILD_EXCLUSIVE_*). */
int dks_recipe_spec(const struct dks_recipe *r, const struct dks_spec_target *t,
		    struct dks_spec **out, struct dks_error *err);

/* Put the recipe's source at @dest (which must not exist): copy the
 * directory, or verify the tarball's sha256 and extract it safely with
 * libarchive (no absolute paths, no "..", no links out, no devices, no
 * set-id bits), into a temporary directory renamed into place at the end,
 * so that a failure leaves nothing behind. The recipe file itself is
 * copied to @dest/dkms-sandbox.yaml, which later builds read. */
int dks_recipe_fetch_source(const struct dks_recipe *r, const char *dest, struct dks_error *err);

/* Copy a module's source directory to @dest (which must not exist) with
 * the same care: for `add SOURCE_DIR` outside the source tree. */
int dks_copy_source_dir(const char *src_dir, const char *dest, struct dks_error *err);

/* The general form: extract an archive (tar, tar.gz/xz/zst... through
 * libarchive) or copy a directory into @dest (which must not exist), with
 * these caps. With @image (a toolchain's root filesystem): device nodes,
 * FIFOs and sockets are left out and counted in *@skipped (a sandbox
 * brings its own /dev), and absolute symbolic links are kept (they mean
 * the image's own paths; the host never follows links in an image). */
struct dks_extract_limits {
	unsigned long long total_max, entry_max, entries_max;
	bool image;
	/* add SOURCE_DIR: a link whose target leaves the tree is kept as a
	 * link (never followed on the host), not refused. */
	bool links_out;
	/* A module archive (ldtarball): no link of any kind, no entry named
	 * twice (tar lets a later entry replace an earlier one: a reader that
	 * checks the first and a writer that keeps the last would disagree). */
	bool no_links, no_dups;
	/* The exit code of bytes libarchive cannot read as an archive (not
	 * one, cut short, corrupt): 0 for 1; ldtarball's is dkms's 7. */
	int unreadable_code;
};
int dks_extract(const char *from, const char *dest, const struct dks_extract_limits *lim,
		unsigned *skipped, struct dks_error *err);

/* The name a recipe has inside a source directory. */
#define DKS_RECIPE_IN_SOURCE "dkms-sandbox.yaml"

#endif
