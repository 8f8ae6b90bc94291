// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hooks of dkms.conf (POST_ADD, PRE_INSTALL, POST_INSTALL, POST_REMOVE)
 * or a recipe's hooks.*. dkms runs them as root from the module's source
 * directory; they are the module's code, so here they run in a sandbox
 * like the build's (the build user, the profile, the toolchain, the
 * kernel's headers, the source read-only and the current directory, a
 * private /tmp), never with the installer's privileges. What a hook can
 * still do is fail: a failed PRE_INSTALL stops the install (exit 101,
 * unless --force), as in dkms; a failed POST_INSTALL or POST_REMOVE is a
 * warning. The build recorded them (DKS_HOOKS): nothing is evaluated here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "dks/installer.h"
#include "dks/cleanup.h"
#include "dks/sandbox.h"
#include "hooks.h"

/* As dkms: a relative script is run from the source directory; one that
 * is not executable is a warning. */
static const char hook_driver[] =
	"case \"$1\" in /*) s=$1;; *) s=./$1;; esac\n"
	"if [ ! -x \"${s%% *}\" ]; then\n"
	"  echo \"dkms-sandbox: warning: the $0 script is not executable\" >&2; exit 0\n"
	"fi\n"
	"echo \"Running the $0 script\"\n"
	"exec $s\n";

/* The script recorded for @name, or NULL. malloc'd. */
static char *recorded(const char *build, const char *name, struct dks_error *err)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 64];
	cleanup_fclose FILE *f = NULL;
	size_t n = strlen(name);

	snprintf(path, sizeof(path), "%s/" DKS_HOOKS, build);
	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT)
			dks_err(err, errno, "%s", path);
		return NULL;
	}
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == '\t')
			return strndup(line + n + 1, strcspn(line + n + 1, "\n"));
	return NULL;
}

static int configure(struct dks_sandbox *sb, const struct dks_hook_env *env,
		     const struct dks_install_point *h, const char *src, struct dks_error *err)
{
	char in_src[PATH_MAX];

	snprintf(in_src, sizeof(in_src), DKS_IN_SOURCE_TREE "/%s-%s", h->module, h->version);
	dks_sandbox_set_profile(sb, env->profile);
	if (dks_sandbox_set_toolchain(sb, env->toolchain, err) < 0 ||
	    (env->build_user && dks_sandbox_set_user(sb, env->build_user, err) < 0) ||
	    (h->target->headers &&
	     dks_sandbox_set_kernel(sb, h->target->kver, h->target->headers, err) < 0) ||
	    dks_sandbox_add_bind(sb, src, in_src, false, err) < 0 ||
	    dks_sandbox_set_cwd(sb, in_src, err) < 0 ||
	    dks_sandbox_setenv(sb, "kernelver", h->target->kver, err) < 0 ||
	    dks_sandbox_setenv(sb, "arch", h->target->arch, err) < 0 ||
	    dks_sandbox_setenv(sb, "module", h->module, err) < 0 ||
	    dks_sandbox_setenv(sb, "module_version", h->version, err) < 0)
		return -1;
	return 0;
}

/* 0 when the script succeeded (or there is none); 1 when it failed; -1
 * when it could not be run. */
static int run(const struct dks_hook_env *env, const struct dks_install_point *h, const char *name,
	       const char *script, struct dks_error *err)
{
	cleanup_free char *src = dks_tree_source_dir(h->tree, h->module, h->version);
	char *argv[] = {"/bin/bash", "-c", (char *)hook_driver, (char *)name, (char *)script, NULL};
	struct dks_sandbox *sb = NULL;
	struct dks_sandbox_result res = {0};
	cleanup_close int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int ret;

	if (null_fd < 0)
		return dks_err(err, errno, "/dev/null");
	if (!env->profile)
		return dks_err(err, 0, "%s/%s: the %s script: no sandbox profile", h->module,
			       h->version, name);
	if (!src)
		return dks_err(err, 0, "%s/%s: the %s script: no source", h->module, h->version,
			       name);
	ret = dks_sandbox_new(&sb, err);
	if (ret == 0) {
		dks_sandbox_set_stdio(sb, null_fd, STDOUT_FILENO, STDERR_FILENO);
		ret = configure(sb, env, h, src, err);
	}
	if (ret == 0)
		ret = dks_sandbox_run(sb, argv, &res, err);
	if (ret == 0)
		ret = res.outcome == DKS_SANDBOX_EXITED && res.exit_status == 0 ? 0 : 1;
	dks_sandbox_result_clear(&res);
	dks_sandbox_free(sb);
	return ret;
}

int dks_install_hook(void *arg, const char *name, const struct dks_install_point *at,
		     struct dks_error *err)
{
	struct dks_error e = {0};
	cleanup_free char *script = recorded(at->build, name, &e);

	if (!script)
		return e.msg[0] ? dks_err(err, 0, "%s", e.msg) : 0;
	return dks_run_script(arg, at, name, script, err);
}

int dks_run_script(const struct dks_hook_env *env, const struct dks_install_point *h,
		   const char *name, const char *script, struct dks_error *err)
{
	struct dks_error e = {0};
	bool pre = strcmp(name, "pre_install") == 0;
	int ret;

	if (!script || !*script)
		return 0;
	ret = run(env, h, name, script, &e);
	if (ret == 0)
		return 0;
	if (pre && !env->force)
		return dks_err_code(err, DKS_EXIT_PRE_INSTALL, 0,
				    "%s/%s, %s: the pre_install script failed%s%s, aborting install "
				    "(--force overrides)", h->module, h->version, h->target->kver,
				    ret < 0 ? ": " : "", ret < 0 ? e.msg : "");
	/* After the change (or with --force) a hook cannot undo anything. */
	dks_warn("%s/%s, %s: the %s script failed%s%s", h->module, h->version, h->target->kver,
		 name, ret < 0 ? ": " : "", ret < 0 ? e.msg : "");
	return 0;
}
