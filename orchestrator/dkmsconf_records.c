// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms.conf, part 3 of 3: reading the records the driver printed
 * (include/dks/dkmsconf.h gives their format).
 *
 * Trusts nothing of its input: the records come out of a sandbox where the
 * module's own shell ran, and that shell could have printed anything on the
 * driver's stdout. So every byte is accounted for: the size is capped, each
 * record has a known type, a known directive of the right kind and all its
 * NUL-terminated fields, an index is a plain decimal, nothing comes twice,
 * E comes last and nothing after it. Values are kept as they are (pointers
 * into the records); what they mean is dkmsconf_spec.c's business.
 * Pure: no processes, no files. Calls nothing of the other dkmsconf files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkmsconf_internal.h"
#include "dks/dkmsconf.h"
#include "dks/exit.h"

const char *const dks_dkmsconf_directive_names[N_DIRECTIVES] = {DKS_SCALARS(DKS_NAME)
								    DKS_ARRAYS(DKS_NAME)};

/* The table being filled, and the file it came from (messages). */
struct reader {
	const char *conf;
	struct dkmsconf_raw *v;
};

int dks_dkmsconf_bad(const char *conf, struct dks_error *err, int code, const char *fmt, ...)
{
	char msg[DKS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err_code(err, code, 0, "%s: %s", conf, msg);
}

const char *dks_dkmsconf_shown(const char *s, char *buf, size_t size)
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

static int directive_find(const char *name)
{
	for (int i = 0; i < N_DIRECTIVES; i++)
		if (strcmp(dks_dkmsconf_directive_names[i], name) == 0)
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

static int store_scalar(struct reader *rd, const char *name, const char *val, struct dks_error *err)
{
	char b[80];
	int d = directive_find(name);

	if (d < 0 || d >= N_SCALARS)
		return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
					"evaluation output: '%s' is not a scalar directive",
					dks_dkmsconf_shown(name, b, sizeof(b)));
	if (rd->v[d].set)
		return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
					"evaluation output: %s twice", name);
	rd->v[d].set = true;
	rd->v[d].val = val;
	return 0;
}

static int store_elem(struct reader *rd, const char *name, const char *idx, const char *val,
		      struct dks_error *err)
{
	char b[80];
	int d = directive_find(name);
	unsigned long i;
	struct dkmsconf_elem *el;

	if (d < N_SCALARS)
		return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
					"evaluation output: '%s' is not an array directive",
					dks_dkmsconf_shown(name, b, sizeof(b)));
	if (!parse_index(idx, &i))
		return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
					"%s: index '%s' is not an array index", name,
					dks_dkmsconf_shown(idx, b, sizeof(b)));
	el = realloc(rd->v[d].el, (rd->v[d].n + 1) * sizeof(*el));
	if (!el)
		return dks_err(err, ENOMEM, "%s", rd->conf);
	rd->v[d].el = el;
	el[rd->v[d].n++] = (struct dkmsconf_elem){.idx = i, .val = val};
	return 0;
}

/* One record at *pos; *ended when it was E. */
static int read_record(struct reader *rd, const char **pos, const char *end, bool *ended,
		       struct dks_error *err)
{
	const char *type, *f[3];
	char b[80];
	int nf;

	if (next_field(pos, end, &type) < 0)
		return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
					"evaluation output: truncated record");
	if (strcmp(type, "E") == 0) {
		*ended = true;
		return 0;
	}
	nf = strcmp(type, "S") == 0 ? 2 : strcmp(type, "A") == 0 ? 3 : 0;
	if (!nf)
		return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
					"evaluation output: unknown record type '%s'",
					dks_dkmsconf_shown(type, b, sizeof(b)));
	for (int i = 0; i < nf; i++)
		if (next_field(pos, end, &f[i]) < 0)
			return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
						"evaluation output: truncated %s record", type);
	return nf == 2 ? store_scalar(rd, f[0], f[1], err) : store_elem(rd, f[0], f[1], f[2], err);
}

static int elem_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct dkmsconf_elem *)a)->idx,
		      y = ((const struct dkmsconf_elem *)b)->idx;

	return x < y ? -1 : x > y;
}

/* Arrays in index order; an index twice is an error (bash prints each once). */
static int sort_arrays(struct reader *rd, struct dks_error *err)
{
	for (int d = N_SCALARS; d < N_DIRECTIVES; d++) {
		struct dkmsconf_raw *r = &rd->v[d];

		if (r->n)
			qsort(r->el, r->n, sizeof(*r->el), elem_cmp);
		for (size_t i = 1; i < r->n; i++)
			if (r->el[i].idx == r->el[i - 1].idx)
				return dks_dkmsconf_bad(rd->conf, err, DKS_EXIT_BAD_CONF,
							"evaluation output: %s[%lu] twice",
							dks_dkmsconf_directive_names[d],
							r->el[i].idx);
	}
	return 0;
}

int dks_dkmsconf_read_records(const char *conf, const char *records, size_t len,
			      struct dkmsconf_raw v[N_DIRECTIVES], struct dks_error *err)
{
	struct reader rd = {.conf = conf, .v = v};
	const char *pos = records, *end = records + len;
	bool ended = false;

	if (len > DKS_DKMSCONF_MAX_OUTPUT)
		return dks_dkmsconf_bad(conf, err, DKS_EXIT_BAD_CONF,
					"evaluation output exceeds %d bytes",
					DKS_DKMSCONF_MAX_OUTPUT);
	while (pos < end && !ended)
		if (read_record(&rd, &pos, end, &ended, err) < 0)
			return -1;
	if (!ended)
		return dks_dkmsconf_bad(
		    conf, err, DKS_EXIT_BAD_CONF,
		    "the evaluation stopped before the end (does the file call exit?)");
	if (pos != end)
		return dks_dkmsconf_bad(conf, err, DKS_EXIT_BAD_CONF,
					"evaluation output: data after the end record");
	return sort_arrays(&rd, err);
}

void dks_dkmsconf_raw_free(struct dkmsconf_raw v[N_DIRECTIVES])
{
	for (int i = 0; i < N_DIRECTIVES; i++) {
		free(v[i].el);
		v[i].el = NULL;
		v[i].n = 0;
	}
}
