// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc/PID/mountinfo (proc(5)):
 *
 *   36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   id pa dev  root  target      vfs options [optional...] - type source fs options
 *
 * The kernel escapes space, tab, newline and backslash in paths as \ooo.
 * A mount point's name is chosen by whoever mounted it (in a user
 * namespace, anyone), so a line is parsed as untrusted text: split on
 * single spaces, unescaped in place only for a backslash and exactly
 * three octal digits, and a line without its fields is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "dks/mountinfo.h"

/* \ooo -> the byte, in place; anything else is kept as it is. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++, w++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w = *r;
		}
	}
	*w = 0;
}

/* The next space-separated field of *@p, NUL-terminated; NULL at the end. */
static char *field(char **p)
{
	char *f = *p, *sp;

	if (!f || !*f)
		return NULL;
	sp = strchr(f, ' ');
	if (sp) {
		*sp = 0;
		*p = sp + 1;
	} else {
		*p = NULL;
	}
	return f;
}

int dks_mountinfo_parse(char *line, struct dks_mountinfo *m)
{
	char *p = line, *f[6], *t, *source;
	int i;

	for (i = 0; i < 6 && (f[i] = field(&p)); i++)
		;
	if (i < 6)
		return -1;
	/* optional fields up to the "-" separator */
	while ((t = field(&p)) && strcmp(t, "-") != 0)
		;
	if (!t || !(m->fstype = field(&p)) || !(source = field(&p)))
		return -1;
	m->source = source;
	m->fs_opts = p ? p : "";
	m->root = f[3];
	m->target = f[4];
	m->vfs_opts = f[5];
	unescape(f[3]);
	unescape(f[4]);
	unescape(source);
	return 0;
}

int dks_mountinfo_each(const char *path, int (*fn)(const struct dks_mountinfo *m, void *arg),
		       void *arg)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	if (!f)
		return -1;
	while (ret == 0 && (n = getline(&line, &cap, f)) > 0) {
		struct dks_mountinfo m;

		if (line[n - 1] == '\n')
			line[n - 1] = 0;
		if (dks_mountinfo_parse(line, &m) == 0)
			ret = fn(&m, arg);
	}
	free(line);
	fclose(f);
	return ret;
}

static const struct {
	const char *word;
	unsigned long flag;
} opt_flags[] = {
    {"ro", MS_RDONLY},         {"nosuid", MS_NOSUID},         {"nodev", MS_NODEV},
    {"noexec", MS_NOEXEC},     {"noatime", MS_NOATIME},       {"nodiratime", MS_NODIRATIME},
    {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME},
};

unsigned long dks_mount_opts_flags(const char *opts)
{
	unsigned long flags = 0;

	while (opts && *opts) {
		size_t len = strcspn(opts, ",");

		for (size_t i = 0; i < sizeof(opt_flags) / sizeof(opt_flags[0]); i++)
			if (strlen(opt_flags[i].word) == len &&
			    strncmp(opts, opt_flags[i].word, len) == 0)
				flags |= opt_flags[i].flag;
		opts += len + (opts[len] == ',');
	}
	return flags;
}
