/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable NULL-terminated vector of strings: common/strv.c. */
#ifndef DKS_STRV_H
#define DKS_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v; /* NULL-terminated once anything was pushed */
	size_t n;
};

/* Append @str (taken: freed on failure, NULL fails). 0, or -1 (ENOMEM). */
int strv_push_take(struct strv *s, char *str);
/* Append a copy of @str. */
int strv_push(struct strv *s, const char *str);
bool strv_contains(const struct strv *s, const char *str);
/* Free the strings and the vector; @s is empty again. */
void strv_free(struct strv *s);

#endif
