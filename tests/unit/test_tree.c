// SPDX-License-Identifier: GPL-2.0-or-later
/* The DKMS tree (include/dks/tree.h): add, stage/commit, unbuild, remove,
 * status and its JSON, the lock, and what a hostile tree cannot make us
 * do. Every test works in a fresh temporary directory under /tmp. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/spec.h"
#include "dks/installer.h"
#include "dks/tree.h"
#include "sbtest.h"

TestSuite(tree, .fini = sbt_cleanup);

#define KVER "5.99.0-9-test"
#define ARCH "x86_64"

/* A temporary root with src/ (the source tree) and lib/ (the install
 * tree); the DKMS tree, dkms/, is left for the code to create. */
struct fx {
	char root[64];
	char dkms[96], src[96], lib[96];
	struct dks_tree t;
};

static void fx_init(struct fx *f)
{
	snprintf(f->root, sizeof(f->root), "/tmp/dks-tree-XXXXXX");
	cr_assert(mkdtemp(f->root), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(f->root);
	snprintf(f->dkms, sizeof(f->dkms), "%s/dkms", f->root);
	snprintf(f->src, sizeof(f->src), "%s/src", f->root);
	snprintf(f->lib, sizeof(f->lib), "%s/lib", f->root);
	cr_assert_eq(mkdir(f->src, 0755), 0);
	cr_assert_eq(mkdir(f->lib, 0755), 0);
	f->t = (struct dks_tree){.dkms_tree = f->dkms, .source_tree = f->src, .install_tree = f->lib};
}

/* "<root>/<fmt...>", malloc'd. */
__attribute__((format(printf, 2, 3))) static char *path_of(const struct fx *f, const char *fmt, ...)
{
	char *rel, *p;
	va_list ap;

	va_start(ap, fmt);
	cr_assert(vasprintf(&rel, fmt, ap) > 0);
	va_end(ap);
	cr_assert(asprintf(&p, "%s/%s", f->root, rel) > 0);
	free(rel);
	return p;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *out = fopen(path, "w");

	cr_assert_not_null(out, "%s: %s", path, strerror(errno));
	fputs(text, out);
	cr_assert_eq(fclose(out), 0);
}

static char *read_file(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *in = fopen(path, "r");

	cr_assert_not_null(in, "%s: %s", path, strerror(errno));
	cr_assert_geq(getdelim(&text, &len, '\0', in), 0);
	fclose(in);
	return text;
}

static void make_source(const struct fx *f, const char *m, const char *v)
{
	char *dir = path_of(f, "src/%s-%s", m, v);

	cr_assert_eq(mkdir(dir, 0755), 0, "%s: %s", dir, strerror(errno));
	free(dir);
}

/* Lock, add, unlock: returns dks_tree_add's result, @err filled. */
static int add(const struct fx *f, const char *m, const char *v, struct dks_error *err)
{
	int lock = dks_tree_lock(&f->t, m, err);
	int rc;

	cr_assert_geq(lock, 0, "lock %s: %s", m, err->msg);
	rc = dks_tree_add(&f->t, m, v, err);
	dks_tree_unlock(lock);
	return rc;
}

static void add_ok(const struct fx *f, const char *m, const char *v)
{
	struct dks_error err = {0};

	make_source(f, m, v);
	cr_assert_eq(add(f, m, v, &err), 0, "add %s/%s: %s", m, v, err.msg);
}

/* A build of m/v for kver/arch, its module holding @content: staged,
 * then committed (log_only: a failed build, its log only). No asserts:
 * forked children use it too. 0 or -1 with @err filled. */
static int build(const struct fx *f, const char *m, const char *v, const char *kver,
		 const char *arch, const char *content, bool log_only, struct dks_error *err)
{
	char *staged = dks_tree_stage(&f->t, m, v, kver, arch, err);
	char path[PATH_MAX];
	int lock, rc = -1;
	FILE *out;

	if (!staged)
		return -1;
	snprintf(path, sizeof(path), "%s/module/%s.ko", staged, m);
	out = fopen(path, "w");
	if (out && fputs(content, out) >= 0 && fclose(out) == 0) {
		snprintf(path, sizeof(path), "%s/log/make.log", staged);
		out = fopen(path, "w");
		if (out && fputs("make: done\n", out) >= 0 && fclose(out) == 0)
			rc = 0;
	}
	if (rc == 0 && (lock = dks_tree_lock(&f->t, m, err)) >= 0) {
		rc = log_only ? dks_tree_commit_log(&f->t, m, v, kver, arch, staged, err)
			      : dks_tree_commit(&f->t, m, v, kver, arch, staged, err);
		dks_tree_unlock(lock);
	} else if (rc == 0) {
		rc = -1;
	}
	free(staged);
	return rc;
}

static void build_ok(const struct fx *f, const char *m, const char *v, const char *kver,
		     const char *arch, const char *content)
{
	struct dks_error err = {0};

	cr_assert_eq(build(f, m, v, kver, arch, content, false, &err), 0, "build %s/%s: %s", m, v,
		     err.msg);
}

/* Every status line (filtered by @m/@v), each ending in "\n". */
static char *status_text(const struct fx *f, const char *m, const char *v)
{
	struct dks_error err = {0};
	struct dks_status *s = NULL;
	char *text = NULL;
	size_t n = 0, len = 0;
	FILE *out = open_memstream(&text, &len);

	cr_assert_eq(dks_tree_status(&f->t, m, v, &s, &n, &err), 0, "status: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		char *line = dks_status_line(&s[i]);

		cr_assert_not_null(line);
		fprintf(out, "%s\n", line);
		free(line);
	}
	dks_status_free(s, n);
	fclose(out);
	return text;
}

#define STATUS_IS(f, m, v, expected)                                                               \
	do {                                                                                       \
		char *text_ = status_text((f), (m), (v));                                          \
		cr_assert_str_eq(text_, (expected), "status:\n%s", text_);                         \
		free(text_);                                                                       \
	} while (0)

/* ---- add ---- */

Test(tree, add_makes_source_link_and_status_added)
{
	struct fx f;
	char *link, *src, *dir;
	char target[PATH_MAX];
	ssize_t n;

	fx_init(&f);
	STATUS_IS(&f, NULL, NULL, "");
	add_ok(&f, "hello", "1.0");
	link = path_of(&f, "dkms/hello/1.0/source");
	src = path_of(&f, "src/hello-1.0");
	n = readlink(link, target, sizeof(target) - 1);
	cr_assert_gt(n, 0, "%s: %s", link, strerror(errno));
	target[n] = '\0';
	cr_expect_str_eq(target, src);
	cr_expect(dks_tree_is_added(&f.t, "hello", "1.0"));
	cr_expect_not(dks_tree_is_added(&f.t, "hello", "2.0"));
	dir = dks_tree_source_dir(&f.t, "hello", "1.0");
	cr_expect_str_eq(dir, src);
	STATUS_IS(&f, NULL, NULL, "hello/1.0: added\n");
	free(link);
	free(src);
	free(dir);
}

Test(tree, add_twice_is_already_added_exit_3)
{
	struct dks_error err = {0};
	struct fx f;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	cr_assert_lt(add(&f, "hello", "1.0", &err), 0);
	cr_expect_eq(err.exit_code, DKS_EXIT_ALREADY_ADDED);
	cr_expect_str_eq(err.msg, "hello/1.0: already added");
}

Test(tree, add_without_source_is_exit_2_naming_the_path)
{
	struct dks_error err = {0};
	struct fx f;
	char *src;

	fx_init(&f);
	cr_assert_lt(add(&f, "hello", "1.0", &err), 0);
	cr_expect_eq(err.exit_code, DKS_EXIT_NO_SOURCE);
	src = path_of(&f, "src/hello-1.0");
	cr_expect(strstr(err.msg, "hello/1.0: no source at "), "%s", err.msg);
	cr_expect(strstr(err.msg, src), "%s", err.msg);
	cr_expect_not(dks_tree_is_added(&f.t, "hello", "1.0"));
	/* A file where the source dir should be is no source either. */
	write_file(src, "not a dir");
	cr_assert_lt(add(&f, "hello", "1.0", &err), 0);
	cr_expect_eq(err.exit_code, DKS_EXIT_NO_SOURCE);
	free(src);
}

Test(tree, dangling_source_is_broken)
{
	struct fx f;
	char *src;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	src = path_of(&f, "src/hello-1.0");
	cr_assert_eq(rmdir(src), 0);
	STATUS_IS(&f, NULL, NULL, "hello/1.0: broken\n");
	free(src);
}

/* ---- stage and commit ---- */

Test(tree, committed_build_is_built)
{
	struct dks_error err = {0};
	struct fx f;
	char *staged, *ko, *text;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	staged = dks_tree_stage(&f.t, "hello", "1.0", KVER, ARCH, &err);
	cr_assert_not_null(staged, "%s", err.msg);
	cr_expect(strstr(staged, "/dkms/hello/1.0/.stage-" KVER "-" ARCH "-"), "%s", staged);
	free(staged);
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	cr_expect(dks_tree_is_built(&f.t, "hello", "1.0", KVER, ARCH));
	cr_expect_not(dks_tree_is_built(&f.t, "hello", "1.0", "5.99.0-10-test", ARCH));
	ko = path_of(&f, "dkms/hello/1.0/" KVER "/" ARCH "/module/hello.ko");
	text = read_file(ko);
	cr_expect_str_eq(text, "v1");
	STATUS_IS(&f, NULL, NULL, "hello/1.0, " KVER ", " ARCH ": built\n");
	free(ko);
	free(text);
}

/* The names in <dir>, sorted, one per line. */
static char *list_dir(const char *dir)
{
	char *cmd, *text = NULL;
	size_t len = 0;
	FILE *p;

	cr_assert(asprintf(&cmd, "ls -A '%s'", dir) > 0);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (getdelim(&text, &len, '\0', p) < 0) {
		free(text);
		text = strdup("");
	}
	cr_assert_eq(pclose(p), 0);
	free(cmd);
	return text;
}

Test(tree, recommit_replaces_the_build_and_leaves_nothing_behind)
{
	struct fx f;
	char *ko, *text, *kdir, *vdir, *names;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "old");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "new");
	ko = path_of(&f, "dkms/hello/1.0/" KVER "/" ARCH "/module/hello.ko");
	text = read_file(ko);
	cr_expect_str_eq(text, "new");
	kdir = path_of(&f, "dkms/hello/1.0/" KVER);
	names = list_dir(kdir);
	cr_expect_str_eq(names, ARCH "\n");
	free(names);
	vdir = path_of(&f, "dkms/hello/1.0");
	names = list_dir(vdir);
	cr_expect_str_eq(names, KVER "\nsource\n");
	STATUS_IS(&f, NULL, NULL, "hello/1.0, " KVER ", " ARCH ": built\n");
	free(names);
	free(vdir);
	free(kdir);
	free(ko);
	free(text);
}

Test(tree, failed_build_keeps_its_log_and_is_not_built)
{
	struct dks_error err = {0};
	struct fx f;
	char *log, *module;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	cr_assert_eq(build(&f, "hello", "1.0", KVER, ARCH, "x", true, &err), 0, "%s", err.msg);
	log = path_of(&f, "dkms/hello/1.0/" KVER "/" ARCH "/log/make.log");
	module = path_of(&f, "dkms/hello/1.0/" KVER "/" ARCH "/module");
	cr_expect(exists(log));
	cr_expect_not(exists(module));
	cr_expect_not(dks_tree_is_built(&f.t, "hello", "1.0", KVER, ARCH));
	STATUS_IS(&f, NULL, NULL, "hello/1.0: added\n");
	free(log);
	free(module);
}

/* dkms's is_module_built(): module/ is there. What it holds is for the
 * suffix (suffix.c) and the install (exit 6 when one is missing). */
Test(tree, empty_module_dir_is_built_as_dkms_says)
{
	struct dks_error err = {0};
	struct fx f;
	char *staged;
	int lock;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	staged = dks_tree_stage(&f.t, "hello", "1.0", KVER, ARCH, &err);
	cr_assert_not_null(staged, "%s", err.msg);
	lock = dks_tree_lock(&f.t, "hello", &err);
	cr_assert_eq(dks_tree_commit(&f.t, "hello", "1.0", KVER, ARCH, staged, &err), 0, "%s",
		     err.msg);
	dks_tree_unlock(lock);
	STATUS_IS(&f, NULL, NULL, "hello/1.0, " KVER ", " ARCH ": built\n");
	free(staged);
}

Test(tree, commit_refuses_a_dir_that_is_not_its_staging_dir)
{
	struct dks_error err = {0};
	struct fx f;
	char *staged, *other;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	staged = dks_tree_stage(&f.t, "hello", "1.0", KVER, ARCH, &err);
	cr_assert_not_null(staged, "%s", err.msg);
	/* Staged for another kernel. */
	cr_expect_lt(dks_tree_commit(&f.t, "hello", "1.0", "5.99.0-10-test", ARCH, staged, &err),
		     0);
	cr_expect(strstr(err.msg, "is not a staging dir"), "%s", err.msg);
	other = path_of(&f, "src");
	cr_expect_lt(dks_tree_commit(&f.t, "hello", "1.0", KVER, ARCH, other, &err), 0);
	cr_expect(exists(other));
	free(staged);
	free(other);
}

Test(tree, planted_stage_and_old_dirs_are_ignored_and_unbuild_cleans_them)
{
	struct fx f;
	char *stage, *old, *ko;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	/* What a crash mid-build or mid-commit leaves, with modules in. */
	stage = path_of(&f, "dkms/hello/1.0/.stage-" KVER "-" ARCH "-abcdef");
	old = path_of(&f, "dkms/hello/1.0/" KVER "/.old-abcdef");
	cr_assert_eq(mkdir(stage, 0755), 0);
	cr_assert_eq(mkdir(old, 0755), 0);
	ko = path_of(&f, "dkms/hello/1.0/.stage-" KVER "-" ARCH "-abcdef/hello.ko");
	write_file(ko, "stale");
	STATUS_IS(&f, NULL, NULL, "hello/1.0, " KVER ", " ARCH ": built\n");
	cr_assert_eq(dks_tree_unbuild(&f.t, "hello", "1.0", KVER, ARCH, NULL), 0);
	cr_expect_not(exists(stage));
	cr_expect_not(exists(old));
	STATUS_IS(&f, NULL, NULL, "hello/1.0: added\n");
	free(stage);
	free(old);
	free(ko);
}

Test(tree, commit_cleans_leftovers_of_a_crashed_commit)
{
	struct fx f;
	char *newdir, *old;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	newdir = path_of(&f, "dkms/hello/1.0/" KVER "/.new-abcdef");
	old = path_of(&f, "dkms/hello/1.0/" KVER "/.old-ghijkl");
	cr_assert_eq(mkdir(newdir, 0755), 0);
	cr_assert_eq(mkdir(old, 0755), 0);
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v2");
	cr_expect_not(exists(newdir));
	cr_expect_not(exists(old));
	free(newdir);
	free(old);
}

/* ---- unbuild and remove ---- */

Test(tree, unbuild_removes_the_build_and_its_kernel_dir)
{
	struct dks_error err = {0};
	struct fx f;
	char *kdir;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	build_ok(&f, "hello", "1.0", "5.99.0-10-test", ARCH, "v1");
	cr_assert_eq(dks_tree_unbuild(&f.t, "hello", "1.0", KVER, ARCH, &err), 0, "%s", err.msg);
	kdir = path_of(&f, "dkms/hello/1.0/" KVER);
	cr_expect_not(exists(kdir));
	STATUS_IS(&f, NULL, NULL, "hello/1.0, 5.99.0-10-test, " ARCH ": built\n");
	cr_expect_lt(dks_tree_unbuild(&f.t, "hello", "1.0", KVER, ARCH, &err), 0);
	cr_expect_str_eq(err.msg, "hello/1.0, " KVER ", " ARCH ": not built");
	free(kdir);
}

Test(tree, remove_of_one_version_keeps_the_others)
{
	struct dks_error err = {0};
	struct fx f;
	char *vdir;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	add_ok(&f, "hello", "2.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	cr_assert_eq(dks_tree_remove(&f.t, "hello", "1.0", &err), 0, "%s", err.msg);
	vdir = path_of(&f, "dkms/hello/1.0");
	cr_expect_not(exists(vdir));
	STATUS_IS(&f, NULL, NULL, "hello/2.0: added\n");
	cr_expect_lt(dks_tree_remove(&f.t, "hello", "1.0", &err), 0);
	cr_expect_str_eq(err.msg, "hello/1.0: not added");
	free(vdir);
}

Test(tree, remove_of_the_last_version_removes_the_module_dir)
{
	struct dks_error err = {0};
	struct fx f;
	char *mdir, *names;
	int lock;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	lock = dks_tree_lock(&f.t, "hello", &err);
	cr_assert_geq(lock, 0, "%s", err.msg);
	cr_assert_eq(dks_tree_remove(&f.t, "hello", "1.0", &err), 0, "%s", err.msg);
	dks_tree_unlock(lock);
	mdir = path_of(&f, "dkms/hello");
	cr_expect_not(exists(mdir));
	names = list_dir(f.dkms);
	cr_expect_str_eq(names, "");
	STATUS_IS(&f, NULL, NULL, "");
	/* And the module can be locked and added again. */
	add_ok(&f, "hello", "2.0");
	STATUS_IS(&f, NULL, NULL, "hello/2.0: added\n");
	free(mdir);
	free(names);
}

/* The build directory is the build's: as deep as it made it. remove
 * takes all of it, whatever the depth (no recursion, no fd per level),
 * under a low fd limit too. */
Test(tree, remove_takes_a_build_dir_of_any_depth)
{
	struct dks_error err = {0};
	struct rlimit fds = {64, 64};
	struct fx f;
	char *build;
	int fd, lock;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build = path_of(&f, "dkms/hello/1.0/build");
	cr_assert_eq(mkdir(build, 0755), 0);
	fd = open(build, O_RDONLY | O_DIRECTORY);
	for (int i = 0; fd >= 0 && i < 2000; i++) {
		int next;

		cr_assert_eq(mkdirat(fd, "d", 0755), 0, "level %d", i);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	cr_assert_geq(fd, 0);
	close(fd);
	lock = dks_tree_lock(&f.t, "hello", &err);
	cr_assert_geq(lock, 0, "%s", err.msg);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &fds), 0);
	cr_expect_eq(dks_tree_remove(&f.t, "hello", "1.0", &err), 0, "%s", err.msg);
	dks_tree_unlock(lock);
	cr_expect_not(exists(build), "the deep build dir is still there");
	free(build);
}

/* A symlink in the tree to a file outside, planted where remove and
 * unbuild delete: the link goes, the outside file stays. */
Test(tree, remove_and_unbuild_never_follow_symlinks)
{
	struct dks_error err = {0};
	struct fx f;
	char *outside, *outdir, *links[4], *text;

	fx_init(&f);
	outside = path_of(&f, "precious");
	outdir = path_of(&f, "precious-dir");
	write_file(outside, "keep me");
	cr_assert_eq(mkdir(outdir, 0755), 0);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	build_ok(&f, "hello", "1.0", "5.99.0-10-test", ARCH, "v1");
	links[0] = path_of(&f, "dkms/hello/1.0/" KVER "/" ARCH "/module/evil.ko");
	links[1] = path_of(&f, "dkms/hello/1.0/5.99.0-10-test/" ARCH "/log/evil");
	links[2] = path_of(&f, "dkms/hello/1.0/5.99.0-10-test/" ARCH "/module/dir");
	links[3] = path_of(&f, "dkms/hello/1.0/evil-kernel");
	cr_assert_eq(symlink(outside, links[0]), 0);
	cr_assert_eq(symlink(outside, links[1]), 0);
	cr_assert_eq(symlink(outdir, links[2]), 0);
	cr_assert_eq(symlink(outdir, links[3]), 0);
	cr_assert_eq(dks_tree_unbuild(&f.t, "hello", "1.0", KVER, ARCH, &err), 0, "%s", err.msg);
	cr_assert_eq(dks_tree_remove(&f.t, "hello", "1.0", &err), 0, "%s", err.msg);
	text = read_file(outside);
	cr_expect_str_eq(text, "keep me");
	cr_expect(exists(outdir));
	for (int i = 0; i < 4; i++) {
		cr_expect_not(exists(links[i]), "%s", links[i]);
		free(links[i]);
	}
	free(text);
	free(outside);
	free(outdir);
}

Test(tree, installed_build_shows_installed_and_refuses_unbuild)
{
	struct dks_error err = {0};
	struct fx f;
	char *link;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	build_ok(&f, "hello", "1.0", "5.99.0-10-test", ARCH, "v1");
	link = path_of(&f, "dkms/hello/kernel-" KVER "-" ARCH);
	cr_assert_eq(symlink("1.0/" KVER "/" ARCH, link), 0);
	cr_expect(dks_installed(&f.t, "hello", "1.0", KVER, ARCH));
	STATUS_IS(&f, NULL, NULL,
		  "hello/1.0, " KVER ", " ARCH ": installed\n"
		  "hello/1.0, 5.99.0-10-test, " ARCH ": built\n");
	cr_expect_lt(dks_tree_unbuild(&f.t, "hello", "1.0", KVER, ARCH, &err), 0);
	cr_expect(strstr(err.msg, "installed"), "%s", err.msg);
	cr_expect_lt(dks_tree_remove(&f.t, "hello", "1.0", &err), 0);
	cr_expect(strstr(err.msg, "uninstall it first"), "%s", err.msg);
	cr_expect(dks_tree_is_built(&f.t, "hello", "1.0", KVER, ARCH));
	free(link);
}

/* ---- the lock ---- */

Test(tree, lock_is_exclusive_and_its_file_private)
{
	struct dks_error err = {0};
	struct fx f;
	struct stat st;
	char *path;
	int lock, other;

	fx_init(&f);
	lock = dks_tree_lock(&f.t, "hello", &err);
	cr_assert_geq(lock, 0, "%s", err.msg);
	path = path_of(&f, "dkms/hello/.lock");
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	other = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(other, 0);
	cr_expect_lt(flock(other, LOCK_EX | LOCK_NB), 0);
	cr_expect_eq(errno, EWOULDBLOCK);
	dks_tree_unlock(lock);
	cr_expect_eq(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	free(path);
}

Test(tree, lock_refuses_a_planted_lock_symlink)
{
	struct dks_error err = {0};
	struct fx f;
	char *mdir, *lock, *outside;

	fx_init(&f);
	mdir = path_of(&f, "dkms/hello");
	lock = path_of(&f, "dkms/hello/.lock");
	outside = path_of(&f, "elsewhere");
	cr_assert_eq(mkdir(f.dkms, 0755), 0);
	cr_assert_eq(mkdir(mdir, 0755), 0);
	cr_assert_eq(symlink(outside, lock), 0);
	cr_expect_lt(dks_tree_lock(&f.t, "hello", &err), 0);
	cr_expect(strstr(err.msg, "cannot lock"), "%s", err.msg);
	cr_expect_not(exists(outside));
	free(mdir);
	free(lock);
	free(outside);
}

/* ---- names ---- */

Test(tree, names_with_slash_dots_or_control_characters_are_rejected)
{
	static const struct {
		const char *m, *v, *reason;
	} bad[] = {
	    {"a/b", "1", "module name 'a/b' must not contain '/'"},
	    {"..", "1", "module name '..' must not start with '.'"},
	    {".", "1", "must not start with '.'"},
	    {"hello", "..", "version name '..' must not start with '.'"},
	    {"hello", "../../x", "must not contain '/'"},
	    {"a\nb", "1", "module name contains a control character"},
	    {"hello", "original_module", "reserved"},
	    {"", "1", "empty module name"},
	};
	struct dks_error err = {0};
	struct dks_status *s = NULL;
	struct fx f;
	char *names;
	size_t n = 0;

	fx_init(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		cr_expect_lt(dks_tree_add(&f.t, bad[i].m, bad[i].v, &err), 0);
		cr_expect(strstr(err.msg, bad[i].reason), "'%s' not in: %s", bad[i].reason,
			  err.msg);
		cr_expect_null(dks_tree_stage(&f.t, bad[i].m, bad[i].v, KVER, ARCH, &err));
		cr_expect_lt(dks_tree_remove(&f.t, bad[i].m, bad[i].v, &err), 0);
		cr_expect_lt(dks_tree_status(&f.t, bad[i].m, bad[i].v, &s, &n, &err), 0);
	}
	cr_expect_lt(dks_tree_lock(&f.t, "../x", &err), 0);
	cr_expect_null(dks_tree_stage(&f.t, "hello", "1", "5.99/../../x", ARCH, &err));
	cr_expect(strstr(err.msg, "kernel name"), "%s", err.msg);
	cr_expect_null(dks_tree_stage(&f.t, "hello", "1", KVER, "..", &err));
	cr_expect_lt(dks_tree_unbuild(&f.t, "hello", "1", KVER, "a/b", &err), 0);
	cr_expect(strstr(err.msg, "arch name 'a/b'"), "%s", err.msg);
	cr_expect_lt(dks_tree_check_name("module",
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
					 &err),
		     0);
	cr_expect(strstr(err.msg, "longer than"), "%s", err.msg);
	cr_expect_eq(dks_tree_check_name("version", "1.0+git~rc1", &err), 0);
	/* Nothing was created anywhere: not in the tree, not beside it. */
	names = list_dir(f.root);
	cr_expect_str_eq(names, "lib\nsrc\n");
	free(names);
}

/* ---- status ---- */

static int by_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(tree, status_of_30_modules_and_2_kernels_is_complete_and_sorted, .timeout = 60)
{
	static const char *const kernels[] = {"5.99.0-9-test", "5.99.0-10-test"};
	char *names[30], *expected = NULL, *text;
	size_t len = 0;
	FILE *exp = open_memstream(&expected, &len);
	struct fx f;

	fx_init(&f);
	/* Created in an order unlike the sorted one. */
	for (int i = 29; i >= 0; i--) {
		cr_assert(asprintf(&names[i], "mod%d", (i * 7) % 30 + 1) > 0);
		add_ok(&f, names[i], "1.0");
		for (int k = 1; k >= 0; k--)
			build_ok(&f, names[i], "1.0", kernels[k], ARCH, names[i]);
	}
	add_ok(&f, "mod7", "1.10");
	add_ok(&f, "mod7", "1.9");
	build_ok(&f, "mod7", "1.9", kernels[0], "i686", "x");
	qsort(names, 30, sizeof(names[0]), by_strcmp);
	for (int i = 0; i < 30; i++) {
		for (int k = 0; k < 2; k++)
			fprintf(exp, "%s/1.0, %s, " ARCH ": built\n", names[i], kernels[k]);
		if (strcmp(names[i], "mod7") == 0)
			fprintf(exp, "mod7/1.9, %s, i686: built\nmod7/1.10: added\n", kernels[0]);
		free(names[i]);
	}
	fclose(exp);
	text = status_text(&f, NULL, NULL);
	cr_expect_str_eq(text, expected);
	free(text);
	free(expected);
	STATUS_IS(&f, "mod7", NULL,
		  "mod7/1.0, 5.99.0-9-test, " ARCH ": built\n"
		  "mod7/1.0, 5.99.0-10-test, " ARCH ": built\n"
		  "mod7/1.9, 5.99.0-9-test, i686: built\n"
		  "mod7/1.10: added\n");
	STATUS_IS(&f, "mod7", "1.10", "mod7/1.10: added\n");
	STATUS_IS(&f, "nosuch", NULL, "");
}

/* Run python3 on @json: one "module|version|kernel|arch|state" line per
 * object (null as "null"); asserts that it parses and has those keys (and
 * "notes", a list of strings). */
static char *json_via_python(const struct fx *f, const char *json)
{
	char *file = path_of(f, "status.json"), *cmd, *out = NULL;
	size_t len = 0;
	FILE *p;

	write_file(file, json);
	cr_assert(asprintf(&cmd,
			   "python3 -c 'import json,sys\n"
			   "for o in json.load(sys.stdin):\n"
			   "    assert sorted(o) == "
			   "[\"arch\",\"kernel\",\"load_test\",\"module\",\"notes\",\"state\","
			   "\"version\"], o\n"
			   "    assert all(isinstance(n, str) for n in o[\"notes\"]), o\n"
			   "    assert o[\"load_test\"] is None or sorted(o[\"load_test\"]) == "
			   "[\"accel\",\"result\",\"seconds\"], o\n"
			   "    print(\"|\".join(\"null\" if o[k] is None else o[k] for k in "
			   "(\"module\",\"version\",\"kernel\",\"arch\",\"state\")))' < %s",
			   file) > 0);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (getdelim(&out, &len, '\0', p) < 0) {
		free(out);
		out = strdup("");
	}
	cr_assert_eq(pclose(p), 0, "python3 rejected:\n%s", json);
	free(cmd);
	free(file);
	return out;
}

static char *json_of(const struct dks_status *s, size_t n)
{
	char *json = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&json, &len);

	cr_assert_eq(dks_status_json(out, s, n), 0);
	fclose(out);
	return json;
}

Test(tree, status_json_parses_and_has_every_line)
{
	struct dks_error err = {0};
	struct dks_status *s = NULL;
	struct fx f;
	char *json, *lines, *src;
	size_t n = 0;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	add_ok(&f, "we\"ird\\name", "2.0");
	add_ok(&f, "broken", "0.1");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "v1");
	src = path_of(&f, "src/broken-0.1");
	cr_assert_eq(rmdir(src), 0);
	cr_assert_eq(dks_tree_status(&f.t, NULL, NULL, &s, &n, &err), 0, "%s", err.msg);
	json = json_of(s, n);
	lines = json_via_python(&f, json);
	cr_expect_str_eq(lines, "broken|0.1|null|null|broken\n"
				"hello|1.0|" KVER "|" ARCH "|built\n"
				"we\"ird\\name|2.0|null|null|added\n");
	dks_status_free(s, n);
	free(json);
	free(lines);
	json = json_of(NULL, 0);
	cr_expect_str_eq(json, "[]\n");
	free(json);
	free(src);
}

Test(tree, status_json_escapes_control_characters_and_bad_utf8)
{
	struct dks_status s[] = {{
	    .module = "a\x01\t\"\\b",
	    .version = "caf\xc3\xa9",
	    .kver = "bad\xff\xc0\xafutf8",
	    .arch = "x",
	    .state = DKS_INSTALLED,
	    .suffix = " (Original modules exist)",
	}};
	struct fx f;
	char *json, *lines;

	fx_init(&f);
	json = json_of(s, 1);
	lines = json_via_python(&f, json);
	cr_expect_str_eq(
	    lines,
	    "a\x01\t\"\\b|caf\xc3\xa9|bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdutf8|x|installed\n");
	free(json);
	free(lines);
}

Test(tree, status_line_has_dkms_format)
{
	struct dks_status s = {.module = "m",
			       .version = "v",
			       .kver = "k",
			       .arch = "a",
			       .state = DKS_INSTALLED,
			       .suffix = " (Original modules exist)"};
	char *line = dks_status_line(&s);

	cr_expect_str_eq(line, "m/v, k, a: installed (Original modules exist)");
	free(line);
	s = (struct dks_status){.module = "m", .version = "v", .state = DKS_BROKEN, .suffix = ""};
	line = dks_status_line(&s);
	cr_expect_str_eq(line, "m/v: broken");
	free(line);
}

/* ---- readers never see half a state ---- */

/* The child: commit a new build of hello/1.0 @count times. */
static void commit_loop(const struct fx *f, int count)
{
	struct dks_error err = {0};
	char content[32];

	for (int i = 0; i < count; i++) {
		snprintf(content, sizeof(content), "generation %d", i);
		if (build(f, "hello", "1.0", KVER, ARCH, content, false, &err) < 0) {
			fprintf(stderr, "child: %s\n", err.msg);
			_exit(1);
		}
	}
	_exit(0);
}

/* One status read: exactly one line, built, for KVER/ARCH. */
static void expect_built(const struct fx *f, int round)
{
	struct dks_error err = {0};
	struct dks_status *s = NULL;
	size_t n = 0;

	cr_assert_eq(dks_tree_status(&f->t, "hello", NULL, &s, &n, &err), 0, "read %d: %s", round,
		     err.msg);
	cr_assert_eq(n, 1, "read %d: %zu lines", round, n);
	cr_assert_eq(s[0].state, DKS_BUILT, "read %d: state %d", round, s[0].state);
	cr_assert_str_eq(s[0].kver, KVER);
	cr_assert_str_eq(s[0].arch, ARCH);
	dks_status_free(s, n);
	cr_assert(dks_tree_is_built(&f->t, "hello", "1.0", KVER, ARCH), "read %d", round);
}

Test(tree, concurrent_commits_never_show_status_a_half_state, .timeout = 120)
{
	struct fx f;
	int status = 0, reads = 0, during = 0;
	bool done = false;
	pid_t pid;

	fx_init(&f);
	add_ok(&f, "hello", "1.0");
	build_ok(&f, "hello", "1.0", KVER, ARCH, "generation start");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		commit_loop(&f, 50);
	while (!done || reads < 200) {
		expect_built(&f, reads++);
		if (!done && waitpid(pid, &status, WNOHANG) == pid)
			done = true;
		else if (!done)
			during++;
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the committing child failed");
	cr_expect_gt(during, 0, "no read overlapped a commit");
}

/* @rounds of: lock, add, remove (which deletes the module dir and its lock
 * file while holding the lock), unlock. Between lock and remove a marker
 * file is created with O_EXCL: two holders at once would collide on it.
 * (Once remove took the module dir, the lock no longer excludes anyone:
 * tree.h says so, and the caller unlocks next.) 0, or the failed round
 * + 1. No asserts: the child runs it too. */
static int lock_remove_loop(const struct fx *f, const char *marker, int rounds)
{
	struct dks_error err = { 0 };

	for (int i = 0; i < rounds; i++) {
		int lock = dks_tree_lock(&f->t, "hello", &err);
		int fd, rc;

		if (lock < 0) {
			fprintf(stderr, "%d: round %d: %s\n", getpid(), i, err.msg);
			return i + 1;
		}
		fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "%d: round %d: two lock holders\n", getpid(), i);
			dks_tree_unlock(lock);
			return i + 1;
		}
		close(fd);
		rc = dks_tree_add(&f->t, "hello", "1.0", &err);
		unlink(marker);
		rc = rc ?: dks_tree_remove(&f->t, "hello", "1.0", &err);
		dks_tree_unlock(lock);
		if (rc < 0) {
			fprintf(stderr, "%d: round %d: %s\n", getpid(), i, err.msg);
			return i + 1;
		}
	}
	return 0;
}

Test(tree, lock_stays_exclusive_while_remove_deletes_the_lock_file, .timeout = 120)
{
	struct fx f;
	char *marker;
	int status = 0, rc;
	pid_t pid;

	fx_init(&f);
	make_source(&f, "hello", "1.0");
	marker = path_of(&f, "held");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(lock_remove_loop(&f, marker, 200) ? 1 : 0);
	rc = lock_remove_loop(&f, marker, 200);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect_eq(rc, 0, "parent failed in round %d", rc - 1);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
	STATUS_IS(&f, NULL, NULL, "");
	free(marker);
}
