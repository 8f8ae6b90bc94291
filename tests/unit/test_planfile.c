// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A plan file is untrusted input (docs/security.md, "Plan files"): the
 * parser (dks_plan_parse, bytes in, so it can be fuzzed) refuses every
 * class of malformed or hostile plan with one line naming the file, the
 * line and what is wrong, and reads a good one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/plan.h"
#include "sbtest.h"

TestSuite(planfile, .fini = sbt_cleanup);

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define INPUTS                                                                                     \
	"\"inputs\": {\"source\": \"" D64 "\", \"spec\": \"" D64 "\", \"toolchain\": \"" D64       \
	"\", \"vermagic\": \"6.1.0 SMP mod_unload\", \"config\": \"" D64 "\", \"symvers\": \"\", "        \
	"\"vmlinux\": \"" D64 "\"}"
#define UNIT(i, m, k)                                                                              \
	"{\"index\": " #i ", \"module\": \"" m "\", \"version\": \"1.0\", "                        \
	"\"kernel\": \"" k "\", \"arch\": \"x86_64\", \"digest\": \"" D64 "\",\n " INPUTS "}"
#define HEAD                                                                                       \
	"{\"format\": \"dkms-sandbox-plan\", \"version\": 2, \"trees\": {\"dkmstree\": "           \
	"\"/var/lib/dkms\", \"sourcetree\": \"/usr/src\", \"installtree\": \"/lib/modules\"},\n"   \
	"\"profile\": \"default\", \"toolchain\": \"host\",\n"
#define GOOD                                                                                       \
	HEAD "\"units\": [" UNIT(0, "a", "6.1.0-1-amd64") ",\n" UNIT(                              \
	    1, "a",                                                                                \
	    "6.1.0-2-amd64") "],\n\"excluded\": [{\"module\": \"x\", \"version\": \"1\", "         \
			     "\"kernel\": \"6.1.0-1-amd64\", "                                     \
			     "\"arch\": \"x86_64\", \"reason\": \"BUILD_EXCLUSIVE_KERNEL\"}]}\n"

static int parse(const char *text, struct dks_error *err)
{
	struct dks_plan *p = NULL;
	int ret = dks_plan_parse(text, strlen(text), "p.json", &p, err);

	dks_plan_free(p);
	return ret;
}

Test(planfile, a_good_plan_is_read)
{
	struct dks_plan *p = NULL;
	struct dks_error err = {0};

	cr_assert_eq(dks_plan_parse(GOOD, strlen(GOOD), "p.json", &p, &err), 0, "%s", err.msg);
	cr_expect_eq(p->n_units, 2);
	cr_expect_str_eq(p->units[1].kernel, "6.1.0-2-amd64");
	cr_expect_str_eq(p->units[0].symvers, "");
	cr_expect_str_eq(p->excluded[0].reason, "BUILD_EXCLUSIVE_KERNEL");
	dks_plan_free(p);
}

/* GOOD with its first @from replaced by @to. */
static char *mutate(const char *from, const char *to)
{
	const char *at = strstr(GOOD, from);
	char *s;

	cr_assert_not_null(at, "%s", from);
	cr_assert(asprintf(&s, "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from)) > 0);
	return s;
}

Test(planfile, every_class_of_malformed_plan_is_refused_naming_what)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
	    /* JSON itself */
	    {"]}\n", "]", "p.json:7: expected ',' or '}'"},
	    {"\"a\", \"version\"", "\"a\",, \"version\"", "expected a string key"},
	    {"\"x86_64\", \"digest\"", "\"x86_64\", \"arch\": \"y\", \"digest\"",
	     "the key \"arch\" twice"},
	    {"\"1.0\"", "\"1.\\u0000\"", "a NUL (\\u0000) in a string"},
	    {"\"1.0\"", "\"1.\\ud800\"", "a lone UTF-16 surrogate"},
	    {"\"1.0\"", "\"1.\xc0\xaf\"", "a string that is not UTF-8"},
	    {"\"1.0\"", "\"1.\t0\"", "a control character in a string"},
	    {"\"1.0\"", "\"1.\\q\"", "an unknown escape"},
	    {"\"index\": 0", "\"index\": 0.5", "only integers"},
	    {"\"index\": 0", "\"index\": 00", "a leading zero"},
	    {"\"index\": 0", "\"index\": 99999999999999999999", "out of range"},
	    {"\"version\": 2,", "\"version\": 2, /* c */", "expected a string key"},
	    {"]}\n", "]} x", "something after the JSON value"},
	    {"]}\n", "],}", "a trailing comma"},
	    /* the plan's own rules */
	    {"dkms-sandbox-plan", "dkms-plan", "format: not \"dkms-sandbox-plan\""},
	    {"\"version\": 2,", "\"version\": 1,", "version: not 2"},
	    {"\"vmlinux\": \"0", "\"vmlinux\": \"X", "\"vmlinux\" is not a sha256"},
	    {", \"vmlinux\": \"" D64 "\"", "", "no \"vmlinux\""},
	    {"\"profile\"", "\"extra\": 1, \"profile\"", "plan: unknown key \"extra\""},
	    {"\"module\": \"a\"", "\"module\": \"../a\"", "units[0]: module"},
	    {"\"module\": \"a\"", "\"module\": \".a\"", "units[0]: module"},
	    {"\"module\": \"a\"", "\"module\": 7", "\"module\" is an integer, not a string"},
	    {"\"kernel\": \"6.1.0-1-amd64\"", "\"kernel\": \"a/b\"", "units[0]: kernel"},
	    {"\"index\": 0", "\"index\": 1", "units[0]: \"index\" is not 0"},
	    {"\"digest\": \"0", "\"digest\": \"X", "\"digest\" is not a sha256"},
	    {"\"symvers\": \"\"", "\"symvers\": \"abc\"", "\"symvers\" is not a sha256"},
	    {"\"source\": \"" D64 "\"", "\"source\": \"\"", "\"source\" is not a sha256"},
	    {"\"6.1.0-2-amd64\"", "\"6.1.0-1-amd64\"", "units: [1] is not after [0]"},
	    {"[{\"module\": \"x\", \"version\": \"1\", \"kernel\": \"6.1.0-1-amd64\", \"arch\": "
	     "\"x86_64\", \"reason\": \"BUILD_EXCLUSIVE_KERNEL\"}]",
	     "\"none\"", "excluded: a string, not an array"},
	    {", \"reason\": \"BUILD_EXCLUSIVE_KERNEL\"", "", "excluded[0]: no \"reason\""},
	    {"\"trees\": {\"dkmstree\": \"/var/lib/dkms\", ", "\"trees\": {",
	     "trees: no \"dkmstree\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = mutate(cases[i].from, cases[i].to);
		struct dks_error err = {0};

		cr_expect_eq(parse(text, &err), -1, "case %zu (%s) accepted", i, cases[i].want);
		cr_expect(strstr(err.msg, cases[i].want) != NULL, "case %zu: want '%s' in '%s'", i,
			  cases[i].want, err.msg);
		cr_expect(strncmp(err.msg, "plan p.json:", 12) == 0, "case %zu: '%s'", i, err.msg);
		free(text);
	}
}

Test(planfile, bounds_refuse_deep_nesting_long_strings_many_keys_and_big_files)
{
	struct dks_error err = {0};
	char *s = calloc(1, 1 << 16);
	size_t n = 0;

	for (int i = 0; i < 40; i++)
		s[n++] = '[';
	cr_expect_eq(parse(s, &err), -1);
	cr_expect(strstr(err.msg, "nested deeper than 16") != NULL, "%s", err.msg);
	strcpy(s, "\"");
	memset(s + 1, 'a', 5000);
	strcpy(s + 5001, "\"");
	cr_expect_eq(parse(s, &err), -1);
	cr_expect(strstr(err.msg, "a string longer than 4096 bytes") != NULL, "%s", err.msg);
	n = (size_t)sprintf(s, "{");
	for (int i = 0; i < 70; i++)
		n += (size_t)sprintf(s + n, "%s\"k%d\": 0", i ? ", " : "", i);
	strcpy(s + n, "}");
	cr_expect_eq(parse(s, &err), -1);
	cr_expect(strstr(err.msg, "more than 64 keys") != NULL, "%s", err.msg);
	/* a length past the bound is refused before a byte is read */
	cr_expect_eq(dks_plan_parse(s, (size_t)DKS_PLAN_MAX_BYTES + 1, "p.json",
				    &(struct dks_plan *){0}, &err),
		     -1);
	cr_expect(strstr(err.msg, "at most") != NULL, "%s", err.msg);
	free(s);
}

Test(planfile, a_file_that_is_too_big_or_not_regular_is_refused)
{
	char *dir = sbt_mkdtemp(NULL), path[512];
	struct dks_plan *p = NULL;
	struct dks_error err = {0};

	sbt_defer_rmtree(dir);
	snprintf(path, sizeof(path), "%s/big.json", dir);
	sbt_must("truncate -s 17M %s", path);
	cr_expect_eq(dks_plan_load(path, &p, &err), -1);
	cr_expect(strstr(err.msg, "bytes: at most") != NULL, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	sbt_must("mkfifo %s", path);
	cr_expect_eq(dks_plan_load(path, &p, &err), -1);
	cr_expect(strstr(err.msg, "not a regular file") != NULL, "%s", err.msg);
	free(dir);
}

/* Not a fuzzer, a smoke test of one: every truncation of a good plan, and
 * random byte changes (a fixed seed), parse to 0 or -1 with a line, never
 * crash (the ASan build, make check-asan, also sees every access). */
Test(planfile, truncations_and_random_mutations_are_refused_cleanly)
{
	const size_t len = strlen(GOOD);
	char *buf = malloc(len + 1);
	unsigned seed = 10;

	for (size_t n = 0; n + 1 < len; n++) { /* GOOD ends "}\n" */
		struct dks_error err = {0};
		struct dks_plan *p = NULL;

		cr_expect_eq(dks_plan_parse(GOOD, n, "p.json", &p, &err), -1, "%zu bytes parsed",
			     n);
		cr_expect(err.msg[0], "%zu bytes: no message", n);
	}
	for (int i = 0; i < 20000; i++) {
		struct dks_error err = {0};
		struct dks_plan *p = NULL;
		int ret;

		memcpy(buf, GOOD, len + 1);
		for (int k = 0; k < 1 + i % 4; k++)
			buf[rand_r(&seed) % len] = (char)(rand_r(&seed) & 0xff);
		ret = dks_plan_parse(buf, len, "p.json", &p, &err);
		cr_expect(ret == 0 ? p != NULL : p == NULL && err.msg[0], "mutation %d", i);
		dks_plan_free(p);
	}
	free(buf);
}
