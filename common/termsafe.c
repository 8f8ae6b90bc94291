// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A terminal interprets control characters as commands: ESC starts
 * sequences that set the window title, write the clipboard (OSC 52), clear
 * the screen or remap keys; C1 controls (0x80-0x9f, or U+0080..U+009F in
 * UTF-8 mode) do the same in one byte; CR and BS overwrite what was
 * printed. Whatever a module produced may hold them, so what we show an
 * administrator keeps only printable text, newline and tab.
 * include/dks/termsafe.h is the contract.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dks/termsafe.h"

#define REPLACEMENT '?'

/* Length of the UTF-8 sequence led by @b, 0 when @b cannot lead one
 * (a continuation byte, an overlong lead C0/C1, beyond U+10FFFF). */
static size_t lead_length(unsigned char b)
{
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

/* Is @b a valid next byte of the sequence started in @ts? The second
 * byte's range excludes overlong forms, surrogates and > U+10FFFF. */
static bool continues(const struct dks_termsafe *ts, unsigned char b)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (ts->n == 1) {
		switch (ts->seq[0]) {
		case 0xe0: lo = 0xa0; break;
		case 0xed: hi = 0x9f; break;
		case 0xf0: lo = 0x90; break;
		case 0xf4: hi = 0x8f; break;
		}
	}
	return b >= lo && b <= hi;
}

/* A complete sequence: U+0080..U+009F are the C1 controls (0xc2 0x80 ..
 * 0xc2 0x9f); everything else passes. */
static size_t emit_sequence(const struct dks_termsafe *ts, char *out)
{
	if (ts->n == 2 && ts->seq[0] == 0xc2 && ts->seq[1] <= 0x9f) {
		*out = REPLACEMENT;
		return 1;
	}
	memcpy(out, ts->seq, ts->n);
	return ts->n;
}

static size_t single(struct dks_termsafe *ts, unsigned char b, char *out)
{
	size_t len = lead_length(b);

	if (len) {
		ts->seq[0] = b;
		ts->n = 1;
		ts->need = len;
		return 0;
	}
	if (b == '\n' || b == '\t' || (b >= 0x20 && b < 0x7f)) {
		*out = (char)b;
		return 1;
	}
	*out = REPLACEMENT; /* C0, DEL, a raw C1 or any other stray byte */
	return 1;
}

size_t dks_termsafe_feed(struct dks_termsafe *ts, const void *in, size_t len, char *out)
{
	const unsigned char *p = in;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (!ts->need) {
			o += single(ts, p[i], out + o);
			continue;
		}
		if (!continues(ts, p[i])) {
			/* The started sequence is invalid: one replacement for
			 * it, and this byte starts afresh. */
			out[o++] = REPLACEMENT;
			ts->n = ts->need = 0;
			o += single(ts, p[i], out + o);
			continue;
		}
		ts->seq[ts->n++] = p[i];
		if (ts->n == ts->need) {
			o += emit_sequence(ts, out + o);
			ts->n = ts->need = 0;
		}
	}
	return o;
}

size_t dks_termsafe_finish(struct dks_termsafe *ts, char *out)
{
	bool open = ts->need != 0;

	ts->n = ts->need = 0;
	if (open)
		*out = REPLACEMENT;
	return open;
}

char *dks_termsafe_str(const char *s)
{
	struct dks_termsafe ts = {0};
	size_t len = strlen(s);
	char *out = malloc(DKS_TERMSAFE_OUT(len) + 1);
	size_t n;

	if (!out)
		return NULL;
	n = dks_termsafe_feed(&ts, s, len, out);
	n += dks_termsafe_finish(&ts, out + n);
	out[n] = 0;
	return out;
}
