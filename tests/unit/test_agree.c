// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "agree": a signing host signs only what two builders agree on
 * (docs/fleet.md "Two builders must agree"). `sign --check` rebuilds here
 * and compares; `sign --agree-with ARCHIVE` compares another builder's
 * archive (mktarball of a second tree) with the tree's build: the same
 * unit, the same .ko bytes. Real modules: tests/modules/hello, and
 * tests/modules/unrepro, which reads /dev/urandom at build time and so
 * differs at every build. Every refusal is checked for its words and exit
 * code, for the tree left byte for byte as it was, nothing signed, and no
 * scratch directory left behind.
 */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/exit.h"
#include "orchestrator/agree.h"
#include "sbtar.h"
#include "sbtest.h"
#include "tarballtest.h"

TestSuite(agree, .fini = sbt_cleanup, .timeout = 600);

/* Every path, type and size of the tree, and every .ko's sha256. */
static void snapshot(struct it *t, char *out, size_t size)
{
	cr_assert_eq(sh(t, "cd %s && find dkms -path '*/.*' -prune -o -printf '%%p %%y %%s\\n' | "
			   "sort && find dkms -name '*.ko' | sort | xargs -r sha256sum", t->root),
		     0, "%s", t->out);
	snprintf(out, size, "%.32000s", t->out);
}

/* sign M/V -k KVER MORE on @t's trees, scratch space below <root>/tmp. */
static int sign(struct it *t, const char *mv, const char *more)
{
	return sh(t, "mkdir -p %s/tmp && TMPDIR=%s/tmp %s sign %s -k %s %s %s 2>&1", t->root,
		  t->root, getenv("DKS_BIN"), mv, t->kver, more, t->opts);
}

static char said[65536]; /* what the last refused sign said */

/* sign is refused with @code and @words; the tree as it was, unsigned,
 * the scratch directory empty. */
static void sign_refused(struct it *t, const char *mv, const char *more, int code,
			 const char *words)
{
	char before[32768], after[32768];

	snapshot(t, before, sizeof(before));
	cr_expect_eq(sign(t, mv, more), code, "sign %s %s: exit %d: %s", mv, more, t->status,
		     t->out);
	memcpy(said, t->out, sizeof(said));
	cr_expect(strstr(said, words), "'%s' not said: %s", words, said);
	cr_expect(strstr(said, "nothing signed"), "%s", said);
	cr_expect_null(strstr(said, "signed by"), "%s", said);
	snapshot(t, after, sizeof(after));
	cr_expect_str_eq(after, before, "the tree changed");
	cr_expect_eq(sh(t, "find %s/dkms -name sign.log | grep . ; ls -A %s/tmp | grep .", t->root,
			t->root), 1, "left behind: %s", t->out);
}

/* A second builder: its own trees (insttest.h) with hello built, after
 * @edit in its source (NULL: none), archived as <t>/@name. */
static void builder(struct it *t, struct it *b, const char *edit, const char *name)
{
	setup(b);
	if (edit)
		cr_assert_eq(sh(b, "cd %s/src/hello-1.0 && %s", b->root, edit), 0, "%s", b->out);
	cr_assert_eq(hello_on(b, "build", t->kver, ""), 0, "%s", b->out);
	cr_assert_eq(sh(b, "%s mktarball hello/1.0 -k %s --binaries-only --archive %s/%s %s",
			getenv("DKS_BIN"), t->kver, t->root, name, b->opts),
		     0, "%s", b->out);
}

/* The signing host: @t's trees with hello built. */
static void host(struct it *t)
{
	setup(t);
	cr_assert_eq(hello_on(t, "build", t->kver, ""), 0, "%s", t->out);
}

/* unrepro/1.0 (tests/modules/unrepro) added to @t's source tree and built. */
static void unrepro(struct it *t)
{
	cr_assert_eq(sh(t, "cd %s/src && mkdir unrepro-1.0 && cp %s/tests/modules/unrepro/* "
			   "unrepro-1.0/ && printf 'PACKAGE_NAME=unrepro\\nPACKAGE_VERSION=1.0\\n"
			   "BUILT_MODULE_NAME[0]=unrepro\\nDEST_MODULE_LOCATION[0]=/updates/dkms\\n' "
			   "> unrepro-1.0/dkms.conf && chmod -R a+rX .", t->root, getenv("DKS_SRCDIR")),
		     0, "%s", t->out);
	cr_assert_eq(sh(t, "%s build unrepro/1.0 -k %s %s", getenv("DKS_BIN"), t->kver, t->opts), 0,
		     "%s", t->out);
}

Test(agree, two_builders_that_agree_get_the_module_signed)
{
	struct it t, b;
	char arg[600];

	host(&t);
	builder(&t, &b, NULL, "b.tar.gz");
	snprintf(arg, sizeof(arg), "--agree-with %s/b.tar.gz", t.root);
	cr_assert_eq(sign(&t, "hello/1.0", arg), 0, "%s", t.out);
	cr_expect(strstr(t.out, "b.tar.gz agrees: the same unit and the same bytes"), "%s", t.out);
	cr_expect(strstr(t.out, "hello.ko: identical, sha256 "), "%s", t.out);
	cr_expect(strstr(t.out, "hello.ko: signed by"), "%s", t.out);
	/* signed now: the signature is not part of the build, the bytes still agree */
	cr_assert_eq(sign(&t, "hello/1.0", arg), 0, "%s", t.out);
	cr_expect(strstr(t.out, "already signed by"), "%s", t.out);
}

Test(agree, source_archives_and_signed_manifests_confirm_too)
{
	struct it t, b;
	char arg[1400];

	host(&t);
	builder(&t, &b, NULL, "b.tar.gz");
	/* with the source, and with a manifest signed by the builder's key */
	cr_assert_eq(sh(&b, "%s mktarball hello/1.0 -k %s --archive %s/full.tar.gz %s && "
			    "%s mktarball hello/1.0 -k %s --binaries-only --sign --archive "
			    "%s/signed.tar.gz %s", getenv("DKS_BIN"), t.kver, t.root, b.opts,
			getenv("DKS_BIN"), t.kver, t.root, b.opts), 0, "%s", b.out);
	/* verified with the signing host's own certificate: another key */
	snprintf(arg, sizeof(arg), "--agree-with %s/signed.tar.gz", t.root);
	sign_refused(&t, "hello/1.0", arg, 1,
		     "signed.tar.gz: dkms_sandbox/manifest: the signature does not verify");
	snprintf(arg, sizeof(arg), "--agree-with %s/full.tar.gz --agree-with %s/signed.tar.gz "
		 "--archive-cert %s/keys/mok.pub", t.root, t.root, b.root);
	cr_assert_eq(sign(&t, "hello/1.0", arg), 0, "%s", t.out);
	cr_expect(strstr(t.out, "full.tar.gz agrees"), "%s", t.out);
	cr_expect(strstr(t.out, "signed.tar.gz agrees"), "%s", t.out);
}

Test(agree, sign_check_signs_a_reproducible_build)
{
	struct it t;

	host(&t);
	cr_assert_eq(sign(&t, "hello/1.0", "--check"), 0, "%s", t.out);
	cr_expect(strstr(t.out, "the rebuild here agrees"), "%s", t.out);
	cr_expect(strstr(t.out, "hello.ko: signed by"), "%s", t.out);
	cr_assert_eq(sign(&t, "hello/1.0", "--check"), 0, "signed, then checked: %s", t.out);
}

Test(agree, sign_check_refuses_a_module_that_differs_at_every_build)
{
	struct it t;

	host(&t);
	unrepro(&t);
	sign_refused(&t, "unrepro/1.0", "--check", DKS_EXIT_CHECK_DIFFERS,
		"unrepro/1.0, ");
	cr_expect(strstr(said, "the rebuild differs from the tree's build: unrepro.ko: first in "
			 "section ."), "%s", said);
	cr_expect(strstr(said, t.kver), "the kernel is not named: %s", said);
	/* build --check catches it too, and leaves the build as it was */
	cr_assert_eq(sh(&t, "%s build --check unrepro/1.0 -k %s %s 2>&1", getenv("DKS_BIN"), t.kver,
			t.opts), DKS_EXIT_CHECK_DIFFERS, "%s", t.out);
	cr_expect(strstr(t.out, "unrepro.ko: first in section ."), "%s", t.out);
}

Test(agree, an_archive_of_a_module_that_differs_at_every_build_is_refused)
{
	struct it t, b;
	char arg[600];

	host(&t);
	unrepro(&t);
	setup(&b);
	unrepro(&b);
	cr_assert_eq(sh(&b, "%s mktarball unrepro/1.0 -k %s --binaries-only --archive %s/u.tar.gz %s",
			getenv("DKS_BIN"), t.kver, t.root, b.opts), 0, "%s", b.out);
	snprintf(arg, sizeof(arg), "--agree-with %s/u.tar.gz", t.root);
	sign_refused(&t, "unrepro/1.0", arg, DKS_EXIT_CHECK_DIFFERS, "u.tar.gz differs from the tree's "
		"build: unrepro.ko: first in section .");
}

Test(agree, a_ko_that_matches_by_name_but_not_bytes_is_refused)
{
	struct it t, b;
	char arg[600];

	host(&t);
	setup(&b);
	cr_assert_eq(hello_on(&b, "build", t.kver, ""), 0, "%s", b.out);
	/* the builder changes its build after the fact, then archives it:
	 * the manifest's sha256 is the changed file's, the unit is the same */
	cr_assert_eq(sh(&b, "sed -i 's/hello from dkms-sandbox/hellO from dkms-sandbox/' "
			    "$(find %s/dkms/hello -name hello.ko) && %s mktarball hello/1.0 -k %s "
			    "--binaries-only --archive %s/b.tar.gz %s",
			b.root, getenv("DKS_BIN"), t.kver, t.root, b.opts),
		     0, "%s", b.out);
	snprintf(arg, sizeof(arg), "--agree-with %s/b.tar.gz", t.root);
	sign_refused(&t, "hello/1.0", arg, DKS_EXIT_CHECK_DIFFERS,
		"b.tar.gz differs from the tree's build: hello.ko: first in section .rodata");
}

Test(agree, another_unit_names_the_input_that_differs)
{
	struct it t, b;
	char arg[600];

	host(&t);
	builder(&t, &b, "sed -i 's/hello from/hellO from/' hello.c", "b.tar.gz");
	snprintf(arg, sizeof(arg), "--agree-with %s/b.tar.gz", t.root);
	sign_refused(&t, "hello/1.0", arg, DKS_EXIT_CHECK_DIFFERS, "b.tar.gz is another unit: source (the "
		"archive's ");
}

/* <t>/b.tar.gz from a builder, unpacked, @cmd run in it, packed as bad.tar.gz. */
static void lying(struct it *t, const char *cmd)
{
	struct it b;

	builder(t, &b, NULL, "b.tar.gz");
	unpack(t, "b.tar.gz", "u");
	cr_assert_eq(sh(t, "cd %s/u && %s", t->root, cmd), 0, "%s", t->out);
	repack(t, "u", "bad.tar.gz");
}

/* A host, a builder's archive changed by @cmd: sign refuses it. */
static void lie_refused(const char *cmd, int code, const char *words)
{
	struct it t;
	char arg[600];

	host(&t);
	lying(&t, cmd);
	snprintf(arg, sizeof(arg), "--agree-with %s/bad.tar.gz", t.root);
	sign_refused(&t, "hello/1.0", arg, code, words);
}

Test(agree, a_manifest_whose_unit_lies_is_refused)
{
	lie_refused("sed -i 's/^unit .*/unit "
		    "1111111111111111111111111111111111111111111111111111111111111111/' "
		    "dkms_sandbox/manifest",
		    DKS_EXIT_CHECK_DIFFERS, "a manifest that lies");
}

Test(agree, a_manifest_whose_sha256_lies_is_refused)
{
	lie_refused("for f in dkms_main_tree/*/*/module/hello.ko; do printf '\\0' >> $f; done", 1,
		    "the manifest says");
}

Test(agree, a_manifest_for_another_kernel_is_refused)
{
	lie_refused("sed -i 's/^config .*/config "
		    "0000000000000000000000000000000000000000000000000000000000000000/' "
		    "dkms_sandbox/manifest",
		    1, "the manifest is for a kernel whose .config");
}

Test(agree, an_archive_without_a_manifest_or_of_another_module_is_refused)
{
	struct it t;
	char arg[600];

	host(&t);
	lying(&t, "rm -r dkms_sandbox");
	snprintf(arg, sizeof(arg), "--agree-with %s/bad.tar.gz", t.root);
	sign_refused(&t, "hello/1.0", arg, DKS_EXIT_CHECK_DIFFERS, "has no manifest");
	cr_assert_eq(sh(&t, "cd %s/u && printf 'other\\n' > dkms_binaries_only/PACKAGE_NAME", t.root),
		     0, "%s", t.out);
	repack(&t, "u", "bad.tar.gz");
	sign_refused(&t, "hello/1.0", arg, DKS_EXIT_CHECK_DIFFERS, "holds other/1.0");
}

/* A hostile archive at <t>/bad.tar.gz: @items after a binaries-only stub. */
static void hostile(struct it *t, const struct sbt_item *items, size_t n, const char *words)
{
	struct sbt_item all[8] = {
	    {"./dkms_binaries_only/", AE_IFDIR, 0755, NULL, 0, NULL, false},
	    {"./dkms_binaries_only/PACKAGE_NAME", AE_IFREG, 0644, "hello\n", 0, NULL, false},
	    {"./dkms_binaries_only/PACKAGE_VERSION", AE_IFREG, 0644, "1.0\n", 0, NULL, false},
	    {"./dkms_binaries_only/dkms.conf", AE_IFREG, 0644,
	     "PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\n", 0, NULL,
	     false}};
	char path[600], arg[700];

	cr_assert(n <= 4);
	memcpy(all + 4, items, n * sizeof(*items));
	snprintf(path, sizeof(path), "%s/bad.tar.gz", t->root);
	sbt_make_tar(path, all, 4 + n, archive_write_add_filter_gzip);
	snprintf(arg, sizeof(arg), "--agree-with %s", path);
	sign_refused(t, "hello/1.0", arg, 1, words);
}

Test(agree, hostile_archives_are_refused_before_anything_is_read)
{
	struct it t;
	char path[600], arg[700];

	host(&t);
	hostile(&t, SBT_ITEMS({"./dkms_main_tree/../../../escaped", AE_IFREG, 0644, "x", 0, NULL,
			       false}), 1, "'..' in the path");
	cr_expect_neq(sh(&t, "ls %s/escaped %s/tmp/escaped", t.root, t.root), 0, "%s", t.out);
	hostile(&t, SBT_ITEMS({"./dkms_main_tree/k", AE_IFLNK, 0777, NULL, 0, "/etc", false}), 1,
		"symbolic link");
	hostile(&t, SBT_ITEMS({"./dkms_binaries_only/copy", AE_IFREG, 0644, NULL, 0,
			       "./dkms_binaries_only/dkms.conf", true}), 1, "hard link");
	snprintf(path, sizeof(path), "%s/big.tar", t.root);
	sbt_write_raw_tar(path, "dkms_main_tree/big", 200ULL << 20);
	snprintf(arg, sizeof(arg), "--agree-with %s", path);
	sign_refused(&t, "hello/1.0", arg, 1, "cap for one file");
}

Test(agree, sign_requires_agreement_counts_confirmations)
{
	struct it t, b;
	char arg[1400];

	host(&t);
	builder(&t, &b, NULL, "b.tar.gz");
	cr_assert_eq(sh(&t, "echo 'sign_requires_agreement: 2' >> %s/config.yaml", t.root), 0);
	sign_refused(&t, "hello/1.0", "", DKS_EXIT_UNCONFIRMED, "sign_requires_agreement is 2, 0 "
		"confirmation(s)");
	snprintf(arg, sizeof(arg), "--agree-with %s/b.tar.gz", t.root);
	sign_refused(&t, "hello/1.0", arg, DKS_EXIT_UNCONFIRMED, "sign_requires_agreement is 2, 1 "
		"confirmation(s)");
	/* one archive named twice is one builder */
	snprintf(arg, sizeof(arg), "--agree-with %s/b.tar.gz --agree-with %s/./b.tar.gz", t.root,
		 t.root);
	sign_refused(&t, "hello/1.0", arg, 1, "are the same file");
	snprintf(arg, sizeof(arg), "--check --agree-with %s/b.tar.gz", t.root);
	cr_assert_eq(sign(&t, "hello/1.0", arg), 0, "%s", t.out);
	cr_expect(strstr(t.out, "hello.ko: signed by"), "%s", t.out);
}

Test(agree, a_signing_host_without_the_source_takes_it_from_the_archives)
{
	struct it t, a, b;
	char arg[1400];

	/* t loads builder a's binaries-only archive: dkms's stub, no source */
	setup(&t);
	builder(&t, &a, NULL, "a.tar.gz");
	builder(&t, &b, NULL, "b.tar.gz");
	cr_assert_eq(sh(&t, "rm -r %s/src/hello-1.0 && %s ldtarball %s/a.tar.gz %s", t.root,
			getenv("DKS_BIN"), t.root, t.opts), 0, "%s", t.out);
	cr_assert_eq(sh(&t, "test -d %s/dkms/hello/1.0/source -a ! -L %s/dkms/hello/1.0/source",
			t.root, t.root), 0, "not dkms's stub");
	/* a third builder with another source: its unit's source cannot be
	 * checked here, but it is not b's unit, and its bytes differ */
	{
		struct it c;

		builder(&t, &c, "sed -i 's/hello from/hellO from/' hello.c", "c.tar.gz");
	}
	snprintf(arg, sizeof(arg), "--agree-with %s/b.tar.gz --agree-with %s/c.tar.gz", t.root,
		 t.root);
	sign_refused(&t, "hello/1.0", arg, DKS_EXIT_CHECK_DIFFERS, "name other units");
	snprintf(arg, sizeof(arg), "--agree-with %s/c.tar.gz", t.root);
	sign_refused(&t, "hello/1.0", arg, DKS_EXIT_CHECK_DIFFERS, "c.tar.gz differs from the tree's build");
	snprintf(arg, sizeof(arg), "--agree-with %s/b.tar.gz", t.root);
	cr_assert_eq(sign(&t, "hello/1.0", arg), 0, "%s", t.out);
	cr_expect(strstr(t.out, "hello.ko: signed by"), "%s", t.out);
}

Test(agree, options_belong_to_sign)
{
	struct it t;

	setup(&t);
	cr_assert_eq(hello_on(&t, "build", t.kver, "--agree-with x.tar.gz"), 1, "%s", t.out);
	cr_expect(strstr(t.out, "--agree-with is sign's"), "%s", t.out);
	cr_assert_eq(hello_on(&t, "install", t.kver, "--check"), 1, "%s", t.out);
	cr_expect(strstr(t.out, "--check is build's"), "%s", t.out);
	/* 16 archives and --check at most: 18 confirmations cannot be given */
	cr_assert_eq(sh(&t, "echo 'sign_requires_agreement: 18' >> %s/config.yaml", t.root), 0);
	cr_assert_eq(hello_on(&t, "sign", t.kver, ""), 1, "%s", t.out);
	cr_expect(strstr(t.out, "config.yaml:") && strstr(t.out, "sign_requires_agreement"), "%s",
		  t.out);
}

Test(agree, each_kernel_being_signed_needs_its_own_confirmation)
{
	struct it t, b;
	char mv[400], arg[1400];

	host(&t);
	cr_assert_eq(hello_on(&t, "build", t.other, ""), 0, "%s", t.out);
	/* builder b: one archive per unit, as the fleet's array tasks make them */
	builder(&t, &b, NULL, "b1.tar.gz");
	cr_assert_eq(hello_on(&b, "build", t.other, ""), 0, "%s", b.out);
	cr_assert_eq(sh(&b, "%s mktarball hello/1.0 -k %s --binaries-only --archive %s/b2.tar.gz %s",
			getenv("DKS_BIN"), t.other, t.root, b.opts), 0, "%s", b.out);
	snprintf(mv, sizeof(mv), "hello/1.0 -k %s", t.other);
	snprintf(arg, sizeof(arg), "--agree-with %s/b1.tar.gz", t.root);
	sign_refused(&t, mv, arg, DKS_EXIT_UNCONFIRMED, "0 confirmation(s) of its build, 1 needed");
	cr_expect(strstr(said, t.other), "the kernel is not named: %s", said);
	snprintf(arg, sizeof(arg), "--agree-with %s/b1.tar.gz --agree-with %s/b2.tar.gz", t.root,
		 t.root);
	cr_assert_eq(sign(&t, mv, arg), 0, "%s", t.out);
	cr_expect(strstr(t.out, "b2.tar.gz agrees"), "%s", t.out);
}

/* ---- the unit comparison alone (agreeref.c), on made-up digests ---- */

#define HEX(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	       c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* A manifest block for @t with these inputs and its true unit digest. */
static void block(struct dks_manifest_kernel *mk, const struct dks_agree_ref *ref,
		  const struct dks_agree_kernel *k, const char *source, const char *toolchain)
{
	struct dks_unit_inputs u = {.module = ref->module, .version = ref->version,
				    .profile = ref->profile, .kernel = k->id};

	*mk = (struct dks_manifest_kernel){.kver = k->t->kver, .arch = k->t->arch,
					   .vermagic = k->id.vermagic};
	snprintf(mk->source, sizeof(mk->source), "%s", source);
	snprintf(mk->toolchain, sizeof(mk->toolchain), "%s", toolchain);
	memcpy(mk->spec, k->spec, sizeof(mk->spec));
	memcpy(mk->config, k->id.config, sizeof(mk->config));
	memcpy(mk->symvers, k->id.symvers, sizeof(mk->symvers));
	memcpy(u.source, source, sizeof(u.source));
	memcpy(u.toolchain, toolchain, sizeof(u.toolchain));
	memcpy(u.spec, k->spec, sizeof(u.spec));
	dks_unit_digest(&u, mk->unit);
}

Test(agree, inputs_this_host_cannot_know_come_from_the_archives_which_must_agree)
{
	struct dks_target t = {.kver = "6.1.0-99-amd64", .arch = "x86_64"};
	struct dks_agree_kernel k = {.t = &t, .spec = HEX("b"),
				     .id = {.release = "6.1.0-99-amd64", .arch = "x86_64",
					    .vermagic = "6.1.0-99-amd64 SMP", .config = HEX("c"),
					    .symvers = HEX("d")}};
	/* the source is known here, the toolchain is not (no gcc) */
	struct dks_agree_ref ref = {.module = "hello", .version = "1.0", .profile = "default",
				    .source = HEX("a"), .toolchain = "", .k = &k, .n = 1};
	struct dks_manifest_kernel mk;
	struct dks_error err = {0};

	block(&mk, &ref, &k, HEX("a"), HEX("e"));
	cr_assert_eq(dks_agree_unit(&ref, &k, &mk, "one.tar.gz", &err), 0, "%s", err.msg);
	/* a second archive, built with another toolchain: not one unit */
	block(&mk, &ref, &k, HEX("a"), HEX("f"));
	cr_assert_eq(dks_agree_unit(&ref, &k, &mk, "two.tar.gz", &err), -1);
	cr_expect_eq(err.exit_code, DKS_EXIT_CHECK_DIFFERS);
	cr_expect(strstr(err.msg, "one.tar.gz and two.tar.gz name other units"), "%s", err.msg);
	/* another source, which this host knows: named, both digests shown */
	block(&mk, &ref, &k, HEX("9"), HEX("e"));
	cr_assert_eq(dks_agree_unit(&ref, &k, &mk, "three.tar.gz", &err), -1);
	cr_expect(strstr(err.msg, "three.tar.gz is another unit: source (the archive's 999999999999, "
			 "this host's aaaaaaaaaaaa)"), "%s", err.msg);
	/* a .config of its own: named too (the kernel check comes first in sign) */
	block(&mk, &ref, &k, HEX("a"), HEX("e"));
	memset(mk.config, '0', 64);
	cr_assert_eq(dks_agree_unit(&ref, &k, &mk, "four.tar.gz", &err), -1);
	cr_expect(strstr(err.msg, "is another unit: kernel .config (the archive's 000000000000"),
		  "%s", err.msg);
}
