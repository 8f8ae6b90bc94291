// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Two builds of one unit compared (build --check, buildcheck.c): the same
 * set of .ko files in module/, each byte for byte; the first difference
 * named by file and ELF section (installer/elfcmp.c). A module signature
 * appended to either (sign, or a builder that signed) is not part of the
 * build: the bytes before a well-formed trailer are compared.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildcheck.h"
#include "dks/cleanup.h"
#include "dks/elfcmp.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "dks/sha256.h"
#include "dks/strv.h"
#include "installer/sign.h"

#define KO_MAX (512ULL << 20) /* no module is near this; a bigger file is refused */

/* A regular file's bytes, never through a link. */
static int slurp(const char *dir, const char *name, unsigned char **p, size_t *n,
		 struct dks_error *err)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd =
		dfd < 0 ? -1 : openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s/%s", dir, name);
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > KO_MAX)
		return dks_err(err, 0, "%s/%s: not a regular file of at most 512 MiB", dir, name);
	*n = (size_t)st.st_size;
	*p = malloc(*n ? *n : 1);
	if (!*p)
		return dks_err(err, ENOMEM, "%s/%s", dir, name);
	if (dks_read_full(fd, *p, *n) != (ssize_t)*n) {
		free(*p);
		*p = NULL;
		return dks_err(err, errno ? errno : EIO, "%s/%s: short read", dir, name);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the .ko files in @dir, sorted. */
static int list_ko(const char *dir, struct strv *out, struct dks_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return dks_err(err, errno, "%s", dir);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 3 && strcmp(e->d_name + l - 3, ".ko") == 0 && strv_push(out, e->d_name) < 0) {
			closedir(d);
			return dks_err(err, ENOMEM, "%s", dir);
		}
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* The two sides: the tree's build and the other (a rebuild, an archive). */
struct sides {
	const char *unit, *tree_dir, *new_dir, *new_what;
};

static int differs(const struct sides *s, const char *what, struct dks_error *err)
{
	return dks_err_code(err, DKS_EXIT_CHECK_DIFFERS, 0, "%s: %s differs from the tree's build: %s",
			    s->unit, s->new_what, what);
}

/* One file of both builds. */
static int cmp_one(const struct sides *s, const char *name, struct dks_error *err)
{
	cleanup_free unsigned char *a = NULL;
	cleanup_free unsigned char *b = NULL;
	char where[256], msg[512], hex[DKS_SHA256_HEX];
	size_t na = 0, nb = 0;
	int r;

	if (slurp(s->tree_dir, name, &a, &na, err) < 0 || slurp(s->new_dir, name, &b, &nb, err) < 0)
		return -1;
	na = dks_module_unsigned_len(a, na) ? dks_module_unsigned_len(a, na) : na;
	nb = dks_module_unsigned_len(b, nb) ? dks_module_unsigned_len(b, nb) : nb;
	r = dks_elf_first_diff(a, na, "the tree's build", b, nb, s->new_what, where,
			       sizeof(where));
	if (r > 0) {
		snprintf(msg, sizeof(msg), "%s: %s", name, where);
		return differs(s, msg, err);
	}
	dks_sha256_buf(a, na, hex);
	printf("%s: %s: identical, sha256 %s\n", s->unit, name, hex);
	return 0;
}

/* Both sorted lists walked together. */
static int cmp_lists(const struct sides *s, const struct strv *a, const struct strv *b,
		     struct dks_error *err)
{
	char msg[512];

	for (size_t i = 0, j = 0; i < a->n || j < b->n; i++, j++) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);

		if (c != 0) {
			snprintf(msg, sizeof(msg), "%.200s only in %.200s", c < 0 ? a->v[i] : b->v[j],
				 c < 0 ? "the tree's build" : s->new_what);
			return differs(s, msg, err);
		}
		if (cmp_one(s, a->v[i], err) < 0)
			return -1;
	}
	return a->n ? 0 : differs(s, "no .ko file in either", err);
}

int dks_build_compare_with(const char *unit, const char *tree_dir, const char *new_dir,
			   const char *new_what, struct dks_error *err)
{
	const struct sides s = {unit, tree_dir, new_dir, new_what};
	struct strv a = {0}, b = {0};
	int ret = -1;

	if (list_ko(tree_dir, &a, err) == 0 && list_ko(new_dir, &b, err) == 0)
		ret = cmp_lists(&s, &a, &b, err);
	strv_free(&a);
	strv_free(&b);
	return ret;
}

int dks_build_compare(const char *unit, const char *tree_dir, const char *new_dir,
		      struct dks_error *err)
{
	return dks_build_compare_with(unit, tree_dir, new_dir, "the rebuild", err);
}
