// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * systemd-boot's files, as bytes (bootnext.h): loader.conf and the Boot
 * Loader Specification's type 1 entries ("KEY VALUE" lines, '#'
 * comments), and the efivarfs form of LoaderEntryDefault and
 * LoaderEntryOneShot (4 attribute bytes, then UTF-16LE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootnext.h"
#include "dks/treename.h"

/* An entry id or pattern is a file name: nothing longer is one. */
#define EFIVAR_TEXT_MAX 255

struct kv_parse {
	const char *name, *want[2]; /* the keys asked for */
	char *got[2];
	struct dks_error *err;
};

static int kv_line(const char *line, size_t len, unsigned lineno, void *arg)
{
	struct kv_parse *p = arg;
	size_t k = 0, v;

	while (k < len && line[k] != ' ' && line[k] != '\t')
		k++;
	for (v = k; v < len && (line[v] == ' ' || line[v] == '\t');)
		v++;
	if (k == 0 || line[0] == '#')
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			return dks_err(p->err, 0, "%s:%u: a control character", p->name, lineno);
	for (int i = 0; i < 2; i++) {
		if (!p->want[i] || strlen(p->want[i]) != k || memcmp(line, p->want[i], k) != 0)
			continue;
		while (len > v && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		free(p->got[i]);
		p->got[i] = strndup(line + v, len - v);
		if (!p->got[i])
			return dks_err(p->err, ENOMEM, "%s", p->name);
	}
	return 0;
}

static int kv_parse(const char *buf, size_t len, struct kv_parse *p)
{
	if (dks_boot_lines(buf, len, p->name, kv_line, p, p->err) == 0)
		return 0;
	free(p->got[0]);
	free(p->got[1]);
	p->got[0] = p->got[1] = NULL;
	return -1;
}

int dks_loaderconf_parse(const char *buf, size_t len, const char *name, char **deflt,
			 struct dks_error *err)
{
	struct kv_parse p = {.name = name, .want = {"default", NULL}, .err = err};

	*deflt = NULL;
	if (kv_parse(buf, len, &p) < 0)
		return -1;
	if (p.got[0] && !*p.got[0]) {
		free(p.got[0]);
		p.got[0] = NULL;
	}
	*deflt = p.got[0];
	return 0;
}

int dks_bootentry_parse(const char *buf, size_t len, const char *name, char **kver,
			struct dks_error *err)
{
	struct kv_parse p = {.name = name, .want = {"version", "linux"}, .err = err};

	*kver = NULL;
	if (kv_parse(buf, len, &p) < 0)
		return -1;
	if (p.got[0] && dks_tree_check_name("kernel", p.got[0], NULL) == 0) {
		*kver = p.got[0];
		p.got[0] = NULL;
	} else if (p.got[1]) {
		*kver = dks_boot_image_kver(p.got[1]);
	}
	free(p.got[0]);
	free(p.got[1]);
	if (!*kver)
		return dks_err(
		    err, 0, "%s: no kernel release (no 'version', no 'linux .../vmlinuz-K')", name);
	return 0;
}

int dks_efivar_parse(const char *buf, size_t len, const char *name, char **text,
		     struct dks_error *err)
{
	size_t n = 0;
	char out[EFIVAR_TEXT_MAX + 1];

	*text = NULL;
	if (len < 4 || (len - 4) % 2)
		return dks_err(err, 0, "%s: not an EFI string variable (%zu bytes)", name, len);
	for (size_t i = 4; i + 1 < len; i += 2) {
		unsigned c = (unsigned char)buf[i] | (unsigned)(unsigned char)buf[i + 1] << 8;

		if (c == 0)
			break;
		if (c < 0x20 || c > 0x7e || n >= EFIVAR_TEXT_MAX)
			return dks_err(err, 0, "%s: not a printable ASCII entry id", name);
		out[n++] = (char)c;
	}
	out[n] = '\0';
	*text = n ? strdup(out) : NULL;
	return n && !*text ? dks_err(err, ENOMEM, "%s", name) : 0;
}
