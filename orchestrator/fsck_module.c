// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsck of one module dir, under the module's lock (no add, commit,
 * unbuild, remove or install of it runs meanwhile, so its hidden
 * leftovers are dead): <m>/kernel-* links, journals, each version's
 * hidden leftovers and builds (their handoff manifest, read as install
 * reads it). What status says (a broken version, installed files that
 * differ from the install record, built modules gone) comes from
 * dks_tree_status, the reader status uses.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/fileio.h"
#include "dks/handoff.h"
#include "dks/installer.h"
#include "dks/treename.h"
#include "fsck.h"
#include "jobtime.h"
#include "suffix.h"

typedef int (*entry_fn)(struct dks_fsck *f, const char *dir, const char *name,
			struct dks_error *err);

/* Every entry of @dir but . and .. through @fn; a missing dir is empty. */
static int each(struct dks_fsck *f, const char *dir, entry_fn fn, struct dks_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0
							   : dks_err(err, errno, "cannot read %s", dir);
	while (ret == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ret = fn(f, dir, e->d_name, err);
	closedir(d);
	return ret;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int leftover(struct dks_fsck *f, const char *path, const char *what,
		    struct dks_error *err)
{
	return dks_fsck_report(f, path, what, "fsck --repair removes it", dks_rmtree, err);
}

/* <m>/<v>/<kver>/<arch>/module/: an unsign's .replace-* that was cut short. */
static int module_entry(struct dks_fsck *f, const char *dir, const char *name,
			struct dks_error *err)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (starts(name, ".replace-"))
		return leftover(f, path, "the leftover of a signature removal that was cut short",
				err);
	return 0;
}

static int manifest_check(struct dks_fsck *f, const char *build, struct dks_error *err)
{
	char path[PATH_MAX * 2 + 16];
	struct dks_error merr = {0};
	struct stat st;

	snprintf(path, sizeof(path), "%s/" DKS_MANIFEST, build);
	/* No manifest: a build dkms made (install takes it over), not damage. */
	if (lstat(path, &st) < 0 || dks_build_manifest_check(build, build, &merr) == 0)
		return 0;
	return dks_fsck_report(f, path, merr.msg[0] ? merr.msg : "unreadable",
			       "unbuild this kernel and build it again", NULL, err);
}

static int build_entry(struct dks_fsck *f, const char *dir, const char *name,
		       struct dks_error *err)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (starts(name, ".preflight-failed.") && dks_fsck_pid_dead(name, ".preflight-failed."))
		return leftover(f, path, "a preflight record whose writer is gone", err);
	if (starts(name, ".adopt-"))
		return leftover(f, path, "the leftover of a takeover that was cut short", err);
	if (strcmp(name, "module") == 0)
		return each(f, path, module_entry, err);
	return 0;
}

/* <m>/<v>/<kver>/: commit's .new-* and .old-*, and each arch's build. */
static int kernel_entry(struct dks_fsck *f, const char *dir, const char *name,
			struct dks_error *err)
{
	char path[PATH_MAX * 2], mod[PATH_MAX * 2 + 8];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(mod, sizeof(mod), "%s/module", path);
	if (starts(name, ".new-") || starts(name, ".old-"))
		return leftover(f, path, "the leftover of a commit or unbuild that was cut short",
				err);
	if (name[0] == '.' || !is_dir(path))
		return 0;
	ret = each(f, path, build_entry, err);
	if (ret == 0 && is_dir(mod))
		ret = manifest_check(f, path, err);
	return ret;
}

/* <m>/<v>/: add's .link-*, unbuild's .old-*, ldtarball's .source-*, a
 * build-time record's .last-build-ms-<pid>-* whose writer is gone. A
 * .stage-* may be a build running now (builds stage unlocked): only
 * unbuild and remove drop those. */
static int version_entry(struct dks_fsck *f, const char *dir, const char *name,
			 struct dks_error *err)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (starts(name, ".link-") || starts(name, ".old-") || starts(name, ".source-"))
		return leftover(f, path, "the leftover of a write that was cut short", err);
	if (dks_tree_name_pid_gone(name, DKS_JOBTIME_FILE "-") != 0)
		return leftover(f, path, "a build-time record whose writer is gone", err);
	if (name[0] == '.' || strcmp(name, "source") == 0 || strcmp(name, "tarball") == 0 ||
	    !is_dir(path))
		return 0;
	return each(f, path, kernel_entry, err);
}

/* <m>/kernel-<kver>-<arch> -> <v>/<kver>/<arch>: the build must be there. */
static int check_link(struct dks_fsck *f, const char *dir, const char *name,
		      struct dks_error *err)
{
	char path[PATH_MAX * 2], target[PATH_MAX], build[PATH_MAX * 3 + 16];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0; /* not a link: status ignores it too */
	target[n] = 0;
	snprintf(build, sizeof(build), "%s/%s/module", dir, target);
	if (target[0] != '/' && !strstr(target, "..") && is_dir(build))
		return 0;
	return dks_fsck_report(f, path, "installed, but the build it names is not there",
			       "fsck --repair drops the link", (int (*)(const char *))unlink, err);
}

/* .txn-<kver>-<arch> -> @kver (size NAME_MAX + 1), @arch; both must be
 * names the tree allows (a planted name must not reach the installer). */
static bool journal_kernel(const char *name, char *kver, const char **arch)
{
	char *dash;

	snprintf(kver, NAME_MAX + 1, "%s", name + strlen(".txn-"));
	dash = strrchr(kver, '-');
	if (!dash || dash == kver)
		return false;
	*dash = 0;
	*arch = dash + 1;
	return dks_tree_check_name("kernel", kver, NULL) == 0 &&
	       dks_tree_check_name("arch", *arch, NULL) == 0;
}

/* <m>/.txn-<kver>-<arch>: an install or uninstall cut short; --repair
 * finishes or rolls it back as the installer's next run would. */
static int journal(struct dks_fsck *f, const char *dir, const char *name,
		   struct dks_error *err)
{
	const char *what = "an install or uninstall was cut short", *arch = NULL;
	char path[PATH_MAX * 2], kver[NAME_MAX + 1];
	struct dks_error rerr = {0};
	bool named = journal_kernel(name, kver, &arch);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f->found++;
	if (!f->repair) {
		printf("%s: %s: fsck --repair, or the next install or uninstall of this kernel, "
		       "finishes it\n", path, what);
		return 0;
	}
	if (!named)
		snprintf(rerr.msg, sizeof(rerr.msg), "not a journal name the installer makes");
	else if (dks_install_recover(f->t, strrchr(dir, '/') + 1,
				     &(struct dks_target){.kver = kver, .arch = (char *)arch},
				     f->opts, &rerr) == 0) {
		f->repaired++;
		printf("%s: %s: repaired\n", path, what);
		return 0;
	}
	printf("%s: %s: cannot repair: %s\n", path, what, rerr.msg);
	return 0;
}

static int module_entry_top(struct dks_fsck *f, const char *dir, const char *name,
			    struct dks_error *err)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (starts(name, "kernel-"))
		return check_link(f, dir, name, err);
	/* A journal's write cut short (installer/txn.c writes <path>.dks-new,
	 * then renames it): no transaction it names began. Before .txn-: its
	 * name is no journal's (check-lostwrites' random states left one). */
	if (starts(name, ".txn-") && strlen(name) > strlen(".dks-new") &&
	    strcmp(name + strlen(name) - strlen(".dks-new"), ".dks-new") == 0)
		return leftover(f, path, "the leftover of a journal write that was cut short", err);
	if (starts(name, ".txn-"))
		return journal(f, dir, name, err);
	if (starts(name, ".add-"))
		return leftover(f, path, "the leftover of an add that was cut short", err);
	if (name[0] == '.' || strcmp(name, "original_module") == 0 || !is_dir(path))
		return 0;
	return each(f, path, version_entry, err);
}

/* What status reads: a broken version, installed files that changed since
 * the install, built modules gone. */
static int status_finding(struct dks_fsck *f, const struct dks_status *s,
			  struct dks_error *err)
{
	char what[512];

	snprintf(what, sizeof(what), "%s/%s%s%s%s%s", s->module, s->version, s->kver ? ", " : "",
		 s->kver ? s->kver : "", s->arch ? ", " : "", s->arch ? s->arch : "");
	if (s->state == DKS_BROKEN)
		return dks_fsck_report(f, what, "its source link points to nothing, or is gone",
				       "add it again once its source is back, or remove it", NULL,
				       err);
	if (strstr(s->suffix, DKS_SUFFIX_DIFFER))
		return dks_fsck_report(f, what, "installed files differ from the install record",
				       "install --force reinstalls it", NULL, err);
	if (strstr(s->suffix, DKS_SUFFIX_MISSING))
		return dks_fsck_report(f, what, "a module its manifest names is gone from the build",
				       "build --force builds it again", NULL, err);
	return 0;
}

static int status_findings(struct dks_fsck *f, const char *m, struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	int ret = dks_tree_status(f->t, m, NULL, &st, &n, err);

	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = status_finding(f, &st[i], err);
	dks_status_free(st, n);
	return ret;
}

/* @named: the caller named @m (not added: 3); else @m was in the tree's
 * listing, and a module removed since by another command is skipped
 * (check-concurrency: fsck's walk met a remove, exit 3). */
int dks_fsck_module_of(struct dks_fsck *f, const char *m, bool named, struct dks_error *err)
{
	char dir[PATH_MAX];
	int lock, ret;

	if (dks_tree_check_name("module", m, err) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/%s", f->t->dkms_tree, m);
	if (!is_dir(dir))
		return named ? dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0, "%s: not added (no %s)",
					    m, dir)
			     : 0;
	lock = named ? dks_tree_lock(f->t, m, err) : dks_tree_lock_existing(f->t, m, err);
	if (lock < 0 && !named && err->errnum == ENOENT) {
		*err = (struct dks_error){0};
		return 0;
	}
	if (lock < 0)
		return -1;
	ret = each(f, dir, module_entry_top, err);
	if (ret == 0)
		ret = status_findings(f, m, err);
	dks_tree_unlock(lock);
	return ret;
}

int dks_fsck_module(struct dks_fsck *f, const char *m, struct dks_error *err)
{
	return dks_fsck_module_of(f, m, true, err);
}
