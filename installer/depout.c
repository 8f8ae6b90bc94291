// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * depmod's output against its grammar: depout.h.
 *
 * depmod (kmod's depmod.c) writes, per file, only these lines:
 *   modules.dep      PATH: PATH PATH ...
 *   modules.alias    alias PATTERN MODULE
 *   modules.symbols  alias symbol:SYMBOL MODULE
 *   modules.softdep  softdep MODULE pre: ... post: ...
 *   modules.weakdep  weakdep MODULE NAME ...
 *   modules.devname  MODULE DEVNAME c|bMAJOR:MINOR
 * and "# ..." comment lines. A module's .modinfo is checked before it is
 * placed (modinfo.c); this is the second look, at everything depmod put
 * together, modules of other packages and of the kernel included, so that
 * no byte that came from a module reaches root's tools unchecked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depout.h"
#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "modinfo.h"

#define OK SIZE_MAX

typedef size_t (*line_fn)(const char *l, size_t n);

/* The field at *@pos up to the next space (or the end), and *@pos past
 * that space. */
static size_t field(const char *l, size_t n, size_t *pos, const char **f)
{
	const char *sp = memchr(l + *pos, ' ', n - *pos);
	size_t len = sp ? (size_t)(sp - l) - *pos : n - *pos;

	*f = l + *pos;
	*pos += len + (sp ? 1 : 0);
	return len;
}

/* @bad, an offset inside the field @f of @l, as an offset in @l. */
static size_t at(const char *l, const char *f, size_t bad)
{
	return bad == OK ? OK : (size_t)(f - l) + bad;
}

/* "WORD " at the start of @l, or the offset where it is not. */
static size_t keyword(const char *l, size_t n, const char *word, size_t *pos)
{
	size_t len = strlen(word);

	for (size_t i = 0; i <= len; i++)
		if (i == n || l[i] != (i < len ? word[i] : ' '))
			return i;
	*pos = len + 1;
	return OK;
}

/* A module's path: relative (or absolute), no '..', no ':', a .ko file. */
static size_t path_bad(const char *p, size_t n)
{
	static const char *const ends[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	size_t abs = n && p[0] == '/', bad = dks_relpath_bad(p + abs, n - abs);
	const char *colon = memchr(p, ':', n);

	if (bad != OK)
		return abs + bad;
	if (colon)
		return (size_t)(colon - p);
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (n >= strlen(ends[i]) &&
		    !memcmp(p + n - strlen(ends[i]), ends[i], strlen(ends[i])))
			return OK;
	return n;
}

static size_t dep_line(const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n), *f;
	size_t pos, bad = path_bad(l, colon ? (size_t)(colon - l) : n);

	if (bad != OK || !colon)
		return bad == OK ? n : bad;
	pos = (size_t)(colon - l) + 1;
	if (pos < n && l[pos++] != ' ')
		return pos - 1;
	while (pos < n) {
		size_t len = field(l, n, &pos, &f);

		bad = at(l, f, path_bad(f, len));
		if (bad != OK)
			return bad;
	}
	return OK;
}

/* "alias PATTERN MODULE"; modules.symbols: PATTERN is symbol:NAME. */
static size_t alias_like(const char *l, size_t n, const char *prefix)
{
	const char *pat, *mod, *why;
	size_t pos = 0, bad = keyword(l, n, "alias", &pos), plen, mlen;

	if (bad != OK)
		return bad;
	plen = field(l, n, &pos, &pat);
	mlen = field(l, n, &pos, &mod);
	if (plen < strlen(prefix) || memcmp(pat, prefix, strlen(prefix)) != 0)
		return (size_t)(pat - l);
	bad = at(l, pat, dks_modinfo_value_bad("alias", pat, plen, &why));
	if (bad == OK)
		bad = at(l, mod, dks_modname_bad(mod, mlen));
	return bad == OK && pos < n ? pos : bad;
}

static size_t alias_line(const char *l, size_t n)
{
	return alias_like(l, n, "");
}

static size_t symbol_line(const char *l, size_t n)
{
	return alias_like(l, n, "symbol:");
}

/* "KEY MODULE VALUE", VALUE the rest of the line in .modinfo's @key grammar. */
static size_t dep_value(const char *l, size_t n, const char *key)
{
	const char *mod, *why;
	size_t pos = 0, bad = keyword(l, n, key, &pos), mlen;

	if (bad != OK)
		return bad;
	mlen = field(l, n, &pos, &mod);
	bad = at(l, mod, dks_modname_bad(mod, mlen));
	if (bad == OK && pos >= n)
		return n;
	return bad != OK ? bad : at(l, l + pos, dks_modinfo_value_bad(key, l + pos, n - pos, &why));
}

static size_t softdep_line(const char *l, size_t n)
{
	return dep_value(l, n, "softdep");
}

static size_t weakdep_line(const char *l, size_t n)
{
	return dep_value(l, n, "weakdep");
}

/* "MODULE DEVNAME c10:229": DEVNAME a path below /dev. */
static size_t devname_line(const char *l, size_t n)
{
	const char *mod, *dev, *type;
	size_t pos = 0, mlen = field(l, n, &pos, &mod), dlen = field(l, n, &pos, &dev);
	size_t tlen = field(l, n, &pos, &type), bad = at(l, mod, dks_modname_bad(mod, mlen));
	bool colon = false;

	if (bad == OK)
		bad = at(l, dev, dks_relpath_bad(dev, dlen));
	if (bad != OK)
		return bad;
	if (pos < n || tlen < 4 || (type[0] != 'c' && type[0] != 'b'))
		return (size_t)(type - l);
	for (size_t i = 1; i < tlen; i++) {
		bool sep = type[i] == ':' && !colon && i > 1 && i + 1 < tlen;

		if (!sep && (type[i] < '0' || type[i] > '9'))
			return (size_t)(type - l) + i;
		colon |= sep;
	}
	return colon ? OK : n;
}

/* A file of another depmod's making: printable lines. */
static size_t text_line(const char *l, size_t n)
{
	const char *why;

	return dks_modinfo_value_bad("description", l, n, &why);
}

static const struct grammar {
	const char *name;
	line_fn line;
} grammars[] = {
    {"modules.dep", dep_line},	       {"modules.alias", alias_line},
    {"modules.symbols", symbol_line},  {"modules.softdep", softdep_line},
    {"modules.weakdep", weakdep_line}, {"modules.devname", devname_line},
};

static line_fn grammar_of(const char *name)
{
	for (size_t i = 0; i < sizeof(grammars) / sizeof(grammars[0]); i++)
		if (strcmp(grammars[i].name, name) == 0)
			return grammars[i].line;
	return NULL;
}

/* Every line of @buf; the first bad one's number, start and offset. */
static bool lines_ok(const char *buf, size_t len, line_fn fn, size_t *lineno, size_t *start,
		     size_t *off)
{
	const char *why;

	*lineno = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - buf) - i : len - i;

		++*lineno;
		*start = i;
		if (buf[i] == '#')
			*off = at(buf + i, buf + i + 1,
				  dks_modinfo_value_bad("", buf + i + 1, n - 1, &why));
		else
			*off = fn(buf + i, n);
		if (*off == OK && !nl)
			*off = n; /* no newline at the end */
		if (*off != OK)
			return false;
		i += n + 1;
	}
	return true;
}

static int read_index(int dirfd, const char *dir, const char *name, char **buf, size_t *len,
		      struct dks_error *err)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, errno, "depmod: %s/%s", dir,
				    name);
	if (!S_ISREG(st.st_mode) || st.st_size > DKS_DEPOUT_MAX)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "depmod: %s/%s is not a regular file of at most %ld bytes", dir,
				    name, DKS_DEPOUT_MAX);
	*len = (size_t)st.st_size;
	*buf = malloc(*len + 1);
	if (!*buf || dks_read_full(fd, *buf, *len) != (ssize_t)*len)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, *buf ? errno : ENOMEM,
				    "depmod: cannot read %s/%s", dir, name);
	(*buf)[*len] = '\0';
	return 0;
}

int dks_depout_check_buf(const char *buf, size_t len, const char *dir, const char *name,
			 struct dks_error *err)
{
	line_fn fn = grammar_of(name);
	size_t lineno, start = 0, off = 0;
	unsigned char byte;

	if (lines_ok(buf, len, fn ? fn : text_line, &lineno, &start, &off))
		return 0;
	byte = start + off < len ? (unsigned char)buf[start + off] : '\n';
	if (byte == '\n')
		return dks_err_code(
		    err, DKS_EXIT_INSTALL_FAILED, 0,
		    "depmod wrote %s/%s:%zu: the line ends too early at offset %zu; "
		    "the kernel's index files are left as they were",
		    dir, name, lineno, off);
	return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
			    "depmod wrote %s/%s:%zu: byte 0x%02x at offset %zu is not allowed; "
			    "the kernel's index files are left as they were",
			    dir, name, lineno, byte, off);
}

int dks_depout_check(int dirfd, const char *dir, const char *name, struct dks_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (read_index(dirfd, dir, name, &buf, &len, err) < 0)
		return -1;
	return dks_depout_check_buf(buf, len, dir, name, err);
}
