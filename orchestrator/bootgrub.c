// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GRUB's grub.cfg and grubenv, as bytes (bootnext.h). grub.cfg is read as
 * grub-mkconfig writes it: menuentry and submenu blocks with a title and
 * an id, the entry's `linux /vmlinuz-K` line, and the top-level
 * `set default=...` lines; every other line is only counted for its
 * braces. Nothing of it is evaluated: the parse gives names, and a name
 * is only ever compared, never run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootnext.h"
#include "dks/cleanup.h"

#define WORDS_MAX 64
#define DEPTH_MAX 32

struct grub_parse {
	struct dks_grub_cfg *cfg;
	const char *name;
	struct dks_error *err;
	int stack[DEPTH_MAX]; /* entry index per open block, -1 for others */
	int depth;
};

static int bad(struct grub_parse *p, unsigned lineno, const char *why)
{
	return dks_err(p->err, 0, "%s:%u: %s", p->name, lineno, why);
}

static const char *id_of(char **w, int n)
{
	for (int i = 2; i + 1 < n; i++)
		if (strcmp(w[i], "$menuentry_id_option") == 0 || strcmp(w[i], "--id") == 0)
			return w[i + 1];
	return NULL;
}

static int open_entry(struct grub_parse *p, char **w, int n, unsigned lineno)
{
	struct dks_grub_cfg *c = p->cfg;
	struct dks_grub_entry *e, *more;
	const char *id = id_of(w, n);

	if (n < 3)
		return bad(p, lineno, "a menu entry without a title");
	if (c->n >= DKS_BOOT_ENTRIES_MAX)
		return bad(p, lineno, "too many menu entries");
	more = realloc(c->e, (c->n + 1) * sizeof(*c->e));
	if (!more)
		return dks_err(p->err, ENOMEM, "%s", p->name);
	c->e = more;
	e = &c->e[c->n];
	*e = (struct dks_grub_entry){.title = strdup(w[1]),
				     .id = id ? strdup(id) : NULL,
				     .parent = -1,
				     .submenu = strcmp(w[0], "submenu") == 0};
	for (int d = p->depth - 1; d >= 0; d--)
		if (p->stack[d] >= 0) {
			e->parent = p->stack[d];
			break;
		}
	c->n++;
	if (!e->title || (id && !e->id))
		return dks_err(p->err, ENOMEM, "%s", p->name);
	if (e->parent >= 0 && !c->e[e->parent].submenu)
		return bad(p, lineno, "a menu entry inside a menu entry");
	return (int)c->n - 1;
}

/* The innermost open menuentry (not a submenu), or -1. */
static int current_entry(const struct grub_parse *p)
{
	for (int d = p->depth - 1; d >= 0; d--)
		if (p->stack[d] >= 0)
			return p->cfg->e[p->stack[d]].submenu ? -1 : p->stack[d];
	return -1;
}

static int set_default(struct grub_parse *p, const char *value)
{
	char *copy;

	if (strcmp(value, "${next_entry}") == 0)
		return 0; /* the one-shot branch: grubenv's next_entry says it */
	copy = strdup(value);
	if (!copy)
		return dks_err(p->err, ENOMEM, "%s", p->name);
	free(p->cfg->deflt);
	p->cfg->deflt = copy;
	return 0;
}

static int linux_line(struct grub_parse *p, char **w, int n)
{
	int at = current_entry(p);

	if (at < 0 || n < 2 || p->cfg->e[at].kver)
		return 0;
	/* An image not named vmlinuz-K says no kernel release: the entry
	 * resolves to none, and the caller falls back (said there). */
	p->cfg->e[at].kver = dks_boot_image_kver(w[1]);
	return 0;
}

static bool is_linux(const char *w)
{
	return strcmp(w, "linux") == 0 || strcmp(w, "linuxefi") == 0 || strcmp(w, "linux16") == 0;
}

static int grub_line(const char *line, size_t len, unsigned lineno, void *arg)
{
	struct grub_parse *p = arg;
	char buf[DKS_BOOT_LINE_MAX + 1], *w[WORDS_MAX];
	const char *why = NULL;
	int n = dks_boot_words(line, len, buf, sizeof(buf), w, WORDS_MAX, &why), at = -1;

	if (n < 0)
		return bad(p, lineno, why);
	if (n == 0)
		return 0;
	if (strcmp(w[0], "}") == 0) {
		if (p->depth == 0)
			return bad(p, lineno, "a '}' without its '{'");
		p->depth--;
		return 0;
	}
	if (strcmp(w[n - 1], "{") != 0) {
		if (is_linux(w[0]))
			return linux_line(p, w, n);
		if (p->depth == 0 && n == 2 && strcmp(w[0], "set") == 0 &&
		    strncmp(w[1], "default=", 8) == 0)
			return set_default(p, w[1] + 8);
		return 0;
	}
	if (p->depth >= DEPTH_MAX)
		return bad(p, lineno, "blocks nested too deep");
	if ((strcmp(w[0], "menuentry") == 0 || strcmp(w[0], "submenu") == 0) &&
	    (at = open_entry(p, w, n, lineno)) < 0)
		return -1;
	p->stack[p->depth++] = at;
	return 0;
}

int dks_grubcfg_parse(const char *buf, size_t len, const char *name, struct dks_grub_cfg *out,
		      struct dks_error *err)
{
	struct grub_parse p = {.cfg = out, .name = name, .err = err};

	memset(out, 0, sizeof(*out));
	if (dks_boot_lines(buf, len, name, grub_line, &p, err) < 0) {
		dks_grubcfg_clear(out);
		return -1;
	}
	if (p.depth) {
		dks_grubcfg_clear(out);
		return dks_err(err, 0, "%s: %d block(s) not closed (a truncated file?)", name,
			       p.depth);
	}
	return 0;
}

void dks_grubcfg_clear(struct dks_grub_cfg *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].title);
		free(c->e[i].id);
		free(c->e[i].kver);
	}
	free(c->e);
	free(c->deflt);
	memset(c, 0, sizeof(*c));
}

/* The child of @parent that @comp names: its index among its siblings
 * ("2"), else its id, else its title, as GRUB looks a default up. */
static int child(const struct dks_grub_cfg *c, int parent, const char *comp)
{
	char *end;
	unsigned long want = strtoul(comp, &end, 10);
	bool number = *comp >= '0' && *comp <= '9' && !*end;
	unsigned long k = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (c->e[i].parent != parent)
			continue;
		if (number ? k++ == want
			   : (c->e[i].id && strcmp(c->e[i].id, comp) == 0) ||
				 strcmp(c->e[i].title, comp) == 0)
			return (int)i;
	}
	return -1;
}

const char *dks_grubcfg_resolve(const struct dks_grub_cfg *c, const char *path)
{
	char comp[DKS_BOOT_LINE_MAX];
	int at = -1;

	for (const char *s = path;;) {
		const char *gt = strchr(s, '>');
		size_t n = gt ? (size_t)(gt - s) : strlen(s);

		if (n >= sizeof(comp))
			return NULL;
		memcpy(comp, s, n);
		comp[n] = '\0';
		at = child(c, at, comp);
		if (at < 0 || (gt && !c->e[at].submenu))
			return NULL;
		if (!gt)
			return c->e[at].submenu ? NULL : c->e[at].kver;
		s = gt + 1;
	}
}
