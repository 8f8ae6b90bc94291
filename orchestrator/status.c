// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DKMS tree, reading side (include/dks/tree.h, docs/tree.md): status,
 * is_built, is_installed, dkms's status line and its JSON form.
 *
 * Only directories and links are read: never dkms.conf (it is shell, and
 * sourcing it is the hole this project closes), never a process, and never
 * the module lock (status must not wait for a build). Writers change the
 * tree by renames, and a build dir that a commit swaps out is deleted
 * while we may be reading it: every read of a build is checked against the
 * name afterwards and done again when the name moved on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/spec.h"
#include "dks/tree.h"
#include "dks/installer.h"
#include "dks/json.h"
#include "suffix.h"

/* Reads of one build that a writer may overtake, each time by a whole
 * commit: a reader that loses this often is starved, not unlucky. */
#define MAX_READS 1000

static const char *const state_names[] = {
    [DKS_ADDED] = "added",
    [DKS_BUILT] = "built",
    [DKS_INSTALLED] = "installed",
    [DKS_BROKEN] = "broken",
};

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define cleanup_dir __attribute__((cleanup(closedirp)))

/* Vanished, or not a directory (a link in its place): not an error for a
 * reader that races writers, just nothing there. */
static bool absent(int errnum)
{
	return errnum == ENOENT || errnum == ENOTDIR || errnum == ELOOP;
}

static int open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* ---- names of a directory ---- */

struct names {
	char **v;
	size_t n, cap;
};

static void names_release(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}
#define cleanup_names __attribute__((cleanup(names_release)))

static int names_add(struct names *ns, const char *name)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 16;
		char **v = reallocarray(ns->v, cap, sizeof(*v));

		if (!v)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n] = strdup(name);
	return ns->v[ns->n++] ? 0 : -1;
}

/* The visible names in @dirfd/@name (none when it is absent): hidden
 * entries are the tree's own (.lock, .stage-*, .new-*, .old-*, .gone-*).
 * Read whole before anything is looked at: writers rename under us. */
static int list_dir(int dirfd, const char *name, struct names *ns)
{
	int fd = open_dir(dirfd, name);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return absent(errno) ? 0 : -1;
	}
	while ((errno = 0, e = readdir(d)))
		if (e->d_name[0] != '.' && names_add(ns, e->d_name) < 0)
			return -1;
	return errno && !absent(errno) ? -1 : 0;
}

/* ---- one build ---- */

/* Is <afd>/module a directory? 1, 0, or -1 with errno. dkms's
 * is_module_built(): the dir, not what is in it. A module deleted from it
 * by hand leaves m/v built, with the "missing" suffix (suffix.c), and an
 * install refused (exit 6), not a rebuild. */
static int has_module(int afd)
{
	struct stat st;

	if (fstatat(afd, "module", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return absent(errno) ? 0 : -1;
	return S_ISDIR(st.st_mode);
}

/* Is @afd still the dir named <kfd>/<arch>, and still linked? */
static bool still_current(int kfd, const char *arch, int afd)
{
	struct stat a, b;

	return fstat(afd, &a) == 0 && a.st_nlink > 0 &&
	       fstatat(kfd, arch, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Is <kfd>/<arch> a build (module/ there)? 1, 0, or -1 with
 * errno. A commit swaps <arch> with a new build in one rename and then
 * deletes the old one, maybe while we read it: a read counts only when
 * <arch> still names the dir we read, and that dir is still linked. */
static int read_built(int kfd, const char *arch)
{
	for (int i = 0; i < MAX_READS; i++) {
		cleanup_close int afd = open_dir(kfd, arch);
		int built;

		if (afd < 0)
			return absent(errno) ? 0 : -1;
		built = has_module(afd);
		if (built < 0 && !absent(errno))
			return -1;
		if (still_current(kfd, arch, afd))
			return built > 0;
	}
	errno = EAGAIN;
	return -1;
}

bool dks_tree_is_built(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		       const char *arch)
{
	char path[3 * DKS_TREE_NAME_MAX + 4];
	cleanup_close int root = -1, kfd = -1;

	if (dks_tree_check_name("module", m, NULL) < 0 ||
	    dks_tree_check_name("version", v, NULL) < 0 ||
	    dks_tree_check_name("kernel", kver, NULL) < 0 ||
	    dks_tree_check_name("arch", arch, NULL) < 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s/%s", m, v, kver);
	root = open(t->dkms_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* O_NOFOLLOW guards the last level; the names hold no '/', and the
	 * tree's writers never make the upper levels links. */
	kfd = root >= 0 ? open_dir(root, path) : -1;
	return kfd >= 0 && read_built(kfd, arch) == 1;
}

/* ---- status ---- */

struct lines {
	struct dks_status *v;
	size_t n, cap;
};

static void lines_release(struct lines *l)
{
	dks_status_free(l->v, l->n);
}

static int push(struct lines *l, const char *m, const char *v, const char *kver, const char *arch,
		enum dks_state state)
{
	struct dks_status *s;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct dks_status *p = reallocarray(l->v, cap, sizeof(*p));

		if (!p)
			return -1;
		l->v = p;
		l->cap = cap;
	}
	s = &l->v[l->n++];
	*s = (struct dks_status){
	    .module = strdup(m),
	    .version = strdup(v),
	    .kver = kver ? strdup(kver) : NULL,
	    .arch = arch ? strdup(arch) : NULL,
	    .state = state,
	};
	if (!s->module || !s->version || (kver && !s->kver) || (arch && !s->arch))
		return errno = ENOMEM, -1;
	return 0;
}

/* Drop the lines from @n on. */
static void truncate_lines(struct lines *l, size_t n)
{
	for (size_t i = n; i < l->n; i++) {
		free(l->v[i].module);
		free(l->v[i].version);
		free(l->v[i].kver);
		free(l->v[i].arch);
	}
	l->n = n;
}

/* Where one module's scan is. */
struct scan {
	const struct dks_tree *t;
	const char *m;
	int mfd;
	struct lines *lines;
	struct dks_error *err;
};

/* Fill the error from errno for <root>/<m>[/<v>[/<kver>]]. */
static int scan_fail(const struct scan *sc, const char *v, const char *kver)
{
	int errnum = errno;

	return dks_err(sc->err, errnum, "status: cannot read %s/%s%s%s%s%s", sc->t->dkms_tree, sc->m,
		       v ? "/" : "", v ? v : "", kver ? "/" : "", kver ? kver : "");
}

static int scan_kernel(const struct scan *sc, int vfd, const char *v, const char *kver)
{
	cleanup_names struct names arches = {0};
	cleanup_close int kfd = open_dir(vfd, kver);

	if (kfd < 0)
		return absent(errno) ? 0 : scan_fail(sc, v, kver);
	if (list_dir(kfd, ".", &arches) < 0)
		return scan_fail(sc, v, kver);
	for (size_t i = 0; i < arches.n; i++) {
		const char *arch = arches.v[i];
		int built = read_built(kfd, arch);
		enum dks_state state = DKS_BUILT;

		if (built < 0)
			return scan_fail(sc, v, kver);
		if (!built)
			continue; /* a failed build's log, or gone */
		/* Mid-transaction (cut short) it is neither old nor new:
		 * recovery rolls it back (check-lostwrites, uninstall). */
		if (dks_installed_at(sc->mfd, v, kver, arch) &&
		    !dks_txn_cut_short_at(sc->mfd, kver, arch))
			state = DKS_INSTALLED;
		if (push(sc->lines, sc->m, v, kver, arch, state) < 0)
			return scan_fail(sc, v, kver);
		dks_build_suffix(sc->t, sc->m, v, kver, arch, state == DKS_INSTALLED,
				 &sc->lines->v[sc->lines->n - 1]);
	}
	return 0;
}

enum source_state { SOURCE_OK, SOURCE_MISSING, SOURCE_DANGLING };

static enum source_state source_state(int vfd)
{
	struct stat st;

	if (fstatat(vfd, "source", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return SOURCE_MISSING;
	if (fstatat(vfd, "source", &st, 0) < 0 || !S_ISDIR(st.st_mode))
		return SOURCE_DANGLING;
	return SOURCE_OK;
}

/* dkms 3.4's is_module_broken(): the link dangles, or it is missing while
 * <sourcetree>/<m>-<v>/ is there (someone deleted the link by hand). Ours
 * also: missing while builds are left (dkms 3.4 shows nothing then, and
 * every command says "not added": their installs would be forgotten). */
static bool broken(const struct dks_tree *t, const char *m, const char *v,
		   enum source_state src, bool had_builds)
{
	char dir[PATH_MAX];
	struct stat st;

	if (src == SOURCE_DANGLING)
		return true;
	if (src == SOURCE_OK)
		return false;
	if (had_builds)
		return true;
	return snprintf(dir, sizeof(dir), "%s/%s-%s", t->source_tree, m, v) < (int)sizeof(dir) &&
	       stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static int scan_version(const struct scan *sc, const char *v)
{
	cleanup_names struct names kernels = {0};
	cleanup_close int vfd = open_dir(sc->mfd, v);
	size_t before = sc->lines->n;
	enum source_state src;
	bool had_builds;

	if (vfd < 0)
		return absent(errno) ? 0 : scan_fail(sc, v, NULL);
	src = source_state(vfd);
	if (list_dir(vfd, ".", &kernels) < 0)
		return scan_fail(sc, v, NULL);
	for (size_t i = 0; i < kernels.n; i++) {
		if (strcmp(kernels.v[i], "source") == 0 || strcmp(kernels.v[i], "build") == 0)
			continue;
		if (scan_kernel(sc, vfd, v, kernels.v[i]) < 0)
			return -1;
	}
	had_builds = sc->lines->n > before;
	if (src == SOURCE_OK)
		return had_builds || push(sc->lines, sc->m, v, NULL, NULL, DKS_ADDED) == 0
			   ? 0
			   : scan_fail(sc, v, NULL);
	/* Like dkms: without its source, m/v is broken, whatever it built.
	 * A version dir with neither source nor builds nor a source dir in
	 * the source tree is what a remove that was interrupted leaves:
	 * nothing to report. */
	truncate_lines(sc->lines, before);
	if (broken(sc->t, sc->m, v, src, had_builds))
		if (push(sc->lines, sc->m, v, NULL, NULL, DKS_BROKEN) < 0)
			return scan_fail(sc, v, NULL);
	return 0;
}

int dks_tree_check_intact(const struct dks_tree *t, const char *m, const char *v,
			  struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	bool is_broken;

	if (dks_tree_status(t, m, v, &st, &n, err) < 0)
		return -1;
	is_broken = n && st[0].state == DKS_BROKEN;
	dks_status_free(st, n);
	if (is_broken)
		return dks_err_code(err, DKS_EXIT_BROKEN, 0,
				    "%s/%s is broken! Missing the source directory or the symbolic "
				    "link pointing to it. Manual intervention is required!",
				    m, v);
	return 0;
}

/* <m>/ holds versions beside original_module/ and kernel-* links. */
static bool is_version_entry(const char *name)
{
	return strcmp(name, "original_module") != 0 && strncmp(name, "kernel-", 7) != 0;
}

static int scan_module(struct scan *sc, int root, const char *v)
{
	cleanup_names struct names versions = {0};
	cleanup_close int mfd = open_dir(root, sc->m);

	if (mfd < 0)
		return absent(errno) ? 0 : scan_fail(sc, NULL, NULL);
	sc->mfd = mfd;
	if (list_dir(mfd, ".", &versions) < 0)
		return scan_fail(sc, NULL, NULL);
	for (size_t i = 0; i < versions.n; i++) {
		if (!is_version_entry(versions.v[i]) || (v && strcmp(v, versions.v[i]) != 0))
			continue;
		if (scan_version(sc, versions.v[i]) < 0)
			return -1;
	}
	return 0;
}

/* NULL (no kernel, no arch) sorts first. */
static int cmp_field(const char *a, const char *b, bool version)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	/* Versions and kernels in sort -V order, "6.1.0-9" before
	 * "6.1.0-10"; names it calls equal ("1.0", "1.00") by bytes, so that
	 * the order is total. */
	if (version) {
		int r = dks_version_cmp(a, b);

		if (r)
			return r;
	}
	return strcmp(a, b);
}

static int by_line(const void *pa, const void *pb)
{
	const struct dks_status *a = pa, *b = pb;
	int r = cmp_field(a->module, b->module, false);

	if (!r)
		r = cmp_field(a->version, b->version, true);
	if (!r)
		r = cmp_field(a->kver, b->kver, true);
	if (!r)
		r = cmp_field(a->arch, b->arch, false);
	return r;
}

int dks_tree_status(const struct dks_tree *t, const char *m, const char *v, struct dks_status **out,
		    size_t *n, struct dks_error *err)
{
	__attribute__((cleanup(lines_release))) struct lines lines = {0};
	cleanup_names struct names modules = {0};
	cleanup_close int root = -1;

	*out = NULL;
	*n = 0;
	if ((m && dks_tree_check_name("module", m, err) < 0) ||
	    (v && dks_tree_check_name("version", v, err) < 0))
		return -1;
	root = open(t->dkms_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return errno == ENOENT
			   ? 0
			   : dks_err(err, errno, "status: cannot read %s", t->dkms_tree);
	if ((m ? names_add(&modules, m) : list_dir(root, ".", &modules)) < 0)
		return dks_err(err, errno, "status: cannot read %s", t->dkms_tree);
	for (size_t i = 0; i < modules.n; i++) {
		struct scan sc = {t, modules.v[i], -1, &lines, err};

		if (scan_module(&sc, root, v) < 0)
			return -1;
	}
	if (lines.n)
		qsort(lines.v, lines.n, sizeof(*lines.v), by_line);
	*out = steal_pointer(&lines.v);
	*n = lines.n;
	lines.n = 0;
	return 0;
}

void dks_status_free(struct dks_status *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].module);
		free(s[i].version);
		free(s[i].kver);
		free(s[i].arch);
	}
	free(s);
}

char *dks_status_line(const struct dks_status *s)
{
	char *line = NULL;
	int rc;

	if ((unsigned)s->state >= sizeof(state_names) / sizeof(state_names[0]))
		return NULL;
	if (s->kver && s->arch)
		rc = asprintf(&line, "%s/%s, %s, %s: %s%s", s->module, s->version, s->kver, s->arch,
			      state_names[s->state], s->suffix);
	else
		rc = asprintf(&line, "%s/%s: %s", s->module, s->version, state_names[s->state]);
	return rc < 0 ? NULL : line;
}

/* ---- JSON ---- */

/* The suffix and notes " (A) (B)" as "notes": ["A", "B"]. */
static void json_notes(FILE *out, const struct dks_status *s)
{
	char note[sizeof(s->suffix) + sizeof(s->notes)], suffix[sizeof(note)];
	const char *p = suffix;

	snprintf(suffix, sizeof(suffix), "%s%s", s->suffix, s->notes);
	fputs(", \"notes\": [", out);
	while ((p = strstr(p, " ("))) {
		size_t n = strcspn(p + 2, ")");

		snprintf(note, sizeof(note), "%.*s", (int)n, p + 2);
		fputs(p == suffix ? "" : ", ", out);
		dks_json_string(out, note);
		p += 2 + n;
	}
	fputc(']', out);
}

/* "load_test": {"result", "accel", "seconds"} or null (docs/testload.md). */
static void json_load_test(FILE *out, const struct dks_status *s)
{
	if (!s->load_test.result[0]) {
		fputs(", \"load_test\": null", out);
		return;
	}
	fputs(", \"load_test\": {\"result\": ", out);
	dks_json_string(out, s->load_test.result);
	fputs(", \"accel\": ", out);
	dks_json_string(out, s->load_test.accel);
	fprintf(out, ", \"seconds\": %.1f}", s->load_test.seconds);
}

int dks_status_json(FILE *out, const struct dks_status *s, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n  {\"module\": " : "\n  {\"module\": ", out);
		dks_json_string(out, s[i].module);
		fputs(", \"version\": ", out);
		dks_json_string(out, s[i].version);
		fputs(", \"kernel\": ", out);
		dks_json_string(out, s[i].kver);
		fputs(", \"arch\": ", out);
		dks_json_string(out, s[i].arch);
		fputs(", \"state\": ", out);
		dks_json_string(out, (unsigned)s[i].state < sizeof(state_names) / sizeof(state_names[0])
				     ? state_names[s[i].state]
				     : NULL);
		json_notes(out, &s[i]);
		json_load_test(out, &s[i]);
		fputc('}', out);
	}
	fputs(n ? "\n]\n" : "]\n", out);
	return ferror(out) ? -1 : 0;
}
