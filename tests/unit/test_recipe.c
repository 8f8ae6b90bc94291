// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "recipe": the YAML recipes of recipes/ (docs/recipes.md). The project's own
 * recipes load and give the right spec for the installed kernel; bad
 * recipes are refused with FILE:LINE; sources are fetched from real
 * directories and from real tarballs that the tests build with libarchive,
 * hostile ones included, and a refusal leaves nothing behind.
 *
 * Environment: DKS_SRCDIR (repo root, default ".").
 */
#include <criterion/criterion.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/recipe.h"
#include "dks/spec.h"
#include "sbtar.h"
#include "sbtest.h"

TestSuite(recipe, .fini = sbt_cleanup);

/* ---- helpers ---- */

static char *srcpath(const char *rel)
{
	const char *root = getenv("DKS_SRCDIR");
	char *p;

	cr_assert(asprintf(&p, "%s/%s", root ? root : ".", rel) > 0);
	return p;
}

/* A fresh directory, removed after the test (even a failed one). */
static char *tmpdir(void)
{
	char *d = strdup("/tmp/dks-recipe-XXXXXX");

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

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = join(dir, name);
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
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
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct dks_recipe *load_ok(const char *path)
{
	struct dks_error err = {0};
	struct dks_recipe *r = NULL;

	cr_assert_eq(dks_recipe_load(path, &r, &err), 0, "%s: %s", path, err.msg);
	cr_assert_not_null(r);
	return r;
}

/* Load @text as <tmp>/test.yaml: it must fail, with every string of
 * @expect in the message ("@" stands for the file's path). */
static void load_fails(const char *text, const char *const *expect)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *path = write_file(dir, "test.yaml", text);
	struct dks_error err = {0};
	struct dks_recipe *r = NULL;

	cr_assert_lt(dks_recipe_load(path, &r, &err), 0, "loaded:\n%s", text);
	cr_assert_null(r);
	cr_expect_eq(err.exit_code, DKS_EXIT_BAD_CONF, "exit code %d: %s", err.exit_code, err.msg);
	for (; *expect; expect++) {
		cleanup_free char *want = NULL;

		if (**expect == '@')
			cr_assert(asprintf(&want, "%s%s", path, *expect + 1) > 0);
		else
			want = strdup(*expect);
		cr_expect(strstr(err.msg, want), "'%s' not in: %s", want, err.msg);
	}
}
#define LOAD_FAILS(text, ...) load_fails(text, (const char *const[]){__VA_ARGS__, NULL})

static struct dks_spec_target target(void)
{
	return (struct dks_spec_target){
	    .kver = sbt_installed_kernel(), /* leaked: one per test */
	    .arch = "x86_64",
	    .dkms_tree = "/var/lib/dkms",
	    .jobs = 2,
	};
}

static struct dks_spec *spec_ok(const struct dks_recipe *r, const struct dks_spec_target *t)
{
	struct dks_error err = {0};
	struct dks_spec *s = NULL;

	cr_assert_eq(dks_recipe_spec(r, t, &s, &err), 0, "spec: %s", err.msg);
	return s;
}

#define MINIMAL_TAIL "modules:\n  - name: m\n"

/* ---- tarballs built by the test ---- */

static void make_tar(const char *path, const struct sbt_item *items, size_t n)
{
	sbt_make_tar(path, items, n, archive_write_add_filter_gzip);
}

static void sha256_hex(const char *path, char hex[65])
{
	cleanup_free char *buf = malloc(1 << 20);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, 1 << 20, f) : 0;

	cr_assert_not_null(f);
	fclose(f);
	cr_assert(EVP_Digest(buf, n, md, &len, EVP_sha256(), NULL));
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* A recipe beside tarball @tar (in @dir) with its real sha256. */
static char *tar_recipe(const char *dir, const char *tar, const char *extra)
{
	cleanup_free char *tpath = join(dir, tar);
	cleanup_free char *text = NULL;
	char hex[65];

	sha256_hex(tpath, hex);
	cr_assert(
	    asprintf(&text,
		     "name: m\nversion: '1'\nsource:\n  tarball: %s\n  sha256: %s\n%s" MINIMAL_TAIL,
		     tar, hex, extra ? extra : "") > 0);
	return write_file(dir, "m.yaml", text);
}

/* No "*.dks-tmp-*" left in @dir. */
static void assert_no_temp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		cr_expect_null(strstr(de->d_name, ".dks-tmp-"), "left behind: %s/%s", dir,
			       de->d_name);
	closedir(d);
}

/* Build @items into a tarball, fetch it: must fail with @expect in the
 * message, and leave neither the destination nor a temporary dir. */
static void fetch_refused(const struct sbt_item *items, size_t n, const char *extra,
			  const char *expect)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "m.tar.gz");
	cleanup_free char *dest = join(dir, "dest");
	cleanup_free char *path = NULL;
	struct dks_recipe *r;
	struct dks_error err = {0};

	make_tar(tar, items, n);
	path = tar_recipe(dir, "m.tar.gz", extra);
	r = load_ok(path);
	cr_assert_lt(dks_recipe_fetch_source(r, dest, &err), 0, "fetched a hostile tarball");
	cr_expect(strstr(err.msg, expect), "'%s' not in: %s", expect, err.msg);
	cr_expect_not(exists(dest), "%s exists after a refusal", dest);
	assert_no_temp(dir);
	dks_recipe_free(r);
}
#define FETCH_REFUSED(expect, ...)                                                                 \
	fetch_refused(SBT_ITEMS(__VA_ARGS__), SBT_N_ITEMS(__VA_ARGS__), NULL, expect)

/* ---- the project's recipes ---- */

Test(recipe, hello_recipe_loads)
{
	cleanup_free char *path = srcpath("recipes/hello.yaml");
	struct dks_recipe *r = load_ok(path);

	cr_expect_str_eq(dks_recipe_name(r), "hello");
	cr_expect_str_eq(dks_recipe_version(r), "1.0");
	dks_recipe_free(r);
}

Test(recipe, ixgbevf_recipe_loads)
{
	cleanup_free char *path = srcpath("recipes/ixgbevf.yaml");
	struct dks_recipe *r = load_ok(path);

	cr_expect_str_eq(dks_recipe_name(r), "ixgbevf");
	cr_expect_str_eq(dks_recipe_version(r), "3.2.2");
	dks_recipe_free(r);
}

Test(recipe, hello_spec_for_the_installed_kernel)
{
	cleanup_free char *path = srcpath("recipes/hello.yaml");
	struct dks_recipe *r = load_ok(path);
	struct dks_spec_target t = target();
	struct dks_spec *s = spec_ok(r, &t);
	cleanup_free char *clean = NULL;

	cr_assert(asprintf(&clean,
			   "make -C /lib/modules/%s/build M=/var/lib/dkms/hello/1.0/build clean",
			   t.kver) > 0);
	cr_expect_str_eq(s->name, "hello");
	cr_expect_str_eq(s->version, "1.0");
	cr_expect_str_eq(s->source, path);
	cr_expect_null(s->make, "no command: dkms's default line, got %s", s->make);
	cr_expect_str_eq(s->clean, clean);
	cr_assert_eq(s->n_modules, 1);
	cr_expect_str_eq(s->modules[0].built_name, "hello");
	cr_expect_str_eq(s->modules[0].built_location, "");
	cr_expect_str_eq(s->modules[0].dest_name, "hello");
	cr_expect_str_eq(s->modules[0].dest_location, "/updates/dkms");
	cr_expect(s->modules[0].strip);
	cr_expect_not(s->autoinstall);
	cr_expect_null(s->excl_kernel);
	cr_expect_eq(s->n_excl_config, 0);
	dks_spec_free(s);
	dks_recipe_free(r);
}

Test(recipe, ixgbevf_spec_for_the_installed_kernel)
{
	cleanup_free char *path = srcpath("recipes/ixgbevf.yaml");
	struct dks_recipe *r = load_ok(path);
	struct dks_spec_target t = target();
	struct dks_spec *s = spec_ok(r, &t);
	cleanup_free char *make = NULL, *config = NULL;
	struct dks_error err = {0};

	cr_assert(asprintf(&make, "cd 'src' && make -j2 BUILD_KERNEL=%s KSRC=/lib/modules/%s/build",
			   t.kver, t.kver) > 0);
	cr_expect_str_eq(s->make, make);
	cr_expect_str_eq(s->clean, "cd 'src' && make clean");
	cr_assert_eq(s->n_modules, 1);
	cr_expect_str_eq(s->modules[0].built_name, "ixgbevf");
	cr_expect_str_eq(s->modules[0].built_location, "src");
	cr_expect_str_eq(s->modules[0].dest_location, "/updates/dkms");
	cr_expect(s->autoinstall);
	cr_expect_str_eq(s->excl_kernel_min, "2.6.32");
	cr_assert_eq(s->n_excl_config, 2);
	cr_expect_str_eq(s->excl_config[0], "CONFIG_PCI");
	cr_expect_str_eq(s->excl_config[1], "CONFIG_PCI_MSI");
	/* Buildable exactly when the kernel's config has PCI and PCI_MSI. */
	cr_assert(asprintf(&config, "/lib/modules/%s/build/.config", t.kver) > 0);
	if (sbt_kernel_config_set(t.kver, "CONFIG_PCI") &&
	    sbt_kernel_config_set(t.kver, "CONFIG_PCI_MSI")) {
		cr_expect_eq(dks_spec_check_exclusive(s, &t, config, &err), 0, "%s", err.msg);
	} else {
		cr_expect_lt(dks_spec_check_exclusive(s, &t, config, &err), 0, "not excluded");
		cr_expect(strstr(err.msg, "CONFIG_PCI"), "%s", err.msg);
	}
	dks_spec_free(s);
	dks_recipe_free(r);
}

Test(recipe, ixgbevf_fetch_refuses_an_unpinned_checksum)
{
	cleanup_free char *path = srcpath("recipes/ixgbevf.yaml");
	cleanup_free char *dir = tmpdir();
	cleanup_free char *dest = join(dir, "ixgbevf-3.2.2");
	struct dks_recipe *r = load_ok(path);
	struct dks_error err = {0};

	cr_assert_lt(dks_recipe_fetch_source(r, dest, &err), 0);
	cr_expect(strstr(err.msg, "ixgbevf.yaml:") && strstr(err.msg, "unpinned"), "%s", err.msg);
	cr_expect_not(exists(dest));
	assert_no_temp(dir);
	dks_recipe_free(r);
}

/* ---- what a recipe says, for one kernel ---- */

Test(recipe, build_directory_gives_the_default_line_an_m_there)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *path = write_file(dir, "m.yaml",
					     "name: m\nversion: '1'\nsource: {dir: .}\n"
					     "build: {directory: src/sub}\n" MINIMAL_TAIL);
	struct dks_recipe *r = load_ok(path);
	struct dks_spec_target t = target();
	struct dks_spec *s;
	cleanup_free char *want = NULL;

	t.kernel_dir = "/usr/src/linux-headers-x";
	t.dkms_tree = "/dkms";
	s = spec_ok(r, &t);
	cr_assert(asprintf(&want, "make -C /usr/src/linux-headers-x M=/dkms/m/1/build/src/sub") >
		  0);
	cr_expect_str_eq(s->make, want);
	dks_spec_free(s);
	dks_recipe_free(r);
}

Test(recipe, every_variable_is_substituted)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *path = write_file(
	    dir, "m.yaml",
	    "name: m\nversion: '2.0'\nsource: {dir: .}\nbuild:\n  command: >-\n"
	    "    x ${kernelver} ${kernel_source_dir} ${arch} ${jobs} ${module}\n"
	    "    ${module_version} ${build_dir} $${LITERAL} $HOME $(pwd)\n" MINIMAL_TAIL);
	struct dks_recipe *r = load_ok(path);
	struct dks_spec_target t = {.kver = "5.99.0-1-test",
				    .arch = "x86_64",
				    .kernel_dir = "/k",
				    .dkms_tree = "/t",
				    .jobs = 7};
	struct dks_spec *s = spec_ok(r, &t);

	cr_expect_str_eq(s->make, "x 5.99.0-1-test /k x86_64 7 m 2.0 /t/m/2.0/build "
				  "${LITERAL} $HOME $(pwd)");
	dks_spec_free(s);
	dks_recipe_free(r);
}

Test(recipe, a_value_that_needs_quoting_is_refused)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *path =
	    write_file(dir, "m.yaml",
		       "name: m\nversion: '1'\nsource: {dir: .}\n"
		       "build: {command: 'make -C ${kernel_source_dir}'}\n" MINIMAL_TAIL);
	struct dks_recipe *r = load_ok(path);
	struct dks_spec_target t = {.kver = "5.99", .arch = "x86_64", .kernel_dir = "/a b;rm"};
	struct dks_spec *s = NULL;
	struct dks_error err = {0};

	cr_expect_lt(dks_recipe_spec(r, &t, &s, &err), 0);
	cr_expect(strstr(err.msg, "kernel_source_dir"), "%s", err.msg);
	cr_expect_null(s);
	dks_recipe_free(r);
}

Test(recipe, overrides_and_patches_follow_the_kernel)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *path =
	    write_file(dir, "m.yaml",
		       "name: m\nversion: '1'\nsource: {dir: .}\n"
		       "build:\n  command: make new\n  overrides:\n"
		       "    - {kernel: '^4\\.', command: make old}\n"
		       "    - {kernel: '^5\\.99\\.', command: make five-ninety-nine}\n"
		       "patches:\n  - all.patch\n  - {file: four.patch, kernel: '^4\\.'}\n"
		       "  - {file: sub/new.patch, kernel: '^5\\.9'}\n" MINIMAL_TAIL);
	struct dks_recipe *r = load_ok(path);
	struct dks_spec_target t = {.kver = "5.99.0-2-test", .arch = "x86_64"};
	struct dks_spec *s = spec_ok(r, &t);

	cr_expect_str_eq(s->make, "make five-ninety-nine");
	cr_assert_eq(s->n_patches, 2);
	cr_expect_str_eq(s->patches[0].file, "all.patch");
	cr_expect_str_eq(s->patches[1].file, "sub/new.patch");
	dks_spec_free(s);
	t.kver = "5.10.0";
	s = spec_ok(r, &t);
	cr_expect_str_eq(s->make, "make new");
	cr_expect_eq(s->n_patches, 1);
	dks_spec_free(s);
	dks_recipe_free(r);
}

Test(recipe, every_directive_reaches_the_spec)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *path = write_file(
	    dir, "m.yaml",
	    "name: m\nversion: '1'\nsource: {dir: .}\n"
	    "build: {pre_build: scripts/pre.sh, post_build: scripts/post.sh}\n"
	    "hooks: {post_add: a.sh, pre_install: b.sh, post_install: c.sh, post_remove: d.sh}\n"
	    "modules:\n  - {name: m, location: drv, dest: /extra, dest_name: m2, strip: false}\n"
	    "  - {name: n}\n"
	    "autoinstall: true\nno_weak_modules: true\nbuild_depends: [dep1, dep2]\n"
	    "obsolete_by: '6.5'\n");
	struct dks_recipe *r = load_ok(path);
	struct dks_spec_target t = {.kver = "5.99.0-1-test", .arch = "x86_64"};
	struct dks_spec *s = spec_ok(r, &t);

	cr_expect_str_eq(s->pre_build, "scripts/pre.sh");
	cr_expect_str_eq(s->post_build, "scripts/post.sh");
	cr_expect_str_eq(s->post_add, "a.sh");
	cr_expect_str_eq(s->pre_install, "b.sh");
	cr_expect_str_eq(s->post_install, "c.sh");
	cr_expect_str_eq(s->post_remove, "d.sh");
	cr_assert_eq(s->n_modules, 2);
	cr_expect_str_eq(s->modules[0].built_location, "drv");
	cr_expect_str_eq(s->modules[0].dest_location, "/extra");
	cr_expect_str_eq(s->modules[0].dest_name, "m2");
	cr_expect_not(s->modules[0].strip);
	cr_expect(s->modules[1].strip);
	cr_expect(s->autoinstall);
	cr_expect(s->no_weak_modules);
	cr_assert_eq(s->n_build_depends, 2);
	cr_expect_str_eq(s->build_depends[1], "dep2");
	cr_expect_null(s->build_depends[2]);
	cr_expect_str_eq(s->obsolete_by, "6.5");
	dks_spec_free(s);
	dks_recipe_free(r);
}

/* kernel: becomes BUILD_EXCLUSIVE_*, which dks_spec_check_exclusive
 * applies (exit 77 when excluded). */
static int exclusive_rc(const char *kernel_section, struct dks_error *err)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *text = NULL, *path = NULL, *config = NULL;
	struct dks_spec_target t = target();
	struct dks_recipe *r;
	struct dks_spec *s;
	int rc;

	cr_assert(asprintf(&text,
			   "name: m\nversion: '1'\nsource: {dir: .}\nkernel:\n%s" MINIMAL_TAIL,
			   kernel_section) > 0);
	path = write_file(dir, "m.yaml", text);
	r = load_ok(path);
	s = spec_ok(r, &t);
	cr_assert(asprintf(&config, "/lib/modules/%s/build/.config", t.kver) > 0);
	rc = dks_spec_check_exclusive(s, &t, config, err);
	dks_spec_free(s);
	dks_recipe_free(r);
	return rc;
}

Test(recipe, kernel_constraints_exclude_like_build_exclusive)
{
	static const char *const excluded[] = {
	    "  match: '^4\\.'\n",
	    "  min: '7.0'\n",
	    "  max: '5.99'\n",
	    "  arch: '^aarch64$'\n",
	    "  config: ['!CONFIG_PCI']\n",
	    "  config: [CONFIG_NO_SUCH]\n",
	};
	struct dks_error err = {0};

	cr_expect_eq(exclusive_rc("  match: '^6\\.'\n  min: '5.4'\n  max: '6.99'\n"
				  "  arch: x86_64\n  config: [CONFIG_PCI, '!CONFIG_NO_SUCH']\n",
				  &err),
		     0, "%s", err.msg);
	for (size_t i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++) {
		memset(&err, 0, sizeof(err));
		cr_expect_lt(exclusive_rc(excluded[i], &err), 0, "not excluded by %s", excluded[i]);
		cr_expect_eq(err.exit_code, DKS_EXIT_EXCLUDED, "%s: %s", excluded[i], err.msg);
	}
}

/* ---- bad recipes ---- */

Test(recipe, unknown_key_names_file_and_line)
{
	LOAD_FAILS("name: m\nversion: '1'\nsourc: {dir: .}\n" MINIMAL_TAIL,
		   "@:3:", "unknown key 'sourc'");
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nmodules:\n  - name: m\n"
		   "    destination: /extra\n",
		   "@:6:", "unknown key 'destination' in 'modules'");
}

Test(recipe, missing_name_is_an_error)
{
	LOAD_FAILS("version: '1'\nsource: {dir: .}\n" MINIMAL_TAIL, "@:1:", "'name' is required");
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nmodules:\n  - location: x\n",
		   "@:5:", "'modules.name' is required");
}

Test(recipe, bad_names_are_errors)
{
	LOAD_FAILS("name: ../m\nversion: '1'\nsource: {dir: .}\n" MINIMAL_TAIL, "@:1:", "'name'");
	LOAD_FAILS("name: m\nversion: '1 2'\nsource: {dir: .}\n" MINIMAL_TAIL, "@:2:", "'version'");
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nmodules: [{name: a.ko}]\n",
		   "@:4:", "'modules.name'");
}

Test(recipe, bad_dest_is_an_error)
{
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nmodules:\n  - name: m\n"
		   "    dest: /usr/lib/evil\n",
		   "@:6:", "must start with /kernel, /updates or /extra");
	LOAD_FAILS(
	    "name: m\nversion: '1'\nsource: {dir: .}\nmodules: [{name: m, dest: /updatesX}]\n",
	    "@:4:", "/updatesX");
	LOAD_FAILS(
	    "name: m\nversion: '1'\nsource: {dir: .}\nmodules: [{name: m, dest: /extra/../x}]\n",
	    "@:4:", "'..'");
}

Test(recipe, unknown_variable_names_its_line)
{
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nbuild:\n  command: |\n"
		   "    make\n    make ${kernel_dir}\n" MINIMAL_TAIL,
		   "@:7:", "unknown variable '${kernel_dir}'");
	LOAD_FAILS(
	    "name: m\nversion: '1'\nsource: {dir: .}\nbuild: {clean: 'make ${oops'}\n" MINIMAL_TAIL,
	    "@:4:", "unknown variable");
}

Test(recipe, source_needs_exactly_one_of_dir_and_tarball)
{
	LOAD_FAILS(
	    "name: m\nversion: '1'\nsource:\n  dir: .\n  tarball: m.tgz\n  sha256: "
	    "0000000000000000000000000000000000000000000000000000000000000000\n" MINIMAL_TAIL,
	    "@:4:", "exactly one of 'dir' and 'tarball'");
	LOAD_FAILS(
	    "name: m\nversion: '1'\nsource: {url: 'https://example.org/m.tgz'}\n" MINIMAL_TAIL,
	    "@:3:", "exactly one");
}

Test(recipe, tarball_needs_a_sha256)
{
	LOAD_FAILS("name: m\nversion: '1'\nsource: {tarball: m.tgz}\n" MINIMAL_TAIL,
		   "@:3:", "needs 'source.sha256'");
	LOAD_FAILS("name: m\nversion: '1'\nsource: {tarball: m.tgz, sha256: abc}\n" MINIMAL_TAIL,
		   "@:3:", "64 hexadecimal digits");
}

Test(recipe, duplicate_modules_and_keys_are_errors)
{
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nmodules:\n  - name: a\n"
		   "  - {name: b, dest_name: a}\n",
		   "@:6:", "same destination name as the one on line 5");
	LOAD_FAILS("name: m\nname: n\nversion: '1'\nsource: {dir: .}\n" MINIMAL_TAIL,
		   "@:2:", "duplicate key 'name'");
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nmodules: []\n",
		   "@:4:", "at least one module");
}

Test(recipe, bad_kernel_constraints_are_errors)
{
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nkernel: {match: '(4'}\n" MINIMAL_TAIL,
		   "@:4:", "regular expression");
	LOAD_FAILS(
	    "name: m\nversion: '1'\nsource: {dir: .}\nkernel: {config: [PCI]}\n" MINIMAL_TAIL,
	    "@:4:", "CONFIG_NAME");
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .}\nkernel:\n  min: '6.1'\n  max: "
		   "'5.10'\n" MINIMAL_TAIL,
		   "@:5:", "above");
}

Test(recipe, yaml_errors_name_the_line)
{
	LOAD_FAILS("name: m\nversion: '1'\nsource: {dir: .\n", "@:", "");
	LOAD_FAILS("name: m\n---\nname: n\n", "one YAML document");
	LOAD_FAILS("- a\n- b\n", "@:1:", "must be a mapping");
}

/* ---- fetching a directory ---- */

Test(recipe, fetch_dir_copies_the_tree_and_the_recipe)
{
	cleanup_free char *path = srcpath("recipes/hello.yaml");
	cleanup_free char *dir = tmpdir();
	cleanup_free char *dest = join(dir, "hello-1.0");
	cleanup_free char *c = NULL, *copy = NULL, *orig = NULL, *dest2 = NULL;
	struct dks_recipe *r = load_ok(path), *in;
	struct dks_error err = {0};
	struct stat st;

	cr_assert_eq(dks_recipe_fetch_source(r, dest, &err), 0, "%s", err.msg);
	c = join(dest, "hello.c");
	cr_assert_eq(stat(c, &st), 0, "%s missing", c);
	cr_expect_eq(st.st_mode & 07777, 0644);
	copy = join(dest, DKS_RECIPE_IN_SOURCE);
	orig = read_all(path);
	free(c);
	c = read_all(copy);
	cr_expect_str_eq(c, orig, "the recipe copy differs");
	assert_no_temp(dir);

	/* The copy treats its own directory as the source. */
	in = load_ok(copy);
	dest2 = join(dir, "again");
	cr_assert_eq(dks_recipe_fetch_source(in, dest2, &err), 0, "%s", err.msg);
	free(c);
	c = join(dest2, "Kbuild");
	cr_expect(exists(c));
	dks_recipe_free(in);
	dks_recipe_free(r);
}

Test(recipe, fetch_refuses_an_existing_destination)
{
	cleanup_free char *path = srcpath("recipes/hello.yaml");
	cleanup_free char *dir = tmpdir();
	struct dks_recipe *r = load_ok(path);
	struct dks_error err = {0};

	cr_expect_lt(dks_recipe_fetch_source(r, dir, &err), 0);
	cr_expect_eq(err.errnum, EEXIST, "%s", err.msg);
	dks_recipe_free(r);
}

/* A source dir with @what in it (made by @make): fetch must fail. */
static void dir_refused(void (*make)(const char *src), const char *expect)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *src = join(dir, "src");
	cleanup_free char *dest = join(dir, "dest");
	cleanup_free char *path = NULL, *f = NULL;
	struct dks_recipe *r;
	struct dks_error err = {0};

	cr_assert_eq(mkdir(src, 0755), 0);
	f = write_file(src, "ok.c", "int x;\n");
	make(src);
	path =
	    write_file(dir, "m.yaml", "name: m\nversion: '1'\nsource: {dir: src}\n" MINIMAL_TAIL);
	r = load_ok(path);
	cr_assert_lt(dks_recipe_fetch_source(r, dest, &err), 0, "copied it");
	cr_expect(strstr(err.msg, expect), "'%s' not in: %s", expect, err.msg);
	cr_expect_not(exists(dest));
	assert_no_temp(dir);
	dks_recipe_free(r);
}

static void make_fifo(const char *src)
{
	cleanup_free char *p = join(src, "fifo");

	cr_assert_eq(mkfifo(p, 0644), 0);
}

static void make_link_out(const char *src)
{
	cleanup_free char *p = join(src, "passwd");

	cr_assert_eq(symlink("../../../../../../etc/passwd", p), 0);
}

Test(recipe, fetch_dir_refuses_fifos_and_links_out)
{
	dir_refused(make_fifo, "FIFO");
	dir_refused(make_link_out, "leads outside");
}

Test(recipe, fetch_dir_strips_setid_bits_and_keeps_inner_links)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *src = join(dir, "src");
	cleanup_free char *dest = join(dir, "dest");
	cleanup_free char *f = NULL, *l = NULL, *path = NULL, *out = NULL;
	struct dks_recipe *r;
	struct dks_error err = {0};
	struct stat st;
	char target[64] = "";

	cr_assert_eq(mkdir(src, 0755), 0);
	f = write_file(src, "tool", "#!/bin/sh\n");
	cr_assert_eq(chmod(f, 06755), 0);
	l = join(src, "link");
	cr_assert_eq(symlink("tool", l), 0);
	path =
	    write_file(dir, "m.yaml", "name: m\nversion: '1'\nsource: {dir: src}\n" MINIMAL_TAIL);
	r = load_ok(path);
	cr_assert_eq(dks_recipe_fetch_source(r, dest, &err), 0, "%s", err.msg);
	out = join(dest, "tool");
	cr_assert_eq(stat(out, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0755, "mode %o", st.st_mode & 07777);
	free(out);
	out = join(dest, "link");
	cr_expect_gt(readlink(out, target, sizeof(target) - 1), 0);
	cr_expect_str_eq(target, "tool");
	dks_recipe_free(r);
}

/* ---- fetching a tarball ---- */

Test(recipe, fetch_tarball_extracts_with_strip_components)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "m.tar.gz");
	cleanup_free char *dest = join(dir, "m-1");
	cleanup_free char *path = NULL, *f = NULL, *text = NULL;
	const struct sbt_item items[] = {
	    {.path = "m-1/", .type = AE_IFDIR, .perm = 0755},
	    {.path = "m-1/Makefile", .data = "obj-m := m.o\n"},
	    {.path = "m-1/src/m.c", .data = "int m;\n", .perm = 04755},
	    {.path = "m-1/src/link.c", .type = AE_IFLNK, .link = "m.c"},
	    {.path = "m-1/copy.c", .link = "m-1/src/m.c", .hard = true},
	    {.path = "./m-1/./dot//x.h", .data = "#define X\n"},
	};
	struct dks_recipe *r;
	struct dks_error err = {0};
	struct stat st;

	make_tar(tar, items, sizeof(items) / sizeof(items[0]));
	path = tar_recipe(dir, "m.tar.gz", "  strip_components: 1\n");
	r = load_ok(path);
	cr_assert_eq(dks_recipe_fetch_source(r, dest, &err), 0, "%s", err.msg);
	f = join(dest, "Makefile");
	text = read_all(f);
	cr_expect_str_eq(text, "obj-m := m.o\n");
	free(f);
	f = join(dest, "src/m.c");
	cr_assert_eq(stat(f, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0755, "set-id bits kept: %o", st.st_mode & 07777);
	free(f);
	f = join(dest, "src/link.c");
	cr_expect_eq(lstat(f, &st), 0);
	cr_expect(S_ISLNK(st.st_mode));
	free(f);
	/* A hard link becomes a copy: one link per file. */
	f = join(dest, "copy.c");
	cr_assert_eq(lstat(f, &st), 0);
	cr_expect(S_ISREG(st.st_mode) && st.st_nlink == 1);
	free(f);
	f = join(dest, "dot/x.h");
	cr_expect(exists(f));
	free(f);
	f = join(dest, DKS_RECIPE_IN_SOURCE);
	cr_expect(exists(f));
	assert_no_temp(dir);
	dks_recipe_free(r);
}

Test(recipe, fetch_tarball_in_xz_and_bzip2)
{
	static int (*const filters[])(struct archive *) = {archive_write_add_filter_xz,
							   archive_write_add_filter_bzip2};
	const struct sbt_item items[] = {{.path = "m.c", .data = "int m;\n"}};

	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *dir = tmpdir();
		cleanup_free char *tar = join(dir, "m.tar.x");
		cleanup_free char *dest = join(dir, "m-1");
		cleanup_free char *path = NULL, *f = NULL;
		struct dks_error err = {0};
		struct dks_recipe *r;

		sbt_make_tar(tar, items, 1, filters[i]);
		path = tar_recipe(dir, "m.tar.x", NULL);
		r = load_ok(path);
		cr_assert_eq(dks_recipe_fetch_source(r, dest, &err), 0, "%s", err.msg);
		f = join(dest, "m.c");
		cr_expect(exists(f), "filter %zu: %s missing", i, f);
		dks_recipe_free(r);
	}
}

Test(recipe, fetch_wrong_sha256_writes_nothing)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "m.tar.gz");
	cleanup_free char *dest = join(dir, "dest");
	cleanup_free char *path = NULL;
	const struct sbt_item items[] = {{.path = "a.c", .data = "int a;\n"}};
	struct dks_recipe *r;
	struct dks_error err = {0};
	char hex[65];

	make_tar(tar, items, 1);
	sha256_hex(tar, hex);
	path = write_file(
	    dir, "m.yaml",
	    "name: m\nversion: '1'\nsource:\n  tarball: m.tar.gz\n  sha256: "
	    "1111111111111111111111111111111111111111111111111111111111111111\n" MINIMAL_TAIL);
	r = load_ok(path);
	cr_assert_lt(dks_recipe_fetch_source(r, dest, &err), 0);
	cr_expect(strstr(err.msg, tar), "%s", err.msg);
	cr_expect(strstr(err.msg, "expected 1111111111111111"), "%s", err.msg);
	cr_expect(strstr(err.msg, hex), "actual %s not in: %s", hex, err.msg);
	cr_expect_null(strchr(err.msg, '\n'), "one line: %s", err.msg);
	cr_expect_not(exists(dest));
	assert_no_temp(dir);
	dks_recipe_free(r);
}

Test(recipe, fetch_missing_tarball_is_no_source)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *dest = join(dir, "dest");
	cleanup_free char *path = write_file(
	    dir, "m.yaml",
	    "name: m\nversion: '1'\nsource:\n  tarball: nope.tar.gz\n  sha256: "
	    "1111111111111111111111111111111111111111111111111111111111111111\n" MINIMAL_TAIL);
	struct dks_recipe *r = load_ok(path);
	struct dks_error err = {0};

	cr_assert_lt(dks_recipe_fetch_source(r, dest, &err), 0);
	cr_expect_eq(err.exit_code, DKS_EXIT_NO_SOURCE, "%s", err.msg);
	cr_expect(strstr(err.msg, "nope.tar.gz"), "%s", err.msg);
	cr_expect_not(exists(dest));
	dks_recipe_free(r);
}

Test(recipe, hostile_absolute_path_is_refused)
{
	char victim[] = "/tmp/dks-recipe-victim-XXXXXX";
	int fd = mkstemp(victim);

	cr_assert_geq(fd, 0);
	close(fd);
	unlink(victim); /* a name nobody has: the tarball must not create it */
	FETCH_REFUSED("absolute path", {.path = "ok.c", .data = "x"},
		      {.path = victim, .data = "owned\n"});
	cr_expect_not(exists(victim), "%s was written", victim);
}

Test(recipe, hostile_dotdot_is_refused)
{
	FETCH_REFUSED("'..'", {.path = "ok.c", .data = "x"}, {.path = "../x", .data = "y"});
	FETCH_REFUSED("'..'", {.path = "a/../../x", .data = "y"});
}

Test(recipe, hostile_symlink_out_then_a_file_through_it_is_refused)
{
	FETCH_REFUSED("leads outside", {.path = "evil", .type = AE_IFLNK, .link = "/etc"},
		      {.path = "evil/passwd", .data = "root::0:0::/:/bin/sh\n"});
	FETCH_REFUSED("leads outside", {.path = "d/evil", .type = AE_IFLNK, .link = "../.."},
		      {.path = "d/evil/x", .data = "y"});
	/* A link that stays inside still cannot be written through. */
	FETCH_REFUSED("symbolic link", {.path = "sub/", .type = AE_IFDIR, .perm = 0755},
		      {.path = "lnk", .type = AE_IFLNK, .link = "sub"},
		      {.path = "lnk/x", .data = "y"});
}

Test(recipe, hostile_chain_of_links_out_is_refused)
{
	/* d/a -> "." and d/b -> "a/../.." pass a component-wise check, but
	 * d/b resolves above the root. */
	FETCH_REFUSED("leads outside", {.path = "d/a", .type = AE_IFLNK, .link = "."},
		      {.path = "d/b", .type = AE_IFLNK, .link = "a/../.."});
}

Test(recipe, hostile_hardlink_to_etc_passwd_is_refused)
{
	FETCH_REFUSED("absolute path", {.path = "pw", .link = "/etc/passwd", .hard = true});
	FETCH_REFUSED("'..'", {.path = "pw", .link = "../../../../etc/passwd", .hard = true});
}

Test(recipe, hostile_device_nodes_and_fifos_are_refused)
{
	FETCH_REFUSED("device node", {.path = "null", .type = AE_IFCHR, .perm = 0666});
	FETCH_REFUSED("FIFO", {.path = "fifo", .type = AE_IFIFO, .perm = 0644});
}

Test(recipe, hostile_huge_entry_is_refused_unread)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = join(dir, "m.tar");
	cleanup_free char *dest = join(dir, "dest");
	cleanup_free char *path = NULL;
	struct dks_recipe *r;
	struct dks_error err = {0};

	sbt_write_raw_tar(tar, "bomb.bin", 4ULL << 30); /* 4 GiB declared */
	path = tar_recipe(dir, "m.tar", NULL);
	r = load_ok(path);
	cr_assert_lt(dks_recipe_fetch_source(r, dest, &err), 0);
	cr_expect(strstr(err.msg, "cap"), "%s", err.msg);
	cr_expect_eq(err.errnum, EFBIG, "%s", err.msg);
	cr_expect_not(exists(dest));
	assert_no_temp(dir);
	dks_recipe_free(r);
}

Test(recipe, garbage_tarball_is_an_error)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *tar = write_file(dir, "m.tar.gz", "this is not an archive\n");
	cleanup_free char *dest = join(dir, "dest");
	cleanup_free char *path = tar_recipe(dir, "m.tar.gz", NULL);
	struct dks_recipe *r = load_ok(path);
	struct dks_error err = {0};

	cr_assert_lt(dks_recipe_fetch_source(r, dest, &err), 0);
	cr_expect(strstr(err.msg, "m.tar.gz"), "%s", err.msg);
	cr_expect_not(exists(dest));
	assert_no_temp(dir);
	dks_recipe_free(r);
}
