// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A plan written out (plan.h): JSON, format DKS_PLAN_FORMAT version
 * DKS_PLAN_VERSION (docs/fleet.md), with the JSON strings of status
 * --json (common/jsonout.c); and a table for humans.
 */
#include <string.h>

#include "dks/json.h"
#include "plan.h"

static void key_string(FILE *out, const char *sep, const char *key, const char *value)
{
	fprintf(out, "%s\"%s\": ", sep, key);
	dks_json_string(out, value);
}

static void names(FILE *out, const struct dks_plan_unit *u)
{
	key_string(out, "", "module", u->module);
	key_string(out, ", ", "version", u->version);
	key_string(out, ", ", "kernel", u->kernel);
	key_string(out, ", ", "arch", u->arch);
}

static void unit(FILE *out, const struct dks_plan_unit *u, size_t i)
{
	fprintf(out, "    {\"index\": %zu, ", i);
	names(out, u);
	key_string(out, ", ", "digest", u->digest);
	fputs(",\n     \"inputs\": {", out);
	key_string(out, "", "source", u->source);
	key_string(out, ", ", "spec", u->spec);
	key_string(out, ",\n                ", "toolchain", u->toolchain);
	key_string(out, ", ", "vermagic", u->vermagic);
	key_string(out, ",\n                ", "config", u->config);
	key_string(out, ",\n                ", "symvers", u->symvers);
	key_string(out, ",\n                ", "vmlinux", u->vmlinux);
	fputs("}}", out);
}

static void excluded(FILE *out, const struct dks_plan_unit *u)
{
	fputs("    {", out);
	names(out, u);
	key_string(out, ", ", "reason", u->reason);
	fputc('}', out);
}

int dks_plan_write_json(FILE *out, const struct dks_plan *p)
{
	fprintf(out, "{\"format\": \"%s\", \"version\": %d,\n", DKS_PLAN_FORMAT, DKS_PLAN_VERSION);
	key_string(out, " \"trees\": {", "dkmstree", p->dkmstree);
	key_string(out, ", ", "sourcetree", p->sourcetree);
	key_string(out, ", ", "installtree", p->installtree);
	key_string(out, "},\n ", "profile", p->profile);
	key_string(out, ", ", "toolchain", p->toolchain_label);
	fputs(",\n \"units\": [", out);
	for (size_t i = 0; i < p->n_units; i++) {
		fputs(i ? ",\n" : "\n", out);
		unit(out, &p->units[i], i);
	}
	fputs(p->n_units ? "\n ],\n \"excluded\": [" : "],\n \"excluded\": [", out);
	for (size_t i = 0; i < p->n_excluded; i++) {
		fputs(i ? ",\n" : "\n", out);
		excluded(out, &p->excluded[i]);
	}
	fputs(p->n_excluded ? "\n ]}\n" : "]}\n", out);
	return ferror(out) ? -1 : 0;
}

/* The table: one line per unit, its index first (what an array engine
 * passes), then the excluded ones with their reason. */
int dks_plan_write_table(FILE *out, const struct dks_plan *p)
{
	fprintf(out, "plan: %zu unit(s) to build, %zu excluded (profile %s, toolchain %s)\n",
		p->n_units, p->n_excluded, p->profile, p->toolchain_label);
	if (p->n_units)
		fprintf(out, "%5s  %-40s %-32s %-8s %s\n", "unit", "module/version", "kernel",
			"arch", "inputs");
	for (size_t i = 0; i < p->n_units; i++) {
		const struct dks_plan_unit *u = &p->units[i];
		char mv[512];

		snprintf(mv, sizeof(mv), "%s/%s", u->module, u->version);
		fprintf(out, "%5zu  %-40s %-32s %-8s %.12s\n", i, mv, u->kernel, u->arch,
			u->digest);
	}
	for (size_t i = 0; i < p->n_excluded; i++) {
		const struct dks_plan_unit *u = &p->excluded[i];

		fprintf(out, "    -  %s/%s, %s, %s: excluded: %s\n", u->module, u->version,
			u->kernel, u->arch, u->reason);
	}
	return ferror(out) ? -1 : 0;
}
