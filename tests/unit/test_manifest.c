// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "manifest": the archive manifest's one parser (common/manifest.c)
 * on bytes: what it writes it reads back the same; every rule is a refusal
 * naming the line; and every cut and every one-byte change of a valid
 * manifest is parsed or refused, never anything else (run it under
 * check-asan to see memory errors).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/manifest.h"

TestSuite(manifest);

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define GOOD                                                                                     \
	"format 1\nmodule hello\nversion 1.0\nkernel 6.1.0-99-amd64/x86_64\n"                   \
	"vermagic 6.1.0-99-amd64 SMP preempt mod_unload modversions \nconfig " HEX "\n"          \
	"symvers " HEX "\nvmlinux " HEX "\ntoolchain " HEX " gcc 12\nsource " HEX "\nspec -\nunit -\n"             \
	"ko module/a.ko " HEX " -\nko module/b.ko " HEX " CN=Fleet signer\nend\n"

static int parse(const char *text, struct dks_manifest **m, struct dks_error *err)
{
	return dks_manifest_parse(text, strlen(text), "test", m, err);
}

Test(manifest, what_is_written_reads_back_the_same)
{
	struct dks_manifest *m = NULL;
	struct dks_error err = {0};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(parse(GOOD, &m, &err), 0, "%s", err.msg);
	cr_expect_str_eq(m->kernels[0].vermagic, "6.1.0-99-amd64 SMP preempt mod_unload modversions ");
	cr_expect_str_eq(m->kernels[0].kos[1].signer, "CN=Fleet signer");
	cr_expect_null(m->kernels[0].kos[0].signer);
	cr_expect_str_eq(m->kernels[0].spec, "");
	f = open_memstream(&out, &len);
	cr_assert_eq(dks_manifest_write(f, m), 0);
	fclose(f);
	cr_expect_str_eq(out, GOOD);
	free(out);
	dks_manifest_free(m);
}

/* An archive made before the vmlinux line is read, without one. */
Test(manifest, an_archive_without_the_vmlinux_line_is_read_as_not_stating_it)
{
	const char *at = strstr(GOOD, "vmlinux "), *nl = strchr(at, '\n');
	struct dks_manifest *m = NULL;
	struct dks_error err = {0};
	char text[4096], *out = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(text, sizeof(text), "%.*s%s", (int)(at - GOOD), GOOD, nl + 1);
	cr_assert_eq(parse(text, &m, &err), 0, "%s", err.msg);
	cr_expect_str_eq(m->kernels[0].vmlinux, "");
	f = open_memstream(&out, &len);
	cr_assert_eq(dks_manifest_write(f, m), 0);
	fclose(f);
	cr_expect(strstr(out, "\nvmlinux -\n"), "%s", out);
	free(out);
	dks_manifest_free(m);
}

struct bad {
	const char *from, *to, *words;
};

/* GOOD with @from replaced by @to is refused with @words. */
static void refused(const struct bad *b)
{
	char text[4096];
	const char *at = strstr(GOOD, b->from);
	struct dks_manifest *m = NULL;
	struct dks_error err = {0};

	cr_assert(at, "'%s' not in the manifest", b->from);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - GOOD), GOOD, b->to, at + strlen(b->from));
	cr_expect_lt(parse(text, &m, &err), 0, "accepted with '%s' -> '%s'", b->from, b->to);
	cr_expect(strstr(err.msg, b->words), "'%s' -> '%s': '%s' not in: %s", b->from, b->to,
		  b->words, err.msg);
	cr_expect(strncmp(err.msg, "test:", 5) == 0, "no line number: %s", err.msg);
	cr_expect_null(m);
}

Test(manifest, every_rule_is_a_refusal_naming_the_line)
{
	static const struct bad cases[] = {
	    {"format 1", "format 2", "not 'format 1'"},
	    {"spec -\n", "spec -\nspec -\n", "'spec' repeated"},
	    {"spec -\n", "", "has no 'spec'"},
	    {"unit -\n", "unit -\nowner root\n", "unknown key 'owner'"},
	    {"source " HEX, "source " HEX "0", "not a sha256"},
	    {"source " HEX, "source ABCDEF", "not a sha256"},
	    {"end\n", "", "no 'end' line"},
	    {"end\n", "end\nmore\n", "text after 'end'"},
	    {"end\n", "end", "no newline"},
	    {"module hello", "module hel\x1blo", "control character"},
	    {"module hello\n", "module hello\r\n", "control character"},
	    {"module hello", "module ../x", "not a module name"},
	    {"module hello", "module .hidden", "not a module name"},
	    {"version 1.0\n", "version 1.0\nversion 2.0\n", "repeated"},
	    {"kernel 6.1.0-99-amd64/x86_64", "kernel 6.1.0-99-amd64", "KVER/ARCH"},
	    {"kernel 6.1.0-99-amd64/x86_64", "kernel ../../etc/x86_64", "KVER/ARCH"},
	    {"ko module/a.ko", "ko module/../a.ko", "not module/NAME.ko"},
	    {"ko module/a.ko", "ko /lib/a.ko", "not module/NAME.ko"},
	    {"ko module/a.ko", "ko module/a.so", "not module/NAME.ko"},
	    {"ko module/b.ko", "ko module/a.ko", "listed twice"},
	    {"ko module/a.ko " HEX " -", "ko module/a.ko - -", "needs its sha256"},
	    {"ko module/a.ko " HEX " -", "ko module/a.ko " HEX, "SIGNER"},
	    {"ko module/a.ko " HEX " -\nko module/b.ko " HEX " CN=Fleet signer\n", "",
	     "lists no module"},
	    {"module hello\n", "", "'kernel' before 'module'"},
	    {"format 1\n", "format 1\n\n", "empty line"},
	    {"vermagic", " vermagic", "empty line or leading space"},
	    {"vmlinux " HEX, "vmlinux " HEX "\nvmlinux -", "'vmlinux' repeated"},
	    {"vmlinux " HEX, "vmlinux yes", "not a sha256"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(&cases[i]);
}

Test(manifest, a_kernel_listed_twice_and_nul_bytes_are_refused)
{
	char text[8192];
	struct dks_manifest *m = NULL;
	struct dks_error err = {0};
	const char *k = strstr(GOOD, "kernel ");
	size_t head = (size_t)(k - GOOD), body = strlen(GOOD) - head - 4; /* without "end\n" */

	snprintf(text, sizeof(text), "%.*s%.*s%send\n", (int)(head + body), GOOD, (int)body, k, "");
	cr_expect_lt(parse(text, &m, &err), 0);
	cr_expect(strstr(err.msg, "listed twice"), "%s", err.msg);
	memcpy(text, GOOD, strlen(GOOD));
	text[10] = '\0';
	cr_expect_lt(dks_manifest_parse(text, strlen(GOOD), "test", &m, &err), 0);
	cr_expect(strstr(err.msg, "NUL"), "%s", err.msg);
}

Test(manifest, larger_than_the_cap_is_refused_before_reading)
{
	struct dks_manifest *m = NULL;
	struct dks_error err = {0};

	cr_expect_lt(dks_manifest_parse(GOOD, DKS_MANIFEST_MAX + 1, "test", &m, &err), 0);
	cr_expect(strstr(err.msg, "larger than"), "%s", err.msg);
}

/* Every prefix, and every byte replaced by a few hostile values: parsed
 * or refused with a message, no crash, nothing left allocated on refusal. */
Test(manifest, every_cut_and_every_changed_byte_is_parsed_or_refused)
{
	static const char values[] = {'\0', '\n', ' ', '/', '.', 'z', '\x80', '\x7f'};
	size_t n = strlen(GOOD);
	char *buf = malloc(n);

	cr_assert(buf);
	for (size_t cut = 0; cut <= n; cut++) {
		struct dks_manifest *m = NULL;
		struct dks_error err = {0};
		int rc = dks_manifest_parse(GOOD, cut, "cut", &m, &err);

		cr_expect(rc == 0 ? cut == n : err.msg[0] != '\0', "cut at %zu: rc %d", cut, rc);
		dks_manifest_free(m);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t v = 0; v < sizeof(values); v++) {
			struct dks_manifest *m = NULL;
			struct dks_error err = {0};

			memcpy(buf, GOOD, n);
			buf[i] = values[v];
			if (dks_manifest_parse(buf, n, "byte", &m, &err) < 0)
				cr_expect(err.msg[0] && !m, "byte %zu: refused without a message", i);
			dks_manifest_free(m);
		}
	free(buf);
}
