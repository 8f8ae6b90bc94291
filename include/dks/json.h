/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON for what we write (status --json, plan --json: common/jsonout.c)
 * and a strict, bounded parser for what we read back (a plan file, which
 * may come from anywhere: common/jsonparse.c).
 */
#ifndef DKS_JSON_H
#define DKS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dks/error.h"

/* @s as a JSON string (null for NULL); a byte that is not UTF-8 becomes
 * U+FFFD, control characters \u00XX. */
void dks_json_string(FILE *out, const char *s);

/* The parser's bounds: nesting, one string's bytes, one object's keys,
 * and values in a whole document. Beyond them: refused, never truncated. */
#define DKS_JSON_MAX_DEPTH 16
#define DKS_JSON_MAX_STRING 4096
#define DKS_JSON_MAX_KEYS 64
#define DKS_JSON_MAX_VALUES (1u << 20)

enum dks_json_type {
	DKS_JSON_NULL, DKS_JSON_BOOL, DKS_JSON_INT, DKS_JSON_STRING, DKS_JSON_ARRAY,
	DKS_JSON_OBJECT,
};

struct dks_json {
	enum dks_json_type type;
	unsigned line;          /* where it starts, for messages */
	bool b;
	long long i;            /* integers only: a fraction or an exponent is refused */
	char *s;                /* NUL-free, valid UTF-8 */
	struct dks_json *items; /* array items, object values */
	char **keys;            /* object keys, each once */
	size_t n;
};

/* Parse @len bytes (RFC 8259, strictly: no comments, no trailing commas,
 * no duplicate keys, no NUL in strings, only integer numbers, nothing
 * after the value). @name names the input in messages ("NAME:LINE: ...").
 * 0 with *@out (dks_json_free), or -1 with @err. */
int dks_json_parse(const char *buf, size_t len, const char *name, struct dks_json **out,
		   struct dks_error *err);
void dks_json_free(struct dks_json *j);
/* The value of @key in object @o, or NULL. */
const struct dks_json *dks_json_get(const struct dks_json *o, const char *key);
/* "object", "string", ... for messages. */
const char *dks_json_type_name(enum dks_json_type t);

#endif
