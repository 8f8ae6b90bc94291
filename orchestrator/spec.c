// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module spec (include/dks/spec.h): freeing it, comparing versions the
 * way dkms does, and deciding whether BUILD_EXCLUSIVE_* excludes a kernel
 * (the package, or, with dkms 3.4's per-module arrays, single modules).
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/regexcost.h"
#include "dks/cleanup.h"
#include "dks/spec.h"

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void module_clear(struct dks_spec_module *m)
{
	free(m->built_name);
	free(m->built_location);
	free(m->dest_name);
	free(m->dest_location);
	free(m->excl.kernel);
	free(m->excl.kernel_min);
	free(m->excl.kernel_max);
	free(m->excl.arch);
	free_strv(m->excl.config, m->excl.n_config);
}

bool dks_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

bool dks_path_has_dotdot(const char *path)
{
	for (const char *c = path; (c = strstr(c, "..")); c += 2)
		if ((c == path || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
			return true;
	return false;
}

void dks_spec_free(struct dks_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_modules; i++)
		module_clear(&s->modules[i]);
	free(s->modules);
	for (size_t i = 0; i < s->n_patches; i++)
		free(s->patches[i].file);
	free(s->patches);
	free(s->name);
	free(s->version);
	free(s->make);
	free(s->clean);
	free(s->pre_build);
	free(s->post_build);
	free(s->post_add);
	free(s->pre_install);
	free(s->post_install);
	free(s->post_remove);
	free_strv(s->build_depends, s->n_build_depends);
	free(s->obsolete_by);
	free(s->excl_kernel);
	free(s->excl_kernel_min);
	free(s->excl_kernel_max);
	free(s->excl_arch);
	free_strv(s->excl_config, s->n_excl_config);
	free(s->source);
	free_strv(s->warnings, s->n_warnings);
	free(s);
}

/* ---- versions ------------------------------------------------------------ */

/* Weight of a character in a non-digit run, as dpkg and GNU sort -V order
 * them: '~' sorts before everything (even the end), letters before other
 * characters. */
static int char_order(unsigned char c)
{
	if (isdigit(c) || c == '\0')
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	return c + 256;
}

static int cmp_nondigits(const char **pa, const char **pb)
{
	const char *a = *pa, *b = *pb;

	while ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b))) {
		int d = char_order((unsigned char)*a) - char_order((unsigned char)*b);

		if (d)
			return d;
		a++;
		b++;
	}
	*pa = a;
	*pb = b;
	return 0;
}

/* Digit runs compare as numbers of any length: skip leading zeros, then
 * the longer run is bigger, else the first differing digit decides. */
static int cmp_digits(const char **pa, const char **pb)
{
	const char *a = *pa, *b = *pb;
	size_t la, lb;
	int d;

	while (*a == '0')
		a++;
	while (*b == '0')
		b++;
	for (la = 0; isdigit((unsigned char)a[la]); la++)
		;
	for (lb = 0; isdigit((unsigned char)b[lb]); lb++)
		;
	*pa = a + la;
	*pb = b + lb;
	if (la != lb)
		return la < lb ? -1 : 1;
	d = strncmp(a, b, la);
	return d < 0 ? -1 : d > 0;
}

int dks_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		int d = cmp_nondigits(&a, &b);

		if (!d)
			d = cmp_digits(&a, &b);
		if (d)
			return d < 0 ? -1 : 1;
	}
	return 0;
}

/* ---- BUILD_EXCLUSIVE_* --------------------------------------------------- */

/* 1: @re matches @s, 0: it does not, -1: @re is not a valid POSIX ERE. The
 * search is unanchored, like bash's [[ s =~ re ]] that dkms uses. */
static int regex_matches(const char *re, const char *s)
{
	regex_t r;
	int m;

	if (dks_regex_too_big(re) || regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return -1;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

/* One line: "name/version: skipped for kernel K: <reason>", exit 77. */
__attribute__((format(printf, 4, 5))) static int excluded(const struct dks_spec *s,
							  const struct dks_spec_target *t,
							  struct dks_error *err, const char *fmt,
							  ...)
{
	char why[DKS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return dks_err_code(err, DKS_EXIT_EXCLUDED, 0, "%s/%s: skipped for kernel %s: %s", s->name,
			    s->version, t->kver, why);
}

static int bad_regex(const struct dks_spec *s, const char *directive, const char *re,
		     struct dks_error *err)
{
	return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
			    "%s: %s '%s' is not a valid regular expression",
			    s->source ? s->source : s->name, directive, re);
}

static int check_kernel(const struct dks_spec *s, const struct dks_spec_target *t,
			struct dks_error *err)
{
	int m = s->excl_kernel ? regex_matches(s->excl_kernel, t->kver) : 1;

	if (m < 0)
		return bad_regex(s, "BUILD_EXCLUSIVE_KERNEL", s->excl_kernel, err);
	if (!m)
		return excluded(s, t, err, "BUILD_EXCLUSIVE_KERNEL '%s' does not match",
				s->excl_kernel);
	/* dkms 3.x: excluded when kver < MIN or kver > MAX (both inclusive),
	 * compared like sort -V. */
	if (s->excl_kernel_min && dks_version_cmp(t->kver, s->excl_kernel_min) < 0)
		return excluded(s, t, err, "older than BUILD_EXCLUSIVE_KERNEL_MIN %s",
				s->excl_kernel_min);
	if (s->excl_kernel_max && dks_version_cmp(t->kver, s->excl_kernel_max) > 0)
		return excluded(s, t, err, "newer than BUILD_EXCLUSIVE_KERNEL_MAX %s",
				s->excl_kernel_max);
	return 0;
}

static int check_arch(const struct dks_spec *s, const struct dks_spec_target *t,
		      struct dks_error *err)
{
	const char *arch = t->arch ? t->arch : "";
	int m = s->excl_arch ? regex_matches(s->excl_arch, arch) : 1;

	if (m < 0)
		return bad_regex(s, "BUILD_EXCLUSIVE_ARCH", s->excl_arch, err);
	if (!m)
		return excluded(s, t, err, "BUILD_EXCLUSIVE_ARCH '%s' does not match %s",
				s->excl_arch, arch);
	return 0;
}

/* Is "NAME=y" or "NAME=m" (quoted or not) this .config line? */
static bool line_sets(const char *line, const char *name)
{
	size_t n = strlen(name);
	const char *v = line + n + 1;

	if (strncmp(line, name, n) != 0 || line[n] != '=')
		return false;
	if (*v == '"')
		v++;
	return (*v == 'y' || *v == 'm') && (v[1] == '\0' || v[1] == '"' || v[1] == '\n');
}

/* Which of the words' options are y or m in @f: set[i]. */
static int read_config_set(FILE *f, char *const *words, size_t n, bool *set)
{
	cleanup_free char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, f) >= 0) {
		if (line[0] == '#')
			continue;
		for (size_t i = 0; i < n; i++)
			if (line_sets(line, words[i] + (words[i][0] == '!')))
				set[i] = true;
	}
	return ferror(f) ? -1 : 0;
}

static int check_config(const struct dks_spec *s, const struct dks_spec_target *t,
			const char *config, struct dks_error *err)
{
	cleanup_fclose FILE *f = NULL;
	cleanup_free bool *set = NULL;
	if (!s->n_excl_config || !config)
		return 0;
	f = fopen(config, "re");
	/* dkms checks BUILD_EXCLUSIVE_CONFIG only when the .config exists. */
	if (!f && errno == ENOENT)
		return 0;
	set = calloc(s->n_excl_config, sizeof(*set));
	if (!f || !set || read_config_set(f, s->excl_config, s->n_excl_config, set) < 0)
		return dks_err(err, f && set ? EIO : errno, "%s", config);
	for (size_t i = 0; i < s->n_excl_config; i++) {
		const char *w = s->excl_config[i];
		bool negated = w[0] == '!';

		if (set[i] == negated)
			return excluded(s, t, err, "BUILD_EXCLUSIVE_CONFIG %s: %s is %s in %s", w,
					w + negated, negated ? "set" : "not set (y or m)", config);
	}
	return 0;
}

int dks_spec_check_exclusive(const struct dks_spec *s, const struct dks_spec_target *t,
			     const char *config, struct dks_error *err)
{
	if (!t || !t->kver)
		return dks_err(err, 0, "%s: no kernel to check BUILD_EXCLUSIVE_* against", s->name);
	if (check_kernel(s, t, err) < 0 || check_arch(s, t, err) < 0 ||
	    check_config(s, t, config, err) < 0)
		return -1;
	return 0;
}

static bool module_constrained(const struct dks_spec_module *m)
{
	return m->excl.kernel || m->excl.kernel_min || m->excl.kernel_max || m->excl.arch ||
	       m->excl.n_config;
}

/* Module @m's own constraints, checked through a view of @s that carries
 * them in place of the package's (read only, nothing owned). */
static int check_module(const struct dks_spec *s, const struct dks_spec_module *m,
			const struct dks_spec_target *t, const char *config, struct dks_error *err)
{
	struct dks_spec view = *s;

	view.excl_kernel = m->excl.kernel;
	view.excl_kernel_min = m->excl.kernel_min;
	view.excl_kernel_max = m->excl.kernel_max;
	view.excl_arch = m->excl.arch;
	view.excl_config = m->excl.config;
	view.n_excl_config = m->excl.n_config;
	return dks_spec_check_exclusive(&view, t, config, err);
}

int dks_spec_exclude_modules(struct dks_spec *s, const struct dks_spec_target *t,
			     const char *config, struct dks_error *err)
{
	struct dks_error why = {0};
	size_t kept = 0, n = s->n_modules;

	if (dks_spec_check_exclusive(s, t, config, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dks_error e = {0};

		if (!module_constrained(&s->modules[i]) ||
		    check_module(s, &s->modules[i], t, config, &e) == 0) {
			s->modules[kept++] = s->modules[i];
			continue;
		}
		if (e.exit_code != DKS_EXIT_EXCLUDED) {
			*err = e;
			return -1;
		}
		why = e;
		module_clear(&s->modules[i]);
	}
	s->n_modules = kept;
	if (kept == 0 && n > 0 && why.exit_code == DKS_EXIT_EXCLUDED)
		return dks_err_code(err, DKS_EXIT_EXCLUDED, 0,
				    "%s (BUILD_EXCLUSIVE_*[i] excludes every module)", why.msg);
	return 0;
}
