// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A signing host and keyless fleet hosts (docs/install.md "Fleet hosts"):
 * hello is built and signed (`sign`) in a signing-host tree (insttest.h),
 * its build (m/v/kver/arch) copied into a second, "fleet" tree whose
 * install tree has the kernel's own modules and no headers, with no key
 * anywhere, gcc off PATH, `sign: verify` and only the certificate. The
 * machine's /lib/modules may have no kernel modules (a headers-only test
 * machine): the fleet's kernel/ then holds hello's own unsigned bytes,
 * built against the kernel's headers (its vermagic and CRCs are the
 * kernel's), plus a handful of the real ones when there are.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/exit.h"
#include "dks/installer.h"
#include "installer/sigcheck.h"
#include "installer/validate.h"
#include "insttest.h"
#include "sbtest.h"

TestSuite(fleet, .fini = sbt_cleanup, .timeout = 600);

#define MARK "~Module signature appended~\n"

struct fleet {
	struct it h;	  /* the signing host */
	char f[600];	  /* the fleet tree */
	char fopts[4096]; /* its options */
	char built[900];  /* hello.ko in the fleet's dkms tree */
	char intree[900]; /* the kernel's "own" module in the fleet's install tree */
};

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	cr_assert(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	cr_assert(b && fread(b, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spill(const char *path, const void *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f && fwrite(b, 1, len, f) == len && fclose(f) == 0, "%s", path);
}

/* Build and sign hello on the signing host. */
static void signing_host(struct fleet *x)
{
	setup(&x->h);
	cr_assert_eq(hello_on(&x->h, "build", x->h.kver, ""), 0, "%s", x->h.out);
	cr_assert_eq(hello_on(&x->h, "sign", x->h.kver, ""), 0, "%s", x->h.out);
	cr_assert(strstr(x->h.out, "hello.ko: signed by"), "%s", x->h.out);
}

/* The kernel's own module in the fleet's install tree: hello's content
 * without its signature (and real ones, when the machine has them). */
static void own_modules(struct fleet *x, const char *signed_ko)
{
	struct dks_sig_trailer tr;
	const char *why = NULL;
	size_t len;
	unsigned char *b = slurp(signed_ko, &len);

	cr_assert_eq(dks_sig_trailer_parse(b, len, &tr, &why), 0, "%s", why);
	snprintf(x->intree, sizeof(x->intree), "%s/root/lib/modules/%s/kernel/drivers/misc/own.ko",
		 x->f, x->h.kver);
	spill(x->intree, b, tr.content_len);
	free(b);
	cr_assert_eq(
	    sh(&x->h,
	       "d=/lib/modules/%s/kernel; [ -d $d ] || exit 0; "
	       "find $d -name '*.ko*' | head -n 5 | xargs -r cp -t %s/root/lib/modules/%s/kernel/",
	       x->h.kver, x->f, x->h.kver),
	    0, "%s", x->h.out);
}

/* The fleet tree's directories, configuration and boot files, trusting
 * @cert: no headers, no key, nothing built yet. */
static void fleet_dirs(struct fleet *x, const char *cert)
{
	const char *k = x->h.kver, *r = x->h.root;

	snprintf(x->f, sizeof(x->f), "%s/fleet", r);
	cr_assert_eq(
	    sh(&x->h,
	       "F=%s && mkdir -p $F/dkms $F/src $F/boot $F/trust "
	       "$F/root/lib/modules/%s/kernel/drivers/misc && "
	       "cp /lib/modules/%s/build/.config $F/boot/config-%s && cp %s $F/trust/mok.pub && "
	       "touch $F/root/lib/modules/%s/modules.order $F/root/lib/modules/%s/modules.builtin "
	       "$F/root/lib/modules/%s/modules.builtin.modinfo && "
	       "printf 'sign: verify\\ntrusted_cert: %%s\\nboot_dir: %%s\\nmok_key: %%s\\n"
	       "mok_cert: %%s\\nos_release: %%s\\n' $F/trust/mok.pub $F/boot "
	       "$F/nokey/mok.key $F/nokey/mok.pub "
	       "\"$(sed -n 's/^os_release: //p' %s/config.yaml)\" > $F/config.yaml && "
	       "chmod -R a+rX $F",
	       x->f, k, k, k, cert, k, k, k, r),
	    0, "%s", x->h.out);
	snprintf(x->fopts, sizeof(x->fopts),
		 "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/root/lib/modules "
		 "--sandbox-config %s/config.yaml",
		 x->f, x->f, x->f, x->f);
	snprintf(x->built, sizeof(x->built), "%s/dkms/hello/1.0/%s/x86_64/module/hello.ko", x->f,
		 k);
}

/* The fleet tree, trusting @cert, with the signing host's build of hello
 * copied in. */
static void fleet_tree(struct fleet *x, const char *cert)
{
	const char *k = x->h.kver, *r = x->h.root;

	fleet_dirs(x, cert);
	cr_assert_eq(sh(&x->h,
			"F=%s && mkdir -p $F/dkms/hello/1.0 $F/src/hello-1.0 && "
			"cp -a %s/dkms/hello/1.0/%s $F/dkms/hello/1.0/ && "
			"cp %s/src/hello-1.0/dkms.conf $F/src/hello-1.0/ && "
			"ln -s $F/src/hello-1.0 $F/dkms/hello/1.0/source && chmod -R a+rX $F",
			x->f, r, k, r),
		     0, "%s", x->h.out);
	cr_assert_eq(sh(&x->h, "ls %s", x->built), 0, "%s", x->h.out);
	own_modules(x, x->built);
}

static void fleet(struct fleet *x)
{
	char cert[600];

	signing_host(x);
	snprintf(cert, sizeof(cert), "%s/keys/mok.pub", x->h.root);
	fleet_tree(x, cert);
}

/* dkms-sandbox VERB ARGS in the fleet tree, gcc off PATH. */
static int on_fleet(struct fleet *x, const char *args)
{
	return sh(&x->h, "PATH=/usr/sbin:/sbin %s %s %s", getenv("DKS_BIN"), args, x->fopts);
}

static int install(struct fleet *x)
{
	char args[512];

	snprintf(args, sizeof(args), "install hello/1.0 -k %.255s", x->h.kver);
	return on_fleet(x, args);
}

static void nothing_placed(struct fleet *x)
{
	cr_assert_eq(sh(&x->h, "find %s/root -name 'hello.ko*' | grep .", x->f), 1, "placed: %s",
		     x->h.out);
}

static void refused_with(struct fleet *x, const char *words)
{
	install(x);
	cr_assert_eq(x->h.status, 6, "%s", x->h.out);
	cr_assert(strstr(x->h.out, words), "wanted \"%s\": %s", words, x->h.out);
	nothing_placed(x);
}

/* The installed module's PKCS#7 and content, verified by openssl. */
static int openssl_verifies(struct fleet *x, const char *ko, const char *cert_der)
{
	struct dks_sig_trailer tr;
	const char *why = NULL;
	char path[1024];
	size_t len;
	unsigned char *b = slurp(ko, &len);

	cr_assert_eq(dks_sig_trailer_parse(b, len, &tr, &why), 0, "%s", why);
	snprintf(path, sizeof(path), "%s/content", x->f);
	spill(path, b, tr.content_len);
	snprintf(path, sizeof(path), "%s/sig.der", x->f);
	spill(path, b + tr.sig_off, tr.sig_len);
	free(b);
	return sh(&x->h,
		  "cd %s && openssl x509 -inform DER -in %s -out cert.pem && "
		  "openssl cms -verify -binary -inform DER -in sig.der -content content "
		  "-certfile cert.pem -nointern -noverify -out /dev/null",
		  x->f, cert_der);
}

Test(fleet, round_trip_signs_on_the_host_and_installs_keyless_without_headers)
{
	struct fleet x;
	char ko[1024], cert[700];

	fleet(&x);
	cr_assert_neq(sh(&x.h, "PATH=/usr/sbin:/sbin; command -v gcc || command -v cc"), 0,
		      "gcc: %s", x.h.out);
	cr_assert_eq(sh(&x.h, "find %s -name '*.key' -o -name build | grep .", x.f), 1, "%s",
		     x.h.out);
	cr_assert_eq(on_fleet(&x, "status"), 0);
	cr_assert(strstr(x.h.out, ": built"), "%s", x.h.out);
	cr_assert_eq(install(&x), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "arrived signed, verified against"), "%s", x.h.out);
	snprintf(ko, sizeof(ko), "%s/root/lib/modules/%s/updates/dkms/hello.ko", x.f, x.h.kver);
	cr_assert_eq(sh(&x.h, "modinfo -F signer %s", ko), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "dkms-sandbox module signing key"), "%s", x.h.out);
	cr_assert_eq(sh(&x.h, "cmp %s %s", ko, x.built), 0, "installed as it came: %s", x.h.out);
	snprintf(cert, sizeof(cert), "%s/keys/mok.pub", x.h.root);
	cr_assert_eq(openssl_verifies(&x, ko, cert), 0, "%s", x.h.out);
	/* The check can fail: another certificate does not verify it. */
	cr_assert_eq(sh(&x.h,
			"cd %s && mkdir -p k2 && chmod 700 k2 && %s generate-mok "
			"--mok-key k2/mok.key --mok-cert k2/mok.pub",
			x.f, getenv("DKS_BIN")),
		     0);
	snprintf(cert, sizeof(cert), "%s/k2/mok.pub", x.f);
	cr_assert_neq(openssl_verifies(&x, ko, cert), 0, "another certificate verified it");
	cr_assert_eq(on_fleet(&x, "status"), 0);
	cr_assert(strstr(x.h.out, ": installed"), "%s", x.h.out);
	snprintf(cert, sizeof(cert), "uninstall hello/1.0 -k %.255s", x.h.kver);
	cr_assert_eq(on_fleet(&x, cert), 0, "without headers: %s", x.h.out);
	nothing_placed(&x);
}

Test(fleet, sign_is_idempotent_and_refuses_another_keys_signature_unless_forced)
{
	struct fleet x;
	char a[128], b[128];

	signing_host(&x);
	cr_assert_eq(
	    sh(&x.h, "sha256sum %s/dkms/hello/1.0/%s/x86_64/module/hello.ko", x.h.root, x.h.kver),
	    0);
	snprintf(a, sizeof(a), "%.64s", x.h.out);
	cr_assert_eq(hello_on(&x.h, "sign", x.h.kver, ""), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "already signed by"), "%s", x.h.out);
	cr_assert_eq(
	    sh(&x.h, "sha256sum %s/dkms/hello/1.0/%s/x86_64/module/hello.ko", x.h.root, x.h.kver),
	    0);
	snprintf(b, sizeof(b), "%.64s", x.h.out);
	cr_assert_str_eq(a, b);
	/* Another key now: the module's signature is not ours. */
	cr_assert_eq(sh(&x.h,
			"cd %s && rm keys/mok.key keys/mok.pub && %s generate-mok "
			"--mok-key keys/mok.key --mok-cert keys/mok.pub",
			x.h.root, getenv("DKS_BIN")),
		     0, "%s", x.h.out);
	hello_on(&x.h, "sign", x.h.kver, "");
	cr_assert_eq(x.h.status, 6, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "another key") && strstr(x.h.out, "--force"), "%s", x.h.out);
	cr_assert_eq(hello_on(&x.h, "sign", x.h.kver, "--force"), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "signed by"), "%s", x.h.out);
	cr_assert_eq(hello_on(&x.h, "sign", x.h.kver, ""), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "already signed by"), "%s", x.h.out);
}

Test(fleet, a_module_signed_by_another_key_is_refused)
{
	struct fleet x;
	char cert[700];

	signing_host(&x);
	cr_assert_eq(sh(&x.h,
			"cd %s && mkdir -p other && chmod 700 other && %s generate-mok "
			"--mok-key other/mok.key --mok-cert other/mok.pub",
			x.h.root, getenv("DKS_BIN")),
		     0, "%s", x.h.out);
	snprintf(cert, sizeof(cert), "%s/other/mok.pub", x.h.root);
	fleet_tree(&x, cert);
	refused_with(&x, "signed by another key");
}

Test(fleet, a_byte_changed_after_signing_is_refused)
{
	struct fleet x;
	size_t len;
	unsigned char *b;

	fleet(&x);
	b = slurp(x.built, &len);
	b[len / 3] ^= 0x01;
	spill(x.built, b, len);
	free(b);
	refused_with(&x, "does not verify");
}

Test(fleet, a_cut_or_lying_trailer_is_refused)
{
	struct fleet x;
	size_t len;
	unsigned char *b;

	fleet(&x);
	b = slurp(x.built, &len);
	spill(x.built, b, len - 10); /* the marker cut: it looks unsigned */
	refused_with(&x, "arrived unsigned");
	b[len - 28 - 4] = 0xff; /* sig_len: 0xff......, past the file */
	spill(x.built, b, len);
	refused_with(&x, "larger than the file");
	free(b);
}

/* Patch the fleet's own module: @fn changes its bytes. */
static void patch_own(struct fleet *x, void (*fn)(unsigned char *, size_t, const char *))
{
	size_t len;
	unsigned char *b = slurp(x->intree, &len);

	fn(b, len, x->h.kver);
	spill(x->intree, b, len);
	free(b);
}

/* Only own.ko in the fleet's kernel/ (no real module beside it). */
static void own_module_alone(struct fleet *x)
{
	cr_assert_eq(sh(&x->h,
			"rm -f $(find %s/root/lib/modules/%s/kernel -name '*.ko*' ! -name own.ko)",
			x->f, x->h.kver),
		     0);
}

static void other_vermagic(unsigned char *b, size_t len, const char *kver)
{
	char pat[300];
	unsigned char *p;

	snprintf(pat, sizeof(pat), "vermagic=%s ", kver);
	p = memmem(b, len, pat, strlen(pat));
	cr_assert(p, "no %s", pat);
	p[strlen(pat)] ^= 0x20; /* "SMP" -> "sMP" */
}

static void other_crc(unsigned char *b, size_t len, const char *kver)
{
	struct dks_modsecs s;

	(void)kver;
	cr_assert_eq(dks_module_sections(b, len, &s), 0);
	cr_assert(s.n_versions > 0, "hello imports nothing");
	((unsigned char *)s.versions)[0] ^= 0x5a; /* the first import's CRC */
}

Test(fleet, a_vermagic_other_than_the_kernels_own_modules_is_refused)
{
	struct fleet x;

	fleet(&x);
	own_module_alone(&x);
	patch_own(&x, other_vermagic);
	refused_with(&x, "is not the kernel's");
}

Test(fleet, a_crc_other_than_the_kernels_own_modules_import_is_refused)
{
	struct fleet x;

	fleet(&x);
	/* Alone: a real module importing the symbol with its real CRC would
	 * make it one imported with two CRCs, left unknown (docs/install.md). */
	own_module_alone(&x);
	patch_own(&x, other_crc);
	refused_with(&x, "the kernel's own modules");
}

Test(fleet, without_headers_what_is_not_built_is_still_exit_21)
{
	struct fleet x;

	fleet(&x);
	snprintf(x.built, sizeof(x.built), "build hello/1.0 --force -k %.255s", x.h.kver);
	on_fleet(&x, x.built);
	cr_assert_eq(x.h.status, 21, "%s", x.h.out);
	on_fleet(&x, "install hello/1.0 -k 0.0.1-fleet");
	cr_assert_eq(x.h.status, 21, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "no headers"), "%s", x.h.out);
}

/* ---- the trailer parser, on crafted bytes ------------------------------ */

static int parse(const unsigned char *info, size_t content)
{
	static unsigned char buf[4096];
	struct dks_sig_trailer tr;
	const char *why = NULL;

	memset(buf, 'A', content);
	memcpy(buf + content, info, 12);
	memcpy(buf + content + 12, MARK, strlen(MARK));
	return dks_sig_trailer_parse(buf, content + 12 + strlen(MARK), &tr, &why);
}

Test(fleet, the_trailer_parser_refuses_every_bad_length_and_field)
{
	unsigned char ok[12] = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 16};
	unsigned char t[12];
	struct dks_sig_trailer tr;
	const char *why = NULL;

	cr_assert_eq(parse(ok, 100), 0);
	cr_assert_eq(parse(ok, 17), 0);	 /* one byte of module */
	cr_assert_eq(parse(ok, 16), -1); /* none */
	memcpy(t, ok, 12), t[11] = 0;
	cr_assert_eq(parse(t, 100), -1); /* sig_len 0 */
	memcpy(t, ok, 12), t[8] = t[9] = t[10] = t[11] = 0xff;
	cr_assert_eq(parse(t, 100), -1); /* wraps if added */
	memcpy(t, ok, 12), t[2] = 1;
	cr_assert_eq(parse(t, 100), -1); /* not PKCS#7 */
	for (int i = 0; i < 8; i++) {
		if (i == 2)
			continue;
		memcpy(t, ok, 12), t[i] = 1;
		cr_assert_eq(parse(t, 100), -1, "field %d", i);
	}
	cr_assert_eq(dks_sig_trailer_parse(MARK, strlen(MARK), &tr, &why), -1);
	cr_assert_eq(dks_sig_trailer_parse("", 0, &tr, &why), -1);
}

Test(fleet, garbage_in_a_well_formed_trailer_does_not_verify)
{
	char dir[] = "/tmp/dks-fleet-XXXXXX", cert[64], key[64];
	unsigned char buf[600];
	struct dks_trust *t = NULL;
	struct dks_error err = {0};
	size_t content = 0;

	cr_assert(mkdtemp(dir));
	sbt_defer_rmtree(dir);
	snprintf(cert, sizeof(cert), "%s/c.pub", dir);
	snprintf(key, sizeof(key), "%s/c.key", dir);
	sbt_must("%s generate-mok --mok-key %s --mok-cert %s >/dev/null", getenv("DKS_BIN"), key,
		 cert);
	cr_assert_eq(dks_trust_load(cert, &t, &err), 0, "%s", err.msg);
	/* 300 bytes of module, 260 of "signature": random, then a DER
	 * SEQUENCE whose length claims more than there is. */
	memset(buf, 'M', 300);
	for (int i = 0; i < 260; i++)
		buf[300 + i] = (unsigned char)(i * 37 + 11);
	memcpy(buf + 560, (unsigned char[12]){0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 4}, 12);
	memcpy(buf + 572, MARK, strlen(MARK));
	cr_assert_eq(dks_sig_verify(t, "sha256", buf, 572 + strlen(MARK), &content, "x.ko", &err),
		     -1);
	cr_assert(strstr(err.msg, "refused"), "%s", err.msg);
	buf[300] = 0x30, buf[301] = 0x84, buf[302] = 0x7f;
	cr_assert_eq(dks_sig_verify(t, "sha256", buf, 572 + strlen(MARK), &content, "x.ko", &err),
		     -1);
	dks_trust_free(t);
}

/* ---- the headerless facts -------------------------------------------------- */

Test(fleet, own_modules_that_disagree_on_vermagic_are_an_error)
{
	struct fleet x;
	struct dks_kernel_facts k;
	struct dks_error err = {0};
	char tree[700], boot[700];

	fleet(&x);
	snprintf(tree, sizeof(tree), "%s/root/lib/modules", x.f);
	snprintf(boot, sizeof(boot), "%s/boot", x.f);
	cr_assert_eq(dks_kernel_facts_host(tree, x.h.kver, boot, &k, &err), 0, "%s", err.msg);
	cr_assert(k.vermagic && strncmp(k.vermagic, x.h.kver, strlen(x.h.kver)) == 0);
	cr_assert(k.symvers_text && strstr(k.symvers_text, "\tkernel\tEXPORT_SYMBOL\n"));
	dks_kernel_facts_clear(&k);
	cr_assert_eq(sh(&x.h, "cp %s %s.2.ko", x.intree, x.intree), 0);
	snprintf(x.intree + strlen(x.intree), sizeof(x.intree) - strlen(x.intree), ".2.ko");
	patch_own(&x, other_vermagic);
	cr_assert_eq(dks_kernel_facts_host(tree, x.h.kver, boot, &k, &err), -1);
	cr_assert(strstr(err.msg, "disagree"), "%s", err.msg);
	cr_assert_eq(dks_kernel_facts_host(tree, x.h.kver, "/nonexistent", &k, &err), -1);
	cr_assert(strstr(err.msg, "no config"), "%s", err.msg);
}

Test(fleet, a_loader_validates_what_arrives_signed_with_or_without_the_certificate)
{
	struct fleet x;
	struct dks_kernel_facts k;
	struct dks_trust *t = NULL;
	struct dks_error err = {0};
	char tree[700], boot[700], cert[700];
	size_t len;
	unsigned char *b;

	fleet(&x);
	snprintf(tree, sizeof(tree), "%s/root/lib/modules", x.f);
	snprintf(boot, sizeof(boot), "%s/boot", x.f);
	snprintf(cert, sizeof(cert), "%s/trust/mok.pub", x.f);
	cr_assert_eq(dks_kernel_facts_for(NULL, tree, x.h.kver, boot, &k, &err), 0, "%s", err.msg);
	cr_assert_eq(dks_trust_load(cert, &t, &err), 0, "%s", err.msg);
	b = slurp(x.built, &len);
	cr_assert_eq(dks_module_validate_arrived(b, len, "hello", &k, t, "hello.ko", &err), 0, "%s",
		     err.msg);
	cr_assert_eq(dks_module_validate_arrived(b, len, "hello", &k, NULL, "hello.ko", &err), 0,
		     "%s", err.msg);
	b[len / 3] ^= 1; /* the signature no longer verifies; the trailer still parses */
	cr_assert_eq(dks_module_validate_arrived(b, len, "hello", &k, t, "hello.ko", &err), -1);
	cr_assert(strstr(err.msg, "does not verify"), "%s", err.msg);
	/* unsigned (the marker cut), another name: validated whole and refused */
	cr_assert_eq(dks_module_validate_arrived(b, len - 28, "other", &k, NULL, "x", &err), -1);
	free(b);
	dks_trust_free(t);
	dks_kernel_facts_clear(&k);
}

/* The flow of docs/fleet.md through archives: a builder builds hello and
 * makes an unsigned binaries-only archive; a signing host (its own trees
 * and key) loads it, validates and signs the modules, and makes a signed
 * archive (the manifest signed too); a fleet host that trusts only the
 * signing host's certificate refuses the unsigned archive, loads the
 * signed one with no compiler, headers or key, and installs the module as
 * the signing host signed it. */
Test(fleet, archives_carry_a_build_through_a_signing_host_to_a_keyless_fleet)
{
	struct fleet x;
	struct it s;
	char cert[700], signed_ko[1024], ko[1024], args[2048];

	setup(&x.h);
	cr_assert_eq(hello_on(&x.h, "build", x.h.kver, ""), 0, "%s", x.h.out);
	snprintf(args, sizeof(args),
		 "mktarball hello/1.0 -k %s --binaries-only --archive %s/unsigned.tar.gz", x.h.kver,
		 x.h.root);
	cr_assert_eq(dks(&x.h, args), 0, "%s", x.h.out);

	setup(&s);
	cr_assert_str_eq(s.kver, x.h.kver);
	snprintf(args, sizeof(args), "ldtarball %s/unsigned.tar.gz", x.h.root);
	cr_assert_eq(dks(&s, args), 0, "%s", s.out);
	cr_assert_eq(hello_on(&s, "sign", s.kver, ""), 0, "%s", s.out);
	snprintf(args, sizeof(args),
		 "mktarball hello/1.0 -k %s --binaries-only --sign --archive %s/signed.tar.gz",
		 s.kver, s.root);
	cr_assert_eq(dks(&s, args), 0, "%s", s.out);

	snprintf(cert, sizeof(cert), "%s/keys/mok.pub", s.root);
	snprintf(signed_ko, sizeof(signed_ko), "%s/dkms/hello/1.0/%s/x86_64/module/hello.ko",
		 s.root, s.kver);
	fleet_dirs(&x, cert);
	own_modules(&x, signed_ko);
	snprintf(args, sizeof(args), "ldtarball %s/unsigned.tar.gz --require-signed", x.h.root);
	cr_assert_neq(on_fleet(&x, args), 0, "an unsigned archive loaded: %s", x.h.out);
	cr_assert_neq(sh(&x.h, "ls %s/dkms/hello", x.f), 0, "something was loaded");
	snprintf(args, sizeof(args), "ldtarball %s/signed.tar.gz --require-signed", s.root);
	cr_assert_eq(on_fleet(&x, args), 0, "%s", x.h.out);
	cr_assert_eq(on_fleet(&x, "status"), 0);
	cr_assert(strstr(x.h.out, ": built"), "%s", x.h.out);
	cr_assert_eq(install(&x), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "arrived signed, verified against"), "%s", x.h.out);
	snprintf(ko, sizeof(ko), "%s/root/lib/modules/%s/updates/dkms/hello.ko", x.f, x.h.kver);
	cr_assert_eq(sh(&x.h, "modinfo -F signer %s", ko), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "dkms-sandbox module signing key"), "%s", x.h.out);
	cr_assert_eq(sh(&x.h, "cmp %s %s", ko, signed_ko), 0, "as the signing host signed it");
	cr_assert_eq(openssl_verifies(&x, ko, cert), 0, "%s", x.h.out);
	cr_assert_eq(sh(&x.h, "find %s -name '*.key' | grep .", x.f), 1, "a key: %s", x.h.out);
}

/* Taking a build over (a tree dkms left, an archive's build without our
 * handoff): a signature that verifies against the trusted certificate is
 * kept, any other is taken off, to be signed again at install. */
Test(fleet, taking_over_keeps_only_signatures_the_trusted_certificate_verifies)
{
	struct fleet x;
	struct dks_error err = {0};
	char dir[700], cert[700], other[700], ko[800];

	signing_host(&x);
	snprintf(dir, sizeof(dir), "%s/dkms/hello/1.0/%s/x86_64/module", x.h.root, x.h.kver);
	snprintf(ko, sizeof(ko), "%s/hello.ko", dir);
	snprintf(cert, sizeof(cert), "%s/keys/mok.pub", x.h.root);
	cr_assert_eq(sh(&x.h,
			"cd %s && mkdir -p other && chmod 700 other && %s generate-mok "
			"--mok-key other/mok.key --mok-cert other/mok.pub",
			x.h.root, getenv("DKS_BIN")),
		     0, "%s", x.h.out);
	snprintf(other, sizeof(other), "%s/other/mok.pub", x.h.root);
	cr_assert_eq(dks_unsign_built(dir, cert, &err), 0, "%s", err.msg);
	cr_assert_eq(sh(&x.h, "tail -c 28 %s | grep -q 'Module signature appended'", ko), 0,
		     "a signature by the trusted key was taken off");
	cr_assert_eq(dks_unsign_built(dir, other, &err), 0, "%s", err.msg);
	cr_assert_neq(sh(&x.h, "tail -c 28 %s | grep -q 'Module signature'", ko), 0,
		      "a signature by another key was kept");
}

/* A fleet host's new kernel: the kernel hook installs what arrived built
 * for it, headers or not, and says exit 21 for what would need a build. */
Test(fleet, autoinstall_without_headers_installs_what_is_built)
{
	struct fleet x;
	char args[512];

	fleet(&x);
	cr_assert_eq(sh(&x.h,
			"F=%s && echo AUTOINSTALL=yes >> $F/src/hello-1.0/dkms.conf && "
			"mkdir $F/src/nobuilt-1.0 && cp %s/src/hello-1.0/* $F/src/nobuilt-1.0/ && "
			"sed 's/=hello/=nobuilt/' $F/src/hello-1.0/dkms.conf > "
			"$F/src/nobuilt-1.0/dkms.conf && chmod -R a+rX $F/src",
			x.f, x.h.root),
		     0, "%s", x.h.out);
	snprintf(args, sizeof(args), "kernel_postinst -k %.255s", x.h.kver);
	cr_assert_eq(on_fleet(&x, args), 0, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "hello"), "%s", x.h.out);
	cr_assert_eq(sh(&x.h, "ls %s/root/lib/modules/%s/updates/dkms/hello.ko", x.f, x.h.kver), 0,
		     "not placed: %s", x.h.out);
	cr_assert_eq(on_fleet(&x, "add nobuilt/1.0"), 0, "%s", x.h.out);
	snprintf(args, sizeof(args), "autoinstall -k %.255s", x.h.kver);
	on_fleet(&x, args);
	cr_assert_eq(x.h.status, DKS_EXIT_NO_HEADERS, "%s", x.h.out);
	cr_assert(strstr(x.h.out, "nobuilt/1.0") && strstr(x.h.out, "no headers"), "%s", x.h.out);
	cr_assert(strstr(x.h.out, "hello/1.0") && strstr(x.h.out, "already installed"), "%s",
		  x.h.out);
}
