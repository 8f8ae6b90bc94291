// SPDX-License-Identifier: GPL-2.0-or-later
/* Module validation (installer/validate.h): the kernel facts read from
 * real headers, a real hello.ko built for each installed kernel, and
 * images that were tampered with, truncated or are garbage. The module is
 * built on the host once per build directory (tv_hello_ko) and shared
 * with the compress suite. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "installer/validate.h"
#include "sbtest.h"

TestSuite(validate, .fini = sbt_cleanup);

#define MARKER "~Module signature appended~\n"

char *tv_hello_ko(const char *kver);

/* ---- the real module -------------------------------------------------- */

static bool newer_or_same(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_mtime >= sb.st_mtime;
}

/* Directory of the test binary (build/ or build-asan/): the module cache
 * lives there, so `make clean` removes it. */
static void build_dir(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);

	cr_assert_gt(n, 0, "/proc/self/exe: %s", strerror(errno));
	out[n] = '\0';
	*strrchr(out, '/') = '\0';
}

static void compile_hello(const char *src, const char *kver, const char *dir)
{
	char *cmd;
	int rc;

	cr_assert(asprintf(&cmd,
			   "cp '%s/Kbuild' '%s/Makefile' '%s/hello.c' '%s/' && "
			   "make -C '/lib/modules/%s/build' M='%s' modules >'%s/make.log' 2>&1",
			   src, src, src, dir, kver, dir, dir) > 0);
	rc = system(cmd);
	free(cmd);
	cr_assert_eq(rc, 0, "building hello for %s failed (exit %d): see %s/make.log", kver, rc,
		     dir);
}

/* hello.ko built on the host for @kver (a kernel build takes ~8 s, so it
 * is cached per build dir and rebuilt when hello.c is newer; a lock
 * serialises parallel test jobs). malloc'd path. test_compress.c uses it
 * too. */
char *tv_hello_ko(const char *kver)
{
	const char *srcdir = getenv("DKS_SRCDIR");
	char bdir[PATH_MAX], *top, *cache, *tmp, *ko, *src, *hello_c;
	int lock;

	build_dir(bdir, sizeof(bdir));
	cr_assert(asprintf(&src, "%s/tests/modules/hello", srcdir ? srcdir : ".") > 0);
	cr_assert(asprintf(&hello_c, "%s/hello.c", src) > 0);
	cr_assert(asprintf(&top, "%s/test-modules", bdir) > 0);
	cr_assert(asprintf(&cache, "%s/%s", top, kver) > 0);
	cr_assert(asprintf(&ko, "%s/hello.ko", cache) > 0);
	cr_assert(asprintf(&tmp, "%s/.lock", top) > 0);
	cr_assert(mkdir(top, 0755) == 0 || errno == EEXIST, "%s: %s", top, strerror(errno));
	lock = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(lock >= 0 && flock(lock, LOCK_EX) == 0, "%s: %s", tmp, strerror(errno));
	free(tmp);
	if (!newer_or_same(ko, hello_c)) {
		cr_assert(asprintf(&tmp, "%s/.build-XXXXXX", top) > 0);
		cr_assert_not_null(mkdtemp(tmp), "mkdtemp: %s", strerror(errno));
		compile_hello(src, kver, tmp);
		sbt_rmtree(cache);
		cr_assert_eq(rename(tmp, cache), 0, "%s: %s", cache, strerror(errno));
		free(tmp);
	}
	close(lock);
	free(src);
	free(hello_c);
	free(top);
	free(cache);
	return ko;
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + sizeof(MARKER));
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

/* Facts of /lib/modules/@kver/build. */
static struct dks_kernel_facts facts_of(const char *kver)
{
	struct dks_kernel_facts k;
	struct dks_error err = {0};
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/lib/modules/%s/build", kver);
	cr_assert_eq(dks_kernel_facts_load(path, &k, &err), 0, "%s: %s", path, err.msg);
	return k;
}

/* The newest kernel's facts and hello.ko image. */
struct real {
	char *kver;
	struct dks_kernel_facts k;
	unsigned char *ko;
	size_t len;
};

static struct real real_module(void)
{
	struct real r = {.kver = sbt_installed_kernel()};
	char *path = tv_hello_ko(r.kver);

	r.k = facts_of(r.kver);
	r.ko = read_all(path, &r.len);
	free(path);
	return r;
}

static void real_free(struct real *r)
{
	dks_kernel_facts_clear(&r->k);
	free(r->kver);
	free(r->ko);
}

/* Section @name of a trusted image (our own build): offset and size. */
static void find_section(const unsigned char *img, const char *name, size_t *off, size_t *size)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh, str;

	memcpy(&eh, img, sizeof(eh));
	memcpy(&str, img + eh.e_shoff + eh.e_shstrndx * sizeof(sh), sizeof(str));
	for (unsigned i = 1; i < eh.e_shnum; i++) {
		memcpy(&sh, img + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (strcmp((const char *)img + str.sh_offset + sh.sh_name, name) == 0) {
			*off = sh.sh_offset;
			*size = sh.sh_size;
			return;
		}
	}
	cr_assert_fail("no section %s", name);
}

/* Offset of @needle (with its NUL) inside section @sec. */
static size_t find_in_section(const unsigned char *img, const char *sec, const char *needle)
{
	size_t off, size, n = strlen(needle) + 1;

	find_section(img, sec, &off, &size);
	for (size_t i = 0; i + n <= size; i++)
		if (memcmp(img + off + i, needle, n) == 0)
			return off + i;
	cr_assert_fail("no \"%s\" in %s", needle, sec);
	return 0;
}

static int validate(const struct real *r, const void *img, size_t len, const char *name,
		    struct dks_error *err)
{
	return dks_module_validate(img, len, name, &r->k, "hello.ko", err);
}

static void assert_refused(const struct real *r, const void *img, size_t len, const char *needle)
{
	struct dks_error err = {0};

	cr_assert_lt(validate(r, img, len, "hello", &err), 0, "accepted; expected \"%s\"", needle);
	cr_assert_not_null(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
	cr_assert_not_null(strstr(err.msg, "hello.ko"), "message \"%s\" lacks the module", err.msg);
	cr_assert_not_null(strstr(err.msg, r->k.release), "message \"%s\" lacks the kernel",
			   err.msg);
}

/* ---- kernel facts ------------------------------------------------------- */

/* vermagic as libkmod reads it from the module (exact, trailing space kept). */
static char *kmod_info(const char *path, const char *key)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL, *l;
	char *value = NULL;

	cr_assert_not_null(ctx);
	cr_assert_eq(kmod_module_new_from_path(ctx, path, &mod), 0, "%s", path);
	cr_assert_geq(kmod_module_get_info(mod, &list), 0, "%s", path);
	kmod_list_foreach(l, list)
	{
		if (strcmp(kmod_module_info_get_key(l), key) == 0)
			value = strdup(kmod_module_info_get_value(l));
	}
	kmod_module_info_free_list(list);
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return value;
}

Test(validate, facts_give_the_vermagic_modules_of_each_installed_kernel_carry, .timeout = 300)
{
	DIR *d = opendir("/lib/modules");
	struct dirent *de;
	int kernels = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		char mk[PATH_MAX], *ko, *vm;
		struct dks_kernel_facts k;

		snprintf(mk, sizeof(mk), "/lib/modules/%s/build/Makefile", de->d_name);
		if (de->d_name[0] == '.' || access(mk, F_OK) != 0)
			continue;
		k = facts_of(de->d_name);
		ko = tv_hello_ko(de->d_name);
		vm = kmod_info(ko, "vermagic");
		cr_assert_str_eq(k.vermagic, vm, "%s", de->d_name);
		cr_assert_str_eq(k.release, de->d_name);
		free(vm);
		free(ko);
		dks_kernel_facts_clear(&k);
		kernels++;
	}
	closedir(d);
	cr_assert_gt(kernels, 0);
}

/* Every fact, for every installed kernel, against that kernel's own files:
 * utsrelease.h, its configuration, its Module.symvers. */
Test(validate, facts_of_installed_kernels_match_their_headers)
{
	size_t n;
	char **kernels = sbt_installed_kernels(&n);

	for (size_t i = 0; i < n; i++) {
		const char *kver = kernels[i];
		char *release = sbt_kernel_release(kver), *vermagic = sbt_kernel_vermagic(kver);
		char *hash = sbt_kernel_config(kver, "CONFIG_MODULE_SIG_HASH"), symvers[PATH_MAX];
		struct dks_kernel_facts k = facts_of(kver);

		snprintf(symvers, sizeof(symvers), "/lib/modules/%s/build/Module.symvers", kver);
		cr_expect_str_eq(k.release, release, "%s", kver);
		cr_expect_str_eq(k.release, kver, "the release is not the directory's name");
		cr_expect_str_eq(k.vermagic, vermagic, "%s", kver);
		cr_expect_eq(k.machine, sbt_kernel_machine(kver), "%s", kver);
		cr_expect_eq(k.modversions, sbt_kernel_config_set(kver, "CONFIG_MODVERSIONS"), "%s",
			     kver);
		cr_expect_eq(k.sig_enabled, sbt_kernel_config_set(kver, "CONFIG_MODULE_SIG"), "%s",
			     kver);
		if (hash)
			cr_expect(k.sig_hash && strcmp(k.sig_hash, hash) == 0,
				  "%s: sig_hash %s, the config says %s", kver, k.sig_hash, hash);
		else
			cr_expect_null(k.sig_hash, "%s: sig_hash %s without CONFIG_MODULE_SIG_HASH",
				       kver, k.sig_hash);
		cr_expect_str_eq(k.symvers, symvers, "%s", kver);
		cr_expect_eq(access(k.symvers, R_OK), 0, "%s: %s", k.symvers, strerror(errno));
		dks_kernel_facts_clear(&k);
		free(release);
		free(vermagic);
		free(hash);
	}
	sbt_strv_free(kernels);
}

/* A headers dir holding only utsrelease.h, @name (config text @cfg), an
 * empty Module.symvers, and randstruct_hash.h when @seed. */
static char *fake_headers(const char *name, const char *cfg, const char *seed)
{
	char *dir = strdup("/tmp/dks-validate-XXXXXX"), path[PATH_MAX];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	sbt_defer_rmtree(dir);
	snprintf(path, sizeof(path), "mkdir -p '%s/include/config' '%s/include/generated'", dir,
		 dir);
	cr_assert_eq(system(path), 0);
	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", dir);
	f = fopen(path, "w");
	fputs("#define UTS_RELEASE \"9.9.9-test\"\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(cfg, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Module.symvers", dir);
	fclose(fopen(path, "w"));
	if (seed) {
		snprintf(path, sizeof(path), "%s/include/generated/randstruct_hash.h", dir);
		f = fopen(path, "w");
		fprintf(f, "#define RANDSTRUCT_HASHED_SEED \"%s\"\n", seed);
		fclose(f);
	}
	return dir;
}

static char *vermagic_of(const char *name, const char *cfg, const char *seed)
{
	char *dir = fake_headers(name, cfg, seed), *vm;
	struct dks_kernel_facts k;
	struct dks_error err = {0};

	cr_assert_eq(dks_kernel_facts_load(dir, &k, &err), 0, "%s", err.msg);
	vm = strdup(k.vermagic);
	dks_kernel_facts_clear(&k);
	free(dir);
	return vm;
}

Test(validate, facts_read_a_quoted_dot_config_when_there_is_no_auto_conf)
{
	char *dir = fake_headers(".config",
				 "CONFIG_64BIT=y\nCONFIG_X86_64=y\n# CONFIG_SMP is not set\n"
				 "CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH=\"sha512\"\n",
				 NULL);
	struct dks_kernel_facts k;
	struct dks_error err = {0};

	cr_assert_eq(dks_kernel_facts_load(dir, &k, &err), 0, "%s", err.msg);
	cr_assert_str_eq(k.vermagic, "9.9.9-test ");
	cr_assert_str_eq(k.sig_hash, "sha512");
	cr_assert(k.sig_enabled && !k.modversions);
	dks_kernel_facts_clear(&k);
	free(dir);
}

Test(validate, vermagic_follows_linux_vermagic_h)
{
	const char *a = "include/config/auto.conf";
	struct {
		const char *cfg, *seed, *want;
	} cases[] = {
	    {"CONFIG_64BIT=y\nCONFIG_ARM64=y\nCONFIG_SMP=y\nCONFIG_PREEMPT_RT=y\n", NULL,
	     "9.9.9-test SMP preempt_rt aarch64"},
	    {"CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_PREEMPT=y\nCONFIG_MODULE_UNLOAD=y\n", NULL,
	     "9.9.9-test preempt mod_unload "},
	    {"CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_SMP=y\nCONFIG_RANDSTRUCT=y\n", "abc123",
	     "9.9.9-test SMP RANDSTRUCT_abc123"},
	    {"CONFIG_64BIT=y\nCONFIG_PPC64=y\nCONFIG_RELOCATABLE=y\nCONFIG_MODVERSIONS=y\n", NULL,
	     "9.9.9-test modversions relocatable "},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *vm = vermagic_of(a, cases[i].cfg, cases[i].seed);

		cr_assert_str_eq(vm, cases[i].want, "case %zu", i);
		free(vm);
	}
}

Test(validate, facts_refuse_missing_headers_and_32_bit_kernels)
{
	struct dks_kernel_facts k;
	struct dks_error err = {0};
	char *dir = fake_headers(".config", "CONFIG_X86_32=y\n", NULL);

	cr_assert_lt(dks_kernel_facts_load("/nonexistent/headers", &k, &err), 0);
	cr_assert_not_null(strstr(err.msg, "utsrelease.h"), "%s", err.msg);
	cr_assert_null(k.release);
	cr_assert_lt(dks_kernel_facts_load(dir, &k, &err), 0);
	cr_assert_not_null(strstr(err.msg, "9.9.9-test"), "%s", err.msg);
	free(dir);
}

/* ---- validation of the real module -------------------------------------- */

Test(validate, real_module_built_for_the_kernel_passes, .timeout = 300)
{
	struct real r = real_module();
	struct dks_error err = {0};

	cr_assert_eq(validate(&r, r.ko, r.len, "hello", &err), 0, "%s", err.msg);
	real_free(&r);
}

Test(validate, libkmod_agrees_with_the_parser_on_the_real_module, .timeout = 300)
{
	struct real r = real_module();
	char *path = tv_hello_ko(r.kver), *vm = kmod_info(path, "vermagic");
	char *name = kmod_info(path, "name");

	cr_assert_str_eq(vm, r.k.vermagic);
	cr_assert_str_eq(name, "hello");
	free(vm);
	free(name);
	free(path);
	real_free(&r);
}

Test(validate, module_for_another_kernel_fails_naming_vermagic, .timeout = 300)
{
	struct real r = real_module();
	DIR *d = opendir("/lib/modules");
	struct dirent *de;
	char other[NAME_MAX + 1] = "";
	struct dks_kernel_facts k;
	struct dks_error err = {0};

	while ((de = readdir(d))) {
		char mk[PATH_MAX];

		snprintf(mk, sizeof(mk), "/lib/modules/%s/build/Makefile", de->d_name);
		if (de->d_name[0] != '.' && strcmp(de->d_name, r.kver) && access(mk, F_OK) == 0)
			snprintf(other, sizeof(other), "%s", de->d_name);
	}
	closedir(d);
	cr_assert(other[0], "one kernel's headers: make deps installs two");
	k = facts_of(other);
	cr_assert_lt(dks_module_validate(r.ko, r.len, "hello", &k, "hello.ko", &err), 0);
	cr_assert_not_null(strstr(err.msg, "vermagic"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, other), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "hello.ko"), "%s", err.msg);
	dks_kernel_facts_clear(&k);
	real_free(&r);
}

Test(validate, flipped_crc_fails_naming_the_symbol, .timeout = 300)
{
	struct real r = real_module();
	size_t off, size;
	char sym[57];

	find_section(r.ko, "__versions", &off, &size);
	cr_assert_geq(size, 64);
	snprintf(sym, sizeof(sym), "%s", (const char *)r.ko + off + 8);
	r.ko[off + 1] ^= 0x40;
	assert_refused(&r, r.ko, r.len, sym);
	assert_refused(&r, r.ko, r.len, "CRC");
	real_free(&r);
}

Test(validate, symbol_unknown_to_the_kernel_is_accepted, .timeout = 300)
{
	struct real r = real_module();
	struct dks_error err = {0};
	size_t off, size;

	/* As if exported by another out-of-tree module (KBUILD_EXTRA_SYMBOLS). */
	find_section(r.ko, "__versions", &off, &size);
	memset(r.ko + off, 0x5a, 8);
	memset(r.ko + off + 8, 0, 56);
	strcpy((char *)r.ko + off + 8, "dks_other_module_export");
	cr_assert_eq(validate(&r, r.ko, r.len, "hello", &err), 0, "%s", err.msg);
	real_free(&r);
}

Test(validate, missing_versions_fails_when_the_kernel_has_modversions, .timeout = 300)
{
	struct real r = real_module();

	r.ko[find_in_section(r.ko, ".shstrtab", "__versions") + 9] = 'z';
	assert_refused(&r, r.ko, r.len, "no __versions");
	real_free(&r);
}

Test(validate, wrong_expected_name_fails, .timeout = 300)
{
	struct real r = real_module();
	struct dks_error err = {0};

	cr_assert_lt(validate(&r, r.ko, r.len, "hellox", &err), 0);
	cr_assert_not_null(strstr(err.msg, "\"hellox\""), "%s", err.msg);
	cr_assert_lt(validate(&r, r.ko, r.len, "hell", &err), 0);
	real_free(&r);
}

Test(validate, dash_and_underscore_are_the_same_in_names, .timeout = 300)
{
	struct real r = real_module();
	struct dks_error err = {0};

	memcpy(r.ko + find_in_section(r.ko, ".modinfo", "name=hello"), "name=he-lo", 10);
	memcpy(r.ko + find_in_section(r.ko, ".gnu.linkonce.this_module", "hello"), "he_lo", 5);
	cr_assert_eq(validate(&r, r.ko, r.len, "he_lo", &err), 0, "%s", err.msg);
	cr_assert_eq(validate(&r, r.ko, r.len, "he-lo", &err), 0, "%s", err.msg);
	real_free(&r);
}

Test(validate, struct_module_name_must_match_too, .timeout = 300)
{
	struct real r = real_module();

	memcpy(r.ko + find_in_section(r.ko, ".gnu.linkonce.this_module", "hello"), "evil!", 5);
	assert_refused(&r, r.ko, r.len, "struct module name");
	real_free(&r);
}

Test(validate, second_modinfo_section_fails, .timeout = 300)
{
	struct real r = real_module();

	/* The loader reads the first SHF_ALLOC .modinfo: a decoy must not pass. */
	memcpy(r.ko + find_in_section(r.ko, ".shstrtab", ".comment"), ".modinfo", 8);
	assert_refused(&r, r.ko, r.len, "two .modinfo");
	real_free(&r);
}

Test(validate, signed_module_fails, .timeout = 300)
{
	struct real r = real_module();

	memcpy(r.ko + r.len, MARKER, strlen(MARKER));
	assert_refused(&r, r.ko, r.len + strlen(MARKER), "already signed");
	real_free(&r);
}

Test(validate, non_elf_file_fails, .timeout = 300)
{
	struct real r = real_module();
	const char text[] = "#!/bin/sh\necho not a module\n";

	assert_refused(&r, text, sizeof(text), "not an ELF file");
	assert_refused(&r, text, 0, "not an ELF file");
	real_free(&r);
}

Test(validate, elf32_object_fails, .timeout = 300)
{
	struct real r = real_module();
	char dir[] = "/tmp/dks-validate-XXXXXX", cmd[256], path[64];
	unsigned char *img;
	size_t len;

	cr_assert_not_null(mkdtemp(dir));
	sbt_defer_rmtree(dir);
	snprintf(path, sizeof(path), "%s/t.o", dir);
	snprintf(cmd, sizeof(cmd), "echo 'int x = 1;' | gcc -m32 -c -x c - -o %s 2>/dev/null",
		 path);
	if (system(cmd) == 0) {
		img = read_all(path, &len);
	} else { /* no 32-bit gcc: the real module with its class byte changed */
		img = malloc(r.len);
		memcpy(img, r.ko, r.len);
		img[EI_CLASS] = ELFCLASS32;
		len = r.len;
	}
	assert_refused(&r, img, len, "not a 64-bit ELF");
	free(img);
	real_free(&r);
}

Test(validate, wrong_machine_and_type_fail, .timeout = 300)
{
	struct real r = real_module();

	r.ko[offsetof(Elf64_Ehdr, e_machine)] = EM_AARCH64;
	assert_refused(&r, r.ko, r.len, "machine");
	r.ko[offsetof(Elf64_Ehdr, e_machine)] = EM_X86_64;
	r.ko[offsetof(Elf64_Ehdr, e_type)] = ET_EXEC;
	assert_refused(&r, r.ko, r.len, "not a relocatable");
	real_free(&r);
}

/* ---- hostile images ---------------------------------------------------------- */

static void set_u64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}
static void set_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void set_u16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

Test(validate, crafted_headers_fail_without_reading_outside, .timeout = 300)
{
	struct real r = real_module();
	unsigned char *c = malloc(r.len);
	Elf64_Ehdr eh;
	size_t sh;

	memcpy(&eh, r.ko, sizeof(eh));
	sh = eh.e_shoff + 5 * sizeof(Elf64_Shdr); /* some section's header */
	struct {
		size_t at, width;
		uint64_t value;
		const char *needle;
	} cases[] = {
	    {offsetof(Elf64_Ehdr, e_shoff), 8, UINT64_MAX - 100, "outside the file"},
	    {offsetof(Elf64_Ehdr, e_shnum), 2, 0xffff, "outside the file"},
	    {offsetof(Elf64_Ehdr, e_shnum), 2, 0, "outside the file"},
	    {offsetof(Elf64_Ehdr, e_shstrndx), 2, SHN_XINDEX, "name table"},
	    {offsetof(Elf64_Ehdr, e_shentsize), 2, 40, "section header size"},
	    {sh + offsetof(Elf64_Shdr, sh_name), 4, 0xfffffff0, "bad name"},
	    {sh + offsetof(Elf64_Shdr, sh_offset), 8, UINT64_MAX - 4, "outside the file"},
	    {sh + offsetof(Elf64_Shdr, sh_size), 8, UINT64_MAX, "outside the file"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(c, r.ko, r.len);
		if (cases[i].width == 8)
			set_u64(c + cases[i].at, cases[i].value);
		else if (cases[i].width == 4)
			set_u32(c + cases[i].at, (uint32_t)cases[i].value);
		else
			set_u16(c + cases[i].at, (uint16_t)cases[i].value);
		assert_refused(&r, c, r.len, cases[i].needle);
	}
	free(c);
	real_free(&r);
}

Test(validate, truncated_module_fails_at_every_length, .timeout = 300)
{
	struct real r = real_module();
	struct dks_error err = {0};

	for (size_t n = 0; n < r.len; n += 97) {
		/* A copy of exactly n bytes, so that ASan sees any read past it. */
		unsigned char *c = malloc(n ? n : 1);

		memcpy(c, r.ko, n);
		cr_assert_lt(validate(&r, c, n, "hello", &err), 0, "a %zu-byte prefix passed", n);
		free(c);
	}
	real_free(&r);
}

Test(validate, garbage_never_crashes, .timeout = 300)
{
	struct real r = real_module();
	struct dks_error err = {0};
	unsigned seed = 12345;

	for (int i = 0; i < 2000; i++) {
		size_t n = (size_t)rand_r(&seed) % 4096;
		unsigned char *c = malloc(n ? n : 1);

		for (size_t j = 0; j < n; j++)
			c[j] = (unsigned char)rand_r(&seed);
		if (i % 2 && n >= sizeof(Elf64_Ehdr)) /* get past the ident check */
			memcpy(c, r.ko, EI_NIDENT + 4);
		cr_assert_lt(validate(&r, c, n, "hello", &err), 0, "garbage %d passed", i);
		free(c);
	}
	/* Mutants of the real module may pass (an unused byte changed); they
	 * must simply never crash or read outside. */
	for (int i = 0; i < 3000; i++) {
		unsigned char *c = malloc(r.len);

		memcpy(c, r.ko, r.len);
		for (int j = rand_r(&seed) % 8; j >= 0; j--)
			c[(size_t)rand_r(&seed) % r.len] = (unsigned char)rand_r(&seed);
		(void)validate(&r, c, r.len, "hello", &err);
		free(c);
	}
	real_free(&r);
}
