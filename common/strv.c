// SPDX-License-Identifier: GPL-2.0-or-later
/* A growable vector of strings: include/dks/strv.h. */
#include <stdlib.h>
#include <string.h>

#include "dks/strv.h"

int strv_push_take(struct strv *s, char *str)
{
	char **v;

	if (!str)
		return -1;
	v = realloc(s->v, (s->n + 2) * sizeof(*v));
	if (!v) {
		free(str);
		return -1;
	}
	v[s->n++] = str;
	v[s->n] = NULL;
	s->v = v;
	return 0;
}

int strv_push(struct strv *s, const char *str)
{
	return strv_push_take(s, strdup(str));
}

bool strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
