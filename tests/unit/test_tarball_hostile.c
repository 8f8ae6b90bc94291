// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "tarball_hostile": archives made to harm the loading host, each
 * refused by ldtarball with one line naming what is wrong, and the
 * fleet's trees exactly as they were (docs/archives.md, docs/security.md).
 * Structural attacks are written with libarchive (sbtar.h) around a valid
 * binaries-only stub; the manifest attacks start from a real archive of
 * hello and change one thing.
 */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtar.h"
#include "sbtest.h"
#include "tarballtest.h"

TestSuite(tarball_hostile, .fini = sbt_cleanup);

#define CONF "PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\n"
/* A binaries-only stub as dkms writes it, then @extra. */
#define STUB(...)                                                                                \
	{"./dkms_binaries_only/", AE_IFDIR, 0755, NULL, 0, NULL, false},                          \
	    {"./dkms_binaries_only/PACKAGE_NAME", AE_IFREG, 0644, "hello\n", 0, NULL, false},     \
	    {"./dkms_binaries_only/PACKAGE_VERSION", AE_IFREG, 0644, "1.0\n", 0, NULL, false},    \
	    {"./dkms_binaries_only/dkms.conf", AE_IFREG, 0644, CONF, 0, NULL, false}, __VA_ARGS__

static void make(struct it *t, const char *name, const struct sbt_item *items, size_t n)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, name);
	sbt_make_tar(path, items, n, archive_write_add_filter_gzip);
}

#define MAKE(t, name, ...) make(t, name, SBT_ITEMS(STUB(__VA_ARGS__)), SBT_N_ITEMS(STUB(__VA_ARGS__)))

/* Bytes that are not an archive, and a real one cut short: dkms's 7 and
 * its words, with libarchive's reason; nothing loaded. */
Test(tarball_hostile, not_an_archive_and_a_cut_one_are_7, .timeout = 120)
{
	struct it t;

	setup(&t);
	cr_assert_eq(sh(&t, "echo hello > %s/text.tar.gz", t.root), 0);
	refused(&t, "text.tar.gz", "", "text.tar.gz is not a valid DKMS tarball (");
	cr_expect_eq(fleet(&t, "ldtarball %s/text.tar.gz", t.root), 7, "%s", t.out);
	MAKE(&t, "whole.tar.gz", {"./dkms_main_tree/", AE_IFDIR, 0755, NULL, 0, NULL, false},
	     {"./dkms_main_tree/big", AE_IFREG, 0644, NULL, 200000, NULL, false});
	cr_assert_eq(sh(&t, "head -c $(( $(stat -c %%s %s/whole.tar.gz) / 2 )) %s/whole.tar.gz "
			   "> %s/cut.tar.gz", t.root, t.root, t.root), 0, "%s", t.out);
	refused(&t, "cut.tar.gz", "", "cut.tar.gz is not a valid DKMS tarball (");
	cr_expect_eq(fleet(&t, "ldtarball %s/cut.tar.gz", t.root), 7, "%s", t.out);
	cr_expect(!strstr(t.out, "Unknown error"), "%s", t.out);
	cr_expect_eq(fleet(&t, "ldtarball %s/nothing.tar.gz", t.root), 2, "%s", t.out);
	cr_expect(strstr(t.out, "nothing.tar.gz does not exist.\n"), "%s", t.out);
}

Test(tarball_hostile, path_traversal_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz", {"./dkms_main_tree/../../../escaped", AE_IFREG, 0644, "x", 0, NULL, false});
	refused(&t, "a.tar.gz", "", "'..' in the path");
	cr_expect_eq(sh(&t, "ls %s/fleet/escaped %s/escaped 2>&1", t.root, t.root), 2, "%s", t.out);
}

Test(tarball_hostile, absolute_path_is_refused, .timeout = 120)
{
	struct it t;
	char abs[512];

	setup(&t);
	snprintf(abs, sizeof(abs), "%s/planted", t.root);
	MAKE(&t, "a.tar.gz", {abs, AE_IFREG, 0644, "x", 0, NULL, false});
	refused(&t, "a.tar.gz", "", "absolute path");
	cr_expect_neq(sh(&t, "test -e %s", abs), 0, "%s was written", abs);
}

Test(tarball_hostile, symbolic_link_out_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz", {"./dkms_main_tree/k", AE_IFLNK, 0777, NULL, 0, "/etc", false});
	refused(&t, "a.tar.gz", "", "symbolic link");
}

Test(tarball_hostile, hard_link_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz",
	     {"./dkms_binaries_only/copy", AE_IFREG, 0644, NULL, 0, "./dkms_binaries_only/dkms.conf",
	      true});
	refused(&t, "a.tar.gz", "", "hard link");
}

Test(tarball_hostile, device_node_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz", {"./dkms_main_tree/sda", AE_IFBLK, 0600, NULL, 0, NULL, false});
	refused(&t, "a.tar.gz", "", "device node, FIFO or socket");
}

Test(tarball_hostile, fifo_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz", {"./dkms_main_tree/pipe", AE_IFIFO, 0600, NULL, 0, NULL, false});
	refused(&t, "a.tar.gz", "", "device node, FIFO or socket");
}

Test(tarball_hostile, duplicate_entry_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz",
	     {"./dkms_binaries_only/dkms.conf", AE_IFREG, 0644, "PACKAGE_NAME=other\n", 0, NULL,
	      false});
	refused(&t, "a.tar.gz", "", "a second entry of that name");
}

Test(tarball_hostile, oversized_file_is_refused, .timeout = 120)
{
	struct it t;
	char path[512];

	setup(&t);
	/* a header declaring 200 MiB (over the 128 MiB cap for one file) */
	snprintf(path, sizeof(path), "%s/big.tar", t.root);
	sbt_write_raw_tar(path, "dkms_main_tree/big", 200ULL << 20);
	refused(&t, "big.tar", "", "cap for one file");
}

Test(tarball_hostile, oversized_whole_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz", {"./dkms_main_tree/a", AE_IFREG, 0644, NULL, 40000, NULL, false},
	     {"./dkms_main_tree/b", AE_IFREG, 0644, NULL, 40000, NULL, false});
	refused(&t, "a.tar.gz", "--max-size 65536", "the whole is larger than");
}

Test(tarball_hostile, too_many_entries_are_refused, .timeout = 300)
{
	enum { N = 20010 };
	struct sbt_item *items = calloc(N, sizeof(*items));
	char(*names)[64] = calloc(N, 64);
	struct it t;
	char path[512];

	cr_assert(items && names);
	setup(&t);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], 64, "./dkms_main_tree/f%d", i);
		items[i] = (struct sbt_item){.path = names[i], .type = AE_IFREG, .perm = 0644, .data = ""};
	}
	snprintf(path, sizeof(path), "%s/many.tar.gz", t.root);
	sbt_make_tar(path, items, N, archive_write_add_filter_gzip);
	refused(&t, "many.tar.gz", "", "more than 20000 entries");
	free(items);
	free(names);
}

Test(tarball_hostile, unknown_top_level_entry_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz", {"./etc/", AE_IFDIR, 0755, NULL, 0, NULL, false});
	refused(&t, "a.tar.gz", "", "'etc' is not part of a DKMS archive");
}

Test(tarball_hostile, stray_file_in_a_build_is_refused, .timeout = 120)
{
	struct it t;

	setup(&t);
	MAKE(&t, "a.tar.gz", {"./dkms_main_tree/k/x86_64/hooks", AE_IFREG, 0644, "x", 0, NULL, false});
	refused(&t, "a.tar.gz", "", "is not module/ or log/");
}

/* ---- the manifest: a real archive, one thing changed ---- */

/* hello archived with mktarball @how, unpacked, @edit run in the unpacked
 * tree (a shell command), packed again: refused with @words. */
static void tampered(const char *how, const char *edit, const char *words)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "good.tar.gz", how);
	unpack(&t, "good.tar.gz", "u");
	cr_assert_eq(sh(&t, "cd %s/u && %s", t.root, edit), 0, "%s: %s", edit, t.out);
	repack(&t, "u", "bad.tar.gz");
	refused(&t, "bad.tar.gz", "", words);
}

/* A kernel of the archive this host has neither headers nor a config of:
 * 21, dkms's code for a kernel without headers, and nothing loaded. */
Test(tarball_hostile, a_kernel_without_headers_or_config_here_is_21, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "good.tar.gz", "--binaries-only");
	unpack(&t, "good.tar.gz", "u");
	cr_assert_eq(sh(&t, "cd %s/u && mv dkms_main_tree/%s dkms_main_tree/0.0.1-noheaders && "
			   "sed -i 's|^kernel %s/|kernel 0.0.1-noheaders/|' dkms_sandbox/manifest",
			t.root, t.kver, t.kver), 0, "%s", t.out);
	repack(&t, "u", "bad.tar.gz");
	refused(&t, "bad.tar.gz", "", "kernel 0.0.1-noheaders: no headers");
	cr_expect_eq(fleet(&t, "ldtarball %s/bad.tar.gz", t.root), 21, "%s", t.out);
}

Test(tarball_hostile, ko_whose_sha256_differs_from_the_manifest_is_refused, .timeout = 300)
{
	/* one byte more: still a valid module to the validator, another file */
	tampered("--binaries-only",
		 "for f in dkms_main_tree/*/*/module/hello.ko; do printf '\\0' >> $f; done",
		 "the manifest says");
}

Test(tarball_hostile, extra_ko_not_in_the_manifest_is_refused, .timeout = 300)
{
	tampered("--binaries-only", "cd dkms_main_tree/*/*/module && cp hello.ko extra.ko",
		 "extra.ko is not in the manifest");
}

Test(tarball_hostile, missing_ko_is_refused, .timeout = 300)
{
	tampered("--binaries-only",
		 "sed -i 's|^ko module/hello.ko |ko module/gone.ko |;/^end$/i ko module/hello.ko "
		 "'$(sha256sum dkms_main_tree/*/*/module/hello.ko | cut -c1-64)' -' "
		 "dkms_sandbox/manifest",
		 "the manifest lists 2 modules, the archive holds 1");
}

Test(tarball_hostile, manifest_for_another_kernel_is_refused, .timeout = 300)
{
	/* the same kernel name, another kernel's configuration */
	tampered("--binaries-only",
		 "sed -i 's/^config .*/config "
		 "0000000000000000000000000000000000000000000000000000000000000000/' "
		 "dkms_sandbox/manifest",
		 "the manifest is for a kernel whose .config");
}

Test(tarball_hostile, archive_for_a_kernel_this_host_has_otherwise_is_refused, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "good.tar.gz", "--binaries-only");
	/* the fleet's kernel of that name is another build (its headers are
	 * the other kernel's): release and vermagic differ */
	cr_assert_eq(sh(&t, "cd %s && mkdir -p fleetlib/%s && ln -s \"$(readlink -f "
			    "/lib/modules/%s/build)\" fleetlib/%s/build",
			t.root, t.kver, t.other, t.kver),
		     0, "%s", t.out);
	refused(&t, "good.tar.gz", "--installtree fleetlib", "the manifest is for");
}

Test(tarball_hostile, manifest_signed_by_another_key_is_refused, .timeout = 300)
{
	struct it t;

	setup(&t);
	hello_archive(&t, "signed.tar.gz", "--binaries-only --sign");
	cr_assert_eq(sh(&t, "cd %s && mkdir -m 700 keys2 && %s generate-mok --mok-key keys2/mok.key "
			    "--mok-cert keys2/mok.pub",
			t.root, getenv("DKS_BIN")),
		     0, "%s", t.out);
	refused(&t, "signed.tar.gz", "--archive-cert keys2/mok.pub", "does not verify");
}

Test(tarball_hostile, tampered_manifest_under_a_valid_signature_is_refused, .timeout = 300)
{
	tampered("--binaries-only --sign",
		 "sed -i 's/^toolchain \\([0-9a-f-]*\\).*/toolchain \\1 trusted/' "
		 "dkms_sandbox/manifest",
		 "does not verify");
}

Test(tarball_hostile, signature_without_a_manifest_is_refused, .timeout = 300)
{
	tampered("--binaries-only --sign", "rm dkms_sandbox/manifest",
		 "no manifest, but a signature");
}

Test(tarball_hostile, source_changed_under_the_manifest_is_refused, .timeout = 300)
{
	tampered("", "echo '/* planted */' >> dkms_source_tree/hello.c",
		 "dkms_source_tree has digest");
}
