// SPDX-License-Identifier: GPL-2.0-or-later
/* Kernel targets: include/dks/kernel.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "build.h"
#include "dks/cleanup.h"
#include "dks/kernel.h"
#include "dks/sandbox.h"
#include "dks/spec.h"

void dks_target_clear(struct dks_target *t)
{
	free(t->kver);
	free(t->arch);
	free(t->headers);
	free(t->headers_in);
	free(t->config);
	memset(t, 0, sizeof(*t));
}

void dks_targets_free(struct dks_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dks_target_clear(&t[i]);
	free(t);
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 200 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

static char *host_arch(void)
{
	struct utsname u;

	return uname(&u) == 0 ? strdup(u.machine) : strdup("x86_64");
}

/* KVER[/ARCH] -> kver, arch. */
static int split_spec(const char *spec, struct dks_target *t, struct dks_error *err)
{
	const char *slash = strchr(spec, '/');

	t->kver = slash ? strndup(spec, (size_t)(slash - spec)) : strdup(spec);
	t->arch = slash ? strdup(slash + 1) : host_arch();
	if (!t->kver || !t->arch)
		return dks_err(err, ENOMEM, "kernel %s", spec);
	if (!name_ok(t->kver) || !name_ok(t->arch))
		return dks_err(err, 0, "kernel '%s': not a kernel release[/arch]", spec);
	return 0;
}

int dks_target_resolve(const char *spec, const char *headers, const char *install_tree,
		       struct dks_target *out, struct dks_error *err)
{
	char path[PATH_MAX];
	struct stat st;

	bool given = headers != NULL;

	memset(out, 0, sizeof(*out));
	if (split_spec(spec, out, err) < 0)
		goto fail;
	if (!given) {
		snprintf(path, sizeof(path), "%s/%s/build", install_tree, out->kver);
		headers = path;
	}
	out->headers = realpath(headers, NULL);
	if (!out->headers || stat(out->headers, &st) < 0 || !S_ISDIR(st.st_mode)) {
		dks_err_code(err, DKS_EXIT_NO_HEADERS, 0,
			     "kernel %s: no headers at %s (install linux-headers-%s, or give "
			     "--kernelsourcedir)", out->kver, headers, out->kver);
		goto fail;
	}
	/* kernel_source_dir as dkms has it: --kernelsourcedir, else
	 * /lib/modules/KVER/build, the link, which every sandbox with the
	 * kernel has (zfs-dkms finds the "source" dir beside it). */
	if (given)
		out->headers_in = dks_kernel_dir_in_sandbox(out->headers);
	else if (asprintf(&out->headers_in, DKS_IN_INSTALL_TREE "/%s/build", out->kver) < 0)
		out->headers_in = NULL;
	if (!out->headers_in || asprintf(&out->config, "%s/.config", out->headers) < 0) {
		out->config = NULL;
		dks_err(err, ENOMEM, "kernel %s", out->kver);
		goto fail;
	}
	return 0;
fail:
	dks_target_clear(out);
	return -1;
}

int dks_target_bare(const char *spec, const char *headers, const char *install_tree,
		    struct dks_target *out, struct dks_error *err)
{
	struct dks_error ignored = {0};

	if (dks_target_resolve(spec, headers, install_tree, out, &ignored) == 0)
		return 0;
	return split_spec(spec, out, err);
}

static int by_kver(const void *a, const void *b)
{
	return dks_version_cmp(((const struct dks_target *)a)->kver,
			       ((const struct dks_target *)b)->kver);
}

static int add_installed(const char *install_tree, const char *kver, struct dks_target **v,
			 size_t *n, struct dks_error *err)
{
	struct dks_target t, *nv;
	struct dks_error ignored = {0};

	if (dks_target_resolve(kver, NULL, install_tree, &t, &ignored) < 0)
		return 0; /* no headers: not a build target */
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		dks_target_clear(&t);
		return dks_err(err, ENOMEM, "kernels");
	}
	*v = nv;
	nv[(*n)++] = t;
	return 0;
}

int dks_targets_installed(const char *install_tree, struct dks_target **out, size_t *n,
			  struct dks_error *err)
{
	DIR *d = opendir(install_tree);
	struct dirent *e;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return dks_err(err, errno, "install tree %s", install_tree);
	while (ret == 0 && (e = readdir(d)))
		if (e->d_name[0] != '.')
			ret = add_installed(install_tree, e->d_name, out, n, err);
	closedir(d);
	if (ret < 0) {
		dks_targets_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	if (*n > 1) /* none: *out is NULL, which qsort may not take */
		qsort(*out, *n, sizeof(**out), by_kver);
	return 0;
}

int dks_target_running(const char *install_tree, struct dks_target *out, struct dks_error *err)
{
	struct utsname u;

	if (uname(&u) < 0)
		return dks_err(err, errno, "uname");
	return dks_target_resolve(u.release, NULL, install_tree, out, err);
}
