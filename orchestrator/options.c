// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line of a verb (cli.h), parsed as dkms.in's own loop parses
 * it: options and arguments in any order, the options of optable.c, an
 * option's value the next argument even when it starts with '-' (dkms's
 * read_arg), a missing value empty; an argument that is a source
 * directory or a dkms.conf is a path, any other "m/v" (split at its first
 * '/') or "m". The checks dkms makes after its loop are argrules.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dks/recipe.h"
#include "optable.h"

static int parse_jobs(const char *s, int *out, struct dks_error *err)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 1024)
		return dks_err(err, 0, "-j '%s': not a number of jobs", s);
	*out = (int)v;
	return 0;
}

/* --lock-timeout SECS: 0 (wait as long as it takes) to a day. */
static int parse_lock_timeout(const char *s, int *out, struct dks_error *err)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 86400)
		return dks_err(err, 0, "--lock-timeout '%s': not a number of seconds (0 to 86400)",
			       s);
	*out = (int)v;
	return 0;
}

/* --max-size: bytes, K, M or G (powers of 1024) may follow; 0 is the
 * default cap (ldtarball, toolchain import) or an empty cache (cache gc). */
static int parse_size(const char *s, unsigned long long *out, struct dks_error *err)
{
	const char *units = "KMG";
	const char *u;
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	u = *end ? strchr(units, *end) : NULL;
	if (u && !end[1] && *out <= (ULLONG_MAX >> (10 * (u - units + 1)))) {
		*out <<= 10 * (u - units + 1);
		end++;
	}
	return *s >= '0' && *s <= '9' && !*end && !errno
		       ? 0
		       : dks_err(err, 0, "--max-size '%s': a number of bytes (K, M or G may follow)",
				 s);
}

/* dkms's parse_moduleversion: "m/v" sets both, "m" the module alone. */
static int module_version(struct dks_cli *c, const char *arg, struct dks_error *err)
{
	const char *slash = strchr(arg, '/');

	if (!slash) {
		c->module = arg;
		return 0;
	}
	free(c->owned[0]);
	c->owned[0] = strndup(arg, (size_t)(slash - arg));
	if (!c->owned[0])
		return dks_err(err, 0, "out of memory");
	c->module = c->owned[0];
	c->version = slash + 1;
	return 0;
}

/* build's further "m/v" arguments (ours: dkms builds one module), in
 * mods[1..]; argrules.c puts the first one in mods[0]. */
static int more_modules(struct dks_cli *c, const char *arg, struct dks_error *err)
{
	size_t i = c->n_mods + 1;

	if (i >= DKS_MAX_MODULES)
		return dks_err(err, 0, "build: more than %d modules", DKS_MAX_MODULES - 1);
	c->owned[i] = strndup(arg, strcspn(arg, "/"));
	if (!c->owned[i])
		return dks_err(err, 0, "out of memory");
	c->mods[i][0] = c->owned[i];
	c->mods[i][1] = strchr(arg, '/') + 1;
	c->n_mods++;
	return 0;
}

/* dkms's parse_kernelarch: "k/a" adds a kernel and an arch. */
static int kernel_arch(struct dks_cli *c, const char *arg, struct dks_error *err)
{
	const char *slash = strchr(arg, '/');

	if (c->n_kernels >= DKS_MAX_KERNELS || c->n_arches >= DKS_MAX_KERNELS)
		return dks_err(err, 0, "too many -k");
	c->kernels[c->n_kernels++] = arg;
	if (!slash)
		return 0;
	c->owned_k[c->n_kernels - 1] = strndup(arg, (size_t)(slash - arg));
	if (!c->owned_k[c->n_kernels - 1])
		return dks_err(err, 0, "out of memory");
	c->kernels[c->n_kernels - 1] = c->owned_k[c->n_kernels - 1];
	c->arches[c->n_arches++] = slash + 1;
	return 0;
}

static const char **string_field(struct dks_cli *c, enum dks_opt_id id)
{
	switch (id) {
	case OPT_VERSION: return &c->version;
	case OPT_TEMPLATE: return &c->templatekernel;
	case OPT_CONF: return &c->conf;
	case OPT_DKMSTREE: return &c->dkmstree;
	case OPT_SOURCETREE: return &c->sourcetree;
	case OPT_INSTALLTREE: return &c->installtree;
	case OPT_KERNEL_CONFIG: return &c->kernel_config;
	case OPT_KSRC: return &c->kernelsourcedir;
	case OPT_FRAMEWORK: return &c->dkmsframework;
	case OPT_SANDBOX_CONFIG: return &c->sandbox_config;
	case OPT_TOOLCHAIN: return &c->toolchain;
	case OPT_PROFILE: return &c->profile;
	case OPT_USER: return &c->user;
	case OPT_MOK_KEY: return &c->mok_key;
	case OPT_MOK_CERT: return &c->mok_cert;
	case OPT_OS_RELEASE: return &c->os_release;
	case OPT_KERNEL_IMAGE: return &c->kernel_image;
	case OPT_ARCHIVE: return &c->archive;
	case OPT_ARCHIVE_CERT: return &c->archive_cert;
	case OPT_PLAN: return &c->plan;
	case OPT_UNIT: return &c->unit;
	case OPT_BOOT_ROOT: return &c->boot_root;
	case OPT_CACHE_DIR: return &c->cache_dir;
	default: return NULL;
	}
}

static bool *flag_field(struct dks_cli *c, enum dks_opt_id id)
{
	switch (id) {
	case OPT_QUIET: return &c->quiet;
	case OPT_FORCE: return &c->force;
	case OPT_FORCE_VERSION_OVERRIDE: return &c->force_version_override;
	case OPT_ALL: return &c->all;
	case OPT_VERBOSE: return &c->verbose;
	case OPT_NO_DEPMOD: return &c->no_depmod;
	case OPT_MODPROBE: return &c->modprobe_on_install;
	case OPT_BINARIES_ONLY: return &c->binaries_only;
	case OPT_SOURCE_ONLY: return &c->source_only;
	case OPT_JSON: return &c->json;
	case OPT_TEST_LOAD: return &c->test_load;
	case OPT_CHECK: return &c->check;
	case OPT_SIGN: return &c->sign_archive;
	case OPT_REQUIRE_SIGNED: return &c->require_signed;
	case OPT_REPAIR: return &c->repair;
	case OPT_NO_CACHE: return &c->no_cache;
	default: return NULL;
	}
}

/* --directive NAME=VALUE, as dkms takes it: NAME a shell variable. */
static int directive(struct dks_cli *c, const char *val, struct dks_error *err)
{
	if (!dks_dkmsconf_directive_ok(val))
		return dks_err(err, 0, "--directive '%.200s': not NAME=VALUE with NAME a shell variable "
				       "name", val);
	if (c->n_directives >= DKS_MAX_DIRECTIVES)
		return dks_err(err, 0, "--directive: at most %d", DKS_MAX_DIRECTIVES);
	c->directives[c->n_directives++] = val;
	return 0;
}

/* sign --agree-with ARCHIVE, repeatable. */
static int agree_with(struct dks_cli *c, const char *val, struct dks_error *err)
{
	if (!*val)
		return dks_err(err, 0, "--agree-with: give an archive");
	if (c->n_agree >= DKS_MAX_AGREE)
		return dks_err(err, 0, "--agree-with: at most %d archives", DKS_MAX_AGREE);
	c->agree_with[c->n_agree++] = val;
	return 0;
}

static int one_opt(struct dks_cli *c, const struct dks_opt *o, const char *val,
		   struct dks_error *err)
{
	const char **s = string_field(c, o->id);
	bool *f = flag_field(c, o->id);

	if (o->here)
		dks_warn("%s: %s", o->name, o->here);
	if (s)
		*s = val;
	else if (f)
		*f = true;
	else if (o->id == OPT_MODULE)
		return module_version(c, val, err);
	else if (o->id == OPT_KERNEL)
		return kernel_arch(c, val, err);
	else if (o->id == OPT_ARCH && c->n_arches < DKS_MAX_KERNELS)
		c->arches[c->n_arches++] = val;
	else if (o->id == OPT_DIRECTIVE)
		return directive(c, val, err);
	else if (o->id == OPT_AGREE_WITH)
		return agree_with(c, val, err);
	else if (o->id == OPT_JOBS)
		return parse_jobs(val, &c->jobs, err);
	else if (o->id == OPT_LOCK_TIMEOUT)
		return parse_lock_timeout(val, &c->lock_timeout, err);
	else if (o->id == OPT_MAX_SIZE)
		return parse_size(val, &c->max_size, err);
	return 0; /* OPT_NOTED; --help and -V are main.c's */
}

/* dkms's rule: a dkms.conf, or a directory holding one (or, here, a
 * recipe: a .yaml file or a directory with ours), is a source; any other
 * existing file an archive (a recipe here). */
static bool is_path(const char *arg)
{
	char conf[4096];
	struct stat st;

	if (stat(arg, &st) < 0)
		return false;
	if (!S_ISDIR(st.st_mode))
		return true;
	snprintf(conf, sizeof(conf), "%s/dkms.conf", arg);
	if (access(conf, F_OK) == 0)
		return true;
	snprintf(conf, sizeof(conf), "%s/%s", arg, DKS_RECIPE_IN_SOURCE);
	return access(conf, F_OK) == 0;
}

/* An argument that is not an option. */
static int positional(struct dks_cli *c, const char *arg, const char *verb,
		      struct dks_error *err)
{
	bool toolchain = strcmp(verb, "toolchain") == 0; /* NAME [FILE|DIR] */

	if (!toolchain && dks_cli_is_verb(arg))
		return dks_err_code(err, DKS_EXIT_TWO_ACTIONS, 0,
				    "cannot specify more than one action: %s and %s", verb, arg);
	/* toolchain import NAME FILE|DIR: any file or directory after NAME */
	/* ldtarball FILE: its argument is the archive, there or not */
	if (toolchain ? c->module && access(arg, F_OK) == 0
		      : is_path(arg) || strcmp(verb, "ldtarball") == 0) {
		c->path = arg;
		return 0;
	}
	if (!c->module)
		return module_version(c, arg, err);
	if ((strcmp(verb, "build") == 0 || strcmp(verb, "plan") == 0 ||
	     strcmp(verb, "preflight") == 0) && strchr(arg, '/'))
		return more_modules(c, arg, err);
	dks_warn("%s: I do not know how to handle '%s' (ignored, as dkms does)", verb, arg);
	return 0;
}

void dks_cli_clear(struct dks_cli *c)
{
	for (size_t i = 0; i < DKS_MAX_MODULES; i++)
		free(c->owned[i]);
	for (size_t i = 0; i < DKS_MAX_KERNELS; i++)
		free(c->owned_k[i]);
	memset(c, 0, sizeof(*c));
}

int dks_cli_parse(int argc, char **argv, const char *verb, struct dks_cli *c,
		  struct dks_error *err)
{
	memset(c, 0, sizeof(*c));
	c->lock_timeout = -1;
	for (int i = 1; i < argc; i++) {
		const char *val = NULL;
		const struct dks_opt *o;

		if (argv[i][0] != '-') { /* dkms: "-" too is an (unknown) option */
			if (positional(c, argv[i], verb, err) < 0)
				return -1;
			continue;
		}
		o = dks_opt_find(argv[i], &val);
		if (!o)
			return dks_err_code(err, DKS_EXIT_BAD_OPTION, 0,
					    "%s: unknown option: %s (dkms-sandbox %s --help)", verb,
					    argv[i], verb);
		/* dkms's read_arg: the next argument, whatever it is; none: "" */
		if ((o->flags & DKS_OPT_ARG) && !val)
			val = i + 1 < argc ? argv[++i] : "";
		if (one_opt(c, o, val, err) < 0)
			return -1;
	}
	return dks_cli_check(c, verb, err);
}
