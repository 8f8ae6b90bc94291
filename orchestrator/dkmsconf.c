// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms.conf, evaluated the shell way without a shell on the host
 * (include/dks/dkmsconf.h).
 *
 * dkms sources dkms.conf with bash, as root, on nearly every verb. Here
 * bash sources it inside a sandbox (no privileges, no network, the module
 * source and the kernel headers read-only), and a fixed driver script
 * prints the known directives as NUL-terminated records. The host only
 * parses those records, strictly, and validates them like dkms does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/dkmsconf.h"
#include "dks/sandbox.h"

/*
 * The directives dkms reads (dkms 3.x), scalars and arrays. One list makes
 * both the parser's table and the driver's word lists, so they cannot
 * disagree. REMAKE_INITRD and MODULES_CONF* are deprecated: only their
 * presence matters (a warning).
 */
#define DKS_SCALARS(X)                                                                             \
	X(PACKAGE_NAME)                                                                            \
	X(PACKAGE_VERSION)                                                                         \
	X(CLEAN)                                                                                   \
	X(PRE_BUILD)                                                                               \
	X(POST_BUILD)                                                                              \
	X(POST_ADD)                                                                                \
	X(PRE_INSTALL)                                                                             \
	X(POST_INSTALL)                                                                            \
	X(POST_REMOVE)                                                                             \
	X(AUTOINSTALL)                                                                             \
	X(BUILD_EXCLUSIVE_KERNEL)                                                                  \
	X(BUILD_EXCLUSIVE_KERNEL_MIN)                                                              \
	X(BUILD_EXCLUSIVE_KERNEL_MAX)                                                              \
	X(BUILD_EXCLUSIVE_ARCH)                                                                    \
	X(BUILD_EXCLUSIVE_CONFIG)                                                                  \
	X(NO_WEAK_MODULES)                                                                         \
	X(OBSOLETE_BY)                                                                             \
	X(REMAKE_INITRD)
#define DKS_ARRAYS(X)                                                                              \
	X(BUILT_MODULE_NAME)                                                                       \
	X(BUILT_MODULE_LOCATION)                                                                   \
	X(DEST_MODULE_NAME)                                                                        \
	X(DEST_MODULE_LOCATION)                                                                    \
	X(STRIP)                                                                                   \
	X(MAKE)                                                                                    \
	X(MAKE_MATCH)                                                                              \
	X(PATCH)                                                                                   \
	X(PATCH_MATCH)                                                                             \
	X(BUILD_DEPENDS)                                                                           \
	X(MODULES_CONF)                                                                            \
	X(MODULES_CONF_ALIAS_TYPE)                                                                 \
	X(MODULES_CONF_OBSOLETES)                                                                  \
	X(MODULES_CONF_OBSOLETE_ONLY)

#define DKS_ENUM(n)  D_##n,
#define DKS_NAME(n)  #n,
#define DKS_WORD(n)  #n " "
#define DKS_COUNT(n) +1

enum directive { DKS_SCALARS(DKS_ENUM) DKS_ARRAYS(DKS_ENUM) N_DIRECTIVES };
enum { N_SCALARS = 0 DKS_SCALARS(DKS_COUNT) };

static const char *const directive_names[N_DIRECTIVES] = {DKS_SCALARS(DKS_NAME)
							      DKS_ARRAYS(DKS_NAME)};

/* (clang-format off: the driver reads as a script, one line per line.) */
// clang-format off
/* Arguments: $1 conf, then kernelver arch kernel_source_dir dkms_tree
 * source_tree install_tree module module_version kernel_config
 * parallel_jobs ($2..$11). */
const char dks_dkmsconf_driver[] =
	"__dks_scalars='" DKS_SCALARS(DKS_WORD) "'\n"
	"__dks_arrays='" DKS_ARRAYS(DKS_WORD) "'\n"
	"__dks_conf=$1 kernelver=$2 arch=$3 kernel_source_dir=$4 dkms_tree=$5\n"
	"source_tree=$6 install_tree=$7 module=$8 module_version=$9\n"
	"kernel_config=${10} parallel_jobs=${11}\n"
	/* As dkms: no directive comes from the environment. */
	"unset $__dks_scalars $__dks_arrays\n"
	/* Defined before the conf runs, so that its aliases and options
	 * cannot change how the records are printed. "${!A[@]}" lists the
	 * indexes actually set: the host sees sparse arrays. */
	"__dks_emit() {\n"
	"	local IFS=$' \\t\\n' __dks_n __dks_i __dks_v __dks_idx\n"
	"	set +e +u +f +o pipefail\n"
	"	for __dks_n in $__dks_scalars; do\n"
	"		[[ -v $__dks_n ]] && printf 'S\\0%s\\0%s\\0' \"$__dks_n\" \"${!__dks_n}\"\n"
	"	done\n"
	"	for __dks_n in $__dks_arrays; do\n"
	"		eval \"__dks_idx=(\\\"\\${!$__dks_n[@]}\\\")\"\n"
	"		for __dks_i in \"${__dks_idx[@]}\"; do\n"
	"			eval \"__dks_v=\\${$__dks_n[\\$__dks_i]}\"\n"
	"			printf 'A\\0%s\\0%s\\0%s\\0' \"$__dks_n\" \"$__dks_i\" \"$__dks_v\"\n"
	"		done\n"
	"	done\n"
	"	printf 'E\\0'\n"
	"}\n"
	/* The records keep the real stdout; what the conf prints goes to
	 * stderr (dkms discards it). */
	"exec {__dks_out}>&1 1>&2 </dev/null\n"
	/* A syntax error would only end `.` early and leave a half-read
	 * conf: parse it first (bash -n runs nothing). CRLF files are
	 * accepted: the CR of each line end is dropped. */
	"if grep -q $'\\r' \"$__dks_conf\" 2>/dev/null; then\n"
	"	bash -n <(sed 's/\\r$//' \"$__dks_conf\") || exit 2\n"
	"	set --\n"
	"	. <(sed 's/\\r$//' \"$__dks_conf\")\n"
	"else\n"
	"	bash -n \"$__dks_conf\" || exit 2\n"
	"	set --\n"
	"	. \"$__dks_conf\"\n"
	"fi\n"
	"__dks_emit >&\"$__dks_out\"\n"
	"exit 0\n";
// clang-format on

/* ---- the parser's state ------------------------------------------------ */

struct elem {
	unsigned long idx;
	const char *val; /* points into the records */
};

struct raw {
	bool set;	 /* scalars: an S record came */
	const char *val; /* scalars */
	struct elem *el; /* arrays, sorted by index after read_records() */
	size_t n;
};

struct parse {
	const char *conf; /* for messages */
	const char *kver;
	struct raw v[N_DIRECTIVES];
	struct dks_spec *s;
};

static void parse_clear(struct parse *p)
{
	for (int i = 0; i < N_DIRECTIVES; i++)
		free(p->v[i].el);
	dks_spec_free(p->s);
}

/* "PATH: <what is wrong>" with exit @code (8 bad dkms.conf, 5 bad patch path). */
__attribute__((format(printf, 4, 5))) static int bad(const struct parse *p, struct dks_error *err,
						     int code, const char *fmt, ...)
{
	char msg[DKS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err_code(err, code, 0, "%s: %s", p->conf, msg);
}

/* @s for a one-line message: control characters become '?', long values
 * are cut. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
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

/* ---- records ------------------------------------------------------------ */

static int directive_find(const char *name)
{
	for (int i = 0; i < N_DIRECTIVES; i++)
		if (strcmp(directive_names[i], name) == 0)
			return i;
	return -1;
}

/* Bash prints array indexes as plain decimals. */
static bool parse_index(const char *s, unsigned long *idx)
{
	size_t len = strlen(s);

	if (len == 0 || len > 9 || strspn(s, "0123456789") != len || (s[0] == '0' && len > 1))
		return false;
	*idx = strtoul(s, NULL, 10);
	return true;
}

static int next_field(const char **pos, const char *end, const char **field)
{
	const char *nul = memchr(*pos, '\0', (size_t)(end - *pos));

	if (!nul)
		return -1;
	*field = *pos;
	*pos = nul + 1;
	return 0;
}

static int store_scalar(struct parse *p, const char *name, const char *val, struct dks_error *err)
{
	char b[80];
	int d = directive_find(name);

	if (d < 0 || d >= N_SCALARS)
		return bad(p, err, DKS_EXIT_BAD_CONF,
			   "evaluation output: '%s' is not a scalar directive",
			   shown(name, b, sizeof(b)));
	if (p->v[d].set)
		return bad(p, err, DKS_EXIT_BAD_CONF, "evaluation output: %s twice", name);
	p->v[d].set = true;
	p->v[d].val = val;
	return 0;
}

static int store_elem(struct parse *p, const char *name, const char *idx, const char *val,
		      struct dks_error *err)
{
	char b[80];
	int d = directive_find(name);
	unsigned long i;
	struct elem *el;

	if (d < N_SCALARS)
		return bad(p, err, DKS_EXIT_BAD_CONF,
			   "evaluation output: '%s' is not an array directive",
			   shown(name, b, sizeof(b)));
	if (!parse_index(idx, &i))
		return bad(p, err, DKS_EXIT_BAD_CONF, "%s: index '%s' is not an array index", name,
			   shown(idx, b, sizeof(b)));
	el = realloc(p->v[d].el, (p->v[d].n + 1) * sizeof(*el));
	if (!el)
		return dks_err(err, ENOMEM, "%s", p->conf);
	p->v[d].el = el;
	el[p->v[d].n++] = (struct elem){.idx = i, .val = val};
	return 0;
}

/* One record at *pos; *ended when it was E. */
static int read_record(struct parse *p, const char **pos, const char *end, bool *ended,
		       struct dks_error *err)
{
	const char *type, *f[3];
	char b[80];
	int nf;

	if (next_field(pos, end, &type) < 0)
		return bad(p, err, DKS_EXIT_BAD_CONF, "evaluation output: truncated record");
	if (strcmp(type, "E") == 0) {
		*ended = true;
		return 0;
	}
	nf = strcmp(type, "S") == 0 ? 2 : strcmp(type, "A") == 0 ? 3 : 0;
	if (!nf)
		return bad(p, err, DKS_EXIT_BAD_CONF, "evaluation output: unknown record type '%s'",
			   shown(type, b, sizeof(b)));
	for (int i = 0; i < nf; i++)
		if (next_field(pos, end, &f[i]) < 0)
			return bad(p, err, DKS_EXIT_BAD_CONF,
				   "evaluation output: truncated %s record", type);
	return nf == 2 ? store_scalar(p, f[0], f[1], err) : store_elem(p, f[0], f[1], f[2], err);
}

static int elem_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct elem *)a)->idx, y = ((const struct elem *)b)->idx;

	return x < y ? -1 : x > y;
}

static int read_records(struct parse *p, const char *records, size_t len, struct dks_error *err)
{
	const char *pos = records, *end = records + len;
	bool ended = false;

	if (len > DKS_DKMSCONF_MAX_OUTPUT)
		return bad(p, err, DKS_EXIT_BAD_CONF, "evaluation output exceeds %d bytes",
			   DKS_DKMSCONF_MAX_OUTPUT);
	while (pos < end && !ended)
		if (read_record(p, &pos, end, &ended, err) < 0)
			return -1;
	if (!ended)
		return bad(p, err, DKS_EXIT_BAD_CONF,
			   "the evaluation stopped before the end (does the file call exit?)");
	if (pos != end)
		return bad(p, err, DKS_EXIT_BAD_CONF,
			   "evaluation output: data after the end record");
	for (int d = N_SCALARS; d < N_DIRECTIVES; d++) {
		struct raw *r = &p->v[d];

		if (r->n)
			qsort(r->el, r->n, sizeof(*r->el), elem_cmp);
		for (size_t i = 1; i < r->n; i++)
			if (r->el[i].idx == r->el[i - 1].idx)
				return bad(p, err, DKS_EXIT_BAD_CONF,
					   "evaluation output: %s[%lu] twice", directive_names[d],
					   r->el[i].idx);
	}
	return 0;
}

/* ---- access and checks ---------------------------------------------------- */

/* dkms treats an empty value like an unset one: both are NULL here. */
static const char *scalar(const struct parse *p, enum directive d)
{
	return p->v[d].set && p->v[d].val[0] ? p->v[d].val : NULL;
}

static const char *elem(const struct parse *p, enum directive d, unsigned long idx)
{
	for (size_t i = 0; i < p->v[d].n; i++)
		if (p->v[d].el[i].idx == idx)
			return p->v[d].el[i].val[0] ? p->v[d].el[i].val : NULL;
	return NULL;
}

/* dkms walks arrays from 0 to their element count - 1: an element past a
 * gap would be silently skipped (or, for BUILT_MODULE_NAME, make a record
 * without a name). Refuse gaps. */
static int check_dense(const struct parse *p, enum directive d, struct dks_error *err)
{
	const struct raw *r = &p->v[d];

	for (size_t i = 0; i < r->n; i++)
		if (r->el[i].idx != i)
			return bad(p, err, DKS_EXIT_BAD_CONF,
				   "%s[%lu] is set but %s[%zu] is not: arrays must not have gaps",
				   directive_names[d], r->el[i].idx, directive_names[d], i);
	return 0;
}

/* Every index of @d has an entry in the dense array @of (0..n-1). */
static int check_within(const struct parse *p, enum directive d, enum directive of, size_t n,
			struct dks_error *err)
{
	const struct raw *r = &p->v[d];

	if (r->n && r->el[r->n - 1].idx >= n)
		return bad(p, err, DKS_EXIT_BAD_CONF, "%s[%lu] is set but %s[%lu] is not",
			   directive_names[d], r->el[r->n - 1].idx, directive_names[of],
			   r->el[r->n - 1].idx);
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Values used as one line (paths, versions, script names). */
static int check_line(const struct parse *p, const char *what, const char *v, struct dks_error *err)
{
	char b[80];

	if (v && has_control(v))
		return bad(p, err, DKS_EXIT_BAD_CONF, "%s '%s' must be one line", what,
			   shown(v, b, sizeof(b)));
	return 0;
}

/* Names become file and directory names: no '/', no blanks, no "..". */
static int check_name(const struct parse *p, const char *what, const char *v, struct dks_error *err)
{
	char b[80];

	if (!v)
		return bad(p, err, DKS_EXIT_BAD_CONF, "no %s", what);
	if (strpbrk(v, "/ \t") || has_control(v) || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return bad(p, err, DKS_EXIT_BAD_CONF, "%s '%s' is not a valid name", what,
			   shown(v, b, sizeof(b)));
	return 0;
}

static bool has_dotdot(const char *path)
{
	for (const char *c = path; (c = strstr(c, "..")); c += 2)
		if ((c == path || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
			return true;
	return false;
}

/* 1: the POSIX ERE @re matches @s (unanchored, like bash's =~), 0: not. */
static int match(const struct parse *p, const char *what, const char *re, const char *s,
		 struct dks_error *err)
{
	char b[80], why[128];
	regex_t r;
	int rc = regcomp(&r, re, REG_EXTENDED | REG_NOSUB);

	if (rc != 0) {
		regerror(rc, &r, why, sizeof(why));
		return bad(p, err, DKS_EXIT_BAD_CONF,
			   "%s '%s' is not a valid regular expression: %s", what,
			   shown(re, b, sizeof(b)), why);
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
	if (has_dotdot(copy))
		return bad(p, err, DKS_EXIT_BAD_CONF, "%s '%s' leaves the build directory", what,
			   v);
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		len += (size_t)sprintf(out + len, "%s%s", len ? "/" : "", c);
	}
	return 0;
}

/* DEST_MODULE_LOCATION: below /lib/modules/KVER. Debian's dkms installs
 * every module into /updates/dkms: that is the default. */
static int set_dest_location(const struct parse *p, unsigned long i, char **dst,
			     struct dks_error *err)
{
	const char *v = elem(p, D_DEST_MODULE_LOCATION, i);
	char what[64];
	size_t len;

	snprintf(what, sizeof(what), "DEST_MODULE_LOCATION[%lu]", i);
	if (!v)
		v = "/updates/dkms";
	if (check_line(p, what, v, err) < 0)
		return -1;
	if (strncmp(v, "/kernel", 7) != 0 && strncmp(v, "/updates", 8) != 0 &&
	    strncmp(v, "/extra", 6) != 0)
		return bad(p, err, DKS_EXIT_BAD_CONF,
			   "%s '%s' does not begin with /kernel, /updates or /extra", what, v);
	if (has_dotdot(v))
		return bad(p, err, DKS_EXIT_BAD_CONF, "%s '%s' must not contain '..'", what, v);
	if (dup_opt(p, v, dst, err) < 0)
		return -1;
	for (len = strlen(*dst); len > 1 && (*dst)[len - 1] == '/'; len--)
		(*dst)[len - 1] = '\0';
	return 0;
}

static int check_module_name(const struct parse *p, const char *what, const char *v,
			     struct dks_error *err)
{
	size_t len = v ? strlen(v) : 0;

	if (check_name(p, what, v, err) < 0)
		return -1;
	if ((len > 2 && strcmp(v + len - 2, ".o") == 0) ||
	    (len > 3 && strcmp(v + len - 3, ".ko") == 0))
		return bad(p, err, DKS_EXIT_BAD_CONF, "%s '%s' must not end in .o or .ko", what, v);
	return 0;
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

static int fill_module(const struct parse *p, unsigned long i, struct dks_spec_module *m,
		       struct dks_error *err)
{
	char what[64];
	/* No BUILT_MODULE_NAME at all (see module_count): the package's name. */
	const char *built =
	    p->v[D_BUILT_MODULE_NAME].n ? elem(p, D_BUILT_MODULE_NAME, i) : p->s->name;
	const char *dest = elem(p, D_DEST_MODULE_NAME, i);

	snprintf(what, sizeof(what), "BUILT_MODULE_NAME[%lu]", i);
	if (check_module_name(p, what, built, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "DEST_MODULE_NAME[%lu]", i);
	if (dest && check_module_name(p, what, dest, err) < 0)
		return -1;
	if (dup_opt(p, built, &m->built_name, err) < 0 ||
	    dup_opt(p, dest ? dest : built, &m->dest_name, err) < 0 ||
	    set_built_location(p, i, &m->built_location, err) < 0 ||
	    set_dest_location(p, i, &m->dest_location, err) < 0)
		return -1;
	m->strip = strip_of(p, i);
	return 0;
}

/* How many modules: BUILT_MODULE_NAME[0..n-1]. As dkms, a package with no
 * BUILT_MODULE_NAME but exactly one DEST_MODULE_LOCATION has one module
 * named after the package. The other per-module arrays must not reach
 * past the names (dkms: "No 'BUILT_MODULE_NAME' ... for record #i"). */
static int module_count(const struct parse *p, size_t *n, struct dks_error *err)
{
	static const enum directive per_module[] = {D_BUILT_MODULE_LOCATION, D_DEST_MODULE_NAME,
						    D_DEST_MODULE_LOCATION};
	const struct raw *dest = &p->v[D_DEST_MODULE_LOCATION];

	if (check_dense(p, D_BUILT_MODULE_NAME, err) < 0)
		return -1;
	*n = p->v[D_BUILT_MODULE_NAME].n;
	if (*n == 0 && dest->n == 1 && dest->el[0].idx == 0)
		*n = 1;
	for (size_t i = 0; i < sizeof(per_module) / sizeof(per_module[0]); i++)
		if (check_within(p, per_module[i], D_BUILT_MODULE_NAME, *n, err) < 0)
			return -1;
	return 0;
}

static int check_unique(const struct parse *p, struct dks_error *err)
{
	const struct dks_spec *s = p->s;

	for (size_t i = 0; i < s->n_modules; i++)
		for (size_t j = 0; j < i; j++) {
			if (strcmp(s->modules[i].built_name, s->modules[j].built_name) == 0)
				return bad(p, err, DKS_EXIT_BAD_CONF,
					   "BUILT_MODULE_NAME[%zu] and [%zu] are both '%s'", j, i,
					   s->modules[i].built_name);
			if (strcmp(s->modules[i].dest_name, s->modules[j].dest_name) == 0)
				return bad(p, err, DKS_EXIT_BAD_CONF,
					   "modules %zu and %zu are both installed as '%s'", j, i,
					   s->modules[i].dest_name);
		}
	return 0;
}

static int set_modules(struct parse *p, struct dks_error *err)
{
	size_t n;

	if (module_count(p, &n, err) < 0)
		return -1;
	if (n == 0)
		return add_warning(p, err, "no BUILT_MODULE_NAME: the package builds no modules");
	p->s->modules = calloc(n, sizeof(*p->s->modules));
	if (!p->s->modules)
		return dks_err(err, ENOMEM, "%s", p->conf);
	for (; p->s->n_modules < n; p->s->n_modules++)
		if (fill_module(p, p->s->n_modules, &p->s->modules[p->s->n_modules], err) < 0) {
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

static int add_patch(struct parse *p, size_t i, const char *file, struct dks_error *err)
{
	struct dks_spec *s = p->s;
	struct dks_spec_patch *pa;
	char b[80];

	/* Patches live in the source's patches/ directory: nothing else. */
	if (file[0] == '/' || has_dotdot(file) || has_control(file))
		return bad(p, err, DKS_EXIT_PATCH_MISSING,
			   "PATCH[%zu] '%s' must be a file below patches/ (no '/' at the start, no "
			   "'..')",
			   i, shown(file, b, sizeof(b)));
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
		if (m && add_patch(p, i, file, err) < 0)
			return -1;
	}
	return 0;
}

static int set_scripts(struct parse *p, struct dks_error *err)
{
	static const struct {
		enum directive d;
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

		if (check_line(p, directive_names[scripts[i].d], v, err) < 0 ||
		    dup_opt(p, v, dst, err) < 0)
			return -1;
	}
	/* CLEAN is a command line, like MAKE: any shell text. */
	return dup_opt(p, scalar(p, D_CLEAN), &p->s->clean, err);
}

static bool is_negative(const char *v)
{
	return strcasecmp(v, "no") == 0 || strcasecmp(v, "n") == 0 || strcasecmp(v, "false") == 0 ||
	       strcmp(v, "0") == 0;
}

static int set_flags(struct parse *p, struct dks_error *err)
{
	const char *autoinstall = scalar(p, D_AUTOINSTALL);
	size_t n = p->v[D_BUILD_DEPENDS].n;
	char what[64];

	/* dkms only tests that AUTOINSTALL and NO_WEAK_MODULES are non-empty. */
	p->s->autoinstall = autoinstall != NULL;
	p->s->no_weak_modules = scalar(p, D_NO_WEAK_MODULES) != NULL;
	if (autoinstall && is_negative(autoinstall) &&
	    add_warning(p, err,
			"AUTOINSTALL='%s' enables autoinstall (dkms only checks that it is set)",
			autoinstall) < 0)
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

static int add_config_word(struct parse *p, const char *w, size_t len, struct dks_error *err)
{
	struct dks_spec *s = p->s;
	size_t name = len - (w[0] == '!');
	char **v;

	/* A Kconfig symbol, maybe negated: dkms greps "^WORD=[ym]" as a regex,
	 * so anything else could never match what it meant. */
	if (name == 0 ||
	    strspn(w + (w[0] == '!'), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789_") != name)
		return bad(p, err, DKS_EXIT_BAD_CONF,
			   "BUILD_EXCLUSIVE_CONFIG: '%.*s' is not CONFIG_X or !CONFIG_X", (int)len,
			   w);
	v = realloc(s->excl_config, (s->n_excl_config + 1) * sizeof(*v));
	if (!v)
		return dks_err(err, ENOMEM, "%s", p->conf);
	s->excl_config = v;
	if (!(v[s->n_excl_config] = strndup(w, len)))
		return dks_err(err, ENOMEM, "%s", p->conf);
	s->n_excl_config++;
	return 0;
}

static int set_exclusive_config(struct parse *p, struct dks_error *err)
{
	const char *v = scalar(p, D_BUILD_EXCLUSIVE_CONFIG);
	static const char blanks[] = " \t\n";

	while (v && *(v += strspn(v, blanks))) {
		size_t len = strcspn(v, blanks);

		if (add_config_word(p, v, len, err) < 0)
			return -1;
		v += len;
	}
	return 0;
}

static int set_exclusive(struct parse *p, struct dks_error *err)
{
	struct dks_spec *s = p->s;
	const char *kernel = scalar(p, D_BUILD_EXCLUSIVE_KERNEL);
	const char *min = scalar(p, D_BUILD_EXCLUSIVE_KERNEL_MIN);
	const char *max = scalar(p, D_BUILD_EXCLUSIVE_KERNEL_MAX);
	const char *arch = scalar(p, D_BUILD_EXCLUSIVE_ARCH);

	/* Invalid regexes are errors now rather than silent non-matches
	 * (bash's =~ fails with status 2) at build time. */
	if ((kernel && match(p, "BUILD_EXCLUSIVE_KERNEL", kernel, "", err) < 0) ||
	    (arch && match(p, "BUILD_EXCLUSIVE_ARCH", arch, "", err) < 0) ||
	    check_line(p, "BUILD_EXCLUSIVE_KERNEL", kernel, err) < 0 ||
	    check_line(p, "BUILD_EXCLUSIVE_KERNEL_MIN", min, err) < 0 ||
	    check_line(p, "BUILD_EXCLUSIVE_KERNEL_MAX", max, err) < 0 ||
	    check_line(p, "BUILD_EXCLUSIVE_ARCH", arch, err) < 0)
		return -1;
	if (dup_opt(p, kernel, &s->excl_kernel, err) < 0 ||
	    dup_opt(p, min, &s->excl_kernel_min, err) < 0 ||
	    dup_opt(p, max, &s->excl_kernel_max, err) < 0 ||
	    dup_opt(p, arch, &s->excl_arch, err) < 0)
		return -1;
	return set_exclusive_config(p, err);
}

/* dkms warns when any element of these is set, and ignores them. */
static int set_deprecated(struct parse *p, struct dks_error *err)
{
	static const enum directive deprecated[] = {
	    D_REMAKE_INITRD, D_MODULES_CONF, D_MODULES_CONF_ALIAS_TYPE, D_MODULES_CONF_OBSOLETES,
	    D_MODULES_CONF_OBSOLETE_ONLY};

	for (size_t i = 0; i < sizeof(deprecated) / sizeof(deprecated[0]); i++) {
		enum directive d = deprecated[i];

		if ((p->v[d].set || p->v[d].n) &&
		    add_warning(p, err, "%s is deprecated and ignored", directive_names[d]) < 0)
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
	if (read_records(&p, records, len, err) < 0 || set_package(&p, err) < 0 ||
	    set_modules(&p, err) < 0 || set_make(&p, err) < 0 || set_patches(&p, err) < 0 ||
	    set_scripts(&p, err) < 0 || set_flags(&p, err) < 0 || set_exclusive(&p, err) < 0 ||
	    set_deprecated(&p, err) < 0)
		return -1;
	*out = steal_pointer(&p.s);
	return 0;
}

/* ---- evaluation in the sandbox -------------------------------------------- */

struct eval {
	const char *conf; /* as the caller named it: messages */
	char *rconf;	  /* its real path: where the sandbox sees it */
	char *rsource;	  /* the real source dir, or NULL */
	char *headers;	  /* headers to bind, or NULL: none */
	char *ksrc;	  /* kernel_source_dir as the conf sees it */
	char *kconfig;	  /* kernel_config */
	char module[256], version[256];
	struct dks_profile *own; /* the "default" profile when the caller gave none */
	struct dks_profile prof; /* shallow copy, with the output bounded */
	struct dks_sandbox *sb;
	int null_fd, out_fd, err_fd;
	unsigned timeout;
};

static void eval_clear(struct eval *e)
{
	dks_sandbox_free(e->sb);
	if (e->own)
		dks_profile_free(e->own);
	free(e->rconf);
	free(e->rsource);
	free(e->headers);
	free(e->ksrc);
	free(e->kconfig);
	dks_closep(&e->null_fd);
	dks_closep(&e->out_fd);
	dks_closep(&e->err_fd);
}

/* Before any sandbox: a missing, odd or empty file is a bad dkms.conf. */
static int conf_precheck(const char *conf, struct dks_error *err)
{
	struct stat st;

	/* dkms 3.0.10: "Could not locate dkms.conf file", exit 4. */
	if (stat(conf, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_CONF, errno, "%s: cannot locate the dkms.conf", conf);
	if (!S_ISREG(st.st_mode))
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s: not a regular file", conf);
	if (st.st_size == 0)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s: empty file", conf);
	return 0;
}

/* dkms sets module/module_version from -m/-v; the source dir is named
 * <module>-<version> (/usr/src/v4l2loopback-0.12.7): split it at the last
 * '-' before a digit. Unknown: empty, as the spec says. */
static void guess_module(struct eval *e, const char *dir)
{
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	const char *dash = NULL;

	for (const char *c = base; (c = strchr(c, '-')); c++)
		if (c[1] >= '0' && c[1] <= '9')
			dash = c;
	if (!dash || dash == base)
		return;
	snprintf(e->module, sizeof(e->module), "%.*s", (int)(dash - base), base);
	snprintf(e->version, sizeof(e->version), "%s", dash + 1);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The headers to bind: the caller's, else <installtree>/KVER/build when it
 * exists, else none (a conf that reads $kernel_source_dir/.config then
 * finds no file, as with dkms on a kernel without headers). */
static int find_headers(struct eval *e, const struct dks_spec_target *t,
			const struct dks_eval_opts *o, struct dks_error *err)
{
	const char *given = o->kernel_headers ? o->kernel_headers : t->kernel_dir;
	const char *itree = t->install_tree ? t->install_tree : "/lib/modules";
	cleanup_free char *dflt = NULL;
	struct stat st;

	if (asprintf(&dflt, "%s/%s/build", itree, t->kver) < 0)
		return dks_err(err, ENOMEM, "%s", e->conf);
	if (given && stat(given, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_HEADERS, errno, "kernel headers %s", given);
	if (given && !S_ISDIR(st.st_mode))
		return dks_err_code(err, DKS_EXIT_NO_HEADERS, ENOTDIR, "kernel headers %s", given);
	if (given || is_dir(dflt)) {
		e->headers = strdup(given ? given : dflt);
		if (!e->headers)
			return dks_err(err, ENOMEM, "%s", e->conf);
	}
	e->ksrc = strdup(t->kernel_dir ? t->kernel_dir : given ? given : dflt);
	if (!e->ksrc || asprintf(&e->kconfig, "%s/.config", e->ksrc) < 0)
		return dks_err(err, ENOMEM, "%s", e->conf);
	return 0;
}

static int eval_paths(struct eval *e, const char *source_dir, const struct dks_spec_target *t,
		      const struct dks_eval_opts *o, struct dks_error *err)
{
	if (!t || !t->kver)
		return dks_err(err, 0, "%s: no kernel to evaluate it for", e->conf);
	e->rconf = realpath(e->conf, NULL);
	if (!e->rconf)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, errno, "%s", e->conf);
	if (source_dir && !(e->rsource = realpath(source_dir, NULL)))
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "%s", source_dir);
	guess_module(e, e->rsource ? e->rsource : source_dir ? source_dir : "");
	return find_headers(e, t, o, err);
}

static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* The captures are memfds, not pipes: the run is synchronous. The
 * evaluation's file size limit bounds them (see eval_profile). */
static int eval_stdio(struct eval *e, struct dks_error *err)
{
	e->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	e->out_fd = memfd_create("dkmsconf-out", MFD_CLOEXEC);
	e->err_fd = memfd_create("dkmsconf-err", MFD_CLOEXEC);
	if (e->null_fd < 0 || e->out_fd < 0 || e->err_fd < 0)
		return dks_err(err, errno, "%s: capture files", e->conf);
	dks_sandbox_set_stdio(e->sb, e->null_fd, e->out_fd, e->err_fd);
	return 0;
}

/* A hostile conf could write gigabytes to its stdout, which lives in the
 * caller's memory: cap every file it writes (RLIMIT_FSIZE; SIGXFSZ beyond)
 * just above what the parser accepts. A dkms.conf writes nothing big. */
static int eval_profile(struct eval *e, const struct dks_eval_opts *o, struct dks_error *err)
{
	const uint64_t cap = 2 * (uint64_t)DKS_DKMSCONF_MAX_OUTPUT;

	if (!o->profile && dks_profile_load("default", &e->own, err) < 0)
		return -1;
	e->prof = *(o->profile ? o->profile : e->own);
	if (e->prof.limits.file_size == 0 || e->prof.limits.file_size > cap)
		e->prof.limits.file_size = cap;
	dks_sandbox_set_profile(e->sb, &e->prof);
	return 0;
}

static int eval_sandbox(struct eval *e, const struct dks_spec_target *t,
			const struct dks_eval_opts *o, struct dks_error *err)
{
	const char *cwd = e->rsource ? e->rsource : "/";

	e->timeout = o->timeout ? o->timeout : DKS_DKMSCONF_TIMEOUT;
	if (dks_sandbox_new(&e->sb, err) < 0 || eval_profile(e, o, err) < 0 ||
	    (o->toolchain && dks_sandbox_set_toolchain(e->sb, o->toolchain, err) < 0) ||
	    (e->headers && dks_sandbox_set_kernel(e->sb, t->kver, e->headers, err) < 0) ||
	    (o->build_user && dks_sandbox_set_user(e->sb, o->build_user, err) < 0))
		return -1;
	/* The module's files, read-only: the conf may read them, never
	 * change them. A conf outside the source dir (dkms -c) gets its own
	 * read-only bind. */
	if (e->rsource && dks_sandbox_add_bind(e->sb, e->rsource, NULL, false, err) < 0)
		return -1;
	if ((!e->rsource || !below(e->rconf, e->rsource)) &&
	    dks_sandbox_add_bind(e->sb, e->rconf, NULL, false, err) < 0)
		return -1;
	dks_sandbox_set_timeout(e->sb, e->timeout);
	if (dks_sandbox_set_cwd(e->sb, cwd, err) < 0)
		return -1;
	return eval_stdio(e, err);
}

/* All of a capture, or -1 when it holds more than @cap bytes. */
static int read_capture(int fd, size_t cap, char **buf, size_t *len)
{
	struct stat st;
	char *b;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size > cap) {
		errno = EFBIG;
		return -1;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b)
		return -1;
	n = pread(fd, b, (size_t)st.st_size, 0);
	if (n < 0) {
		free(b);
		return -1;
	}
	b[n] = '\0';
	*buf = b;
	*len = (size_t)n;
	return 0;
}

/* The last lines of stderr, joined with " | ", for a one-line error. The
 * sandbox's own lines (bash's harmless getpeername/nscd socket denials,
 * the build-user warning) would hide the conf's message: they are left out. */
static void stderr_tail(int fd, char *out, size_t size)
{
	char buf[4096], *lines[3] = {0}, *save = NULL;
	struct stat st;
	ssize_t n;
	size_t len = 0;

	out[0] = '\0';
	if (fstat(fd, &st) < 0)
		return;
	n = pread(fd, buf, sizeof(buf) - 1,
		  st.st_size >= (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) + 1 : 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "dkms-sandbox: ", 14) == 0)
			continue;
		memmove(lines, lines + 1, sizeof(lines) - sizeof(lines[0]));
		lines[2] = l;
	}
	for (int i = 0; i < 3; i++)
		if (lines[i] && len + 4 < size)
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? " | " : ": ",
						lines[i]);
	for (size_t i = 0; i < len && i < size; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = '?';
}

static int outcome_error(const struct eval *e, const struct dks_sandbox_result *res,
			 struct dks_error *err)
{
	char tail[600];

	stderr_tail(e->err_fd, tail, sizeof(tail));
	if (res->outcome == DKS_SANDBOX_TIMED_OUT)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: evaluating dkms.conf timed out after %u s", e->conf,
				    e->timeout);
	if (res->outcome == DKS_SANDBOX_SIGNALED && res->term_signal == SIGXFSZ)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: evaluating dkms.conf wrote more than %d bytes", e->conf,
				    DKS_DKMSCONF_MAX_OUTPUT);
	if (res->outcome == DKS_SANDBOX_SIGNALED)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: evaluating dkms.conf was killed by signal %d%s", e->conf,
				    res->term_signal, tail);
	return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
			    "%s: evaluating dkms.conf failed (exit status %d)%s", e->conf,
			    res->exit_status, tail);
}

static int eval_run(struct eval *e, const struct dks_spec_target *t, char **out, size_t *len,
		    struct dks_error *err)
{
	char jobs[32], *arch_s = (char *)t->arch;
	struct utsname u;
	struct dks_sandbox_result res = {0};
	int rc;

	if (!arch_s && uname(&u) == 0)
		arch_s = u.machine;
	snprintf(jobs, sizeof(jobs), "%d",
		 t->jobs > 0 ? t->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN));
	char *const argv[] = {
	    "bash",
	    "-c",
	    (char *)dks_dkmsconf_driver,
	    "bash",
	    e->rconf,
	    (char *)t->kver,
	    arch_s ? arch_s : "",
	    e->ksrc,
	    (char *)(t->dkms_tree ? t->dkms_tree : "/var/lib/dkms"),
	    (char *)(t->source_tree ? t->source_tree : "/usr/src"),
	    (char *)(t->install_tree ? t->install_tree : "/lib/modules"),
	    e->module,
	    e->version,
	    e->kconfig,
	    jobs,
	    NULL,
	};

	if (dks_sandbox_run(e->sb, argv, &res, err) < 0)
		return dks_err_prefix(err, "%s: evaluating dkms.conf", e->conf);
	rc = res.outcome == DKS_SANDBOX_EXITED && res.exit_status == 0
		 ? 0
		 : outcome_error(e, &res, err);
	dks_sandbox_result_clear(&res);
	if (rc == 0 && read_capture(e->out_fd, DKS_DKMSCONF_MAX_OUTPUT, out, len) < 0)
		rc = dks_err_code(err, DKS_EXIT_BAD_CONF, errno,
				  "%s: evaluation output unreadable or over %d bytes", e->conf,
				  DKS_DKMSCONF_MAX_OUTPUT);
	return rc;
}

/* dkms checks at build time that each patch is in patches/; we know the
 * source now, so say it now (exit 5). */
static int check_patches(const struct eval *e, const struct dks_spec *s, struct dks_error *err)
{
	for (size_t i = 0; e->rsource && i < s->n_patches; i++) {
		cleanup_free char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s/patches/%s", e->rsource, s->patches[i].file) < 0)
			return dks_err(err, ENOMEM, "%s", e->conf);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			return dks_err_code(err, DKS_EXIT_PATCH_MISSING, 0,
					    "%s: PATCH %s: no such file %s", e->conf,
					    s->patches[i].file, path);
	}
	return 0;
}

int dks_dkmsconf_eval(const char *conf, const char *source_dir, const struct dks_spec_target *t,
		      const struct dks_eval_opts *o, struct dks_spec **out, struct dks_error *err)
{
	static const struct dks_eval_opts none = {0};
	__attribute__((cleanup(eval_clear))) struct eval e = {
	    .conf = conf, .null_fd = -1, .out_fd = -1, .err_fd = -1};
	cleanup_free char *records = NULL;
	size_t len = 0;
	struct dks_spec *s = NULL;

	*out = NULL;
	if (!o)
		o = &none;
	if (conf_precheck(conf, err) < 0 || eval_paths(&e, source_dir, t, o, err) < 0 ||
	    eval_sandbox(&e, t, o, err) < 0 || eval_run(&e, t, &records, &len, err) < 0 ||
	    dks_dkmsconf_parse(records, len, conf, t, &s, err) < 0)
		return -1;
	if (check_patches(&e, s, err) < 0) {
		dks_spec_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
