// SPDX-License-Identifier: GPL-2.0-or-later
/* The install record: installrec.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/installrec.h"

#define REC_MAGIC "dkms-sandbox installed 1\n"

uint64_t dks_fnv1a64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

void dks_installrec_path(char *buf, size_t size, const struct dks_tree *t, const char *m,
			 const char *kver, const char *arch)
{
	snprintf(buf, size, "%s/%s/.installed-%s-%s", t->dkms_tree, m, kver, arch);
}

void dks_installrec_free(struct dks_installrec *r)
{
	free(r->e);
	free(r->shadow);
	r->e = NULL;
	r->shadow = NULL;
	r->n = r->n_shadow = 0;
}

int dks_installrec_add_shadow(struct dks_installrec *r, const char *module, bool builtin,
			      const char *path)
{
	struct dks_installrec_shadow *s;

	if (r->n_shadow >= DKS_INSTALLREC_SHADOWS_MAX || strpbrk(path, "\t\n") ||
	    strpbrk(module, "\t\n") || strlen(path) >= PATH_MAX || strlen(module) > NAME_MAX)
		return 0;
	s = reallocarray(r->shadow, r->n_shadow + 1, sizeof(*s));
	if (!s)
		return -1;
	r->shadow = s;
	s = &r->shadow[r->n_shadow++];
	snprintf(s->module, sizeof(s->module), "%s", module);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->builtin = builtin;
	return 0;
}

static void put_stamp(FILE *f, const struct dks_filestamp *s)
{
	fprintf(f, "\t%lld\t%lld\t%016" PRIx64 "\t%s", s->size, s->mtime_ns, s->hash, s->path);
}

int dks_installrec_format(const struct dks_installrec *r, char **out, size_t *len,
			  struct dks_error *err)
{
	FILE *f = open_memstream(out, len);

	if (!f)
		return dks_err(err, errno, "install record");
	fprintf(f, REC_MAGIC "version %s\n", r->version);
	for (size_t i = 0; i < r->n; i++) {
		fputs("module", f);
		put_stamp(f, &r->e[i].installed);
		put_stamp(f, &r->e[i].built);
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->n_shadow; i++)
		fprintf(f, "shadows\t%s\t%s\t%s\n", r->shadow[i].module,
			r->shadow[i].builtin ? "built-in" : "in-tree", r->shadow[i].path);
	if (fclose(f) != 0)
		return dks_err(err, errno, "install record");
	return 0;
}

/* "\t<size>\t<mtime>\t<hash>\t<path>" at *p, up to the next tab or newline. */
static int get_stamp(char **p, struct dks_filestamp *s)
{
	char *end;
	int used = 0;
	size_t n;

	if (sscanf(*p, "\t%lld\t%lld\t%16" SCNx64 "\t%n", &s->size, &s->mtime_ns, &s->hash,
		   &used) != 3 || !used)
		return -1;
	*p += used;
	n = strcspn(*p, "\t\n");
	if (n == 0 || n >= sizeof(s->path) || **p != '/')
		return -1;
	memcpy(s->path, *p, n);
	s->path[n] = 0;
	end = *p + n;
	*p = end;
	return 0;
}

/* "shadows\t<module>\t<in-tree|built-in>\t<path>\n" */
static int read_shadow(struct dks_installrec *r, char *line)
{
	char *module = line + strlen("shadows\t"), *kind, *path, *end;

	kind = strchr(module, '\t');
	path = kind ? strchr(kind + 1, '\t') : NULL;
	end = path ? strchr(path + 1, '\n') : NULL;
	if (!end || end[1] || r->n_shadow >= DKS_INSTALLREC_SHADOWS_MAX)
		return -1;
	*kind++ = *path++ = *end = '\0';
	if (!*module || !*path || (strcmp(kind, "in-tree") && strcmp(kind, "built-in")))
		return -1;
	return dks_installrec_add_shadow(r, module, strcmp(kind, "built-in") == 0, path);
}

static int read_line(struct dks_installrec *r, char *line)
{
	struct dks_installrec_entry *e;
	char *p = line + strlen("module");

	if (strncmp(line, "shadows\t", 8) == 0)
		return read_shadow(r, line);
	if (strncmp(line, "module\t", 7) != 0 || r->n >= 64 || r->n_shadow)
		return -1;
	e = reallocarray(r->e, r->n + 1, sizeof(*e));
	if (!e)
		return -1;
	r->e = e;
	e = &r->e[r->n];
	if (get_stamp(&p, &e->installed) < 0 || get_stamp(&p, &e->built) < 0 || *p != '\n')
		return -1;
	r->n++;
	return 0;
}

int dks_installrec_read_stream(FILE *f, const char *path, struct dks_installrec *r,
			       struct dks_error *err)
{
	char line[2 * PATH_MAX + 128];

	memset(r, 0, sizeof(*r));
	if (!fgets(line, sizeof(line), f) || strcmp(line, REC_MAGIC) != 0 ||
	    !fgets(line, sizeof(line), f) ||
	    sscanf(line, "version %128[^\n]", r->version) != 1)
		return dks_err(err, 0, "%s: not an install record", path);
	while (fgets(line, sizeof(line), f))
		if (read_line(r, line) < 0) {
			dks_installrec_free(r);
			return dks_err(err, 0, "%s: a bad line", path);
		}
	return 1;
}

int dks_installrec_read(const char *path, struct dks_installrec *r, struct dks_error *err)
{
	cleanup_fclose FILE *f = fopen(path, "re");

	memset(r, 0, sizeof(*r));
	if (!f)
		return errno == ENOENT ? 0 : dks_err(err, errno, "%s", path);
	return dks_installrec_read_stream(f, path, r, err);
}
