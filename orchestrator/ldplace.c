// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ldtarball, place (ldtarball.h): what ldtarball.c checked goes into the
 * tree as dkms 3.0.10's load_tarball puts it, one atomic step at a time,
 * under the module's lock: the source (copied to a temporary name and
 * renamed; or dkms's binaries-only stub <m>/<v>/source/dkms.conf, made
 * under a temporary name and renamed), its link (add), then each build
 * through the tree's own stage and commit. Killed between two steps the
 * tree holds a state dkms knows (added; added and built for some
 * kernels), never half a directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/recipe.h"
#include "installer/txn.h"
#include "ldtarball.h"

/* A source already in the source tree is replaced only with --force: the
 * new copy is made beside it, then the two are exchanged. */
static int replace_source(const char *from, const char *dest, struct dks_error *err)
{
	cleanup_free char *tmp = NULL;

	if (asprintf(&tmp, "%s.dks-ld-%ld", dest, (long)getpid()) < 0)
		return dks_err(err, ENOMEM, "%s", dest);
	dks_rmtree(tmp);
	if (dks_copy_source_dir(from, tmp, err) < 0)
		return -1;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_EXCHANGE) < 0) {
		int e = errno;

		dks_rmtree(tmp);
		return dks_err(err, e, "cannot put %s in place of %s", tmp, dest);
	}
	printf("\nForcing install of %s\n", dest);
	return dks_rmtree(tmp) < 0 ? dks_err(err, errno, "%s", tmp) : 0;
}

static int place_source_tree(const struct dks_ldtarball *o, const struct dks_staged *s,
			     struct dks_error *err)
{
	cleanup_free char *from = NULL, *dest = NULL;

	if (asprintf(&from, "%s/dkms_source_tree", s->top) < 0 ||
	    asprintf(&dest, "%s/%s-%s", o->tree->source_tree, s->module, s->version) < 0)
		return dks_err(err, ENOMEM, "%s", s->module);
	if (access(dest, F_OK) == 0)
		return o->force ? replace_source(from, dest, err) : 0;
	if (dks_mkdir_p(o->tree->source_tree) < 0)
		return dks_err(err, errno, "%s", o->tree->source_tree);
	return dks_copy_source_dir(from, dest, err);
}

/* dkms's stub for binaries without their source: <m>/<v>/source/ holding
 * only the dkms.conf (a directory, not a link), unless the source is in
 * the source tree. */
static int place_stub(const struct dks_ldtarball *o, const struct dks_staged *s,
		      struct dks_error *err)
{
	cleanup_free char *vdir = NULL, *tmp = NULL, *from = NULL, *to = NULL, *src = NULL,
			  *link = NULL;

	if (asprintf(&vdir, "%s/%s/%s", o->tree->dkms_tree, s->module, s->version) < 0 ||
	    asprintf(&tmp, "%s/.source-XXXXXX", vdir) < 0 ||
	    asprintf(&from, "%s/dkms_binaries_only/dkms.conf", s->top) < 0 ||
	    asprintf(&src, "%s/%s-%s", o->tree->source_tree, s->module, s->version) < 0 ||
	    asprintf(&link, "%s/source", vdir) < 0)
		return dks_err(err, ENOMEM, "%s", s->module);
	if (access(src, F_OK) == 0 || access(link, F_OK) == 0)
		return 0;
	printf("Creating %s\n", link);
	if (dks_mkdir_p(vdir) < 0 || !mkdtemp(tmp) || chmod(tmp, 0755) < 0 ||
	    asprintf(&to, "%s/dkms.conf", tmp) < 0)
		return dks_err(err, errno, "%s", vdir);
	/* The staged file is in the DKMS tree too: a rename. */
	if (rename(from, to) < 0 || chmod(to, 0644) < 0 || rename(tmp, link) < 0) {
		int e = errno;

		dks_rmtree(tmp);
		return dks_err(err, e, "cannot make %s", link);
	}
	return 0;
}

/* The build of one kernel: the staged module/ and log/ moved into a
 * stage of the tree's, then committed as a build is. */
static int place_kernel(const struct dks_ldtarball *o, const struct dks_staged *s,
			const struct dks_loaded_kernel *k, struct dks_error *err)
{
	cleanup_free char *stage = NULL, *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	if (dks_tree_is_built(o->tree, s->module, s->version, k->kver, k->arch) && !o->force) {
		printf("%s/%s/%s/%s/%s already exists. Skipping...\n", o->tree->dkms_tree, s->module,
		       s->version, k->kver, k->arch);
		return 0;
	}
	stage = dks_tree_stage(o->tree, s->module, s->version, k->kver, k->arch, err);
	if (!stage)
		return -1;
	if (asprintf(&a, "%s/module", k->dir) < 0 || asprintf(&b, "%s/module", stage) < 0 ||
	    asprintf(&c, "%s/log", k->dir) < 0 || asprintf(&d, "%s/log", stage) < 0)
		return dks_err(err, ENOMEM, "%s", k->kver);
	/* Both parents of the renames synced (the stage's by the commit):
	 * a power cut must not leave the build in neither (check-lostwrites). */
	if (rename(a, b) < 0 || (access(c, F_OK) == 0 && rename(c, d) < 0) ||
	    dks_fsync_parent(a) < 0) {
		int e = errno;

		dks_rmtree(stage);
		return dks_err(err, e, "cannot move %s into %s", k->dir, stage);
	}
	printf("Loading %s/%s/%s/%s/%s...\n", o->tree->dkms_tree, s->module, s->version, k->kver,
	       k->arch);
	if (dks_tree_commit(o->tree, s->module, s->version, k->kver, k->arch, stage, err) < 0) {
		dks_rmtree(stage);
		return -1;
	}
	return 0;
}

static int place_all(const struct dks_ldtarball *o, const struct dks_staged *s, bool added,
		     const char *src, struct dks_error *err)
{
	if ((s->binaries_only ? place_stub(o, s, err) : place_source_tree(o, s, err)) < 0)
		return -1;
	dks_crash_point("ldtarball: source placed");
	/* The link, as add makes it, when the source is in the source tree. */
	if (!added && access(src, F_OK) == 0 &&
	    dks_tree_add(o->tree, s->module, s->version, err) < 0)
		return -1;
	dks_crash_point("ldtarball: added");
	for (size_t i = 0; i < s->n_kernels; i++) {
		if (place_kernel(o, s, &s->kernels[i], err) < 0)
			return -1;
		dks_crash_point("ldtarball: a build committed");
	}
	return 0;
}

/* A load that failed (a full disk, EIO) takes back what it added: an m/v
 * that was not there before goes again, with the source it placed, so
 * that status shows the tree as before and the same ldtarball can run
 * again (found by check-faults). Builds an m/v had are whole (commit). */
static void take_back(const struct dks_ldtarball *o, const struct dks_staged *s, bool added,
		      bool had_src, const char *src)
{
	struct dks_error ignored = {0};

	if (added)
		return;
	dks_tree_remove(o->tree, s->module, s->version, &ignored);
	if (!had_src)
		dks_rmtree(src);
}

static int place_locked(const struct dks_ldtarball *o, const struct dks_staged *s,
			struct dks_error *err)
{
	cleanup_free char *src = NULL, *link = NULL;
	bool added, had_src;
	int rc;

	if (asprintf(&src, "%s/%s-%s", o->tree->source_tree, s->module, s->version) < 0 ||
	    asprintf(&link, "%s/%s/%s/source", o->tree->dkms_tree, s->module, s->version) < 0)
		return dks_err(err, ENOMEM, "%s", s->module);
	/* added, and its link leads somewhere (add makes a dangling one again) */
	added = dks_tree_is_added(o->tree, s->module, s->version) && access(link, F_OK) == 0;
	had_src = access(src, F_OK) == 0;
	rc = place_all(o, s, added, src, err);
	if (rc < 0)
		take_back(o, s, added, had_src, src);
	return rc;
}

int dks_ldtarball_place(const struct dks_ldtarball *o, const struct dks_staged *s,
			struct dks_error *err)
{
	int lock = dks_tree_lock(o->tree, s->module, err), rc;

	if (lock < 0)
		return -1;
	rc = place_locked(o, s, err);
	dks_tree_unlock(lock);
	return rc;
}
