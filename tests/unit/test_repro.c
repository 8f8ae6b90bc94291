// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reproducible modules (docs/build.md): three real modules (our hello and
 * Debian's vpoll-dkms and acpi-call-dkms, fetched at test time with
 * tests/fetch-corpus.sh into $DKS_CORPUS_DIR or /var/cache/dkms-sandbox/
 * corpus) built in two trees at different paths, from sources with
 * different mtimes, a second apart, by different build uids: the same
 * sha256 for every .ko. A changed input changes the .ko or the unit
 * digest; build --check passes on an untouched build and names the first
 * differing section of a tampered one.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dks/elfcmp.h"
#include "dks/exit.h"
#include "dks/identity.h"
#include "modtest.h"
#include "sbtest.h"

#define HELLO_CONF                                                                                 \
	"PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\n"                    \
	"DEST_MODULE_LOCATION[0]=/updates/dkms\nSTRIP[0]=no\n"                                     \
	"MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/hello/1.0/build\"\n"

static char out[65536];

/* hello, vpoll and acpi-call into @t's source tree, every file's mtime
 * @mtime; a config whose build uids are @uid..@uid+50. */
static void sources(const struct mt_tree *t, long mtime, unsigned uid, const char *vpoll,
		    const char *acpi)
{
	sbt_must("mkdir %s/src/hello-1.0 && cp %s/tests/modules/hello/* %s/src/hello-1.0/ && "
		 "printf '%%s' '%s' > %s/src/hello-1.0/dkms.conf",
		 t->root, getenv("DKS_SRCDIR"), t->root, HELLO_CONF, t->root);
	sbt_must("cp -R %s %s %s/src/ && chmod -R a+rX %s/src && "
		 "find %s/src -exec touch -h -d @%ld {} +", vpoll, acpi, t->root, t->root, t->root,
		 mtime);
	sbt_must("printf 'build_user: %u-%u\\n' > %s/config.yaml", uid, uid + 50, t->root);
}

/* build @mods (or build --check) for the tree's kernel, its config. */
static int build(const struct mt_tree *t, const char *how, const char *mods)
{
	return mt_dks(t, 1200, out, sizeof(out), "build %s %s -k %s --sandbox-config %s/config.yaml",
		      how, mods, t->kver, t->root);
}

/* "sha256  ./m/v/kver/arch/module/x.ko" lines, sorted. */
static void ko_sums(const struct mt_tree *t, char *sums, size_t size)
{
	cr_assert_eq(sbt_sh(sums, size, "cd %s/dkms && find . -name '*.ko' | sort | xargs -r "
			    "sha256sum", t->root), 0);
}

/* " <module>/<version>" of a source dir named <module>-<version>. */
static void add_mv(char *mods, size_t size, const char *dir)
{
	size_t n = strlen(mods);

	snprintf(mods + n, size - n, " %s", strrchr(dir, '/') + 1);
	*strrchr(mods + n, '-') = '/';
}

Test(repro, three_modules_same_bytes_across_trees_times_and_uids, .timeout = 1500)
{
	struct mt_tree a, b;
	char vpoll[PATH_MAX], acpi[PATH_MAX], mods[3 * PATH_MAX], sa[4096], sb[4096];

	mt_corpus("vpoll-dkms", vpoll, sizeof(vpoll));
	mt_corpus("acpi-call-dkms", acpi, sizeof(acpi));
	snprintf(mods, sizeof(mods), "hello/1.0");
	add_mv(mods, sizeof(mods), vpoll);
	add_mv(mods, sizeof(mods), acpi);
	mt_tree_make(&a);
	mt_tree_make(&b);
	sources(&a, 1500000000L, 300100, vpoll, acpi);
	sources(&b, 1700000000L, 300200, vpoll, acpi);
	cr_assert_eq(build(&a, "", mods), 0, "%s", out);
	sleep(1);
	cr_assert_eq(build(&b, "", mods), 0, "%s", out);
	ko_sums(&a, sa, sizeof(sa));
	ko_sums(&b, sb, sizeof(sb));
	cr_assert_str_eq(sa, sb, "the two trees' modules differ:\n%s\n%s", sa, sb);
	cr_assert(strstr(sa, "/hello.ko") && strstr(sa, "/vpoll.ko") && strstr(sa, "/acpi_call.ko"),
		  "not every module was built:\n%s", sa);
}

/* One hello build in a fresh tree (build uids @uid..), its .ko's sha256. */
static void hello_tree(struct mt_tree *t, unsigned uid, const char *edit)
{
	mt_tree_make(t);
	sbt_must("mkdir %s/src/hello-1.0 && cp %s/tests/modules/hello/* %s/src/hello-1.0/ && "
		 "printf '%%s' '%s' > %s/src/hello-1.0/dkms.conf && cd %s/src/hello-1.0 && %s",
		 t->root, getenv("DKS_SRCDIR"), t->root, HELLO_CONF, t->root, t->root,
		 edit ? edit : "true");
	sbt_must("chmod -R a+rX %s/src && printf 'build_user: %u-%u\\n' > %s/config.yaml", t->root,
		 uid, uid + 50, t->root);
	cr_assert_eq(build(t, "", "hello/1.0"), 0, "%s", out);
}

Test(repro, one_source_byte_changes_the_module, .timeout = 600)
{
	struct mt_tree a, b;
	char sa[1024], sb[1024];

	hello_tree(&a, 300300, NULL);
	hello_tree(&b, 300400, "sed -i 's/hello from/hellO from/' hello.c");
	ko_sums(&a, sa, sizeof(sa));
	ko_sums(&b, sb, sizeof(sb));
	cr_assert(strstr(sa, "hello.ko"), "%s", sa);
	cr_assert_str_neq(sa, sb, "a changed source byte gave the same module");
}

/* The unit digest of hello/1.0 with these kernel headers and toolchain root. */
static void unit_digest(const char *kver, const char *headers, const char *root,
			char out_hex[DKS_SHA256_HEX])
{
	struct dks_target k = {.kver = (char *)kver, .arch = "x86_64", .headers = (char *)headers};
	struct dks_unit_inputs u = {.module = "hello", .version = "1.0", .profile = "default"};
	struct dks_error err = {0};
	char src[PATH_MAX];

	snprintf(src, sizeof(src), "%s/tests/modules/hello", getenv("DKS_SRCDIR"));
	cr_assert_eq(dks_source_digest(src, u.source, &err), 0, "%s", err.msg);
	cr_assert_eq(dks_kernel_id(&k, &u.kernel, &err), 0, "%s", err.msg);
	cr_assert_eq(dks_toolchain_id(root, u.toolchain, NULL, &err), 0, "%s", err.msg);
	dks_unit_digest(&u, out_hex);
	dks_kernel_id_clear(&u.kernel);
}

Test(repro, a_config_line_or_the_toolchain_changes_the_unit_digest, .timeout = 120)
{
	char *kver = sbt_installed_kernel(), *headers = sbt_kernel_headers(kver);
	char *copy = sbt_mkdtemp(NULL), *root = sbt_mkdtemp(NULL);
	char base[DKS_SHA256_HEX], d[DKS_SHA256_HEX], h[PATH_MAX];

	unit_digest(kver, headers, "/", base);
	unit_digest(kver, headers, "/", d);
	cr_assert_str_eq(base, d, "the same inputs, another digest");
	/* A copy of the headers (links to the files) with one more .config line. */
	sbt_must("cp -as %s/. %s/h && rm %s/h/.config && cp %s/.config %s/h/.config && "
		 "echo CONFIG_DKS_REPRO_TEST=y >> %s/h/.config", headers, copy, copy, headers, copy,
		 copy);
	snprintf(h, sizeof(h), "%s/h", copy);
	unit_digest(kver, h, "/", d);
	cr_assert_str_neq(base, d, "a .config line is an input");
	/* A toolchain root whose gcc is another version. */
	sbt_must("mkdir -p %s/var/lib/dpkg && printf 'Package: gcc-12\\nStatus: install ok installed\\n"
		 "Architecture: amd64\\nVersion: 99.0-1\\n\\n' > %s/var/lib/dpkg/status", root, root);
	unit_digest(kver, headers, root, d);
	cr_assert_str_neq(base, d, "the toolchain is an input");
	free(kver);
	free(headers);
	free(copy);
	free(root);
}

Test(repro, build_check_passes_untouched_and_names_a_tampered_section, .timeout = 600)
{
	struct mt_tree t;
	char ko[PATH_MAX], sec[64];

	hello_tree(&t, 300500, NULL);
	cr_assert_eq(build(&t, "--check", "hello/1.0"), 0, "%s", out);
	cr_assert(strstr(out, "hello.ko: identical, sha256 "), "%s", out);
	cr_assert_eq(sbt_sh(ko, sizeof(ko), "find %s/dkms/hello -name hello.ko", t.root), 0);
	ko[strcspn(ko, "\n")] = '\0';
	/* One byte of .modinfo flipped, the file's size unchanged. */
	cr_assert_eq(sbt_sh(sec, sizeof(sec), "off=$(readelf -SW %s | sed -n 's/.*] \\.modinfo *"
			    "[A-Z]* *[0-9a-f]* \\([0-9a-f]*\\) .*/\\1/p') && "
			    "printf '\\001' | dd of=%s bs=1 seek=$((0x$off + 1)) conv=notrunc "
			    "2>/dev/null && echo ok", ko, ko), 0, "%s", sec);
	cr_assert_eq(build(&t, "--check", "hello/1.0"), DKS_EXIT_CHECK_DIFFERS, "%s", out);
	cr_assert(strstr(out, "hello.ko: first in section .modinfo"), "%s", out);
	cr_assert(strstr(out, "differs from the tree's build"), "%s", out);
	/* The tree's build is left as it was: still the tampered bytes. */
	cr_assert_eq(build(&t, "--check", "hello/1.0"), DKS_EXIT_CHECK_DIFFERS, "%s", out);
}

Test(repro, build_check_of_an_unbuilt_module_is_refused, .timeout = 120)
{
	struct mt_tree t;

	mt_tree_make(&t);
	mt_module(&t, "hello", NULL, NULL, NULL);
	sbt_must("printf 'build_user: 300600-300650\\n' > %s/config.yaml", t.root);
	cr_assert_eq(build(&t, "--check", "hello/1.0"), DKS_EXIT_NOT_BUILT, "%s", out);
	cr_assert(strstr(out, "not built: nothing to check"), "%s", out);
}

/* Hostile images for the comparison (docs/security.md, build --check):
 * a section table or names or a section outside the file, a name without
 * its NUL or with control bytes: a named difference, never a read past
 * the buffer (ASan in check-asan). */
static size_t tiny_elf(unsigned char *p, size_t size)
{
	Elf64_Ehdr *h = (Elf64_Ehdr *)p;
	Elf64_Shdr *s = (Elf64_Shdr *)(p + sizeof(*h));
	const char names[] = "\0.shstrtab\0.text\0";
	size_t str = sizeof(*h) + 3 * sizeof(*s);

	cr_assert(size >= str + sizeof(names) + 4);
	memset(p, 0, size);
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_REL;
	h->e_shoff = sizeof(*h);
	h->e_shentsize = sizeof(*s);
	h->e_shnum = 3;
	h->e_shstrndx = 1;
	s[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = str,
			    .sh_size = sizeof(names)};
	s[2] = (Elf64_Shdr){.sh_name = 11, .sh_type = SHT_PROGBITS, .sh_offset = str + sizeof(names),
			    .sh_size = 4};
	memcpy(p + str, names, sizeof(names));
	return str + sizeof(names) + 4;
}

static const char *diff_of(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
	static char where[256];

	if (dks_elf_first_diff(a, na, "A", b, nb, "B", where, sizeof(where)) == 0)
		return "same";
	return where;
}

Test(repro, elf_comparison_of_hostile_images)
{
	unsigned char a[512], b[512];
	size_t n = tiny_elf(a, sizeof(a));
	Elf64_Shdr *sb = (Elf64_Shdr *)(b + sizeof(Elf64_Ehdr));

	tiny_elf(b, sizeof(b));
	cr_assert_str_eq(diff_of(a, n, b, n), "same");
	b[n - 1] ^= 1;
	cr_assert_str_eq(diff_of(a, n, b, n), "first in section .text");
	tiny_elf(b, sizeof(b));
	sb[2].sh_offset = 1ULL << 62; /* .text past the end */
	cr_assert_str_eq(diff_of(a, n, b, n), "first in section .text");
	tiny_elf(b, sizeof(b));
	((Elf64_Ehdr *)b)->e_shoff = n - 8; /* the table past the end */
	cr_assert_str_eq(diff_of(a, n, b, n), "B's section table lies outside it");
	tiny_elf(b, sizeof(b));
	((Elf64_Ehdr *)b)->e_shstrndx = 9;
	cr_assert_str_eq(diff_of(a, n, b, n), "B's section table lies outside it");
	tiny_elf(b, sizeof(b));
	sb[1].sh_size = 1ULL << 40; /* the names past the end */
	cr_assert_str_eq(diff_of(a, n, b, n), "B's section names lie outside it");
	tiny_elf(b, sizeof(b));
	sb[2].sh_name = 1000; /* a name offset past the names: empty */
	cr_assert_str_eq(diff_of(a, n, b, n), "first in section 2's name (.text, )");
	tiny_elf(b, sizeof(b));
	b[sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Shdr) + 12] = '\033'; /* ".\033ext" */
	cr_assert_str_eq(diff_of(a, n, b, n), "first in section .shstrtab");
	a[sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Shdr) + 12] = '\033';
	b[n - 1] ^= 1;
	cr_assert_str_eq(diff_of(a, n, b, n), "first in section .?ext", "a control byte printed");
	cr_assert_str_eq(diff_of(a, n, b, 10), "B is not a 64-bit ELF file");
	cr_assert_str_eq(diff_of(a, 0, b, 10), "A is not a 64-bit ELF file");
}

Test(repro, check_is_builds_alone, .timeout = 60)
{
	struct mt_tree t;

	mt_tree_make(&t);
	mt_module(&t, "hello", NULL, NULL, NULL);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "install hello/1.0 -k %s --check", t.kver), 1,
		     "%s", out);
	cr_assert(strstr(out, "install: --check is build's"), "%s", out);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "build hello/1.0 -k %s --check --test-load",
			    t.kver), 1, "%s", out);
	cr_assert(strstr(out, "build: --check is build's, without --plan or --test-load"), "%s", out);
}
