// SPDX-License-Identifier: GPL-2.0-or-later
/* dkms-sandbox: the command line. Verbs are dispatched from a table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{"add", cmd_add, "add a module: MODULE/VERSION, a source directory, a dkms.conf, a recipe"},
	{"build", cmd_build, "build MODULE/VERSION... for -k KVER... (or --all) in sandboxes"},
	{"unbuild", cmd_unbuild, "drop the builds of MODULE/VERSION (-k KVER, or all)"},
	{"remove", cmd_remove, "remove MODULE/VERSION (-k KVER, or --all)"},
	{"install", cmd_install, "validate, sign, compress, place MODULE/VERSION for -k KVER; depmod"},
	{"uninstall", cmd_uninstall, "remove an installed MODULE/VERSION for -k KVER, restore originals"},
	{"match", cmd_match, "install on -k KVER every module installed on --templatekernel KVER"},
	{"autoinstall", cmd_autoinstall, "build and install every AUTOINSTALL module for -k KVER (exit 11 on failures)"},
	{"kernel_postinst", cmd_kernel_postinst, "the kernel postinst hook: autoinstall for exactly one -k KVER"},
	{"kernel_prerm", cmd_kernel_prerm, "the kernel prerm hook: uninstall every module of exactly one -k KVER"},
	{"generate-mok", cmd_generate_mok, "make a module signing key and certificate (--mok-key/--mok-cert)"},
	{"generate_mok", cmd_generate_mok, NULL}, /* dkms's spelling */
	{"status", cmd_status, "show dkms's status lines (--json for JSON); reads the tree only"},
	{"framework", cmd_framework, "print what dkms's framework.conf files set, as evaluated (KEY: one value)"},
	{"toolchain", cmd_toolchain, "import | list | remove | verify toolchain images (docs/toolchains.md)"},
	{"sandbox", cmd_sandbox, "run a command in a fresh build sandbox (sandbox run --help)"},
};

static void usage(FILE *out)
{
	fputs("Usage: dkms-sandbox [--help] [--version] VERB [OPTIONS] [ARGS]\n\n"
	      "Builds out-of-tree kernel modules as DKMS does, but never runs a\n"
	      "module's build or its dkms.conf with host privileges.\n\nVerbs:\n",
	      out);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].summary)
			fprintf(out, "  %-16s %s\n", verbs[i].name, verbs[i].summary);
	fputs("\nCommon options: -m MODULE -v VERSION -k KVER[/ARCH] (repeatable) -a ARCH --all\n"
	      "--force -j N --kernelsourcedir DIR --dkmstree DIR --sourcetree DIR --installtree DIR\n"
	      "-c CONFIG --toolchain host|DIR --profile NAME|FILE --user USER -q --verbose --json\n"
	      "--os-release FILE (the distribution whose module location install uses)\n"
	      "\nSee dkms-sandbox(8).\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("dkms-sandbox %s\n", DKS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "dkms-sandbox: unknown verb '%s' (dkms-sandbox --help lists them)\n", argv[1]);
	return 1;
}
