// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON strings as we write them (dks/json.h). */
#include <stdint.h>

#include "dks/json.h"
#include "dks/utf8.h"

void dks_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*p) {
		uint32_t cp;
		/* Names come from the filesystem, any bytes; JSON must be UTF-8. */
		size_t len = dks_utf8_decode(p, 4, &cp);

		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (len)
			fwrite(p, 1, len, out);
		else
			fputs("\\ufffd", out);
		p += len ? len : 1;
	}
	fputc('"', out);
}
