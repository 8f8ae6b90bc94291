// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a plan back (plan.h). A plan file is untrusted: it may come from
 * another machine, a CI artifact, a shared directory. It is read whole
 * (a regular file, at most DKS_PLAN_MAX_BYTES), parsed by the strict JSON
 * parser (common/jsonparse.c), then every field is checked here: known
 * keys only, each once, of its type; names as the tree accepts them;
 * digests 64 lowercase hex digits; units in the plan's order (so no unit
 * twice) with their index. The first violation is one line naming the
 * file and the field. Nothing of the plan is ever a path or a command:
 * its names are checked again by the tree, its tree paths are shown only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/json.h"
#include "dks/spec.h"
#include "dks/treename.h"
#include "plan.h"

struct walk {
	const char *name; /* the file, for messages */
	struct dks_error *err;
};

__attribute__((format(printf, 4, 5))) static int
bad(const struct walk *w, const struct dks_json *at, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err_code(w->err, DKS_EXIT_FAILURE, 0, "plan %s:%u: %s: %s", w->name,
			    at ? at->line : 1, field, msg);
}

/* @o an object whose keys are all in @known (NULL-terminated). */
static int only_keys(const struct walk *w, const struct dks_json *o, const char *field,
		     const char *const *known)
{
	if (o->type != DKS_JSON_OBJECT)
		return bad(w, o, field, "%s, not an object", dks_json_type_name(o->type));
	for (size_t i = 0; i < o->n; i++) {
		size_t k = 0;

		while (known[k] && strcmp(known[k], o->keys[i]) != 0)
			k++;
		if (!known[k])
			return bad(w, &o->items[i], field, "unknown key \"%.64s\"", o->keys[i]);
	}
	return 0;
}

static int get_string(const struct walk *w, const struct dks_json *o, const char *field,
		      const char *key, char **out)
{
	const struct dks_json *v = dks_json_get(o, key);

	if (!v)
		return bad(w, o, field, "no \"%s\"", key);
	if (v->type != DKS_JSON_STRING)
		return bad(w, v, field, "\"%s\" is %s, not a string", key,
			   dks_json_type_name(v->type));
	*out = strdup(v->s);
	return *out ? 0 : dks_err(w->err, ENOMEM, "plan %s", w->name);
}

static int get_name(const struct walk *w, const struct dks_json *o, const char *field,
		    const char *key, char **out)
{
	struct dks_error e = {0};

	if (get_string(w, o, field, key, out) < 0)
		return -1;
	if (dks_tree_check_name(key, *out, &e) < 0)
		return bad(w, dks_json_get(o, key), field, "%s", e.msg);
	return 0;
}

/* 64 lowercase hex digits ("" too when @may_be_empty). */
static int get_digest(const struct walk *w, const struct dks_json *o, const char *field,
		      const char *key, bool may_be_empty, char out[DKS_SHA256_HEX])
{
	cleanup_free char *s = NULL;

	if (get_string(w, o, field, key, &s) < 0)
		return -1;
	if (!(may_be_empty && !*s) &&
	    (strlen(s) != DKS_SHA256_HEX - 1 || strspn(s, "0123456789abcdef") != strlen(s)))
		return bad(w, dks_json_get(o, key), field, "\"%s\" is not a sha256 (64 hex digits)",
			   key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int inputs(const struct walk *w, const struct dks_json *o, const char *field,
		  struct dks_plan_unit *u)
{
	static const char *const keys[] = {"source", "spec",	"toolchain", "vermagic",
					   "config", "symvers", "vmlinux", NULL};

	if (!o)
		return bad(w, NULL, field, "no \"inputs\"");
	if (only_keys(w, o, field, keys) < 0 ||
	    get_digest(w, o, field, "source", false, u->source) < 0 ||
	    get_digest(w, o, field, "spec", false, u->spec) < 0 ||
	    get_digest(w, o, field, "toolchain", false, u->toolchain) < 0 ||
	    get_string(w, o, field, "vermagic", &u->vermagic) < 0 ||
	    get_digest(w, o, field, "config", true, u->config) < 0 ||
	    get_digest(w, o, field, "symvers", true, u->symvers) < 0 ||
	    get_digest(w, o, field, "vmlinux", true, u->vmlinux) < 0)
		return -1;
	return 0;
}

static int unit(const struct walk *w, const struct dks_json *o, size_t i, bool excluded,
		struct dks_plan_unit *u)
{
	static const char *const ukeys[] = {"index", "module", "version", "kernel",
					    "arch",  "digest", "inputs",  NULL};
	static const char *const xkeys[] = {"module", "version", "kernel", "arch", "reason", NULL};
	const struct dks_json *index = dks_json_get(o, "index");
	char field[64];

	snprintf(field, sizeof(field), "%s[%zu]", excluded ? "excluded" : "units", i);
	if (only_keys(w, o, field, excluded ? xkeys : ukeys) < 0 ||
	    get_name(w, o, field, "module", &u->module) < 0 ||
	    get_name(w, o, field, "version", &u->version) < 0 ||
	    get_name(w, o, field, "kernel", &u->kernel) < 0 ||
	    get_name(w, o, field, "arch", &u->arch) < 0)
		return -1;
	if (excluded)
		return get_string(w, o, field, "reason", &u->reason);
	if (!index || index->type != DKS_JSON_INT || index->i != (long long)i)
		return bad(w, index ? index : o, field, "\"index\" is not %zu", i);
	if (get_digest(w, o, field, "digest", false, u->digest) < 0)
		return -1;
	return inputs(w, dks_json_get(o, "inputs"), field, u);
}

static int unit_cmp(const struct dks_plan_unit *a, const struct dks_plan_unit *b);

static int units(const struct walk *w, const struct dks_json *o, const char *key,
		 struct dks_plan_unit **out, size_t *n)
{
	const struct dks_json *a = dks_json_get(o, key);

	if (!a || a->type != DKS_JSON_ARRAY)
		return bad(w, a ? a : o, key, "%s, not an array",
			   a ? dks_json_type_name(a->type) : "missing");
	if (a->n > DKS_PLAN_MAX_UNITS)
		return bad(w, a, key, "%zu units: at most %d", a->n, DKS_PLAN_MAX_UNITS);
	*out = calloc(a->n + 1, sizeof(**out));
	if (!*out)
		return dks_err(w->err, ENOMEM, "plan %s", w->name);
	for (size_t i = 0; i < a->n; i++) {
		*n = i + 1; /* a unit half read is freed with the others */
		if (unit(w, &a->items[i], i, strcmp(key, "excluded") == 0, &(*out)[i]) < 0)
			return -1;
		if (i && unit_cmp(&(*out)[i - 1], &(*out)[i]) >= 0)
			return bad(w, &a->items[i], key,
				   "[%zu] is not after [%zu] in the plan's order (module, version, "
				   "kernel, arch; each unit once)",
				   i, i - 1);
	}
	return 0;
}

static int top(const struct walk *w, const struct dks_json *o, struct dks_plan *p)
{
	static const char *const keys[] = {"format",	"version", "trees",    "profile",
					   "toolchain", "units",   "excluded", NULL};
	static const char *const tkeys[] = {"dkmstree", "sourcetree", "installtree", NULL};
	const struct dks_json *ver = dks_json_get(o, "version"), *trees;
	cleanup_free char *format = NULL;

	if (only_keys(w, o, "plan", keys) < 0 || get_string(w, o, "plan", "format", &format) < 0)
		return -1;
	if (strcmp(format, DKS_PLAN_FORMAT) != 0)
		return bad(w, dks_json_get(o, "format"), "format", "not \"%s\"", DKS_PLAN_FORMAT);
	if (!ver || ver->type != DKS_JSON_INT || ver->i != DKS_PLAN_VERSION)
		return bad(w, ver ? ver : o, "version",
			   "not %d (this dkms-sandbox reads plans of "
			   "format version %d only)",
			   DKS_PLAN_VERSION, DKS_PLAN_VERSION);
	trees = dks_json_get(o, "trees");
	if (!trees)
		return bad(w, o, "trees", "missing");
	p->version = ver->i;
	if (only_keys(w, trees, "trees", tkeys) < 0 ||
	    get_string(w, trees, "trees", "dkmstree", &p->dkmstree) < 0 ||
	    get_string(w, trees, "trees", "sourcetree", &p->sourcetree) < 0 ||
	    get_string(w, trees, "trees", "installtree", &p->installtree) < 0 ||
	    get_string(w, o, "plan", "profile", &p->profile) < 0 ||
	    get_string(w, o, "plan", "toolchain", &p->toolchain_label) < 0 ||
	    units(w, o, "units", &p->units, &p->n_units) < 0)
		return -1;
	return units(w, o, "excluded", &p->excluded, &p->n_excluded);
}

int dks_plan_parse(const char *buf, size_t len, const char *name, struct dks_plan **out,
		   struct dks_error *err)
{
	struct walk w = {.name = name, .err = err};
	struct dks_json *j = NULL;
	struct dks_plan *p;
	char where[256];
	int ret;

	*out = NULL;
	if (len > DKS_PLAN_MAX_BYTES)
		return dks_err(err, 0, "plan %s: %zu bytes: at most %u", name, len,
			       DKS_PLAN_MAX_BYTES);
	snprintf(where, sizeof(where), "plan %s", name);
	if (dks_json_parse(buf, len, where, &j, err) < 0)
		return -1;
	p = calloc(1, sizeof(*p));
	ret = p ? top(&w, j, p) : dks_err(err, ENOMEM, "plan %s", name);
	dks_json_free(j);
	if (ret < 0) {
		dks_plan_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int dks_plan_load(const char *path, struct dks_plan **out, struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t n;

	*out = NULL;
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "plan %s", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "plan %s: not a regular file", path);
	if (st.st_size > (off_t)DKS_PLAN_MAX_BYTES)
		return dks_err(err, 0, "plan %s: %lld bytes: at most %u", path,
			       (long long)st.st_size, DKS_PLAN_MAX_BYTES);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return dks_err(err, ENOMEM, "plan %s", path);
	/* one byte more than it said: a file that grew is refused, not cut */
	n = dks_read_full(fd, buf, (size_t)st.st_size + 1);
	if (n < 0)
		return dks_err(err, errno, "plan %s", path);
	if (n > st.st_size)
		return dks_err(err, 0, "plan %s: it grew while being read", path);
	return dks_plan_parse(buf, (size_t)n, path, out, err);
}

/* ---- order and lifetime ---- */

static int unit_cmp(const struct dks_plan_unit *a, const struct dks_plan_unit *b)
{
	int c = strcmp(a->module, b->module);

	if (!c)
		c = dks_version_cmp(a->version, b->version);
	if (!c)
		c = strcmp(a->version, b->version);
	if (!c)
		c = dks_version_cmp(a->kernel, b->kernel);
	if (!c)
		c = strcmp(a->kernel, b->kernel);
	return c ? c : strcmp(a->arch, b->arch);
}

static int unit_qcmp(const void *a, const void *b)
{
	return unit_cmp(a, b);
}

void dks_plan_sort(struct dks_plan_unit *u, size_t n)
{
	if (n > 1)
		qsort(u, n, sizeof(*u), unit_qcmp);
}

void dks_plan_unit_clear(struct dks_plan_unit *u)
{
	free(u->module);
	free(u->version);
	free(u->kernel);
	free(u->arch);
	free(u->vermagic);
	free(u->reason);
	memset(u, 0, sizeof(*u));
}

void dks_plan_free(struct dks_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_units; i++)
		dks_plan_unit_clear(&p->units[i]);
	for (size_t i = 0; i < p->n_excluded; i++)
		dks_plan_unit_clear(&p->excluded[i]);
	free(p->units);
	free(p->excluded);
	free(p->dkmstree);
	free(p->sourcetree);
	free(p->installtree);
	free(p->profile);
	free(p->toolchain_label);
	free(p);
}
