// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the load test loads (orchestrator/testload.h): for each module of
 * the build, its depends= (read from its .modinfo without running
 * anything), resolved through the target kernel's modules.dep as modprobe
 * does (a line's dependencies loaded from the last to the first, then the
 * module), each module once; then the build's own modules, each after
 * those of the build it depends on. A path modules.dep gives is used
 * only below the kernel's modules directory (no '/' first, no '..').
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "installer/validate.h"
#include "testload.h"

#define MODULES_DEP_MAX (32UL * 1024 * 1024)
#define KO_MAX (256UL * 1024 * 1024)

struct plan {
	struct dks_tl_module *m;
	size_t n;
	const char *moddir;
	char *dep; /* modules.dep, NUL-terminated */
};

/* A module's name from a path: its basename before ".ko", '-' as '_'. */
static void name_of(const char *path, size_t len, char *out, size_t size)
{
	const char *slash = memrchr(path, '/', len), *b = slash ? slash + 1 : path;
	size_t n = (size_t)(path + len - b), i;
	const char *ko = memmem(b, n, ".ko", 3);

	if (ko)
		n = (size_t)(ko - b);
	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = b[i] == '-' ? '_' : b[i];
	out[i] = '\0';
}

static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a == '-' ? '_' : *a) != (*b == '-' ? '_' : *b))
			return false;
	return *a == *b;
}

static int add(struct plan *p, const char *path, const char *name, bool dep,
	       struct dks_error *err)
{
	struct dks_tl_module *m;

	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->m[i].path, path) == 0)
			return 0;
	if (p->n == DKS_TL_SLOTS_MAX)
		return dks_err(err, E2BIG, "load test: more than %d modules to load",
			       DKS_TL_SLOTS_MAX);
	if (!(m = realloc(p->m, (p->n + 1) * sizeof(*m))))
		return dks_err(err, ENOMEM, "load test");
	p->m = m;
	m[p->n] = (struct dks_tl_module){strdup(path), strdup(name), dep};
	if (!m[p->n].path || !m[p->n].name)
		return dks_err(err, ENOMEM, "load test");
	p->n++;
	return 0;
}

/* A modules.dep path, checked, as a host path below the kernel's dir. */
static int dep_path(const struct plan *p, const char *rel, size_t n, char *out, size_t size,
		    struct dks_error *err)
{
	char shown[128];

	snprintf(shown, sizeof(shown), "%.*s", (int)(n < 100 ? n : 100), rel);
	if (!n || *rel == '/' || memmem(rel, n, "..", 2) || memchr(rel, ' ', n))
		return dks_err(err, 0, "load test: %s/modules.dep names '%s'", p->moddir, shown);
	if (n < 3 || memcmp(rel + n - 3, ".ko", 3) != 0)
		return dks_err(err, 0,
			       "load test: %s/%s is compressed; the load test takes .ko files only",
			       p->moddir, shown);
	if ((size_t)snprintf(out, size, "%s/%.*s", p->moddir, (int)n, rel) >= size)
		return dks_err(err, ENAMETOOLONG, "load test: %s", shown);
	return 0;
}

/* The line of modules.dep for module @name, or NULL. */
static const char *find_line(const struct plan *p, const char *name)
{
	char have[64];

	for (const char *l = p->dep; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
		size_t colon = strcspn(l, ":\n");

		if (l[colon] != ':')
			continue;
		name_of(l, colon, have, sizeof(have));
		if (same_name(have, name))
			return l;
	}
	return NULL;
}

/* @name and what it needs, from modules.dep: the last dependency first. */
static int add_kernel_module(struct plan *p, const char *name, struct dks_error *err)
{
	const char *l, *deps, *end;
	char path[4096], nm[64];
	size_t colon, len;

	/* read only when a module needs one of the kernel's: a module without
	 * dependencies is tested with a bare image */
	snprintf(path, sizeof(path), "%s/modules.dep", p->moddir);
	if (!p->dep && dks_tl_read_file(path, MODULES_DEP_MAX, &p->dep, &len, err) < 0)
		return -1;
	l = find_line(p, name);
	if (!l)
		return dks_err(err, 0, "load test: the module depends on '%s', which is not in %s/modules.dep",
			       name, p->moddir);
	colon = strcspn(l, ":");
	deps = l + colon + 1;
	end = deps + strcspn(deps, "\n");
	while (end > deps) {
		const char *w = end;

		while (w > deps && w[-1] != ' ')
			w--;
		if (end > w) {
			if (dep_path(p, w, (size_t)(end - w), path, sizeof(path), err) < 0)
				return -1;
			name_of(w, (size_t)(end - w), nm, sizeof(nm));
			if (add(p, path, nm, true, err) < 0)
				return -1;
		}
		end = w > deps ? w - 1 : w;
	}
	if (dep_path(p, l, colon, path, sizeof(path), err) < 0)
		return -1;
	return add(p, path, name, true, err);
}

int dks_tl_read_file(const char *path, size_t max, char **out, size_t *len,
		     struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "load test: cannot read %s", path);
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max)
		return dks_err(err, 0, "load test: %s is not a regular file of at most %zu bytes",
			       path, max);
	if (!(*out = malloc((size_t)st.st_size + 1)))
		return dks_err(err, ENOMEM, "load test: %s", path);
	n = dks_read_full(fd, *out, (size_t)st.st_size);
	if (n < 0) {
		int e = errno;

		free(*out);
		*out = NULL;
		return dks_err(err, e, "load test: cannot read %s", path);
	}
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* Each name of a "a,b,c" depends= value that is not one of the build's. */
static int add_depends(struct plan *p, const char *depends, const struct dks_verinfo *vi,
		       size_t n_built, struct dks_error *err)
{
	char name[64];

	for (const char *s = depends; *s; s += *s == ',') {
		size_t n = strcspn(s, ",");
		bool ours = false;

		snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), s);
		s += n;
		for (size_t i = 0; i < n_built; i++)
			ours |= same_name(vi[i].name, name);
		if (*name && !ours && add_kernel_module(p, name, err) < 0)
			return -1;
	}
	return 0;
}

/* Does @depends name a module of the build not placed yet? */
static bool waits(const char *depends, const struct dks_verinfo *vi, const bool *placed,
		  size_t n)
{
	char name[64];

	for (const char *s = depends; *s; s += *s == ',') {
		size_t len = strcspn(s, ",");

		snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), s);
		s += len;
		for (size_t i = 0; i < n; i++)
			if (!placed[i] && same_name(vi[i].name, name))
				return true;
	}
	return false;
}

/* The build's modules, each after those of the build it depends on (a
 * cycle: the rest in the build's order; the kernel will say). */
static int add_built(struct plan *p, char *const *built, const struct dks_verinfo *vi,
		     size_t n, struct dks_error *err)
{
	bool placed[DKS_TL_SLOTS_MAX] = {false};
	size_t left = n;

	while (left) {
		size_t before = left;

		for (size_t i = 0; i < n; i++) {
			if (placed[i] || waits(vi[i].depends, vi, placed, n))
				continue;
			if (add(p, built[i], vi[i].name, false, err) < 0)
				return -1;
			placed[i] = true;
			left--;
		}
		for (size_t i = 0; before == left && i < n; i++)
			if (!placed[i]) {
				if (add(p, built[i], vi[i].name, false, err) < 0)
					return -1;
				placed[i] = true;
				left--;
			}
	}
	return 0;
}

static int read_verinfo(const char *path, struct dks_verinfo *vi, struct dks_error *err)
{
	cleanup_free char *ko = NULL;
	size_t len = 0;

	if (dks_tl_read_file(path, KO_MAX, &ko, &len, err) < 0)
		return -1;
	if (dks_module_verinfo(ko, len, vi) < 0 || !*vi->name)
		return dks_err(err, 0, "load test: %s is not a kernel module with a .modinfo name",
			       path);
	return 0;
}

int dks_tl_plan(const char *moddir, char *const *built, size_t n_built,
		struct dks_tl_module **out, size_t *n, struct dks_error *err)
{
	struct plan p = {.moddir = moddir};
	struct dks_verinfo vi[DKS_TL_SLOTS_MAX];
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (n_built == 0 || n_built > DKS_TL_SLOTS_MAX)
		return dks_err(err, 0, "load test: %zu modules built (1 to %d)", n_built,
			       DKS_TL_SLOTS_MAX);
	for (size_t i = 0; i < n_built; i++)
		if (read_verinfo(built[i], &vi[i], err) < 0)
			goto out;
	for (size_t i = 0; i < n_built; i++)
		if (add_depends(&p, vi[i].depends, vi, n_built, err) < 0)
			goto out;
	if (add_built(&p, built, vi, n_built, err) < 0)
		goto out;
	*out = p.m;
	*n = p.n;
	p.m = NULL;
	rc = 0;
out:
	dks_tl_modules_free(p.m, p.n);
	free(p.dep);
	return rc;
}

void dks_tl_modules_free(struct dks_tl_module *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].path);
		free(m[i].name);
	}
	free(m);
}
