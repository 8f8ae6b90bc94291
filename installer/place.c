// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Placing what install.c prepared: internal.h. One transaction
 * (txn.h) per module and kernel holds every file the install changes (the
 * modules, the copies kept in original_module/, the install record and
 * the kernel-<kver>-<arch> link); depmod runs before the commit, and a
 * depmod that fails rolls it all back (dkms: exit 6, "rolled back"). One
 * lock per kernel serialises placing and depmod, so that two installs for
 * one kernel both end up in modules.dep.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/lockwait.h"
#include "internal.h"
#include "txn.h"

typedef struct dks_install_plan plan_t;

static const enum dks_compression all_formats[] = {DKS_COMPRESS_NONE, DKS_COMPRESS_GZIP,
						   DKS_COMPRESS_XZ, DKS_COMPRESS_ZSTD};
#define N_FORMATS (sizeof(all_formats) / sizeof(all_formats[0]))

static int mkdir_p(const char *dir, struct dks_error *err)
{
	return dks_mkdir_p(dir) == 0 ? 0 : dks_err(err, errno, "cannot create %s", dir);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* <dkmstree>/<m>/<name>-<kver>-<arch> */
static void mpath(char *buf, size_t size, const plan_t *p, const char *name)
{
	snprintf(buf, size, "%s/%s/%s-%s-%s", p->t->dkms_tree, p->m, name, p->k->kver, p->k->arch);
}

bool dks_place_pending(const struct dks_tree *t, const char *m, const struct dks_target *k)
{
	plan_t p = {.t = t, .m = m, .k = k};
	char journal[PATH_MAX];

	mpath(journal, sizeof(journal), &p, ".txn");
	return access(journal, F_OK) == 0;
}

/* original_module/<kver>/<arch>, then its parents, when empty. */
static void tidy_orig(const plan_t *p)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", p->orig);
	for (int up = 0; up < 3 && rmdir(dir) == 0; up++)
		*strrchr(dir, '/') = 0;
}

/* <installtree>/<kver><location>/<dest>.ko<ext> */
static void dest_path(char *buf, size_t size, const plan_t *p, size_t i, enum dks_compression c)
{
	snprintf(buf, size, "%s/%s%s/%s.ko%s", p->t->install_tree, p->k->kver,
		 p->distro_location ? p->distro_location : p->e[i].location, p->e[i].dest,
		 dks_compression_ext(c));
}

/* Like dkms (`rmdir -p --ignore-fail-on-non-empty` of the location, from
 * the kernel's dir): the location's dirs go when they are empty. */
static void tidy_location(const plan_t *p, size_t i)
{
	char dir[PATH_MAX];
	size_t top = (size_t)snprintf(dir, sizeof(dir), "%s/%s", p->t->install_tree, p->k->kver);

	if (top >= sizeof(dir))
		return;
	snprintf(dir + top, sizeof(dir) - top, "%s",
		 p->distro_location ? p->distro_location : p->e[i].location);
	while (strlen(dir) > top && rmdir(dir) == 0)
		*strrchr(dir, '/') = 0;
}

/* ---- the kernel's lock ---- */

static int lock_kernel(const plan_t *p, struct dks_error *err)
{
	char path[PATH_MAX], what[NAME_MAX + 32];
	struct dks_lock_wait w = {.what = what, .path = path, .timeout = p->t->lock_timeout};
	int fd;

	snprintf(path, sizeof(path), "%s/.depmod-%s.lock", p->t->dkms_tree, p->k->kver);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return dks_err(err, errno, "cannot open %s", path);
	snprintf(what, sizeof(what), "kernel %s's depmod lock", p->k->kver);
	if (dks_lock_take(fd, &w, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- running a transaction ---- */

/* Apply, depmod, commit; a depmod that fails rolls back (and depmod runs
 * again over the old state). Under the kernel's lock. */
static int run(const plan_t *p, struct dks_txn *x, const struct dks_install_opts *o,
	       struct dks_error *err)
{
	struct dks_error ignored = {0};
	int ret;

	if (dks_txn_apply(x, err) < 0)
		return -1;
	ret = o->no_depmod ? 0 : dks_depmod(p->t, p->k->kver, err);
	dks_crash_point("depmod");
	if (ret < 0) {
		dks_txn_rollback(x, &ignored);
		dks_depmod(p->t, p->k->kver, &ignored);
		return dks_err_prefix(err, "%s: rolled back", p->what);
	}
	return dks_txn_commit(x, err);
}

/* Build the steps with @fill, then run them, under the kernel's lock. */
static int transaction(plan_t *p, const struct dks_install_opts *o,
		       int (*fill)(plan_t *, struct dks_txn *, char **, struct dks_error *),
		       bool tidy, struct dks_error *err)
{
	char journal[PATH_MAX];
	cleanup_free char *rec = NULL;
	struct dks_txn x;
	int lock = lock_kernel(p, err), ret;

	if (lock < 0)
		return -1;
	mpath(journal, sizeof(journal), p, ".txn");
	ret = dks_txn_init(&x, journal, err);
	if (ret == 0)
		ret = fill(p, &x, &rec, err);
	if (ret == 0)
		ret = run(p, &x, o, err);
	/* Still under the kernel's lock: an install waiting for it makes
	 * the location's dirs and writes into them (check-concurrency: a
	 * remover's rmdir after its unlock took updates/dkms/ from under an
	 * install, exit 6). */
	for (size_t i = 0; ret == 0 && tidy && i < p->n; i++)
		tidy_location(p, i);
	tidy_orig(p);
	dks_txn_free(&x);
	dks_lock_release(lock);
	return ret;
}

int dks_place_recover(const plan_t *p, const struct dks_install_opts *o, struct dks_error *err)
{
	char journal[PATH_MAX];
	int lock, ret;

	mpath(journal, sizeof(journal), p, ".txn");
	if (!exists(journal))
		return 0;
	lock = lock_kernel(p, err);
	if (lock < 0)
		return -1;
	ret = dks_txn_recover(journal, err);
	if (ret > 0)
		fprintf(stderr, "%s: an interrupted %s was %s\n", p->what, "install or uninstall",
			ret == 1 ? "rolled back" : "completed");
	if (ret > 0 && !o->no_depmod)
		ret = dks_depmod(p->t, p->k->kver, err);
	tidy_orig(p);
	dks_lock_release(lock);
	return ret < 0 ? -1 : 0;
}

/* ---- install ---- */

static bool recorded(const struct dks_installrec *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->e[i].installed.path, path) == 0)
			return true;
	return false;
}

static bool in_txn(const struct dks_txn *x, const char *path)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->steps[i].path, path) == 0)
			return true;
	return false;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One module in every format: a same-named module that was there before
 * any of ours is kept in original_module/ (whatever its format) and goes;
 * ours is written in the kernel's format. */
static int install_module(plan_t *p, size_t i, bool ours, const struct dks_installrec *prev,
			  struct dks_txn *x, struct dks_error *err)
{
	char dst[PATH_MAX], keep[2 * PATH_MAX + 2]; /* too long: refused by dks_txn_add */

	for (size_t c = 0; c < N_FORMATS; c++) {
		bool here;

		dest_path(dst, sizeof(dst), p, i, all_formats[c]);
		here = exists(dst);
		snprintf(keep, sizeof(keep), "%s/%s", p->orig, strrchr(dst, '/') + 1);
		if (here && !ours && !exists(keep) &&
		    (mkdir_p(p->orig, err) < 0 ||
		     dks_txn_add(x, keep, DKS_TXN_COPY, NULL, 0, dst, err) < 0))
			return -1;
		if (all_formats[c] == p->comp) {
			struct dks_filestamp *s = &p->rec.e[i].installed;

			*strrchr(dst, '/') = 0;
			if (mkdir_p(dst, err) < 0)
				return -1;
			dst[strlen(dst)] = '/';
			if (dks_txn_add(x, dst, DKS_TXN_BYTES, p->bufs[i], p->lens[i], NULL, err) < 0)
				return -1;
			*s = (struct dks_filestamp){.size = (long long)p->lens[i],
						    .mtime_ns = now_ns(),
						    .hash = dks_fnv1a64(p->bufs[i], p->lens[i])};
			snprintf(s->path, sizeof(s->path), "%s", dst);
			x->steps[x->n - 1].mtime_ns = s->mtime_ns;
		} else if (here && (!ours || recorded(prev, dst)) &&
			   dks_txn_add(x, dst, DKS_TXN_REMOVE, NULL, 0, NULL, err) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The record and the link that say "installed". */
static int install_state(const plan_t *p, struct dks_txn *x, char **rec_text,
			 struct dks_error *err)
{
	char path[PATH_MAX], target[PATH_MAX];
	size_t len = 0;

	if (dks_installrec_format(&p->rec, rec_text, &len, err) < 0)
		return -1;
	dks_installrec_path(path, sizeof(path), p->t, p->m, p->k->kver, p->k->arch);
	if (dks_txn_add(x, path, DKS_TXN_BYTES, *rec_text, len, NULL, err) < 0)
		return -1;
	mpath(path, sizeof(path), p, "kernel");
	snprintf(target, sizeof(target), "%s/%s/%s", p->v, p->k->kver, p->k->arch);
	return dks_txn_add(x, path, DKS_TXN_SYMLINK, NULL, 0, target, err);
}

static int fill_install(plan_t *p, struct dks_txn *x, char **rec_text,
			struct dks_error *err)
{
	char marker[PATH_MAX], path[PATH_MAX];
	struct dks_installrec prev = {0};
	bool ours;
	int ret = 0;

	mpath(marker, sizeof(marker), p, "kernel");
	ours = exists(marker);
	dks_installrec_path(path, sizeof(path), p->t, p->m, p->k->kver, p->k->arch);
	if (ours && dks_installrec_read(path, &prev, err) < 0)
		return -1;
	for (size_t i = 0; ret == 0 && i < p->n; i++)
		ret = install_module(p, i, ours, &prev, x, err);
	/* What an installed other version placed and this one does not. */
	for (size_t i = 0; ret == 0 && i < prev.n; i++)
		if (!in_txn(x, prev.e[i].installed.path))
			ret = dks_txn_add(x, prev.e[i].installed.path, DKS_TXN_REMOVE, NULL, 0,
					  NULL, err);
	dks_installrec_free(&prev);
	return ret ? ret : install_state(p, x, rec_text, err);
}

int dks_place_install(plan_t *p, const struct dks_install_opts *o, struct dks_error *err)
{
	return transaction(p, o, fill_install, false, err);
}

/* ---- uninstall ---- */

/* Ours goes (every format it may have); a kept original comes back. */
static int uninstall_module(const plan_t *p, size_t i, const struct dks_installrec *rec, bool any,
			    struct dks_txn *x, struct dks_error *err)
{
	char dst[PATH_MAX], keep[2 * PATH_MAX + 2]; /* too long: refused by dks_txn_add */

	for (size_t c = 0; c < N_FORMATS; c++) {
		dest_path(dst, sizeof(dst), p, i, all_formats[c]);
		snprintf(keep, sizeof(keep), "%s/%s", p->orig, strrchr(dst, '/') + 1);
		if (exists(keep)) {
			if (dks_txn_add(x, dst, DKS_TXN_COPY, NULL, 0, keep, err) < 0)
				return -1;
		} else if (exists(dst) && (!any || recorded(rec, dst)) &&
			   dks_txn_add(x, dst, DKS_TXN_REMOVE, NULL, 0, NULL, err) < 0) {
			return -1;
		}
	}
	return 0;
}

static int uninstall_state(const plan_t *p, struct dks_txn *x, struct dks_error *err)
{
	char path[PATH_MAX];

	dks_installrec_path(path, sizeof(path), p->t, p->m, p->k->kver, p->k->arch);
	if (dks_txn_add(x, path, DKS_TXN_REMOVE, NULL, 0, NULL, err) < 0)
		return -1;
	mpath(path, sizeof(path), p, "kernel");
	return dks_txn_add(x, path, DKS_TXN_REMOVE, NULL, 0, NULL, err);
}

static int fill_uninstall(plan_t *p, struct dks_txn *x, char **unused,
			  struct dks_error *err)
{
	char path[PATH_MAX];
	struct dks_installrec rec = {0};
	int ret, any;
	size_t restored;

	dks_installrec_path(path, sizeof(path), p->t, p->m, p->k->kver, p->k->arch);
	ret = any = dks_installrec_read(path, &rec, err);
	for (size_t i = 0; ret >= 0 && i < p->n; i++)
		ret = uninstall_module(p, i, &rec, any == 1, x, err);
	for (size_t i = 0; ret >= 0 && i < rec.n; i++)
		if (!in_txn(x, rec.e[i].installed.path))
			ret = dks_txn_add(x, rec.e[i].installed.path, DKS_TXN_REMOVE, NULL, 0,
					  NULL, err);
	/* The kept originals go once they are back (after the copies). */
	restored = x->n;
	for (size_t i = 0; ret >= 0 && i < restored; i++)
		if (x->steps[i].op == DKS_TXN_COPY)
			ret = dks_txn_add(x, x->steps[i].from, DKS_TXN_REMOVE, NULL, 0, NULL, err);
	dks_installrec_free(&rec);
	return ret < 0 ? -1 : uninstall_state(p, x, err);
}

int dks_place_uninstall(plan_t *p, const struct dks_install_opts *o, struct dks_error *err)
{
	return transaction(p, o, fill_uninstall, true, err);
}
