// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sign's confirmations (agree.h, docs/fleet.md "Two builders must agree"):
 * --check rebuilds every unit being signed here, in a private tree
 * (buildcheck.c), and compares; each --agree-with ARCHIVE is another
 * builder's build of the same units (agree.c). Every confirmation is
 * made before the first module is signed, so a refusal signs nothing;
 * sign_requires_agreement: N refuses fewer than N (exit 25).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agree.h"
#include "buildcheck.h"
#include "dks/fileio.h"

static int rebuild_here(struct dks_ctx *ctx, const char *m, const char *v,
			const struct dks_target *t, size_t n, struct dks_error *err)
{
	struct dks_build_env env = {.cfg = &ctx->cfg, .tree = &ctx->tree, .profile = ctx->profile,
				    .jobserver = {-1, -1}, .jobs = ctx->cfg.jobs,
				    .verbose = ctx->cli.verbose, .conf = ctx->cli.conf,
				    .directives = ctx->cli.directives,
				    .n_directives = ctx->cli.n_directives};
	struct dks_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	int rc;

	if (!jobs)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	for (size_t i = 0; i < n; i++)
		jobs[i] = (struct dks_job){.module = m, .version = v, .target = &t[i]};
	rc = dks_ctx_profile(ctx, err) < 0 ? -1 : dks_build_check(&env, jobs, n, err);
	free(jobs);
	if (rc == 0)
		printf("%s/%s: the rebuild here agrees\n", m, v);
	return rc;
}

/* Each archive once: the same file named twice is one confirmation. */
static int distinct(const struct dks_cli *c, struct dks_error *err)
{
	struct stat a, b;

	for (size_t i = 0; i < c->n_agree; i++)
		for (size_t j = 0; j < i; j++)
			if (stat(c->agree_with[i], &a) == 0 && stat(c->agree_with[j], &b) == 0 &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				return dks_err(err, 0, "--agree-with %s and %s are the same file: one "
						       "builder's archive confirms once",
					       c->agree_with[j], c->agree_with[i]);
	return 0;
}

static int archives(struct dks_ctx *ctx, const char *m, const char *v,
		    const struct dks_target *t, size_t n, struct dks_agree_ref *ref,
		    struct dks_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char scratch[PATH_MAX];
	int rc = 0;

	snprintf(scratch, sizeof(scratch), "%s/dkms-sandbox-agree-XXXXXX",
		 tmp && *tmp == '/' ? tmp : "/var/tmp");
	if (!mkdtemp(scratch))
		return dks_err(err, errno, "sign --agree-with: %s", scratch);
	rc = dks_agree_ref_make(ctx, m, v, t, n, ref, err);
	for (size_t i = 0; rc == 0 && i < ctx->cli.n_agree; i++)
		rc = dks_agree_archive(ctx, ref, ctx->cli.agree_with[i], scratch, err);
	dks_rmtree(scratch);
	return rc;
}

/* Every kernel confirmed @need times (--check counts for each). */
static int enough(const struct dks_ctx *ctx, const char *m, const char *v,
		  const struct dks_target *t, size_t n, const struct dks_agree_ref *ref,
		  unsigned need, struct dks_error *err)
{
	for (size_t i = 0; i < n; i++) {
		unsigned got = (ctx->cli.check ? 1 : 0) + (i < ref->n ? ref->k[i].confirmed : 0);

		if (got < need)
			return dks_err_code(err, DKS_EXIT_UNCONFIRMED, 0,
					    "%s/%s, %s, %s: %u confirmation(s) of its build, %u "
					    "needed (an archive confirms the kernels it has a build "
					    "for)", m, v, t[i].kver, t[i].arch, got, need);
	}
	return 0;
}

int dks_sign_confirm(struct dks_ctx *ctx, const char *m, const char *v,
		     const struct dks_target *t, size_t n, struct dks_error *err)
{
	unsigned need = ctx->cfg.sign_requires_agreement;
	unsigned have = (ctx->cli.check ? 1 : 0) + (unsigned)ctx->cli.n_agree;
	struct dks_agree_ref ref = {0};
	int rc = distinct(&ctx->cli, err);

	if (rc == 0 && have < need)
		rc = dks_err_code(err, DKS_EXIT_UNCONFIRMED, 0,
				  "%s/%s: sign_requires_agreement is %u, %u confirmation(s) given "
				  "(--check, --agree-with ARCHIVE)", m, v, need, have);
	if (have && need < 1)
		need = 1; /* what was asked for must hold for every kernel */
	if (rc == 0 && ctx->cli.check)
		rc = rebuild_here(ctx, m, v, t, n, err);
	if (rc == 0 && ctx->cli.n_agree)
		rc = archives(ctx, m, v, t, n, &ref, err);
	if (rc == 0)
		rc = enough(ctx, m, v, t, n, &ref, need, err);
	dks_agree_ref_clear(&ref);
	return rc < 0 ? dks_err_prefix(err, "sign refused, nothing signed") : 0;
}
