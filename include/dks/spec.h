/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A module spec: what to build and where its modules go, for one kernel.
 * Both front ends produce it: dkms.conf (evaluated by a shell inside a
 * sandbox, orchestrator/dkmsconf_*.c) and recipes/NAME.yaml
 * (orchestrator/recipe.c). Everything after them works on this alone.
 */
#ifndef DKS_SPEC_H
#define DKS_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"
#include "dks/exit.h"


/* BUILD_EXCLUSIVE_* of one module (dkms 3.4: BUILD_EXCLUSIVE_*[i], i >= 1),
 * on top of the package's. NULL = no constraint. */
struct dks_spec_excl {
	char *kernel, *kernel_min, *kernel_max, *arch;
	char **config;
	size_t n_config;
};

struct dks_spec_module {
	struct dks_spec_excl excl;
	char *built_name;     /* BUILT_MODULE_NAME[i]: "foo" (no .ko) */
	char *built_location; /* BUILT_MODULE_LOCATION[i]: relative dir, "" = top */
	char *dest_name;      /* DEST_MODULE_NAME[i], default built_name */
	char *dest_location;  /* DEST_MODULE_LOCATION[i]: "/updates/dkms", ... */
	bool strip;           /* STRIP[i] != "no" */
};

struct dks_spec_patch {
	char *file;  /* below <source>/patches/, no "..", no '/' at start */
};

struct dks_spec {
	char *name;    /* PACKAGE_NAME */
	char *version; /* PACKAGE_VERSION */
	struct dks_spec_module *modules;
	size_t n_modules;

	/* Shell command lines, run by /bin/sh -c inside the build sandbox in
	 * the build directory. make: the MAKE[] entry chosen by MAKE_MATCH for
	 * this kernel, or NULL for dkms's default (the build adds -jN and
	 * KERNELRELEASE to a leading "make"). */
	char *make;
	char *clean;
	char *pre_build;  /* script path relative to the source, or NULL */
	char *post_build;
	char *post_add, *pre_install, *post_install, *post_remove;

	struct dks_spec_patch *patches; /* the PATCH[] entries that apply to this kernel */
	size_t n_patches;

	bool autoinstall;
	bool no_weak_modules;
	bool build_depends_rebuild; /* BUILD_DEPENDS_REBUILD: rebuilt when a dependency is */
	char **build_depends; /* module names, NULL-terminated */
	size_t n_build_depends;
	char *obsolete_by;

	/* BUILD_EXCLUSIVE_*: NULL = no constraint. */
	char *excl_kernel;     /* POSIX extended regex on the kernel release */
	char *excl_kernel_min; /* version strings, compared like dkms (sort -V) */
	char *excl_kernel_max;
	char *excl_arch;       /* regex on the arch */
	char **excl_config;    /* "CONFIG_X" must be set, "!CONFIG_Y" must not */
	size_t n_excl_config;

	char *source; /* file it came from (dkms.conf or recipe), for messages */
	char **warnings; /* deprecations and the like, printed once */
	size_t n_warnings;
};

void dks_spec_free(struct dks_spec *s);

/* The kernel a spec is evaluated for. */
struct dks_spec_target {
	const char *kver;        /* kernelver */
	const char *arch;        /* arch (uname -m style: x86_64) */
	const char *kernel_dir;  /* kernel_source_dir (headers), may be NULL */
	const char *dkms_tree;   /* as the build sees it (canonical path) */
	const char *source_tree;
	const char *install_tree;
	int jobs;                /* parallel_jobs */
};

/* Is the spec excluded for this kernel (BUILD_EXCLUSIVE_*)? 0 = buildable;
 * else -1 with one clear line in @err and err->exit_code DKS_EXIT_EXCLUDED
 * (or DKS_EXIT_BAD_CONF for an invalid regex, 1 for an unreadable .config).
 * @config: the kernel's .config (path), read for BUILD_EXCLUSIVE_CONFIG;
 * NULL or a missing file: not checked (as dkms). */
int dks_spec_check_exclusive(const struct dks_spec *s, const struct dks_spec_target *t,
			     const char *config, struct dks_error *err);

/* BUILD_EXCLUSIVE_* with dkms 3.4's per-module arrays: drop from @s the
 * modules that the package's or their own constraints exclude for @t. 0
 * when some module is left (or the package has no module and no
 * constraint); else -1 as dks_spec_check_exclusive() (77: skipped). */
int dks_spec_exclude_modules(struct dks_spec *s, const struct dks_spec_target *t,
			     const char *config, struct dks_error *err);

/* Has @s a control character (a value that must be one line)? */
bool dks_has_control(const char *s);

/* Has @path a ".." component (paths a spec names: locations, patches)? */
bool dks_path_has_dotdot(const char *path);

/* Compare kernel/module versions like dkms does (sort -V). */
int dks_version_cmp(const char *a, const char *b);

#endif
