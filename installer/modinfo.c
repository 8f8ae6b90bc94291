// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The grammar of .modinfo entries: modinfo.h.
 *
 * Pure functions over bytes that an attacker wrote: nothing here is
 * trusted to be NUL-terminated except where a NUL was found inside the
 * section, and every rule returns the offset of the first byte it refuses,
 * so that a refusal can name it. The rules are the kernel's own syntax for
 * each key (include/linux/module.h, scripts/mod/modpost.c), made strict
 * where a tool run as root copies the value: no control byte (but a tab or
 * a newline in prose that no tool copies), no space where a space would
 * end a field, no '..' where a value becomes a path. Every module of
 * Debian's 6.1 kernel passes.
 */
#include <stdint.h>
#include <string.h>

#include "dks/utf8.h"
#include "modinfo.h"

#define OK SIZE_MAX

typedef size_t (*rule_fn)(const char *v, size_t n, const char **why);

/* ---- bytes -------------------------------------------------------------- */

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_namechar(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

/* Printable text: ASCII and space, or UTF-8 without C0 or C1 controls (a
 * terminal takes U+009B for CSI), no DEL; with @layout, tabs and newlines
 * too. */
static size_t text(const char *v, size_t n, bool layout)
{
	const unsigned char *p = (const unsigned char *)v;

	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t len = dks_utf8_decode(p + i, n - i, &cp);

		if (!len || (cp < 0x20 && !(layout && (cp == '\t' || cp == '\n'))) ||
		    (cp >= 0x7f && cp < 0xa0))
			return i;
		i += len;
	}
	return OK;
}

/* Unknown keys, license, version: printable. */
static size_t r_text(const char *v, size_t n, const char **why)
{
	*why = "only printable text";
	return text(v, n, false);
}

/*
 * What a person reads and no tool copies (description, author, a
 * parameter's description): printable, tabs and newlines allowed. The
 * kernel's own modules have them (Debian's 6.1: 62 modules, e.g. every
 * rtlwifi driver's author has a tab, many parameter descriptions end in a
 * newline), depmod never copies these keys, and modinfo shows them. Every
 * other control byte (ESC, CR, BEL, ...) is refused: they would reach the
 * administrator's terminal.
 */
static size_t r_prose(const char *v, size_t n, const char **why)
{
	*why = "only printable text, tabs and newlines";
	return text(v, n, true);
}

/* Printable ASCII, no space: one field of a line. */
static size_t r_word(const char *v, size_t n, const char **why)
{
	*why = "printable, no space";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return i;
	return n ? OK : 0;
}

/* Printable ASCII with spaces (vermagic: compared exactly afterwards). */
static size_t r_ascii(const char *v, size_t n, const char **why)
{
	*why = "printable ASCII";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return i;
	return OK;
}

size_t dks_modname_bad(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_namechar((unsigned char)s[i]) || i == DKS_MODNAME_MAX)
			return i;
	return n ? OK : 0;
}

/* ---- structured values ---------------------------------------------------- */

static size_t r_name(const char *v, size_t n, const char **why)
{
	*why = "a module name: letters, digits, '_' and '-'";
	return dks_modname_bad(v, n);
}

/* A relative path: no leading '/', no empty or '..' component. */
static size_t r_relpath(const char *v, size_t n, const char **why)
{
	size_t bad = r_word(v, n, why), start = 0;

	if (bad != OK)
		return bad;
	*why = "a relative path without '..'";
	for (size_t i = 0; i <= n; i++) {
		if (i < n && v[i] != '/')
			continue;
		if (i == start || (i - start == 2 && v[start] == '.' && v[start + 1] == '.'))
			return start;
		start = i + 1;
	}
	return OK;
}

size_t dks_relpath_bad(const char *s, size_t n)
{
	const char *why;

	return r_relpath(s, n, &why);
}

/* A modalias pattern; "devname:" ones become a path under /dev
 * (modules.devname, kmod static-nodes, systemd-tmpfiles). */
static size_t r_alias(const char *v, size_t n, const char **why)
{
	size_t bad = r_word(v, n, why), pre = strlen("devname:");

	if (bad != OK || n < pre || memcmp(v, "devname:", pre) != 0)
		return bad;
	bad = r_relpath(v + pre, n - pre, why);
	return bad == OK ? OK : pre + bad;
}

/* Module names separated by single spaces (weakdep), or by commas with
 * nothing at all allowed (depends). */
static size_t names_by(const char *v, size_t n, char sep, const char **why)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t bad;

		if (i < n && v[i] != sep)
			continue;
		bad = r_name(v + start, i - start, why);
		if (bad != OK)
			return start + bad;
		start = i + 1;
	}
	return OK;
}

static size_t r_weakdep(const char *v, size_t n, const char **why)
{
	return names_by(v, n, ' ', why);
}

static size_t r_depends(const char *v, size_t n, const char **why)
{
	return n ? names_by(v, n, ',', why) : OK;
}

/* A softdep token: a module name or a modalias ("platform:leds-gpio":
 * modprobe resolves it). */
static size_t softdep_token(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_namechar((unsigned char)v[i]) && v[i] != ':' && v[i] != '.')
			return i;
	return n ? OK : 0;
}

/* "pre: a b post: c": markers and names separated by single spaces (a
 * name before any marker, as cifs's "gcm", is ignored by libkmod). libkmod
 * parses modules.softdep as modprobe configuration: a newline would start
 * a line of the module's choosing. */
static size_t r_softdep(const char *v, size_t n, const char **why)
{
	size_t start = 0;

	*why = "'pre:', 'post:' and module names, single spaces";
	for (size_t i = 0; i <= n; i++) {
		size_t len = i - start, bad;

		if (i < n && v[i] != ' ')
			continue;
		bad = softdep_token(v + start, len);
		if (bad != OK)
			return start + bad;
		start = i + 1;
	}
	return OK;
}

static size_t r_yes(const char *v, size_t n, const char **why)
{
	*why = "only Y";
	if (n == 1 && v[0] == 'Y')
		return OK;
	return n && v[0] == 'Y' ? 1 : 0;
}

static size_t r_hex(const char *v, size_t n, const char **why)
{
	*why = "hexadecimal digits";
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", v[i]) || !v[i] || i == 64)
			return i;
	return n ? OK : 0;
}

static size_t r_ident(const char *v, size_t n, const char **why)
{
	*why = "letters, digits and '_'";
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)v[i]) && v[i] != '_')
			return i;
	return n ? OK : 0;
}

/* "name:..." with the rest in @rest's grammar. */
static size_t named(const char *v, size_t n, rule_fn rest, const char **why)
{
	const char *colon = memchr(v, ':', n);
	size_t k = colon ? (size_t)(colon - v) : n, bad;

	*why = "a parameter name ([A-Za-z0-9_.-]), ':', text";
	for (size_t i = 0; i < k; i++)
		if (!is_namechar((unsigned char)v[i]) && v[i] != '.')
			return i;
	if (!colon || k == 0)
		return k;
	bad = rest(colon + 1, n - k - 1, why);
	return bad == OK ? OK : k + 1 + bad;
}

/* "debug:Debug level (0-3)" */
static size_t r_parm(const char *v, size_t n, const char **why)
{
	return named(v, n, r_prose, why);
}

/* "debug:int", "ids:array of ushort" */
static size_t r_parmtype(const char *v, size_t n, const char **why)
{
	return named(v, n, r_ascii, why);
}

static const struct key_rule {
	const char *key;
	rule_fn rule;
} rules[] = {
    {"alias", r_alias},	     {"softdep", r_softdep},	{"weakdep", r_weakdep},
    {"firmware", r_relpath}, {"depends", r_depends},	{"name", r_name},
    {"vermagic", r_ascii},   {"license", r_text},	{"description", r_prose},
    {"author", r_prose},     {"version", r_text},	{"srcversion", r_hex},
    {"intree", r_yes},	     {"retpoline", r_yes},	{"staging", r_yes},
    {"parm", r_parm},	     {"parmtype", r_parmtype},	{"import_ns", r_ident},
    {"scmversion", r_word},  {"sourceversion", r_text},
};

size_t dks_modinfo_value_bad(const char *key, const char *v, size_t n, const char **why)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].key, key) == 0)
			return rules[i].rule(v, n, why);
	return r_text(v, n, why); /* a key the kernel may add later */
}

/* ---- the section -------------------------------------------------------------- */

/* The key: a C identifier. (modules.builtin.modinfo's "mod.key" never
 * comes from a loadable module.) Offset of the first bad byte, or OK. */
static size_t key_bad(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(is_alnum((unsigned char)k[i]) || k[i] == '_') ||
		    (i == 0 && k[i] >= '0' && k[i] <= '9') || i == DKS_MODINFO_KEY_MAX)
			return i;
	return n ? OK : 0;
}

static void fault_key(struct dks_modinfo_fault *f, const char *k, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o < DKS_MODINFO_KEY_MAX; i++)
		f->key[o++] = (k[i] > 0x20 && k[i] < 0x7f) ? k[i] : '?';
	f->key[o] = '\0';
}

static int fault(struct dks_modinfo_fault *f, const char *s, size_t len, size_t klen, size_t off,
		 bool in_key, const char *why)
{
	size_t part = in_key ? klen : len - klen - 1;

	fault_key(f, s, klen);
	f->in_key = in_key;
	f->off = off;
	f->at_end = off >= part;
	f->byte = f->at_end ? 0 : (unsigned char)s[(in_key ? 0 : klen + 1) + off];
	f->why = why;
	return -1;
}

/* One "key=value" entry of @len bytes (no NUL inside). */
static int check_entry(const char *s, size_t len, struct dks_modinfo_fault *f)
{
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len, bad = key_bad(s, klen);
	char key[DKS_MODINFO_KEY_MAX + 1];
	const char *why = NULL;

	if (bad != OK)
		return fault(f, s, len, klen, bad, true, "a key is letters, digits and '_'");
	if (!eq)
		return fault(f, s, len, klen, klen, true, "an entry is key=value");
	memcpy(key, s, klen);
	key[klen] = '\0';
	bad = dks_modinfo_value_bad(key, eq + 1, len - klen - 1, &why);
	return bad == OK ? 0 : fault(f, s, len, klen, bad, false, why);
}

int dks_modinfo_check(const char *sec, size_t n, struct dks_modinfo_fault *f)
{
	size_t entries = 0;

	*f = (struct dks_modinfo_fault){.why = NULL};
	if (n > DKS_MODINFO_SIZE_MAX) {
		f->why = "the section is larger than 1 MiB";
		return -1;
	}
	for (size_t i = 0; i < n;) {
		const char *nul;

		if (sec[i] == '\0') { /* padding between entries */
			i++;
			continue;
		}
		nul = memchr(sec + i, '\0', n - i);
		f->entry = i;
		if (++entries > DKS_MODINFO_ENTRIES_MAX) {
			f->why = "more than 16384 entries";
			return -1;
		}
		if (!nul) {
			f->why = "the section ends inside an entry";
			return -1;
		}
		if (check_entry(sec + i, (size_t)(nul - sec) - i, f) < 0)
			return -1;
		i = (size_t)(nul - sec) + 1;
	}
	return 0;
}
