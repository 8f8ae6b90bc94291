/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI: one file per verb, dispatched from main.c. */
#ifndef DKS_CLI_H
#define DKS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/config.h"
#include "dks/error.h"
#include "dks/exit.h"
#include "dks/profile.h"
#include "dks/tree.h"
#include "dks/installer.h"
#include "framework.h"
#include "hooks.h"

#define DKS_MAX_KERNELS 64

/* dkms's common options (facts.md): -m -v -k KVER[/ARCH]... -a --all
 * --force -j --kernelsourcedir --dkmstree --sourcetree --installtree -q
 * --verbose -c, and `module/version` or a path as the argument. */
#define DKS_MAX_MODULES 64

struct dks_cli {
	const char *module, *version; /* the first module/version given */
	const char *mods[DKS_MAX_MODULES][2]; /* every module/version (build) */
	size_t n_mods;
	char *owned[DKS_MAX_MODULES]; /* module names split off "m/v" */
	const char *path; /* add: a source dir, a dkms.conf, a recipe */
	const char *kernels[DKS_MAX_KERNELS];
	size_t n_kernels;
	const char *arch;
	bool all, force, quiet, verbose, json;
	int jobs;
	unsigned long long max_size; /* toolchain import --max-size */
	const char *mok_key, *mok_cert; /* install, generate-mok */
	const char *templatekernel;     /* match */
	const char *os_release;         /* --os-release: install's distribution rule */
	bool no_depmod;
	const char *kernelsourcedir, *config;
	const char *dkmsframework; /* --dkmsframework: dkms's framework.conf */
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

int dks_cli_parse(int argc, char **argv, const char *verb, struct dks_cli *c,
		  struct dks_error *err);
void dks_cli_clear(struct dks_cli *c);
/* Parse, load the configuration (and apply the options), the profile. */
int dks_ctx_open(int argc, char **argv, const char *verb, struct dks_ctx *ctx,
		 struct dks_error *err);
void dks_ctx_close(struct dks_ctx *ctx);
/* The profile (cfg.profile or "default"), loaded once. */
int dks_ctx_profile(struct dks_ctx *ctx, struct dks_error *err);
/* m/v from the options (-m/-v or module/version); both required. */
int dks_ctx_module(const struct dks_ctx *ctx, const char **m, const char **v,
		   struct dks_error *err);
/* The installer's options: keys from the configuration (the options
 * override it), --no-depmod, --force. */
struct dks_install_opts dks_ctx_install_opts(struct dks_ctx *ctx);
/* After a transaction dkms follows with post_transaction (install,
 * uninstall, unbuild, remove; autoinstall that installed something): run
 * it as root when the admin's own files set it (posttxn.c). */
void dks_ctx_post_transaction(const struct dks_ctx *ctx);
/* Print the error and return its exit code. */
int dks_fail(const struct dks_error *err);

int cmd_sandbox(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_unbuild(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_toolchain(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_uninstall(int argc, char **argv);
int cmd_generate_mok(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_autoinstall(int argc, char **argv);
int cmd_kernel_postinst(int argc, char **argv);
int cmd_kernel_prerm(int argc, char **argv);
int cmd_framework(int argc, char **argv);

#endif
