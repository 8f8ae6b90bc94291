/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one YAML walker of config.yaml, recipes and profiles: a mapping is
 * read against a table of the keys it may hold, each with its type and
 * where its value goes in the target struct. Every key is known, at most
 * once, every value checked; the first thing wrong is one error,
 * "FILE:LINE: reason" (docs/errors.md), with the document's exit code.
 *
 *     struct opts { unsigned timeout; uint64_t memory; char **names; size_t n_names; };
 *
 *     static const struct dks_yaml_key opts_keys[] = {
 *         {"timeout", DKS_YAML_UINT, DKS_YAML_AT(struct opts, timeout)},
 *         {"memory", DKS_YAML_UINT, DKS_YAML_AT(struct opts, memory),
 *          .flags = DKS_YAML_SUFFIX},
 *         {"names", DKS_YAML_STRV, DKS_YAML_AT(struct opts, names),
 *          .count_off = offsetof(struct opts, n_names), .check = check_name},
 *         {NULL},
 *     };
 *
 * Messages name a value by its full key (.path, "limits.timeout"; the key
 * itself when NULL) and quote what was written:
 *
 *   unknown key    "unknown key 'K' in 'PATH' (known: a, b, c)"
 *   duplicate key  "duplicate key 'K' (first on line N)"
 *   wrong type     "'PATH' must be a scalar, got a sequence", "... a mapping"
 *   missing        "'PATH' is required"
 *   STRING         "'PATH' must not be empty", "'PATH' <reason>, got 'V'"
 *   BOOL           "'PATH' must be true or false, got 'V'"
 *   UINT           "'PATH' must be <what>, got 'V'", "'PATH' is too large: 'V'",
 *                  "'PATH' must be at least MIN, got 'V'"
 *   ENUM           "unknown 'PATH' 'V' (known: a, b)"
 *   STRV           "'PATH' must be a sequence, got KIND", "'PATH' item <reason>, got 'V'"
 *                  (with .what: "'PATH' must be a sequence of <what>, got KIND [in it]"),
 *                  "duplicate <noun> 'V' in 'PATH' (first on line N)"
 */
#ifndef DKS_YAMLWALK_H
#define DKS_YAMLWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "dks/error.h"
#include "dks/yamldoc.h" /* dks_yaml_line() */

/* One document being walked. */
struct dks_yaml_walk {
	const char *source; /* the file, for messages */
	const char *top;    /* the root in "TOP must be a mapping": "a profile" */
	int exit_code;	    /* of every error (1, or 8 for a recipe) */
	unsigned flags;	    /* DKS_YAML_NULL_IS_EMPTY, DKS_YAML_KEY_* */
	struct dks_error *err;
	yaml_document_t *doc; /* set by dks_yaml_walk_text */
};

/* Document flags. */
enum {
	/* An unquoted null ("", ~, null) is an empty value, and an empty
	 * document or a null root an empty mapping (config.yaml). */
	DKS_YAML_NULL_IS_EMPTY = 1 << 0,
	/* Wording of "a key must be a plain name", kept as each file had
	 * it: ", got KIND" after it (config) or " in 'PATH'" in it (profile). */
	DKS_YAML_KEY_KIND = 1 << 1,
	DKS_YAML_KEY_PATH = 1 << 2,
};

enum dks_yaml_type {
	DKS_YAML_STRING, /* char *: strdup'd, the old value freed */
	DKS_YAML_BOOL,	 /* bool: true or false, nothing else */
	DKS_YAML_UINT,	 /* an unsigned member of .width bytes in [.min, .max] */
	DKS_YAML_ENUM,	 /* an int-like member of .width bytes: a value of .names */
	DKS_YAML_STRV,	 /* char ** (NULL-terminated) + size_t at .count_off */
	DKS_YAML_MAP,	 /* a mapping: .sub walked into the member at .off */
	DKS_YAML_MAPS,	 /* a sequence of mappings: an array (see .elem_size) */
	DKS_YAML_CUSTOM, /* .parse does it */
};

/* Key flags. */
enum {
	DKS_YAML_REQUIRED = 1 << 0,	 /* "'PATH' is required" when absent */
	DKS_YAML_NONEMPTY = 1 << 1,	 /* STRING: "'PATH' must not be empty" */
	DKS_YAML_EMPTY_IS_NULL = 1 << 2, /* STRING: an empty value stores NULL */
	DKS_YAML_SUFFIX = 1 << 3,	 /* UINT: K, M or G (powers of 1024) may follow */
	DKS_YAML_SAY_MAX = 1 << 4,	 /* UINT: "'PATH' is too large (at most MAX)" */
	DKS_YAML_RANGE_IN_WHAT = 1 << 5, /* UINT: out of range is "must be <what>" */
	DKS_YAML_SHORT_FORM = 1 << 6,	 /* MAPS: an item that is not a mapping is
					  * the value of .sub's first key */
};

struct dks_yaml_key;

/* NULL when @s is fine, else the reason ("must be a relative path"). */
typedef const char *dks_yaml_check_fn(const char *s);
/* An item of a STRV: 0, or negative after dks_yaml_fail(). */
typedef int dks_yaml_item_fn(const struct dks_yaml_walk *w, const yaml_node_t *item, const char *s,
			     const char *path);
/* A CUSTOM value: 0, or negative after filling w->err. */
typedef int dks_yaml_parse_fn(const struct dks_yaml_walk *w, const yaml_node_t *val,
			      const struct dks_yaml_key *k, void *obj);

struct dks_yaml_enum {
	const char *name; /* NULL ends the table */
	int value;
};

struct dks_yaml_key {
	const char *key; /* NULL ends a table */
	enum dks_yaml_type type;
	size_t off;	  /* of the member in the target (DKS_YAML_AT) */
	size_t width;	  /* UINT, ENUM: sizeof the member (DKS_YAML_AT) */
	const char *path; /* the full key in messages; NULL: key */
	unsigned flags;	  /* DKS_YAML_REQUIRED, ... */
	size_t line_at;	  /* DKS_YAML_LINE_AT: gets the value's line; 0: none */

	/* STRING, STRV items; UINT: the text, before it is a number. */
	dks_yaml_check_fn *check;
	/* UINT: the range (max 0: the member's largest value) and, for
	 * "must be WHAT", the kind of number ("a whole number" by default).
	 * STRV: "must be a sequence of WHAT" (syscall names). */
	unsigned long long min, max;
	const char *what;
	/* ENUM: the names and their values. */
	const struct dks_yaml_enum *names;
	/* STRV, MAPS: the size_t member that gets the count. */
	size_t count_off;
	/* STRV: with .noun ("syscall"), items are unique; .item checks each. */
	const char *noun;
	dks_yaml_item_fn *item;
	/* MAP, MAPS: the table of the mapping(s). MAPS: the size of an
	 * element, which begins with its line (an unsigned long), and its
	 * defaults, set before it is walked. */
	const struct dks_yaml_key *sub;
	size_t elem_size;
	void (*init)(void *elem);
	/* CUSTOM */
	dks_yaml_parse_fn *parse;
};

/* .off and .width of @member of @type. */
#define DKS_YAML_AT(type, member)                                                                  \
	.off = offsetof(type, member), .width = sizeof(((type *)0)->member)
/* .line_at for an unsigned long @member of @type (0 stays "none"). */
#define DKS_YAML_LINE_AT(type, member) .line_at = offsetof(type, member) + 1

/* Load exactly one document from @text (dks_yaml_doc_load: @what names
 * it, "profile") and walk its root against @keys into @obj. */
int dks_yaml_walk_text(struct dks_yaml_walk *w, const char *text, size_t len, const char *what,
		       const struct dks_yaml_key *keys, void *obj);

/* Walk mapping @map against @keys into @obj; @path names it (NULL: the
 * root, w->top). For CUSTOM values that are mappings. */
int dks_yaml_walk_mapping(const struct dks_yaml_walk *w, const yaml_node_t *map, const char *path,
			  const struct dks_yaml_key *keys, void *obj);

/* Helpers for CUSTOM and item callbacks. */
/* "SOURCE:LINE: message" at node @n; returns -1. */
int dks_yaml_fail(const struct dks_yaml_walk *w, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The text of scalar @n, or NULL after an error naming @path. */
const char *dks_yaml_scalar(const struct dks_yaml_walk *w, const yaml_node_t *n, const char *path);
/* "a scalar", "a sequence", "a mapping" or "nothing". */
const char *dks_yaml_kind(const struct dks_yaml_walk *w, const yaml_node_t *n);
/* The value of @key in mapping @map (walked: its keys are scalars), or NULL. */
const yaml_node_t *dks_yaml_get(const struct dks_yaml_walk *w, const yaml_node_t *map,
				const char *key);
/* Item @i of sequence @seq, and their number. */
const yaml_node_t *dks_yaml_item(const struct dks_yaml_walk *w, const yaml_node_t *seq, size_t i);
size_t dks_yaml_count(const yaml_node_t *seq);
/* The name of key @k in messages. */
static inline const char *dks_yaml_path(const struct dks_yaml_key *k)
{
	return k->path ? k->path : k->key;
}

#endif
