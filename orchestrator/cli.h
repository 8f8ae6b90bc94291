/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI: one file per verb, dispatched from main.c. */
#ifndef DKS_CLI_H
#define DKS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/config.h"
#include "dks/dkmsconf.h"
#include "dks/error.h"
#include "dks/exit.h"
#include "dks/profile.h"
#include "dks/tree.h"
#include "dks/installer.h"
#include "framework.h"
#include "hooks.h"

#define DKS_MAX_KERNELS 64
#define DKS_MAX_DIRECTIVES DKS_DIRECTIVES_MAX

/* dkms 3.x's command line (dkms.in's own parser, docs/dkms-sandbox.8):
 * options before or after the verb, in any order; -m M[/V] -v V,
 * -k KVER[/ARCH]... -a ARCH... (paired as dkms pairs them), --all,
 * `module/version`, a source directory or a dkms.conf as the argument. */
#define DKS_MAX_MODULES 64
#define DKS_MAX_AGREE 16 /* sign --agree-with */

struct dks_cli {
	const char *module, *version; /* the first module/version given */
	const char *mods[DKS_MAX_MODULES][2]; /* every module/version (build) */
	size_t n_mods;
	char *owned[DKS_MAX_MODULES]; /* module names split off "m/v" */
	const char *path; /* add: a source dir, a dkms.conf, a recipe */
	/* "KVER" or "KVER/ARCH" once parsed: -a paired with -k as dkms does */
	const char *kernels[DKS_MAX_KERNELS];
	size_t n_kernels;
	const char *arches[DKS_MAX_KERNELS]; /* while parsing: every -a and -k's /ARCH */
	size_t n_arches;
	char *owned_k[DKS_MAX_KERNELS]; /* the "KVER/ARCH" strings made by pairing */
	const char *arch; /* the one -a for the default kernel (no -k) */
	bool all, force, quiet, verbose, json;
	bool force_version_override; /* install: no version check (installer/vercheck.c) */
	bool modprobe_on_install;    /* install: modprobe as dkms does (modprobe.c) */
	bool binaries_only, source_only; /* mktarball's (dkms: 8 for both) */
	const char *archive;      /* mktarball/ldtarball --archive FILE */
	const char *archive_cert; /* ldtarball: the manifest's trusted certificate */
	bool sign_archive;        /* mktarball --sign: sign the manifest */
	bool require_signed;      /* ldtarball: refuse an unsigned manifest */
	bool repair;              /* fsck --repair */
	int lock_timeout;         /* --lock-timeout SECS; -1: not given */
	int jobs;
	unsigned long long max_size; /* toolchain import --max-size */
	const char *mok_key, *mok_cert; /* install, generate-mok */
	const char *templatekernel;     /* match */
	const char *os_release;         /* --os-release: install's distribution rule */
	const char *kernel_image;       /* test-load, build --test-load: the image to boot */
	bool test_load;                 /* build --test-load: the load test after the build */
	bool check;                     /* build --check: rebuild aside, compare (buildcheck.c) */
	const char *agree_with[DKS_MAX_AGREE]; /* sign --agree-with ARCHIVE... (agree.c) */
	size_t n_agree;
	const char *plan, *unit;        /* build --plan FILE --unit N (planunit.c) */
	const char *boot_root;          /* --boot-root DIR: preflight's boot configuration */
	const char *cache_dir;          /* --cache-dir DIR: the build cache (docs/cache.md) */
	bool no_cache;                  /* --no-cache: no cache lookup, no insert */
	bool no_depmod;
	const char *kernelsourcedir;
	const char *conf;           /* -c FILE: the dkms.conf read instead of the module's */
	/* --directive NAME=VALUE: set after the dkms.conf and its overrides */
	const char *directives[DKS_MAX_DIRECTIVES];
	size_t n_directives;
	const char *sandbox_config; /* --sandbox-config FILE: our YAML (config.h) */
	const char *kernel_config;  /* --config FILE: the kernel's .config (dkms's) */
	const char *dkmsframework;  /* --dkmsframework FILE: dkms's framework.conf */
	const char *dkmstree, *sourcetree, *installtree, *toolchain, *profile, *user;
};

/* The resolved environment of a DKMS verb. */
struct dks_ctx {
	struct dks_cli cli;
	struct dks_config cfg;
	struct dks_tree tree;
	struct dks_profile *profile;
	struct dks_hook_env hooks; /* the install hooks' sandbox (dks_ctx_install_opts) */
	struct dks_framework fw;   /* dkms's framework.conf, as evaluated */
};

/* argv[0] is the verb (main.c took it out from wherever it stood). */
int dks_cli_parse(int argc, char **argv, const char *verb, struct dks_cli *c,
		  struct dks_error *err);
void dks_cli_clear(struct dks_cli *c);
/* dkms.in's checks after its parser (argrules.c): -a/-k pairing, --all
 * with -k or -a, a verb's module, --all and kernel-count rules. */
int dks_cli_check(struct dks_cli *c, const char *verb, struct dks_error *err);
/* One of dkms's verbs (dkms.in's action_re, and ours)? */
bool dks_cli_is_verb(const char *word);
/* Which verb argv names, wherever it stands (options and their values
 * skipped), or NULL; its index in *at. */
const char *dks_cli_find_verb(int argc, char **argv, int *at);
/* The first argument that is not an option or an option's value. */
const char *dks_cli_first_argument(int argc, char **argv);
/* --help/-h or -V/--version among the options (not as a value)? */
bool dks_cli_wants(int argc, char **argv, const char *s1, const char *s2);
/* Parse, load the configuration (and apply the options), the profile. */
int dks_ctx_open(int argc, char **argv, const char *verb, struct dks_ctx *ctx,
		 struct dks_error *err);
void dks_ctx_close(struct dks_ctx *ctx);
/* The profile (cfg.profile or "default"), loaded once. */
int dks_ctx_profile(struct dks_ctx *ctx, struct dks_error *err);
/* m/v from the options (-m/-v or module/version); both required, and m/v
 * not broken (DKS_EXIT_BROKEN, dkms 3.4's check before every verb on it). */
int dks_ctx_module(const struct dks_ctx *ctx, const char **m, const char **v,
		   struct dks_error *err);
/* The installer's options: keys from the configuration (the options
 * override it), --no-depmod, --force. */
struct dks_install_opts dks_ctx_install_opts(struct dks_ctx *ctx);
/* After a transaction dkms follows with post_transaction (install,
 * uninstall, unbuild, remove; autoinstall that installed something): run
 * it as root when the admin's own files set it (posttxn.c). */
void dks_ctx_post_transaction(const struct dks_ctx *ctx);
/* dkms's --config FILE: @t's .config (BUILD_EXCLUSIVE_CONFIG, the
 * compression and compiler checks) is that file. */
struct dks_target;
int dks_ctx_kernel_config(const struct dks_ctx *ctx, struct dks_target *t, struct dks_error *err);
/* install --modprobe-on-install: load what the devices ask for when
 * @kver is the running kernel (modprobe.c). */
void dks_modprobe_on_install(const struct dks_ctx *ctx, const char *kver);
/* The kernel add checks a dkms.conf against (the running one with
 * headers, else the newest installed), and the check: @conf evaluated in
 * a sandbox with @dir as its source (conf_check.c). */
struct utsname;
void dks_ctx_add_target(const struct dks_ctx *ctx, struct dks_target *t, struct utsname *u);
int dks_ctx_check_conf(struct dks_ctx *ctx, const char *conf, const char *dir,
		       struct dks_spec **spec, struct dks_error *err);
/* Print the error and return its exit code. */
int dks_fail(const struct dks_error *err);

int cmd_sandbox(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_unbuild(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_toolchain(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_uninstall(int argc, char **argv);
int cmd_generate_mok(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_autoinstall(int argc, char **argv);
int cmd_kernel_postinst(int argc, char **argv);
int cmd_kernel_prerm(int argc, char **argv);
int cmd_framework(int argc, char **argv);
int cmd_kernel_preinst(int argc, char **argv);
int cmd_test_load(int argc, char **argv);
int cmd_mktarball(int argc, char **argv);
int cmd_ldtarball(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_preflight(int argc, char **argv);

#endif
