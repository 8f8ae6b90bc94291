/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * preflight (docs/upgrades.md): before the reboot, build, validate, sign
 * and install every AUTOINSTALL module for the kernel the machine boots
 * next and every installed kernel newer than the running one, as
 * autoinstall does; report per module and kernel; fail when a module the
 * configuration calls critical fails. An optional module that failed is
 * remembered with the digest of its inputs and not built again until one
 * of them changes (--force retries).
 */
#ifndef DKS_PREFLIGHT_H
#define DKS_PREFLIGHT_H

#include <stdbool.h>
#include <stdio.h>

#include "autoinst.h"
#include "bootnext.h"
#include "cli.h"
#include "dks/identity.h"

/* ---- the memory of failures (pfmemory.c) ---- */

struct dks_pf_unit {
	const char *module, *version, *kver, *arch;
};

/* 1 and @unit, @code when @u has a record (a damaged one is a warning
 * and 0: built again); 0 when none. */
int dks_pf_memory_read(const struct dks_tree *t, const struct dks_pf_unit *u,
		       char unit[DKS_SHA256_HEX], int *code);
int dks_pf_memory_write(const struct dks_tree *t, const struct dks_pf_unit *u, const char *unit,
			int code, struct dks_error *err);
void dks_pf_memory_forget(const struct dks_tree *t, const struct dks_pf_unit *u);

/* ---- which kernels (pfkernels.c) ---- */

struct dks_pf_kernel {
	char *kver;
	bool next_boot, newer; /* the next boot's; newer than the running one */
};

/* The running kernel (<host_root>/proc/sys/kernel/osrelease, else
 * uname), the next boot's (below boot_root) and every kernel of the
 * install tree newer than the running one, next boot's first. */
int dks_pf_kernels(const struct dks_config *cfg, struct dks_boot_next *boot, char **running,
		   struct dks_pf_kernel **out, size_t *n, struct dks_error *err);
void dks_pf_kernels_free(struct dks_pf_kernel *k, size_t n);

/* ---- the run (preflight.c) and its report (pfreport.c) ---- */

#define DKS_PF_NO_HEADERS (DKS_AI_HELD + 1) /* an outcome: the kernel has no headers */

struct dks_pf_row {
	char *module, *version;
	const struct dks_pf_kernel *kernel;
	char *arch;
	int outcome; /* enum dks_ai_outcome, or DKS_PF_NO_HEADERS */
	int code;    /* the failure's exit code (HELD: the remembered one) */
	bool critical;
};

struct dks_pf_report {
	struct dks_boot_next boot;
	char *running;
	struct dks_pf_kernel *kernels;
	size_t n_kernels;
	struct dks_pf_row *rows;
	size_t n_rows, cap;
	size_t installed;      /* modules installed now (post_transaction) */
	int critical_failures; /* rows failed, held or without headers, critical */
};

/* Everything above; the report filled even when it fails. Exit 11
 * (DKS_EXIT_AUTOINSTALL) when a critical module failed. */
int dks_preflight(struct dks_ctx *ctx, struct dks_pf_report *rep, struct dks_error *err);
void dks_pf_report_clear(struct dks_pf_report *rep);
/* Is @m critical (config.yaml's preflight.critical)? */
bool dks_pf_critical(const struct dks_config *cfg, const char *m);
int dks_pf_report_add(struct dks_pf_report *rep, const struct dks_pf_row *row);

void dks_pf_report_text(FILE *out, const struct dks_pf_report *rep);
int dks_pf_report_json(FILE *out, const struct dks_pf_report *rep, int exit_code);
const char *dks_pf_outcome_name(int outcome);

#endif
