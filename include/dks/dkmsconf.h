/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dkms.conf, the shell way, without a shell on the host: the file is
 * sourced by bash INSIDE a sandbox, for one target kernel, with the
 * variables dkms defines; a fixed driver script then prints only the known
 * directives as NUL-separated records on stdout, and the host parses them
 * strictly into a struct dks_spec. The host never evaluates shell.
 *
 * Record format (the driver's stdout; each field ends with a NUL byte):
 *     S NAME VALUE            a scalar directive (PACKAGE_NAME ...)
 *     A NAME INDEX VALUE      one element of an array directive (MAKE[3])
 *     E                       end: the driver finished
 * Anything else, a duplicate record, a missing E, or more than
 * DKS_DKMSCONF_MAX_OUTPUT bytes is an error (exit 8).
 */
#ifndef DKS_DKMSCONF_H
#define DKS_DKMSCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"
#include "dks/profile.h"
#include "dks/spec.h"

#define DKS_DKMSCONF_MAX_OUTPUT (1024 * 1024)
#define DKS_DKMSCONF_TIMEOUT 30 /* seconds: evaluating a dkms.conf is quick */

struct dks_eval_opts {
	const struct dks_profile *profile; /* NULL: "default" */
	const char *toolchain;             /* NULL: host */
	const char *kernel_headers;        /* bind for -k (NULL: /lib/modules/KVER/build, or none) */
	unsigned timeout;                  /* 0: DKS_DKMSCONF_TIMEOUT */
	const char *build_user;            /* NULL: the sandbox's default */
	/* dkms's per-module overrides: <conf_dir>/<module>.conf and the
	 * versioned and kernel forms, sourced after the dkms.conf in the same
	 * sandbox (NULL: none read). */
	const char *conf_dir;
	const char *module, *version;      /* NULL: from the source dir's name */
	const char *source_in;             /* the source dir's path inside (NULL: its own) */
	char *const *ro_binds;             /* pairs: host path, path inside (read-only) */
	size_t n_ro_binds;                 /* entries of ro_binds (twice the pairs) */
	/* dkms's --directive NAME=VALUE, each set (as a shell variable) after
	 * the conf and its overrides; NAME checked by dks_dkmsconf_directive_ok. */
	const char *const *directives;
	size_t n_directives;
};

/* At most this many --directive. */
#define DKS_DIRECTIVES_MAX 32

/* Is @d NAME=VALUE with NAME a shell identifier (dkms exports it)? */
bool dks_dkmsconf_directive_ok(const char *d);

/* Evaluate the dkms.conf at @conf (inside @source_dir, bound read-only)
 * for @t in a sandbox, then the overrides of @o->conf_dir that exist, parse and validate the result. Errors name the
 * file; exit codes are dkms's (8 bad dkms.conf, 5 bad patch path, ...). */
int dks_dkmsconf_eval(const char *conf, const char *source_dir,
		      const struct dks_spec_target *t, const struct dks_eval_opts *o,
		      struct dks_spec **out, struct dks_error *err);

/* The host half alone: parse the driver's records (@len bytes) for @t.
 * @conf names the file in messages. Pure: no processes, no files. */
int dks_dkmsconf_parse(const char *records, size_t len, const char *conf,
		       const struct dks_spec_target *t, struct dks_spec **out,
		       struct dks_error *err);

/* The driver script that runs inside the sandbox (bash). */
extern const char dks_dkmsconf_driver[];

#endif
