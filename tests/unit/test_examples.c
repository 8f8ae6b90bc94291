// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * docs/examples/ (docs/fleet.md): each engine's file is checked for
 * syntax and for the keys that engine requires: the YAML ones through our
 * own loader (common/yamldoc.c), the sbatch script with `bash -n` and its
 * #SBATCH options against `sbatch --help`; and every dkms-sandbox command
 * line in them is parsed by our command line's parser (dks_cli_parse:
 * the option table, the verb's rules), with shell expansions standing in
 * as words.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/yamldoc.h"
#include "orchestrator/cli.h"
#include "sbtest.h"

TestSuite(examples, .fini = sbt_cleanup);

static char *read_example(const char *name)
{
	char path[1024];
	FILE *f;
	char *text = calloc(1, 1 << 16);
	size_t n;

	snprintf(path, sizeof(path), "%s/docs/examples/%s", getenv("DKS_SRCDIR"), name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	n = fread(text, 1, (1 << 16) - 1, f);
	fclose(f);
	text[n] = 0;
	return text;
}

/* The node at a dotted path ("spec.template.spec"; "containers.0"), or NULL. */
static yaml_node_t *at(yaml_document_t *d, yaml_node_t *n, const char *path)
{
	char key[128];
	size_t len = strcspn(path, ".");

	if (!n || !*path)
		return n;
	snprintf(key, sizeof(key), "%.*s", (int)len, path);
	path += len + (path[len] == '.');
	if (n->type == YAML_SEQUENCE_NODE && isdigit((unsigned char)key[0])) {
		long i = strtol(key, NULL, 10);
		yaml_node_item_t *it = n->data.sequence.items.start + i;

		return it < n->data.sequence.items.top ? at(d, yaml_document_get_node(d, *it), path)
						       : NULL;
	}
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return at(d, yaml_document_get_node(d, p->value), path);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Load @name and check that every path of @need is there. */
static void check_yaml(const char *name, const char *const *need, size_t n)
{
	char *text = read_example(name);
	struct dks_yaml_doc d = {0};
	struct dks_error err = {0};
	yaml_node_t *root;

	cr_assert_eq(dks_yaml_doc_load(&d, text, strlen(text), name, "example", false, 1, &err), 1,
		     "%s", err.msg);
	root = yaml_document_get_root_node(&d.doc);
	for (size_t i = 0; i < n; i++)
		cr_expect_not_null(at(&d.doc, root, need[i]), "%s: no %s", name, need[i]);
	if (strcmp(name, "k8s-indexed-job.yaml") == 0) {
		cr_expect_str_eq(scalar(at(&d.doc, root, "apiVersion")), "batch/v1");
		cr_expect_str_eq(scalar(at(&d.doc, root, "kind")), "Job");
		cr_expect_str_eq(scalar(at(&d.doc, root, "spec.completionMode")), "Indexed");
		cr_expect_str_eq(scalar(at(&d.doc, root, "spec.template.spec.restartPolicy")),
				 "Never");
	}
	dks_yaml_doc_release(&d);
	free(text);
}

Test(examples, github_actions_has_a_plan_job_and_a_matrix_over_its_units)
{
	static const char *const need[] = {"on",
					   "jobs.plan.runs-on",
					   "jobs.plan.steps.0.run",
					   "jobs.plan.outputs.units",
					   "jobs.build.needs",
					   "jobs.build.runs-on",
					   "jobs.build.strategy.matrix.unit",
					   "jobs.build.steps.1.run"};

	check_yaml("github-actions.yml", need, sizeof(need) / sizeof(need[0]));
}

Test(examples, gitlab_ci_has_a_plan_job_and_parallel_build_jobs)
{
	static const char *const need[] = {
	    "stages.1",	   "plan.stage",     "plan.script.0",  "plan.artifacts.paths.0",
	    "build.stage", "build.parallel", "build.script.3", "build.needs.0"};

	check_yaml("gitlab-ci.yml", need, sizeof(need) / sizeof(need[0]));
}

Test(examples, k8s_is_an_indexed_job)
{
	static const char *const need[] = {"metadata.name", "spec.completions", "spec.parallelism",
					   "spec.template.spec.containers.0.image",
					   "spec.template.spec.containers.0.args.0"};

	check_yaml("k8s-indexed-job.yaml", need, sizeof(need) / sizeof(need[0]));
}

Test(examples, the_sbatch_script_is_bash_and_its_sbatch_options_exist)
{
	char *dir = sbt_mkdtemp(NULL), out[65536];
	char *text = read_example("fleet.sbatch");

	sbt_defer_rmtree(dir);
	cr_assert_eq(
	    sbt_sh(out, sizeof(out), "bash -n %s/docs/examples/fleet.sbatch", getenv("DKS_SRCDIR")),
	    0, "%s", out);
	cr_assert(strstr(text, "\n#SBATCH ") != NULL, "no #SBATCH line");
	/* sbatch reads a slurm.conf even for --help: a minimal one of ours */
	sbt_must("printf 'ClusterName=x\\nSlurmctldHost=localhost\\nNodeName=localhost\\n"
		 "PartitionName=p Nodes=localhost\\n' > %s/slurm.conf && "
		 "SLURM_CONF=%s/slurm.conf sbatch --help > %s/help",
		 dir, dir, dir);
	for (char *l = strstr(text, "\n#SBATCH "); l; l = strstr(l + 1, "\n#SBATCH ")) {
		char opt[64];

		cr_assert_eq(sscanf(l, "\n#SBATCH %63[^= \n]", opt), 1);
		cr_expect_eq(sbt_sh(out, sizeof(out), "grep -q -- ' %s[= ]' %s/help", opt, dir), 0,
			     "#SBATCH %s: not an sbatch option", opt);
	}
	free(text);
	free(dir);
}

/* The words of one command line after its program, to the end of the
 * command (a redirection, a pipe, a list, a continuation, the line's
 * end); "$@" dropped, every other word with a shell expansion in it
 * (${{ }} of GitHub, $VAR, $(...)) standing in as "1". */
static int words(const char *line, char **argv, int max, char *buf)
{
	char *save = NULL;
	int argc = 0;

	strcpy(buf, line);
	for (char *p = strtok_r(buf, " \t\r", &save); p && argc < max - 1;
	     p = strtok_r(NULL, " \t\r", &save)) {
		if (strpbrk(p, ">|;&\\"))
			break;
		if (!strcmp(p, "\"$@\""))
			continue;
		if (!strncmp(p, "${{", 3)) {
			while ((p = strtok_r(NULL, " \t\r", &save)) && strcmp(p, "}}") != 0)
				;
			argv[argc++] = "1";
			continue;
		}
		argv[argc++] = strchr(p, '$') ? "1" : p;
		for (char *q = argv[argc - 1]; *q; q++)
			if (*q == '"' || *q == '\'')
				memmove(q, q + 1, strlen(q));
	}
	argv[argc] = NULL;
	return argc;
}

/* After the program's name (ours, or the sbatch script's variable), the
 * command line of plan or build --plan; else NULL. */
static const char *our_command(const char *line)
{
	static const char *const progs[] = {"dkms-sandbox ", "\"$dkms_sandbox\" "};

	for (size_t i = 0; i < 2; i++) {
		const char *c = strstr(line, progs[i]);

		c = c ? c + strlen(progs[i]) : NULL;
		if (c && (!strncmp(c, "plan", 4) || !strncmp(c, "build --plan", 12)))
			return c;
	}
	return NULL;
}

Test(examples, every_dkms_sandbox_command_line_parses)
{
	static const char *const files[] = {"fleet.sbatch", "github-actions.yml", "gitlab-ci.yml",
					    "k8s-indexed-job.yaml"};
	size_t checked = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char *text = read_example(files[f]), *save = NULL;

		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			const char *cmd = our_command(l);
			char buf[1024], *argv[64];
			struct dks_cli cli;
			struct dks_error err = {0};
			int argc;

			if (!cmd)
				continue;
			argc = words(cmd, argv, 64, buf);
			cr_assert(argc > 0, "%s: %s", files[f], l);
			cr_expect_eq(dks_cli_parse(argc, argv, argv[0], &cli, &err), 0,
				     "%s: %s: %s", files[f], cmd, err.msg);
			cr_expect(!strcmp(argv[0], "plan") || (cli.plan && cli.unit && !cli.n_mods),
				  "%s: %s: not build --plan FILE --unit N", files[f], cmd);
			dks_cli_clear(&cli);
			checked++;
		}
		free(text);
	}
	cr_expect_geq(checked, 8, "only %zu command lines found", checked);
}
