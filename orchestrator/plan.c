// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One unit of a plan (plan.h): m/v for one kernel and arch, its inputs and
 * their digest. The spec is evaluated exactly as a build evaluates it
 * (dks_build_spec: dkms.conf in a sandbox, per kernel, with its overrides
 * and directives), and BUILD_EXCLUSIVE_* applied as the build applies it
 * (77 is "excluded", with its line as the reason). The digests are the
 * identity API's (dks/identity.h); nothing here hashes by itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cleanup.h"
#include "dks/spec.h"
#include "plan.h"
#include "unitinputs.h"

static int dup_names(struct dks_plan_unit *u, const char *m, const char *v,
		     const struct dks_target *t, struct dks_error *err)
{
	u->module = strdup(m);
	u->version = strdup(v);
	u->kernel = strdup(t->kver);
	u->arch = strdup(t->arch);
	if (!u->module || !u->version || !u->kernel || !u->arch)
		return dks_err(err, ENOMEM, "plan: %s/%s", m, v);
	return 0;
}

/* The inputs of a buildable unit, into @u and its digest. */
static int inputs(const struct dks_build_env *env, const struct dks_spec *s, const char *m,
		  const char *v, const struct dks_target *t, struct dks_plan_unit *u,
		  struct dks_error *err)
{
	struct dks_unit_inputs in;
	int ret;

	if (dks_unit_inputs_make(env, s, m, v, t, &in, err) < 0)
		return -1;
	dks_unit_digest(&in, u->digest);
	memcpy(u->source, in.source, sizeof(u->source));
	memcpy(u->spec, in.spec, sizeof(u->spec));
	memcpy(u->toolchain, in.toolchain, sizeof(u->toolchain));
	memcpy(u->config, in.kernel.config, sizeof(u->config));
	memcpy(u->symvers, in.kernel.symvers, sizeof(u->symvers));
	memcpy(u->vmlinux, in.kernel.vmlinux, sizeof(u->vmlinux));
	u->vermagic = strdup(in.kernel.vermagic ? in.kernel.vermagic : "");
	ret = u->vermagic ? 0 : dks_err(err, ENOMEM, "plan: %s/%s", m, v);
	dks_kernel_id_clear(&in.kernel);
	return ret;
}

int dks_plan_unit_make(const struct dks_build_env *env, const char *m, const char *v,
		       const struct dks_target *target, struct dks_plan_unit *u,
		       struct dks_error *err)
{
	const struct dks_spec_target st = {.kver = target->kver, .arch = target->arch};
	struct dks_spec *s = NULL;
	struct dks_error why = {0};
	int ret;

	memset(u, 0, sizeof(*u));
	if (dup_names(u, m, v, target, err) < 0 || dks_build_spec(env, m, v, target, &s, err) < 0)
		return -1;
	ret = dks_spec_exclude_modules(s, &st, target->config, &why);
	if (ret != 0 && why.exit_code == DKS_EXIT_EXCLUDED) {
		u->reason = strdup(why.msg);
		ret = u->reason ? 0 : dks_err(err, ENOMEM, "plan: %s/%s", m, v);
	} else if (ret != 0) {
		*err = why;
	} else {
		ret = inputs(env, s, m, v, target, u, err);
	}
	dks_spec_free(s);
	return ret;
}
