// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The checks dkms.in makes after its parser, in its order and with its
 * exit codes (cli.h, dks_cli_check): -a paired with -k, --all with -k or
 * -a, then each verb's own rules (check_module_args, check_all_is_banned,
 * have_one_kernel). What they check is the command line only; the tree's
 * state is the verbs' business.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define NEEDS_MV 1u    /* check_module_args: 1 without a module and version */
#define BANS_ALL 2u    /* check_all_is_banned: 5 with --all */
#define ONE_KERNEL 4u  /* have_one_kernel after the default kernel: 4 for several -k */
#define EXACTLY_ONE 8u /* the kernel hooks: exactly one -k, or 4 */

static const struct {
	const char *verb;
	unsigned rules;
} verb_rules[] = {
    /* build --all is ours: every kernel with headers (dkms 3.x: 5) */
    {"add", BANS_ALL | NEEDS_MV},       {"build", NEEDS_MV},
    {"install", BANS_ALL | NEEDS_MV},   {"uninstall", NEEDS_MV},
    {"unbuild", NEEDS_MV},              {"remove", NEEDS_MV},
    {"autoinstall", BANS_ALL | ONE_KERNEL}, {"match", BANS_ALL | ONE_KERNEL},
    {"kernel_preinst", BANS_ALL | EXACTLY_ONE}, {"kernel_postinst", BANS_ALL | EXACTLY_ONE},
    {"kernel_prerm", BANS_ALL | EXACTLY_ONE},
    {"test-load", BANS_ALL | NEEDS_MV},
    {"sign", NEEDS_MV},
    {"preflight", BANS_ALL},
    {"mktarball", NEEDS_MV},
};

static unsigned rules_of(const char *verb)
{
	for (size_t i = 0; i < sizeof(verb_rules) / sizeof(verb_rules[0]); i++)
		if (strcmp(verb_rules[i].verb, verb) == 0)
			return verb_rules[i].rules;
	return 0;
}

static bool yaml_name(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/* -c and --config named our YAML before they became dkms's: an old
 * command line would now run without its configuration (its trees, its
 * signing key) and fall back to the machine's. Refused, not guessed. */
static int old_config(const struct dks_cli *c, struct dks_error *err)
{
	const char *yaml = yaml_name(c->conf)		 ? c->conf
			   : yaml_name(c->kernel_config) ? c->kernel_config
							 : NULL;

	if (!yaml)
		return 0;
	return dks_err(err, 0, "%s: -c is dkms's dkms.conf and --config the kernel's .config; "
		       "dkms-sandbox's YAML configuration is --sandbox-config FILE", yaml);
}

/* dkms.in's "Sanity checking", before the verb runs. */
static int global_rules(const struct dks_cli *c, struct dks_error *err)
{
	if (old_config(c, err) < 0)
		return -1;
	if (c->binaries_only && c->source_only)
		return dks_err_code(err, DKS_EXIT_BOTH_ONLY, 0,
				    "you have specified both --binaries-only and --source-only");
	if (c->n_arches > 1 && c->n_arches != c->n_kernels)
		return dks_err_code(err, DKS_EXIT_FAILURE, 0,
				    "%zu arches and %zu kernel versions: with more than one arch "
				    "there must be one kernel version for each (1:1)",
				    c->n_arches, c->n_kernels);
	if (c->n_kernels && c->all)
		return dks_err_code(err, DKS_EXIT_BAD_OPTION, 0,
				    "you cannot specify a kernel version and also --all");
	if (c->n_arches && c->all)
		return dks_err_code(err, DKS_EXIT_ARCH_WITH_ALL, 0,
				    "you cannot specify an arch and also --all");
	return 0;
}

static int verb_rules_check(const struct dks_cli *c, const char *verb, unsigned r,
			    struct dks_error *err)
{
	if ((r & BANS_ALL) && c->all)
		return dks_err_code(err, DKS_EXIT_ALL_BANNED, 0,
				    "the action %s does not support the --all parameter", verb);
	if ((r & EXACTLY_ONE) && c->n_kernels != 1)
		return dks_err_code(err, DKS_EXIT_HOOK_USAGE, 0,
				    "the action %s requires exactly one kernel version parameter "
				    "on the command line (-k KVER)", verb);
	if ((r & ONE_KERNEL) && c->n_kernels > 1)
		return dks_err_code(err, DKS_EXIT_TWO_ACTIONS, 0,
				    "the action %s does not support multiple kernel version "
				    "parameters on the command line", verb);
	if ((r & NEEDS_MV) && !c->path && !c->plan && (!c->module || !c->version))
		return dks_err_code(err, DKS_EXIT_FAILURE, 0,
				    "Arguments <module> and <module-version> are not specified "
				    "(%s <module>/<module-version>, %s -m <module>/<module-version> "
				    "or %s -m <module> -v <module-version>)", verb, verb, verb);
	return 0;
}

/* setup_kernels_arches: no empty kernel or arch (16); one arch for
 * every kernel when one was given; then "KVER/ARCH" for each kernel
 * that has an arch. */
static int pair(struct dks_cli *c, const char *verb, struct dks_error *err)
{
	for (size_t i = 0; strcmp(verb, "status") != 0 && i < c->n_kernels; i++)
		if (!*c->kernels[i])
			return dks_err_code(err, DKS_EXIT_EMPTY_KERNEL, 0, "empty kernelver[%zu]", i);
	for (size_t i = 0; strcmp(verb, "status") != 0 && i < c->n_arches; i++)
		if (!*c->arches[i])
			return dks_err_code(err, DKS_EXIT_EMPTY_KERNEL, 0, "empty arch[%zu]", i);
	if (c->n_arches == 1)
		c->arch = c->arches[0];
	for (size_t i = 0; c->n_arches && i < c->n_kernels; i++) {
		const char *a = c->arches[c->n_arches == 1 ? 0 : i];
		char *ka;

		if (asprintf(&ka, "%s/%s", c->kernels[i], a) < 0)
			return dks_err(err, 0, "out of memory");
		free(c->owned_k[i]);
		c->owned_k[i] = ka;
		c->kernels[i] = ka;
	}
	return 0;
}

int dks_cli_check(struct dks_cli *c, const char *verb, struct dks_error *err)
{
	if (c->module && !*c->module)
		c->module = NULL; /* dkms tests [[ $module ]] */
	if (c->version && !*c->version)
		c->version = NULL;
	if ((c->plan || c->unit) && strcmp(verb, "build") != 0 && strcmp(verb, "mktarball") != 0)
		return dks_err(err, 0,
			       "%s: --plan and --unit are build's and mktarball's (build --plan FILE "
			       "--unit N)", verb);
	if (c->check && (strcmp(verb, "build") != 0 || c->plan || c->test_load) &&
	    strcmp(verb, "sign") != 0)
		return dks_err(err, 0, "%s: --check is build's, without --plan or --test-load "
			       "(build --check M/V -k KVER), and sign's", verb);
	if (c->n_agree && strcmp(verb, "sign") != 0)
		return dks_err(err, 0, "%s: --agree-with is sign's (sign M/V -k KVER --agree-with "
			       "ARCHIVE)", verb);
	if (global_rules(c, err) < 0 || pair(c, verb, err) < 0 ||
	    verb_rules_check(c, verb, rules_of(verb), err) < 0)
		return -1;
	if (c->module && c->version) {
		c->mods[0][0] = c->module;
		c->mods[0][1] = c->version;
		c->n_mods++;
	} else {
		c->n_mods = 0;
	}
	return 0;
}
