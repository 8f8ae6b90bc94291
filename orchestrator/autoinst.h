/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * autoinstall for one kernel (autoinst.c), shared by the autoinstall verb
 * and its hooks (cmd_autoinstall.c) and preflight (cmd_preflight.c): every
 * AUTOINSTALL module, newest version, built in BUILD_DEPENDS order and
 * installed, with each module's outcome.
 */
#ifndef DKS_AUTOINST_H
#define DKS_AUTOINST_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "dks/kernel.h"
#include "dks/spec.h"

enum dks_ai_outcome {
	DKS_AI_NONE,	  /* not AUTOINSTALL (or not asked for): not handled */
	DKS_AI_INSTALLED, /* built and installed now */
	DKS_AI_ALREADY,	  /* installed before */
	DKS_AI_SKIPPED,	  /* BUILD_EXCLUSIVE excluded it (77) */
	DKS_AI_FAILED,	  /* code: the failure's exit code */
	DKS_AI_DEFERRED,  /* BUILD_DEPENDS not added at all (dkms: not a failure) */
	DKS_AI_HELD,	  /* the gate held it back (preflight's memory of failures) */
};

struct dks_ai_result {
	char *module, *version;
	enum dks_ai_outcome outcome;
	int code; /* DKS_AI_FAILED: its exit code */
};

/* What a caller decides per module (NULL: every AUTOINSTALL module). */
struct dks_ai_gate {
	/* Only these modules (NULL: all): pairs of a module and its
	 * version (NULL: any). */
	const char *const (*only)[2];
	size_t n_only;
	/* Build it? Called once its spec for the kernel is known; false
	 * holds it back (DKS_AI_HELD; its dependents fail as dkms's do). */
	bool (*build)(void *arg, const char *m, const char *v, const struct dks_spec *s,
		      const struct dks_target *t);
	void *arg;
};

/* autoinstall of @t: lines as dkms's autoinstall prints them; exit 11
 * (dkms's) when a module failed. @res (may be NULL): each candidate's
 * outcome (free with dks_ai_results_free). */
int dks_autoinstall_kernel(struct dks_ctx *ctx, const struct dks_target *t,
			   const struct dks_ai_gate *gate, struct dks_ai_result **res,
			   size_t *n_res, size_t *installed, struct dks_error *err);
void dks_ai_results_free(struct dks_ai_result *r, size_t n);
/* dkms 3.4's <dkms_confdir>/no-autoinstall: said in dkms's line, true. */
bool dks_autoinstall_disabled(const struct dks_ctx *ctx);
/* The newest version of every added module (not broken), outcome NONE. */
int dks_ai_added(const struct dks_ctx *ctx, struct dks_ai_result **res, size_t *n_res,
		 struct dks_error *err);

#endif
