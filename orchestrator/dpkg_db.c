// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpkg's database, read (orchestrator/dpkg_db.h). Its files are root's,
 * written by dpkg, but what they say comes from packages: a package's
 * file list and its control fields are the package author's. So every
 * line is bounded (DKS_DPKG_LINE_MAX: a longer one is skipped, and the
 * paragraph it is in gives nothing), names are checked, paths are only
 * compared, never opened, and nothing is run.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "orchestrator/dpkg_db.h"

#define NAME_MAX_LEN 128

bool dks_dpkg_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > NAME_MAX_LEN ||
	    !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("+.-", *s))
			return false;
	return true;
}

/* One line into @buf (without its newline): its length, or -1 at the end.
 * A line longer than @size - 1 is read to its end and *@overlong set. */
static ssize_t read_line(FILE *f, char *buf, size_t size, bool *overlong)
{
	size_t n = 0;
	int c;

	*overlong = false;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n + 1 < size)
			buf[n++] = (char)c;
		else
			*overlong = true;
	}
	if (c == EOF && n == 0 && !*overlong)
		return -1;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* A regular file of the database, or NULL (missing, or not a file). */
static FILE *open_db_file(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	return f;
}

/* ---- info/<pkg>.list ---- */

/* The package of list file @file ("name[:arch].list") into @pkg, or false. */
static bool list_package(const char *file, char *pkg, size_t size)
{
	size_t n = strlen(file);
	const char *colon;

	if (n <= 5 || strcmp(file + n - 5, ".list") != 0)
		return false;
	n -= 5;
	colon = memchr(file, ':', n);
	if (colon)
		n = (size_t)(colon - file);
	if (n >= size)
		return false;
	memcpy(pkg, file, n);
	pkg[n] = '\0';
	return dks_dpkg_name_ok(pkg);
}

static int push_owner(struct strv *out, size_t i, const char *pkg, struct dks_error *err)
{
	char idx[32];

	snprintf(idx, sizeof(idx), "%zu", i);
	if (strv_push(out, idx) < 0 || strv_push(out, pkg) < 0)
		return dks_err(err, ENOMEM, "dpkg database");
	return 0;
}

/* Every line of list @f that is one of @paths (of lengths @lens): a pair
 * onto @out. */
static int scan_list(FILE *f, const char *pkg, const struct strv *paths, const size_t *lens,
		     char *buf, struct strv *out, struct dks_error *err)
{
	bool overlong;
	ssize_t len;

	while ((len = read_line(f, buf, DKS_DPKG_LINE_MAX + 1, &overlong)) >= 0) {
		if (overlong || len == 0 || buf[0] != '/')
			continue;
		for (size_t i = 0; i < paths->n; i++)
			if ((size_t)len == lens[i] && memcmp(buf, paths->v[i], lens[i]) == 0 &&
			    push_owner(out, i, pkg, err) < 0)
				return -1;
	}
	return 0;
}

/* The last component every one of @paths ends with ("/dkms.conf"), or
 * NULL when they differ: a list without it holds none of them. */
static const char *common_base(const struct strv *paths)
{
	const char *base = strrchr(paths->v[0], '/');
	size_t n = base ? strlen(base) : 0;

	for (size_t i = 0; base && i < paths->n; i++) {
		size_t len = strlen(paths->v[i]);

		if (len < n || strcmp(paths->v[i] + len - n, base) != 0)
			base = NULL;
	}
	return base;
}

/* Does @f hold @needle anywhere? Read in blocks (a needle across two is
 * kept by carrying its length less one), then rewound: most of the
 * thousands of lists do not, and are not parsed line by line. */
static bool mentions(FILE *f, const char *needle, char *buf, size_t size)
{
	size_t n = strlen(needle), keep = 0, got;
	bool found = false;

	while (!found && (got = fread(buf + keep, 1, size - keep, f)) > 0) {
		size_t have = keep + got;

		found = memmem(buf, have, needle, n) != NULL;
		keep = have < n - 1 ? have : n - 1;
		memmove(buf, buf + have - keep, keep);
	}
	rewind(f);
	return found;
}

int dks_dpkg_owners(const char *admindir, const struct strv *paths, struct strv *out,
		    struct dks_error *err)
{
	cleanup_free char *info = NULL, *buf = malloc(DKS_DPKG_LINE_MAX + 1);
	cleanup_free size_t *lens = calloc(paths->n + 1, sizeof(*lens));
	cleanup_close int dfd = -1;
	DIR *d;
	struct dirent *e;
	char pkg[NAME_MAX_LEN + 1];
	const char *base;
	int ret = 0;

	if (!buf || !lens || asprintf(&info, "%s/info", admindir) < 0)
		return dks_err(err, ENOMEM, "dpkg database");
	for (size_t i = 0; i < paths->n; i++)
		lens[i] = strlen(paths->v[i]);
	if (paths->n == 0 || (dfd = open(info, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0; /* no database: no owners */
	base = common_base(paths);
	d = fdopendir(dup(dfd));
	if (!d)
		return dks_err(err, errno, "dpkg database %s", info);
	while (ret == 0 && (e = readdir(d))) {
		FILE *f;

		if (!list_package(e->d_name, pkg, sizeof(pkg)) ||
		    !(f = open_db_file(dfd, e->d_name)))
			continue;
		if (!base || mentions(f, base, buf, DKS_DPKG_LINE_MAX + 1))
			ret = scan_list(f, pkg, paths, lens, buf, out, err);
		fclose(f);
	}
	closedir(d);
	return ret;
}

/* ---- status: Depends and Pre-Depends ---- */

/* Each package @rel names ("a (>= 1) | b:any, c [amd64] <!nocheck>"),
 * once, onto @out. */
static int parse_relations(const char *rel, struct strv *out, struct dks_error *err)
{
	const char *p = rel;

	while (*p) {
		char name[NAME_MAX_LEN + 1];
		size_t n = 0;

		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '|')
			p++;
		while (*p && !strchr(" \t,|([<:", *p)) {
			if (n < NAME_MAX_LEN)
				name[n] = *p;
			n++, p++;
		}
		name[n < NAME_MAX_LEN ? n : NAME_MAX_LEN] = '\0';
		if (n > 0 && n <= NAME_MAX_LEN && dks_dpkg_name_ok(name) &&
		    !strv_contains(out, name) && strv_push(out, name) < 0)
			return dks_err(err, ENOMEM, "dpkg database");
		while (*p && *p != ',' && *p != '|') /* version, arch, profile */
			p++;
	}
	return 0;
}

/* One paragraph being read. */
struct para {
	bool is_pkg; /* its Package is the one asked for */
	bool bad;    /* an overlong line or field: it gives nothing */
	bool in_rel; /* the last field is Depends or Pre-Depends */
	char *rel;   /* their text, joined */
	size_t len;
};

static void rel_append(struct para *p, const char *s)
{
	size_t n = strlen(s);
	char *r;

	if (p->len + n + 2 > DKS_DPKG_LINE_MAX || !(r = realloc(p->rel, p->len + n + 2))) {
		p->bad = true;
		return;
	}
	r[p->len] = ',';
	memcpy(r + p->len + 1, s, n + 1);
	p->rel = r;
	p->len += n + 1;
}

/* "Name: value" of @line if its field is @field, else NULL. */
static const char *field(const char *line, const char *field)
{
	size_t n = strlen(field);

	if (strncasecmp(line, field, n) != 0 || line[n] != ':')
		return NULL;
	return line + n + 1 + strspn(line + n + 1, " \t");
}

static void para_line(struct para *p, const char *line, const char *pkg)
{
	const char *v;

	if (line[0] == ' ' || line[0] == '\t') {
		if (p->in_rel)
			rel_append(p, line);
		return;
	}
	p->in_rel = false;
	if ((v = field(line, "Package")))
		p->is_pkg = strcmp(v, pkg) == 0;
	else if ((v = field(line, "Depends")) || (v = field(line, "Pre-Depends"))) {
		p->in_rel = true;
		rel_append(p, v);
	}
}

/* The end of a paragraph: its relations onto @out if it is @pkg's. */
static int para_end(struct para *p, struct strv *out, struct dks_error *err)
{
	int ret = 0;

	if (p->is_pkg && !p->bad && p->rel)
		ret = parse_relations(p->rel, out, err);
	free(p->rel);
	*p = (struct para){0};
	return ret;
}

int dks_dpkg_depends(const char *admindir, const char *pkg, struct strv *out, struct dks_error *err)
{
	cleanup_free char *buf = malloc(DKS_DPKG_LINE_MAX + 1);
	cleanup_close int dfd = open(admindir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct para p = {0};
	bool overlong;
	FILE *f;
	int ret = 0;

	if (!buf)
		return dks_err(err, ENOMEM, "dpkg database");
	if (dfd < 0 || !(f = open_db_file(dfd, "status")))
		return 0; /* no database: no dependencies */
	while (ret == 0 && read_line(f, buf, DKS_DPKG_LINE_MAX + 1, &overlong) >= 0) {
		if (overlong)
			p.bad = true;
		else if (buf[0] == '\0')
			ret = para_end(&p, out, err);
		else
			para_line(&p, buf, pkg);
	}
	if (ret == 0)
		ret = para_end(&p, out, err);
	else
		free(p.rel);
	fclose(f);
	return ret;
}
