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

#include "dks/cleanup.h"
#include "dks/handoff.h"
#include "distro.h"
#include "enforce.h"
#include "sigcheck.h"
#include "sign.h"
#include "validate.h"
#include "dks/fileio.h"
#include "internal.h"

typedef struct dks_install_plan plan_t;

static bool location_ok(const char *l)
{
	return (strncmp(l, "/kernel", 7) == 0 || strncmp(l, "/updates", 8) == 0 ||
		strncmp(l, "/extra", 6) == 0) && !strstr(l, "..");
}

static int read_manifest(plan_t *p, struct dks_error *err)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 2 * NAME_MAX];
	cleanup_fclose FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/" DKS_MANIFEST, p->build);
	f = fopen(path, "re");
	if (!f)
		return dks_err(err, errno, "%s: not built (no %s)", p->what, path);
	while (fgets(line, sizeof(line), f)) {
		struct dks_install_entry *e = &p->e[p->n];

		if (p->n == DKS_HANDOFF_MODULES)
			return dks_err(err, 0, "%s: more than %d modules in %s", p->what,
				       DKS_HANDOFF_MODULES, path);

		if (sscanf(line, "%255[^\t]\t%255[^\t]\t%4095[^\n]", e->built, e->dest, e->location) != 3 ||
		    strchr(e->dest, '/') || !location_ok(e->location))
			return dks_err(err, 0, "%s: bad line in %s", p->what, path);
		p->n++;
	}
	return p->n ? 0 : dks_err(err, 0, "%s: no module in %s", p->what, path);
}

/* A whole (small) file into memory; @stamp says what it was. */
int dks_plan_slurp(const char *path, void **buf, size_t *len, struct dks_filestamp *stamp,
		 struct dks_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *b;

	if (fd < 0 && errno == ELOOP)
		return dks_err(err, 0, "%s: a symbolic link, not a module", path);
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_size <= 0 ||
	    st.st_size > DKS_MODULE_MAX)
		return dks_err(err, 0, "%s: not a module-sized regular file with one link", path);
	b = malloc((size_t)st.st_size);
	if (!b || dks_read_full(fd, b, (size_t)st.st_size) != st.st_size) {
		free(b);
		return dks_err(err, errno, "%s", path);
	}
	*buf = b;
	*len = (size_t)st.st_size;
	memcpy(stamp->path, path, strnlen(path, sizeof(stamp->path) - 1));
	stamp->size = st.st_size;
	stamp->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	stamp->hash = dks_fnv1a64(b, *len);
	return 0;
}

/* How many of the plan's modules end with the signature marker (only
 * their last bytes read; prepare() reads and checks them whole). */
size_t dks_plan_arrived_signed(const plan_t *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		char path[2 * PATH_MAX], tail[sizeof(DKS_MODULE_SIG_MAGIC) - 1];
		cleanup_close int fd = -1;
		struct stat st;

		snprintf(path, sizeof(path), "%s/module/%s.ko", p->build, p->e[i].dest);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size >= (off_t)sizeof(tail) &&
		    pread(fd, tail, sizeof(tail), st.st_size - (off_t)sizeof(tail)) ==
			(ssize_t)sizeof(tail) &&
		    dks_module_is_signed(tail, sizeof(tail)))
			n++;
	}
	return n;
}

/* A module that arrived signed: its signature verified against the
 * trusted certificate, its content validated, installed as it came. */
static int prepare_signed(plan_t *p, size_t i, const struct dks_kernel_facts *f, const void *ko,
			  size_t len, const char *what, struct dks_error *err)
{
	if (!p->trust)
		return dks_err(err, 0, "%s: %s arrived signed and no certificate is trusted",
			       p->what, what);
	if (dks_module_validate_arrived(ko, len, p->e[i].built, f, p->trust, what, err) < 0)
		return dks_err_prefix(err, "%s", p->what);
	return dks_compress(p->comp, ko, len, &p->bufs[i], &p->lens[i], err);
}

/* Validate, sign (when the kernel checks signatures and a key is given),
 * compress: the bytes to install. */
static int prepare(plan_t *p, size_t i, const struct dks_kernel_facts *f,
		   const struct dks_signer *signer, struct dks_error *err)
{
	const struct dks_install_entry *e = &p->e[i];
	char path[2 * PATH_MAX], what[512];
	cleanup_free void *ko = NULL, *signed_ko = NULL;
	size_t len = 0, signed_len = 0;

	snprintf(path, sizeof(path), "%s/module/%s.ko", p->build, e->dest);
	snprintf(what, sizeof(what), "%s.ko", e->dest);
	if (access(path, F_OK) < 0 && errno == ENOENT) /* deleted by hand: dkms's words */
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "%s: Missing module %s in %s/module",
				    p->what, e->dest, p->build);
	if (dks_plan_slurp(path, &ko, &len, &p->rec.e[i].built, err) < 0)
		return -1;
	if (dks_module_is_signed(ko, len))
		return prepare_signed(p, i, f, ko, len, what, err);
	if (dks_module_validate(ko, len, e->built, f, what, err) < 0)
		return -1;
	if (signer && dks_sign_module(signer, f->sig_hash ? f->sig_hash : "sha256", ko, len,
				      &signed_ko, &signed_len, err) < 0)
		return -1;
	return dks_compress(p->comp, signer ? signed_ko : ko, signer ? signed_len : len, &p->bufs[i],
			    &p->lens[i], err);
}

int dks_plan_for(plan_t *p, const struct dks_tree *t, const char *m, const char *v,
		    const struct dks_target *k, const struct dks_install_opts *o,
		    struct dks_error *err)
{
	const char *os_release = o->os_release ? o->os_release : DKS_OS_RELEASE;

	*p = (plan_t){.t = t, .m = m, .v = v, .k = k,
		      .distro_location = dks_distro_location(os_release, NULL)};
	snprintf(p->what, sizeof(p->what), "%s/%s, %s, %s", m, v, k->kver, k->arch);
	snprintf(p->build, sizeof(p->build), "%s/%s/%s/%s/%s", t->dkms_tree, m, v, k->kver, k->arch);
	snprintf(p->orig, sizeof(p->orig), "%s/%s/original_module/%s/%s", t->dkms_tree, m, k->kver,
		 k->arch);
	if (read_manifest(p, err) < 0)
		return -1;
	/* Uninstall may have a kernel without headers: it needs no format. */
	return k->config ? dks_kernel_compression(k->config, &p->comp, err) : 0;
}

/* No signature: refused (nothing placed) when the kernel would refuse
 * the module at load time, else installed unsigned, said once. */
static int unsigned_ok(const plan_t *p, const struct dks_kernel_facts *f,
		       const struct dks_install_opts *o, const char *why, struct dks_error *err)
{
	const char *enforced = dks_sig_enforced(f, o->host_root);

	if (enforced)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "%s: refused: the module would be unsigned (%s) and kernel %s "
				    "enforces module signatures (%s)",
				    p->what, why, f->release, enforced);
	printf("%s: installing unsigned (%s)\n", p->what, why);
	return 0;
}

/* The key, when the kernel checks signatures (made on first use by the
 * caller's make_key); else unsigned, when the kernel allows it. */
static int load_signer(const plan_t *p, const struct dks_kernel_facts *f,
		       const struct dks_install_opts *o, struct dks_signer **s,
		       struct dks_error *err)
{
	const char *key = o->mok_key ? o->mok_key : DKS_DEFAULT_MOK_KEY;
	const char *cert = o->mok_cert ? o->mok_cert : DKS_DEFAULT_MOK_CERT;
	char why[PATH_MAX + 32];

	*s = NULL;
	if (!f->sig_enabled) {
		printf("%s has no module signing (CONFIG_MODULE_SIG): installing unsigned\n",
		       f->release);
		return 0;
	}
	if (o->sign == DKS_SIGN_NEVER)
		return unsigned_ok(p, f, o, "sign: never", err);
	if (access(key, F_OK) != 0 && o->make_key && o->make_key(o->make_key_arg, key, cert, err) < 0)
		return -1;
	snprintf(why, sizeof(why), "no signing key %s", key);
	if (access(key, F_OK) != 0)
		return unsigned_ok(p, f, o, why, err);
	return dks_signer_load(key, cert, s, err);
}

/* Everything is prepared (validated, signed, compressed) before the first
 * file is placed: a refusal leaves the install tree as it was. */
static int prepare_all(plan_t *p, const struct dks_kernel_facts *f, const struct dks_signer *s,
		       struct dks_error *err)
{
	p->rec.e = calloc(p->n, sizeof(*p->rec.e));
	if (!p->rec.e)
		return dks_err(err, ENOMEM, "%s", p->what);
	p->rec.n = p->n;
	snprintf(p->rec.version, sizeof(p->rec.version), "%s", p->v);
	for (size_t i = 0; i < p->n; i++)
		if (prepare(p, i, f, s, err) < 0)
			return -1;
	return 0;
}

static void plan_free(plan_t *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < DKS_INSTALL_MAX; i++)
		free(p->bufs[i]);
	dks_trust_free(p->trust);
	dks_installrec_free(&p->rec);
	free(p);
}

static plan_t *plan_new(struct dks_error *err)
{
	plan_t *p = calloc(1, sizeof(*p));

	if (!p)
		dks_err(err, ENOMEM, "install plan");
	return p;
}

/* The module's own script at this point: the caller's to run (in a
 * sandbox), never ours. */
static int call_hook(const plan_t *p, const struct dks_install_opts *o, const char *name,
		     struct dks_error *err)
{
	const struct dks_install_point at = {p->t, p->m, p->v, p->k, p->build};

	return o->hook ? o->hook(o->hook_arg, name, &at, err) : 0;
}

static int install_plan(plan_t *p, const struct dks_install_opts *o, struct dks_error *err)
{
	struct dks_kernel_facts f = {0};
	struct dks_signer *s = NULL;
	int ret = dks_kernel_facts_for(p->k->headers, p->t->install_tree, p->k->kver, o->boot_dir,
				       &f, err);
	size_t arrived = ret == 0 ? dks_plan_arrived_signed(p) : 0;

	if (ret == 0 && o->sign == DKS_SIGN_VERIFY && arrived < p->n)
		ret = dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				   "%s: refused: %zu of its %zu modules arrived unsigned (or with a "
				   "cut signature), and sign: verify installs only modules signed "
				   "for this host", p->what, p->n - arrived, p->n);
	if (ret == 0 && arrived)
		ret = dks_trust_load(o->trusted_cert ? o->trusted_cert
				     : o->mok_cert ? o->mok_cert : DKS_DEFAULT_MOK_CERT,
				     &p->trust, err);
	/* A keyless host: every module came signed, no key is read. */
	if (ret == 0 && arrived < p->n)
		ret = load_signer(p, &f, o, &s, err);
	if (ret == 0)
		ret = prepare_all(p, &f, s, err);
	/* After validation: the built modules it reads passed it. */
	if (ret == 0)
		ret = dks_version_check(p, o, err);
	if (ret == 0)
		ret = dks_shadow_scan(p, err);
	if (ret == 0)
		ret = call_hook(p, o, "pre_install", err);
	if (ret == 0)
		ret = dks_place_install(p, o, err);
	if (ret == 0)
		printf("%s: installed%s%s%s%s\n", p->what, s ? " (signed)" : "",
		       arrived ? " (arrived signed, verified against " : "",
		       arrived ? dks_trust_name(p->trust) : "", arrived ? ")" : "");
	if (ret == 0)
		ret = call_hook(p, o, "post_install", err);
	dks_signer_free(s);
	dks_kernel_facts_clear(&f);
	return ret;
}

int dks_install(const struct dks_tree *t, const char *m, const char *v,
		const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err)
{
	plan_t *p = plan_new(err);
	int ret = p ? dks_plan_for(p, t, m, v, k, o, err) : -1;

	if (ret == 0)
		ret = dks_place_recover(p, o, err);
	if (ret == 0 && !o->force && dks_installed(t, m, v, k->kver, k->arch))
		printf("%s: already installed, skip (--force to install again)\n", p->what);
	else if (ret == 0)
		ret = install_plan(p, o, err);
	plan_free(p);
	if (ret < 0 && err->exit_code <= 1)
		err->exit_code = DKS_EXIT_INSTALL_FAILED;
	return ret;
}

int dks_uninstall(const struct dks_tree *t, const char *m, const char *v,
		  const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err)
{
	plan_t *p;
	int ret;

	/* Not installed, and no journal to finish: dkms's skip (exit 0), even
	 * when m/v is not built there (a plan needs the build's manifest). */
	if (!dks_installed(t, m, v, k->kver, k->arch) && !dks_place_pending(t, m, k)) {
		printf("%s/%s, %s, %s: not installed, skip\n", m, v, k->kver, k->arch);
		return 0;
	}
	p = plan_new(err);
	ret = p ? dks_plan_for(p, t, m, v, k, o, err) : -1;

	if (ret == 0)
		ret = dks_place_recover(p, o, err);
	if (ret == 0 && !dks_installed(t, m, v, k->kver, k->arch))
		printf("%s: not installed, skip\n", p->what); /* dkms: exit 0 */
	else if (ret == 0 && (ret = dks_place_uninstall(p, o, err)) == 0) {
		printf("%s: uninstalled\n", p->what);
		ret = call_hook(p, o, "post_remove", err);
	}
	plan_free(p);
	return ret;
}

/* fsck --repair: finish or roll back m's interrupted install or uninstall
 * for @k (its journal), as the next install or uninstall would. */
int dks_install_recover(const struct dks_tree *t, const char *m, const struct dks_target *k,
			const struct dks_install_opts *o, struct dks_error *err)
{
	plan_t *p = plan_new(err);
	int ret;

	if (!p)
		return -1;
	p->t = t;
	p->m = p->v = m;
	p->k = k;
	snprintf(p->what, sizeof(p->what), "%s, %s, %s", m, k->kver, k->arch);
	snprintf(p->orig, sizeof(p->orig), "%s/%s/original_module/%s/%s", t->dkms_tree, m, k->kver,
		 k->arch);
	ret = dks_place_recover(p, o, err);
	plan_free(p);
	return ret;
}

/* fsck: the build's handoff manifest read as install reads it. */
int dks_build_manifest_check(const char *build, const char *what, struct dks_error *err)
{
	plan_t *p = plan_new(err);
	int ret;

	if (!p)
		return -1;
	snprintf(p->build, sizeof(p->build), "%s", build);
	snprintf(p->what, sizeof(p->what), "%s", what);
	ret = read_manifest(p, err);
	plan_free(p);
	return ret;
}
