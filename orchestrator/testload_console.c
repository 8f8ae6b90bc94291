// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VM's output, parsed (orchestrator/testload.h). Every byte of it is
 * the module's to choose (its printk, or, once it runs in the kernel,
 * anything): lines are cut at DKS_TL_LINE_MAX, at most DKS_TL_LINES_MAX
 * are kept, control characters and bad UTF-8 become '?' (common/termsafe)
 * before a line is stored, so nothing the module prints can reach a
 * terminal, the tree or a JSON reader as anything but text. The verdict
 * lines are those of the result channel tagged with this run's nonce: a
 * printk of the module goes to the other serial port, and, on this one,
 * every kernel line our /init copies is prefixed "NONCE k ", so that a
 * module that prints a marker only ever makes a kernel line.
 */
#include <stdlib.h>
#include <string.h>

#include "dks/termsafe.h"
#include "testload.h"

/* One line of @buf at *@pos (without its "\r\n"), cut to @max bytes. */
static size_t next_line(const char *buf, size_t len, size_t *pos, char *line, size_t max)
{
	const char *start = buf + *pos, *nl = memchr(start, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - start) : len - *pos;

	*pos += n + (nl != NULL);
	while (n && (start[n - 1] == '\r' || start[n - 1] == '\0'))
		n--;
	if (n > max - 1)
		n = max - 1;
	memcpy(line, start, n);
	line[n] = '\0';
	return n;
}

static void keep(struct dks_tl_console *c, const char *text)
{
	char cut[DKS_TL_LINE_MAX], *safe;

	if (c->n_lines == DKS_TL_LINES_MAX) {
		c->lines_dropped = true;
		return;
	}
	/* cut first: a character split here becomes one '?' below */
	snprintf(cut, sizeof(cut), "%s", text);
	safe = dks_termsafe_str(cut);
	if (safe)
		c->lines[c->n_lines++] = safe;
}

/* "r SLOT RC": insmod's exit code for a slot. */
static void slot_result(struct dks_tl_console *c, const char *s)
{
	char *end;
	unsigned long slot = strtoul(s, &end, 10), rc;

	if (end == s || *end != ' ' || slot >= DKS_TL_SLOTS_MAX)
		return;
	rc = strtoul(end + 1, &end, 10);
	if (*end || rc > 255)
		return;
	c->rc[slot] = (int)rc;
}

static void tagged(struct dks_tl_console *c, const char *s)
{
	if (strcmp(s, "begin") == 0)
		c->begun = true;
	else if (strcmp(s, "end") == 0 && c->begun)
		c->ended = true;
	else if (strncmp(s, "r ", 2) == 0 && c->begun && !c->ended)
		slot_result(c, s + 2);
	else if (strncmp(s, "k ", 2) == 0 && c->begun && !c->ended)
		keep(c, s + 2);
}

void dks_tl_console_parse(const char *buf, size_t len, const char *nonce,
			  struct dks_tl_console *out)
{
	size_t pos = 0, nlen = strlen(nonce);
	char line[DKS_TL_NONCE_LEN + 8 + DKS_TL_LINE_MAX];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < DKS_TL_SLOTS_MAX; i++)
		out->rc[i] = -1;
	if (nlen == 0 || nlen > DKS_TL_NONCE_LEN)
		return;
	while (pos < len) {
		next_line(buf, len, &pos, line, sizeof(line));
		if (strncmp(line, nonce, nlen) == 0 && line[nlen] == ' ')
			tagged(out, line + nlen + 1);
	}
}

static const char *const error_words[] = {
    "Unknown symbol", "disagrees about version of symbol", "Key was rejected", "is rejected",
    "version magic", "BUG:", "Oops", "general protection fault", "Kernel panic", "WARNING:", "Call Trace",
    "RIP:", "unable to handle", "soft lockup", "hung task", "invalid module format",
    "Invalid module format",
};

bool dks_tl_line_is_error(const char *line)
{
	for (size_t i = 0; i < sizeof(error_words) / sizeof(error_words[0]); i++)
		if (strstr(line, error_words[i]))
			return true;
	return false;
}

/* Count the lines, so that the last DKS_TL_LINES_MAX can be kept. */
static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n + (len && buf[len - 1] != '\n');
}

void dks_tl_console_tail(const char *buf, size_t len, struct dks_tl_console *out)
{
	size_t total = count_lines(buf, len), pos = 0, i = 0, errors = 0;
	size_t skip = total > DKS_TL_LINES_MAX / 2 ? total - DKS_TL_LINES_MAX / 2 : 0;
	char line[DKS_TL_LINE_MAX];

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < DKS_TL_SLOTS_MAX; k++)
		out->rc[k] = -1;
	/* The first error lines (an oops's first lines say what it was),
	 * then the last lines (what it was doing when the bound came). */
	while (pos < len && errors < DKS_TL_LINES_MAX / 2) {
		next_line(buf, len, &pos, line, sizeof(line));
		if (i++ < skip && dks_tl_line_is_error(line)) {
			keep(out, line);
			errors++;
		}
	}
	for (pos = 0, i = 0; pos < len; i++) {
		next_line(buf, len, &pos, line, sizeof(line));
		if (i >= skip && *line)
			keep(out, line);
	}
	out->lines_dropped = skip > errors;
}

void dks_tl_console_clear(struct dks_tl_console *c)
{
	for (size_t i = 0; i < c->n_lines; i++)
		free(c->lines[i]);
	c->n_lines = 0;
}
