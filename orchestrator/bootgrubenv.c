// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GRUB's environment block (grubenv), as bytes (bootnext.h): the header
 * line, NAME=VALUE lines (GRUB escapes '\' and newlines with '\'), and
 * '#' padding to its fixed size. Only next_entry and saved_entry matter
 * here; the rest is checked for shape and skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootnext.h"

#define GRUBENV_HEADER "# GRUB Environment Block\n"
/* grub-editenv writes 1024 bytes; a block many times that is not one. */
#define GRUBENV_MAX (64 * 1024)

struct env_parse {
	const char *name;
	char **next, **saved;
	struct dks_error *err;
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Unescape @v (GRUB's '\x' is x) into a new string, or NULL. */
static char *unescape(const char *v, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; out && i < n; i++)
		out[o++] = v[i] == '\\' && i + 1 < n ? v[++i] : v[i];
	if (out)
		out[o] = '\0';
	return out;
}

static int env_line(const char *line, size_t len, unsigned lineno, void *arg)
{
	struct env_parse *p = arg;
	const char *eq = memchr(line, '=', len);
	size_t k = eq ? (size_t)(eq - line) : 0;
	char **slot = NULL;

	if (lineno == 1 || (len && line[0] == '#'))
		return 0; /* the header (checked before), padding */
	if (!eq || k == 0)
		return dks_err(p->err, 0, "%s:%u: not NAME=VALUE", p->name, lineno);
	for (size_t i = 0; i < k; i++)
		if (!name_char(line[i]))
			return dks_err(p->err, 0, "%s:%u: a bad variable name", p->name, lineno);
	if (k == 10 && memcmp(line, "next_entry", 10) == 0)
		slot = p->next;
	else if (k == 11 && memcmp(line, "saved_entry", 11) == 0)
		slot = p->saved;
	if (!slot)
		return 0;
	free(*slot);
	*slot = len > k + 1 ? unescape(eq + 1, len - k - 1) : NULL;
	if (len > k + 1 && !*slot)
		return dks_err(p->err, ENOMEM, "%s", p->name);
	return 0;
}

int dks_grubenv_parse(const char *buf, size_t len, const char *name, char **next, char **saved,
		      struct dks_error *err)
{
	struct env_parse p = {.name = name, .next = next, .saved = saved, .err = err};

	*next = *saved = NULL;
	if (len > GRUBENV_MAX)
		return dks_err(err, EFBIG, "%s", name);
	if (len < sizeof(GRUBENV_HEADER) - 1 ||
	    memcmp(buf, GRUBENV_HEADER, sizeof(GRUBENV_HEADER) - 1) != 0)
		return dks_err(err, 0, "%s: not a GRUB environment block (no '%.24s' header)", name,
			       GRUBENV_HEADER);
	if (dks_boot_lines(buf, len, name, env_line, &p, err) < 0) {
		free(*next);
		free(*saved);
		*next = *saved = NULL;
		return -1;
	}
	return 0;
}
