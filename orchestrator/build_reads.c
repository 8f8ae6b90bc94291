// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The modules a module's build may read without naming them in
 * BUILD_DEPENDS (docs/build.md, "What a build reads"): the ones its
 * package depends on, as dpkg's database says, and the ones the
 * administrator lists in config.yaml's build_reads. Never a name in the
 * code: Debian's west-chamber-dkms `Depends: xtables-addons-dkms` and
 * reads its source with `find /usr/src`; the Depends says so.
 *
 * The dpkg rule, for module M at version V:
 *   1. the packages that ship M's dkms.conf (SOURCE/dkms.conf, SOURCE as
 *      the tree has it: its source link's target, else SOURCETREE/M-V) —
 *      a file, which dpkg lets one package own (a directory may be
 *      shipped by any number of packages);
 *   2. their Depends and Pre-Depends, every alternative;
 *   3. of those packages, the ones that ship the dkms.conf of a module
 *      added to the tree: those modules (every added version is then
 *      visible, as BUILD_DEPENDS's are).
 * One level only: what M's package depends on, not what that depends on.
 * A missing database gives nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "dks/cleanup.h"
#include "dks/config.h"
#include "orchestrator/dpkg_db.h"

/* Every added module's dkms.conf path (@paths) and its module (@mods). */
static int tree_confs(const struct dks_tree *t, struct strv *paths, struct strv *mods,
		      struct dks_error *err)
{
	struct dks_status *st = NULL;
	size_t n = 0;
	int ret = 0;

	if (dks_tree_status(t, NULL, NULL, &st, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		char *src, *conf = NULL;

		if (i > 0 && strcmp(st[i].module, st[i - 1].module) == 0 &&
		    strcmp(st[i].version, st[i - 1].version) == 0)
			continue;
		src = dks_tree_source_dir(t, st[i].module, st[i].version);
		if (!src)
			continue; /* a name the tree refuses */
		if (asprintf(&conf, "%s/dkms.conf", src) < 0 || strv_push_take(paths, conf) < 0 ||
		    strv_push(mods, st[i].module) < 0)
			ret = dks_err(err, ENOMEM, "build reads");
		free(src);
	}
	dks_status_free(st, n);
	return ret;
}

/* The packages that ship @m/@v's dkms.conf, onto @pkgs. */
static int own_packages(const struct dks_tree *t, const struct strv *owners, const char *m,
			const char *v, const struct strv *paths, struct strv *pkgs,
			struct dks_error *err)
{
	char *src = dks_tree_source_dir(t, m, v), *conf = NULL;
	int ret = 0;

	if (!src || asprintf(&conf, "%s/dkms.conf", src) < 0)
		conf = NULL;
	free(src);
	if (!conf)
		return dks_err(err, ENOMEM, "build reads");
	for (size_t i = 0; i + 1 < owners->n && ret == 0; i += 2)
		if (strcmp(paths->v[strtoul(owners->v[i], NULL, 10)], conf) == 0 &&
		    !strv_contains(pkgs, owners->v[i + 1]) && strv_push(pkgs, owners->v[i + 1]) < 0)
			ret = dks_err(err, ENOMEM, "build reads");
	free(conf);
	return ret;
}

/* The modules whose dkms.conf a package in @deps ships, onto @out. */
static int dep_modules(const struct strv *owners, const struct strv *mods, const struct strv *deps,
		       const char *m, struct strv *out, struct dks_error *err)
{
	for (size_t i = 0; i + 1 < owners->n; i += 2) {
		const char *d = mods->v[strtoul(owners->v[i], NULL, 10)];

		if (!strv_contains(deps, owners->v[i + 1]) || strcmp(d, m) == 0 ||
		    strv_contains(out, d))
			continue;
		if (strv_push(out, d) < 0)
			return dks_err(err, ENOMEM, "build reads");
	}
	return 0;
}

static int dpkg_reads(const struct dks_tree *t, const char *admindir, const char *m, const char *v,
		      struct strv *out, struct dks_error *err)
{
	struct strv paths = {0}, mods = {0}, owners = {0}, pkgs = {0}, deps = {0};
	cleanup_free char *memo = NULL;
	int ret = tree_confs(t, &paths, &mods, err);

	if (ret == 0 && asprintf(&memo, "%s/" DKS_DPKG_MEMO, t->dkms_tree) < 0)
		ret = dks_err(err, ENOMEM, "build reads");
	if (ret == 0)
		ret = dks_dpkg_owners_memo(memo, admindir, &paths, &owners, err);
	if (ret == 0)
		ret = own_packages(t, &owners, m, v, &paths, &pkgs, err);
	for (size_t i = 0; i < pkgs.n && ret == 0; i++)
		ret = dks_dpkg_depends(admindir, pkgs.v[i], &deps, err);
	if (ret == 0)
		ret = dep_modules(&owners, &mods, &deps, m, out, err);
	strv_free(&paths);
	strv_free(&mods);
	strv_free(&owners);
	strv_free(&pkgs);
	strv_free(&deps);
	return ret;
}

int dks_build_reads(const struct dks_tree *t, const struct dks_config *cfg, const char *m,
		    const char *v, struct strv *out, struct dks_error *err)
{
	const struct strv *br = &cfg->build_reads;

	for (size_t i = 0; i + 1 < br->n; i += 2)
		if (strcmp(br->v[i], m) == 0 && !strv_contains(out, br->v[i + 1]) &&
		    strv_push(out, br->v[i + 1]) < 0)
			return dks_err(err, ENOMEM, "build reads");
	if (!cfg->dpkg_admindir)
		return 0;
	return dpkg_reads(t, cfg->dpkg_admindir, m, v, out, err);
}
