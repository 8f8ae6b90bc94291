// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ${var} substitution in a recipe's command lines (docs/recipes.md,
 * "Commands and their variables"): the only processing a command gets on
 * the host. The result runs later with sh -c inside the build sandbox.
 */
#include <stdio.h>
#include <string.h>

#include "dks/exit.h"
#include "recipe_internal.h"

const char *const dks_recipe_var_names[V_COUNT] = {
    "kernelver", "kernel_source_dir", "arch", "jobs", "module", "module_version", "build_dir",
};

bool dks_recipe_only(const char *s, const char *extra)
{
	for (; *s; s++) {
		bool alnum = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			     (*s >= '0' && *s <= '9');
		if (!alnum && !strchr(extra, *s))
			return false;
	}
	return true;
}

static int var_index(const char *name, size_t len)
{
	for (int i = 0; i < V_COUNT; i++)
		if (strlen(dks_recipe_var_names[i]) == len &&
		    strncmp(dks_recipe_var_names[i], name, len) == 0)
			return i;
	return -1;
}

static unsigned long line_at(const struct cmd *cmd, const char *at)
{
	unsigned long line = cmd->line;

	for (const char *p = cmd->text; p < at; p++)
		line += *p == '\n';
	return line;
}

/*
 * "${name}" is one of dks_recipe_var_names, "$${" is a literal "${" for
 * the shell in the sandbox, any other '$' is copied: the host does no
 * other expansion.
 */
int dks_recipe_expand(const char *source, const struct cmd *cmd, const char *const vals[V_COUNT],
		      FILE *out, struct dks_error *err)
{
	for (const char *p = cmd->text; *p; p++) {
		const char *end;
		int v;

		if (strncmp(p, "$${", 3) == 0) {
			if (out)
				fputs("${", out);
			p += 2;
			continue;
		}
		if (strncmp(p, "${", 2) != 0) {
			if (out)
				fputc(*p, out);
			continue;
		}
		end = strchr(p + 2, '}');
		v = end ? var_index(p + 2, (size_t)(end - p - 2)) : -1;
		if (v < 0)
			return dks_err_code(
			    err, DKS_EXIT_BAD_CONF, 0,
			    "%s:%lu: unknown variable '%.*s' (known: kernelver, "
			    "kernel_source_dir, arch, jobs, module, module_version, "
			    "build_dir; write $${ for a literal ${)",
			    source, line_at(cmd, p), end ? (int)(end - p + 1) : 2, p);
		if (out)
			fputs(vals[v], out);
		p = end;
	}
	return 0;
}

/* Values go into a line that sh -c runs in the sandbox: one that would
 * need quoting there is refused rather than quoted behind the author's
 * back (the author may have quoted it already). */
int dks_recipe_check_value(const char *var, const char *val, struct dks_error *err)
{
	if (!*val || !dks_recipe_only(val, "_.+,/:=@%~-"))
		return dks_err(err, 0,
			       "kernel target: ${%s} would be '%s', which needs shell quoting", var,
			       val);
	return 0;
}
