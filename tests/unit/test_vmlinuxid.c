// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel build dir's vmlinux as a build input (dks_vmlinux_digest,
 * orchestrator/vmlinux_id.c): kbuild keeps modules' debug info when there
 * is one and makes their BTF against its .BTF section, so the digest
 * changes with its presence and with the bytes of .BTF, and with nothing
 * else of it. A damaged vmlinux is read as data: digested whole, never a
 * crash or a read past its end. */
#include <criterion/criterion.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/identity.h"
#include "dks/kernel.h"
#include "sbtest.h"

TestSuite(vmlinuxid, .fini = sbt_cleanup);

static char *tmpdir(void)
{
	char *d = strdup("/tmp/dks-vmlinuxid-XXXXXX");

	cr_assert_not_null(mkdtemp(d));
	sbt_defer_rmtree(d);
	return d;
}

struct img {
	unsigned char b[4096];
	size_t len;
};

/* An ELF64 of this machine's byte order with .shstrtab, then .BTF (when
 * @btf is not NULL) and .debug_info; sections at fixed places. */
static void make_elf(struct img *im, const char *btf, const char *debug)
{
	static const char names[] = "\0.shstrtab\0.BTF\0.debug_info";
	Elf64_Ehdr *eh = (Elf64_Ehdr *)im->b;
	Elf64_Shdr sh[4] = {{0}};
	unsigned n = 1;
	size_t off = sizeof(*eh);

	memset(im, 0, sizeof(*im));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	sh[n++] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = off,
			       .sh_size = sizeof(names)};
	memcpy(im->b + off, names, sizeof(names));
	off += sizeof(names);
	if (btf) {
		sh[n++] = (Elf64_Shdr){.sh_name = 11, .sh_type = SHT_PROGBITS, .sh_offset = off,
				       .sh_size = strlen(btf)};
		memcpy(im->b + off, btf, strlen(btf));
		off += strlen(btf);
	}
	sh[n++] = (Elf64_Shdr){.sh_name = 16, .sh_type = SHT_PROGBITS, .sh_offset = off,
			       .sh_size = strlen(debug)};
	memcpy(im->b + off, debug, strlen(debug));
	off += strlen(debug);
	off = (off + 7) & ~(size_t)7;
	eh->e_shoff = off;
	eh->e_shnum = (Elf64_Half)n;
	eh->e_shstrndx = 1;
	memcpy(im->b + off, sh, n * sizeof(*sh));
	im->len = off + n * sizeof(*sh);
}

static void put(const char *dir, const void *p, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	unlink(path);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static void digest(const char *dir, char out[DKS_SHA256_HEX])
{
	struct dks_error err = {0};

	cr_assert_eq(dks_vmlinux_digest(dir, out, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(out), 64, "'%s'", out);
}

/* The digest of a build dir whose vmlinux is @im. */
static void digest_img(const char *dir, const struct img *im, char out[DKS_SHA256_HEX])
{
	put(dir, im->b, im->len);
	digest(dir, out);
}

Test(vmlinuxid, the_btf_section_and_presence_count_nothing_else)
{
	char *d = tmpdir(), none[DKS_SHA256_HEX], a[DKS_SHA256_HEX], b[DKS_SHA256_HEX];
	char nobtf[DKS_SHA256_HEX], path[PATH_MAX];
	struct img im;

	digest(d, none);
	make_elf(&im, "BTF-one", "dwarf-one");
	digest_img(d, &im, a);
	cr_assert_str_neq(a, none, "a vmlinux keeps the debug info: another build");
	make_elf(&im, "BTF-one", "dwarf-two, longer");
	digest_img(d, &im, b);
	cr_assert_str_eq(a, b, "the DWARF is not what modules are built against");
	make_elf(&im, "BTF-two", "dwarf-one");
	digest_img(d, &im, b);
	cr_assert_str_neq(a, b, "another .BTF: modules' BTF differs");
	make_elf(&im, NULL, "dwarf-one");
	digest_img(d, &im, nobtf);
	cr_assert_str_neq(nobtf, none);
	cr_assert_str_neq(nobtf, a);
	/* kbuild's `[ -f vmlinux ]` follows a link: so does the digest. */
	make_elf(&im, "BTF-one", "dwarf-one");
	digest_img(d, &im, b);
	snprintf(path, sizeof(path), "%s/vmlinux", d);
	sbt_must("mv %s %s.real && ln -s vmlinux.real %s", path, path, path);
	digest(d, b);
	cr_assert_str_eq(a, b, "a link to the same vmlinux");
}

Test(vmlinuxid, a_dangling_link_or_a_directory_is_there_but_not_a_file)
{
	char *d = tmpdir(), none[DKS_SHA256_HEX], link[DKS_SHA256_HEX], dir[DKS_SHA256_HEX];

	digest(d, none);
	sbt_must("ln -s /nonexistent/vmlinux %s/vmlinux", d);
	digest(d, link);
	cr_assert_str_neq(none, link, "debuginfo.c keeps the debug info for it: another build");
	sbt_must("rm %s/vmlinux && mkdir %s/vmlinux", d, d);
	digest(d, dir);
	cr_assert_str_eq(link, dir, "neither is a file kbuild reads");
}

Test(vmlinuxid, a_file_it_cannot_read_as_an_elf_is_digested_whole)
{
	char *d = tmpdir(), a[DKS_SHA256_HEX], b[DKS_SHA256_HEX];
	struct img im;

	put(d, "not an ELF at all", 17);
	digest(d, a);
	put(d, "not an ELF at all!", 18);
	digest(d, b);
	cr_assert_str_neq(a, b);
	make_elf(&im, "BTF-one", "dwarf-one");
	im.b[EI_DATA] = im.b[EI_DATA] == ELFDATA2LSB ? ELFDATA2MSB : ELFDATA2LSB;
	digest_img(d, &im, a);
	im.b[im.len - 100] ^= 1; /* in the section table: all of it counts */
	digest_img(d, &im, b);
	cr_assert_str_neq(a, b, "another byte order is read whole");
}

/* Every prefix of the image, and every byte of its header and section
 * table set to hostile values: a digest or an error, within the file. */
Test(vmlinuxid, every_cut_and_every_damaged_header_byte_gives_a_digest)
{
	static const unsigned char values[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x40};
	char *d = tmpdir(), hex[DKS_SHA256_HEX], good[DKS_SHA256_HEX];
	Elf64_Ehdr *eh;
	struct img im, bad;

	make_elf(&im, "BTF-one", "dwarf-one");
	digest_img(d, &im, good);
	for (size_t n = 0; n < im.len; n++) {
		put(d, im.b, n);
		digest(d, hex);
		cr_assert_str_neq(hex, good, "cut at %zu", n);
	}
	eh = (Elf64_Ehdr *)im.b;
	for (size_t i = 0; i < im.len; i++) {
		if (i >= sizeof(*eh) && i < eh->e_shoff)
			continue; /* section bytes: covered above */
		for (size_t v = 0; v < sizeof(values); v++) {
			bad = im;
			bad.b[i] = values[v];
			digest_img(d, &bad, hex);
		}
	}
}

Test(vmlinuxid, it_is_part_of_the_kernel_identity)
{
	char *kver = sbt_installed_kernel(), *d = tmpdir(), real[PATH_MAX];
	struct dks_target k = {.kver = kver, .arch = "x86_64", .headers = real};
	struct dks_kernel_id a, b;
	struct dks_error err = {0};
	struct img im;
	char none[DKS_SHA256_HEX];

	cr_assert_not_null(kver);
	snprintf(real, sizeof(real), "/lib/modules/%s/build", kver);
	cr_assert_eq(dks_kernel_id(&k, &a, &err), 0, "%s", err.msg);
	digest(real, none);
	cr_assert_str_eq(a.vmlinux, none);
	/* The same headers, entry by entry, with a vmlinux beside them. */
	sbt_must("for e in $(readlink -f %s)/* $(readlink -f %s)/.config; do ln -s \"$e\" %s/; done",
		 real, real, d);
	make_elf(&im, "BTF-one", "dwarf-one");
	put(d, im.b, im.len);
	k.headers = d;
	cr_assert_eq(dks_kernel_id(&k, &b, &err), 0, "%s", err.msg);
	cr_assert_str_eq(a.symvers, b.symvers);
	cr_assert_str_eq(a.config, b.config);
	cr_assert_str_neq(a.vmlinux, b.vmlinux);

	struct dks_unit_inputs ua = {.module = "m", .version = "1", .profile = "p", .kernel = a};
	struct dks_unit_inputs ub = ua;
	char da[DKS_SHA256_HEX], db[DKS_SHA256_HEX];

	ub.kernel = b;
	dks_unit_digest(&ua, da);
	dks_unit_digest(&ub, db);
	cr_assert_str_neq(da, db, "a cache entry built without the vmlinux is another unit");
	dks_kernel_id_clear(&a);
	dks_kernel_id_clear(&b);
	free(kver);
}
