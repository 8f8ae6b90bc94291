// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where the verb stands (cli.h): dkms takes it anywhere among the
 * options, so argv is read as dkms.in's loop reads it, an option's value
 * skipped (`-m build` names a module, not the verb).
 */
#include <string.h>

#include "cli.h"
#include "optable.h"

/* dkms.in's action_re, and ours (generate-mok, toolchain, sandbox). */
static const char *const verbs[] = {
    "add", "build", "unbuild", "install", "uninstall", "remove", "status", "match", "sign",
    "autoinstall", "mktarball", "ldtarball", "generate_mok", "kernel_preinst",
    "kernel_postinst", "kernel_prerm", "generate-mok", "toolchain", "sandbox", "framework", "plan",
    "preflight", "test-load", "fsck", "cache",
};

bool dks_cli_is_verb(const char *word)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i], word) == 0)
			return true;
	return false;
}

/* The index of the argument after argv[i] (its value skipped). */
static int next(int argc, char **argv, int i)
{
	const char *val;
	const struct dks_opt *o;

	if (argv[i][0] != '-')
		return i + 1;
	o = dks_opt_find(argv[i], &val);
	if (o && (o->flags & DKS_OPT_ARG) && !val && i + 1 < argc)
		return i + 2;
	return i + 1;
}

static bool is_option(const char *arg)
{
	return arg[0] == '-';
}

/* The first argument that is not an option (a verb, if @verb). */
static const char *first(int argc, char **argv, bool verb, int *at)
{
	for (int i = 1; i < argc; i = next(argc, argv, i)) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (!is_option(argv[i]) && (!verb || dks_cli_is_verb(argv[i]))) {
			*at = i;
			return argv[i];
		}
	}
	return NULL;
}

const char *dks_cli_find_verb(int argc, char **argv, int *at)
{
	return first(argc, argv, true, at);
}

const char *dks_cli_first_argument(int argc, char **argv)
{
	int at;

	return first(argc, argv, false, &at);
}

bool dks_cli_wants(int argc, char **argv, const char *s1, const char *s2)
{
	for (int i = 1; i < argc; i = next(argc, argv, i)) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], s1) == 0 || strcmp(argv[i], s2) == 0)
			return true;
	}
	return false;
}
