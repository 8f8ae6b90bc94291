// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What ldtarball checks in a staged archive before anything is placed
 * (tarball.h, docs/archives.md): every .ko is a module for its target
 * kernel as install would accept it, and when the archive has a manifest,
 * the manifest names exactly these files with these bytes, for the kernel
 * this host has under that name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "dks/identity.h"
#include "dks/kernel.h"
#include "dks/sha256.h"
#include "installer/sigcheck.h"
#include "installer/sign.h"
#include "installer/validate.h"
#include "tarball.h"

#define KO_MAX (64u << 20) /* bytes: no module is near it */

int dks_archive_sha256(const char *path, char out[DKS_MANIFEST_HEX], struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || dks_sha256_fd(fd, out) < 0)
		return dks_err(err, errno, "%s: sha256", path);
	return 0;
}

/* What this host knows of kernel @kver/@arch: its facts as install reads
 * them and its identity (identity.h), from its headers. One function, so
 * that a headerless source of facts can take its place. */
int dks_archive_kernel(const char *kver, const char *arch, const char *kernelsourcedir,
		       const char *install_tree, const char *boot_dir, struct dks_kernel_facts *facts,
		       struct dks_kernel_id *id, struct dks_error *err)
{
	struct dks_target t = {0};
	cleanup_free char *spec = NULL;
	int rc;

	if (asprintf(&spec, "%s/%s", kver, arch) < 0)
		return dks_err(err, ENOMEM, "%s", kver);
	if (dks_target_bare(spec, kernelsourcedir, install_tree, &t, err) < 0)
		return -1;
	rc = dks_kernel_facts_for(t.headers, install_tree, kver, boot_dir, facts, err);
	if (rc == 0 && dks_kernel_id(&t, id, err) < 0) {
		dks_kernel_facts_clear(facts);
		rc = -1;
	}
	dks_target_clear(&t);
	return rc;
}

/* Validate a .ko that may arrive signed as install will: its trailer
 * parsed strictly and the module under it validated; whether the
 * signature verifies is install's check (the trusted certificate there:
 * a signing host loads what builders signed with nothing, or dkms signed
 * with their own keys, and signs again). */
static int validate_ko(const void *ko, size_t len, const char *name,
		       const struct dks_kernel_facts *k, const char *what, struct dks_error *err)
{
	return dks_module_validate_arrived(ko, len, name, k, NULL, what, err);
}

/* A staged regular file (extraction made it; never a link), whole. */
static int read_ko(const char *path, void **buf, size_t *len, struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (size_t)st.st_size > KO_MAX)
		return dks_err(err, 0, "%s: not a regular file of 1 byte to %u MiB", path,
			       KO_MAX >> 20);
	*buf = malloc((size_t)st.st_size);
	if (!*buf)
		return dks_err(err, ENOMEM, "%s", path);
	n = dks_read_full(fd, *buf, (size_t)st.st_size);
	if (n != st.st_size) {
		free(*buf);
		*buf = NULL;
		return dks_err(err, n < 0 ? errno : EIO, "%s: short read", path);
	}
	*len = (size_t)n;
	return 0;
}

static int check_one_ko(const char *dir, const char *file, const struct dks_kernel_facts *k,
			const char *what, struct dks_error *err)
{
	cleanup_free char *path = NULL, *name = NULL, *label = NULL;
	void *buf = NULL;
	size_t len = 0;
	int rc;

	if (asprintf(&path, "%s/%s", dir, file) < 0 || !(name = strndup(file, strlen(file) - 3)) ||
	    asprintf(&label, "%s: module/%s", what, file) < 0)
		return dks_err(err, ENOMEM, "%s", what);
	if (read_ko(path, &buf, &len, err) < 0)
		return -1;
	rc = validate_ko(buf, len, name, k, label, err);
	free(buf);
	return rc;
}

static bool is_ko(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && strcmp(name + n - 3, ".ko") == 0;
}

/* Is module/@file listed in @mk? Its sha256 must match. */
static int against_manifest(const char *dir, const char *file,
			    const struct dks_manifest_kernel *mk, const char *what,
			    struct dks_error *err)
{
	char hex[DKS_MANIFEST_HEX];
	cleanup_free char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return dks_err(err, ENOMEM, "%s", what);
	for (size_t i = 0; i < mk->n_kos; i++) {
		/* the parser took only "module/NAME.ko" paths */
		if (strcmp(mk->kos[i].path + strlen("module/"), file) != 0)
			continue;
		if (dks_archive_sha256(path, hex, err) < 0)
			return -1;
		if (strcmp(hex, mk->kos[i].sha256) != 0)
			return dks_err(err, 0, "%s: module/%s: sha256 %s, the manifest says %s", what,
				       file, hex, mk->kos[i].sha256);
		return 0;
	}
	return dks_err(err, 0, "%s: module/%s is not in the manifest", what, file);
}

/* Every entry of module/: a .ko (nothing else is loaded), checked. */
static int check_modules(const char *dir, const struct dks_manifest_kernel *mk,
			 const struct dks_kernel_facts *k, const char *what, size_t *count,
			 struct dks_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return dks_err_code(err, DKS_EXIT_MODULE_MISSING, errno, "%s: no module directory", what);
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		if (!is_ko(e->d_name))
			rc = dks_err(err, 0, "%s: module/%s: not a .ko", what, e->d_name);
		else if (mk && against_manifest(dir, e->d_name, mk, what, err) < 0)
			rc = -1;
		else
			rc = check_one_ko(dir, e->d_name, k, what, err);
		*count += rc == 0;
	}
	closedir(d);
	return rc;
}

/* The manifest's kernel is the one this host knows by that name. */
/* Each digest is compared where both sides know it: a host without
 * headers (a fleet host) has no .config or Module.symvers to digest, and
 * checks the kernel by its vermagic and each module's CRCs. */
static int same_kernel(const struct dks_manifest_kernel *mk, const struct dks_kernel_facts *k,
		       const struct dks_kernel_id *id, const char *what, struct dks_error *err)
{
	if (*mk->config && *id->config && strcmp(mk->config, id->config) != 0)
		return dks_err(err, 0, "%s: the manifest is for a kernel whose .config has sha256 "
				       "%s, this host's %s has %s", what, *mk->config ? mk->config : "-",
			       mk->kver, *id->config ? id->config : "-");
	if (*mk->symvers && *id->symvers && strcmp(mk->symvers, id->symvers) != 0)
		return dks_err(err, 0, "%s: the manifest is for a kernel whose Module.symvers has "
				       "sha256 %s, this host's %s has %s", what,
			       *mk->symvers ? mk->symvers : "-", mk->kver,
			       *id->symvers ? id->symvers : "-");
	if (strcmp(mk->vermagic, k->vermagic) != 0)
		return dks_err(err, 0, "%s: the manifest is for vermagic '%s', this host's %s has "
				       "'%s'", what, mk->vermagic, mk->kver, k->vermagic);
	if (k->release && strcmp(k->release, mk->kver) != 0)
		return dks_err(err, 0, "%s: the manifest is for %s, this host's headers are %s", what,
			       mk->kver, k->release);
	return 0;
}

int dks_archive_check_kernel(const struct dks_loaded_kernel *lk,
			     const struct dks_manifest_kernel *mk, const char *kernelsourcedir,
			     const char *install_tree, const char *boot_dir, const char *what,
			     struct dks_error *err)
{
	struct dks_kernel_facts k = {0};
	struct dks_kernel_id id = {0};
	cleanup_free char *dir = NULL, *label = NULL;
	size_t count = 0;
	int rc;

	if (asprintf(&dir, "%s/module", lk->dir) < 0 ||
	    asprintf(&label, "%s: %s/%s", what, lk->kver, lk->arch) < 0)
		return dks_err(err, ENOMEM, "%s", what);
	if (dks_archive_kernel(lk->kver, lk->arch, kernelsourcedir, install_tree, boot_dir, &k, &id,
			       err) < 0)
		return dks_err_prefix(err, "%s", label);
	rc = mk ? same_kernel(mk, &k, &id, label, err) : 0;
	if (rc == 0)
		rc = check_modules(dir, mk, &k, label, &count, err);
	if (rc == 0 && mk && count != mk->n_kos)
		rc = dks_err(err, 0, "%s: the manifest lists %zu modules, the archive holds %zu",
			     label, mk->n_kos, count);
	if (rc == 0 && !count)
		rc = dks_err_code(err, DKS_EXIT_MODULE_MISSING, 0, "%s: no module in the archive", label);
	dks_kernel_facts_clear(&k);
	dks_kernel_id_clear(&id);
	return rc;
}
