// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every option the command line knows, as one table (optable.h). dkms's
 * come first, in dkms.in's order and with its spellings: an option dkms
 * matches as "--name*" (any suffix; the value after the first '=', else
 * the next argument) is DKS_OPT_PREFIX here, so that --kernelver=K and
 * --kernelver K both work as they do with dkms. Options dkms accepts that
 * mean nothing in a sandbox are accepted with one line saying so (`here`),
 * never refused: scripts written for dkms pass them.
 */
#include <stddef.h>
#include <string.h>

#include "optable.h"

#define ARG DKS_OPT_ARG
#define PREFIX (DKS_OPT_ARG | DKS_OPT_PREFIX)

static const struct dks_opt opts[] = {
    /* ours, before dkms's "--module*" would take it: dkms reads
     * --module-version V as --module V, which no script means */
    {"--module-version", ARG, OPT_VERSION, NULL},
    /* dkms.in's options, in its order */
    {"--module", PREFIX, OPT_MODULE, NULL},
    {"-m", ARG, OPT_MODULE, NULL},
    {"-v", ARG, OPT_VERSION, NULL},
    {"--kernelver", PREFIX, OPT_KERNEL, NULL},
    {"-k", ARG, OPT_KERNEL, NULL},
    {"--templatekernel", PREFIX, OPT_TEMPLATE, NULL},
    {"-c", ARG, OPT_CONF, NULL},
    {"--quiet", 0, OPT_QUIET, NULL},
    {"-q", 0, OPT_QUIET, NULL},
    {"--version", 0, OPT_SHOW_VERSION, NULL},
    {"-V", 0, OPT_SHOW_VERSION, NULL},
    {"--no-initrd", 0, OPT_NOTED, "deprecated in dkms; dkms-sandbox never rebuilds an initrd"},
    {"--no-clean-kernel", 0, OPT_NOTED,
     "deprecated in dkms; no effect (the kernel's headers are read-only in the sandbox)"},
    {"--no-prepare-kernel", 0, OPT_NOTED,
     "deprecated in dkms; no effect (the kernel's headers are read-only in the sandbox)"},
    {"--binaries-only", 0, OPT_BINARIES_ONLY, NULL},
    {"--source-only", 0, OPT_SOURCE_ONLY, NULL},
    {"--force", 0, OPT_FORCE, NULL},
    {"--force-version-override", 0, OPT_FORCE_VERSION_OVERRIDE, NULL},
    {"--all", 0, OPT_ALL, NULL},
    {"--verbose", 0, OPT_VERBOSE, NULL},
    {"--rpm_safe_upgrade", 0, OPT_NOTED, "an RPM upgrade guard of dkms's: no effect here"},
    {"--dkmstree", PREFIX, OPT_DKMSTREE, NULL},
    {"--sourcetree", PREFIX, OPT_SOURCETREE, NULL},
    {"--installtree", PREFIX, OPT_INSTALLTREE, NULL},
    {"--symlink-modules", 0, OPT_NOTED,
     "no effect: dkms-sandbox installs validated, signed copies, never links into the build tree"},
    {"--config", PREFIX, OPT_KERNEL_CONFIG, NULL},
    {"--archive-cert", ARG, OPT_ARCHIVE_CERT, NULL}, /* ours, before dkms's --archive* */
    {"--archive", PREFIX, OPT_ARCHIVE, NULL},
    {"--arch", PREFIX, OPT_ARCH, NULL},
    {"-a", ARG, OPT_ARCH, NULL},
    {"--kernelsourcedir", PREFIX, OPT_KSRC, NULL},
    {"--directive", PREFIX, OPT_DIRECTIVE, NULL},
    {"--no-depmod", 0, OPT_NO_DEPMOD, NULL},
    {"--modprobe-on-install", 0, OPT_MODPROBE, NULL},
    {"--debug", 0, OPT_NOTED,
     "traces dkms's own shell; dkms-sandbox has none to trace: no effect "
     "(--verbose shows make's output)"},
    {"-j", ARG, OPT_JOBS, NULL},
    {"--help", 0, OPT_HELP, NULL},
    {"-h", 0, OPT_HELP, NULL},
    /* dkms 2.x's, kept by the framework configuration */
    {"--dkmsframework", ARG, OPT_FRAMEWORK, NULL},
    /* ours */
    {"--kernel", ARG, OPT_KERNEL, NULL},
    {"--jobs", ARG, OPT_JOBS, NULL},
    {"--json", 0, OPT_JSON, NULL},
    {"--sandbox-config", ARG, OPT_SANDBOX_CONFIG, NULL},
    {"--toolchain", ARG, OPT_TOOLCHAIN, NULL},
    {"--profile", ARG, OPT_PROFILE, NULL},
    {"--user", ARG, OPT_USER, NULL},
    {"--max-size", ARG, OPT_MAX_SIZE, NULL},
    {"--mok-key", ARG, OPT_MOK_KEY, NULL},
    {"--mok-cert", ARG, OPT_MOK_CERT, NULL},
    {"--os-release", ARG, OPT_OS_RELEASE, NULL},
    {"--kernel-image", ARG, OPT_KERNEL_IMAGE, NULL}, /* test-load, build --test-load */
    {"--test-load", 0, OPT_TEST_LOAD, NULL},          /* build: then the load test */
    {"--check", 0, OPT_CHECK, NULL},                  /* build, sign: rebuild and compare (buildcheck.c) */
    {"--agree-with", ARG, OPT_AGREE_WITH, NULL},      /* sign: another builder's archive (agree.c) */
    {"--sign", 0, OPT_SIGN, NULL},
    {"--require-signed", 0, OPT_REQUIRE_SIGNED, NULL},
    {"--repair", 0, OPT_REPAIR, NULL},
    {"--plan", ARG, OPT_PLAN, NULL},
    {"--unit", ARG, OPT_UNIT, NULL},
    {"--boot-root", ARG, OPT_BOOT_ROOT, NULL},
    {"--cache-dir", ARG, OPT_CACHE_DIR, NULL}, /* the build cache (docs/cache.md) */
    {"--no-cache", 0, OPT_NO_CACHE, NULL},
    {"--lock-timeout", ARG, OPT_LOCK_TIMEOUT, NULL},
};

/* Does @arg spell @o? */
static bool matches(const struct dks_opt *o, const char *arg, const char **value)
{
	size_t n = strlen(o->name);
	const char *eq;

	*value = NULL;
	if (strcmp(arg, o->name) == 0)
		return true;
	if (strncmp(arg, o->name, n) != 0)
		return false;
	/* dkms.in's read_arg: the value is what follows the first '='. */
	eq = strchr(arg, '=');
	if (o->flags & DKS_OPT_PREFIX) {
		*value = eq ? eq + 1 : NULL;
		return true;
	}
	/* --name=value for our own long options, as getopt_long had it */
	if ((o->flags & DKS_OPT_ARG) && o->name[1] == '-' && arg[n] == '=') {
		*value = arg + n + 1;
		return true;
	}
	return false;
}

const struct dks_opt *dks_opt_find(const char *arg, const char **value)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (matches(&opts[i], arg, value))
			return &opts[i];
	*value = NULL;
	return NULL;
}
