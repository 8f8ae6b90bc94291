// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A strict, bounded JSON parser (dks/json.h) for input that may be
 * hostile: a plan file handed to a builder. Every bound is checked before
 * anything is allocated for it; the first violation is one line naming
 * the input, its line and what is wrong. Recursion is bounded by
 * DKS_JSON_MAX_DEPTH.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dks/json.h"
#include "dks/utf8.h"

struct parser {
	const unsigned char *p, *end;
	const char *name;
	unsigned line;
	size_t values;
	struct dks_error *err;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err(ps->err, 0, "%s:%u: %s", ps->name, ps->line, msg);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p) {
		if (*ps->p == '\n')
			ps->line++;
		ps->p++;
	}
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "not a JSON value");
	ps->p += n;
	return 0;
}

static int hex4(struct parser *ps, uint32_t *out)
{
	*out = 0;
	if (ps->end - ps->p < 4)
		return fail(ps, "a \\u escape needs four hex digits");
	for (int i = 0; i < 4; i++) {
		int c = *ps->p++, v = c >= '0' && c <= '9'   ? c - '0'
				      : c >= 'a' && c <= 'f' ? c - 'a' + 10
				      : c >= 'A' && c <= 'F' ? c - 'A' + 10
							     : -1;

		if (v < 0)
			return fail(ps, "a \\u escape needs four hex digits");
		*out = *out << 4 | (uint32_t)v;
	}
	return 0;
}

/* \uXXXX (a surrogate pair as one code point): no NUL, no lone surrogate. */
static int unicode_escape(struct parser *ps, uint32_t *cp)
{
	uint32_t lo;

	if (hex4(ps, cp) < 0)
		return -1;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return fail(ps, "a lone UTF-16 surrogate in a string");
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
			return fail(ps, "a lone UTF-16 surrogate in a string");
		ps->p += 2;
		if (hex4(ps, &lo) < 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(ps, "a lone UTF-16 surrogate in a string");
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return *cp ? 0 : fail(ps, "a NUL (\\u0000) in a string");
}

static size_t put_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80)
		return (size_t)(o[0] = (char)cp, 1);
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int escape(struct parser *ps, char *o, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e = ps->p < ps->end && *ps->p ? strchr(from, *ps->p) : NULL;
	uint32_t cp;

	if (ps->p < ps->end && *ps->p == 'u') {
		ps->p++;
		if (unicode_escape(ps, &cp) < 0)
			return -1;
		*n += put_utf8(cp, o + *n);
		return 0;
	}
	if (!e)
		return fail(ps, "an unknown escape in a string");
	ps->p++;
	o[(*n)++] = to[e - from];
	return 0;
}

/* A string at ps->p (after its quote), into a malloc'd NUL-terminated copy. */
static int string(struct parser *ps, char **out)
{
	char buf[DKS_JSON_MAX_STRING + 8];
	size_t n = 0;

	while (ps->p < ps->end && *ps->p != '"') {
		uint32_t cp;
		size_t len;

		if (n > DKS_JSON_MAX_STRING)
			return fail(ps, "a string longer than %d bytes", DKS_JSON_MAX_STRING);
		if (*ps->p < 0x20)
			return fail(ps, "a control character in a string");
		if (*ps->p == '\\') {
			ps->p++;
			if (escape(ps, buf, &n) < 0)
				return -1;
			continue;
		}
		len = dks_utf8_decode(ps->p, (size_t)(ps->end - ps->p), &cp);
		if (!len)
			return fail(ps, "a string that is not UTF-8");
		memcpy(buf + n, ps->p, len);
		n += len;
		ps->p += len;
	}
	if (ps->p >= ps->end)
		return fail(ps, "an unterminated string");
	if (n > DKS_JSON_MAX_STRING)
		return fail(ps, "a string longer than %d bytes", DKS_JSON_MAX_STRING);
	ps->p++;
	*out = strndup(buf, n);
	return *out ? 0 : dks_err(ps->err, ENOMEM, "%s", ps->name);
}

/* An integer: -?(0|[1-9][0-9]*), within long long. */
static int number(struct parser *ps, long long *out)
{
	const unsigned char *s = ps->p;
	bool neg = ps->p < ps->end && *ps->p == '-';
	unsigned long long v = 0;

	ps->p += neg;
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return fail(ps, "not a JSON value");
	if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
		return fail(ps, "a number with a leading zero");
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		if (v > (unsigned long long)LLONG_MAX / 10)
			return fail(ps, "a number out of range");
		v = v * 10 + (unsigned)(*ps->p++ - '0');
	}
	if (v > (unsigned long long)LLONG_MAX)
		return fail(ps, "a number out of range");
	if (ps->p < ps->end && strchr(".eE", *ps->p) && *ps->p)
		return fail(ps, "only integers are numbers here (%.*s...)", (int)(ps->p - s + 1),
			    s);
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

static int value(struct parser *ps, struct dks_json *v, int depth);

/* Grow a container by one slot (its room doubled when full: at n = 0, 4,
 * 8, 16, ...). */
static struct dks_json *grow(struct parser *ps, struct dks_json *c)
{
	struct dks_json *items = c->items;

	if (c->n == 0 || (c->n >= 4 && (c->n & (c->n - 1)) == 0)) {
		items = realloc(c->items, (c->n ? 2 * c->n : 4) * sizeof(*items));
		if (!items) {
			dks_err(ps->err, ENOMEM, "%s", ps->name);
			return NULL;
		}
		c->items = items;
	}
	memset(&items[c->n], 0, sizeof(*items));
	return &items[c->n++];
}

/* After an item: ',' and another, or @close. 1: more, 0: closed. */
static int next_item(struct parser *ps, char close)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ',') {
		ps->p++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == close)
			return fail(ps, "a trailing comma");
		return 1;
	}
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	return fail(ps, "expected ',' or '%c'", close);
}

static int array(struct parser *ps, struct dks_json *a, int depth)
{
	int more;

	a->type = DKS_JSON_ARRAY;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	do {
		struct dks_json *item = grow(ps, a);

		if (!item || value(ps, item, depth + 1) < 0)
			return -1;
	} while ((more = next_item(ps, ']')) == 1);
	return more;
}

static int key(struct parser *ps, struct dks_json *o, char **k)
{
	char **keys;

	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "expected a string key");
	ps->p++;
	if (string(ps, k) < 0)
		return -1;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], *k) == 0)
			return fail(ps, "the key \"%.64s\" twice in an object", *k);
	if (o->n >= DKS_JSON_MAX_KEYS)
		return fail(ps, "an object with more than %d keys", DKS_JSON_MAX_KEYS);
	keys = realloc(o->keys, (o->n + 1) * sizeof(*keys));
	if (!keys)
		return dks_err(ps->err, ENOMEM, "%s", ps->name);
	o->keys = keys;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':')
		return fail(ps, "expected ':' after a key");
	ps->p++;
	return 0;
}

static int object(struct parser *ps, struct dks_json *o, int depth)
{
	int more;

	o->type = DKS_JSON_OBJECT;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	do {
		char *k = NULL;
		struct dks_json *item;

		if (key(ps, o, &k) < 0) {
			free(k);
			return -1;
		}
		item = grow(ps, o);
		if (!item) {
			free(k);
			return -1;
		}
		o->keys[o->n - 1] = k;
		if (value(ps, item, depth + 1) < 0)
			return -1;
	} while ((more = next_item(ps, '}')) == 1);
	return more;
}

static int value(struct parser *ps, struct dks_json *v, int depth)
{
	skip_ws(ps);
	v->line = ps->line;
	if (depth > DKS_JSON_MAX_DEPTH)
		return fail(ps, "nested deeper than %d", DKS_JSON_MAX_DEPTH);
	if (++ps->values > DKS_JSON_MAX_VALUES)
		return fail(ps, "more than %u values", DKS_JSON_MAX_VALUES);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	switch (*ps->p) {
	case '{': ps->p++; return object(ps, v, depth);
	case '[': ps->p++; return array(ps, v, depth);
	case '"':
		ps->p++;
		v->type = DKS_JSON_STRING;
		return string(ps, &v->s);
	case 't':
		v->type = DKS_JSON_BOOL;
		v->b = true;
		return literal(ps, "true");
	case 'f': v->type = DKS_JSON_BOOL; return literal(ps, "false");
	case 'n': v->type = DKS_JSON_NULL; return literal(ps, "null");
	default: v->type = DKS_JSON_INT; return number(ps, &v->i);
	}
}

static void clear(struct dks_json *j)
{
	for (size_t i = 0; i < j->n; i++) {
		clear(&j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->s);
}

void dks_json_free(struct dks_json *j)
{
	if (!j)
		return;
	clear(j);
	free(j);
}

int dks_json_parse(const char *buf, size_t len, const char *name, struct dks_json **out,
		   struct dks_error *err)
{
	struct parser ps = {.p = (const unsigned char *)buf,
			    .end = (const unsigned char *)buf + len,
			    .name = name,
			    .line = 1,
			    .err = err};
	struct dks_json *j = calloc(1, sizeof(*j));

	*out = NULL;
	if (!j)
		return dks_err(err, ENOMEM, "%s", name);
	if (value(&ps, j, 0) == 0) {
		skip_ws(&ps);
		if (ps.p == ps.end) {
			*out = j;
			return 0;
		}
		fail(&ps, "something after the JSON value");
	}
	dks_json_free(j);
	return -1;
}

const struct dks_json *dks_json_get(const struct dks_json *o, const char *key)
{
	for (size_t i = 0; o && o->type == DKS_JSON_OBJECT && i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->items[i];
	return NULL;
}

const char *dks_json_type_name(enum dks_json_type t)
{
	static const char *const names[] = {"null",	"a boolean", "an integer",
					    "a string", "an array",  "an object"};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}
