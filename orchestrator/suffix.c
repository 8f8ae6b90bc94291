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
#include "dks/handoff.h"
#include "dks/installrec.h"
#include "suffix.h"
#include "testload_record.h"

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

/* Is <module_dir>/<dest>.ko there, in one of the forms dkms installs? */
static bool built_there(int mdir, const char *dest)
{
	static const char *const ext[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	char name[NAME_MAX + 1];
	struct stat st;

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (snprintf(name, sizeof(name), "%s%s", dest, ext[i]) < (int)sizeof(name) &&
		    fstatat(mdir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			return true;
	return false;
}

/* dkms 3.4: is a module the build's manifest names gone from its
 * module/ dir (deleted by hand)? A build without a manifest (one dkms
 * made) cannot say: no. The manifest is root's (dks/handoff.h), read
 * strictly all the same: a line that does not parse ends the reading. */
static bool built_missing(const struct dks_tree *t, const char *m, const char *v,
			  const char *kver, const char *arch)
{
	char path[PATH_MAX], line[2 * NAME_MAX + PATH_MAX + 4], dest[NAME_MAX + 1];
	cleanup_fclose FILE *f = NULL;
	cleanup_close int mdir = -1;
	bool missing = false;

	snprintf(path, sizeof(path), "%s/%s/%s/%s/%s/module", t->dkms_tree, m, v, kver, arch);
	mdir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/%s/%s/%s/%s/" DKS_MANIFEST, t->dkms_tree, m, v, kver,
		 arch);
	f = mdir >= 0 ? fopen(path, "re") : NULL;
	for (int n = 0; f && !missing && n < DKS_HANDOFF_MODULES && fgets(line, sizeof(line), f);
	     n++) {
		if (sscanf(line, "%*[^\t]\t%255[^\t\n]", dest) != 1 || strchr(dest, '/') ||
		    dest[0] == '.')
			break;
		missing = !built_there(mdir, dest);
	}
	return missing;
}

/* Installed: did a file change since the install (or go)? And our notes. */
static bool installed_differs(const struct dks_tree *t, const char *m, const char *kver,
			      const char *arch, struct dks_status *s)
{
	char path[PATH_MAX];
	struct dks_installrec r;
	bool differ = false;

	dks_installrec_path(path, sizeof(path), t, m, kver, arch);
	if (dks_installrec_read(path, &r, NULL) != 1)
		return false;
	for (size_t i = 0; i < r.n; i++)
		differ |= compare(&r.e[i].installed) != 0 || compare(&r.e[i].built) != 0;
	shadow_notes(&r, s->notes, sizeof(s->notes));
	dks_installrec_free(&r);
	return differ;
}

void dks_build_suffix(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		      const char *arch, bool installed, struct dks_status *s)
{
	char path[PATH_MAX], *buf = s->suffix;
	size_t size = sizeof(s->suffix);
	struct stat st;
	bool differ;

	buf[0] = s->notes[0] = 0;
	snprintf(path, sizeof(path), "%s/%s/original_module/%s/%s", t->dkms_tree, m, kver, arch);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(buf, size, "%s", DKS_SUFFIX_ORIGINAL);
	differ = installed && installed_differs(t, m, kver, arch, s);
	/* dkms 3.4 says one of the two, the first that holds. */
	if (built_missing(t, m, v, kver, arch))
		snprintf(buf + strlen(buf), size - strlen(buf), "%s", DKS_SUFFIX_MISSING);
	else if (differ)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s", DKS_SUFFIX_DIFFER);
	dks_tl_status_note(t, m, v, kver, arch, s);
}

/* dkms 3.0.10's words for dkms 3.4's (Debian 12's dkms). */
static const char *const words_30[][2] = {
    {DKS_SUFFIX_ORIGINAL, " (original_module exists)"},
    {DKS_SUFFIX_DIFFER, " (WARNING! Diff between built and installed module!)"},
    {DKS_SUFFIX_MISSING, " (WARNING! Missing some built modules!)"},
};

void dks_suffix_words_30(struct dks_status *s)
{
	char out[sizeof(s->suffix)] = "";

	for (size_t i = 0; i < sizeof(words_30) / sizeof(words_30[0]); i++)
		if (strstr(s->suffix, words_30[i][0]))
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s",
				 words_30[i][1]);
	memcpy(s->suffix, out, sizeof(out));
}
