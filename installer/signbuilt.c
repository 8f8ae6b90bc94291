// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The signing host's step (installer.h, dks_sign_built): the built
 * modules of m/v for one kernel signed in place, so that what is carried
 * to keyless hosts (a copied tree, an archive) arrives signed.
 *
 * Every module is read, validated against its kernel (headers, or the
 * kernel's own modules: validate.h) and signed in memory first; only
 * then is each replaced, atomically (dks_module_replace). A module
 * already signed with our key is left as it is (idempotent); one signed
 * otherwise, or with a trailer that does not parse, is refused unless
 * force, which strips a well-formed signature and signs again. The key
 * goes through sign.c's hygiene, as at install.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "internal.h"
#include "sigcheck.h"
#include "sign.h"
#include "validate.h"

struct signing {
	struct dks_install_plan *p;
	struct dks_kernel_facts f;
	struct dks_signer *s;
	struct dks_trust *trust;
	bool force;
	bool skip[DKS_INSTALL_MAX];
};

/* @err prefixed with m/v, kver, arch: a refused module. */
static int refused(const struct signing *g, struct dks_error *err)
{
	err->exit_code = DKS_EXIT_INSTALL_FAILED;
	return dks_err_prefix(err, "%s", g->p->what);
}

/* Already signed: ours (skip), or refused unless force (then the
 * content before a well-formed trailer is signed again). */
static int already_signed(struct signing *g, size_t i, const void *ko, size_t len, const char *what,
			  size_t *content, struct dks_error *err)
{
	struct dks_sig_trailer tr;
	const char *why = NULL;

	if (dks_sig_verify(g->trust, g->f.sig_hash, ko, len, content, what, err) == 0) {
		g->skip[i] = true;
		return 0;
	}
	if (!g->force) {
		char msg[DKS_ERROR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "%s: %.900s (--force strips the signature and signs again)",
				    g->p->what, msg);
	}
	if (dks_sig_trailer_parse(ko, len, &tr, &why) < 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0,
				    "%s: %s: %s: cannot tell where the module ends", g->p->what,
				    what, why);
	*content = tr.content_len;
	return 0;
}

static int sign_one(struct signing *g, size_t i, struct dks_error *err)
{
	struct dks_install_plan *p = g->p;
	char path[2 * PATH_MAX], what[NAME_MAX + 8];
	cleanup_free void *ko = NULL;
	size_t len = 0, content;

	snprintf(path, sizeof(path), "%s/module/%s.ko", p->build, p->e[i].dest);
	snprintf(what, sizeof(what), "%s.ko", p->e[i].dest);
	if (dks_plan_slurp(path, &ko, &len, &p->rec.e[i].built, err) < 0)
		return -1;
	content = len;
	if (dks_module_is_signed(ko, len) && already_signed(g, i, ko, len, what, &content, err) < 0)
		return -1;
	if (g->skip[i])
		return 0;
	if (dks_module_validate(ko, content, p->e[i].built, &g->f, what, err) < 0)
		return refused(g, err);
	return dks_sign_module(g->s, g->f.sig_hash ? g->f.sig_hash : "sha256", ko, content,
			       &p->bufs[i], &p->lens[i], err);
}

/* One line per module signed, in <build>/log/sign.log. */
static void record(const struct signing *g, size_t i)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/log/sign.log", g->p->build);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return; /* the log is a record, not the state */
	}
	fprintf(f, "%s.ko\t%s\t%s\n", g->p->e[i].dest, g->f.sig_hash ? g->f.sig_hash : "sha256",
		dks_trust_name(g->trust));
	fclose(f);
}

static int replace_all(struct signing *g, struct dks_error *err)
{
	char dir[PATH_MAX + 8];
	cleanup_close int dfd = -1;

	snprintf(dir, sizeof(dir), "%s/module", g->p->build);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return dks_err(err, errno, "%s", dir);
	for (size_t i = 0; i < g->p->n; i++) {
		char name[NAME_MAX + 8];

		snprintf(name, sizeof(name), "%s.ko", g->p->e[i].dest);
		if (g->skip[i]) {
			printf("%s: %s: already signed by %s\n", g->p->what, name,
			       dks_trust_name(g->trust));
			continue;
		}
		if (dks_module_replace(dfd, name, g->p->bufs[i], g->p->lens[i], err) < 0)
			return -1;
		record(g, i);
		printf("%s: %s: signed by %s\n", g->p->what, name, dks_trust_name(g->trust));
	}
	return 0;
}

static int keys(struct signing *g, const struct dks_install_opts *o, struct dks_error *err)
{
	const char *key = o->mok_key ? o->mok_key : DKS_DEFAULT_MOK_KEY;
	const char *cert = o->mok_cert ? o->mok_cert : DKS_DEFAULT_MOK_CERT;

	if (access(key, F_OK) != 0 && o->make_key &&
	    o->make_key(o->make_key_arg, key, cert, err) < 0)
		return -1;
	if (dks_signer_load(key, cert, &g->s, err) < 0 || dks_trust_load(cert, &g->trust, err) < 0)
		return -1;
	return 0;
}

static int sign_plan(struct signing *g, const struct dks_install_opts *o, struct dks_error *err)
{
	struct dks_install_plan *p = g->p;

	if (dks_kernel_facts_for(p->k->headers, p->t->install_tree, p->k->kver, o->boot_dir, &g->f,
				 err) < 0 ||
	    keys(g, o, err) < 0)
		return -1;
	p->rec.e = calloc(p->n, sizeof(*p->rec.e));
	if (!p->rec.e)
		return dks_err(err, ENOMEM, "%s", p->what);
	p->rec.n = p->n;
	for (size_t i = 0; i < p->n; i++)
		if (sign_one(g, i, err) < 0)
			return -1;
	return replace_all(g, err);
}

int dks_sign_built(const struct dks_tree *t, const char *m, const char *v,
		   const struct dks_target *k, const struct dks_install_opts *o, bool force,
		   struct dks_error *err)
{
	struct signing g = {.p = calloc(1, sizeof(*g.p)), .force = force};
	int ret = g.p ? dks_plan_for(g.p, t, m, v, k, o, err) : dks_err(err, ENOMEM, "%s/%s", m, v);

	if (ret == 0)
		ret = sign_plan(&g, o, err);
	if (g.p) {
		for (size_t i = 0; i < DKS_INSTALL_MAX; i++)
			free(g.p->bufs[i]);
		dks_installrec_free(&g.p->rec);
		free(g.p);
	}
	dks_signer_free(g.s);
	dks_trust_free(g.trust);
	dks_kernel_facts_clear(&g.f);
	if (ret < 0 && err->exit_code <= 1)
		err->exit_code = DKS_EXIT_INSTALL_FAILED;
	return ret;
}
