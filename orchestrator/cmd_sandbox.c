// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox sandbox run [OPTIONS] -- CMD [ARG]...
 * The debugging door into the same sandbox the build pipeline uses.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dks/profile.h"
#include "dks/sandbox.h"

static const char run_usage[] =
	"Usage: dkms-sandbox sandbox run [OPTIONS] -- CMD [ARG]...\n\n"
	"Run CMD in a fresh sandbox: new user, mount, pid, net, ipc, uts and\n"
	"cgroup namespaces, seccomp, Landlock, no capabilities, limits.\n\n"
	"  --profile NAME|FILE   sandbox profile (default, strict, debug, or a YAML file)\n"
	"  --toolchain host|DIR  root filesystem: the host's /usr (default) or DIR\n"
	"  -k, --kernel KVER     bind KVER's headers read-only at their host paths\n"
	"  --kernelsourcedir DIR the headers directory for -k (default /lib/modules/KVER/build)\n"
	"  --ro SRC[:DST]        bind SRC read-only at DST (default: the same path)\n"
	"  --rw SRC[:DST]        bind SRC writable at DST\n"
	"  --timeout SECS        kill everything after SECS (default: the profile's)\n"
	"  --chdir DIR           working directory (default: the first --rw, or /)\n"
	"  --user USER|FIRST-LAST  build user, or a range of build uids, when started as root\n"
	"  --setenv NAME=VALUE   add to the command's clean environment\n\n"
	"CMD never gets your terminal: a terminal as stdin becomes /dev/null, and its\n"
	"output is copied to yours (control characters shown as '?' on a terminal),\n"
	"at most the profile's limits.output bytes.\n\n"
	"Exit status: the command's; 128+N if a signal N killed it; 124 on timeout;\n"
	"125 if the sandbox could not be set up.\n";

enum { OPT_PROFILE = 256, OPT_TOOLCHAIN, OPT_KSRC, OPT_RO, OPT_RW, OPT_TIMEOUT,
       OPT_CHDIR, OPT_USER, OPT_SETENV };

static const struct option run_opts[] = {
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"toolchain", required_argument, NULL, OPT_TOOLCHAIN},
	{"kernel", required_argument, NULL, 'k'},
	{"kernelsourcedir", required_argument, NULL, OPT_KSRC},
	{"ro", required_argument, NULL, OPT_RO},
	{"rw", required_argument, NULL, OPT_RW},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"chdir", required_argument, NULL, OPT_CHDIR},
	{"user", required_argument, NULL, OPT_USER},
	{"setenv", required_argument, NULL, OPT_SETENV},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0}};

struct run_args {
	const char *profile;
	const char *kver;
	const char *ksrc;
};

static int add_bind(struct dks_sandbox *sb, char *spec, bool writable,
		    struct dks_error *err)
{
	char *colon = strchr(spec, ':');

	if (colon)
		*colon = 0;
	return dks_sandbox_add_bind(sb, spec, colon ? colon + 1 : NULL, writable, err);
}

static int parse_timeout(const char *s, unsigned *out, struct dks_error *err)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > 1000000)
		return dks_err(err, 0, "--timeout '%s': not a number of seconds", s);
	*out = (unsigned)v;
	return 0;
}

static int setenv_opt(struct dks_sandbox *sb, char *kv, struct dks_error *err)
{
	char *eq = strchr(kv, '=');

	if (!eq)
		return dks_err(err, 0, "--setenv '%s': expected NAME=VALUE", kv);
	*eq = 0;
	return dks_sandbox_setenv(sb, kv, eq + 1, err);
}

static int parse_opt(struct dks_sandbox *sb, struct run_args *a, int c,
		     struct dks_error *err)
{
	unsigned t = 0;

	switch (c) {
	case OPT_PROFILE: a->profile = optarg; return 0;
	case 'k': /* and KERNELRELEASE (a later --setenv may change it) */
		a->kver = optarg;
		return dks_sandbox_setenv(sb, "KERNELRELEASE", optarg, err);
	case OPT_KSRC: a->ksrc = optarg; return 0;
	case OPT_TOOLCHAIN: return dks_sandbox_set_toolchain(sb, optarg, err);
	case OPT_RO: return add_bind(sb, optarg, false, err);
	case OPT_RW: return add_bind(sb, optarg, true, err);
	case OPT_CHDIR: return dks_sandbox_set_cwd(sb, optarg, err);
	case OPT_USER: return dks_sandbox_set_user(sb, optarg, err);
	case OPT_SETENV: return setenv_opt(sb, optarg, err);
	case OPT_TIMEOUT:
		if (parse_timeout(optarg, &t, err) < 0)
			return -1;
		dks_sandbox_set_timeout(sb, t);
		return 0;
	default:
		return dks_err(err, 0, "sandbox run: bad option (see --help)");
	}
}

static int exit_code(const struct dks_sandbox_result *res)
{
	switch (res->outcome) {
	case DKS_SANDBOX_EXITED: return res->exit_status;
	case DKS_SANDBOX_SIGNALED: return DKS_EXIT_SIGNAL_BASE + res->term_signal;
	case DKS_SANDBOX_TIMED_OUT: return DKS_EXIT_TIMEOUT;
	}
	return DKS_EXIT_SETUP;
}

static int configure(struct dks_sandbox *sb, int argc, char **argv,
		     struct dks_profile **profile, struct dks_error *err)
{
	struct run_args a = {.profile = "default"};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+k:h", run_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(run_usage, stdout);
			exit(0);
		}
		if (parse_opt(sb, &a, c, err) < 0)
			return -1;
	}
	if (optind >= argc)
		return dks_err(err, 0, "sandbox run: no command given (sandbox run [OPTIONS] -- CMD)");
	if (dks_profile_load(a.profile, profile, err) < 0)
		return -1;
	dks_sandbox_set_profile(sb, *profile);
	if (a.kver)
		return dks_sandbox_set_kernel(sb, a.kver, a.ksrc, err);
	if (a.ksrc)
		return dks_err(err, 0, "--kernelsourcedir needs -k KVER");
	return 0;
}

static int sandbox_run(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_sandbox_result res = {0};
	struct dks_sandbox *sb = NULL;
	struct dks_profile *profile = NULL;
	int code = DKS_EXIT_SETUP;

	if (dks_sandbox_new(&sb, &err) < 0 ||
	    configure(sb, argc, argv, &profile, &err) < 0 ||
	    dks_sandbox_run(sb, argv + optind, &res, &err) < 0) {
		dks_error_print(&err);
		/* The sandbox's typed reasons -> the CLI's codes (dkms: 21). */
		code = err.reason == DKS_SANDBOX_NO_HEADERS ? DKS_EXIT_NO_HEADERS
		       : err.exit_code == 1		     ? DKS_EXIT_SETUP
							     : err.exit_code;
	} else {
		code = exit_code(&res);
	}
	dks_sandbox_result_clear(&res);
	dks_sandbox_free(sb);
	dks_profile_free(profile);
	return code;
}

int cmd_sandbox(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return sandbox_run(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(run_usage, stdout);
		return 0;
	}
	fprintf(stderr, "dkms-sandbox: sandbox: expected 'run' (dkms-sandbox sandbox run --help)\n");
	return 1;
}
