// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lexical layer of the boot files' parsers (bootnext.h): lines and
 * shell-like words. Everything is bounded: a boot file is root's, but a
 * damaged one (a half-written grub.cfg after a full /boot, a corrupted
 * block) must give one clear line, never a crash or a guess.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootnext.h"
#include "dks/treename.h"

/* One quoted or bare part of a word, from @s[*i] into @buf[*o]. */
static int word_part(const char *s, size_t len, size_t *i, char *buf, size_t *o, size_t size,
		     const char **why)
{
	char q = s[*i] == '\'' || s[*i] == '"' ? s[(*i)++] : 0;

	for (; *i < len; (*i)++) {
		char c = s[*i];

		if (q ? c == q : c == ' ' || c == '\t' || c == '\'' || c == '"')
			break;
		if (c == '\\' && q != '\'' && *i + 1 < len)
			c = s[++*i];
		if (*o + 1 >= size)
			return *why = "a word too long", -1;
		buf[(*o)++] = c;
	}
	if (q && *i >= len)
		return *why = "an unterminated quote", -1;
	*i += q ? 1 : 0;
	return 0;
}

int dks_boot_words(const char *s, size_t len, char *buf, size_t size, char **words, int max,
		   const char **why)
{
	size_t i = 0, o = 0;
	int n = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= len || s[i] == '#')
			break;
		if (n >= max)
			return *why = "too many words", -1;
		words[n++] = buf + o;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			if (word_part(s, len, &i, buf, &o, size, why) < 0)
				return -1;
		if (o >= size)
			return *why = "a line too long", -1;
		buf[o++] = '\0';
	}
	return n;
}

int dks_boot_lines(const char *buf, size_t len, const char *name,
		   int (*fn)(const char *line, size_t len, unsigned lineno, void *arg), void *arg,
		   struct dks_error *err)
{
	unsigned lineno = 0;

	if (len > DKS_BOOT_FILE_MAX)
		return dks_err(err, EFBIG, "%s", name);
	if (memchr(buf, '\0', len))
		return dks_err(err, 0, "%s: a NUL byte: not a text file", name);
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;

		lineno++;
		if (n > DKS_BOOT_LINE_MAX)
			return dks_err(err, 0, "%s:%u: line longer than %d bytes", name, lineno,
				       DKS_BOOT_LINE_MAX);
		if (fn(buf + at, n && buf[at + n - 1] == '\r' ? n - 1 : n, lineno, arg) < 0)
			return -1;
		at += n + 1;
	}
	return 0;
}

char *dks_boot_image_kver(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (strncmp(base, "vmlinuz-", 8) != 0 || dks_tree_check_name("kernel", base + 8, NULL) < 0)
		return NULL;
	return strdup(base + 8);
}
