// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A cache entry's manifest (dks/cache.h), as text:
 *
 *   dkms-sandbox-cache 1
 *   input module=hello            (one line per input, in this order;
 *   ...                            "input NAME" alone: unset)
 *   file SHA256 SIZE NAME         (names in increasing byte order)
 *   end
 *
 * The entry's directory is untrusted (any builder with write access, a
 * damaged share): the parser takes only the canonical text, checks every
 * bound, and the caller recomputes the key from the inputs read here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cache.h"
#include "dks/cleanup.h"

#define N_INPUTS 12
static const char *const input_names[N_INPUTS] = {
    "module",  "release", "arch",   "vermagic", "config",    "symvers",
    "version", "profile", "source", "spec",     "toolchain", "vmlinux",
};

/* The string inputs (0-3, 6-7) and the hex ones (4, 5, 8-11) of @m. */
static char **str_slot(struct dks_cache_manifest *m, size_t i)
{
	char **slots[N_INPUTS] = {&m->module, &m->in.kernel.release, &m->in.kernel.arch,
				  &m->in.kernel.vermagic, NULL, NULL, &m->version, &m->profile};

	return slots[i];
}

static char *hex_slot(struct dks_cache_manifest *m, size_t i)
{
	char *slots[N_INPUTS] = {[4] = m->in.kernel.config, [5] = m->in.kernel.symvers,
				 [8] = m->in.source, [9] = m->in.spec, [10] = m->in.toolchain,
				 [11] = m->in.kernel.vmlinux};

	return slots[i];
}

static const char *value_of(const struct dks_unit_inputs *in, size_t i)
{
	const char *v[N_INPUTS] = {in->module,	     in->kernel.release, in->kernel.arch,
				   in->kernel.vermagic, in->kernel.config,  in->kernel.symvers,
				   in->version,	     in->profile,	 in->source,
				   in->spec,	     in->toolchain,	 in->kernel.vmlinux};

	return v[i];
}

bool dks_cache_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > DKS_CACHE_NAME_MAX || name[0] == '.' ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-") != n)
		return false;
	return strcmp(name, DKS_CACHE_LOG) == 0 || (n > 3 && strcmp(name + n - 3, ".ko") == 0);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int put_inputs(FILE *f, const struct dks_unit_inputs *in)
{
	for (size_t i = 0; i < N_INPUTS; i++) {
		const char *v = value_of(in, i);

		if (v && (!printable(v) || strlen(v) > DKS_CACHE_VALUE_MAX))
			return -1;
		fprintf(f, v ? "input %s=%s\n" : "input %s\n", input_names[i], v ? v : "");
	}
	return 0;
}

char *dks_cache_manifest_format(const struct dks_cache_manifest *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ok;

	if (!f)
		return NULL;
	fprintf(f, "%s\n", DKS_CACHE_FORMAT);
	ok = put_inputs(f, &m->in) == 0;
	for (size_t i = 0; ok && i < m->n_files; i++)
		fprintf(f, "file %s %llu %s\n", m->files[i].sha256,
			(unsigned long long)m->files[i].size, m->files[i].name);
	fputs("end\n", f);
	if (fclose(f) != 0 || !ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* "input NAME[=VALUE]" for input @i. */
static int parse_input(struct dks_cache_manifest *m, size_t i, const char *line,
		       const char *what, struct dks_error *err)
{
	size_t n = strlen(input_names[i]);
	const char *v;

	if (strncmp(line, "input ", 6) != 0 || strncmp(line + 6, input_names[i], n) != 0 ||
	    (line[6 + n] != '=' && line[6 + n] != '\0'))
		return dks_err(err, 0, "%s: the manifest's input %zu is not '%s'", what, i + 1,
			       input_names[i]);
	v = line[6 + n] == '=' ? line + 7 + n : NULL;
	if (v && strlen(v) > DKS_CACHE_VALUE_MAX)
		return dks_err(err, 0, "%s: the manifest's %s is too long", what, input_names[i]);
	if (str_slot(m, i)) {
		if (v && !(*str_slot(m, i) = strdup(v)))
			return dks_err(err, ENOMEM, "%s", what);
		return 0;
	}
	if (!v || (*v && !is_hex64(v)))
		return dks_err(err, 0, "%s: the manifest's %s is not a sha256", what,
			       input_names[i]);
	memcpy(hex_slot(m, i), v, strlen(v) + 1);
	return 0;
}

/* "file SHA256 SIZE NAME", after the previous name. */
static int parse_file(struct dks_cache_manifest *m, char *line, const char *what,
		      struct dks_error *err)
{
	struct dks_cache_file *f = &m->files[m->n_files];
	char *sha = line + 5, *size, *name, *end;

	if (m->n_files >= DKS_CACHE_FILES_MAX)
		return dks_err(err, 0, "%s: more than %d files", what, DKS_CACHE_FILES_MAX);
	size = strchr(sha, ' ');
	name = size ? strchr(size + 1, ' ') : NULL;
	if (!name)
		return dks_err(err, 0, "%s: a malformed file line", what);
	*size++ = *name++ = '\0';
	errno = 0;
	f->size = strtoull(size, &end, 10);
	if (!is_hex64(sha) || *end || !*size || strspn(size, "0123456789") != strlen(size) ||
	    errno || f->size > DKS_CACHE_FILE_MAX || !dks_cache_name_ok(name))
		return dks_err(err, 0, "%s: file '%.64s': a bad sha256, size (at most %llu) or name",
			       what, name, DKS_CACHE_FILE_MAX);
	if (m->n_files && strcmp(m->files[m->n_files - 1].name, name) >= 0)
		return dks_err(err, 0, "%s: file '%s' is out of order or twice", what, name);
	memcpy(f->sha256, sha, DKS_SHA256_HEX);
	snprintf(f->name, sizeof(f->name), "%s", name);
	m->n_files++;
	return 0;
}

/* The next line of @buf at *@pos, NUL-ended in place; NULL at the end. */
static char *next_line(char *buf, size_t len, size_t *pos)
{
	char *line = buf + *pos, *nl;

	if (*pos >= len)
		return NULL;
	nl = memchr(line, '\n', len - *pos);
	if (!nl)
		return NULL;
	*nl = '\0';
	*pos = (size_t)(nl - buf) + 1;
	return line;
}

static int parse_lines(char *buf, size_t len, const char *what, struct dks_cache_manifest *m,
		       struct dks_error *err)
{
	size_t pos = 0;
	char *line = next_line(buf, len, &pos);

	if (!line || strcmp(line, DKS_CACHE_FORMAT) != 0)
		return dks_err(err, 0, "%s: not a manifest of format '%s'", what, DKS_CACHE_FORMAT);
	for (size_t i = 0; i < N_INPUTS; i++)
		if (!(line = next_line(buf, len, &pos)) || parse_input(m, i, line, what, err) < 0)
			return line ? -1 : dks_err(err, 0, "%s: the manifest is truncated", what);
	while ((line = next_line(buf, len, &pos)) && strncmp(line, "file ", 5) == 0)
		if (parse_file(m, line, what, err) < 0)
			return -1;
	if (!line || strcmp(line, "end") != 0 || pos != len)
		return dks_err(err, 0, "%s: the manifest is truncated or has more after 'end'", what);
	return 0;
}

int dks_cache_manifest_parse(const char *buf, size_t len, const char *what,
			     struct dks_cache_manifest *m, struct dks_error *err)
{
	cleanup_free char *copy = NULL;
	cleanup_free char *again = NULL;

	memset(m, 0, sizeof(*m));
	if (len > DKS_CACHE_MANIFEST_MAX || memchr(buf, '\0', len))
		return dks_err(err, 0, "%s: the manifest is too large or holds a NUL", what);
	copy = malloc(len + 1);
	if (!copy)
		return dks_err(err, ENOMEM, "%s", what);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if (parse_lines(copy, len, what, m, err) < 0)
		goto bad;
	m->in.module = m->module;
	m->in.version = m->version;
	m->in.profile = m->profile;
	/* One text per manifest: what we would write, byte for byte. */
	again = dks_cache_manifest_format(m);
	if (again && strlen(again) == len && memcmp(again, buf, len) == 0)
		return 0;
	dks_err(err, 0, "%s: the manifest is not in its canonical form", what);
bad:
	dks_cache_manifest_clear(m);
	return -1;
}

void dks_cache_manifest_clear(struct dks_cache_manifest *m)
{
	free(m->module);
	free(m->version);
	free(m->profile);
	dks_kernel_id_clear(&m->in.kernel);
	memset(m, 0, sizeof(*m));
}
