// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recipes (include/dks/recipe.h, specified in docs/recipes.md): the native,
 * declarative alternative to dkms.conf. Three parts:
 *
 *   load   - YAML read with libyaml's document loader, every key looked up
 *            in a table, every value checked, errors as FILE:LINE: reason;
 *   spec   - the struct dks_spec for one kernel: ${var} substitution is
 *            the only processing a command gets on the host;
 *   fetch  - the source put in place: a directory copied, or a tarball
 *            verified (sha256) and extracted, both through one "sink" that
 *            writes below a directory fd and never follows a link.
 *
 * The privileged process runs this code on files that a module's author
 * wrote: nothing here executes, sources or evaluates them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <yaml.h>

#include "dks/cleanup.h"
#include "dks/recipe.h"
#include "dks/yamldoc.h"
#include "dks/fileio.h"
#include "recipe_internal.h"

/* A recipe is a page of YAML: anything much larger is not one. */
#define RECIPE_MAX_SIZE (1024 * 1024)
#define STRIP_MAX	16
#define DEFAULT_DEST	  "/updates/dkms"
#define DEFAULT_DKMS_TREE "/var/lib/dkms"


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

/* ---- walking a loaded document (as sandbox/profile.c) ---- */

struct ctx {
	const char *source;
	yaml_document_t *doc;
	struct dks_error *err;
};


__attribute__((format(printf, 3, 4))) static int fail_at(const struct ctx *c, const yaml_node_t *n,
							 const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dks_yaml_vfail(c->err, DKS_EXIT_BAD_CONF, c->source, n, fmt, ap);
	va_end(ap);
	return r;
}

static int oom(const struct ctx *c)
{
	return dks_err(c->err, ENOMEM, "%s", c->source);
}

static yaml_node_t *node(const struct ctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

static const char *text_of(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *kind(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a sequence";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length ? "a scalar" : "nothing";
}

static const char *scalar(const struct ctx *c, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail_at(c, n, "'%s' must be a scalar, got %s", what, kind(n));
		return NULL;
	}
	if (strlen(text_of(n)) != n->data.scalar.length) {
		fail_at(c, n, "'%s' contains a NUL character", what);
		return NULL;
	}
	return text_of(n);
}

/* ---- value checks: NULL when fine, else the reason ---- */

typedef const char *check_fn(const char *s);

static bool only(const char *s, const char *extra)
{
	for (; *s; s++) {
		bool alnum = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			     (*s >= '0' && *s <= '9');
		if (!alnum && !strchr(extra, *s))
			return false;
	}
	return true;
}

/* Names become path components and dkms.conf-style values: no '/', no
 * leading '.' or '-' (".", "..", options). */
static const char *check_name(const char *s)
{
	if (!*s || !only(s, "_.+-") || *s == '.' || *s == '-')
		return "must be letters, digits and _ . + - (not first . or -)";
	return NULL;
}

static const char *check_version(const char *s)
{
	if (!*s || !only(s, "_.+~-") || *s == '.' || *s == '-')
		return "must be letters, digits and _ . + ~ - (not first . or -)";
	return NULL;
}

static const char *check_module_name(const char *s)
{
	if (!*s || !only(s, "_-"))
		return "must be a module name: letters, digits, _ and -";
	return NULL;
}

/* A relative path inside the source: no way out, nothing for a shell. */
static const char *check_relpath(const char *s)
{
	if (!*s || *s == '/' || !only(s, "_.+-/"))
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
	if (regcomp(&re, s, REG_EXTENDED | REG_NOSUB) != 0)
		return "is not a valid POSIX extended regular expression";
	regfree(&re);
	return NULL;
}

static const char *check_kversion(const char *s)
{
	if (!*s || !only(s, "_.+~-"))
		return "must be a version: letters, digits and _ . + ~ -";
	return NULL;
}

static const char *check_config(const char *s)
{
	const char *name = *s == '!' ? s + 1 : s;

	if (strncmp(name, "CONFIG_", 7) != 0 || !name[7] || !only(name + 7, "_"))
		return "must be CONFIG_NAME or !CONFIG_NAME";
	return NULL;
}

static const char *check_nonempty(const char *s)
{
	return *s ? NULL : "must not be empty";
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

/* ---- one table per mapping ---- */

struct field;
typedef int parse_fn(const struct ctx *c, const yaml_node_t *val, const struct field *f, void *obj);

struct field {
	const char *key;
	const char *path; /* the full key, for messages */
	parse_fn *parse;
	size_t off; /* of the member in obj */
	bool required;
	check_fn *check;	  /* scalars */
	const struct field *sub;  /* mappings, lists of mappings */
	size_t elem_size;	  /* lists of mappings */
	size_t count_off;	  /* lists: the size_t count member */
	void (*init)(void *elem); /* lists of mappings: defaults of an element */
};

#define MEMBER(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

static const struct field *find_field(const struct field *fields, const char *key)
{
	for (const struct field *f = fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static int unknown_key(const struct ctx *c, const yaml_node_t *key, const char *path,
		       const struct field *fields)
{
	char known[256] = "";
	size_t used = 0;

	for (const struct field *f = fields; f->key && used < sizeof(known); f++) {
		int n =
		    snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "", f->key);
		used += n > 0 ? (size_t)n : 0;
	}
	return fail_at(c, key, "unknown key '%s'%s%s%s (known: %s)", text_of(key),
		       path ? " in '" : "", path ? path : "", path ? "'" : "", known);
}

/* Keys are plain scalars, each once: libyaml would keep both copies. */
static int check_key(const struct ctx *c, const yaml_node_t *map, const yaml_node_pair_t *pair)
{
	const yaml_node_t *key = node(c, pair->key);

	if (key->type != YAML_SCALAR_NODE || strlen(text_of(key)) != key->data.scalar.length)
		return fail_at(c, key, "a key must be a plain name");
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const yaml_node_t *prev = node(c, q->key);

		if (strcmp(text_of(prev), text_of(key)) == 0)
			return fail_at(c, key, "duplicate key '%s' (first on line %lu)",
				       text_of(key), dks_yaml_line(prev));
	}
	return 0;
}

static const yaml_node_t *mapping_get(const struct ctx *c, const yaml_node_t *map, const char *key)
{
	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++)
		if (strcmp(text_of(node(c, p->key)), key) == 0)
			return node(c, p->value);
	return NULL;
}

static int walk_mapping(const struct ctx *c, const yaml_node_t *map, const char *path,
			const struct field *fields, void *obj)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(c, map, "'%s' must be a mapping, got %s", path ? path : "a recipe",
			       kind(map));
	for (const yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		const struct field *f;

		if (check_key(c, map, pair) < 0)
			return -1;
		f = find_field(fields, text_of(node(c, pair->key)));
		if (!f)
			return unknown_key(c, node(c, pair->key), path, fields);
		if (f->parse(c, node(c, pair->value), f, obj) < 0)
			return -1;
	}
	for (const struct field *f = fields; f->key; f++)
		if (f->required && !mapping_get(c, map, f->key))
			return fail_at(c, map, "'%s' is required", f->path);
	return 0;
}

/* ---- parsers ---- */

static int parse_string(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			void *obj)
{
	const char *s = scalar(c, val, f->path);
	const char *why;
	char **member = MEMBER(obj, f->off, char *);

	if (!s)
		return -1;
	why = f->check ? f->check(s) : NULL;
	if (why)
		return fail_at(c, val, "'%s' %s, got '%s'", f->path, why, s);
	free(*member);
	*member = strdup(s);
	return *member ? 0 : oom(c);
}

static int parse_bool(const struct ctx *c, const yaml_node_t *val, const struct field *f, void *obj)
{
	const char *s = scalar(c, val, f->path);

	if (!s)
		return -1;
	if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
		return fail_at(c, val, "'%s' must be true or false, got '%s'", f->path, s);
	*MEMBER(obj, f->off, bool) = strcmp(s, "true") == 0;
	return 0;
}

static int parse_strip_components(const struct ctx *c, const yaml_node_t *val,
				  const struct field *f, void *obj)
{
	const char *s = scalar(c, val, f->path);

	if (!s)
		return -1;
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 2 || atoi(s) > STRIP_MAX)
		return fail_at(c, val, "'%s' must be a number from 0 to %d, got '%s'", f->path,
			       STRIP_MAX, s);
	*MEMBER(obj, f->off, unsigned) = (unsigned)atoi(s);
	return 0;
}

static int check_vars(const struct ctx *c, const struct cmd *cmd);

/* A command line: its text and the line its text starts on. */
static int parse_command(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			 void *obj)
{
	const char *s = scalar(c, val, f->path);
	struct cmd *cmd = MEMBER(obj, f->off, struct cmd);
	yaml_scalar_style_t style = val->data.scalar.style;

	if (!s)
		return -1;
	if (!*s)
		return fail_at(c, val, "'%s' must not be empty", f->path);
	cmd->text = strdup(s);
	if (!cmd->text)
		return oom(c);
	/* A | or > block starts on the line after its indicator. */
	cmd->line = dks_yaml_line(val) +
		    (style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE);
	return check_vars(c, cmd);
}

static int parse_section(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			 void *obj)
{
	return walk_mapping(c, val, f->path, f->sub, obj);
}

static size_t seq_len(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

static const yaml_node_t *seq_item(const struct ctx *c, const yaml_node_t *seq, size_t i)
{
	return node(c, seq->data.sequence.items.start[i]);
}

static int need_sequence(const struct ctx *c, const yaml_node_t *val, const struct field *f)
{
	if (val->type != YAML_SEQUENCE_NODE)
		return fail_at(c, val, "'%s' must be a sequence, got %s", f->path, kind(val));
	return 0;
}

/* A list of scalars, each checked, into a NULL-terminated vector. */
static int parse_strings(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			 void *obj)
{
	char ***v = MEMBER(obj, f->off, char **);
	size_t n;

	if (need_sequence(c, val, f) < 0)
		return -1;
	n = seq_len(val);
	*v = calloc(n + 1, sizeof(**v));
	if (!*v)
		return oom(c);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = seq_item(c, val, i);
		const char *s = scalar(c, item, f->path);
		const char *why = s && f->check ? f->check(s) : NULL;

		if (!s)
			return -1;
		if (why)
			return fail_at(c, item, "'%s' item %s, got '%s'", f->path, why, s);
		(*v)[i] = strdup(s);
		if (!(*v)[i])
			return oom(c);
		*MEMBER(obj, f->count_off, size_t) = i + 1;
	}
	return 0;
}

/* A list of mappings into an array of f->elem_size elements whose first
 * member is their line. */
static int parse_mappings(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			  void *obj)
{
	void **array = MEMBER(obj, f->off, void *);
	size_t n;

	if (need_sequence(c, val, f) < 0)
		return -1;
	n = seq_len(val);
	*array = calloc(n + 1, f->elem_size);
	if (!*array)
		return oom(c);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = seq_item(c, val, i);
		void *elem = (char *)*array + i * f->elem_size;

		*(unsigned long *)elem = dks_yaml_line(item);
		if (f->init)
			f->init(elem);
		*MEMBER(obj, f->count_off, size_t) = i + 1;
		if (walk_mapping(c, item, f->path, f->sub, elem) < 0)
			return -1;
	}
	return 0;
}

/* ---- the tables: every key a recipe may hold ---- */

#define R(member) offsetof(struct dks_recipe, member)
#define STR(k, p, m, chk)                                                                          \
	{                                                                                          \
		.key = k, .path = p, .parse = parse_string, .off = m, .check = chk                 \
	}

static const struct field source_fields[] = {
    STR("dir", "source.dir", R(dir), check_nonempty),
    STR("tarball", "source.tarball", R(tarball), check_nonempty),
    STR("sha256", "source.sha256", R(sha256), check_sha256),
    {.key = "strip_components",
     .path = "source.strip_components",
     .parse = parse_strip_components,
     .off = R(strip_components)},
    STR("url", "source.url", R(url), check_nonempty),
    {0},
};

static const struct field override_fields[] = {
    {.key = "kernel",
     .path = "build.overrides.kernel",
     .parse = parse_string,
     .off = offsetof(struct override, kernel),
     .check = check_regex,
     .required = true},
    {.key = "command",
     .path = "build.overrides.command",
     .parse = parse_command,
     .off = offsetof(struct override, command),
     .required = true},
    {0},
};

static const struct field build_fields[] = {
    STR("directory", "build.directory", R(build_dir), check_relpath),
    {.key = "command", .path = "build.command", .parse = parse_command, .off = R(command)},
    {.key = "clean", .path = "build.clean", .parse = parse_command, .off = R(clean)},
    {.key = "overrides",
     .path = "build.overrides",
     .parse = parse_mappings,
     .off = R(overrides),
     .sub = override_fields,
     .elem_size = sizeof(struct override),
     .count_off = R(n_overrides)},
    STR("pre_build", "build.pre_build", R(pre_build), check_relpath),
    STR("post_build", "build.post_build", R(post_build), check_relpath),
    {0},
};

#define M(member) offsetof(struct module, member)
static void module_init(void *elem)
{
	((struct module *)elem)->strip = true; /* dkms: STRIP[i] defaults to yes */
}

static const struct field module_fields[] = {
    {.key = "name",
     .path = "modules.name",
     .parse = parse_string,
     .off = M(name),
     .check = check_module_name,
     .required = true},
    STR("location", "modules.location", M(location), check_relpath),
    STR("dest", "modules.dest", M(dest), check_dest),
    STR("dest_name", "modules.dest_name", M(dest_name), check_module_name),
    {.key = "strip", .path = "modules.strip", .parse = parse_bool, .off = M(strip)},
    {0},
};

static const struct field patch_fields[] = {
    {.key = "file",
     .path = "patches.file",
     .parse = parse_string,
     .off = offsetof(struct patch, file),
     .check = check_relpath,
     .required = true},
    STR("kernel", "patches.kernel", offsetof(struct patch, kernel), check_regex),
    {0},
};

static const struct field kernel_fields[] = {
    STR("match", "kernel.match", R(k_match), check_regex),
    STR("min", "kernel.min", R(k_min), check_kversion),
    STR("max", "kernel.max", R(k_max), check_kversion),
    STR("arch", "kernel.arch", R(k_arch), check_regex),
    {.key = "config",
     .path = "kernel.config",
     .parse = parse_strings,
     .off = R(k_config),
     .check = check_config,
     .count_off = R(n_k_config)},
    {0},
};

static const struct field hooks_fields[] = {
    STR("post_add", "hooks.post_add", R(post_add), check_relpath),
    STR("pre_install", "hooks.pre_install", R(pre_install), check_relpath),
    STR("post_install", "hooks.post_install", R(post_install), check_relpath),
    STR("post_remove", "hooks.post_remove", R(post_remove), check_relpath),
    {0},
};

static int parse_source(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			void *obj)
{
	((struct dks_recipe *)obj)->source_line = dks_yaml_line(val);
	if (val->type == YAML_MAPPING_NODE && mapping_get(c, val, "sha256"))
		((struct dks_recipe *)obj)->sha256_line = dks_yaml_line(mapping_get(c, val, "sha256"));
	return parse_section(c, val, f, obj);
}

static int parse_kernel(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			void *obj)
{
	((struct dks_recipe *)obj)->kernel_line = dks_yaml_line(val);
	return parse_section(c, val, f, obj);
}

static int parse_modules(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			 void *obj)
{
	((struct dks_recipe *)obj)->modules_line = dks_yaml_line(val);
	return parse_mappings(c, val, f, obj);
}

/* A patch is a file name, or a mapping with the file and a kernel ERE. */
static int parse_patches(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			 void *obj)
{
	struct dks_recipe *r = obj;

	if (need_sequence(c, val, f) < 0)
		return -1;
	r->patches = calloc(seq_len(val) + 1, sizeof(*r->patches));
	if (!r->patches)
		return oom(c);
	for (size_t i = 0; i < seq_len(val); i++) {
		const yaml_node_t *item = seq_item(c, val, i);
		struct patch *p = &r->patches[i];
		const struct field file = patch_fields[0];

		r->n_patches = i + 1;
		p->line = dks_yaml_line(item);
		if (item->type == YAML_MAPPING_NODE) {
			if (walk_mapping(c, item, "patches", patch_fields, p) < 0)
				return -1;
		} else if (parse_string(c, item, &file, p) < 0) {
			return -1;
		}
	}
	return 0;
}

static const struct field top_fields[] = {
    {.key = "name",
     .path = "name",
     .parse = parse_string,
     .off = R(name),
     .check = check_name,
     .required = true},
    {.key = "version",
     .path = "version",
     .parse = parse_string,
     .off = R(version),
     .check = check_version,
     .required = true},
    {.key = "source",
     .path = "source",
     .parse = parse_source,
     .sub = source_fields,
     .required = true},
    {.key = "build", .path = "build", .parse = parse_section, .sub = build_fields},
    {.key = "modules",
     .path = "modules",
     .parse = parse_modules,
     .off = R(modules),
     .sub = module_fields,
     .elem_size = sizeof(struct module),
     .count_off = R(n_modules),
     .init = module_init,
     .required = true},
    {.key = "patches", .path = "patches", .parse = parse_patches},
    {.key = "kernel", .path = "kernel", .parse = parse_kernel, .sub = kernel_fields},
    {.key = "hooks", .path = "hooks", .parse = parse_section, .sub = hooks_fields},
    {.key = "autoinstall", .path = "autoinstall", .parse = parse_bool, .off = R(autoinstall)},
    {.key = "no_weak_modules",
     .path = "no_weak_modules",
     .parse = parse_bool,
     .off = R(no_weak_modules)},
    {.key = "build_depends",
     .path = "build_depends",
     .parse = parse_strings,
     .off = R(build_depends),
     .check = check_name,
     .count_off = R(n_build_depends)},
    STR("obsolete_by", "obsolete_by", R(obsolete_by), check_kversion),
    {0},
};

/* ---- ${var} substitution ---- */

enum { V_KERNELVER, V_KSRC, V_ARCH, V_JOBS, V_MODULE, V_MODVER, V_BUILD_DIR, V_COUNT };

static const char *const var_names[V_COUNT] = {
    "kernelver", "kernel_source_dir", "arch", "jobs", "module", "module_version", "build_dir",
};

static int var_index(const char *name, size_t len)
{
	for (int i = 0; i < V_COUNT; i++)
		if (strlen(var_names[i]) == len && strncmp(var_names[i], name, len) == 0)
			return i;
	return -1;
}

static unsigned long line_at(const struct cmd *cmd, const char *at)
{
	unsigned long line = cmd->line;

	for (const char *p = cmd->text; p < at; p++)
		line += *p == '\n';
	return line;
}

/*
 * Expand @cmd into @out (NULL: only check the names). "${name}" is one of
 * var_names, "$${" is a literal "${" for the shell in the sandbox, any
 * other '$' is copied: the host does no other expansion.
 */
static int expand(const char *source, const struct cmd *cmd, const char *const vals[V_COUNT],
		  FILE *out, struct dks_error *err)
{
	for (const char *p = cmd->text; *p; p++) {
		const char *end;
		int v;

		if (strncmp(p, "$${", 3) == 0) {
			if (out)
				fputs("${", out);
			p += 2;
			continue;
		}
		if (strncmp(p, "${", 2) != 0) {
			if (out)
				fputc(*p, out);
			continue;
		}
		end = strchr(p + 2, '}');
		v = end ? var_index(p + 2, (size_t)(end - p - 2)) : -1;
		if (v < 0)
			return dks_err_code(
			    err, DKS_EXIT_BAD_CONF, 0,
			    "%s:%lu: unknown variable '%.*s' (known: kernelver, "
			    "kernel_source_dir, arch, jobs, module, module_version, "
			    "build_dir; write $${ for a literal ${)",
			    source, line_at(cmd, p), end ? (int)(end - p + 1) : 2, p);
		if (out)
			fputs(vals[v], out);
		p = end;
	}
	return 0;
}

static int check_vars(const struct ctx *c, const struct cmd *cmd)
{
	return expand(c->source, cmd, NULL, NULL, c->err);
}

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

static const char *or_default(const char *s, const char *def)
{
	return s ? s : def;
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
			bool built =
			    strcmp(a->name, b->name) == 0 &&
			    strcmp(or_default(a->location, "."), or_default(b->location, ".")) == 0;
			bool dest = strcmp(or_default(a->dest_name, a->name),
					   or_default(b->dest_name, b->name)) == 0;

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
	__attribute__((cleanup(dks_yaml_doc_release))) struct dks_yaml_doc d = {0};
	struct ctx c = {r->path, &d.doc, err};

	if (dks_yaml_doc_load(&d, r->text, r->text_len, r->path, "recipe", false, DKS_EXIT_BAD_CONF,
			      err) < 0)
		return -1;
	return walk_mapping(&c, yaml_document_get_root_node(&d.doc), NULL, top_fields, r);
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

/* ---- the spec for one kernel ---- */

static void spec_freep(struct dks_spec **s)
{
	dks_spec_free(*s);
}
#define cleanup_spec __attribute__((cleanup(spec_freep)))

/* Values go into a line that sh -c runs in the sandbox: one that would
 * need quoting there is refused rather than quoted behind the author's
 * back (the author may have quoted it already). */
static int check_value(const char *var, const char *val, struct dks_error *err)
{
	if (!*val || !only(val, "_.+,/:=@%~-"))
		return dks_err(err, 0,
			       "kernel target: ${%s} would be '%s', which needs shell quoting", var,
			       val);
	return 0;
}

struct target_vals {
	char *kernel_dir, *build_dir, jobs[16];
	const char *v[V_COUNT];
};

static void target_vals_release(struct target_vals *tv)
{
	free(tv->kernel_dir);
	free(tv->build_dir);
}

/* dkms's values for a kernel: kernel_source_dir defaults to
 * /lib/modules/KVER/build, the tree to /var/lib/dkms, jobs to the CPUs. */
static int target_vals_init(struct target_vals *tv, const struct dks_recipe *r,
			    const struct dks_spec_target *t, struct dks_error *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = t->jobs > 0 ? t->jobs : cpus > 0 ? (int)cpus : 1;

	if (!t->kver || !t->arch)
		return dks_err(err, EINVAL, "%s: kernel target without a release or an arch",
			       r->path);
	if (t->kernel_dir)
		tv->kernel_dir = strdup(t->kernel_dir);
	else if (asprintf(&tv->kernel_dir, "/lib/modules/%s/build", t->kver) < 0)
		tv->kernel_dir = NULL;
	if (asprintf(&tv->build_dir, "%s/%s/%s/build", or_default(t->dkms_tree, DEFAULT_DKMS_TREE),
		     r->name, r->version) < 0)
		tv->build_dir = NULL;
	if (!tv->kernel_dir || !tv->build_dir)
		return dks_err(err, ENOMEM, "%s", r->path);
	snprintf(tv->jobs, sizeof(tv->jobs), "%d", jobs);
	tv->v[V_KERNELVER] = t->kver;
	tv->v[V_KSRC] = tv->kernel_dir;
	tv->v[V_ARCH] = t->arch;
	tv->v[V_JOBS] = tv->jobs;
	tv->v[V_MODULE] = r->name;
	tv->v[V_MODVER] = r->version;
	tv->v[V_BUILD_DIR] = tv->build_dir;
	for (int i = 0; i < V_COUNT; i++)
		if (check_value(var_names[i], tv->v[i], err) < 0)
			return -1;
	return 0;
}

static bool build_in_top(const struct dks_recipe *r)
{
	return !r->build_dir || strcmp(r->build_dir, ".") == 0;
}

/* @prefix, then @cmd expanded, into *@out (malloc'd). */
static int expand_to(const struct dks_recipe *r, const char *prefix, const struct cmd *cmd,
		     const struct target_vals *tv, char **out, struct dks_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return dks_err(err, errno, "%s", r->path);
	fputs(prefix, f);
	rc = expand(r->path, cmd, tv->v, f, err);
	if (fclose(f) != 0 && rc == 0)
		return dks_err(err, ENOMEM, "%s", r->path);
	if (rc < 0)
		return -1;
	*out = steal_pointer(&buf);
	return 0;
}

/* The command line for @cmd, run in build.directory: "cd 'DIR' && ...".
 * Single quotes are safe: check_relpath allows no quote in DIR. */
static int command_line(const struct dks_recipe *r, const struct cmd *cmd,
			const struct target_vals *tv, char **out, struct dks_error *err)
{
	cleanup_free char *prefix = NULL;

	if (build_in_top(r))
		return expand_to(r, "", cmd, tv, out, err);
	if (asprintf(&prefix, "cd '%s' && ", r->build_dir) < 0)
		return dks_err(err, ENOMEM, "%s", r->path);
	return expand_to(r, prefix, cmd, tv, out, err);
}

static bool kernel_matches(const char *ere, const char *kver)
{
	regex_t re;
	bool match;

	/* Compiled once at load already: a failure here is memory. */
	if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	match = regexec(&re, kver, 0, NULL, 0) == 0;
	regfree(&re);
	return match;
}

/* MAKE[i]/MAKE_MATCH[i]: the first override whose ERE matches, else the
 * command, else NULL = dkms's default line (the build adds -jN and
 * KERNELRELEASE to its leading make), or that line with M= pointing into
 * build.directory: still a leading make, so it keeps that treatment. */
static int spec_make(const struct dks_recipe *r, const struct dks_spec_target *t,
		     const struct target_vals *tv, struct dks_spec *s, struct dks_error *err)
{
	cleanup_free char *def = NULL;
	struct cmd cmd = {NULL, 0};

	for (size_t i = 0; i < r->n_overrides; i++)
		if (kernel_matches(r->overrides[i].kernel, t->kver))
			return command_line(r, &r->overrides[i].command, tv, &s->make, err);
	if (r->command.text)
		return command_line(r, &r->command, tv, &s->make, err);
	if (build_in_top(r))
		return 0;
	if (asprintf(&def, "make -C ${kernel_source_dir} M=${build_dir}/%s", r->build_dir) < 0)
		return dks_err(err, ENOMEM, "%s", r->path);
	cmd.text = def;
	return expand_to(r, "", &cmd, tv, &s->make, err);
}

/* *@dst = copy of @src (NULL stays NULL); false when out of memory. */
static bool dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

static char **strv_dup(char *const *v, size_t n)
{
	char **c = calloc(n + 1, sizeof(*c));

	for (size_t i = 0; c && i < n; i++) {
		if (!(c[i] = strdup(v[i]))) {
			dks_strv_free(c);
			return NULL;
		}
	}
	return c;
}

static int spec_modules(const struct dks_recipe *r, struct dks_spec *s, struct dks_error *err)
{
	s->modules = calloc(r->n_modules, sizeof(*s->modules));
	if (!s->modules)
		return dks_err(err, ENOMEM, "%s", r->path);
	for (size_t i = 0; i < r->n_modules; i++) {
		const struct module *m = &r->modules[i];
		struct dks_spec_module *sm = &s->modules[i];
		const char *loc = or_default(m->location, ".");

		s->n_modules = i + 1;
		/* spec: "" is the top of the build directory. */
		if (!dup_opt(&sm->built_name, m->name) ||
		    !dup_opt(&sm->built_location, strcmp(loc, ".") == 0 ? "" : loc) ||
		    !dup_opt(&sm->dest_name, or_default(m->dest_name, m->name)) ||
		    !dup_opt(&sm->dest_location, or_default(m->dest, DEFAULT_DEST)))
			return dks_err(err, ENOMEM, "%s", r->path);
		sm->strip = m->strip;
	}
	return 0;
}

/* PATCH[i]/PATCH_MATCH[i]: the patches for this kernel, in order. */
static int spec_patches(const struct dks_recipe *r, const char *kver, struct dks_spec *s,
			struct dks_error *err)
{
	s->patches = calloc(r->n_patches + 1, sizeof(*s->patches));
	if (!s->patches)
		return dks_err(err, ENOMEM, "%s", r->path);
	for (size_t i = 0; i < r->n_patches; i++) {
		const struct patch *p = &r->patches[i];

		if (p->kernel && !kernel_matches(p->kernel, kver))
			continue;
		if (!(s->patches[s->n_patches].file = strdup(p->file)))
			return dks_err(err, ENOMEM, "%s", r->path);
		s->n_patches++;
	}
	return 0;
}

static int spec_scalars(const struct dks_recipe *r, struct dks_spec *s, struct dks_error *err)
{
	const struct {
		char **dst;
		const char *src;
	} copies[] = {
	    {&s->name, r->name},
	    {&s->version, r->version},
	    {&s->source, r->path},
	    {&s->pre_build, r->pre_build},
	    {&s->post_build, r->post_build},
	    {&s->post_add, r->post_add},
	    {&s->pre_install, r->pre_install},
	    {&s->post_install, r->post_install},
	    {&s->post_remove, r->post_remove},
	    {&s->obsolete_by, r->obsolete_by},
	    {&s->excl_kernel, r->k_match},
	    {&s->excl_kernel_min, r->k_min},
	    {&s->excl_kernel_max, r->k_max},
	    {&s->excl_arch, r->k_arch},
	};

	for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
		if (!dup_opt(copies[i].dst, copies[i].src))
			return dks_err(err, ENOMEM, "%s", r->path);
	s->autoinstall = r->autoinstall;
	s->no_weak_modules = r->no_weak_modules;
	s->build_depends = strv_dup(r->build_depends, r->n_build_depends);
	s->n_build_depends = r->n_build_depends;
	if (r->n_k_config) {
		s->excl_config = strv_dup(r->k_config, r->n_k_config);
		s->n_excl_config = r->n_k_config;
	}
	if (!s->build_depends || (r->n_k_config && !s->excl_config))
		return dks_err(err, ENOMEM, "%s", r->path);
	return 0;
}

int dks_recipe_spec(const struct dks_recipe *r, const struct dks_spec_target *t,
		    struct dks_spec **out, struct dks_error *err)
{
	__attribute__((cleanup(target_vals_release))) struct target_vals tv = {0};
	cleanup_spec struct dks_spec *s = calloc(1, sizeof(*s));

	if (!s)
		return dks_err(err, ENOMEM, "%s", r->path);
	if (target_vals_init(&tv, r, t, err) < 0 || spec_scalars(r, s, err) < 0 ||
	    spec_modules(r, s, err) < 0 || spec_patches(r, t->kver, s, err) < 0 ||
	    spec_make(r, t, &tv, s, err) < 0)
		return -1;
	if (r->clean.text && command_line(r, &r->clean, &tv, &s->clean, err) < 0)
		return -1;
	*out = steal_pointer(&s);
	return 0;
}

