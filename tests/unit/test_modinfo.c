// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * .modinfo against its grammar (installer/modinfo.h) and what depmod
 * writes from it. The attacks are real modules: hello (tests/modules/hello)
 * with a hostile MODULE_SOFTDEP, MODULE_ALIAS, MODULE_FIRMWARE or
 * MODULE_INFO appended to its source, built in the sandbox and installed
 * into the temporary trees of insttest.h (never the machine's
 * /lib/modules). A refused module is exit 6 with one line naming the
 * module, the key and the byte, and the install tree is left exactly as it
 * was; modprobe's view of the tree (modprobe -c) never holds a line the
 * module wrote.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "installer/modinfo.h"
#include "installer/validate.h"
#include "insttest.h"
#include "sbtest.h"

TestSuite(modinfo, .fini = sbt_cleanup);

char *tv_hello_ko(const char *kver); /* test_validate.c */

/* ---- the grammar, entry by entry ------------------------------------------ */

static int check(const char *entries, size_t n, struct dks_modinfo_fault *f)
{
	return dks_modinfo_check(entries, n, f);
}

#define ENTRY(s) (s), sizeof(s) /* with its NUL */

Test(modinfo, well_formed_entries_of_real_modules_pass)
{
	static const char sec[] =
	    "license=GPL\0author=Uwe Kleine-K\xc3\xb6nig\0description=Intel(R) 82576 Virtual "
	    "Function Network Driver\0version=1.0\0firmware=amdgpu/navi10_gpu_info.bin\0"
	    "firmware=iwlwifi-cc-a0-77.ucode\0alias=pci:v00008086d000010EDsv*sd*bc*sc*i*\0"
	    "alias=fs-ext4\0alias=devname:mapper/control\0alias=char-major-10-236\0"
	    "softdep=pre: crc32c\0softdep=pre: ccm post: sd_mod crypto-crc32c\0weakdep=crc32c\0"
	    "softdep=gcm\0softdep=pre: platform:leds-gpio platform:gpio_keys_polled\0"
	    "author=Larry Finger\t<Larry.Finger@lwfinger.net>\0description=AppleTalk 0.20\n\0"
	    "parm=aspm:Set to 1 to enable ASPM (default 1)\n\0parmtype=ids:array of ushort\0"
	    "depends=jbd2,mbcache,crc16\0depends=\0srcversion=9F0D6A8EDC3C2E4B1F4A6D3\0"
	    "retpoline=Y\0intree=Y\0staging=Y\0name=ixgbevf\0import_ns=CRYPTO_INTERNAL\0"
	    "parm=debug:Debug level (0=none,...,16=all) (int)\0parmtype=debug:int\0"
	    "vermagic=6.1.0-57-amd64 SMP preempt mod_unload modversions \0"
	    "scmversion=gabcdef-dirty\0\0\0future_key=any printable text\0";
	struct dks_modinfo_fault f;

	cr_expect_eq(check(sec, sizeof(sec), &f), 0, "%s: offset %zu (%s)", f.key, f.off, f.why);
}

/* Each entry alone: the key reported, the offending offset in the value
 * (or the key), the byte. */
Test(modinfo, each_rule_names_the_key_and_the_offending_byte)
{
	static const struct {
		const char *entry;
		const char *key;
		size_t off;
		int byte; /* -1: the value ends too early */
		bool in_key;
	} cases[] = {
	    {"softdep=pre: foo\ninstall bar /bin/sh", "softdep", 8, '\n', false},
	    {"softdep=pre: a\tb", "softdep", 6, '\t', false},
	    {"softdep=pre:  foo", "softdep", 5, ' ', false},
	    {"softdep=pre: a/b", "softdep", 6, '/', false},
	    {"softdep=", "softdep", 0, -1, false},
	    {"alias=pci:v\x1b[31m*", "alias", 5, 0x1b, false},
	    {"alias=usb:v1234 x", "alias", 9, ' ', false},
	    {"alias=devname:../../etc/x", "alias", 8, '.', false},
	    {"alias=devname:/etc/x", "alias", 8, '/', false},
	    {"firmware=../../etc/shadow", "firmware", 0, '.', false},
	    {"firmware=a/../b", "firmware", 2, '.', false},
	    {"firmware=/lib/firmware/x", "firmware", 0, '/', false},
	    {"firmware=a b", "firmware", 1, ' ', false},
	    {"firmware=", "firmware", 0, -1, false},
	    {"weakdep=a  b", "weakdep", 2, ' ', false},
	    {"depends=a,,b", "depends", 2, ',', false},
	    {"depends=a;b", "depends", 1, ';', false},
	    {"name=he llo", "name", 2, ' ', false},
	    {"intree=N", "intree", 0, 'N', false},
	    {"retpoline=YY", "retpoline", 1, 'Y', false},
	    {"srcversion=12G4", "srcversion", 2, 'G', false},
	    {"import_ns=A B", "import_ns", 1, ' ', false},
	    {"parm=debug\x01:x", "parm", 5, 0x01, false},
	    {"parm=nodesc", "parm", 6, -1, false},
	    {"parmtype=x:int\n", "parmtype", 5, '\n', false},
	    {"parm=x:a\rb", "parm", 3, '\r', false},
	    {"author=a\x1b[31m", "author", 1, 0x1b, false},
	    {"description=ok\x7f", "description", 2, 0x7f, false},
	    {"author=\302\23331m", "author", 0, 0xc2, false}, /* U+009B, CSI */
	    {"license=GPL\xff", "license", 3, 0xff, false},
	    {"vermagic=6.1\t", "vermagic", 3, '\t', false},
	    {"dks_note=a\007b", "dks_note", 1, 0x07, false},
	    {"bad\x01key=x", "bad?key", 3, 0x01, true},
	    {"bad.key=x", "bad.key", 3, '.', true},
	    {"9key=x", "9key", 0, '9', true},
	    {"noequals", "noequals", 8, -1, true},
	};
	struct dks_modinfo_fault f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *e = cases[i].entry;

		cr_assert_lt(check(e, strlen(e) + 1, &f), 0, "case %zu passed", i);
		cr_expect_str_eq(f.key, cases[i].key, "case %zu", i);
		cr_expect_eq(f.off, cases[i].off, "case %zu: offset %zu", i, f.off);
		cr_expect_eq(f.in_key, cases[i].in_key, "case %zu", i);
		cr_expect_eq(f.at_end, cases[i].byte < 0, "case %zu", i);
		if (cases[i].byte >= 0)
			cr_expect_eq(f.byte, cases[i].byte, "case %zu: byte 0x%02x", i, f.byte);
		cr_expect_not_null(f.why, "case %zu", i);
	}
}

Test(modinfo, size_and_entry_count_are_bounded)
{
	size_t n = DKS_MODINFO_ENTRIES_MAX + 1, len = n * 4;
	char *sec = malloc(DKS_MODINFO_SIZE_MAX + 1);
	struct dks_modinfo_fault f;

	cr_assert_not_null(sec);
	for (size_t i = 0; i < n; i++)
		memcpy(sec + 4 * i, "a=b", 4);
	cr_expect_lt(check(sec, len, &f), 0);
	cr_expect(f.why && strstr(f.why, "entries"), "%s", f.why);
	cr_expect_eq(check(sec, len - 4, &f), 0, "%s", f.why);
	memset(sec, 0, DKS_MODINFO_SIZE_MAX + 1);
	cr_expect_lt(check(sec, DKS_MODINFO_SIZE_MAX + 1, &f), 0);
	cr_expect(f.why && strstr(f.why, "larger"), "%s", f.why);
	cr_expect_lt(check(ENTRY("a=unterminated") - 1, &f), 0, "an entry without its NUL");
	free(sec);
}

/* ---- the real module, patched ------------------------------------------------ */

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	unsigned char *buf;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size);
	cr_assert_eq(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

/* Overwrite "@old" (with its NUL) in the image by @new of the same length. */
static void patch(unsigned char *img, size_t len, const char *old, const char *new)
{
	size_t n = strlen(old) + 1;

	cr_assert_eq(strlen(new) + 1, n);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(img + i, old, n) == 0) {
			memcpy(img + i, new, n);
			return;
		}
	cr_assert_fail("no \"%s\" in the module", old);
}

/* The validator refuses the module before it is signed, with one line
 * naming the module file, the kernel, the key and the byte. */
Test(modinfo, validate_refuses_a_description_with_a_terminal_escape, .timeout = 300)
{
	char *kver = sbt_installed_kernel(), *path = tv_hello_ko(kver), headers[512];
	struct dks_kernel_facts k;
	struct dks_error err = {0};
	size_t len;
	unsigned char *img = slurp(path, &len);

	snprintf(headers, sizeof(headers), "/lib/modules/%s/build", kver);
	cr_assert_eq(dks_kernel_facts_load(headers, &k, &err), 0, "%s", err.msg);
	cr_assert_eq(dks_module_validate(img, len, "hello", &k, "hello.ko", &err), 0, "%s",
		     err.msg);
	patch(img, len, "description=Test module for dkms-sandbox",
	      "description=Test module \x1b]0;pwn\x07-sandbox");
	cr_assert_lt(dks_module_validate(img, len, "hello", &k, "hello.ko", &err), 0,
		     "an ESC in .modinfo passed");
	cr_expect(strstr(err.msg, "hello.ko for kernel ") &&
		      strstr(err.msg, ".modinfo description: byte 0x1b at offset 12 is not "
				      "allowed"),
		  "%s", err.msg);
	dks_kernel_facts_clear(&k);
	free(img);
	free(path);
	free(kver);
}

/* ---- hostile packages, end to end ---------------------------------------------- */

/* A softdep that ends its line: the rest becomes a modprobe "install" line. */
#define SMUGGLE                                                                                    \
	"MODULE_SOFTDEP(\"pre: foo\\ninstall dks_victim /bin/sh -c 'touch /tmp/dks-pwned'\");\n"

/* Append C lines to hello's source (tests/modules/hello, copied by setup). */
static void append_source(const struct it *t, const char *code)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/src/hello-1.0/hello.c", t->root);
	f = fopen(path, "a");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(code, f);
	cr_assert_eq(fclose(f), 0);
}

/* Every file of the install tree (its headers link aside) with size, mode
 * and content hash: what a refusal must leave as it was. */
static void tree_snapshot(struct it *t, char *buf, size_t size)
{
	sh(t,
	   "cd %s/root && find . -path '*/build' -prune -o -printf '%%p %%s %%m %%y\\n' | "
	   "sort && find . -path '*/build' -prune -o -type f -print0 | sort -z | "
	   "xargs -0 -r md5sum",
	   t->root);
	cr_assert_eq(t->status, 0, "%s", t->out);
	snprintf(buf, size, "%s", t->out);
}

/* hello with @code appended is refused at install: exit 6, one line with
 * @reason, nothing placed, modprobe's configuration of the tree without
 * @injected. */
static void refused_at_install(const char *code, const char *reason, const char *injected)
{
	struct it t;
	char *before = malloc(sizeof(t.out)), *after = malloc(sizeof(t.out));

	cr_assert(before && after);
	setup(&t);
	append_source(&t, code);
	/* A first depmod, so that the tree has every index a refusal must keep. */
	cr_assert_eq(sh(&t, "depmod -C %s -b %s/root %s", t.root, t.root, t.kver), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	tree_snapshot(&t, before, sizeof(t.out));
	hello_on(&t, "install", t.kver, "");
	cr_expect_eq(t.status, 6, "exit %d: %s", t.status, t.out);
	cr_expect(strstr(t.out, reason) != NULL, "no \"%s\" in: %s", reason, t.out);
	cr_expect(strstr(t.out, "dkms-sandbox: hello.ko for kernel ") != NULL, "%s", t.out);
	tree_snapshot(&t, after, sizeof(t.out));
	cr_expect_str_eq(after, before, "the install tree changed");
	sh(&t, "modprobe -c -C %s -d %s/root -S %s", t.root, t.root, t.kver);
	cr_expect(strstr(t.out, injected) == NULL, "modprobe reads \"%s\":\n%s", injected, t.out);
	dks(&t, "status");
	cr_expect(strstr(t.out, ": installed") == NULL, "%s", t.out);
	free(before);
	free(after);
}

/* The attack of issue 15: a softdep value with a newline becomes any line of
 * modules.softdep, which libkmod reads as modprobe configuration; an
 * `install` line runs as root at the next modprobe of a name the module
 * picks, even if the module is never loaded. */
Test(modinfo, install_refuses_a_softdep_that_smuggles_a_modprobe_install_line, .timeout = 300)
{
	refused_at_install(SMUGGLE, ".modinfo softdep: byte 0x0a at offset 8 is not allowed",
			   "install dks_victim");
}

Test(modinfo, install_refuses_an_alias_with_an_escape_byte, .timeout = 300)
{
	refused_at_install("MODULE_ALIAS(\"pci:v\\x1b]0;pwned\\x07*\");\n",
			   ".modinfo alias: byte 0x1b at offset 5 is not allowed", "pwned");
}

Test(modinfo, install_refuses_a_firmware_path_that_climbs_out, .timeout = 300)
{
	refused_at_install("MODULE_FIRMWARE(\"../../etc/shadow\");\n",
			   ".modinfo firmware: byte 0x2e ('.') at offset 0 is not allowed",
			   "etc/shadow");
}

Test(modinfo, install_refuses_an_unknown_key_with_a_control_byte, .timeout = 300)
{
	refused_at_install("MODULE_INFO(dks_note, \"a\\rb\");\n",
			   ".modinfo dks_note: byte 0x0d at offset 1 is not allowed", "dks_note");
}

/* A devname alias becomes a path under /dev in modules.devname, which
 * `kmod static-nodes` turns into tmpfiles lines that root runs. */
Test(modinfo, install_refuses_a_devname_alias_outside_dev, .timeout = 300)
{
	refused_at_install("MODULE_ALIAS(\"devname:../etc/dks\");\n"
			   "MODULE_ALIAS(\"char-major-10-250\");\n",
			   ".modinfo alias: byte 0x2e ('.') at offset 8 is not allowed",
			   "../etc/dks");
}

/* What the kernel's own macros make passes, and depmod's files carry it. */
Test(modinfo, install_accepts_well_formed_softdep_alias_and_firmware, .timeout = 300)
{
	struct it t;

	setup(&t);
	append_source(&t, "MODULE_SOFTDEP(\"pre: crc32c post: dks-other\");\n"
			  "MODULE_ALIAS(\"pci:v00008086d000010EDsv*sd*bc*sc*i*\");\n"
			  "MODULE_FIRMWARE(\"hello/fw-1.0.bin\");\n"
			  "MODULE_INFO(dks_note, \"Gr\xc3\xbc\xc3\x9f\x65 aus dem Test\");\n");
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	sh(&t, "cd %s/root/lib/modules/%s && cat modules.softdep modules.alias", t.root, t.kver);
	cr_expect(strstr(t.out, "softdep hello pre: crc32c post: dks-other\n") != NULL, "%s",
		  t.out);
	cr_expect(strstr(t.out, "alias pci:v00008086d000010EDsv*sd*bc*sc*i* hello\n") != NULL, "%s",
		  t.out);
}

/* ---- what depmod writes ----------------------------------------------------------- */

/* A hostile module that reached the kernel's directory some other way (an
 * older installer, another tool): depmod copies its softdep, and what it
 * wrote must not replace the kernel's index files. The install of a clean
 * module is then refused (exit 6, rolled back), naming the file and line. */
Test(modinfo, depmod_output_with_a_smuggled_line_never_replaces_the_kernels_files, .timeout = 300)
{
	struct it t;
	char *index;

	setup(&t);
	append_source(&t, SMUGGLE);
	cr_assert_eq(hello_on(&t, "build", t.kver, ""), 0, "%s", t.out);
	cr_assert_eq(sh(&t,
			"cd %s && mkdir -p root/lib/modules/%s/extra && "
			"cp dkms/hello/1.0/%s/x86_64/module/hello.ko root/lib/modules/%s/extra/"
			"evil.ko && cp %s/tests/modules/hello/hello.c src/hello-1.0/ && "
			"depmod -C %s -b root %s && grep -c dks_victim root/lib/modules/%s/"
			"modules.softdep",
			t.root, t.kver, t.kver, t.kver, getenv("DKS_SRCDIR"), t.root, t.kver,
			t.kver),
		     0, "%s", t.out);
	/* Until now depmod of the machine's own put it there: start from clean indexes. */
	sh(&t,
	   "cd %s/root/lib/modules/%s && rm modules.softdep && touch modules.softdep && "
	   "md5sum modules.*",
	   t.root, t.kver);
	index = strdup(t.out);
	cr_assert_eq(hello_on(&t, "build", t.kver, "--force"), 0, "%s", t.out);
	hello_on(&t, "install", t.kver, "");
	cr_expect_eq(t.status, 6, "exit %d: %s", t.status, t.out);
	cr_expect(strstr(t.out, "modules.softdep:3: byte 0x69 at offset 0") &&
		      strstr(t.out, "rolled back"),
		  "%s", t.out);
	sh(&t, "cd %s/root/lib/modules/%s && md5sum modules.*", t.root, t.kver);
	cr_expect_str_eq(t.out, index, "the kernel's index files changed");
	sh(&t, "modprobe -c -C %s -d %s/root -S %s", t.root, t.root, t.kver);
	cr_expect(strstr(t.out, "dks_victim") == NULL, "modprobe reads it:\n%s", t.out);
	sh(&t, "find %s/root/lib/modules -name 'hello.ko*' -o -name '.dks-depmod-*'", t.root);
	cr_expect_str_eq(t.out, "", "placed, or the view left behind");
	/* Without it, the same install goes through. */
	sh(&t, "rm %s/root/lib/modules/%s/extra/evil.ko", t.root, t.kver);
	cr_expect_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	free(index);
}

/* depmod on the view writes what depmod on the kernel's directory writes,
 * and leaves nothing behind. */
Test(modinfo, depmod_through_the_view_writes_what_depmod_writes, .timeout = 300)
{
	struct it t;
	char *ours;

	setup(&t);
	append_source(&t, "MODULE_SOFTDEP(\"pre: crc32c\");\nMODULE_ALIAS(\"dks-test\");\n");
	cr_assert_eq(hello_on(&t, "install", t.kver, ""), 0, "%s", t.out);
	sh(&t, "cd %s/root/lib/modules/%s && md5sum modules.* && ls -a ..", t.root, t.kver);
	ours = strdup(t.out);
	cr_assert_eq(sh(&t,
			"cd %s/root/lib/modules/%s && rm modules.dep* modules.alias* "
			"modules.softdep modules.symbols* modules.devname && "
			"depmod -C %s -b %s/root %s && md5sum modules.* && ls -a ..",
			t.root, t.kver, t.root, t.root, t.kver),
		     0, "%s", t.out);
	cr_expect_str_eq(ours, t.out, "depmod through the view wrote other files");
	cr_expect(strstr(ours, "modules.softdep") && !strstr(ours, ".dks-depmod"), "%s", ours);
	free(ours);
}
