// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mktarball: dkms's archive of m/v (docs/archives.md), the layout dkms
 * 3.0.10's make_tarball writes and its load_tarball reads:
 *
 *   ./dkms_main_tree/<kver>/<arch>/{module,log}/     the builds
 *   ./dkms_source_tree/...                           the source, or
 *   ./dkms_binaries_only/{PACKAGE_NAME,PACKAGE_VERSION,dkms.conf}
 *   ./dkms_sandbox/manifest[.sig]                    ours (dkms ignores it)
 *
 * named <m>-<v>-kernel<kver>-<arch>[-kernel...].dkms.tar.gz (or
 * -source-only, or -manykernels past 200 characters) in
 * <dkmstree>/<m>/<v>/tarball/ unless --archive names it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "installer/sign.h"
#include "mktarball.h"
#include "tarball.h"

/* dkms's name, and its cut to "manykernels". */
static char *default_name(const struct dks_mktarball *o)
{
	char list[4096] = "";
	size_t n = 0;
	char *name = NULL;

	for (size_t i = 0; i < o->n_kernels && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%skernel%s-%s", i ? "-" : "",
				      o->kvers[i], o->arches[i]);
	if (o->source_only)
		snprintf(list, sizeof(list), "source-only");
	else if (strlen(list) + 1 > 200) /* wc -m counts the newline */
		snprintf(list, sizeof(list), "manykernels");
	if (asprintf(&name, "%s-%s-%s.dkms.tar.gz", o->module, o->version, list) < 0)
		return NULL;
	return name;
}

/* Where the archive goes: --archive (its directory, or the default one
 * for a bare name, as dkms), else the default place; made if missing. */
static int archive_path(const struct dks_mktarball *o, char **path, struct dks_error *err)
{
	cleanup_free char *dir = NULL, *name = NULL;
	const char *slash = o->archive ? strrchr(o->archive, '/') : NULL;

	if (slash)
		dir = strndup(o->archive, (size_t)(slash - o->archive));
	else if (asprintf(&dir, "%s/%s/%s/tarball", o->tree->dkms_tree, o->module, o->version) < 0)
		dir = NULL;
	name = o->archive ? strdup(slash ? slash + 1 : o->archive) : default_name(o);
	if (!dir || !name)
		return dks_err(err, ENOMEM, "%s", o->module);
	if (!*name)
		return dks_err(err, 0, "--archive %s: no file name", o->archive);
	if (dks_mkdir_p(*dir ? dir : "/") < 0)
		return dks_err_code(err, DKS_EXIT_NO_WRITE, errno, "Missing write permissions for %s",
				    dir);
	if (asprintf(path, "%s/%s", *dir ? dir : "", name) < 0) {
		*path = NULL;
		return dks_err(err, ENOMEM, "%s", o->module);
	}
	return 0;
}

/* dkms's die 6 when a kernel has no build. */
int dks_mktarball_check_built(const struct dks_mktarball *o, struct dks_error *err)
{
	for (size_t i = 0; i < o->n_kernels && !o->source_only; i++)
		if (!dks_tree_is_built(o->tree, o->module, o->version, o->kvers[i], o->arches[i]))
			return dks_err_code(err, DKS_EXIT_NOT_BUILT, 0,
					    "No modules built for %s (%s). Modules must already be "
					    "in the built state before using mktarball.",
					    o->kvers[i], o->arches[i]);
	return 0;
}

/* <kver>/<arch>/module/ and log/: our handoff files beside them
 * (dks/handoff.h) stay home; the loading host makes its own from the
 * dkms.conf, as for a build dkms made (adopt.c). */
static int add_build(const struct dks_mktarball *o, struct dks_tar *t, size_t i,
		     struct dks_error *err)
{
	static const char *const subs[] = {"module", "log"};
	cleanup_free char *dir = NULL, *kdir = NULL, *name = NULL;

	printf("Marking modules for %s (%s) for archiving...\n", o->kvers[i], o->arches[i]);
	if (asprintf(&dir, "%s/%s/%s/%s/%s", o->tree->dkms_tree, o->module, o->version,
		     o->kvers[i], o->arches[i]) < 0 ||
	    asprintf(&kdir, "./dkms_main_tree/%s", o->kvers[i]) < 0 ||
	    asprintf(&name, "%s/%s", kdir, o->arches[i]) < 0)
		return dks_err(err, ENOMEM, "%s", o->module);
	if (dks_tar_dir(t, kdir, err) < 0 || dks_tar_dir(t, name, err) < 0)
		return -1;
	for (size_t j = 0; j < sizeof(subs) / sizeof(subs[0]); j++) {
		cleanup_free char *from = NULL, *to = NULL;

		if (asprintf(&from, "%s/%s", dir, subs[j]) < 0 ||
		    asprintf(&to, "%s/%s", name, subs[j]) < 0)
			return dks_err(err, ENOMEM, "%s", o->module);
		if (access(from, F_OK) == 0 && dks_tar_tree(t, to, from, err) < 0)
			return -1;
	}
	return 0;
}

static int add_builds(const struct dks_mktarball *o, struct dks_tar *t, struct dks_error *err)
{
	if (dks_tar_dir(t, "./dkms_main_tree", err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_kernels && !o->source_only; i++)
		if (add_build(o, t, i, err) < 0)
			return -1;
	return 0;
}

/* The source, or dkms's binaries-only stub (the dkms.conf: -c's or the
 * module's). */
static int add_source(const struct dks_mktarball *o, struct dks_tar *t, struct dks_error *err)
{
	cleanup_free char *src = dks_tree_source_dir(o->tree, o->module, o->version);
	cleanup_free char *conf = NULL, *m = NULL, *v = NULL;

	if (!src)
		return dks_err(err, ENOMEM, "%s", o->module);
	if (!o->binaries_only) {
		printf("\nMarking %s for archiving...\n", src);
		return dks_tar_tree(t, "./dkms_source_tree", src, err);
	}
	printf("\nCreating tarball structure to specifically accomodate binaries.\n");
	if ((!o->conf && asprintf(&conf, "%s/dkms.conf", src) < 0) ||
	    asprintf(&m, "%s\n", o->module) < 0 || asprintf(&v, "%s\n", o->version) < 0)
		return dks_err(err, ENOMEM, "%s", o->module);
	return dks_tar_dir(t, "./dkms_binaries_only", err) < 0 ||
			       dks_tar_bytes(t, "./dkms_binaries_only/PACKAGE_NAME", m, strlen(m), 0644,
					     err) < 0 ||
			       dks_tar_bytes(t, "./dkms_binaries_only/PACKAGE_VERSION", v, strlen(v),
					     0644, err) < 0 ||
			       dks_tar_file(t, "./dkms_binaries_only/dkms.conf",
					    o->conf ? o->conf : conf, err) < 0
		   ? -1
		   : 0;
}

/* The manifest (and its signature) in the archive. */
static int add_manifest(const struct dks_mktarball *o, struct dks_tar *t, struct dks_error *err)
{
	cleanup_free char *text = NULL;
	struct dks_signer *s = NULL;
	void *sig = NULL;
	size_t len = 0, sig_len = 0;
	int rc;

	if (o->source_only)
		return 0;
	if (dks_mktarball_manifest(o, o->binaries_only || !dks_tar_left_out(t), &text, &len,
				   err) < 0 || dks_tar_dir(t, "./dkms_sandbox", err) < 0 ||
	    dks_tar_bytes(t, "./" DKS_MANIFEST_PATH, text, len, 0644, err) < 0)
		return -1;
	if (!o->sign_key)
		return 0;
	if (dks_signer_load(o->sign_key, o->sign_cert, &s, err) < 0)
		return -1;
	rc = dks_sign_detached(s, text, len, &sig, &sig_len, err);
	dks_signer_free(s);
	if (rc == 0)
		rc = dks_tar_bytes(t, "./" DKS_MANIFEST_SIG_PATH, sig, sig_len, 0644, err);
	free(sig);
	return rc;
}

int dks_mktarball(const struct dks_mktarball *o, struct dks_error *err)
{
	cleanup_free char *path = NULL;
	struct dks_tar *t = NULL;

	if (dks_mktarball_check_built(o, err) < 0 || archive_path(o, &path, err) < 0)
		return -1;
	if (dks_tar_open(path, &t, err) < 0)
		return -1;
	if (dks_tar_dir(t, "./", err) < 0 || add_builds(o, t, err) < 0 || add_source(o, t, err) < 0 ||
	    add_manifest(o, t, err) < 0) {
		dks_tar_abort(t);
		return -1;
	}
	printf("\nTarball location: %s\n", path);
	return dks_tar_commit(t, err);
}
