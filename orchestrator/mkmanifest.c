// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The manifest mktarball writes (docs/archives.md): per kernel, what this
 * host knows of it (release, vermagic, identity digests) and every .ko of
 * the build with its sha256 and whether it is signed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/identity.h"
#include "dks/manifest.h"
#include "installer/sign.h"
#include "installer/validate.h"
#include "mktarball.h"
#include "tarball.h"

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct dks_manifest_ko *)a)->path,
		      ((const struct dks_manifest_ko *)b)->path);
}

/* Is the file signed? The signer is not read here: "unknown". */
static char *signer_of(const char *path)
{
	unsigned char tail[28];
	FILE *f = fopen(path, "rbe");
	bool sig = false;

	if (f && fseek(f, -(long)sizeof(tail), SEEK_END) == 0 &&
	    fread(tail, 1, sizeof(tail), f) == sizeof(tail))
		sig = memcmp(tail, DKS_MODULE_SIG_MAGIC, sizeof(tail)) == 0;
	if (f)
		fclose(f);
	return sig ? strdup("unknown") : NULL;
}

static int add_ko(struct dks_manifest_kernel *k, const char *dir, const char *file,
		  struct dks_error *err)
{
	cleanup_free char *path = NULL;
	struct dks_manifest_ko *ko, *grown;

	if (k->n_kos >= DKS_MANIFEST_KOS_MAX)
		return dks_err(err, 0, "%s: more than %d modules", dir, DKS_MANIFEST_KOS_MAX);
	grown = realloc(k->kos, (k->n_kos + 1) * sizeof(*grown));
	if (!grown)
		return dks_err(err, ENOMEM, "%s", dir);
	k->kos = grown;
	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return dks_err(err, ENOMEM, "%s", dir);
	ko = memset(&grown[k->n_kos++], 0, sizeof(*ko));
	if (asprintf(&ko->path, "module/%s", file) < 0) {
		ko->path = NULL;
		return dks_err(err, ENOMEM, "%s", dir);
	}
	ko->signer = signer_of(path);
	return dks_archive_sha256(path, ko->sha256, err);
}

static int list_kos(struct dks_manifest_kernel *k, const char *dir, struct dks_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return dks_err(err, errno, "%s", dir);
	while (rc == 0 && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 3 && strcmp(e->d_name + n - 3, ".ko") == 0 && e->d_name[0] != '.')
			rc = add_ko(k, dir, e->d_name, err);
	}
	closedir(d);
	if (rc == 0 && k->n_kos)
		qsort(k->kos, k->n_kos, sizeof(*k->kos), by_path);
	return rc;
}

/* What this host knows of the kernel, and the build's inputs (the source,
 * the toolchain builds use now, the spec and the unit: mkinputs.c). */
static int kernel_of(const struct dks_mktarball *o, bool source_whole, size_t i,
		     struct dks_manifest_kernel *k, struct dks_error *err)
{
	struct dks_kernel_facts f = {0};
	struct dks_kernel_id id = {0};
	cleanup_free char *dir = NULL;

	if (dks_archive_kernel(o->kvers[i], o->arches[i], o->kernelsourcedir,
			       o->tree->install_tree, o->boot_dir, &f, &id, err) < 0)
		return -1;
	k->kver = strdup(o->kvers[i]);
	k->arch = strdup(o->arches[i]);
	k->vermagic = steal_pointer(&f.vermagic);
	memcpy(k->config, id.config, sizeof(k->config));
	memcpy(k->symvers, id.symvers, sizeof(k->symvers));
	memcpy(k->vmlinux, id.vmlinux, sizeof(k->vmlinux));
	dks_kernel_facts_clear(&f);
	dks_kernel_id_clear(&id);
	if (!k->kver || !k->arch || !k->vermagic ||
	    asprintf(&dir, "%s/%s/%s/%s/%s/module", o->tree->dkms_tree, o->module, o->version,
		     o->kvers[i], o->arches[i]) < 0)
		return dks_err(err, ENOMEM, "%s", o->module);
	if (source_whole)
		memcpy(k->source, o->source_digest, sizeof(k->source));
	memcpy(k->toolchain, o->toolchain_digest, sizeof(k->toolchain));
	if (o->spec_digests) {
		memcpy(k->spec, o->spec_digests[i], sizeof(k->spec));
		memcpy(k->unit, o->unit_digests[i], sizeof(k->unit));
	}
	if (o->toolchain_label && !(k->toolchain_label = strdup(o->toolchain_label)))
		return dks_err(err, ENOMEM, "%s", o->module);
	if (list_kos(k, dir, err) < 0)
		return -1;
	return k->n_kos ? 0 : dks_err_code(err, DKS_EXIT_NOT_BUILT, 0, "%s: no module", dir);
}

static int serialize(const struct dks_manifest *m, char **text, size_t *len,
		     struct dks_error *err)
{
	FILE *f = open_memstream(text, len);

	if (!f)
		return dks_err(err, errno, "manifest");
	if (dks_manifest_write(f, m) < 0) {
		fclose(f);
		free(*text);
		*text = NULL;
		return dks_err(err, ENOMEM, "manifest");
	}
	return fclose(f) == 0 ? 0 : dks_err(err, errno, "manifest");
}

int dks_mktarball_manifest(const struct dks_mktarball *o, bool source_whole, char **text,
			   size_t *len, struct dks_error *err)
{
	struct dks_manifest *m = calloc(1, sizeof(*m));
	int rc = 0;

	*text = NULL;
	if (!m || !(m->kernels = calloc(o->n_kernels, sizeof(*m->kernels))) ||
	    !(m->module = strdup(o->module)) || !(m->version = strdup(o->version)))
		rc = dks_err(err, ENOMEM, "%s", o->module);
	for (size_t i = 0; rc == 0 && m && i < o->n_kernels; i++) {
		m->n_kernels++;
		rc = kernel_of(o, source_whole, i, &m->kernels[i], err);
	}
	if (rc == 0)
		rc = serialize(m, text, len, err);
	dks_manifest_free(m);
	return rc;
}
