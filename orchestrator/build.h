/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One build job (module version x kernel) and the scheduler that runs many. */
#ifndef DKS_BUILD_H
#define DKS_BUILD_H

#include <stdbool.h>

#include "dks/config.h"
#include "dks/error.h"
#include "dks/handoff.h"
#include "dks/kernel.h"
#include "dks/profile.h"
#include "dks/strv.h"
#include "dks/tree.h"

/* Where things are inside the build sandbox: canonical paths, the same on
 * every builder, so that two builders produce identical modules. */
#define DKS_IN_DKMS_TREE "/var/lib/dkms"
#define DKS_IN_SOURCE_TREE "/usr/src"
#define DKS_IN_INSTALL_TREE "/lib/modules"

struct dks_build_env {
	const struct dks_config *cfg;
	const struct dks_tree *tree;
	const struct dks_profile *profile;
	int jobserver[2]; /* this build's make jobserver pipe, or -1 (jobs.c) */
	int jobs;         /* -j N: the run's; in a worker, its build's share */
	bool force;
	bool verbose;     /* --verbose: make's output on stdout too, live */
	const char *conf; /* -c FILE: read instead of the module's dkms.conf */
	const char *const *directives; /* --directive NAME=VALUE (dkmsconf.h) */
	size_t n_directives;
};

struct dks_job {
	const char *module, *version;
	const struct dks_target *target;
	int *code; /* dks_build_all: the job's exit code here (0, 77, ...), or NULL */
};

/* Run one job to the end: evaluate the spec, build in a sandbox, collect,
 * commit. 0, or -1 with @err filled (its exit code dkms's for the failure). */
int dks_build_job(const struct dks_build_env *env, const struct dks_job *job,
		  struct dks_error *err);

/* The spec of m/v for a kernel: its dkms.conf evaluated in a sandbox, or
 * its recipe. */
struct dks_spec;
int dks_build_spec(const struct dks_build_env *env, const char *m, const char *v,
		   const struct dks_target *target, struct dks_spec **out,
		   struct dks_error *err);

/* The files of the modules @m/@v depends on, for its sandboxes for kernel
 * @kver (build_deps.c): pairs of host path and path inside, pushed onto
 * @out (read-only binds). @s: its spec (BUILD_DEPENDS), or NULL before its
 * dkms.conf is read. */
int dks_build_dep_paths(const struct dks_build_env *env, const char *m, const char *v,
			const char *kver, const struct dks_spec *s, struct strv *out,
			struct dks_error *err);

/* The modules @m/@v's build may read besides its BUILD_DEPENDS
 * (build_reads.c): @cfg's build_reads, and what its package depends on in
 * dpkg's database at @cfg's dpkg_admindir. Each once, onto @out. */
int dks_build_reads(const struct dks_tree *t, const struct dks_config *cfg, const char *m,
		    const char *v, struct strv *out, struct dks_error *err);

/* The installer's handoff (dks/handoff.h: the manifest and the hooks)
 * from @s, written into @dir (neither may exist there yet). */
int dks_build_write_handoff(const struct dks_spec *s, const char *dir, struct dks_error *err);

/* The last @lines lines of a log on stderr, headed by its path. */
/* The fixed environment that makes a build reproducible (reproenv.c). */
struct dks_sandbox;
int dks_build_repro_env(struct dks_sandbox *sb, struct dks_error *err);

void dks_print_log_tail(const char *path, int lines);

struct dks_build_summary {
	size_t built, skipped, failed;
};

/* Run @n jobs, at most @env->jobs make jobs at once in total (each build
 * a fair share of them, through a GNU make jobserver of its own). Each job's result is one line as it
 * ends ("built", "skipped", or "failed" after the failure's own line).
 * 0 when no job failed (@sum says how many were skipped); -1 with @err
 * filled when the scheduler failed, or reported (dks_err_reported, with
 * the first failed job's exit code) when a job failed. @sum may be NULL. */
int dks_build_all(struct dks_build_env *env, const struct dks_job *jobs, size_t n,
		  struct dks_build_summary *sum, struct dks_error *err);

#endif
