// SPDX-License-Identifier: GPL-2.0-or-later
/* dkms-sandbox: the command line. Verbs are dispatched from a table; the
 * verb may stand anywhere among the options, as with dkms. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The dkms this binary stands in for when it runs as `dkms`: the version
 * the Debian package Provides (debian/control), so that scripts parsing
 * `dkms --version` ("dkms-3.0.10", one line) keep working. */
#define DKS_DKMS_VERSION "3.0.10"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* NULL: an alias, not listed */
	const char *usage;   /* what follows the verb */
};

static const struct verb verbs[] = {
	{"add", cmd_add,
	 "add a module: MODULE/VERSION, a source directory, a dkms.conf, a recipe",
	 "MODULE/VERSION | -m MODULE[/VERSION] [-v VERSION] | SOURCE_DIR | PATH/dkms.conf | "
	 "RECIPE.yaml [-c DKMS.CONF]"},
	{"build", cmd_build,
	 "build MODULE/VERSION... for -k KVER... (or --all) in sandboxes",
	 "MODULE/VERSION... [-k KVER[/ARCH]]... [-a ARCH]... [--all] [--force] [-j N] "
	 "[--kernelsourcedir DIR] [-c DKMS.CONF] [--verbose] | --plan FILE --unit N [--force]"},
	{"unbuild", cmd_unbuild,
	 "drop the builds of MODULE/VERSION (-k KVER, or all)",
	 "MODULE/VERSION [-k KVER[/ARCH]]... [--all]"},
	{"remove", cmd_remove,
	 "remove MODULE/VERSION (-k KVER, or --all)",
	 "MODULE/VERSION [-k KVER[/ARCH]]... [--all]"},
	{"install", cmd_install,
	 "validate, sign, compress, place MODULE/VERSION for -k KVER; depmod",
	 "MODULE/VERSION [-k KVER[/ARCH]]... [--force] [--force-version-override] [--no-depmod] "
	 "[--modprobe-on-install] [--mok-key KEY --mok-cert CERT] [-c DKMS.CONF]"},
	{"uninstall", cmd_uninstall,
	 "remove an installed MODULE/VERSION for -k KVER, restore originals",
	 "MODULE/VERSION [-k KVER[/ARCH]]... [--no-depmod]"},
	{"sign", cmd_sign,
	 "sign the built modules of MODULE/VERSION in place (a signing host; docs/install.md)",
	 "MODULE/VERSION [-k KVER[/ARCH]]... [--all] [--force] [--check] [--agree-with ARCHIVE]... "
	 "(docs/fleet.md)"},
	{"match", cmd_match,
	 "install on -k KVER every module installed on --templatekernel KVER",
	 "--templatekernel KVER [-k KVER2] [MODULE]"},
	{"autoinstall", cmd_autoinstall,
	 "build and install every AUTOINSTALL module for -k KVER (exit 11 on failures)",
	 "[-k KVER[/ARCH]]"},
	{"kernel_postinst", cmd_kernel_postinst,
	 "the kernel postinst hook: autoinstall for exactly one -k KVER",
	 "-k KVER"},
	{"kernel_preinst", cmd_kernel_preinst,
	 "the kernel preinst hook: drop the AUTOINSTALL builds of exactly one -k KVER",
	 "-k KVER"},
	{"kernel_prerm", cmd_kernel_prerm,
	 "the kernel prerm hook: uninstall and unbuild every module of exactly one -k KVER",
	 "-k KVER"},
	{"preflight", cmd_preflight,
	 "before a reboot: autoinstall for the next boot's kernel and newer ones (docs/upgrades.md)",
	 "[MODULE[/VERSION]]... [--json] [--force] [--boot-root DIR]"},
	{"generate-mok", cmd_generate_mok,
	 "make a module signing key and certificate (--mok-key/--mok-cert)",
	 "[--mok-key KEY --mok-cert CERT]"},
	{"generate_mok", cmd_generate_mok, /* dkms's spelling */
	 NULL,
	 "[--mok-key KEY --mok-cert CERT]"},
	{"mktarball", cmd_mktarball,
	 "archive MODULE/VERSION's builds in dkms's layout, with a manifest (--sign)",
	 "MODULE/VERSION [-k KVER[/ARCH]]... [--source-only | --binaries-only] [--archive FILE] "
	 "[--sign]"},
	{"ldtarball", cmd_ldtarball,
	 "load a module archive (ours or dkms's) after checking all of it",
	 "FILE [--force] [--archive-cert CERT] [--require-signed] [--max-size BYTES]"},
	{"status", cmd_status,
	 "show dkms's status lines (--json for JSON); reads the tree only",
	 "[MODULE[/VERSION]] [-k KVER[/ARCH]] [--json] [--verbose]"},
	{"fsck", cmd_fsck,
	 "report what is inconsistent in the tree and the install tree; --repair fixes what is safe",
	 "[MODULE[/VERSION]] [--repair]"},
	{"test-load", cmd_test_load,
	 "boot -k KVER in QEMU with MODULE/VERSION's build and load it (docs/testload.md)",
	 "MODULE/VERSION [-k KVER[/ARCH]]... [--kernel-image FILE]"},
	{"framework", cmd_framework,
	 "print what dkms's framework.conf files set, as evaluated (KEY: one value)",
	 "[KEY] [--dkmsframework FILE]"},
	{"plan", cmd_plan,
	 "the build matrix of MODULE/VERSION... x kernels, each unit with its inputs digest "
	 "(docs/fleet.md)",
	 "[MODULE/VERSION]... [-k KVER[/ARCH]]... [--all] [--json] [--kernelsourcedir DIR]"},
	{"toolchain", cmd_toolchain,
	 "import | list | remove | verify toolchain images (docs/toolchains.md)",
	 "import NAME FILE|DIR | list | remove NAME | verify NAME"},
	{"cache", cmd_cache,
	 "the build cache: its entries and use, or gc to a size (docs/cache.md)",
	 "stats | gc [--max-size BYTES]"},
	{"sandbox", cmd_sandbox,
	 "run a command in a fresh build sandbox (sandbox run --help)",
	 "run [OPTIONS] -- COMMAND [ARG]..."},
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static void common_options(FILE *out)
{
	fputs("\nOptions go before or after the verb, in any order (dkms's command line):\n"
	      "-m MODULE[/VERSION] -v VERSION -k KVER[/ARCH] (repeatable) -a ARCH --all --force\n"
	      "-j N --kernelsourcedir DIR --dkmstree DIR --sourcetree DIR --installtree DIR\n"
	      "-c DKMS.CONF --sandbox-config FILE (/etc/dkms-sandbox/config.yaml)\n"
	      "--toolchain host|DIR --profile NAME|FILE --user USER -q --verbose --json\n"
	      "--os-release FILE --lock-timeout SECS -V/--version -h/--help; dkms's other\n"
	      "options are accepted\n"
	      "\nSee dkms-sandbox(8).\n", out);
}

static void usage(FILE *out)
{
	fputs("Usage: dkms-sandbox [VERB] [OPTIONS] [ARGS]\n\n"
	      "Builds out-of-tree kernel modules as DKMS does, but never runs a\n"
	      "module's build or its dkms.conf with host privileges.\n\nVerbs:\n",
	      out);
	for (size_t i = 0; i < N_VERBS; i++)
		if (verbs[i].summary)
			fprintf(out, "  %-16s %s\n", verbs[i].name, verbs[i].summary);
	common_options(out);
}

static void verb_usage(const struct verb *v)
{
	printf("Usage: dkms-sandbox %s %s\n", v->name, v->usage);
	if (v->summary)
		printf("\n%s\n", v->summary);
	common_options(stdout);
}

static const struct verb *lookup(const char *name)
{
	for (size_t i = 0; i < N_VERBS; i++)
		if (strcmp(name, verbs[i].name) == 0)
			return &verbs[i];
	return NULL;
}

static int show_version(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	if (strcmp(base ? base + 1 : argv0, "dkms") == 0)
		printf("dkms-%s\n", DKS_DKMS_VERSION);
	else
		printf("dkms-sandbox %s\n", DKS_VERSION);
	return 0;
}

/* No verb: name the first argument that is not an option, if any. */
static int no_verb(int argc, char **argv)
{
	const char *arg = dks_cli_first_argument(argc, argv);

	if (arg)
		fprintf(stderr, "dkms-sandbox: unknown action '%s' (dkms-sandbox --help lists them)\n",
			arg);
	else
		usage(stderr);
	return 1;
}

/* The verb's own argv: the verb first, then every other argument in
 * order; for toolchain, whose own words (import NAME FILE) follow it, the
 * options given before it go last. */
static int dispatch(const struct verb *v, int argc, char **argv, int at)
{
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	bool words = strcmp(v->name, "toolchain") == 0 || strcmp(v->name, "cache") == 0;
	int n = 0;

	if (!args)
		return 1;
	args[n++] = argv[at];
	for (int i = words ? at + 1 : 1; i < argc; i++)
		if (i != at)
			args[n++] = argv[i];
	for (int i = 1; words && i < at; i++)
		args[n++] = argv[i];
	n = v->run(n, args);
	free(args);
	return n;
}

int main(int argc, char **argv)
{
	const char *name;
	const struct verb *v;
	int at = 1;

	/* apt's logs interleave stdout and stderr: a line at a time. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "sandbox") == 0) /* its own options, its own --help */
		return cmd_sandbox(argc - 1, argv + 1);
	if (dks_cli_wants(argc, argv, "-V", "--version"))
		return show_version(argv[0]);
	name = dks_cli_find_verb(argc, argv, &at);
	v = name ? lookup(name) : NULL;
	if (dks_cli_wants(argc, argv, "--help", "-h")) {
		if (v)
			verb_usage(v);
		else
			usage(stdout);
		return 0;
	}
	if (!name)
		return no_verb(argc, argv);
	if (!v) {
		fprintf(stderr, "dkms-sandbox: dkms's action %s is not implemented here\n", name);
		return 1;
	}
	return dispatch(v, argc, argv, at);
}
