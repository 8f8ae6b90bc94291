// SPDX-License-Identifier: GPL-2.0-or-later
/* dkms's common options, shared by the DKMS verbs (cli.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { O_DKMSTREE = 256, O_SOURCETREE, O_INSTALLTREE, O_KSRC, O_FORCE, O_ALL, O_VERBOSE,
       O_JSON, O_TOOLCHAIN, O_PROFILE, O_USER, O_ARCH, O_MAX_SIZE, O_MOK_KEY, O_MOK_CERT,
       O_NO_DEPMOD, O_TEMPLATE, O_OS_RELEASE };

static const struct option opts[] = {
	{"module", required_argument, NULL, 'm'}, {"version", required_argument, NULL, 'v'},
	{"kernel", required_argument, NULL, 'k'}, {"kernelver", required_argument, NULL, 'k'}, /* dkms's */
	{"arch", required_argument, NULL, 'a'},
	{"all", no_argument, NULL, O_ALL}, {"force", no_argument, NULL, O_FORCE},
	{"jobs", required_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, O_VERBOSE}, {"config", required_argument, NULL, 'c'},
	{"sandbox-config", required_argument, NULL, 'c'}, /* main's name for it */
	{"kernelsourcedir", required_argument, NULL, O_KSRC},
	{"dkmstree", required_argument, NULL, O_DKMSTREE},
	{"sourcetree", required_argument, NULL, O_SOURCETREE},
	{"installtree", required_argument, NULL, O_INSTALLTREE},
	{"json", no_argument, NULL, O_JSON}, {"toolchain", required_argument, NULL, O_TOOLCHAIN},
	{"profile", required_argument, NULL, O_PROFILE}, {"user", required_argument, NULL, O_USER},
	{"max-size", required_argument, NULL, O_MAX_SIZE},
	{"mok-key", required_argument, NULL, O_MOK_KEY},
	{"mok-cert", required_argument, NULL, O_MOK_CERT},
	{"no-depmod", no_argument, NULL, O_NO_DEPMOD},
	{"templatekernel", required_argument, NULL, O_TEMPLATE},
	{"os-release", required_argument, NULL, O_OS_RELEASE},
	{NULL, 0, NULL, 0}};

static int parse_jobs(const char *s, int *out, struct dks_error *err)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 1024)
		return dks_err(err, 0, "-j '%s': not a number of jobs", s);
	*out = (int)v;
	return 0;
}

static int string_opt(struct dks_cli *c, int o, const char *arg)
{
	switch (o) {
	case 'm': c->module = arg; return 1;
	case 'v': c->version = arg; return 1;
	case 'a': c->arch = arg; return 1;
	case 'c': c->config = arg; return 1;
	case O_KSRC: c->kernelsourcedir = arg; return 1;
	case O_DKMSTREE: c->dkmstree = arg; return 1;
	case O_SOURCETREE: c->sourcetree = arg; return 1;
	case O_INSTALLTREE: c->installtree = arg; return 1;
	case O_TOOLCHAIN: c->toolchain = arg; return 1;
	case O_PROFILE: c->profile = arg; return 1;
	case O_USER: c->user = arg; return 1;
	case O_MOK_KEY: c->mok_key = arg; return 1;
	case O_MOK_CERT: c->mok_cert = arg; return 1;
	case O_TEMPLATE: c->templatekernel = arg; return 1;
	case O_OS_RELEASE: c->os_release = arg; return 1;
	}
	return 0;
}

static int one_opt(struct dks_cli *c, int o, const char *verb, struct dks_error *err)
{
	if (string_opt(c, o, optarg))
		return 0;
	switch (o) {
	case 'k':
		if (c->n_kernels >= DKS_MAX_KERNELS)
			return dks_err(err, 0, "%s: too many -k", verb);
		c->kernels[c->n_kernels++] = optarg;
		return 0;
	case 'j': return parse_jobs(optarg, &c->jobs, err);
	case O_MAX_SIZE: {
		char *end;

		c->max_size = strtoull(optarg, &end, 10);
		return *optarg && !*end && c->max_size ? 0
			: dks_err(err, 0, "--max-size '%s': a number of bytes", optarg);
	}
	case 'q': c->quiet = true; return 0;
	case O_ALL: c->all = true; return 0;
	case O_FORCE: c->force = true; return 0;
	case O_VERBOSE: c->verbose = true; return 0;
	case O_JSON: c->json = true; return 0;
	case O_NO_DEPMOD: c->no_depmod = true; return 0;
	default: return dks_err(err, 0, "%s: bad option (dkms-sandbox --help)", verb);
	}
}

/* "m/v", a module name, or a path (anything that exists, or starts with
 * '/' or '.'). */
static int positional(struct dks_cli *c, const char *arg, const char *verb,
		      struct dks_error *err)
{
	const char *slash = strchr(arg, '/');
	struct stat st;

	if (arg[0] == '/' || arg[0] == '.' || stat(arg, &st) == 0) {
		c->path = arg;
		return 0;
	}
	if (!slash) {
		c->module = arg;
		return 0;
	}
	if (strchr(slash + 1, '/') || slash == arg || !slash[1])
		return dks_err(err, 0, "%s: '%s' is neither module/version nor a path", verb, arg);
	if (c->n_mods >= DKS_MAX_MODULES)
		return dks_err(err, 0, "%s: too many modules", verb);
	c->owned[c->n_mods] = strndup(arg, (size_t)(slash - arg));
	c->mods[c->n_mods][0] = c->owned[c->n_mods];
	c->mods[c->n_mods][1] = slash + 1;
	if (!c->mods[c->n_mods][0])
		return dks_err(err, 0, "%s: out of memory", verb);
	if (!c->module) {
		c->module = c->mods[0][0];
		c->version = c->mods[0][1];
	}
	c->n_mods++;
	return 0;
}

void dks_cli_clear(struct dks_cli *c)
{
	for (size_t i = 0; i < DKS_MAX_MODULES; i++)
		free(c->owned[i]);
	memset(c, 0, sizeof(*c));
}

int dks_cli_parse(int argc, char **argv, const char *verb, struct dks_cli *c,
		  struct dks_error *err)
{
	int o;

	memset(c, 0, sizeof(*c));
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "m:v:k:a:j:qc:", opts, NULL)) != -1)
		if (one_opt(c, o, verb, err) < 0)
			return -1;
	for (; optind < argc; optind++) {
		bool many = strcmp(verb, "build") == 0 && c->n_mods > 0;
		bool named_path = strcmp(verb, "toolchain") == 0 && !c->path; /* NAME FILE */

		if ((c->module && !many && !named_path) || c->path)
			return dks_err(err, 0, "%s: unexpected argument '%s'", verb, argv[optind]);
		if (positional(c, argv[optind], verb, err) < 0)
			return -1;
	}
	if (c->module && c->version && c->n_mods == 0) {
		c->mods[0][0] = c->module;
		c->mods[0][1] = c->version;
		c->n_mods = 1;
	}
	return 0;
}
