// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recipes (include/dks/recipe.h, specified in docs/recipes.md): the native,
 * declarative alternative to dkms.conf. This file loads one: the YAML is
 * read by the common walker (include/dks/yamlwalk.h) against the tables
 * below, one per mapping, every value checked, errors as FILE:LINE: reason
 * (exit 8); then the rules across keys (one source, distinct modules).
 * recipe_spec.c makes a kernel's spec of it, fetch.c puts its source in
 * place (recipe_internal.h).
 *
 * The privileged process runs this code on files that a module's author
 * wrote: nothing here executes, sources or evaluates them.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "dks/regexcost.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/recipe.h"
#include "dks/yamlwalk.h"
#include "recipe_internal.h"

/* A recipe is a page of YAML: anything much larger is not one. */
#define RECIPE_MAX_SIZE (1024 * 1024)
#define STRIP_MAX	16
#define STRINGIFY(x)	#x
#define XSTR(x)		STRINGIFY(x)

void dks_recipe_free(struct dks_recipe *r)
{
	if (!r)
		return;
	char **owned[] = {&r->path,	   &r->text,	     &r->name,	      &r->version,
			  &r->dir,	   &r->tarball,	     &r->sha256,      &r->url,
			  &r->src_dir,	   &r->src_tarball,  &r->build_dir,   &r->command.text,
			  &r->clean.text,  &r->pre_build,    &r->post_build,  &r->post_add,
			  &r->pre_install, &r->post_install, &r->post_remove, &r->k_match,
			  &r->k_min,	   &r->k_max,	     &r->k_arch,      &r->obsolete_by};
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		free(*owned[i]);
	for (size_t i = 0; i < r->n_overrides; i++) {
		free(r->overrides[i].kernel);
		free(r->overrides[i].command.text);
	}
	for (size_t i = 0; i < r->n_patches; i++) {
		free(r->patches[i].file);
		free(r->patches[i].kernel);
	}
	for (size_t i = 0; i < r->n_modules; i++) {
		free(r->modules[i].name);
		free(r->modules[i].location);
		free(r->modules[i].dest);
		free(r->modules[i].dest_name);
	}
	free(r->overrides);
	free(r->patches);
	free(r->modules);
	dks_strv_free(r->k_config);
	dks_strv_free(r->build_depends);
	free(r);
}

static void recipe_freep(struct dks_recipe **r)
{
	dks_recipe_free(*r);
}
#define cleanup_recipe __attribute__((cleanup(recipe_freep)))

const char *dks_recipe_name(const struct dks_recipe *r)
{
	return r->name;
}

const char *dks_recipe_version(const struct dks_recipe *r)
{
	return r->version;
}

const char *dks_recipe_post_add(const struct dks_recipe *r)
{
	return r->post_add;
}

/* ---- value checks: NULL when fine, else the reason ---- */

/* Names become path components and dkms.conf-style values: no '/', no
 * leading '.' or '-' (".", "..", options). */
static const char *check_name(const char *s)
{
	if (!*s || !dks_recipe_only(s, "_.+-") || *s == '.' || *s == '-')
		return "must be letters, digits and _ . + - (not first . or -)";
	return NULL;
}

static const char *check_version(const char *s)
{
	if (!*s || !dks_recipe_only(s, "_.+~-") || *s == '.' || *s == '-')
		return "must be letters, digits and _ . + ~ - (not first . or -)";
	return NULL;
}

static const char *check_module_name(const char *s)
{
	if (!*s || !dks_recipe_only(s, "_-"))
		return "must be a module name: letters, digits, _ and -";
	return NULL;
}

/* A relative path inside the source: no way out, nothing for a shell. */
static const char *check_relpath(const char *s)
{
	if (!*s || *s == '/' || !dks_recipe_only(s, "_.+-/"))
		return "must be a relative path of letters, digits and _ . + - /";
	for (const char *comp = s; comp; comp = strchr(comp, '/'), comp = comp ? comp + 1 : NULL)
		if (strncmp(comp, "..", 2) == 0 && (comp[2] == '/' || !comp[2]))
			return "must not contain a '..' component";
	return NULL;
}

/* DEST_MODULE_LOCATION: dkms accepts only these trees. */
static const char *check_dest(const char *s)
{
	static const char *const roots[] = {"/kernel", "/updates", "/extra"};

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		size_t n = strlen(roots[i]);

		if (strncmp(s, roots[i], n) != 0 || (s[n] && s[n] != '/'))
			continue;
		if (!s[n] || !s[n + 1])
			return NULL;
		if (strstr(s, "//"))
			return "must not contain '//'";
		return check_relpath(s + n + 1);
	}
	return "must start with /kernel, /updates or /extra";
}

static const char *check_regex(const char *s)
{
	regex_t re;

	if (!*s)
		return "must not be empty";
	if (dks_regex_too_big(s))
		return dks_regex_too_big(s);
	if (regcomp(&re, s, REG_EXTENDED | REG_NOSUB) != 0)
		return "is not a valid POSIX extended regular expression";
	regfree(&re);
	return NULL;
}

static const char *check_kversion(const char *s)
{
	if (!*s || !dks_recipe_only(s, "_.+~-"))
		return "must be a version: letters, digits and _ . + ~ -";
	return NULL;
}

static const char *check_config(const char *s)
{
	const char *name = *s == '!' ? s + 1 : s;

	if (strncmp(name, "CONFIG_", 7) != 0 || !name[7] || !dks_recipe_only(name + 7, "_"))
		return "must be CONFIG_NAME or !CONFIG_NAME";
	return NULL;
}

static const char *check_nonempty(const char *s)
{
	return *s ? NULL : "must not be empty";
}

/* Two digits at most: to a YAML 1.1 reader, 016 is octal 14. */
static const char *check_strip(const char *s)
{
	return strlen(s) > 2 ? "must be a number from 0 to " XSTR(STRIP_MAX) : NULL;
}

static const char *check_sha256(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, SHA256_UNPINNED) == 0)
		return NULL;
	if (n != SHA256_HEX || strspn(s, "0123456789abcdefABCDEF") != n)
		return "must be 64 hexadecimal digits (or '" SHA256_UNPINNED "')";
	return NULL;
}

/* ---- command lines ---- */

/* Its text and the line its text starts on; every ${var} must be known. */
static int parse_command(const struct dks_yaml_walk *w, const yaml_node_t *val,
			 const struct dks_yaml_key *k, void *obj)
{
	const char *s = dks_yaml_scalar(w, val, dks_yaml_path(k));
	struct cmd *cmd = (struct cmd *)((char *)obj + k->off);
	yaml_scalar_style_t style;

	if (!s)
		return -1;
	if (!*s)
		return dks_yaml_fail(w, val, "'%s' must not be empty", dks_yaml_path(k));
	cmd->text = strdup(s);
	if (!cmd->text)
		return dks_err(w->err, ENOMEM, "%s", w->source);
	/* A | or > block starts on the line after its indicator. */
	style = val->data.scalar.style;
	cmd->line = dks_yaml_line(val) +
		    (style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE);
	return dks_recipe_expand(w->source, cmd, NULL, NULL, w->err);
}

/* ---- the tables: every key a recipe may hold ---- */

#define R(member)    DKS_YAML_AT(struct dks_recipe, member)
#define LINE(member) DKS_YAML_LINE_AT(struct dks_recipe, member)
#define COUNT(n)     .count_off = offsetof(struct dks_recipe, n)
#define STR(k, path_, at, chk)                                                                     \
	{                                                                                          \
		k, DKS_YAML_STRING, at, .path = path_, .check = chk                                \
	}
#define CMD(k, path_, at)                                                                          \
	{                                                                                          \
		k, DKS_YAML_CUSTOM, at, .path = path_, .parse = parse_command                      \
	}
#define REQUIRED .flags = DKS_YAML_REQUIRED

static const struct dks_yaml_key source_keys[] = {
    STR("dir", "source.dir", R(dir), check_nonempty),
    STR("tarball", "source.tarball", R(tarball), check_nonempty),
    {"sha256", DKS_YAML_STRING, R(sha256), .path = "source.sha256", .check = check_sha256,
     LINE(sha256_line)},
    {"strip_components", DKS_YAML_UINT, R(strip_components), .path = "source.strip_components",
     .max = STRIP_MAX, .what = "a number from 0 to " XSTR(STRIP_MAX),
     .flags = DKS_YAML_RANGE_IN_WHAT, .check = check_strip},
    STR("url", "source.url", R(url), check_nonempty),
    {NULL},
};

#define O(member) DKS_YAML_AT(struct override, member)
static const struct dks_yaml_key override_keys[] = {
    {"kernel", DKS_YAML_STRING, O(kernel), .path = "build.overrides.kernel", .check = check_regex,
     REQUIRED},
    {"command", DKS_YAML_CUSTOM, O(command), .path = "build.overrides.command",
     .parse = parse_command, REQUIRED},
    {NULL},
};

static const struct dks_yaml_key build_keys[] = {
    STR("directory", "build.directory", R(build_dir), check_relpath),
    CMD("command", "build.command", R(command)),
    CMD("clean", "build.clean", R(clean)),
    {"overrides", DKS_YAML_MAPS, R(overrides), .path = "build.overrides", .sub = override_keys,
     .elem_size = sizeof(struct override), COUNT(n_overrides)},
    STR("pre_build", "build.pre_build", R(pre_build), check_relpath),
    STR("post_build", "build.post_build", R(post_build), check_relpath),
    {NULL},
};

#define M(member) DKS_YAML_AT(struct module, member)
static void module_init(void *elem)
{
	((struct module *)elem)->strip = true; /* dkms: STRIP[i] defaults to yes */
}

static const struct dks_yaml_key module_keys[] = {
    {"name", DKS_YAML_STRING, M(name), .path = "modules.name", .check = check_module_name,
     REQUIRED},
    STR("location", "modules.location", M(location), check_relpath),
    STR("dest", "modules.dest", M(dest), check_dest),
    STR("dest_name", "modules.dest_name", M(dest_name), check_module_name),
    {"strip", DKS_YAML_BOOL, M(strip), .path = "modules.strip"},
    {NULL},
};

/* A patch is a file name (the short form), or a mapping with the file and
 * a kernel ERE. */
#define P(member) DKS_YAML_AT(struct patch, member)
static const struct dks_yaml_key patch_keys[] = {
    {"file", DKS_YAML_STRING, P(file), .path = "patches.file", .check = check_relpath, REQUIRED},
    STR("kernel", "patches.kernel", P(kernel), check_regex),
    {NULL},
};

static const struct dks_yaml_key kernel_keys[] = {
    STR("match", "kernel.match", R(k_match), check_regex),
    STR("min", "kernel.min", R(k_min), check_kversion),
    STR("max", "kernel.max", R(k_max), check_kversion),
    STR("arch", "kernel.arch", R(k_arch), check_regex),
    {"config", DKS_YAML_STRV, R(k_config), .path = "kernel.config", .check = check_config,
     COUNT(n_k_config)},
    {NULL},
};

static const struct dks_yaml_key hooks_keys[] = {
    STR("post_add", "hooks.post_add", R(post_add), check_relpath),
    STR("pre_install", "hooks.pre_install", R(pre_install), check_relpath),
    STR("post_install", "hooks.post_install", R(post_install), check_relpath),
    STR("post_remove", "hooks.post_remove", R(post_remove), check_relpath),
    {NULL},
};

static const struct dks_yaml_key top_keys[] = {
    {"name", DKS_YAML_STRING, R(name), .check = check_name, REQUIRED},
    {"version", DKS_YAML_STRING, R(version), .check = check_version, REQUIRED},
    {"source", DKS_YAML_MAP, .sub = source_keys, LINE(source_line), REQUIRED},
    {"build", DKS_YAML_MAP, .sub = build_keys},
    {"modules", DKS_YAML_MAPS, R(modules), .sub = module_keys, .elem_size = sizeof(struct module),
     COUNT(n_modules), .init = module_init, LINE(modules_line), REQUIRED},
    {"patches", DKS_YAML_MAPS, R(patches), .sub = patch_keys, .elem_size = sizeof(struct patch),
     COUNT(n_patches), .flags = DKS_YAML_SHORT_FORM},
    {"kernel", DKS_YAML_MAP, .sub = kernel_keys, LINE(kernel_line)},
    {"hooks", DKS_YAML_MAP, .sub = hooks_keys},
    {"autoinstall", DKS_YAML_BOOL, R(autoinstall)},
    {"no_weak_modules", DKS_YAML_BOOL, R(no_weak_modules)},
    {"build_depends", DKS_YAML_STRV, R(build_depends), .check = check_name, COUNT(n_build_depends)},
    STR("obsolete_by", NULL, R(obsolete_by), check_kversion),
    {NULL},
};

/* ---- loading ---- */

/* The whole file, NUL-terminated. O_NONBLOCK: a FIFO must not hang us. */
static int read_text(const char *path, char **text, size_t *len, struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t got;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, errno, "cannot read recipe '%s'", path);
	if (!S_ISREG(st.st_mode) || st.st_size > RECIPE_MAX_SIZE)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "recipe '%s' is not a regular file of at most 1 MiB", path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return dks_err(err, ENOMEM, "recipe '%s'", path);
	got = dks_read_full(fd, buf, (size_t)st.st_size);
	if (got < 0)
		return dks_err(err, errno, "cannot read recipe '%s'", path);
	buf[got] = '\0';
	*text = steal_pointer(&buf);
	*len = got;
	return 0;
}

/* @rel against the recipe's directory, unless absolute. */
static char *resolve(const char *recipe_path, const char *rel)
{
	const char *slash = strrchr(recipe_path, '/');
	char *out = NULL;

	if (*rel == '/' || !slash)
		return strdup(rel);
	if (asprintf(&out, "%.*s/%s", (int)(slash - recipe_path), recipe_path, rel) < 0)
		return NULL;
	return out;
}

static bool is_in_source(const char *path)
{
	const char *base = strrchr(path, '/');

	return strcmp(base ? base + 1 : path, DKS_RECIPE_IN_SOURCE) == 0;
}

static int bad(const struct dks_recipe *r, unsigned long line, const char *msg,
	       struct dks_error *err)
{
	return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s:%lu: %s", r->path, line, msg);
}

/* Exactly one of dir / tarball; sha256 and strip_components belong to a
 * tarball; then the paths, resolved against the recipe's directory. */
static int check_source(struct dks_recipe *r, struct dks_error *err)
{
	if (!r->dir == !r->tarball)
		return bad(r, r->source_line, "'source' needs exactly one of 'dir' and 'tarball'",
			   err);
	if (r->tarball && !r->sha256)
		return bad(r, r->source_line, "'source.tarball' needs 'source.sha256'", err);
	if (r->dir && (r->sha256 || r->strip_components))
		return bad(r, r->source_line,
			   "'sha256' and 'strip_components' apply to a tarball, not to 'dir'", err);
	if (r->in_source)
		r->src_dir = resolve(r->path, ".");
	else if (r->dir)
		r->src_dir = resolve(r->path, r->dir);
	else
		r->src_tarball = resolve(r->path, r->tarball);
	if (!r->src_dir && !r->src_tarball)
		return dks_err(err, ENOMEM, "%s", r->path);
	return 0;
}

/* dkms refuses two modules built at one place or installed at one. */
static int check_modules(const struct dks_recipe *r, struct dks_error *err)
{
	char msg[512];

	if (r->n_modules == 0)
		return bad(r, r->modules_line, "'modules' needs at least one module", err);
	for (size_t i = 0; i < r->n_modules; i++) {
		const struct module *a = &r->modules[i];

		for (size_t j = 0; j < i; j++) {
			const struct module *b = &r->modules[j];
			bool built = strcmp(a->name, b->name) == 0 &&
				     strcmp(dks_or_default(a->location, DKS_RECIPE_LOCATION),
					    dks_or_default(b->location, DKS_RECIPE_LOCATION)) == 0;
			bool dest = strcmp(dks_or_default(a->dest_name, a->name),
					   dks_or_default(b->dest_name, b->name)) == 0;

			if (!built && !dest)
				continue;
			snprintf(msg, sizeof(msg),
				 "module '%s' has the same %s name as the one on line %lu", a->name,
				 built ? "built" : "destination", b->line);
			return bad(r, a->line, msg, err);
		}
	}
	return 0;
}

static int parse_recipe(struct dks_recipe *r, struct dks_error *err)
{
	struct dks_yaml_walk w = {
	    .source = r->path,
	    .top = "'a recipe'",
	    .exit_code = DKS_EXIT_BAD_CONF,
	    .err = err,
	};

	return dks_yaml_walk_text(&w, r->text, r->text_len, "recipe", top_keys, r);
}

int dks_recipe_load(const char *path, struct dks_recipe **out, struct dks_error *err)
{
	cleanup_recipe struct dks_recipe *r = calloc(1, sizeof(*r));

	if (!r || !(r->path = strdup(path)))
		return dks_err(err, ENOMEM, "%s", path);
	if (read_text(path, &r->text, &r->text_len, err) < 0)
		return -1;
	r->in_source = is_in_source(path);
	if (parse_recipe(r, err) < 0 || check_source(r, err) < 0 || check_modules(r, err) < 0)
		return -1;
	if (r->k_min && r->k_max && dks_version_cmp(r->k_min, r->k_max) > 0)
		return bad(r, r->kernel_line, "'kernel.min' is above 'kernel.max'", err);
	*out = steal_pointer(&r);
	return 0;
}
