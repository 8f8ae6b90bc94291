// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms.conf, part 2 of 3: from the directives read out of the records to a
 * struct dks_spec, by dkms's rules (include/dks/dkmsconf.h).
 *
 * This is where the directives get their meaning: which arrays must be
 * dense, what the defaults are (one module named after the package,
 * /updates/dkms, strip), which MAKE and PATCH apply to the kernel, what a
 * name, a location or a BUILD_EXCLUSIVE_CONFIG word may be. Each violation
 * is one "FILE: ..." message with dkms's exit code (8 bad dkms.conf, 5 bad
 * patch path); deprecated or odd directives become warnings in the spec.
 * Trusts dkmsconf_records.c to have read the records strictly (known
 * directives, none twice, arrays sorted), nothing of the values themselves:
 * they are whatever the module's shell set. Pure: no processes, no files.
 * Calls dkmsconf_records.c only.
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkmsconf_internal.h"
#include "dks/regexcost.h"
#include "dks/cleanup.h"
#include "dks/dkmsconf.h"
#include "dks/exit.h"
#include "dks/handoff.h"

struct parse {
	const char *conf; /* for messages */
	const char *kver;
	struct dkmsconf_raw v[N_DIRECTIVES];
	struct dks_spec *s;
};

static void parse_clear(struct parse *p)
{
	dks_dkmsconf_raw_free(p->v);
	dks_spec_free(p->s);
}

static int add_warning(struct parse *p, struct dks_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int add_warning(struct parse *p, struct dks_error *err, const char *fmt, ...)
{
	struct dks_spec *s = p->s;
	char msg[DKS_ERROR_MSG_MAX];
	char **w = realloc(s->warnings, (s->n_warnings + 1) * sizeof(*w));
	va_list ap;

	if (!w)
		return dks_err(err, ENOMEM, "%s", p->conf);
	s->warnings = w;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&w[s->n_warnings], "%s: %s", p->conf, msg) < 0)
		return dks_err(err, ENOMEM, "%s", p->conf);
	s->n_warnings++;
	return 0;
}

static int dup_opt(const struct parse *p, const char *v, char **dst, struct dks_error *err)
{
	if (!v)
		return 0;
	*dst = strdup(v);
	return *dst ? 0 : dks_err(err, ENOMEM, "%s", p->conf);
}

/* ---- access and checks ---------------------------------------------------- */

/* dkms treats an empty value like an unset one: both are NULL here. */
static const char *scalar(const struct parse *p, enum dkmsconf_directive d)
{
	return p->v[d].set && p->v[d].val[0] ? p->v[d].val : NULL;
}

static const char *elem(const struct parse *p, enum dkmsconf_directive d, unsigned long idx)
{
	for (size_t i = 0; i < p->v[d].n; i++)
		if (p->v[d].el[i].idx == idx)
			return p->v[d].el[i].val[0] ? p->v[d].el[i].val : NULL;
	return NULL;
}

/* dkms walks arrays from 0 to their element count - 1: an element past a
 * gap would be silently skipped (or, for BUILT_MODULE_NAME, make a record
 * without a name). Refuse gaps. */
static int check_dense(const struct parse *p, enum dkmsconf_directive d, struct dks_error *err)
{
	const struct dkmsconf_raw *r = &p->v[d];

	for (size_t i = 0; i < r->n; i++)
		if (r->el[i].idx != i)
			return dks_dkmsconf_bad(
			    p->conf, err, DKS_EXIT_BAD_CONF,
			    "%s[%lu] is set but %s[%zu] is not: arrays must not have gaps",
			    dks_dkmsconf_directive_names[d], r->el[i].idx,
			    dks_dkmsconf_directive_names[d], i);
	return 0;
}

/* Every index of @d has an entry in the dense array @of (0..n-1). */
static int check_within(const struct parse *p, enum dkmsconf_directive d,
			enum dkmsconf_directive of, size_t n, struct dks_error *err)
{
	const struct dkmsconf_raw *r = &p->v[d];

	if (r->n && r->el[r->n - 1].idx >= n)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"%s[%lu] is set but %s[%lu] is not",
					dks_dkmsconf_directive_names[d], r->el[r->n - 1].idx,
					dks_dkmsconf_directive_names[of], r->el[r->n - 1].idx);
	return 0;
}

/* Values used as one line (paths, versions, script names). */
static int check_line(const struct parse *p, const char *what, const char *v, struct dks_error *err)
{
	char b[80];

	if (v && dks_has_control(v))
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF, "%s '%s' must be one line",
					what, dks_dkmsconf_shown(v, b, sizeof(b)));
	return 0;
}

/* Names become file and directory names: no '/', no blanks, no "..". */
static int check_name(const struct parse *p, const char *what, const char *v, struct dks_error *err)
{
	char b[80];

	if (!v)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"No '%s' directive specified", what);
	if (strpbrk(v, "/ \t") || dks_has_control(v) || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"%s '%s' is not a valid name", what,
					dks_dkmsconf_shown(v, b, sizeof(b)));
	return 0;
}

/* 1: the POSIX ERE @re matches @s (unanchored, like bash's =~), 0: not. */
static int match(const struct parse *p, const char *what, const char *re, const char *s,
		 struct dks_error *err)
{
	char b[80], why[128];
	const char *big = dks_regex_too_big(re);
	regex_t r;
	int rc;

	if (big)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF, "%s '%s' %s", what,
					dks_dkmsconf_shown(re, b, sizeof(b)), big);
	rc = regcomp(&r, re, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &r, why, sizeof(why));
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"%s '%s' is not a valid regular expression: %s", what,
					dks_dkmsconf_shown(re, b, sizeof(b)), why);
	}
	rc = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return rc;
}

/* ---- building the spec ---------------------------------------------------- */

static int set_package(struct parse *p, struct dks_error *err)
{
	const char *name = scalar(p, D_PACKAGE_NAME), *version = scalar(p, D_PACKAGE_VERSION);

	if (check_name(p, "PACKAGE_NAME", name, err) < 0 ||
	    check_name(p, "PACKAGE_VERSION", version, err) < 0)
		return -1;
	if (dup_opt(p, name, &p->s->name, err) < 0 ||
	    dup_opt(p, version, &p->s->version, err) < 0 ||
	    dup_opt(p, p->conf, &p->s->source, err) < 0)
		return -1;
	return 0;
}

/* BUILT_MODULE_LOCATION: a directory below the build dir. dkms appends it
 * to the build dir, so leading, trailing and doubled '/' and "." parts
 * mean nothing: drop them. ".." would leave the build dir. */
static int set_built_location(const struct parse *p, unsigned long i, char **dst,
			      struct dks_error *err)
{
	const char *v = elem(p, D_BUILT_MODULE_LOCATION, i);
	char what[64], *out, *save = NULL;
	cleanup_free char *copy = strdup(v ? v : "");
	size_t len = 0;

	snprintf(what, sizeof(what), "BUILT_MODULE_LOCATION[%lu]", i);
	if (!copy || !(out = calloc(1, strlen(copy) + 1)))
		return dks_err(err, ENOMEM, "%s", p->conf);
	*dst = out;
	if (check_line(p, what, v, err) < 0)
		return -1;
	if (dks_path_has_dotdot(copy))
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"%s '%s' leaves the build directory", what, v);
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		len += (size_t)sprintf(out + len, "%s%s", len ? "/" : "", c);
	}
	return 0;
}

/* DEST_MODULE_LOCATION: below /lib/modules/KVER. dkms 3.x requires it for
 * every module, on every distribution, even where it then installs into
 * its own place (Debian: /updates/dkms). */
static int set_dest_location(const struct parse *p, unsigned long i, char **dst,
			     struct dks_error *err)
{
	const char *v = elem(p, D_DEST_MODULE_LOCATION, i);
	char what[64];
	size_t len;

	snprintf(what, sizeof(what), "DEST_MODULE_LOCATION[%lu]", i);
	if (!v)
		return dks_dkmsconf_bad(
		    p->conf, err, DKS_EXIT_BAD_CONF,
		    "No 'DEST_MODULE_LOCATION' directive specified for record #%lu", i);
	if (check_line(p, what, v, err) < 0)
		return -1;
	if (strncmp(v, "/kernel", 7) != 0 && strncmp(v, "/updates", 8) != 0 &&
	    strncmp(v, "/extra", 6) != 0)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"Directive 'DEST_MODULE_LOCATION' does not begin with "
					"'/kernel', '/updates', or '/extra' in record #%lu ('%s')",
					i, v);
	if (dks_path_has_dotdot(v))
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"%s '%s' must not contain '..'", what, v);
	if (dup_opt(p, v, dst, err) < 0)
		return -1;
	for (len = strlen(*dst); len > 1 && (*dst)[len - 1] == '/'; len--)
		(*dst)[len - 1] = '\0';
	return 0;
}

/* @v is BUILT_MODULE_NAME[i] or DEST_MODULE_NAME[i]: a name, without .o/.ko. */
static int check_module_name(const struct parse *p, const char *directive, unsigned long i,
			     const char *v, struct dks_error *err)
{
	size_t len = v ? strlen(v) : 0;
	char what[64];

	if (!v)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"No '%s' directive specified for record #%lu", directive,
					i);
	if ((len > 2 && strcmp(v + len - 2, ".o") == 0) ||
	    (len > 3 && strcmp(v + len - 3, ".ko") == 0))
		return dks_dkmsconf_bad(
		    p->conf, err, DKS_EXIT_BAD_CONF,
		    "'%s' directive ends in '.o' or '.ko' in record #%lu ('%s')", directive, i, v);
	snprintf(what, sizeof(what), "%s[%lu]", directive, i);
	return check_name(p, what, v, err);
}

/* dkms: STRIP[i] starting with n/N means no; an empty one takes STRIP[0];
 * the default is yes. "0" also means no. */
static bool strip_of(const struct parse *p, unsigned long i)
{
	const char *v = elem(p, D_STRIP, i);

	if (!v)
		v = elem(p, D_STRIP, 0);
	return !v || !(v[0] == 'n' || v[0] == 'N' || strcmp(v, "0") == 0);
}

static int read_excl(const struct parse *p, unsigned long i, struct dks_spec_excl *x,
		     struct dks_error *err);

static int fill_module(const struct parse *p, unsigned long i, size_t n, struct dks_spec_module *m,
		       struct dks_error *err)
{
	/* dkms: a package of one module may leave its name out: the package's. */
	const char *built = elem(p, D_BUILT_MODULE_NAME, i);
	const char *dest = elem(p, D_DEST_MODULE_NAME, i);

	if (!built && n == 1)
		built = p->s->name;
	if (check_module_name(p, "BUILT_MODULE_NAME", i, built, err) < 0 ||
	    (dest && check_module_name(p, "DEST_MODULE_NAME", i, dest, err) < 0))
		return -1;
	if (dup_opt(p, built, &m->built_name, err) < 0 ||
	    dup_opt(p, dest ? dest : built, &m->dest_name, err) < 0 ||
	    set_built_location(p, i, &m->built_location, err) < 0 ||
	    set_dest_location(p, i, &m->dest_location, err) < 0)
		return -1;
	m->strip = strip_of(p, i);
	return i == 0 ? 0 : read_excl(p, i, &m->excl, err);
}

static unsigned long last_index(const struct dkmsconf_raw *r)
{
	return r->n ? r->el[r->n - 1].idx + 1 : 0;
}

/* How many modules, as dkms 3.4: one past the highest index set in any of
 * the four per-module arrays (they may be sparse: a record with a gap is
 * then missing its BUILT_MODULE_NAME, an error). Bounded: the installer
 * takes at most DKS_HANDOFF_MODULES. */
static int module_count(const struct parse *p, size_t *n, struct dks_error *err)
{
	static const enum dkmsconf_directive per_module[] = {
	    D_BUILT_MODULE_NAME, D_BUILT_MODULE_LOCATION, D_DEST_MODULE_NAME,
	    D_DEST_MODULE_LOCATION};
	unsigned long max = 0;

	for (size_t i = 0; i < sizeof(per_module) / sizeof(per_module[0]); i++)
		if (last_index(&p->v[per_module[i]]) > max)
			max = last_index(&p->v[per_module[i]]);
	if (max > DKS_HANDOFF_MODULES)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"%lu module records: at most %d", max, DKS_HANDOFF_MODULES);
	*n = max;
	return 0;
}

/* dkms: a built module is its location and name; no two the same, and no
 * two modules installed under one name. */
static int check_unique(const struct parse *p, struct dks_error *err)
{
	const struct dks_spec *s = p->s;

	for (size_t i = 0; i < s->n_modules; i++)
		for (size_t j = 0; j < i; j++) {
			const struct dks_spec_module *a = &s->modules[j], *b = &s->modules[i];

			if (strcmp(a->built_name, b->built_name) == 0 &&
			    strcmp(a->built_location, b->built_location) == 0)
				return dks_dkmsconf_bad(
				    p->conf, err, DKS_EXIT_BAD_CONF,
				    "Duplicate module '%s%s%s' in 'BUILT_MODULE_NAME[%zu]'",
				    b->built_location, *b->built_location ? "/" : "", b->built_name,
				    i);
			if (strcmp(a->dest_name, b->dest_name) == 0)
				return dks_dkmsconf_bad(
				    p->conf, err, DKS_EXIT_BAD_CONF,
				    "Duplicate module '%s' in 'DEST_MODULE_NAME[%zu]'",
				    b->dest_name, i);
		}
	return 0;
}

static int set_modules(struct parse *p, struct dks_error *err)
{
	size_t n = 0;

	if (module_count(p, &n, err) < 0)
		return -1;
	if (n == 0)
		return add_warning(p, err, "Zero modules specified.");
	p->s->modules = calloc(n, sizeof(*p->s->modules));
	if (!p->s->modules)
		return dks_err(err, ENOMEM, "%s", p->conf);
	for (; p->s->n_modules < n; p->s->n_modules++)
		if (fill_module(p, p->s->n_modules, n, &p->s->modules[p->s->n_modules], err) < 0) {
			p->s->n_modules++; /* freed with the spec */
			return -1;
		}
	return check_unique(p, err);
}

/* dkms: MAKE[0] unless MAKE_MATCH[0] is set; then the last MAKE[i] whose
 * MAKE_MATCH[i] matches the kernel; else NULL (dkms's default command). */
static int set_make(struct parse *p, struct dks_error *err)
{
	const char *make = elem(p, D_MAKE_MATCH, 0) ? NULL : elem(p, D_MAKE, 0);
	size_t n = p->v[D_MAKE].n;
	char what[64];

	if (check_dense(p, D_MAKE, err) < 0 || check_within(p, D_MAKE_MATCH, D_MAKE, n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *cmd = elem(p, D_MAKE, i), *re = elem(p, D_MAKE_MATCH, i);
		int m;

		if (!cmd || !re)
			continue;
		snprintf(what, sizeof(what), "MAKE_MATCH[%zu]", i);
		m = match(p, what, re, p->kver, err);
		if (m < 0)
			return -1;
		if (m)
			make = cmd;
	}
	return dup_opt(p, make, &p->s->make, err);
}

/* Kept as written: the build checks each (dkms refuses a missing patch or
 * a '..' in its path at build time, exit 5, not at add). */
static int add_patch(struct parse *p, const char *file, struct dks_error *err)
{
	struct dks_spec *s = p->s;
	struct dks_spec_patch *pa;

	pa = realloc(s->patches, (s->n_patches + 1) * sizeof(*pa));
	if (!pa)
		return dks_err(err, ENOMEM, "%s", p->conf);
	s->patches = pa;
	pa[s->n_patches] = (struct dks_spec_patch){0};
	if (dup_opt(p, file, &pa[s->n_patches].file, err) < 0)
		return -1;
	s->n_patches++;
	return 0;
}

/* dkms: every non-empty PATCH[i] whose PATCH_MATCH[i] is empty or matches. */
static int set_patches(struct parse *p, struct dks_error *err)
{
	size_t n = p->v[D_PATCH].n;
	char what[64];

	if (check_dense(p, D_PATCH, err) < 0 || check_within(p, D_PATCH_MATCH, D_PATCH, n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *file = elem(p, D_PATCH, i), *re = elem(p, D_PATCH_MATCH, i);
		int m = 1;

		if (!file)
			continue;
		snprintf(what, sizeof(what), "PATCH_MATCH[%zu]", i);
		if (re && (m = match(p, what, re, p->kver, err)) < 0)
			return -1;
		if (m && add_patch(p, file, err) < 0)
			return -1;
	}
	return 0;
}

static int set_scripts(struct parse *p, struct dks_error *err)
{
	static const struct {
		enum dkmsconf_directive d;
		size_t off;
	} scripts[] = {
	    {D_PRE_BUILD, offsetof(struct dks_spec, pre_build)},
	    {D_POST_BUILD, offsetof(struct dks_spec, post_build)},
	    {D_POST_ADD, offsetof(struct dks_spec, post_add)},
	    {D_PRE_INSTALL, offsetof(struct dks_spec, pre_install)},
	    {D_POST_INSTALL, offsetof(struct dks_spec, post_install)},
	    {D_POST_REMOVE, offsetof(struct dks_spec, post_remove)},
	    {D_OBSOLETE_BY, offsetof(struct dks_spec, obsolete_by)},
	};

	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		const char *v = scalar(p, scripts[i].d);
		char **dst = (char **)((char *)p->s + scripts[i].off);

		if (check_line(p, dks_dkmsconf_directive_names[scripts[i].d], v, err) < 0 ||
		    dup_opt(p, v, dst, err) < 0)
			return -1;
	}
	/* CLEAN is a command line, like MAKE: any shell text. */
	return dup_opt(p, scalar(p, D_CLEAN), &p->s->clean, err);
}

/* dkms 3.4: a yes/no directive is empty, yes or no (any case); "no" is
 * off like empty; anything else is a bad dkms.conf. */
static int yes_no(const struct parse *p, enum dkmsconf_directive d, bool *on, struct dks_error *err)
{
	const char *v = scalar(p, d);
	char b[80];

	*on = v && strcasecmp(v, "yes") == 0;
	if (v && !*on && strcasecmp(v, "no") != 0)
		return dks_dkmsconf_bad(
		    p->conf, err, DKS_EXIT_BAD_CONF, "Unsupported %s value '%s'",
		    dks_dkmsconf_directive_names[d], dks_dkmsconf_shown(v, b, sizeof(b)));
	return 0;
}

static int set_flags(struct parse *p, struct dks_error *err)
{
	size_t n = p->v[D_BUILD_DEPENDS].n;
	char what[64];

	if (yes_no(p, D_AUTOINSTALL, &p->s->autoinstall, err) < 0 ||
	    yes_no(p, D_BUILD_DEPENDS_REBUILD, &p->s->build_depends_rebuild, err) < 0 ||
	    yes_no(p, D_NO_WEAK_MODULES, &p->s->no_weak_modules, err) < 0)
		return -1;
	if (check_dense(p, D_BUILD_DEPENDS, err) < 0)
		return -1;
	p->s->build_depends = calloc(n + 1, sizeof(char *));
	if (!p->s->build_depends)
		return dks_err(err, ENOMEM, "%s", p->conf);
	for (; p->s->n_build_depends < n; p->s->n_build_depends++) {
		const char *v = elem(p, D_BUILD_DEPENDS, p->s->n_build_depends);

		snprintf(what, sizeof(what), "BUILD_DEPENDS[%zu]", p->s->n_build_depends);
		if (check_name(p, what, v, err) < 0 ||
		    dup_opt(p, v, &p->s->build_depends[p->s->n_build_depends], err) < 0)
			return -1;
	}
	return 0;
}

static int add_config_word(const struct parse *p, const char *what, struct dks_spec_excl *x,
			   const char *w, size_t len, struct dks_error *err)
{
	size_t name = len - (w[0] == '!');
	char **v;

	/* A Kconfig symbol, maybe negated: dkms greps "^WORD=[ym]" as a regex,
	 * so anything else could never match what it meant. */
	if (name == 0 ||
	    strspn(w + (w[0] == '!'), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789_") != name)
		return dks_dkmsconf_bad(p->conf, err, DKS_EXIT_BAD_CONF,
					"%s: '%.*s' is not CONFIG_X or !CONFIG_X", what, (int)len,
					w);
	v = realloc(x->config, (x->n_config + 1) * sizeof(*v));
	if (!v)
		return dks_err(err, ENOMEM, "%s", p->conf);
	x->config = v;
	if (!(v[x->n_config] = strndup(w, len)))
		return dks_err(err, ENOMEM, "%s", p->conf);
	x->n_config++;
	return 0;
}

static int read_excl_config(const struct parse *p, unsigned long i, struct dks_spec_excl *x,
			    struct dks_error *err)
{
	const char *v = elem(p, D_BUILD_EXCLUSIVE_CONFIG, i);
	static const char blanks[] = " \t\n";
	char what[64];

	snprintf(what, sizeof(what), i ? "BUILD_EXCLUSIVE_CONFIG[%lu]" : "BUILD_EXCLUSIVE_CONFIG",
		 i);
	while (v && *(v += strspn(v, blanks))) {
		size_t len = strcspn(v, blanks);

		if (add_config_word(p, what, x, v, len, err) < 0)
			return -1;
		v += len;
	}
	return 0;
}

/* BUILD_EXCLUSIVE_*[@i] into @x, each checked: one line; the regexes
 * valid (bash's =~ fails with status 2 on a bad one: an error now, not a
 * silent non-match at build time); the config words Kconfig symbols. */
static int read_excl(const struct parse *p, unsigned long i, struct dks_spec_excl *x,
		     struct dks_error *err)
{
	static const enum dkmsconf_directive d[] = {
	    D_BUILD_EXCLUSIVE_KERNEL, D_BUILD_EXCLUSIVE_KERNEL_MIN, D_BUILD_EXCLUSIVE_KERNEL_MAX,
	    D_BUILD_EXCLUSIVE_ARCH};
	char **dst[] = {&x->kernel, &x->kernel_min, &x->kernel_max, &x->arch};

	for (size_t k = 0; k < sizeof(d) / sizeof(d[0]); k++) {
		const char *v = elem(p, d[k], i);
		bool regex = d[k] == D_BUILD_EXCLUSIVE_KERNEL || d[k] == D_BUILD_EXCLUSIVE_ARCH;
		char what[64];

		snprintf(what, sizeof(what), i ? "%s[%lu]" : "%s",
			 dks_dkmsconf_directive_names[d[k]], i);
		if (check_line(p, what, v, err) < 0 ||
		    (v && regex && match(p, what, v, "", err) < 0))
			return -1;
		if (dup_opt(p, v, dst[k], err) < 0)
			return -1;
	}
	return read_excl_config(p, i, x, err);
}

/* The package's constraints: element 0 (dkms 3.4 reads the plain variable,
 * which is element 0, for the whole package). OBSOLETE_BY, deprecated, is
 * a BUILD_EXCLUSIVE_KERNEL_MAX when no module has one. */
static int set_exclusive(struct parse *p, struct dks_error *err)
{
	struct dks_spec *s = p->s;
	struct dks_spec_excl x = {0};
	bool module_max = false;
	int ret = read_excl(p, 0, &x, err);

	s->excl_kernel = x.kernel;
	s->excl_kernel_min = x.kernel_min;
	s->excl_kernel_max = x.kernel_max;
	s->excl_arch = x.arch;
	s->excl_config = x.config;
	s->n_excl_config = x.n_config;
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < s->n_modules; i++)
		module_max |= s->modules[i].excl.kernel_max != NULL;
	if (s->obsolete_by && !s->excl_kernel_max && !module_max)
		return dup_opt(p, s->obsolete_by, &s->excl_kernel_max, err);
	return 0;
}

/* dkms warns when any element of these is set ("Deprecated feature: X
 * (FILE)"), and ignores them. dkms 3.4 also warns for a CLEAN other than
 * true; Debian's 3.0.10 does not, and nearly every Debian package sets
 * CLEAN: no warning here (a line per package in every apt run). */
static int set_deprecated(struct parse *p, struct dks_error *err)
{
	static const enum dkmsconf_directive deprecated[] = {D_REMAKE_INITRD,
							     D_MODULES_CONF,
							     D_MODULES_CONF_OBSOLETES,
							     D_MODULES_CONF_ALIAS_TYPE,
							     D_MODULES_CONF_OBSOLETE_ONLY,
							     D_OBSOLETE_BY};

	for (size_t i = 0; i < sizeof(deprecated) / sizeof(deprecated[0]); i++) {
		enum dkmsconf_directive d = deprecated[i];

		if ((p->v[d].set || p->v[d].n) &&
		    add_warning(p, err, "Deprecated feature: %s%s", dks_dkmsconf_directive_names[d],
				d == D_OBSOLETE_BY ? ": use BUILD_EXCLUSIVE_KERNEL_MAX instead"
						   : "") < 0)
			return -1;
	}
	return 0;
}

int dks_dkmsconf_parse(const char *records, size_t len, const char *conf,
		       const struct dks_spec_target *t, struct dks_spec **out,
		       struct dks_error *err)
{
	__attribute__((cleanup(parse_clear))) struct parse p = {
	    .conf = conf,
	    .kver = t && t->kver ? t->kver : "",
	};

	*out = NULL;
	p.s = calloc(1, sizeof(*p.s));
	if (!p.s)
		return dks_err(err, ENOMEM, "%s", conf);
	if (dks_dkmsconf_read_records(conf, records, len, p.v, err) < 0 ||
	    set_package(&p, err) < 0 || set_modules(&p, err) < 0 || set_make(&p, err) < 0 ||
	    set_patches(&p, err) < 0 || set_scripts(&p, err) < 0 || set_flags(&p, err) < 0 ||
	    set_exclusive(&p, err) < 0 || set_deprecated(&p, err) < 0)
		return -1;
	*out = steal_pointer(&p.s);
	return 0;
}
