// SPDX-License-Identifier: GPL-2.0-or-later
/* The environment of a DKMS verb: options, configuration, tree, profile. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "signkey.h"
#include "dks/cache.h"
#include "dks/installer.h"
#include "dks/toolchain.h"

static int override(char **field, const char *value, struct dks_error *err)
{
	return value ? dks_config_set(field, value, err) : 0;
}

static int apply_options(const struct dks_cli *c, struct dks_config *cfg, struct dks_error *err)
{
	if (override(&cfg->dkms_tree, c->dkmstree, err) < 0 ||
	    override(&cfg->source_tree, c->sourcetree, err) < 0 ||
	    override(&cfg->install_tree, c->installtree, err) < 0 ||
	    override(&cfg->toolchain, c->toolchain, err) < 0 ||
	    override(&cfg->profile, c->profile, err) < 0 ||
	    override(&cfg->build_user, c->user, err) < 0 ||
	    override(&cfg->mok_key, c->mok_key, err) < 0 ||
	    override(&cfg->mok_cert, c->mok_cert, err) < 0 ||
	    override(&cfg->os_release, c->os_release, err) < 0 ||
	    override(&cfg->boot_root, c->boot_root, err) < 0 ||
	    override(&cfg->cache_dir, c->cache_dir, err) < 0)
		return -1;
	if (c->cache_dir && c->cache_dir[0] != '/')
		return dks_err(err, 0, "--cache-dir '%s': must be an absolute path", c->cache_dir);
	if (c->no_cache)
		cfg->cache_mode = DKS_CACHE_OFF;
	/* Only the default may be missing (nothing overridden, as dkms): a
	 * file someone named must be there, not silently the module's own
	 * location instead of the distribution's. */
	if (strcmp(cfg->os_release, DKS_OS_RELEASE) != 0 && access(cfg->os_release, R_OK) != 0)
		return dks_err(err, errno, "os-release %s", cfg->os_release);
	if (c->jobs)
		cfg->jobs = c->jobs;
	if (c->lock_timeout >= 0)
		cfg->lock_timeout = (unsigned)c->lock_timeout;
	if (cfg->jobs <= 0)
		cfg->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (cfg->jobs <= 0)
		cfg->jobs = 1;
	return 0;
}

/* dkms sources them as root: as root, a framework file (or a directory
 * above it) that someone else may change is refused, never read. */
static int trust_framework(const struct dks_ctx *ctx, struct dks_error *err)
{
	char buf[PATH_MAX];
	const char *bad = geteuid() == 0 ? dks_framework_untrusted(&ctx->fw, buf, sizeof(buf)) : NULL;

	if (!bad)
		return 0;
	return dks_err(err, 0, "%s: not root's, or others may write it: dkms's configuration is not "
			       "read from it as root (chown root, chmod go-w)", bad);
}

/* dkms's framework files, evaluated in the sandbox that the YAML
 * configuration and the options describe (its profile and build user; the
 * host's toolchain: bash is all it needs). $kernelver is the one -k. */
static int framework_of(struct dks_ctx *ctx, struct dks_error *err)
{
	__attribute__((cleanup(dks_config_clear))) struct dks_config first = {0};
	const struct dks_cli *c = &ctx->cli;
	struct dks_profile *prof = NULL;
	struct dks_eval_opts o = {0};
	char kver[256] = "";
	const char *path, *pname;
	bool needed = false;
	int rc;

	if (dks_config_load(c->sandbox_config, &first, err) < 0)
		return -1;
	path = c->dkmsframework ? c->dkmsframework
	       : first.dkms_framework ? first.dkms_framework : DKS_DEFAULT_FRAMEWORK;
	pname = c->profile ? c->profile : first.profile;
	if (dks_framework_find(path, &ctx->fw, &needed, err) < 0 || trust_framework(ctx, err) < 0)
		return -1;
	if (!needed)
		return 0;
	if (c->n_kernels == 1)
		snprintf(kver, sizeof(kver), "%.*s", (int)strcspn(c->kernels[0], "/"), c->kernels[0]);
	if (pname && strcmp(pname, "default") != 0 && dks_profile_load(pname, &prof, err) < 0)
		return -1;
	o = (struct dks_eval_opts){.profile = prof, .build_user = c->user ? c->user : first.build_user};
	rc = dks_framework_eval(&o, kver, &ctx->fw, err);
	dks_profile_free(prof);
	return rc;
}

static int framework_under(struct dks_config *cfg, void *fw, struct dks_error *err)
{
	return dks_framework_apply(fw, cfg, err);
}

/* Built-in defaults < dkms's framework.conf < config.yaml < the options
 * (docs/framework.md). */
static int load_config(struct dks_ctx *ctx, struct dks_error *err)
{
	const char *modprobe;

	if (framework_of(ctx, err) < 0 ||
	    dks_config_load_under(ctx->cli.sandbox_config, framework_under, &ctx->fw, &ctx->cfg, err) < 0)
		return -1;
	/* dkms: any non-empty modprobe_on_install, as the option. */
	modprobe = ctx->fw.val[FW_modprobe_on_install];
	if (modprobe && *modprobe)
		ctx->cli.modprobe_on_install = true;
	return apply_options(&ctx->cli, &ctx->cfg, err);
}

/* -q: dkms's `exec >/dev/null 2>&1`, errors included. */
static void quiet(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* dkms reads M/V/X as module M, version "V/X": a version no tree holds.
 * Its verbs say of it what they say of any version that is not there
 * (dkms 3.0.10: add, build and install find no source, 2; remove, unbuild
 * and uninstall find no such m/v, 3). Other verbs keep the name check. */
static int slashed_version(const struct dks_ctx *ctx, const char *verb, struct dks_error *err)
{
	static const char *const no_source[] = {"add", "build", "install"};
	static const char *const not_there[] = {"remove", "unbuild", "uninstall"};
	const struct dks_cli *c = &ctx->cli;

	if (!c->module || !c->version || !strchr(c->version, '/'))
		return 0;
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(verb, no_source[i]) == 0)
			return dks_err_code(err, DKS_EXIT_NO_SOURCE, 0,
					    "Could not find module source directory. Directory: "
					    "%s/%s-%s does not exist.",
					    ctx->cfg.source_tree, c->module, c->version);
		if (strcmp(verb, not_there[i]) == 0)
			return dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0,
					    "The module/version combo: %s-%s is not located in the "
					    "DKMS tree.", c->module, c->version);
	}
	return 0;
}

int dks_ctx_open(int argc, char **argv, const char *verb, struct dks_ctx *ctx,
		 struct dks_error *err)
{
	memset(ctx, 0, sizeof(*ctx));
	if (dks_cli_parse(argc, argv, verb, &ctx->cli, err) < 0)
		return -1;
	if (ctx->cli.quiet)
		quiet();
	if (load_config(ctx, err) < 0 || slashed_version(ctx, verb, err) < 0)
		return -1;
	/* --toolchain / toolchain: NAME means an imported image. */
	if (ctx->cfg.toolchain) {
		char *root = NULL;

		if (dks_toolchain_resolve(ctx->cfg.dkms_tree, ctx->cfg.toolchain, &root, err) < 0)
			return -1;
		free(ctx->cfg.toolchain);
		ctx->cfg.toolchain = root;
	}
	ctx->tree = (struct dks_tree){.dkms_tree = ctx->cfg.dkms_tree,
				      .source_tree = ctx->cfg.source_tree,
				      .install_tree = ctx->cfg.install_tree,
				      .lock_timeout = (int)ctx->cfg.lock_timeout};
	return 0;
}

/* Loaded on demand: status never needs it. */
int dks_ctx_profile(struct dks_ctx *ctx, struct dks_error *err)
{
	if (ctx->profile)
		return 0;
	return dks_profile_load(ctx->cfg.profile ? ctx->cfg.profile : "default", &ctx->profile,
				err);
}

void dks_ctx_close(struct dks_ctx *ctx)
{
	dks_profile_free(ctx->profile);
	dks_config_clear(&ctx->cfg);
	dks_framework_clear(&ctx->fw);
	dks_cli_clear(&ctx->cli);
	memset(ctx, 0, sizeof(*ctx));
}

int dks_ctx_module(const struct dks_ctx *ctx, const char **m, const char **v,
		   struct dks_error *err)
{
	*m = ctx->cli.module;
	*v = ctx->cli.version;
	if (!*m || !*v)
		return dks_err(err, 0, "give the module as module/version or -m MODULE -v VERSION");
	return dks_tree_check_intact(&ctx->tree, *m, *v, err);
}

int dks_ctx_kernel_config(const struct dks_ctx *ctx, struct dks_target *t, struct dks_error *err)
{
	char *path;

	if (!ctx->cli.kernel_config)
		return 0;
	path = realpath(ctx->cli.kernel_config, NULL);
	if (!path)
		return dks_err(err, errno, "--config %s", ctx->cli.kernel_config);
	free(t->config);
	t->config = path;
	return 0;
}

int dks_fail(const struct dks_error *err)
{
	dks_error_print(err);
	return err->exit_code ? err->exit_code : 1;
}

struct dks_install_opts dks_ctx_install_opts(struct dks_ctx *ctx)
{
	struct dks_error ignored = {0};

	/* For the install hooks; without it a hook says it cannot run. */
	dks_ctx_profile(ctx, &ignored);
	ctx->hooks = (struct dks_hook_env){.profile = ctx->profile,
					   .toolchain = ctx->cfg.toolchain,
					   .build_user = ctx->cfg.build_user,
					   .force = ctx->cli.force};
	return (struct dks_install_opts){.mok_key = ctx->cfg.mok_key,
					 .mok_cert = ctx->cfg.mok_cert,
					 .trusted_cert = ctx->cfg.trusted_cert,
					 .boot_dir = ctx->cfg.boot_dir,
					 .sign = dks_sign_policy_of(ctx->cfg.sign),
					 .make_key = dks_signkey_make,
					 .host_root = ctx->cfg.host_root,
					 .os_release = ctx->cfg.os_release,
					 .no_depmod = ctx->cli.no_depmod,
					 .force = ctx->cli.force,
					 .force_version_override = ctx->cli.force_version_override,
					 .hook = dks_install_hook,
					 .hook_arg = &ctx->hooks};
}
