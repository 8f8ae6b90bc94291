// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The suffixes of an installed status line (dkms's wording): what the
 * install record says against what is in the install tree now. Status
 * presentation, outside the installer: it only reads.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/installrec.h"
#include "suffix.h"

/* 0 same, 1 different, -1 missing. The metadata first; the contents only
 * when it changed. */
static int compare(const struct dks_filestamp *s)
{
	cleanup_close int fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	if (st.st_size != s->size)
		return 1;
	if ((long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec == s->mtime_ns)
		return 0;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || dks_read_full(fd, buf, (size_t)st.st_size) != st.st_size)
		return 1;
	return dks_fnv1a64(buf, (size_t)st.st_size) != s->hash;
}

/* " (shadows in-tree ext4) (shadows built-in foo)" */
static void shadow_notes(const struct dks_installrec *r, char *buf, size_t size)
{
	for (size_t i = 0; i < r->n_shadow; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, size - used, " (shadows %s %s)",
			 r->shadow[i].builtin ? "built-in" : "in-tree", r->shadow[i].module);
	}
}

void dks_installed_suffix(const struct dks_tree *t, const char *m, const char *kver,
			  const char *arch, struct dks_status *s)
{
	char path[PATH_MAX], *buf = s->suffix;
	size_t size = sizeof(s->suffix);
	struct dks_installrec r;
	bool missing = false, differ = false;
	struct stat st;

	buf[0] = s->notes[0] = 0;
	snprintf(path, sizeof(path), "%s/%s/original_module/%s/%s", t->dkms_tree, m, kver, arch);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(buf, size, " (Original modules exist)");
	dks_installrec_path(path, sizeof(path), t, m, kver, arch);
	if (dks_installrec_read(path, &r, NULL) != 1)
		return;
	for (size_t i = 0; i < r.n; i++) {
		int inst = compare(&r.e[i].installed), built = compare(&r.e[i].built);

		missing |= inst < 0;
		differ |= inst > 0 || built != 0;
	}
	shadow_notes(&r, s->notes, sizeof(s->notes));
	dks_installrec_free(&r);
	if (differ)
		snprintf(buf + strlen(buf), size - strlen(buf),
			 " (Differences between built and installed modules)");
	if (missing)
		snprintf(buf + strlen(buf), size - strlen(buf),
			 " (Built modules are missing in the kernel modules folder)");
}
