// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "toolchain": importing a root filesystem as a toolchain image
 * (include/dks/toolchain.h). Images are tarballs (tar, gz, xz, zst) that
 * the tests build with libarchive's writer, hostile ones included, and
 * directories; an import is refused whole (nothing left under
 * <dkmstree>/toolchains) or done whole. A few tests go through the CLI.
 *
 * Environment: DKS_BIN (the dkms-sandbox binary, for the CLI tests).
 */
#include <criterion/criterion.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/toolchain.h"
#include "sbtar.h"
#include "sbtest.h"

TestSuite(toolchain, .fini = sbt_cleanup);

#define MIB (1ULL << 20)

/* ---- helpers ---- */

/* A fresh directory, removed after the test (even a failed one). */
static char *tmpdir(void)
{
	char *d = strdup("/tmp/dks-toolchain-XXXXXX");

	cr_assert(d && mkdtemp(d), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(d);
	return d;
}

static char *join(const char *dir, const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static char *write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = join(dir, name);
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0, "%s: %s", path, strerror(errno));
	return path;
}

/* mkdir -p @dir/@rel */
static void mkdir_p(const char *dir, const char *rel)
{
	cleanup_free char *p = join(dir, rel);

	for (char *s = p + strlen(dir); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "%s: %s", p, strerror(errno));
		*s = '/';
	}
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "%s: %s", p, strerror(errno));
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_not_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Contents of @rel inside image @img, or NULL when it is not there. */
static char *image_text(const char *img, const char *rel)
{
	cleanup_free char *p = join(img, rel);

	return exists(p) ? read_all(p) : NULL;
}

static mode_t image_mode(const char *img, const char *rel)
{
	cleanup_free char *p = join(img, rel);
	struct stat st;

	cr_assert_eq(lstat(p, &st), 0, "%s: %s", p, strerror(errno));
	return st.st_mode;
}

static bool image_has(const char *img, const char *rel)
{
	cleanup_free char *p = join(img, rel);

	return exists(p);
}

static void expect_link(const char *img, const char *rel, const char *target)
{
	cleanup_free char *p = join(img, rel);
	char buf[PATH_MAX] = "";
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);

	cr_assert_gt(n, 0, "%s is not a symbolic link: %s", p, strerror(errno));
	buf[n] = '\0';
	cr_expect_str_eq(buf, target, "%s -> %s", p, buf);
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* A refused import left nothing: <tree>/toolchains is empty (no image,
 * no temporary directory, no info file). */
static void assert_nothing_left(const char *tree)
{
	cleanup_free char *base = join(tree, "toolchains");

	if (!exists(base))
		return;
	cr_expect_eq(dir_entries(base), 0, "%s is not empty after a refusal", base);
}

static void import_ok(const char *tree, const char *name, const char *from, unsigned long long max)
{
	struct dks_error err = {0};

	cr_assert_eq(dks_toolchain_import(tree, name, from, max, &err), 0, "import %s: %s", from,
		     err.msg);
}

/* ---- archives built by the test ---- */

#define MAKE_TAR(path, filter, ...)                                                                \
	sbt_make_tar(path, SBT_ITEMS(__VA_ARGS__), SBT_N_ITEMS(__VA_ARGS__), filter)

/* Build @items into <dir>/img.tar.gz, import it as "img" into <dir>/tree
 * with cap @max: it must fail with @expect in the message and leave
 * nothing behind. */
static void import_refused(const struct sbt_item *items, size_t n, unsigned long long max,
			   const char *expect)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	struct dks_error err = {0};

	sbt_make_tar(tar, items, n, archive_write_add_filter_gzip);
	cr_assert_lt(dks_toolchain_import(tree, "img", tar, max, &err), 0,
		     "imported a hostile image");
	cr_expect(strstr(err.msg, expect), "'%s' not in: %s", expect, err.msg);
	assert_nothing_left(tree);
}
#define IMPORT_REFUSED(expect, ...)                                                                \
	import_refused(SBT_ITEMS(__VA_ARGS__), SBT_N_ITEMS(__VA_ARGS__), 0, expect)

/* ---- the CLI ---- */

/* Run $DKS_BIN ARGS... with stdout and stderr in one text (*@out,
 * malloc'd); the exit code, or -1 if it did not exit. */
static int run_cli(const char *dir, char **out, const char *const *args)
{
	const char *bin = getenv("DKS_BIN");
	cleanup_free char *log = join(dir, "cli.out");
	posix_spawn_file_actions_t fa;
	char *argv[16];
	size_t n = 0;
	pid_t pid;
	int status;

	cr_assert(bin && *bin == '/', "DKS_BIN must be the absolute path of dkms-sandbox");
	argv[n++] = (char *)bin;
	for (; *args; args++) {
		cr_assert_lt(n, 15);
		argv[n++] = (char *)*args;
	}
	argv[n] = NULL;
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	cr_assert_eq(
	    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
	cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
	cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, NULL), 0, "%s", bin);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	*out = read_all(log);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#define RUN_CLI(dir, out, ...) run_cli(dir, out, (const char *const[]){__VA_ARGS__, NULL})

/* ---- import, list, remove ---- */

Test(toolchain, import_of_a_small_image_then_list_and_remove)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/deb12");
	cleanup_free char *info = join(tree, "toolchains/.deb12.info");
	cleanup_free char *text = NULL, *resolved = NULL;
	struct dks_toolchain_info *v = NULL;
	struct dks_error err = {0};
	size_t n = 9;
	long long before = (long long)time(NULL), after;

	MAKE_TAR(tar, archive_write_add_filter_gzip,
		 {.path = "etc/", .type = AE_IFDIR, .perm = 0755},
		 {.path = "etc/hostname", .data = "image\n"},
		 {.path = "usr/bin/", .type = AE_IFDIR, .perm = 0755},
		 {.path = "usr/bin/gcc-99", .perm = 0755, .data = "#!/bin/sh\n"},
		 {.path = "usr/bin/gcc", .type = AE_IFLNK, .link = "gcc-99"},
		 {.path = "usr/bin/cc", .type = AE_IFLNK, .link = "/usr/bin/gcc-99"},
		 {.path = "usr/lib/gcc/x86_64-linux-gnu/99/", .type = AE_IFDIR, .perm = 0755});
	import_ok(tree, "deb12", tar, 0);
	after = (long long)time(NULL);

	text = image_text(img, "etc/hostname");
	cr_assert_not_null(text, "etc/hostname is missing");
	cr_expect_str_eq(text, "image\n");
	cr_expect_eq(image_mode(img, "etc/hostname") & 07777, 0644);
	cr_expect_eq(image_mode(img, "usr/bin/gcc-99") & 07777, 0755);
	cr_expect(S_ISREG(image_mode(img, "usr/bin/gcc-99")));
	cr_expect(S_ISDIR(image_mode(img, "usr/lib/gcc/x86_64-linux-gnu/99")));
	expect_link(img, "usr/bin/gcc", "gcc-99");
	/* Absolute links mean the image's own paths: kept as they are. */
	expect_link(img, "usr/bin/cc", "/usr/bin/gcc-99");
	cr_expect_eq(dks_toolchain_gcc_major(img), 99);

	cr_assert_eq(dks_toolchain_resolve(tree, "deb12", &resolved, &err), 0, "%s", err.msg);
	cr_expect_str_eq(resolved, img);

	cr_assert_eq(dks_toolchain_list(tree, &v, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 1, "%zu toolchains listed", n);
	cr_expect_str_eq(v[0].name, "deb12");
	cr_expect_eq(v[0].gcc_major, 99);
	/* Regular files only: "image\n" (6) + "#!/bin/sh\n" (10). */
	cr_expect_eq(v[0].size, 16, "size %llu", v[0].size);
	cr_expect(v[0].imported >= before && v[0].imported <= after,
		  "imported %lld, not in [%lld, %lld]", v[0].imported, before, after);
	dks_toolchain_list_free(v, n);

	cr_assert_eq(dks_toolchain_remove(tree, "deb12", &err), 0, "%s", err.msg);
	cr_expect_not(exists(img), "%s is still there", img);
	cr_expect_not(exists(info), "%s is still there", info);
	v = NULL;
	n = 9;
	cr_assert_eq(dks_toolchain_list(tree, &v, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, 0, "%zu toolchains listed after the remove", n);
	dks_toolchain_list_free(v, n);
	free(resolved);
	resolved = NULL;
	cr_expect_lt(dks_toolchain_resolve(tree, "deb12", &resolved, &err), 0);
	cr_expect_null(resolved);
	cr_expect_lt(dks_toolchain_remove(tree, "deb12", &err), 0, "removed twice");
	cr_expect_eq(err.errnum, ENOENT, "%s", err.msg);
}

Test(toolchain, cli_import_list_remove)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *out = NULL;
	int rc;

	MAKE_TAR(tar, archive_write_add_filter_none,
		 {.path = "usr/lib/gcc/x86_64-linux-gnu/99/", .type = AE_IFDIR, .perm = 0755},
		 {.path = "usr/bin/gcc-99", .perm = 0755, .size = 300000});
	rc = RUN_CLI(dir, &out, "toolchain", "import", "cli", tar, "--dkmstree", tree);
	cr_assert_eq(rc, 0, "import: exit %d: %s", rc, out);
	free(out);

	rc = RUN_CLI(dir, &out, "toolchain", "list", "--dkmstree", tree);
	cr_assert_eq(rc, 0, "list: exit %d: %s", rc, out);
	cr_expect(strstr(out, "NAME"), "no header line: %s", out);
	cr_expect(strstr(out, "cli "), "cli not listed: %s", out);
	cr_expect(strstr(out, "gcc 99"), "gcc 99 not listed: %s", out);
	cr_expect(strstr(out, "0.3MB"), "size 300000 not listed as 0.3MB: %s", out);
	cr_expect(strstr(out, " UTC"), "no import date: %s", out);
	free(out);

	rc = RUN_CLI(dir, &out, "toolchain", "remove", "cli", "--dkmstree", tree);
	cr_assert_eq(rc, 0, "remove: exit %d: %s", rc, out);
	free(out);

	rc = RUN_CLI(dir, &out, "toolchain", "list", "--dkmstree", tree);
	cr_assert_eq(rc, 0, "list: exit %d: %s", rc, out);
	cr_expect_null(strstr(out, "cli "), "cli still listed: %s", out);
	cr_expect_null(strstr(out, "gcc"), "a toolchain still listed: %s", out);
}

Test(toolchain, import_formats)
{
	static const struct {
		const char *file;
		int (*filter)(struct archive *);
	} formats[] = {
	    {"img.tar", archive_write_add_filter_none},
	    {"img.tar.gz", archive_write_add_filter_gzip},
	    {"img.tar.xz", archive_write_add_filter_xz},
	    {"img.tar.zst", archive_write_add_filter_zstd},
	};
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tree = join(dir, "tree");

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		cleanup_free char *tar = join(dir, formats[i].file);
		cleanup_free char *name = NULL, *img = NULL, *text = NULL;

		cr_assert(asprintf(&name, "f%zu", i) > 0);
		MAKE_TAR(tar, formats[i].filter,
			 {.path = "etc/os-release", .data = formats[i].file});
		import_ok(tree, name, tar, 0);
		cr_assert(asprintf(&img, "%s/toolchains/%s", tree, name) > 0);
		text = image_text(img, "etc/os-release");
		cr_assert_not_null(text, "%s: etc/os-release is missing", formats[i].file);
		cr_expect_str_eq(text, formats[i].file);
	}
}

/* ---- hostile images ---- */

Test(toolchain, refuses_path_traversal)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *near = join(tree, "toolchains/x"); /* "../x" from the temp dir */
	cleanup_free char *far = join(dir, "victim");	      /* "../../../victim" */
	struct dks_error err = {0};

	MAKE_TAR(tar, archive_write_add_filter_gzip, {.path = "ok", .data = "x"},
		 {.path = "../x", .data = "owned\n"},
		 {.path = "../../../victim", .data = "owned\n"});
	cr_assert_lt(dks_toolchain_import(tree, "img", tar, 0, &err), 0, "imported '../x'");
	cr_expect(strstr(err.msg, "'..'"), "%s", err.msg);
	cr_expect(strstr(err.msg, "../x"), "the entry is not named: %s", err.msg);
	cr_expect_not(exists(near), "%s was written", near);
	cr_expect_not(exists(far), "%s was written", far);
	assert_nothing_left(tree);

	IMPORT_REFUSED("'..'", {.path = "a/../../x", .data = "y"});
}

Test(toolchain, refuses_absolute_path)
{
	char victim[] = "/tmp/dks-toolchain-victim-XXXXXX";
	int fd = mkstemp(victim);

	cr_assert_geq(fd, 0);
	close(fd);
	unlink(victim); /* a name nobody has: the image must not create it */
	IMPORT_REFUSED("absolute path", {.path = "ok", .data = "x"},
		       {.path = victim, .data = "owned\n"});
	cr_expect_not(exists(victim), "%s was written", victim);
	unlink(victim);
}

Test(toolchain, refuses_write_through_symlink_out)
{
	cleanup_free char *victim = tmpdir();
	cleanup_free char *file = join(victim, "file");

	/* Relative and leading out: refused as a link. */
	IMPORT_REFUSED("leads outside",
		       {.path = "link", .type = AE_IFLNK, .link = "../../outside"});
	IMPORT_REFUSED("leads outside",
		       {.path = "usr/link", .type = AE_IFLNK, .link = "../../outside"});
	/* Absolute: kept as a link (the image's own path), but no entry is
	 * ever written through a link. */
	IMPORT_REFUSED("symbolic link", {.path = "link", .type = AE_IFLNK, .link = victim},
		       {.path = "link/file", .data = "owned\n"});
	cr_expect_not(exists(file), "%s was written through the link", file);
	cr_expect_eq(dir_entries(victim), 0, "%s was written to", victim);
	/* Nor a directory made through one. */
	IMPORT_REFUSED("symbolic link", {.path = "link", .type = AE_IFLNK, .link = victim},
		       {.path = "link/sub/", .type = AE_IFDIR, .perm = 0755});
	cr_expect_eq(dir_entries(victim), 0, "%s was written to", victim);
}

Test(toolchain, hardlink_out_is_refused)
{
	IMPORT_REFUSED("absolute path", {.path = "pw", .link = "/etc/passwd", .hard = true});
	IMPORT_REFUSED("'..'", {.path = "pw", .link = "../../etc/passwd", .hard = true});
	/* Through an absolute link the image may keep: the host's file must
	 * not be copied in. */
	IMPORT_REFUSED("hard link", {.path = "etc", .type = AE_IFLNK, .link = "/etc"},
		       {.path = "pw", .link = "etc/passwd", .hard = true});
	IMPORT_REFUSED("hard link", {.path = "pwlink", .type = AE_IFLNK, .link = "/etc/passwd"},
		       {.path = "pw", .link = "pwlink", .hard = true});
}

Test(toolchain, device_nodes_and_fifos_are_left_out)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/img");
	cleanup_free char *img2 = join(tree, "toolchains/img2");
	cleanup_free char *text = NULL, *out = NULL;
	int rc;

	MAKE_TAR(tar, archive_write_add_filter_gzip,
		 {.path = "dev/", .type = AE_IFDIR, .perm = 0755},
		 {.path = "dev/null", .type = AE_IFCHR, .perm = 0666},
		 {.path = "dev/sda", .type = AE_IFBLK, .perm = 0660},
		 {.path = "run/initctl", .type = AE_IFIFO, .perm = 0600},
		 {.path = "etc/hostname", .data = "image\n"});
	import_ok(tree, "img", tar, 0);
	cr_expect_not(image_has(img, "dev/null"), "the char device was made");
	cr_expect_not(image_has(img, "dev/sda"), "the block device was made");
	cr_expect_not(image_has(img, "run/initctl"), "the FIFO was made");
	cr_expect(S_ISDIR(image_mode(img, "dev")));
	text = image_text(img, "etc/hostname");
	cr_expect(text && strcmp(text, "image\n") == 0, "etc/hostname: %s",
		  text ? text : "missing");

	rc = RUN_CLI(dir, &out, "toolchain", "import", "img2", tar, "--dkmstree", tree);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, out);
	cr_expect(strstr(out, "img2: 3 device nodes, FIFOs or sockets left out"),
		  "no count of what was left out: %s", out);
	cr_expect_not(image_has(img2, "dev/null"));
	cr_expect_not(image_has(img2, "run/initctl"));
}

Test(toolchain, setuid_bits_are_stripped)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/img");
	cleanup_free char *found = NULL;

	MAKE_TAR(tar, archive_write_add_filter_gzip,
		 {.path = "usr/bin/su", .perm = 04755, .data = "#!/bin/sh\n"},
		 {.path = "usr/bin/wall", .perm = 02755, .data = "#!/bin/sh\n"},
		 {.path = "usr/bin/both", .perm = 06755, .data = "#!/bin/sh\n"},
		 {.path = "etc/shadow", .perm = 04666, .data = "root:*:\n"},
		 {.path = "tmp/", .type = AE_IFDIR, .perm = 01777});
	import_ok(tree, "img", tar, 0);
	cr_expect_eq(image_mode(img, "usr/bin/su") & 07777, 0755, "su: %o",
		     image_mode(img, "usr/bin/su") & 07777);
	cr_expect_eq(image_mode(img, "usr/bin/wall") & 07777, 0755, "wall: %o",
		     image_mode(img, "usr/bin/wall") & 07777);
	cr_expect_eq(image_mode(img, "usr/bin/both") & 07777, 0755, "both: %o",
		     image_mode(img, "usr/bin/both") & 07777);
	/* Nothing world-writable either, in a tree that root owns. */
	cr_expect_eq(image_mode(img, "etc/shadow") & 07777, 0644, "shadow: %o",
		     image_mode(img, "etc/shadow") & 07777);
	cr_expect_eq(image_mode(img, "tmp") & 07022, 0, "tmp: %o", image_mode(img, "tmp") & 07777);
	found = sbt_find_setid(img);
	cr_expect_null(found, "set-id file in the image: %s", found);
}

Test(toolchain, archive_bomb_is_refused)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "bomb.tar");
	cleanup_free char *tree = join(dir, "tree");
	struct sbt_item many[40];
	struct dks_error err = {0};
	char names[40][16];

	/* One 2 MiB file (a few KiB compressed) against a 1 MiB cap. */
	import_refused(SBT_ITEMS({.path = "zeros", .size = 2 * MIB}), 1, MIB, "1 MiB cap");
	/* Many files, each small, together over the cap. */
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "f%02d", i);
		many[i] = (struct sbt_item){.path = names[i], .size = 64 * 1024};
	}
	import_refused(many, 40, MIB, "1 MiB cap");

	/* A header that declares 3 GiB (and has no data): refused on the
	 * declared size, before anything is read. */
	sbt_write_raw_tar(tar, "bomb.bin", 3ULL << 30);
	cr_assert_lt(dks_toolchain_import(tree, "img", tar, MIB, &err), 0,
		     "imported a 3 GiB entry");
	cr_expect(strstr(err.msg, "declared larger than the 2048 MiB cap"), "%s", err.msg);
	cr_expect(strstr(err.msg, "bomb.bin"), "the entry is not named: %s", err.msg);
	cr_expect_eq(err.errnum, EFBIG, "%s", err.msg);
	assert_nothing_left(tree);
	/* The same with the default cap (8 GiB): one entry is still at most 2 GiB. */
	err = (struct dks_error){0};
	cr_assert_lt(dks_toolchain_import(tree, "img", tar, 0, &err), 0, "imported a 3 GiB entry");
	cr_expect_eq(err.errnum, EFBIG, "%s", err.msg);
	assert_nothing_left(tree);
}

Test(toolchain, an_image_of_exactly_the_cap_is_imported)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.zst");
	cleanup_free char *tree = join(dir, "tree");
	struct dks_error err = {0};

	/* 1 MiB of file bytes against a 1 MiB cap: the cap is inclusive. */
	MAKE_TAR(tar, archive_write_add_filter_zstd, {.path = "a", .size = MIB / 2},
		 {.path = "b", .size = MIB / 2});
	cr_assert_eq(dks_toolchain_import(tree, "img", tar, MIB, &err), 0, "%s", err.msg);
}

/* ---- names ---- */

Test(toolchain, import_of_an_existing_name_is_refused)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tar2 = join(dir, "img2.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/img");
	cleanup_free char *text = NULL;
	struct dks_error err = {0};

	MAKE_TAR(tar, archive_write_add_filter_gzip, {.path = "etc/hostname", .data = "first\n"});
	MAKE_TAR(tar2, archive_write_add_filter_gzip, {.path = "etc/hostname", .data = "second\n"});
	import_ok(tree, "img", tar, 0);
	cr_assert_lt(dks_toolchain_import(tree, "img", tar2, 0, &err), 0, "imported twice");
	cr_expect_eq(err.errnum, EEXIST, "%s", err.msg);
	cr_expect(strstr(err.msg, "'img'") && strstr(err.msg, "remove it first"), "%s", err.msg);
	text = image_text(img, "etc/hostname");
	cr_expect(text && strcmp(text, "first\n") == 0, "the first image changed: %s",
		  text ? text : "missing");
}

Test(toolchain, bad_names_are_refused)
{
	static const char *const bad[] = {
	    ".x",   "a/b",
	    "host", "",
	    "..",   ".",
	    "../x", "a b",
	    "x;y",  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	};
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *a = join(tree, "toolchains/a");

	MAKE_TAR(tar, archive_write_add_filter_gzip, {.path = "etc/hostname", .data = "x\n"});
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dks_error err = {0};
		char *out = NULL;

		cr_expect_lt(dks_toolchain_import(tree, bad[i], tar, 0, &err), 0,
			     "imported as '%s'", bad[i]);
		cr_expect(strstr(err.msg, "a name of letters"), "'%s': %s", bad[i], err.msg);
		err = (struct dks_error){0};
		cr_expect_lt(dks_toolchain_remove(tree, bad[i], &err), 0, "removed '%s'", bad[i]);
		cr_expect(strstr(err.msg, "a name of letters"), "'%s': %s", bad[i], err.msg);
		if (strcmp(bad[i], "host") != 0 && !strchr(bad[i], '/')) {
			cr_expect_lt(dks_toolchain_resolve(tree, bad[i], &out, &err), 0,
				     "resolved '%s'", bad[i]);
			cr_expect_null(out);
		}
	}
	cr_expect_not(exists(a), "%s made by the name 'a/b'", a);
	assert_nothing_left(tree);
	/* 64 characters is the longest name. */
	import_ok(tree, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", tar, 0);
}

/* ---- a directory as the source ---- */

Test(toolchain, import_from_a_directory)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *src = join(dir, "rootfs");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/fromdir");
	cleanup_free char *p = NULL, *f1 = NULL, *f2 = NULL, *f3 = NULL, *text = NULL;
	struct dks_toolchain_info *v = NULL;
	struct dks_error err = {0};
	size_t n = 0;

	mkdir_p(src, "usr/lib/gcc/x86_64-linux-gnu/98");
	mkdir_p(src, "usr/bin");
	p = join(src, "usr/bin");
	f1 = write_file(p, "gcc-98", "#!/bin/sh\n", 04755);
	f2 = write_file(src, "hostname", "dir\n", 0644);
	f3 = join(p, "cc");
	cr_assert_eq(symlink("/usr/bin/gcc-98", f3), 0);
	free(f3);
	f3 = join(p, "gcc");
	cr_assert_eq(symlink("gcc-98", f3), 0);

	import_ok(tree, "fromdir", src, 0);
	text = image_text(img, "hostname");
	cr_assert_not_null(text, "hostname is missing");
	cr_expect_str_eq(text, "dir\n");
	cr_expect_eq(image_mode(img, "usr/bin/gcc-98") & 07777, 0755, "gcc-98: %o",
		     image_mode(img, "usr/bin/gcc-98") & 07777);
	expect_link(img, "usr/bin/cc", "/usr/bin/gcc-98");
	expect_link(img, "usr/bin/gcc", "gcc-98");
	cr_assert_eq(dks_toolchain_list(tree, &v, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 1);
	cr_expect_eq(v[0].gcc_major, 98);
	cr_expect_eq(v[0].size, 14, "size %llu", v[0].size);
	dks_toolchain_list_free(v, n);
	/* The source is untouched. */
	cr_expect_eq(image_mode(p, "gcc-98") & 07777, 04755);
}

Test(toolchain, a_directory_with_a_fifo_has_the_fifo_left_out)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *src = join(dir, "rootfs");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/withfifo");
	cleanup_free char *fifo = join(src, "initctl");
	cleanup_free char *f = NULL, *out = NULL;
	int rc;

	cr_assert_eq(mkdir(src, 0755), 0);
	f = write_file(src, "hostname", "dir\n", 0644);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	rc = RUN_CLI(dir, &out, "toolchain", "import", "withfifo", src, "--dkmstree", tree);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, out);
	cr_expect(strstr(out, "withfifo: 1 device nodes, FIFOs or sockets left out"), "%s", out);
	cr_expect_not(image_has(img, "initctl"), "the FIFO was copied");
	cr_expect(image_has(img, "hostname"));
}

/* ---- found while writing this suite (see the report) ---- */

/* fetch.c's sink_dir makes directories with mkdirat(0755), which the
 * umask trims, and never sets them exactly (sink_file does, for files):
 * under root's umask 077 every directory of an image is 0700, and the
 * sandbox's unprivileged build user cannot enter /usr. */
Test(toolchain, image_directories_are_0755_whatever_the_umask)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/img");

	MAKE_TAR(tar, archive_write_add_filter_gzip,
		 {.path = "usr/", .type = AE_IFDIR, .perm = 0755},
		 {.path = "usr/bin/tool", .perm = 0755, .data = "#!/bin/sh\n"});
	umask(077);
	import_ok(tree, "img", tar, 0);
	cr_expect_eq(image_mode(img, "usr") & 07777, 0755, "usr: %o",
		     image_mode(img, "usr") & 07777);
	cr_expect_eq(image_mode(img, "usr/bin") & 07777, 0755, "usr/bin: %o",
		     image_mode(img, "usr/bin") & 07777);
}

/* toolchain.h: dks_toolchain_gcc_major "never follows a link"; but it
 * opendir()s <root>/usr/lib/gcc/<triplet>, which follows an image's
 * absolute link "usr" -> "/usr" to the host's own /usr, and reports the
 * host's gcc for an image that has none. */
Test(toolchain, gcc_major_never_follows_a_link)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "img.tar.gz");
	cleanup_free char *tree = join(dir, "tree");
	cleanup_free char *img = join(tree, "toolchains/img");

	MAKE_TAR(tar, archive_write_add_filter_gzip,
		 {.path = "usr", .type = AE_IFLNK, .link = "/usr"},
		 {.path = "etc/hostname", .data = "no gcc here\n"});
	import_ok(tree, "img", tar, 0);
	cr_expect_eq(dks_toolchain_gcc_major(img), 0, "gcc %d found through a link",
		     dks_toolchain_gcc_major(img));
}
