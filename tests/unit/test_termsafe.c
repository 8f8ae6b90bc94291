// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "termsafe": common/termsafe.c, what a module's bytes become before
 * they reach a terminal. Pure: buffers in, buffers out.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dks/termsafe.h"

/* Feed @in in chunks of @chunk bytes (0: whole) and finish. */
static size_t filter(const char *in, size_t len, size_t chunk, char *out)
{
	struct dks_termsafe ts = {0};
	size_t o = 0;

	if (!chunk)
		chunk = len ? len : 1;
	for (size_t i = 0; i < len; i += chunk)
		o += dks_termsafe_feed(&ts, in + i, len - i < chunk ? len - i : chunk, out + o);
	o += dks_termsafe_finish(&ts, out + o);
	out[o] = 0;
	return o;
}

static void expect(const char *in, size_t len, const char *want)
{
	char out[256];

	for (size_t chunk = 0; chunk <= 4; chunk++) {
		filter(in, len, chunk, out);
		cr_expect_str_eq(out, want, "chunks of %zu", chunk);
	}
}

#define EXPECT(lit, want) expect((lit), sizeof(lit) - 1, (want))

Test(termsafe, printable_ascii_newline_and_tab_pass)
{
	EXPECT("make -C /lib/modules\n\tCC [M] a.o\n", "make -C /lib/modules\n\tCC [M] a.o\n");
}

Test(termsafe, c0_controls_and_del_are_replaced)
{
	EXPECT("a\033]52;c;SGVsbG8=\007b", "a?]52;c;SGVsbG8=?b");
	EXPECT("\033]0;title\007\033[2J\r\b\x7f\x01", "?]0;title??[2J????");
	EXPECT("nul\0here", "nul?here");
}

Test(termsafe, raw_c1_bytes_are_replaced)
{
	EXPECT("x\x9b"
	       "2Jy\x9d"
	       "0;t\x9c",
	       "x?2Jy?0;t?");
}

Test(termsafe, utf8_c1_controls_are_replaced)
{
	/* U+009B (CSI) and U+009D (OSC) as UTF-8. */
	EXPECT("a\xc2\x9b"
	       "2Jb\xc2\x9d",
	       "a?2Jb?");
	/* U+00A0 .. is printable: it stays. */
	EXPECT("\xc2\xa0\xc3\xa9", "\xc2\xa0\xc3\xa9");
}

Test(termsafe, valid_utf8_passes_even_split_between_reads)
{
	/* gcc's quotes, a CJK character and an emoji. */
	const char s[] = "warning: \xe2\x80\x98x\xe2\x80\x99 \xe6\xbc\xa2 \xf0\x9f\x98\x80\n";

	EXPECT(s, s);
}

Test(termsafe, invalid_utf8_is_replaced)
{
	EXPECT("a\x80z", "a?z");	    /* stray continuation */
	EXPECT("a\xe2\x80z", "a?z");	    /* truncated sequence */
	EXPECT("a\xc0\x9b", "a??");	    /* overlong ESC-like */
	EXPECT("a\xe0\x80\x9b", "a???");    /* overlong C1 */
	EXPECT("\xed\xa0\x80", "???");	    /* a surrogate */
	EXPECT("\xf4\x90\x80\x80", "????"); /* beyond U+10FFFF */
	EXPECT("\xff\xfe", "??");
	EXPECT("end\xe2\x80", "end?");	/* cut at the end of the stream */
	EXPECT("\xe2\x1b[2J", "??[2J"); /* ESC inside a sequence */
}

Test(termsafe, output_fits_the_documented_room)
{
	struct dks_termsafe ts = {0};
	char out[DKS_TERMSAFE_OUT(1)];

	/* Three bytes pending, then one that completes them: 4 out of 1 in. */
	cr_assert_eq(dks_termsafe_feed(&ts, "\xf0\x9f\x98", 3, out), 0);
	cr_assert_eq(dks_termsafe_feed(&ts, "\x80", 1, out), 4);
	cr_assert_eq(memcmp(out, "\xf0\x9f\x98\x80", 4), 0);
}

Test(termsafe, strings_are_filtered_whole)
{
	char *s = dks_termsafe_str("mod\033[31m/1.0\xc2\x9b");

	cr_assert_str_eq(s, "mod?[31m/1.0?");
	free(s);
}
