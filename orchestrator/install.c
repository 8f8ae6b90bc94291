// SPDX-License-Identifier: GPL-2.0-or-later
/* The privileged installer: install.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "dks/cleanup.h"
#include "dks/compress.h"
#include "dks/sign.h"
#include "dks/validate.h"
#include "install.h"

struct entry {
	char built[NAME_MAX + 1], dest[NAME_MAX + 1], location[PATH_MAX];
};

struct plan {
	struct entry e[64];
	size_t n;
	char build[PATH_MAX]; /* <dkmstree>/m/v/kver/arch */
	char orig[PATH_MAX];  /* <dkmstree>/m/original_module/kver/arch */
	enum dks_compression comp;
};

static bool location_ok(const char *l)
{
	return (strncmp(l, "/kernel", 7) == 0 || strncmp(l, "/updates", 8) == 0 ||
		strncmp(l, "/extra", 6) == 0) && !strstr(l, "..");
}

static int read_manifest(struct plan *p, const char *what, struct dks_error *err)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 2 * NAME_MAX];
	cleanup_fclose FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/" DKS_MANIFEST, p->build);
	f = fopen(path, "re");
	if (!f)
		return dks_err(err, errno, "%s: not built (no %s)", what, path);
	while (fgets(line, sizeof(line), f) && p->n < 64) {
		struct entry *e = &p->e[p->n];

		if (sscanf(line, "%255[^\t]\t%255[^\t]\t%4095[^\n]", e->built, e->dest, e->location) != 3 ||
		    strchr(e->dest, '/') || !location_ok(e->location))
			return dks_err(err, 0, "%s: bad line in %s", what, path);
		p->n++;
	}
	return p->n ? 0 : dks_err(err, 0, "%s: no module in %s", what, path);
}

/* A whole (small) file into memory. */
static int slurp(const char *path, void **buf, size_t *len, struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *b;

	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > DKS_MODULE_MAX)
		return dks_err(err, 0, "%s: not a module-sized regular file", path);
	b = malloc((size_t)st.st_size);
	if (!b || read(fd, b, (size_t)st.st_size) != st.st_size) {
		free(b);
		return dks_err(err, errno, "%s", path);
	}
	*buf = b;
	*len = (size_t)st.st_size;
	return 0;
}

static int mkdir_p(char *path, struct dks_error *err)
{
	for (char *p = path + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			dks_err(err, errno, "cannot create %s", path);
			*p = c;
			return -1;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

/* Write @len bytes as @path: a temporary name in the same directory
 * (O_EXCL, 0644), fsync, rename over, fsync the directory. A crash leaves
 * the old file or the new one, never half of one. */
static int write_atomic(const char *path, const void *buf, size_t len, struct dks_error *err)
{
	char tmp[2 * PATH_MAX + 32], dir[2 * PATH_MAX];
	cleanup_close int fd = -1, dfd = -1;

	if (strlen(path) >= PATH_MAX)
		return dks_err(err, ENAMETOOLONG, "%s", path);
	snprintf(tmp, sizeof(tmp), "%s.dks-new-%d", path, (int)getpid());
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		dks_err(err, errno, "cannot write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		dks_err(err, errno, "cannot place %s", path);
		unlink(tmp);
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd >= 0 && fsync(dfd) == 0 ? 0 : dks_err(err, errno, "fsync %s", dir);
}

/* Validate, sign (when the kernel checks signatures and a key is given),
 * compress: the bytes to install. */
static int prepare(const struct plan *p, const struct entry *e, const struct dks_kernel_facts *f,
		   const struct dks_signer *signer, void **out, size_t *out_len,
		   struct dks_error *err)
{
	char path[2 * PATH_MAX], what[512];
	cleanup_free void *ko = NULL, *signed_ko = NULL;
	size_t len = 0, signed_len = 0;

	snprintf(path, sizeof(path), "%s/module/%s.ko", p->build, e->dest);
	snprintf(what, sizeof(what), "%s.ko", e->dest);
	if (slurp(path, &ko, &len, err) < 0 ||
	    dks_module_validate(ko, len, e->built, f, what, err) < 0)
		return -1;
	if (signer && dks_sign_module(signer, f->sig_hash ? f->sig_hash : "sha256", ko, len,
				      &signed_ko, &signed_len, err) < 0)
		return -1;
	return dks_compress(p->comp, signer ? signed_ko : ko, signer ? signed_len : len, out,
			    out_len, err);
}

/* dkms's distro rule: Debian and Ubuntu (and their derivatives) install
 * every module into /updates/dkms, whatever DEST_MODULE_LOCATION says. */
static bool debian_like(void)
{
	cleanup_fclose FILE *f = fopen("/etc/os-release", "re");
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if ((strncmp(line, "ID=", 3) == 0 || strncmp(line, "ID_LIKE=", 8) == 0) &&
		    (strstr(line, "debian") || strstr(line, "ubuntu")))
			return true;
	return false;
}

static void dest_path(char *buf, size_t size, const struct dks_tree *t, const struct dks_target *k,
		      const struct entry *e, enum dks_compression c)
{
	snprintf(buf, size, "%s/%s%s/%s.ko%s", t->install_tree, k->kver,
		 debian_like() ? "/updates/dkms" : e->location, e->dest, dks_compression_ext(c));
}

/* A same-named module already at the destination is kept, once, in
 * original_module/ (the first install's original, not our own). */
static int keep_original(const struct plan *p, const char *dst, bool ours,
			 struct dks_error *err)
{
	char keep[2 * PATH_MAX], dir[PATH_MAX];

	if (ours || access(dst, F_OK) != 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", p->orig);
	if (mkdir_p(dir, err) < 0)
		return -1;
	snprintf(keep, sizeof(keep), "%s/%s", p->orig, strrchr(dst, '/') + 1);
	if (access(keep, F_OK) == 0)
		return 0;
	return rename(dst, keep) == 0 ? 0 : dks_err(err, errno, "cannot keep the original %s", dst);
}

/* depmod for the kernel. The install tree must be <root>/lib/modules:
 * depmod -b <root> then (its config dirs are not below -b: an empty one
 * is given for a tree that is not the machine's, so that the machine's
 * depmod.d does not apply to it). */
static int depmod(const struct dks_tree *t, const char *kver, struct dks_error *err)
{
	size_t n = strlen(t->install_tree), suffix = strlen("/lib/modules");
	char base[PATH_MAX], cfg[] = "/tmp/dks-depmod.d-XXXXXX";
	bool real = strcmp(t->install_tree, "/lib/modules") == 0;
	int st;
	pid_t pid;

	if (n < suffix || strcmp(t->install_tree + n - suffix, "/lib/modules") != 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "depmod needs an install tree ending in /lib/modules, not %s "
				    "(or --no-depmod)", t->install_tree);
	snprintf(base, sizeof(base), "%.*s", (int)(n - suffix), t->install_tree);
	if (!real && !mkdtemp(cfg))
		return dks_err(err, errno, "depmod config dir");
	pid = fork();
	if (pid == 0) {
		if (real)
			execlp("depmod", "depmod", "-a", kver, (char *)NULL);
		else
			execlp("depmod", "depmod", "-C", cfg, "-b", base, kver, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!real)
		rmdir(cfg);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "depmod %s failed", kver);
	return 0;
}

/* <dkmstree>/<m>/kernel-<kver>-<arch> -> <v>/<kver>/<arch>: "installed". */
static int mark_installed(const struct dks_tree *t, const char *m, const char *v,
			  const struct dks_target *k, bool on, struct dks_error *err)
{
	char link[PATH_MAX], tmp[PATH_MAX + 16], target[PATH_MAX];

	snprintf(link, sizeof(link), "%s/%s/kernel-%s-%s", t->dkms_tree, m, k->kver, k->arch);
	if (!on)
		return unlink(link) == 0 || errno == ENOENT ? 0 : dks_err(err, errno, "%s", link);
	snprintf(target, sizeof(target), "%s/%s/%s", v, k->kver, k->arch);
	snprintf(tmp, sizeof(tmp), "%s.dks-new", link);
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, link) < 0)
		return dks_err(err, errno, "%s", link);
	return 0;
}

static int plan_for(struct plan *p, const struct dks_tree *t, const char *m, const char *v,
		    const struct dks_target *k, struct dks_error *err)
{
	char what[512];

	memset(p, 0, sizeof(*p));
	snprintf(what, sizeof(what), "%s/%s, %s, %s", m, v, k->kver, k->arch);
	snprintf(p->build, sizeof(p->build), "%s/%s/%s/%s/%s", t->dkms_tree, m, v, k->kver, k->arch);
	snprintf(p->orig, sizeof(p->orig), "%s/%s/original_module/%s/%s", t->dkms_tree, m, k->kver,
		 k->arch);
	if (read_manifest(p, what, err) < 0)
		return -1;
	return dks_kernel_compression(k->config, &p->comp, err);
}

/* The key, when the kernel checks signatures; else unsigned, said once. */
static int load_signer(const struct dks_kernel_facts *f, const struct dks_install_opts *o,
		       struct dks_signer **s, struct dks_error *err)
{
	const char *key = o->mok_key ? o->mok_key : DKS_DEFAULT_MOK_KEY;
	const char *cert = o->mok_cert ? o->mok_cert : DKS_DEFAULT_MOK_CERT;

	*s = NULL;
	if (!f->sig_enabled) {
		printf("%s has no module signing (CONFIG_MODULE_SIG): installing unsigned\n",
		       f->release);
		return 0;
	}
	if (!o->mok_key && access(key, F_OK) != 0) {
		printf("no signing key (%s): installing unsigned; give --mok-key/--mok-cert or run "
		       "dkms-sandbox generate-mok\n", key);
		return 0;
	}
	return dks_signer_load(key, cert, s, err);
}

/* Everything is prepared (validated, signed, compressed) before the first
 * file is placed: a refusal leaves the install tree as it was. */
static int prepare_all(const struct plan *p, const struct dks_kernel_facts *f,
		       const struct dks_signer *s, void **bufs, size_t *lens, struct dks_error *err)
{
	for (size_t i = 0; i < p->n; i++)
		if (prepare(p, &p->e[i], f, s, &bufs[i], &lens[i], err) < 0)
			return -1;
	return 0;
}

static int place_all(const struct plan *p, const struct dks_tree *t, const struct dks_target *k,
		     bool ours, void **bufs, const size_t *lens, struct dks_error *err)
{
	for (size_t i = 0; i < p->n; i++) {
		char dst[2 * PATH_MAX], dir[2 * PATH_MAX];

		dest_path(dst, sizeof(dst), t, k, &p->e[i], p->comp);
		snprintf(dir, sizeof(dir), "%s", dst);
		*strrchr(dir, '/') = 0;
		if (mkdir_p(dir, err) < 0 || keep_original(p, dst, ours, err) < 0 ||
		    write_atomic(dst, bufs[i], lens[i], err) < 0)
			return -1;
	}
	return 0;
}

int dks_install(const struct dks_tree *t, const char *m, const char *v,
		const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err)
{
	struct dks_kernel_facts f = {0};
	struct dks_signer *s = NULL;
	struct plan p;
	void *bufs[64] = {0};
	size_t lens[64] = {0};
	bool ours = dks_tree_is_installed(t, m, v, k->kver, k->arch);
	int ret;

	ret = plan_for(&p, t, m, v, k, err);
	if (ret == 0)
		ret = dks_kernel_facts_load(k->headers, &f, err);
	if (ret == 0)
		ret = load_signer(&f, o, &s, err);
	if (ret == 0)
		ret = prepare_all(&p, &f, s, bufs, lens, err);
	if (ret == 0)
		ret = place_all(&p, t, k, ours, bufs, lens, err);
	if (ret == 0 && !o->no_depmod)
		ret = depmod(t, k->kver, err);
	if (ret == 0)
		ret = mark_installed(t, m, v, k, true, err);
	if (ret == 0)
		printf("%s/%s, %s, %s: installed%s\n", m, v, k->kver, k->arch,
		       s ? " (signed)" : "");
	for (size_t i = 0; i < 64; i++)
		free(bufs[i]);
	dks_signer_free(s);
	dks_kernel_facts_clear(&f);
	if (ret < 0 && err->exit_code <= 1)
		err->exit_code = DKS_EXIT_INSTALL_FAILED;
	return ret;
}

/* Ours removed (whatever its compression), the original put back. */
static int unplace(const struct plan *p, const struct dks_tree *t, const struct dks_target *k,
		   const struct entry *e, struct dks_error *err)
{
	static const enum dks_compression all[] = {DKS_COMPRESS_NONE, DKS_COMPRESS_GZIP,
						   DKS_COMPRESS_XZ, DKS_COMPRESS_ZSTD};
	char dst[2 * PATH_MAX], keep[3 * PATH_MAX];

	for (size_t c = 0; c < sizeof(all) / sizeof(all[0]); c++) {
		dest_path(dst, sizeof(dst), t, k, e, all[c]);
		if (unlink(dst) < 0 && errno != ENOENT)
			return dks_err(err, errno, "cannot remove %s", dst);
		snprintf(keep, sizeof(keep), "%s/%s", p->orig, strrchr(dst, '/') + 1);
		if (access(keep, F_OK) == 0 && rename(keep, dst) < 0)
			return dks_err(err, errno, "cannot restore %s", dst);
	}
	return 0;
}

int dks_uninstall(const struct dks_tree *t, const char *m, const char *v,
		  const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err)
{
	struct plan p;
	int ret = plan_for(&p, t, m, v, k, err);

	for (size_t i = 0; ret == 0 && i < p.n; i++)
		ret = unplace(&p, t, k, &p.e[i], err);
	if (ret == 0 && !o->no_depmod)
		ret = depmod(t, k->kver, err);
	if (ret == 0)
		ret = mark_installed(t, m, v, k, false, err);
	if (ret == 0) {
		rmdir(p.orig);
		printf("%s/%s, %s, %s: uninstalled\n", m, v, k->kver, k->arch);
	}
	return ret;
}
