// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table-driven YAML walker (include/dks/yamlwalk.h). The files it reads
 * (config.yaml, recipes, profiles) are written by people, and some by a
 * module's author: a typo, a duplicate or a value of the wrong kind must be
 * an error with its line, never a value silently other than the one meant.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cleanup.h"
#include "dks/yamldoc.h"
#include "dks/yamlwalk.h"

#define MEMBER(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))
#define SIZE_WHAT	       "a size (bytes, or a number with K, M or G)"

/* ---- nodes ---- */

static const char *text_of(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const yaml_node_t *node(const struct dks_yaml_walk *w, int index)
{
	return yaml_document_get_node(w->doc, index);
}

/* "key:" with nothing after it, "~" or "null", unquoted: no value. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(text_of(n), nulls[i]) == 0)
			return true;
	return false;
}

const char *dks_yaml_kind(const struct dks_yaml_walk *w, const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		/* Where a null is an empty value, a quoted "" is a value. */
		if (w->flags & DKS_YAML_NULL_IS_EMPTY)
			return is_null(n) ? "nothing" : "a scalar";
		return n->data.scalar.length ? "a scalar" : "nothing";
	case YAML_SEQUENCE_NODE: return "a sequence";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

int dks_yaml_fail(const struct dks_yaml_walk *w, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dks_yaml_vfail(w->err, w->exit_code, w->source, n, fmt, ap);
	va_end(ap);
	return r;
}

static int oom(const struct dks_yaml_walk *w)
{
	return dks_err(w->err, ENOMEM, "%s", w->source);
}

const char *dks_yaml_scalar(const struct dks_yaml_walk *w, const yaml_node_t *n, const char *path)
{
	if (n->type != YAML_SCALAR_NODE) {
		dks_yaml_fail(w, n, "'%s' must be a scalar, got %s", path, dks_yaml_kind(w, n));
		return NULL;
	}
	/* A NUL would cut the value short behind the reader's back. */
	if (strlen(text_of(n)) != n->data.scalar.length) {
		dks_yaml_fail(w, n, "'%s' contains a NUL character", path);
		return NULL;
	}
	return (w->flags & DKS_YAML_NULL_IS_EMPTY) && is_null(n) ? "" : text_of(n);
}

const yaml_node_t *dks_yaml_get(const struct dks_yaml_walk *w, const yaml_node_t *map,
				const char *key)
{
	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++)
		if (strcmp(text_of(node(w, p->key)), key) == 0)
			return node(w, p->value);
	return NULL;
}

size_t dks_yaml_count(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

const yaml_node_t *dks_yaml_item(const struct dks_yaml_walk *w, const yaml_node_t *seq, size_t i)
{
	return node(w, seq->data.sequence.items.start[i]);
}

/* "a, b, c": the names of a table whose rows begin with a name. */
static void join_names(char *buf, size_t size, const void *table, size_t stride)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const char *row = table; *(const char *const *)row && used < size; row += stride) {
		int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
				 *(const char *const *)row);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* ---- scalars ---- */

static int parse_string(const struct dks_yaml_walk *w, const yaml_node_t *val,
			const struct dks_yaml_key *k, void *obj)
{
	const char *s = dks_yaml_scalar(w, val, dks_yaml_path(k));
	char **member = MEMBER(obj, k->off, char *);
	const char *why;
	char *copy = NULL;

	if (!s)
		return -1;
	if (!*s && (k->flags & DKS_YAML_NONEMPTY))
		return dks_yaml_fail(w, val, "'%s' must not be empty", dks_yaml_path(k));
	if (*s || !(k->flags & DKS_YAML_EMPTY_IS_NULL)) {
		why = k->check ? k->check(s) : NULL;
		if (why)
			return dks_yaml_fail(w, val, "'%s' %s, got '%s'", dks_yaml_path(k), why, s);
		copy = strdup(s);
		if (!copy)
			return oom(w);
	}
	free(*member);
	*member = copy;
	return 0;
}

static int parse_bool(const struct dks_yaml_walk *w, const yaml_node_t *val,
		      const struct dks_yaml_key *k, void *obj)
{
	const char *s = dks_yaml_scalar(w, val, dks_yaml_path(k));

	if (!s)
		return -1;
	if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
		return dks_yaml_fail(w, val, "'%s' must be true or false, got '%s'",
				     dks_yaml_path(k), s);
	*MEMBER(obj, k->off, bool) = strcmp(s, "true") == 0;
	return 0;
}

/* Decimal digits, then (if @suffix) one optional K, M or G: powers of
 * 1024. 0, -EINVAL when malformed, -ERANGE when over UINT64_MAX. */
static int to_u64(const char *s, bool suffix, uint64_t *out)
{
	static const char suffixes[] = "KMG";
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s) {
		const char *unit = suffix ? strchr(suffixes, *s) : NULL;
		unsigned shift;

		if (!unit || s[1])
			return -EINVAL;
		shift = 10 * (unsigned)(unit - suffixes + 1);
		if (v > UINT64_MAX >> shift)
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}

/* The largest value a member of @width bytes holds. */
static uint64_t width_max(size_t width)
{
	return width >= sizeof(uint64_t) ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

/* @v into the @width-byte member at @p (conversion to unsigned is modular,
 * so an int member gets the same bits). */
static void store(void *p, size_t width, uint64_t v)
{
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (width) {
	case 1: memcpy(p, &v8, 1); break;
	case 2: memcpy(p, &v16, 2); break;
	case 4: memcpy(p, &v32, 4); break;
	case 8: memcpy(p, &v, 8); break;
	default: break; /* a table without DKS_YAML_AT: width_max() was 0 */
	}
}

/* What the value must be, in "'PATH' must be WHAT". */
static const char *uint_what(const struct dks_yaml_key *k)
{
	if (k->what)
		return k->what;
	return k->flags & DKS_YAML_SUFFIX ? SIZE_WHAT : "a whole number";
}

static int parse_uint(const struct dks_yaml_walk *w, const yaml_node_t *val,
		      const struct dks_yaml_key *k, void *obj)
{
	const char *s = dks_yaml_scalar(w, val, dks_yaml_path(k));
	const char *what = uint_what(k);
	uint64_t max = k->max && k->max < width_max(k->width) ? k->max : width_max(k->width);
	const char *why;
	uint64_t v = 0;
	int rc;
	bool over, under;

	if (!s)
		return -1;
	why = k->check ? k->check(s) : NULL;
	if (why)
		return dks_yaml_fail(w, val, "'%s' %s, got '%s'", dks_yaml_path(k), why, s);
	rc = to_u64(s, k->flags & DKS_YAML_SUFFIX, &v);
	over = rc == -ERANGE || (rc == 0 && v > max);
	under = rc == 0 && v < k->min;
	if (rc == -EINVAL || ((over || under) && (k->flags & DKS_YAML_RANGE_IN_WHAT)))
		return dks_yaml_fail(w, val, "'%s' must be %s, got '%s'", dks_yaml_path(k), what,
				     s);
	if (over && (k->flags & DKS_YAML_SAY_MAX))
		return dks_yaml_fail(w, val, "'%s' is too large (at most %llu)", dks_yaml_path(k),
				     (unsigned long long)max);
	if (over)
		return dks_yaml_fail(w, val, "'%s' is too large: '%s'", dks_yaml_path(k), s);
	if (under)
		return dks_yaml_fail(w, val, "'%s' must be at least %llu, got '%s'",
				     dks_yaml_path(k), (unsigned long long)k->min, s);
	store(MEMBER(obj, k->off, char), k->width, v);
	return 0;
}

static int parse_enum(const struct dks_yaml_walk *w, const yaml_node_t *val,
		      const struct dks_yaml_key *k, void *obj)
{
	const char *s = dks_yaml_scalar(w, val, dks_yaml_path(k));
	char known[256];

	if (!s)
		return -1;
	for (const struct dks_yaml_enum *e = k->names; e->name; e++) {
		if (strcmp(s, e->name) == 0) {
			store(MEMBER(obj, k->off, char), k->width, (uint64_t)e->value);
			return 0;
		}
	}
	join_names(known, sizeof(known), k->names, sizeof(*k->names));
	return dks_yaml_fail(w, val, "unknown '%s' '%s' (known: %s)", dks_yaml_path(k), s, known);
}

/* ---- lists of scalars ---- */

static int need_sequence(const struct dks_yaml_walk *w, const yaml_node_t *val,
			 const struct dks_yaml_key *k)
{
	if (val->type == YAML_SEQUENCE_NODE)
		return 0;
	if (k->what)
		return dks_yaml_fail(w, val, "'%s' must be a sequence of %s, got %s",
				     dks_yaml_path(k), k->what, dks_yaml_kind(w, val));
	return dks_yaml_fail(w, val, "'%s' must be a sequence, got %s", dks_yaml_path(k),
			     dks_yaml_kind(w, val));
}

/* The text of one item of a STRV, or NULL after the error. */
static const char *item_text(const struct dks_yaml_walk *w, const yaml_node_t *item,
			     const struct dks_yaml_key *k)
{
	if (!k->what)
		return dks_yaml_scalar(w, item, dks_yaml_path(k));
	if (item->type == YAML_SCALAR_NODE && strlen(text_of(item)) == item->data.scalar.length)
		return text_of(item);
	dks_yaml_fail(w, item, "'%s' must be a sequence of %s, got %s in it", dks_yaml_path(k),
		      k->what, dks_yaml_kind(w, item));
	return NULL;
}

/* The checked text of one item of a STRV, or NULL after the error. */
static const char *strv_item(const struct dks_yaml_walk *w, const yaml_node_t *item,
			     const struct dks_yaml_key *k)
{
	const char *s = item_text(w, item, k);
	const char *why = s && k->check ? k->check(s) : NULL;

	if (!s)
		return NULL;
	if (why) {
		dks_yaml_fail(w, item, "'%s' item %s, got '%s'", dks_yaml_path(k), why, s);
		return NULL;
	}
	if (k->item && k->item(w, item, s, dks_yaml_path(k)) < 0)
		return NULL;
	return s;
}

struct sorted_item {
	const char *text;
	size_t index;
};

static int by_text_then_index(const void *a, const void *b)
{
	const struct sorted_item *x = a, *y = b;
	int r = strcmp(x->text, y->text);

	if (r)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicates, found by sorting (a profile lists hundreds of syscalls):
 * the error names the first repeated item in document order. */
static int check_unique(const struct dks_yaml_walk *w, const yaml_node_t *seq, char **v,
			size_t count, const struct dks_yaml_key *k)
{
	cleanup_free struct sorted_item *s = calloc(count + 1, sizeof(*s));
	size_t dup = count, first = 0;

	if (!s)
		return oom(w);
	for (size_t i = 0; i < count; i++)
		s[i] = (struct sorted_item){v[i], i};
	qsort(s, count, sizeof(*s), by_text_then_index);
	for (size_t i = 1; i < count; i++) {
		if (strcmp(s[i].text, s[i - 1].text) == 0 && s[i].index < dup) {
			dup = s[i].index;
			first = s[i - 1].index;
		}
	}
	if (dup == count)
		return 0;
	return dks_yaml_fail(w, dks_yaml_item(w, seq, dup),
			     "duplicate %s '%s' in '%s' (first on line %lu)", k->noun, v[dup],
			     dks_yaml_path(k), dks_yaml_line(dks_yaml_item(w, seq, first)));
}

/* The list replaces the member's whole (a profile's over the default's). */
static int parse_strv(const struct dks_yaml_walk *w, const yaml_node_t *val,
		      const struct dks_yaml_key *k, void *obj)
{
	char ***member = MEMBER(obj, k->off, char **);
	cleanup_strv char **v = NULL;
	size_t n;

	if (need_sequence(w, val, k) < 0)
		return -1;
	n = dks_yaml_count(val);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return oom(w);
	for (size_t i = 0; i < n; i++) {
		const char *s = strv_item(w, dks_yaml_item(w, val, i), k);

		if (!s)
			return -1;
		v[i] = strdup(s);
		if (!v[i])
			return oom(w);
	}
	if (k->noun && check_unique(w, val, v, n, k) < 0)
		return -1;
	dks_strv_free(*member);
	*member = steal_pointer(&v);
	*MEMBER(obj, k->count_off, size_t) = n;
	return 0;
}

/* ---- mappings ---- */

static int parse_value(const struct dks_yaml_walk *w, const yaml_node_t *val,
		       const struct dks_yaml_key *k, void *obj);

static int parse_map(const struct dks_yaml_walk *w, const yaml_node_t *val,
		     const struct dks_yaml_key *k, void *obj)
{
	return dks_yaml_walk_mapping(w, val, dks_yaml_path(k), k->sub, MEMBER(obj, k->off, char));
}

/* An array of k->elem_size elements whose first member is their line; the
 * count grows with each element, so that the owner frees a partial array.
 * Set once: a second value for the key is a duplicate key. */
static int parse_maps(const struct dks_yaml_walk *w, const yaml_node_t *val,
		      const struct dks_yaml_key *k, void *obj)
{
	void **array = MEMBER(obj, k->off, void *);
	size_t n;

	if (need_sequence(w, val, k) < 0)
		return -1;
	n = dks_yaml_count(val);
	*array = calloc(n + 1, k->elem_size);
	if (!*array)
		return oom(w);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = dks_yaml_item(w, val, i);
		void *elem = (char *)*array + i * k->elem_size;
		bool short_form =
		    (k->flags & DKS_YAML_SHORT_FORM) && item->type != YAML_MAPPING_NODE;
		int rc;

		*(unsigned long *)elem = dks_yaml_line(item);
		if (k->init)
			k->init(elem);
		*MEMBER(obj, k->count_off, size_t) = i + 1;
		rc = short_form ? parse_value(w, item, &k->sub[0], elem)
				: dks_yaml_walk_mapping(w, item, dks_yaml_path(k), k->sub, elem);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int parse_custom(const struct dks_yaml_walk *w, const yaml_node_t *val,
			const struct dks_yaml_key *k, void *obj)
{
	return k->parse(w, val, k, obj);
}

/* One parser per type: the table is the dispatch. */
static dks_yaml_parse_fn *const parsers[] = {
    [DKS_YAML_STRING] = parse_string, [DKS_YAML_BOOL] = parse_bool,
    [DKS_YAML_UINT] = parse_uint,     [DKS_YAML_ENUM] = parse_enum,
    [DKS_YAML_STRV] = parse_strv,     [DKS_YAML_MAP] = parse_map,
    [DKS_YAML_MAPS] = parse_maps,     [DKS_YAML_CUSTOM] = parse_custom,
};

static int parse_value(const struct dks_yaml_walk *w, const yaml_node_t *val,
		       const struct dks_yaml_key *k, void *obj)
{
	if (k->line_at)
		*MEMBER(obj, k->line_at - 1, unsigned long) = dks_yaml_line(val);
	return parsers[k->type](w, val, k, obj);
}

static int unknown_key(const struct dks_yaml_walk *w, const yaml_node_t *key, const char *path,
		       const struct dks_yaml_key *keys)
{
	char known[256];

	join_names(known, sizeof(known), keys, sizeof(*keys));
	return dks_yaml_fail(w, key, "unknown key '%s'%s%s%s (known: %s)", text_of(key),
			     path ? " in '" : "", path ? path : "", path ? "'" : "", known);
}

/* Keys are plain scalars, each at most once: libyaml keeps both of a
 * duplicate pair, and which one wins would be ours to guess. */
static int check_key(const struct dks_yaml_walk *w, const yaml_node_t *map,
		     const yaml_node_pair_t *pair, const char *path)
{
	const yaml_node_t *key = node(w, pair->key);
	bool in = path && (w->flags & DKS_YAML_KEY_PATH), kind = w->flags & DKS_YAML_KEY_KIND;

	if (key->type != YAML_SCALAR_NODE || strlen(text_of(key)) != key->data.scalar.length)
		return dks_yaml_fail(w, key, "a key%s%s%s must be a plain name%s%s",
				     in ? " in '" : "", in ? path : "", in ? "'" : "",
				     kind ? ", got " : "", kind ? dks_yaml_kind(w, key) : "");
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const yaml_node_t *prev = node(w, q->key);

		if (strcmp(text_of(prev), text_of(key)) == 0)
			return dks_yaml_fail(w, key, "duplicate key '%s' (first on line %lu)",
					     text_of(key), dks_yaml_line(prev));
	}
	return 0;
}

static const struct dks_yaml_key *find_key(const struct dks_yaml_key *keys, const char *key)
{
	for (const struct dks_yaml_key *k = keys; k->key; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

int dks_yaml_walk_mapping(const struct dks_yaml_walk *w, const yaml_node_t *map, const char *path,
			  const struct dks_yaml_key *keys, void *obj)
{
	if ((w->flags & DKS_YAML_NULL_IS_EMPTY) && is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE && path)
		return dks_yaml_fail(w, map, "'%s' must be a mapping, got %s", path,
				     dks_yaml_kind(w, map));
	if (map->type != YAML_MAPPING_NODE)
		return dks_yaml_fail(w, map, "%s must be a mapping, got %s", w->top,
				     dks_yaml_kind(w, map));
	for (const yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		const struct dks_yaml_key *k;

		if (check_key(w, map, pair, path) < 0)
			return -1;
		k = find_key(keys, text_of(node(w, pair->key)));
		if (!k)
			return unknown_key(w, node(w, pair->key), path, keys);
		if (parse_value(w, node(w, pair->value), k, obj) < 0)
			return -1;
	}
	for (const struct dks_yaml_key *k = keys; k->key; k++)
		if ((k->flags & DKS_YAML_REQUIRED) && !dks_yaml_get(w, map, k->key))
			return dks_yaml_fail(w, map, "'%s' is required", dks_yaml_path(k));
	return 0;
}

int dks_yaml_walk_text(struct dks_yaml_walk *w, const char *text, size_t len, const char *what,
		       const struct dks_yaml_key *keys, void *obj)
{
	__attribute__((cleanup(dks_yaml_doc_release))) struct dks_yaml_doc d = {0};
	int r = dks_yaml_doc_load(&d, text, len, w->source, what, w->flags & DKS_YAML_NULL_IS_EMPTY,
				  w->exit_code, w->err);

	if (r <= 0)
		return r; /* an empty document, when that is allowed */
	w->doc = &d.doc;
	r = dks_yaml_walk_mapping(w, yaml_document_get_root_node(&d.doc), NULL, keys, obj);
	w->doc = NULL;
	return r;
}
