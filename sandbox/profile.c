// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sandbox profiles (include/dks/profile.h), read with libyaml's document
 * loader. Every key is looked up in a table and every value checked: a typo
 * in a profile must be an error with its line, never a sandbox that is
 * silently wider (or narrower) than its author meant.
 *
 * A profile is laid over the embedded default profile, key by key: what a
 * file leaves out is the default's, and a list it gives replaces the
 * default's list whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "dks/cleanup.h"
#include "dks/profile.h"
#include "dks/yamldoc.h"

/* A profile is a page of YAML: anything much larger is not one. */
#define PROFILE_MAX_SIZE (1024 * 1024)
#define EMBEDDED_DIR "<embedded>"
#define PROFILE_DIR DKS_SYSCONFDIR "/dkms-sandbox/profiles"

/* sandbox/profiles_embed.S: profiles/NAME.yaml, NUL-terminated. */
/* The embedded profiles parsed and compiled at build time
 * (profiles/compile.c); empty while that compiler itself is built. */
extern const struct dks_profile *const dks_profiles_compiled[];

extern const char dks_embedded_default[], dks_embedded_strict[],
	dks_embedded_debug[];

const char *const dks_profile_builtin_names[] = { "default", "strict", "debug",
						   NULL };
/* Same order as dks_profile_builtin_names. */
static const char *const builtin_texts[] = { dks_embedded_default,
					     dks_embedded_strict,
					     dks_embedded_debug };
_Static_assert(sizeof(builtin_texts) / sizeof(builtin_texts[0]) + 1 ==
		       sizeof(dks_profile_builtin_names) /
			       sizeof(dks_profile_builtin_names[0]),
	       "one embedded text per builtin name");

/* ---- string vectors (NULL-terminated, with a count beside) ---- */

static bool strv_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void dks_profile_free(struct dks_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->source);
	dks_strv_free(p->allow);
	dks_strv_free(p->enosys);
	dks_strv_free(p->etc);
	free(p);
}

static void profile_freep(struct dks_profile **p)
{
	dks_profile_free(*p);
}
#define cleanup_profile __attribute__((cleanup(profile_freep)))

/* ---- walking a loaded document ---- */

struct ctx {
	const char *source; /* file name for messages */
	yaml_document_t *doc;
	struct dks_error *err;
};


__attribute__((format(printf, 3, 4))) static int
fail_at(const struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dks_yaml_vfail(c->err, 1, c->source, n, fmt, ap);
	va_end(ap);
	return r;
}

static yaml_node_t *node(const struct ctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return n->data.scalar.length ? "a scalar" : "nothing";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static const char *text_of(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* The text of scalar @n, or NULL after an error naming @what. */
static const char *scalar(const struct ctx *c, const yaml_node_t *n,
			  const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail_at(c, n, "'%s' must be a scalar, got %s", what, kind(n));
		return NULL;
	}
	if (strlen(text_of(n)) != n->data.scalar.length) {
		fail_at(c, n, "'%s' contains a NUL character", what);
		return NULL;
	}
	return text_of(n);
}

/* ---- one table per mapping: every key a profile may hold ---- */

struct field;
typedef int parse_fn(const struct ctx *c, const yaml_node_t *val,
		     const struct field *f, struct dks_profile *p);

struct field {
	const char *key;
	const char *path; /* the full key, for messages */
	parse_fn *parse;
	size_t off; /* of the value in struct dks_profile, for scalars */
};

#define MEMBER(p, f, type) ((type *)(void *)((char *)(p) + (f)->off))

static const struct field *find_field(const struct field *fields,
				      const char *key)
{
	for (const struct field *f = fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static int unknown_key(const struct ctx *c, const yaml_node_t *key,
		       const char *path, const struct field *fields)
{
	char known[256] = "";
	size_t used = 0;

	for (const struct field *f = fields; f->key && used < sizeof(known);
	     f++) {
		int n = snprintf(known + used, sizeof(known) - used, "%s%s",
				 used ? ", " : "", f->key);
		used += n > 0 ? (size_t)n : 0;
	}
	if (!path)
		return fail_at(c, key, "unknown key '%s' (known: %s)",
			       text_of(key), known);
	return fail_at(c, key, "unknown key '%s' in '%s' (known: %s)",
		       text_of(key), path, known);
}

/* Keys are scalars, each at most once in a mapping: libyaml would keep
 * both, and which one wins would be ours to guess. */
static int check_key(const struct ctx *c, const yaml_node_t *map,
		     const yaml_node_pair_t *pair, const char *path)
{
	const yaml_node_t *key = node(c, pair->key);

	if (key->type != YAML_SCALAR_NODE ||
	    strlen(text_of(key)) != key->data.scalar.length)
		return fail_at(c, key, "a key%s%s%s must be a plain name",
			       path ? " in '" : "", path ? path : "",
			       path ? "'" : "");
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start;
	     q < pair; q++) {
		const yaml_node_t *prev = node(c, q->key);

		if (strcmp(text_of(prev), text_of(key)) == 0)
			return fail_at(c, key,
				       "duplicate key '%s' (first on line %lu)",
				       text_of(key), dks_yaml_line(prev));
	}
	return 0;
}

/* Parse the mapping @map against @fields; @path is NULL at the top. */
static int walk_mapping(const struct ctx *c, const yaml_node_t *map,
			const char *path, const struct field *fields,
			struct dks_profile *p)
{
	if (map->type != YAML_MAPPING_NODE) {
		if (!path)
			return fail_at(c, map,
				       "a profile must be a mapping, got %s",
				       kind(map));
		return fail_at(c, map, "'%s' must be a mapping, got %s", path,
			       kind(map));
	}
	for (const yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = node(c, pair->key);
		const struct field *f;

		if (check_key(c, map, pair, path) < 0)
			return -1;
		f = find_field(fields, text_of(key));
		if (!f)
			return unknown_key(c, key, path, fields);
		if (f->parse(c, node(c, pair->value), f, p) < 0)
			return -1;
	}
	return 0;
}

static const yaml_node_t *mapping_get(const struct ctx *c,
				      const yaml_node_t *map, const char *key)
{
	for (const yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++)
		if (strcmp(text_of(node(c, pair->key)), key) == 0)
			return node(c, pair->value);
	return NULL;
}

/* ---- scalar values ---- */

static int parse_name(const struct ctx *c, const yaml_node_t *val,
		      const struct field *f, struct dks_profile *p)
{
	const char *s = scalar(c, val, f->path);
	char *copy;

	if (!s)
		return -1;
	if (!*s)
		return fail_at(c, val, "'%s' must not be empty", f->path);
	copy = strdup(s);
	if (!copy)
		return dks_err(c->err, ENOMEM, "%s", c->source);
	free(p->name);
	p->name = copy;
	return 0;
}

static int parse_mode(const struct ctx *c, const yaml_node_t *val,
		      const struct field *f, struct dks_profile *p)
{
	static const struct {
		const char *name;
		enum dks_seccomp_mode mode;
	} modes[] = { { "enforce", DKS_SECCOMP_ENFORCE },
		      { "log", DKS_SECCOMP_LOG } };
	const char *s = scalar(c, val, f->path);

	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, modes[i].name) == 0) {
			p->seccomp_mode = modes[i].mode;
			return 0;
		}
	}
	return fail_at(c, val, "unknown '%s' '%s' (known: enforce, log)",
		       f->path, s);
}

static int parse_bool(const struct ctx *c, const yaml_node_t *val,
		      const struct field *f, struct dks_profile *p)
{
	const char *s = scalar(c, val, f->path);

	if (!s)
		return -1;
	if (strcmp(s, "true") == 0)
		*MEMBER(p, f, bool) = true;
	else if (strcmp(s, "false") == 0)
		*MEMBER(p, f, bool) = false;
	else
		return fail_at(c, val, "'%s' must be true or false, got '%s'",
			       f->path, s);
	return 0;
}

/* Decimal digits, then (if @sizes) one optional K, M or G suffix: powers
 * of 1024. 0, -EINVAL when malformed, -ERANGE when over UINT64_MAX. */
static int to_u64(const char *s, bool sizes, uint64_t *out)
{
	static const char suffixes[] = "KMG";
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s) {
		const char *suffix = sizes ? strchr(suffixes, *s) : NULL;
		unsigned shift;

		if (!suffix || s[1])
			return -EINVAL;
		shift = 10 * (unsigned)(suffix - suffixes + 1);
		if (v > UINT64_MAX >> shift)
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}

/* A number in [@min, @max] into *@out. */
static int parse_number(const struct ctx *c, const yaml_node_t *val,
			const struct field *f, bool sizes, uint64_t min,
			uint64_t max, uint64_t *out)
{
	const char *what = sizes ? "a size (bytes, or a number with K, M or "
				   "G)" :
				   "a whole number";
	const char *s = scalar(c, val, f->path);
	int rc;

	if (!s)
		return -1;
	rc = to_u64(s, sizes, out);
	if (rc == -EINVAL)
		return fail_at(c, val, "'%s' must be %s, got '%s'", f->path,
			       what, s);
	if (rc == -ERANGE || *out > max)
		return fail_at(c, val, "'%s' is too large: '%s'", f->path, s);
	if (*out < min)
		return fail_at(c, val, "'%s' must be at least %llu, got '%s'",
			       f->path, (unsigned long long)min, s);
	return 0;
}

static int parse_size(const struct ctx *c, const yaml_node_t *val,
		      const struct field *f, struct dks_profile *p)
{
	return parse_number(c, val, f, true, 0, UINT64_MAX,
			    MEMBER(p, f, uint64_t));
}

static int parse_count(const struct ctx *c, const yaml_node_t *val,
		       const struct field *f, struct dks_profile *p)
{
	return parse_number(c, val, f, false, 1, UINT64_MAX,
			    MEMBER(p, f, uint64_t));
}

static int parse_seconds(const struct ctx *c, const yaml_node_t *val,
			 const struct field *f, struct dks_profile *p)
{
	uint64_t v = 0;

	if (parse_number(c, val, f, false, 0, UINT_MAX, &v) < 0)
		return -1;
	*MEMBER(p, f, unsigned) = (unsigned)v;
	return 0;
}

/* ---- lists ---- */

struct list_kind {
	const char *what; /* "syscall names", in "must be a sequence of" */
	const char *noun; /* "syscall", in "duplicate syscall 'x'" */
	int (*check)(const struct ctx *c, const yaml_node_t *item,
		     const char *path);
};

static int check_syscall(const struct ctx *c, const yaml_node_t *item,
			 const char *path)
{
	if (seccomp_syscall_resolve_name(text_of(item)) == __NR_SCMP_ERROR)
		return fail_at(c, item, "unknown syscall '%s' in '%s'",
			       text_of(item), path);
	return 0;
}

/* An /etc entry is bound at /etc/NAME: it must stay below /etc. */
static int check_etc_name(const struct ctx *c, const yaml_node_t *item,
			  const char *path)
{
	const char *s = text_of(item);

	if (*s == '/')
		return fail_at(c, item,
			       "'%s' entry '%s' must be relative to /etc", path,
			       s);
	for (const char *comp = s;; comp++) {
		size_t len = strcspn(comp, "/");

		if (len == 0 || (len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return fail_at(c, item,
				       "'%s' entry '%s' has an empty, '.' or "
				       "'..' component",
				       path, s);
		comp += len;
		if (!*comp)
			return 0;
	}
}

static const struct list_kind syscall_list = { "syscall names", "syscall",
					       check_syscall };
static const struct list_kind etc_list = { "names under /etc", "entry",
					   check_etc_name };

static int check_item(const struct ctx *c, const yaml_node_t *seq, size_t i,
		      const struct field *f, const struct list_kind *k)
{
	const yaml_node_t *item = node(c, seq->data.sequence.items.start[i]);

	if (item->type != YAML_SCALAR_NODE ||
	    strlen(text_of(item)) != item->data.scalar.length)
		return fail_at(c, item,
			       "'%s' must be a sequence of %s, got %s in it",
			       f->path, k->what, kind(item));
	return k->check(c, item, f->path);
}

struct sorted_item {
	const char *text;
	size_t index;
};

static int by_text_then_index(const void *a, const void *b)
{
	const struct sorted_item *x = a, *y = b;
	int r = strcmp(x->text, y->text);

	if (r)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicates, found by sorting (a profile lists hundreds of syscalls):
 * the error names the first repeated item in document order. */
static int check_duplicates(const struct ctx *c, const yaml_node_t *seq, char **v,
			    size_t count, const struct field *f, const struct list_kind *k)
{
	cleanup_free struct sorted_item *s = calloc(count + 1, sizeof(*s));
	size_t dup = count, first = 0;

	if (!s)
		return dks_err(c->err, ENOMEM, "%s", c->source);
	for (size_t i = 0; i < count; i++)
		s[i] = (struct sorted_item){v[i], i};
	qsort(s, count, sizeof(*s), by_text_then_index);
	for (size_t i = 1; i < count; i++) {
		if (strcmp(s[i].text, s[i - 1].text) == 0 && s[i].index < dup) {
			dup = s[i].index;
			first = s[i - 1].index;
		}
	}
	if (dup == count)
		return 0;
	return fail_at(c, node(c, seq->data.sequence.items.start[dup]),
		       "duplicate %s '%s' in '%s' (first on line %lu)", k->noun, v[dup],
		       f->path, dks_yaml_line(node(c, seq->data.sequence.items.start[first])));
}

/* Replace *@list with the checked items of @seq. */
static int parse_list(const struct ctx *c, const yaml_node_t *seq,
		      const struct field *f, const struct list_kind *k,
		      char ***list, size_t *n)
{
	cleanup_strv char **v = NULL;
	size_t count;

	if (seq->type != YAML_SEQUENCE_NODE)
		return fail_at(c, seq, "'%s' must be a sequence of %s, got %s",
			       f->path, k->what, kind(seq));
	count = (size_t)(seq->data.sequence.items.top -
			 seq->data.sequence.items.start);
	v = calloc(count + 1, sizeof(*v));
	if (!v)
		return dks_err(c->err, ENOMEM, "%s", c->source);
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item =
			node(c, seq->data.sequence.items.start[i]);

		if (check_item(c, seq, i, f, k) < 0)
			return -1;
		v[i] = strdup(text_of(item));
		if (!v[i])
			return dks_err(c->err, ENOMEM, "%s", c->source);
	}
	if (check_duplicates(c, seq, v, count, f, k) < 0)
		return -1;
	dks_strv_free(*list);
	*list = steal_pointer(&v);
	*n = count;
	return 0;
}

static int parse_allow(const struct ctx *c, const yaml_node_t *val,
		       const struct field *f, struct dks_profile *p)
{
	return parse_list(c, val, f, &syscall_list, &p->allow, &p->n_allow);
}

static int parse_enosys(const struct ctx *c, const yaml_node_t *val,
			const struct field *f, struct dks_profile *p)
{
	return parse_list(c, val, f, &syscall_list, &p->enosys, &p->n_enosys);
}

static int parse_etc(const struct ctx *c, const yaml_node_t *val,
		     const struct field *f, struct dks_profile *p)
{
	return parse_list(c, val, f, &etc_list, &p->etc, &p->n_etc);
}

/* ---- sections ---- */

#define OFF(member) offsetof(struct dks_profile, member)

static const struct field rules_fields[] = {
	{ "deny_namespace_clone", "seccomp.rules.deny_namespace_clone",
	  parse_bool, OFF(deny_namespace_clone) },
	{ "deny_setid_mode", "seccomp.rules.deny_setid_mode", parse_bool,
	  OFF(deny_setid_mode) },
	{ "deny_tty_injection", "seccomp.rules.deny_tty_injection", parse_bool,
	  OFF(deny_tty_injection) },
	{ NULL, NULL, NULL, 0 },
};

static const struct field limits_fields[] = {
	{ "timeout", "limits.timeout", parse_seconds, OFF(limits.timeout) },
	{ "memory", "limits.memory", parse_size, OFF(limits.memory) },
	{ "file_size", "limits.file_size", parse_size, OFF(limits.file_size) },
	{ "open_files", "limits.open_files", parse_count,
	  OFF(limits.open_files) },
	{ "processes", "limits.processes", parse_count, OFF(limits.processes) },
	{ "tmp_size", "limits.tmp_size", parse_size, OFF(limits.tmp_size) },
	{ NULL, NULL, NULL, 0 },
};

static int parse_rules(const struct ctx *c, const yaml_node_t *val,
		       const struct field *f, struct dks_profile *p)
{
	return walk_mapping(c, val, f->path, rules_fields, p);
}

static int parse_limits(const struct ctx *c, const yaml_node_t *val,
			const struct field *f, struct dks_profile *p)
{
	return walk_mapping(c, val, f->path, limits_fields, p);
}

static const struct field seccomp_fields[] = {
	{ "mode", "seccomp.mode", parse_mode, 0 },
	{ "allow", "seccomp.allow", parse_allow, 0 },
	{ "enosys", "seccomp.enosys", parse_enosys, 0 },
	{ "rules", "seccomp.rules", parse_rules, 0 },
	{ NULL, NULL, NULL, 0 },
};

/* The first item of @seq that is in @others is an error. */
static int find_overlap(const struct ctx *c, const yaml_node_t *seq,
			char *const *others, size_t n, const char *note)
{
	for (const yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *item = node(c, *it);

		if (strv_has(others, n, text_of(item)))
			return fail_at(c, item,
				       "syscall '%s' is in both "
				       "'seccomp.allow' and 'seccomp.enosys'%s",
				       text_of(item), note);
	}
	return 0;
}

/* A syscall both allowed and ENOSYS has no meaning: say so where the file
 * put it (the other list may be the default profile's). */
static int check_disjoint(const struct ctx *c, const yaml_node_t *map,
			  const struct dks_profile *p)
{
	const yaml_node_t *enosys = mapping_get(c, map, "enosys");
	const yaml_node_t *allow = mapping_get(c, map, "allow");

	if (enosys)
		return find_overlap(c, enosys, p->allow, p->n_allow,
				    allow ? "" :
					    " (the allow-list is the default "
					    "profile's)");
	if (allow)
		return find_overlap(c, allow, p->enosys, p->n_enosys,
				    " (enosys is the default profile's)");
	return 0;
}

static int parse_seccomp(const struct ctx *c, const yaml_node_t *val,
			 const struct field *f, struct dks_profile *p)
{
	if (walk_mapping(c, val, f->path, seccomp_fields, p) < 0)
		return -1;
	return check_disjoint(c, val, p);
}

static const struct field top_fields[] = {
	{ "name", "name", parse_name, 0 },
	{ "seccomp", "seccomp", parse_seccomp, 0 },
	{ "landlock", "landlock", parse_bool, OFF(landlock) },
	{ "etc", "etc", parse_etc, 0 },
	{ "limits", "limits", parse_limits, 0 },
	{ NULL, NULL, NULL, 0 },
};

/* ---- loading YAML ---- */

static int parse_text(struct dks_profile *p, const char *text, size_t len,
		      const char *source, struct dks_error *err)
{
	__attribute__((cleanup(dks_yaml_doc_release))) struct dks_yaml_doc d = { 0 };
	struct ctx c = { source, &d.doc, err };

	if (dks_yaml_doc_load(&d, text, len, source, "profile", false, 1, err) < 0)
		return -1;
	return walk_mapping(&c, yaml_document_get_root_node(&d.doc), NULL,
			    top_fields, p);
}

/* What the embedded default.yaml does not say. */
static void set_defaults(struct dks_profile *p)
{
	p->seccomp_mode = DKS_SECCOMP_ENFORCE;
	p->deny_namespace_clone = true;
	p->deny_setid_mode = true;
	p->deny_tty_injection = true;
	p->landlock = true;
	p->limits = (struct dks_limits){
		.timeout = 3600,
		.memory = 8ULL << 30,
		.file_size = 4ULL << 30,
		.open_files = 4096,
		.processes = 1024,
		.tmp_size = 1ULL << 30,
	};
}

/* source = @source, name = its basename without ".yaml". */
static int set_identity(struct dks_profile *p, const char *source,
			struct dks_error *err)
{
	const char *base = strrchr(source, '/');
	size_t len;

	base = base ? base + 1 : source;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	free(p->name);
	free(p->source);
	p->name = strndup(base, len);
	p->source = strdup(source);
	if (!p->name || !p->source)
		return dks_err(err, ENOMEM, "%s", source);
	return 0;
}

int dks_profile_parse(const char *text, size_t len, const char *source,
		      struct dks_profile **out, struct dks_error *err)
{
	cleanup_profile struct dks_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return dks_err(err, ENOMEM, "%s", source);
	set_defaults(p);
	/* The embedded default is the base of every profile: parse it once. */
	if (text != dks_embedded_default &&
	    parse_text(p, dks_embedded_default, strlen(dks_embedded_default),
		       EMBEDDED_DIR "/default.yaml", err) < 0)
		return -1;
	if (set_identity(p, source, err) < 0 ||
	    parse_text(p, text, len, source, err) < 0)
		return -1;
	*out = steal_pointer(&p);
	return 0;
}

/* ---- finding a profile ---- */

/* Read @path whole into *@text. With @missing_ok, a missing file is 0 and
 * *@text stays NULL. */
static int read_profile(const char *path, bool missing_ok, char **text,
			size_t *len, struct dks_error *err)
{
	/* O_NONBLOCK: a FIFO in its place must not hang us. */
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t got = 0;

	if (fd < 0 && missing_ok && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "cannot read profile '%s'", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "profile '%s' is not a regular file",
			       path);
	if (st.st_size > PROFILE_MAX_SIZE)
		return dks_err(err, EFBIG, "profile '%s'", path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return dks_err(err, ENOMEM, "profile '%s'", path);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dks_err(err, errno, "cannot read profile '%s'",
				       path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = steal_pointer(&buf);
	*len = got;
	return 0;
}

static int load_path(const char *path, struct dks_profile **out,
		     struct dks_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (read_profile(path, false, &text, &len, err) < 0)
		return -1;
	return dks_profile_parse(text, len, path, out, err);
}

static int unknown_profile(const char *name, struct dks_error *err)
{
	char known[256] = "";
	size_t used = 0;

	for (const char *const *b = dks_profile_builtin_names;
	     *b && used < sizeof(known); b++) {
		int n = snprintf(known + used, sizeof(known) - used, "%s%s",
				 used ? ", " : "", *b);
		used += n > 0 ? (size_t)n : 0;
	}
	return dks_err(err, 0, "unknown profile '%s' (known: %s)", name, known);
}

/* PROFILE_DIR/NAME.yaml if there is one, else the embedded NAME. */
static char **strv_copy(char *const *v, size_t n)
{
	char **c = calloc(n + 1, sizeof(*c));

	for (size_t i = 0; c && i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			dks_strv_free(c);
			return NULL;
		}
	}
	return c;
}

/* A heap copy of a profile compiled into the binary at build time. */
static int copy_builtin(const struct dks_profile *b, struct dks_profile **out,
			struct dks_error *err)
{
	cleanup_profile struct dks_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return dks_err(err, ENOMEM, "profile %s", b->name);
	*p = *b;
	p->name = strdup(b->name);
	p->source = strdup(b->source);
	p->allow = strv_copy(b->allow, b->n_allow);
	p->enosys = strv_copy(b->enosys, b->n_enosys);
	p->etc = strv_copy(b->etc, b->n_etc);
	if (!p->name || !p->source || !p->allow || !p->enosys || !p->etc)
		return dks_err(err, ENOMEM, "profile %s", b->name);
	*out = steal_pointer(&p);
	return 0;
}

static int load_named(const char *name, struct dks_profile **out,
		      struct dks_error *err)
{
	cleanup_free char *text = NULL;
	char path[PATH_MAX], source[PATH_MAX];
	size_t len = 0;
	int n = snprintf(path, sizeof(path), PROFILE_DIR "/%s.yaml", name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return dks_err(err, ENAMETOOLONG, "profile '%s'", name);
	if (read_profile(path, true, &text, &len, err) < 0)
		return -1;
	if (text)
		return dks_profile_parse(text, len, path, out, err);
	for (size_t i = 0; dks_profiles_compiled[i]; i++)
		if (strcmp(name, dks_profiles_compiled[i]->name) == 0)
			return copy_builtin(dks_profiles_compiled[i], out, err);
	for (size_t i = 0; dks_profile_builtin_names[i]; i++) {
		if (strcmp(name, dks_profile_builtin_names[i]) != 0)
			continue;
		snprintf(source, sizeof(source), EMBEDDED_DIR "/%s.yaml", name);
		return dks_profile_parse(builtin_texts[i],
					 strlen(builtin_texts[i]), source, out,
					 err);
	}
	return unknown_profile(name, err);
}

static bool is_path(const char *s)
{
	size_t len = strlen(s);

	return strchr(s, '/') ||
	       (len >= 5 && strcmp(s + len - 5, ".yaml") == 0);
}

int dks_profile_load(const char *name_or_path, struct dks_profile **out,
		     struct dks_error *err)
{
	if (is_path(name_or_path))
		return load_path(name_or_path, out, err);
	return load_named(name_or_path, out, err);
}
