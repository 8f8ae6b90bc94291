// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What dkms's do_build refuses before it runs anything of the module, in
 * its order and with its codes: a source that holds no more than its
 * dkms.conf (8), a patch whose path has a '..' part or that is not in
 * patches/ (5). (BUILD_DEPENDS, 13: depends.c.) dkms checks these at build
 * time, not at add:
 * a package with a bad patch is added, and its build fails.
 * Trusts the tree's paths; nothing of the spec's values (they are the
 * module's): they are shown through dks_termsafe_str(). Looks, never opens
 * a module file: a patch is only stat()ed (a link out of the tree is
 * found here, then dangles in the sandbox, exit 5 there).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/termsafe.h"
#include "prebuild.h"

/* dkms: fewer than two entries in the source (ls | wc -l < 2). */
int dks_prebuild_source(const char *src, struct dks_error *err)
{
	DIR *d = opendir(src);
	struct dirent *e;
	int n = 0;

	if (!d)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "%s", src);
	while (n < 2 && (e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	if (n < 2)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "The directory %s does not appear to have module source "
				    "located within it. Build halted.",
				    src);
	return 0;
}

static int bad_patch(const char *p, const char *why, const char *src, struct dks_error *err)
{
	cleanup_free char *shown = dks_termsafe_str(p);

	return dks_err_code(err, DKS_EXIT_PATCH_MISSING, 0,
			    "Patch %s as specified in dkms.conf %s%s%s", shown ? shown : "?", why,
			    src ? src : "", src ? "/patches/." : "");
}

int dks_prebuild_patches(const struct dks_spec *s, const char *src, struct dks_error *err)
{
	for (size_t i = 0; i < s->n_patches; i++) {
		const char *p = s->patches[i].file;
		cleanup_free char *path = NULL;
		struct stat st;

		/* A newline would split the driver's list of patches. */
		if (dks_has_control(p))
			return bad_patch(p, "holds a control character", NULL, err);
		if (dks_path_has_dotdot(p))
			return bad_patch(p, "contains '..' path component.", NULL, err);
		if (asprintf(&path, "%s/patches/%s", src, p) < 0)
			return dks_err(err, ENOMEM, "%s", src);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			return bad_patch(p, "cannot be found in ", src, err);
	}
	return 0;
}

int dks_prebuild_recipe(const char *path, struct dks_error *err)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
				    "%s: a symbolic link: refused (the host reads a module's "
				    "recipe only as a file of its own)",
				    path);
	return 0;
}
