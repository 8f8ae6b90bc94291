// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What ldtarball takes from the verb's context (ldtarball.h), shared by
 * ldtarball and sign --agree-with (agree.c), which read archives alike:
 * the dkms.conf of a source archive evaluated as add evaluates one, and
 * the certificate that verifies a signed manifest.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dks/installer.h"
#include "dks/spec.h"
#include "ldtarball.h"

/* A source archive's dkms.conf, evaluated as add evaluates one. */
int dks_ldtarball_conf_names(void *arg, const char *conf, const char *dir, char **m, char **v,
			     struct dks_error *err)
{
	struct dks_spec *spec = NULL;

	if (dks_ctx_check_conf(arg, conf, dir, &spec, err) < 0)
		return dks_err_prefix(err, "Malformed dkms.conf file. Cannot load source tree");
	*m = strdup(spec->name);
	*v = strdup(spec->version);
	dks_spec_free(spec);
	return *m && *v ? 0 : dks_err(err, 0, "out of memory");
}

/* The certificate that verifies manifests: --archive-cert, else the one
 * modules that arrive signed are verified with (trusted_cert, mok_cert),
 * dkms's mok.pub when it exists; else none. */
const char *dks_ldtarball_cert(const struct dks_ctx *ctx)
{
	if (ctx->cli.archive_cert)
		return ctx->cli.archive_cert;
	if (ctx->cfg.trusted_cert)
		return ctx->cfg.trusted_cert;
	if (ctx->cfg.mok_cert)
		return ctx->cfg.mok_cert;
	return access(DKS_DEFAULT_MOK_CERT, F_OK) == 0 ? DKS_DEFAULT_MOK_CERT : NULL;
}

