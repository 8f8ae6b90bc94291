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
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
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
#include "lazylib.h"

/* A recipe is a page of YAML: anything much larger is not one. */
#define RECIPE_MAX_SIZE (1024 * 1024)
/* Bounds on what a source may put on disk: a tarball is attacker data, and
 * a zip bomb must end in an error, not in a full /usr/src. */
#define FETCH_TOTAL_MAX	  (512ULL << 20)
#define FETCH_ENTRY_MAX	  (256ULL << 20)
#define FETCH_ENTRIES_MAX 100000
/* Depth bound: the walks below hold one fd per level. */
#define FETCH_DEPTH_MAX 64
#define STRIP_MAX	16
#define SHA256_HEX	64
/* The word a recipe may give instead of a checksum it cannot know yet:
 * it loads (plan, spec), but fetch refuses it. */
#define SHA256_UNPINNED	  "unpinned"
#define DEFAULT_DEST	  "/updates/dkms"
#define DEFAULT_DKMS_TREE "/var/lib/dkms"

/* ---- the recipe ---- */

struct cmd {
	char *text;
	unsigned long line; /* of its first character */
};

/* Elements of the lists of mappings begin with their line. */
struct override {
	unsigned long line;
	char *kernel; /* ERE on the release: MAKE_MATCH[i] */
	struct cmd command;
};

struct patch {
	unsigned long line;
	char *file;
	char *kernel; /* PATCH_MATCH[i], or NULL: every kernel */
};

struct module {
	unsigned long line;
	char *name, *location, *dest, *dest_name;
	bool strip;
};

struct dks_recipe {
	char *path; /* as given, for messages and spec->source */
	char *text; /* the validated bytes: what fetch copies */
	size_t text_len;
	char *name, *version;

	/* source: */
	char *dir, *tarball, *sha256, *url; /* as written */
	unsigned strip_components;
	unsigned long source_line, sha256_line, kernel_line;
	char *src_dir, *src_tarball; /* resolved against the recipe's dir */
	bool in_source;		     /* loaded from <src>/dkms-sandbox.yaml */

	/* build: */
	char *build_dir; /* relative, "." = top */
	struct cmd command, clean;
	struct override *overrides;
	size_t n_overrides;
	char *pre_build, *post_build;

	struct module *modules;
	size_t n_modules;
	unsigned long modules_line;
	struct patch *patches;
	size_t n_patches;
	char *post_add, *pre_install, *post_install, *post_remove;

	/* kernel: */
	char *k_match, *k_min, *k_max, *k_arch;
	char **k_config;
	size_t n_k_config;

	bool autoinstall, no_weak_modules;
	char **build_depends;
	size_t n_build_depends;
	char *obsolete_by;
};

static void strv_free(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

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
	strv_free(r->k_config);
	strv_free(r->build_depends);
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
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, errno, "cannot read recipe '%s'", path);
	if (!S_ISREG(st.st_mode) || st.st_size > RECIPE_MAX_SIZE)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "recipe '%s' is not a regular file of at most 1 MiB", path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return dks_err(err, ENOMEM, "recipe '%s'", path);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dks_err(err, errno, "cannot read recipe '%s'", path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
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
			strv_free(c);
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

/* ---- fetch: the sink, where every byte of a source lands ---- */

/*
 * All writes go below one directory fd (the temporary directory), by
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): no entry can write
 * through a link, whatever earlier entries made. libarchive's own
 * archive_write_disk is not used: it works on paths relative to the
 * process's cwd (chdir is process-wide state) and its SECURE_SYMLINKS
 * check would walk the absolute path of the temporary directory too.
 */
struct sink {
	int root;
	const char *what; /* the source, for messages */
	uint64_t total, entries;
	dev_t skip_dev; /* the temporary directory itself: a source dir */
	ino_t skip_ino; /* that contains @dest must not copy it */
	struct dks_error *err;
};

__attribute__((format(printf, 4, 5))) static int refuse(struct sink *s, int errnum,
							const char *entry, const char *fmt, ...)
{
	char msg[DKS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err(s->err, errnum, "%s: '%s': %s", s->what, entry, msg);
}

static int open_beneath(int dirfd, const char *path, int flags, mode_t mode, bool follow)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (follow ? 0 : RESOLVE_NO_SYMLINKS),
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Count an entry against FETCH_ENTRIES_MAX. */
static int sink_count(struct sink *s, const char *rel)
{
	if (++s->entries > FETCH_ENTRIES_MAX)
		return refuse(s, 0, rel, "more than %d entries", FETCH_ENTRIES_MAX);
	return 0;
}

/* An fd of the directory that holds @rel's last component, made with its
 * missing parents (0755); *@leaf points into @rel. */
static int sink_parent(struct sink *s, char *rel, const char **leaf)
{
	cleanup_close int cur = fcntl(s->root, F_DUPFD_CLOEXEC, 3);
	char *comp = rel, *slash;

	if (cur < 0)
		return refuse(s, errno, rel, "dup");
	while ((slash = strchr(comp, '/'))) {
		int next;

		*slash = '\0';
		next = open_beneath(cur, comp, O_DIRECTORY | O_RDONLY, 0, false);
		if (next < 0 && errno == ENOENT && mkdirat(cur, comp, 0755) == 0)
			next = open_beneath(cur, comp, O_DIRECTORY | O_RDONLY, 0, false);
		*slash = '/';
		if (next < 0)
			return refuse(s, errno, rel,
				      errno == ELOOP ? "a parent is a symbolic link"
						     : "cannot make its directory");
		close(cur);
		cur = next;
		comp = slash + 1;
	}
	*leaf = comp;
	return steal_fd(&cur);
}

/* A later entry of the same name replaces an earlier one (as tar does),
 * unless the earlier one is a directory. */
static int make_room(struct sink *s, int dir, const char *leaf, const char *rel)
{
	struct stat st;

	if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : refuse(s, errno, rel, "stat");
	if (S_ISDIR(st.st_mode))
		return refuse(s, 0, rel, "a directory of that name exists");
	if (unlinkat(dir, leaf, 0) < 0)
		return refuse(s, errno, rel, "cannot replace it");
	return 0;
}

static int sink_dir(struct sink *s, char *rel)
{
	cleanup_close int dir = -1;
	const char *leaf;
	struct stat st;

	if (sink_count(s, rel) < 0 || (dir = sink_parent(s, rel, &leaf)) < 0)
		return -1;
	if (mkdirat(dir, leaf, 0755) == 0)
		return 0;
	if (errno == EEXIST && fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return 0;
	return refuse(s, errno, rel, "cannot make the directory");
}

/* A new regular file for @rel. Modes are normalised to 0755 (any x bit)
 * or 0644: no set-id, no sticky, nothing group- or world-writable in a
 * tree that root owns. */
static int sink_file(struct sink *s, char *rel, mode_t mode)
{
	cleanup_close int dir = -1;
	const char *leaf;
	int fd;

	if (sink_count(s, rel) < 0 || (dir = sink_parent(s, rel, &leaf)) < 0 ||
	    make_room(s, dir, leaf, rel) < 0)
		return -1;
	fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    (mode & 0111) ? 0755 : 0644);
	if (fd < 0)
		return refuse(s, errno, rel, "cannot create the file");
	/* The umask may have taken bits away: set them exactly. */
	if (fchmod(fd, (mode & 0111) ? 0755 : 0644) < 0) {
		close(fd);
		return refuse(s, errno, rel, "chmod");
	}
	return fd;
}

/* @len bytes at @off of entry @rel, within the caps. */
static int sink_write(struct sink *s, int fd, const char *rel, const void *buf, size_t len,
		      uint64_t off)
{
	const char *p = buf;

	if (off > FETCH_ENTRY_MAX || len > FETCH_ENTRY_MAX - off)
		return refuse(s, EFBIG, rel, "larger than the %llu MiB cap for one file",
			      FETCH_ENTRY_MAX >> 20);
	if (len > FETCH_TOTAL_MAX - s->total)
		return refuse(s, EFBIG, rel, "the source is larger than the %llu MiB cap",
			      FETCH_TOTAL_MAX >> 20);
	s->total += len;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return refuse(s, errno, rel, "write");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* Does @target, read from the directory of @rel, stay inside the tree,
 * component by component? (check_links then resolves it for real.) */
static bool link_stays_inside(const char *rel, const char *target)
{
	long depth = 0;

	if (!*target || *target == '/')
		return false;
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	for (const char *comp = target; *comp;) {
		size_t len = strcspn(comp, "/");

		if (len == 2 && comp[0] == '.' && comp[1] == '.')
			depth--;
		else if (len && !(len == 1 && comp[0] == '.'))
			depth++;
		if (depth < 0)
			return false;
		comp += len;
		comp += *comp == '/';
	}
	return true;
}

static int sink_symlink(struct sink *s, char *rel, const char *target)
{
	cleanup_close int dir = -1;
	const char *leaf;

	if (!target || !link_stays_inside(rel, target))
		return refuse(s, 0, rel, "symbolic link to '%s' leads outside the source",
			      target ? target : "");
	if (sink_count(s, rel) < 0 || (dir = sink_parent(s, rel, &leaf)) < 0 ||
	    make_room(s, dir, leaf, rel) < 0)
		return -1;
	if (symlinkat(target, dir, leaf) < 0)
		return refuse(s, errno, rel, "cannot make the symbolic link");
	return 0;
}

/* Copy @in (from offset 0) into a new file @rel. */
static int sink_copy_fd(struct sink *s, char *rel, int in, mode_t mode)
{
	cleanup_close int out = sink_file(s, rel, mode);
	char buf[65536];
	uint64_t off = 0;

	if (out < 0)
		return -1;
	for (;;) {
		ssize_t n = pread(in, buf, sizeof(buf), (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return refuse(s, errno, rel, "read");
		if (n == 0)
			return 0;
		if (sink_write(s, out, rel, buf, (size_t)n, off) < 0)
			return -1;
		off += (uint64_t)n;
	}
}

/* A hard link becomes a copy of a regular file extracted before it: no
 * link can reach outside, and the build never sees a file with two names
 * (collect requires one link). */
static int sink_hardlink(struct sink *s, char *rel, const char *target_rel)
{
	cleanup_close int in = open_beneath(s->root, target_rel, O_RDONLY | O_NOFOLLOW, 0, false);
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(s, in < 0 ? errno : 0, rel,
			      "hard link to '%s', which is not a regular file of this source",
			      target_rel);
	return sink_copy_fd(s, rel, in, st.st_mode);
}

/* ---- fetch: paths and whole-tree checks ---- */

/* @in as a clean relative path into @buf: "." and empty components
 * dropped, then the first @strip removed (*@empty when nothing is left).
 * Returns NULL when @in is fine, else the reason to refuse it: an absolute
 * path or a ".." component would land outside the tree. */
static const char *clean_path(const char *in, unsigned strip, char *buf, size_t size, bool *empty)
{
	size_t used = 0, depth = 0;

	if (*in == '/')
		return "absolute path";
	for (const char *comp = in; *comp;) {
		size_t len = strcspn(comp, "/");
		bool dot = len == 0 || (len == 1 && comp[0] == '.');

		if (len == 2 && comp[0] == '.' && comp[1] == '.')
			return "'..' in the path";
		if (!dot && strip) {
			strip--;
		} else if (!dot) {
			if (++depth > FETCH_DEPTH_MAX || used + len + 2 > size)
				return "path too deep or too long";
			if (used)
				buf[used++] = '/';
			memcpy(buf + used, comp, len);
			used += len;
		}
		comp += len;
		comp += *comp == '/';
	}
	buf[used] = '\0';
	*empty = used == 0;
	return NULL;
}

/* *@out: the clean path of @in (NULL when nothing is left), or a refusal. */
static int clean_or_refuse(struct sink *s, const char *in, unsigned strip, char **out)
{
	char buf[PATH_MAX];
	bool empty = true;
	const char *why = clean_path(in, strip, buf, sizeof(buf), &empty);

	*out = NULL;
	if (why)
		return refuse(s, 0, in, "%s", why);
	if (!empty && !(*out = strdup(buf)))
		return dks_err(s->err, ENOMEM, "%s", s->what);
	return 0;
}

/* A directory stream on a dup of @dirfd, from the start: a dup shares the
 * offset, and an earlier walk may have stopped half-way. */
static DIR *opendir_at(int dirfd)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0)
		close(fd);
	if (d)
		rewinddir(d);
	return d;
}

/* Walk the tree under @dirfd; @path holds the relative path of the
 * directory (length @len). Every symbolic link is resolved for real,
 * confined beneath the root: a link made of links (a -> ".",
 * b -> "a/../..") can pass the component check and still lead out. */
static int check_links(struct sink *s, int dirfd, char *path, size_t len)
{
	DIR *d = opendir_at(dirfd);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return refuse(s, errno, path, "opendir");
	while (rc == 0 && (de = readdir(d))) {
		int n, fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = snprintf(path + len, PATH_MAX - len, "%s%s", len ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n >= PATH_MAX - len) {
			rc = refuse(s, ENAMETOOLONG, path, "path too long");
			break;
		}
		if (de->d_type == DT_LNK) {
			fd = open_beneath(s->root, path, O_PATH, 0, true);
			if (fd < 0 && errno != ENOENT)
				rc = refuse(s, errno, path,
					    "symbolic link leads outside the source");
			if (fd >= 0)
				close(fd);
		} else if (de->d_type == DT_DIR) {
			fd = open_beneath(dirfd, de->d_name, O_DIRECTORY | O_RDONLY, 0, false);
			rc = fd < 0 ? refuse(s, errno, path, "open")
				    : check_links(s, fd, path, len + (size_t)n);
			if (fd >= 0)
				close(fd);
		}
		path[len] = '\0';
	}
	closedir(d);
	return rc;
}

/* Remove what is under @dirfd, never following a link (best effort: this
 * runs on a failure path, the first error is already reported). */
static void remove_under(int dirfd)
{
	DIR *d = opendir_at(dirfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0 || errno != EISDIR)
			continue;
		fd = openat(dirfd, de->d_name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			remove_under(fd);
			close(fd);
		}
		unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* ---- fetch: a directory source ---- */

static int copy_entry(struct sink *s, int src, const char *name, char *rel, size_t len,
		      unsigned depth);

/* Copy the directory @src (at @rel, length @len) into the sink. */
static int copy_dir(struct sink *s, int src, char *rel, size_t len, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > FETCH_DEPTH_MAX)
		return refuse(s, 0, rel, "too deep");
	d = opendir_at(src);
	if (!d)
		return refuse(s, errno, rel, "opendir");
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = copy_entry(s, src, de->d_name, rel, len, depth);
	}
	closedir(d);
	return rc;
}

static int copy_file(struct sink *s, int src, const char *name, char *rel, const struct stat *st)
{
	/* O_NONBLOCK: swapped for a FIFO since the lstat, it must not hang. */
	cleanup_close int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat now;

	if (in < 0 || fstat(in, &now) < 0)
		return refuse(s, errno, rel, "cannot read it");
	if (!S_ISREG(now.st_mode) || now.st_ino != st->st_ino)
		return refuse(s, 0, rel, "changed while being copied");
	return sink_copy_fd(s, rel, in, now.st_mode);
}

static int copy_entry(struct sink *s, int src, const char *name, char *rel, size_t len,
		      unsigned depth)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int w = snprintf(rel + len, PATH_MAX - len, "%s%s", len ? "/" : "", name);
	int rc;

	if (w < 0 || (size_t)w >= PATH_MAX - len)
		return refuse(s, ENAMETOOLONG, rel, "path too long");
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return refuse(s, errno, rel, "stat");
	if (S_ISDIR(st.st_mode) && st.st_dev == s->skip_dev && st.st_ino == s->skip_ino)
		rc = 0;
	else if (S_ISDIR(st.st_mode)) {
		cleanup_close int sub =
		    openat(src, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		rc = sub < 0 ? refuse(s, errno, rel, "open") : sink_dir(s, rel);
		if (rc == 0)
			rc = copy_dir(s, sub, rel, len + (size_t)w, depth + 1);
	} else if (S_ISREG(st.st_mode)) {
		rc = copy_file(s, src, name, rel, &st);
	} else if (S_ISLNK(st.st_mode)) {
		n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return refuse(s, errno, rel, "readlink");
		target[n] = '\0';
		rc = sink_symlink(s, rel, target);
	} else {
		rc = refuse(s, 0, rel, "device node, FIFO or socket: not part of a module source");
	}
	rel[len] = '\0';
	return rc;
}

static int fetch_dir(const struct dks_recipe *r, struct sink *s)
{
	cleanup_close int src = open(r->src_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	char rel[PATH_MAX] = "";

	if (src < 0)
		return dks_err_code(s->err, DKS_EXIT_NO_SOURCE, errno, "%s: source directory '%s'",
				    r->path, r->src_dir);
	return copy_dir(s, src, rel, 0, 0);
}

/* ---- fetch: a tarball ---- */

/* The tarball's fd, hashed as libarchive reads it: the bytes extracted
 * must be the bytes verified, even if the file changes in between. */
struct hashed {
	int fd;
	EVP_MD_CTX *md;
	unsigned char buf[65536];
};

static void md_freep(EVP_MD_CTX **md)
{
	EVP_MD_CTX_free(*md);
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static la_ssize_t hashed_read(struct archive *a, void *data, const void **buf)
{
	struct hashed *h = data;
	ssize_t n;

	do
		n = read(h->fd, h->buf, sizeof(h->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read");
		return -1;
	}
	if (n > 0 && !EVP_DigestUpdate(h->md, h->buf, (size_t)n)) {
		archive_set_error(a, ENOMEM, "sha256");
		return -1;
	}
	*buf = h->buf;
	return n;
}

/* Read the rest of the fd into the hash, then the hex digest. */
static int hashed_finish(struct hashed *h, struct archive *a, char hex[SHA256_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const void *buf;
	la_ssize_t n;

	while ((n = hashed_read(a, h, &buf)) > 0)
		;
	if (n < 0 || !EVP_DigestFinal_ex(h->md, md, &len) || len * 2 != SHA256_HEX)
		return -1;
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int hashed_start(struct hashed *h, struct dks_error *err, const char *what)
{
	if (lseek(h->fd, 0, SEEK_SET) < 0)
		return dks_err(err, errno, "%s", what);
	if (!EVP_DigestInit_ex(h->md, EVP_sha256(), NULL))
		return dks_err(err, ENOMEM, "%s: sha256", what);
	return 0;
}

/* Compare the whole file's sha256 with the recipe's, before any byte of
 * it is parsed or written. */
static int verify_sha256(const struct dks_recipe *r, struct hashed *h, struct dks_error *err)
{
	char hex[SHA256_HEX + 1] = "";
	struct archive *a = archive_read_new(); /* only for hashed_read's errors */
	int rc;

	if (!a)
		return dks_err(err, ENOMEM, "%s", r->src_tarball);
	rc = hashed_start(h, err, r->src_tarball);
	if (rc == 0 && hashed_finish(h, a, hex) < 0)
		rc = dks_err(err, archive_errno(a), "%s: cannot read it", r->src_tarball);
	archive_read_free(a);
	if (rc == 0 && strcasecmp(hex, r->sha256) != 0)
		rc = dks_err(err, 0, "%s: sha256 mismatch: expected %s, got %s", r->src_tarball,
			     r->sha256, hex);
	return rc;
}

static int extract_file(struct sink *s, struct archive *a, struct archive_entry *e, char *rel)
{
	cleanup_close int fd = -1;
	const void *buf;
	size_t len;
	la_int64_t off;
	int rc;

	/* The declared size first: a 100 GiB entry ends here, unread. */
	if (archive_entry_size_is_set(e) &&
	    (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > FETCH_ENTRY_MAX))
		return refuse(s, EFBIG, rel, "declared larger than the %llu MiB cap for one file",
			      FETCH_ENTRY_MAX >> 20);
	fd = sink_file(s, rel, archive_entry_perm(e));
	if (fd < 0)
		return -1;
	while ((rc = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off < 0 || sink_write(s, fd, rel, buf, len, (uint64_t)off) < 0)
			return off < 0 ? refuse(s, 0, rel, "negative offset") : -1;
	}
	if (rc != ARCHIVE_EOF)
		return refuse(s, archive_errno(a), rel, "%s", archive_error_string(a));
	/* A sparse file may end in a hole: give it its declared size. */
	if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return refuse(s, errno, rel, "truncate");
	return 0;
}

static int extract_entry(struct sink *s, struct archive *a, struct archive_entry *e, unsigned strip)
{
	const char *name = archive_entry_pathname(e), *hard = archive_entry_hardlink(e);
	cleanup_free char *rel = NULL, *target = NULL;

	if (!name)
		return refuse(s, 0, "?", "entry without a name");
	if (clean_or_refuse(s, name, strip, &rel) < 0)
		return -1;
	if (hard) {
		if (clean_or_refuse(s, hard, strip, &target) < 0)
			return -1;
		if (!rel || !target)
			return refuse(s, 0, name, "hard link to '%s' outside the extracted tree",
				      hard);
		return sink_hardlink(s, rel, target);
	}
	if (!rel)
		return 0; /* the stripped top directory */
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR: return sink_dir(s, rel);
	case AE_IFREG: return extract_file(s, a, e, rel);
	case AE_IFLNK: return sink_symlink(s, rel, archive_entry_symlink(e));
	default:
		return refuse(s, 0, name,
			      "device node, FIFO or socket: not part of a module source");
	}
}

/*
 * The decompressors libarchive has in-process. archive_read_support_filter_all
 * would also register those it runs as external programs (lrzip, grzip,
 * and any whose library is missing) and the privileged process must exec
 * nothing on behalf of a tarball: a filter is registered only if a probe
 * says it needs no program (ARCHIVE_OK, not ARCHIVE_WARN).
 */
static void support_inprocess_filters(struct archive *a)
{
	int (*const filters[])(struct archive *) = {
	    archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
	    archive_read_support_filter_xz,   archive_read_support_filter_lzma,
	    archive_read_support_filter_lzip, archive_read_support_filter_zstd,
	    archive_read_support_filter_lz4,  archive_read_support_filter_compress,
	};

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct archive *probe = archive_read_new();
		bool inprocess = probe && filters[i](probe) == ARCHIVE_OK;

		if (probe)
			archive_read_free(probe);
		if (inprocess)
			filters[i](a);
	}
}

static int extract_all(const struct dks_recipe *r, struct sink *s, struct hashed *h)
{
	__attribute__((cleanup(archive_freep))) struct archive *a = archive_read_new();
	struct archive_entry *e;
	char hex[SHA256_HEX + 1] = "";
	int rc;

	if (!a || hashed_start(h, s->err, r->src_tarball) < 0)
		return a ? -1 : dks_err(s->err, ENOMEM, "%s", r->src_tarball);
	support_inprocess_filters(a);
	/* Every format: the bytes are the ones the recipe pinned by sha256. */
	archive_read_support_format_all(a);
	if (archive_read_open(a, h, NULL, hashed_read, NULL) != ARCHIVE_OK)
		return dks_err(s->err, archive_errno(a), "%s: %s", r->src_tarball,
			       archive_error_string(a));
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		if (extract_entry(s, a, e, r->strip_components) < 0)
			return -1;
	if (rc != ARCHIVE_EOF)
		return dks_err(s->err, archive_errno(a), "%s: %s", r->src_tarball,
			       archive_error_string(a));
	if (hashed_finish(h, a, hex) < 0 || strcasecmp(hex, r->sha256) != 0)
		return dks_err(s->err, 0, "%s: changed while being extracted", r->src_tarball);
	return 0;
}

static int fetch_tarball(const struct dks_recipe *r, struct sink *s)
{
	__attribute__((cleanup(md_freep))) EVP_MD_CTX *md = EVP_MD_CTX_new();
	cleanup_free struct hashed *h = calloc(1, sizeof(*h));
	cleanup_close int fd = open(r->src_tarball, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (strcmp(r->sha256, SHA256_UNPINNED) == 0)
		return dks_err_code(s->err, DKS_EXIT_BAD_CONF, 0,
				    "%s:%lu: sha256 is '" SHA256_UNPINNED "': compute it with "
				    "sha256sum from a tarball you trust and write it here",
				    r->path, r->sha256_line);
	if (!md || !h)
		return dks_err(s->err, ENOMEM, "%s", r->src_tarball);
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err_code(s->err, DKS_EXIT_NO_SOURCE, errno, "%s: tarball '%s'", r->path,
				    r->src_tarball);
	if (!S_ISREG(st.st_mode))
		return dks_err(s->err, 0, "%s: not a regular file", r->src_tarball);
	h->fd = fd;
	h->md = md;
	if (verify_sha256(r, h, s->err) < 0)
		return -1;
	return extract_all(r, s, h);
}

/* ---- fetch: the temporary directory and the rename ---- */

struct tmpdir {
	char *path;
	int fd;
	bool keep;
};

static void tmpdir_release(struct tmpdir *t)
{
	if (t->fd >= 0 && !t->keep)
		remove_under(t->fd);
	if (t->fd >= 0)
		close(t->fd);
	if (t->path && !t->keep)
		rmdir(t->path);
	free(t->path);
}

static int tmpdir_make(struct tmpdir *t, const char *dest, struct dks_error *err)
{
	struct stat st;

	if (!*dest)
		return dks_err(err, EINVAL, "empty source destination");
	if (lstat(dest, &st) == 0)
		return dks_err(err, EEXIST, "source destination '%s'", dest);
	if (errno != ENOENT)
		return dks_err(err, errno, "source destination '%s'", dest);
	if (asprintf(&t->path, "%s.dks-tmp-XXXXXX", dest) < 0) {
		t->path = NULL;
		return dks_err(err, ENOMEM, "%s", dest);
	}
	if (!mkdtemp(t->path)) {
		int e = errno;

		free(t->path);
		t->path = NULL;
		return dks_err(err, e, "cannot make a directory next to '%s'", dest);
	}
	t->fd = open(t->path, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (t->fd < 0)
		return dks_err(err, errno, "%s", t->path);
	return 0;
}

/* Sync, then rename into place (never over something that appeared
 * meanwhile), then sync the parent: the tree is there whole or not. */
static int tmpdir_commit(struct tmpdir *t, const char *dest, struct dks_error *err)
{
	cleanup_free char *parent = strdup(dest);
	cleanup_close int pfd = -1;
	char *slash;

	if (!parent)
		return dks_err(err, ENOMEM, "%s", dest);
	if (fchmod(t->fd, 0755) < 0 || syncfs(t->fd) < 0)
		return dks_err(err, errno, "%s", t->path);
	if (renameat2(AT_FDCWD, t->path, AT_FDCWD, dest, RENAME_NOREPLACE) < 0)
		return dks_err(err, errno, "cannot rename '%s' to '%s'", t->path, dest);
	t->keep = true;
	slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	pfd = open(slash ? parent : ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (pfd >= 0)
		fsync(pfd);
	return 0;
}

/* The recipe as loaded (the bytes validated), for later builds. */
static int write_recipe_copy(const struct dks_recipe *r, struct sink *s)
{
	char name[] = DKS_RECIPE_IN_SOURCE;
	cleanup_close int fd = -1;

	s->what = r->path;
	fd = sink_file(s, name, 0644);
	if (fd < 0)
		return -1;
	return sink_write(s, fd, name, r->text, r->text_len, 0);
}

int dks_recipe_fetch_source(const struct dks_recipe *r, const char *dest, struct dks_error *err)
{
	__attribute__((cleanup(tmpdir_release))) struct tmpdir t = {NULL, -1, false};
	cleanup_free char *d = strdup(dest);
	struct sink s = {.err = err};
	struct stat st;
	char rel[PATH_MAX] = "";
	size_t len = d ? strlen(d) : 0;

	if (!d)
		return dks_err(err, ENOMEM, "%s", dest);
	if (dks_lazylib_load(err) < 0)
		return -1;
	/* "x/" and "x" are one destination: the temporary name is "x.dks-tmp-". */
	while (len > 1 && d[len - 1] == '/')
		d[--len] = '\0';
	if (tmpdir_make(&t, d, err) < 0)
		return -1;
	if (fstat(t.fd, &st) < 0)
		return dks_err(err, errno, "%s", t.path);
	s.root = t.fd;
	s.skip_dev = st.st_dev;
	s.skip_ino = st.st_ino;
	s.what = r->src_tarball ? r->src_tarball : r->src_dir;
	if ((r->src_tarball ? fetch_tarball(r, &s) : fetch_dir(r, &s)) < 0 ||
	    check_links(&s, t.fd, rel, 0) < 0 || write_recipe_copy(r, &s) < 0)
		return -1;
	return tmpdir_commit(&t, d, err);
}

/* dkms add SOURCE_DIR copies the source into the source tree: the same
 * careful copy as a recipe's directory source (no links out, no device
 * nodes, no set-id bits), into a temporary directory renamed into place. */
int dks_copy_source_dir(const char *src_dir, const char *dest, struct dks_error *err)
{
	__attribute__((cleanup(tmpdir_release))) struct tmpdir t = {NULL, -1, false};
	cleanup_close int src = open(src_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	struct sink s = {.err = err, .what = src_dir};
	char rel[PATH_MAX] = "";
	struct stat st;

	if (src < 0)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "source directory %s", src_dir);
	if (tmpdir_make(&t, dest, err) < 0)
		return -1;
	if (fstat(t.fd, &st) < 0)
		return dks_err(err, errno, "%s", t.path);
	s.root = t.fd;
	s.skip_dev = st.st_dev;
	s.skip_ino = st.st_ino;
	if (copy_dir(&s, src, rel, 0, 0) < 0 || check_links(&s, t.fd, rel, 0) < 0)
		return -1;
	return tmpdir_commit(&t, dest, err);
}
