// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight's report (preflight.h), as text lines and as JSON (the schema
 * is in docs/upgrades.md). Module names and versions come from the tree
 * and kernel names from the boot files: both are printed through the
 * tree's name grammar already (no control bytes), and JSON-escaped.
 */
#include <stdio.h>

#include "dks/cleanup.h"
#include "dks/json.h"
#include "dks/termsafe.h"
#include "dks/tree.h"
#include "preflight.h"

const char *dks_pf_outcome_name(int outcome)
{
	static const char *const names[] = {
	    [DKS_AI_NONE] = "none",
	    [DKS_AI_INSTALLED] = "installed",
	    [DKS_AI_ALREADY] = "already-installed",
	    [DKS_AI_SKIPPED] = "skipped",
	    [DKS_AI_FAILED] = "failed",
	    [DKS_AI_DEFERRED] = "deferred",
	    [DKS_AI_HELD] = "held",
	    [DKS_PF_NO_HEADERS] = "no-headers",
	};

	return outcome >= 0 && outcome <= DKS_PF_NO_HEADERS ? names[outcome] : "?";
}

static bool failed(int outcome)
{
	return outcome == DKS_AI_FAILED || outcome == DKS_AI_HELD || outcome == DKS_PF_NO_HEADERS;
}

void dks_pf_report_text(FILE *out, const struct dks_pf_report *rep)
{
	/* how: an entry's name, from grubenv or an EFI variable: any bytes */
	cleanup_free char *how = dks_termsafe_str(rep->boot.how);

	fprintf(out, "preflight: next boot: %s (%s)\n", rep->boot.kver ? rep->boot.kver : "unknown",
		rep->boot.kver && how ? how : "no boot loader entry, no /vmlinuz, no kernel");
	fprintf(out, "preflight: running: %s\n", rep->running ? rep->running : "?");
	if (!rep->n_kernels)
		fputs("preflight: no kernel to prepare\n", out);
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct dks_pf_row *r = &rep->rows[i];

		fprintf(out, "%s/%s, %s, %s: %s", r->module, r->version, r->kernel->kver, r->arch,
			dks_pf_outcome_name(r->outcome));
		if (failed(r->outcome))
			fprintf(out, " (exit %d)", r->code);
		fprintf(out, " [%s]\n", r->critical ? "critical" : "optional");
	}
	fprintf(out, "preflight: %zu kernel(s), %zu module build(s), %d critical failure(s)\n",
		rep->n_kernels, rep->n_rows, rep->critical_failures);
}

static void json_kernel_rows(FILE *out, const struct dks_pf_report *rep,
			     const struct dks_pf_kernel *k)
{
	bool first = true;

	fputs("\"modules\": [", out);
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct dks_pf_row *r = &rep->rows[i];

		if (r->kernel != k)
			continue;
		fputs(first ? "\n      {\"module\": " : ",\n      {\"module\": ", out);
		first = false;
		dks_json_string(out, r->module);
		fputs(", \"version\": ", out);
		dks_json_string(out, r->version);
		fputs(", \"arch\": ", out);
		dks_json_string(out, r->arch);
		fprintf(out, ", \"result\": \"%s\", \"exit_code\": %d, \"critical\": %s}",
			dks_pf_outcome_name(r->outcome), failed(r->outcome) ? r->code : 0,
			r->critical ? "true" : "false");
	}
	fputs(first ? "]" : "\n    ]", out);
}

int dks_pf_report_json(FILE *out, const struct dks_pf_report *rep, int exit_code)
{
	fputs("{\n  \"next_boot\": {\"kernel\": ", out);
	dks_json_string(out, rep->boot.kver);
	fprintf(out, ", \"source\": \"%s\", \"how\": ", dks_boot_source_name(rep->boot.source));
	dks_json_string(out, rep->boot.kver ? rep->boot.how : NULL);
	fputs("},\n  \"running\": ", out);
	dks_json_string(out, rep->running);
	fputs(",\n  \"kernels\": [", out);
	for (size_t i = 0; i < rep->n_kernels; i++) {
		const struct dks_pf_kernel *k = &rep->kernels[i];

		fputs(i ? ",\n    {\"kernel\": " : "\n    {\"kernel\": ", out);
		dks_json_string(out, k->kver);
		fprintf(out, ", \"next_boot\": %s, \"newer_than_running\": %s, ",
			k->next_boot ? "true" : "false", k->newer ? "true" : "false");
		json_kernel_rows(out, rep, k);
		fputc('}', out);
	}
	fprintf(out, "%s],\n  \"critical_failures\": %d,\n  \"exit_code\": %d\n}\n",
		rep->n_kernels ? "\n  " : "", rep->critical_failures, exit_code);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
