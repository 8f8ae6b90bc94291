// SPDX-License-Identifier: GPL-2.0-or-later
/* An upper estimate of the parse-tree nodes regcomp() builds for an ERE:
 * each atom 1, a group its contents, and a repetition multiplies what it
 * applies to by its largest count (glibc duplicates the tree that often;
 * '*', '+' and '?' once more). Saturating; see include/dks/regexcost.h. */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "dks/regexcost.h"

#define DEPTH_MAX 64
#define CAP	  ((size_t)DKS_REGEX_COST_MAX + 1)

struct level {
	size_t total, last; /* this group's cost; the last atom's (what a repetition applies to) */
	bool rep;	    /* the last thing was a repetition */
};

static size_t mul(size_t a, size_t b)
{
	return b && a > CAP / b ? CAP : a * b > CAP ? CAP : a * b;
}

/* "{n}", "{n,}", "{n,m}" or "{,m}" (glibc's) at @p: the factor it
 * multiplies by, and *@len its length; 0 when it is no interval (then '{'
 * is an ordinary byte). */
static size_t interval(const char *p, size_t *len)
{
	const char *q = p + 1;
	unsigned long n = 0, m;
	char *end = (char *)q;

	if (!isdigit((unsigned char)*q) && *q != ',')
		return 0;
	if (isdigit((unsigned char)*q))
		n = strtoul(q, &end, 10);
	m = n;
	if (*end == ',') {
		q = end + 1;
		end = (char *)q;
		m = isdigit((unsigned char)*q) ? strtoul(q, &end, 10) : n >= CAP ? n : n + 1;
	}
	if (*end != '}')
		return 0;
	*len = (size_t)(end - p) + 1;
	return m > CAP ? CAP : m < 1 ? 1 : (size_t)m;
}

/* Past a bracket expression at @p ('['): its end, or NULL. */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++)
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char close = p[1];
			p += 2;
			while (*p && !(*p == close && p[1] == ']'))
				p++;
			if (!*p)
				return NULL;
			p++;
		}
	return *p ? p : NULL;
}

static void repeat(struct level *l, size_t factor)
{
	size_t grown = mul(l->last, factor);

	l->rep = true;
	l->total = l->total + grown - l->last > CAP ? CAP : l->total + grown - l->last;
	l->last = grown;
}

static void atom(struct level *l, size_t cost)
{
	l->total = l->total + cost > CAP ? CAP : l->total + cost;
	l->last = cost;
	l->rep = false;
}

static bool is_rep(const char *p, size_t *len, size_t *factor)
{
	*len = 1;
	*factor = 2;
	if (*p == '*' || *p == '+' || *p == '?')
		return true;
	return *p == '{' && (*factor = interval(p, len)) != 0;
}

static const char *const too_far = "expands too far when compiled (its repetitions multiply)";

const char *dks_regex_too_big(const char *re)
{
	struct level st[DEPTH_MAX + 1] = {{0, 0, false}};
	size_t d = 0, len, f;

	for (const char *p = re; *p; p++) {
		if (is_rep(p, &len, &f)) {
			if (st[d].rep)
				return "puts a repetition right after another ('a+*'), "
				       "which POSIX leaves undefined and regcomp takes exponential time on";
			repeat(&st[d], f);
			p += len - 1;
		} else if (*p == '\\' && p[1]) {
			atom(&st[d], 1), p++;
		} else if (*p == '[') {
			const char *e = bracket_end(p);
			atom(&st[d], 1);
			p = e ? e : p;
		} else if (*p == '(') {
			if (d == DEPTH_MAX)
				return "nests groups too deep to be compiled safely";
			st[++d] = (struct level){0, 0, false};
		} else if (*p == ')' && d > 0) {
			d--;
			atom(&st[d], st[d + 1].total ? st[d + 1].total : 1);
		} else if (*p == '|') {
			st[d].last = 0, st[d].rep = false;
		} else {
			atom(&st[d], 1);
		}
		if (st[d].total >= CAP)
			return too_far;
	}
	while (d > 0) {
		d--;
		atom(&st[d], st[d + 1].total);
	}
	return st[0].total >= CAP ? too_far : NULL;
}
