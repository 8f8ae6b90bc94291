// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The configuration file (include/dks/config.h): a YAML mapping read with
 * libyaml's document loader, the way sandbox/profile.c reads profiles.
 * Every key is looked up in a table and every value checked, with
 * FILE:LINE in the message: a typo must be an error, never a tree or a
 * build user silently other than the one meant.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "dks/cleanup.h"
#include "dks/config.h"
#include "dks/yamldoc.h"

/* A configuration is a few lines: anything much larger is not one. */
#define CONFIG_MAX_SIZE (64 * 1024)
/* More parallel jobs than this is a typo, not a machine. */
#define JOBS_MAX 4096

struct ctx {
	const char *source; /* the file, for messages */
	yaml_document_t *doc;
	struct dks_error *err;
};


__attribute__((format(printf, 3, 4))) static int fail_at(const struct ctx *c, const yaml_node_t *n,
							 const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dks_yaml_vfail(c->err, 1, c->source, n, fmt, ap);
	va_end(ap);
	return r;
}

static const char *text_of(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a sequence";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* "key:" with nothing after it, "~" or "null", unquoted: no value. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(text_of(n), nulls[i]) == 0)
			return true;
	return false;
}

/* ---- one table: every key a configuration may hold ---- */

struct field;
typedef int parse_fn(const struct ctx *c, const yaml_node_t *val, const struct field *f,
		     struct dks_config *cfg);

struct field {
	const char *key;
	parse_fn *parse;
	size_t off;    /* of the value in struct dks_config */
	bool nullable; /* "key: ~" means the built-in default (NULL) */
};

#define MEMBER(cfg, f, type) ((type *)(void *)((char *)(cfg) + (f)->off))

/* The text of scalar @val, or NULL after an error naming the key. An
 * unquoted null is returned as "" (callers decide what no value means). */
static const char *scalar(const struct ctx *c, const yaml_node_t *val, const struct field *f)
{
	if (val->type != YAML_SCALAR_NODE) {
		fail_at(c, val, "'%s' must be a scalar, got %s", f->key, kind(val));
		return NULL;
	}
	if (strlen(text_of(val)) != val->data.scalar.length) {
		fail_at(c, val, "'%s' contains a NUL character", f->key);
		return NULL;
	}
	return is_null(val) ? "" : text_of(val);
}

static int set_string(const struct ctx *c, const struct field *f, struct dks_config *cfg,
		      const char *s)
{
	char **field = MEMBER(cfg, f, char *);
	char *copy = NULL;

	if (*s && !(copy = strdup(s)))
		return dks_err(c->err, ENOMEM, "%s", c->source);
	free(*field);
	*field = copy;
	return 0;
}

/* A non-empty string; with @path, an absolute path; with @maybe_path, a
 * name or (when it has a '/') an absolute path. Relative paths would be
 * read against whatever directory the command happens to run in. */
static int parse_text(const struct ctx *c, const yaml_node_t *val, const struct field *f,
		      struct dks_config *cfg, bool path, bool maybe_path)
{
	const char *s = scalar(c, val, f);

	if (!s)
		return -1;
	if (!*s && !f->nullable)
		return fail_at(c, val, "'%s' must not be empty", f->key);
	if (*s && *s != '/' && (path || (maybe_path && strchr(s, '/'))))
		return fail_at(c, val, "'%s' must be an absolute path, got '%s'", f->key, s);
	return set_string(c, f, cfg, s);
}

static int parse_path(const struct ctx *c, const yaml_node_t *val, const struct field *f,
		      struct dks_config *cfg)
{
	return parse_text(c, val, f, cfg, true, false);
}

static int parse_name_or_path(const struct ctx *c, const yaml_node_t *val, const struct field *f,
			      struct dks_config *cfg)
{
	return parse_text(c, val, f, cfg, false, true);
}

static int parse_name(const struct ctx *c, const yaml_node_t *val, const struct field *f,
		      struct dks_config *cfg)
{
	return parse_text(c, val, f, cfg, false, false);
}

static int parse_jobs(const struct ctx *c, const yaml_node_t *val, const struct field *f,
		      struct dks_config *cfg)
{
	const char *s = scalar(c, val, f);
	long v = 0;

	if (!s)
		return -1;
	if (*s < '0' || *s > '9' || strspn(s, "0123456789") != strlen(s))
		return fail_at(c, val, "'%s' must be a whole number (0: one per CPU), got '%s'",
			       f->key, s);
	for (; *s && v <= JOBS_MAX; s++)
		v = v * 10 + (*s - '0');
	if (v > JOBS_MAX)
		return fail_at(c, val, "'%s' is too large (at most %d)", f->key, JOBS_MAX);
	*MEMBER(cfg, f, int) = (int)v;
	return 0;
}

#define OFF(member) offsetof(struct dks_config, member)

static const struct field fields[] = {
    {"dkmstree", parse_path, OFF(dkms_tree), false},
    {"sourcetree", parse_path, OFF(source_tree), false},
    {"installtree", parse_path, OFF(install_tree), false},
    {"toolchain", parse_name_or_path, OFF(toolchain), true},
    {"profile", parse_name_or_path, OFF(profile), false},
    {"build_user", parse_name, OFF(build_user), true},
    {"jobs", parse_jobs, OFF(jobs), false},
    {"mok_key", parse_path, OFF(mok_key), true},
    {"mok_cert", parse_path, OFF(mok_cert), true},
    {NULL, NULL, 0, false},
};

/* ---- walking the document ---- */

static int unknown_key(const struct ctx *c, const yaml_node_t *key)
{
	char known[256] = "";
	size_t used = 0;

	for (const struct field *f = fields; f->key && used < sizeof(known); f++) {
		int n =
		    snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "", f->key);
		used += n > 0 ? (size_t)n : 0;
	}
	return fail_at(c, key, "unknown key '%s' (known: %s)", text_of(key), known);
}

/* Keys are plain scalars, each at most once: libyaml keeps both of a
 * duplicate pair, and which one wins would be ours to guess. */
static int check_key(const struct ctx *c, const yaml_node_t *map, const yaml_node_pair_t *pair)
{
	const yaml_node_t *key = yaml_document_get_node(c->doc, pair->key);

	if (key->type != YAML_SCALAR_NODE || strlen(text_of(key)) != key->data.scalar.length)
		return fail_at(c, key, "a key must be a plain name, got %s", kind(key));
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const yaml_node_t *prev = yaml_document_get_node(c->doc, q->key);

		if (strcmp(text_of(prev), text_of(key)) == 0)
			return fail_at(c, key, "duplicate key '%s' (first on line %lu)",
				       text_of(key), dks_yaml_line(prev));
	}
	return 0;
}

static int walk(const struct ctx *c, const yaml_node_t *map, struct dks_config *cfg)
{
	if (map->type == YAML_SCALAR_NODE && is_null(map))
		return 0; /* a file of comments only */
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(c, map, "a configuration must be a mapping, got %s", kind(map));
	for (const yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(c->doc, pair->key);
		const struct field *f = fields;

		if (check_key(c, map, pair) < 0)
			return -1;
		while (f->key && strcmp(f->key, text_of(key)) != 0)
			f++;
		if (!f->key)
			return unknown_key(c, key);
		if (f->parse(c, yaml_document_get_node(c->doc, pair->value), f, cfg) < 0)
			return -1;
	}
	return 0;
}

/* ---- loading ---- */

static int parse_config(const char *text, size_t len, const char *source, struct dks_config *cfg,
			struct dks_error *err)
{
	__attribute__((cleanup(dks_yaml_doc_release))) struct dks_yaml_doc d = {0};
	struct ctx c = {source, &d.doc, err};
	int r = dks_yaml_doc_load(&d, text, len, source, "configuration", true, 1, err);

	if (r <= 0)
		return r; /* an empty file: the defaults */
	return walk(&c, yaml_document_get_root_node(&d.doc), cfg);
}

/* Read @path whole. With @missing_ok, a missing file is 0 with *@text
 * NULL. */
static int read_config(const char *path, bool missing_ok, char **text, size_t *len,
		       struct dks_error *err)
{
	/* O_NONBLOCK: a FIFO in its place must not hang us. */
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 && missing_ok && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "cannot read configuration %s", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "configuration %s is not a regular file", path);
	if (st.st_size > CONFIG_MAX_SIZE)
		return dks_err(err, EFBIG, "configuration %s", path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return dks_err(err, ENOMEM, "configuration %s", path);
	do
		n = pread(fd, buf, (size_t)st.st_size, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dks_err(err, errno, "cannot read configuration %s", path);
	buf[n] = '\0';
	*text = steal_pointer(&buf);
	*len = (size_t)n;
	return 0;
}

static int set_defaults(struct dks_config *c, struct dks_error *err)
{
	*c = (struct dks_config){
	    .dkms_tree = strdup(DKS_DEFAULT_DKMSTREE),
	    .source_tree = strdup(DKS_DEFAULT_SOURCETREE),
	    .install_tree = strdup(DKS_DEFAULT_INSTALLTREE),
	    .toolchain = strdup("host"),
	    .profile = strdup("default"),
	    .build_user = NULL,
	    .jobs = 0,
	};
	if (!c->dkms_tree || !c->source_tree || !c->install_tree || !c->toolchain || !c->profile)
		return dks_err(err, ENOMEM, "configuration");
	return 0;
}

static void config_clearp(struct dks_config *c)
{
	dks_config_clear(c);
}

int dks_config_load(const char *path, struct dks_config *c, struct dks_error *err)
{
	__attribute__((cleanup(config_clearp))) struct dks_config cfg = {0};
	cleanup_free char *text = NULL;
	const char *file = path ? path : DKS_DEFAULT_CONFIG;
	size_t len = 0;

	/* Built aside and handed over whole: on failure @c is all NULL. */
	memset(c, 0, sizeof(*c));
	if (set_defaults(&cfg, err) < 0 || read_config(file, !path, &text, &len, err) < 0)
		return -1;
	if (text && parse_config(text, len, file, &cfg, err) < 0)
		return -1;
	*c = cfg;
	memset(&cfg, 0, sizeof(cfg));
	return 0;
}

int dks_config_set(char **field, const char *value, struct dks_error *err)
{
	char *copy = strdup(value);

	if (!copy)
		return dks_err(err, ENOMEM, "configuration value '%s'", value);
	free(*field);
	*field = copy;
	return 0;
}

void dks_config_clear(struct dks_config *c)
{
	free(c->dkms_tree);
	free(c->source_tree);
	free(c->install_tree);
	free(c->toolchain);
	free(c->profile);
	free(c->build_user);
	free(c->mok_key);
	free(c->mok_cert);
	memset(c, 0, sizeof(*c));
}
