// SPDX-License-Identifier: GPL-2.0-or-later
/* Regressions for what the fuzz harnesses (tests/fuzz/, docs/reliability.md
 * "Fuzzing") found; each input is also in its harness's seed corpus. */
#include <criterion/criterion.h>
#include <string.h>

#include "dks/dkmsconf.h"
#include "dks/regexcost.h"
#include "dks/spec.h"

TestSuite(fuzzregress);

/* fuzz_dkmsconf: BUILD_EXCLUSIVE_KERNEL "4" then 140 '+': glibc's regcomp
 * copies the tree once per '+', doubling: more than 1 GiB allocated. Now
 * the dkms.conf is refused (exit 8) before anything is compiled; without
 * the adjacency rule the expansion bound refuses it ("4" and 11 '+'). */
Test(fuzzregress, dkmsconf_stacked_repetitions_do_not_exhaust_memory, .timeout = 10)
{
	static const char head[] = "S\0PACKAGE_NAME\0hello\0S\0PACKAGE_VERSION\0001.0\0"
				   "A\0BUILT_MODULE_NAME\0000\0hello\0"
				   "A\0DEST_MODULE_LOCATION\0000\0/updates/dkms\0"
				   "A\0BUILD_EXCLUSIVE_KERNEL\0000\0004";
	static const struct dks_spec_target t = {.kver = "6.1.0-99-amd64", .arch = "x86_64"};
	char rec[512];
	size_t n = sizeof(head) - 1;
	struct dks_error err = {0};
	struct dks_spec *s = NULL;

	memcpy(rec, head, n);
	memset(rec + n, '+', 140);
	n += 140;
	memcpy(rec + n, "\0E\0", 3);
	n += 3;
	cr_assert_eq(dks_dkmsconf_parse(rec, n, "x/dkms.conf", &t, &s, &err), -1);
	cr_expect_eq(err.exit_code, 8);
	cr_expect(strstr(err.msg, "x/dkms.conf") && strstr(err.msg, "BUILD_EXCLUSIVE_KERNEL") &&
		      strstr(err.msg, "a repetition right after another"),
		  "%s", err.msg);
}

/* fuzz_dkmsconf: 50 bytes of optional atoms ending "Y??????++++" took
 * regcomp 9 s (under ASan past the 10 s timeout); "Y?" and 12 '+' take 51 s.
 * A repetition right after another (undefined in POSIX) is refused. */
Test(fuzzregress, regex_stacked_repetitions_are_refused_before_regcomp)
{
	static const char *const bad[] = {
	    "ACKAGG_IO?????????X??????????9?????????Y??????++++", "Y?++++++++++++", "a+*", "a?+",
	    "a*{2}", "(a){2}?",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(dks_regex_too_big(bad[i]) && strstr(dks_regex_too_big(bad[i]), "POSIX"),
			  "%s", bad[i]);
}

Test(fuzzregress, regex_cost_accepts_what_dkms_conf_files_use)
{
	static const char *const ok[] = {
	    "^6\\.", "^(5\\.(1[5-9]|[2-9][0-9])|6\\.)", "^[[:digit:]]{1,3}\\.", "x86_64|aarch64",
	    "a{200}", "^4\\.(4|9|14|19)\\.[0-9]+-[0-9]+-(amd64|arm64)$", "[]a]*", "a{2,}b{,3}",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_expect_null(dks_regex_too_big(ok[i]), "%s", ok[i]);
}

Test(fuzzregress, regex_cost_refuses_multiplying_repetitions)
{
	static const char *const bad[] = {
	    "4++++++++++++++", "a{18446744073709551615,}", "(a{40}){40}", "(a{40,}){40,}", "(a{,40}){,40}", "(a?){1000}", "((a*)*){5000}", "a{99999}", "((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)+)+)+)+",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_not_null(dks_regex_too_big(bad[i]), "%s", bad[i]);
}
