// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * plan and build --plan FILE --unit N (issue 10, docs/fleet.md): the
 * matrix in its order with each unit's digest and the excluded units apart,
 * exactly one unit built per index, concurrent units on one tree, a stale
 * plan refused with 23, and the plan file as hostile input: every class of
 * malformed plan refused by the parser (dks_plan_parse, bytes in) with one
 * line naming the file, the line and the field.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "modtest.h"
#include "orchestrator/plan.h"
#include "sbtest.h"

TestSuite(plan, .fini = sbt_cleanup);

static char out[65536];

/* A tree with every installed kernel's headers linked, and modules a/1.0,
 * b/1.0 (tests/modules/hello) and x/1.0, which BUILD_EXCLUSIVE excludes. */
static size_t tree(struct mt_tree *t)
{
	size_t n;
	char **k = sbt_installed_kernels(&n);

	mt_tree_make(t);
	for (size_t i = 0; i < n; i++) {
		char *h = sbt_kernel_headers(k[i]);

		sbt_must("mkdir -p %s/lib/%s && ln -sfn %s %s/lib/%s/build", t->root, k[i], h,
			 t->root, k[i]);
		free(h);
	}
	sbt_strv_free(k);
	mt_module(t, "b", NULL, NULL, NULL);
	mt_module(t, "a", NULL, NULL, NULL);
	mt_module(t, "x", "BUILD_EXCLUSIVE_KERNEL=\"^0\\.0\\.\"", NULL, NULL);
	sbt_must("for m in a b x; do cp %s/tests/modules/hello/* %s/src/$m-1.0/; done && "
		 "chmod -R a+rX %s/src",
		 getenv("DKS_SRCDIR"), t->root, t->root);
	for (const char *m = "abx"; *m; m++)
		cr_assert_eq(mt_dks(t, 60, out, sizeof(out), "add %c/1.0", *m), 0, "%s", out);
	return n;
}

static void plan_file(const struct mt_tree *t, const char *args)
{
	cr_assert_eq(mt_dks(t, 120, out, sizeof(out), "plan --all --json %s", args), 0, "%s", out);
	/* only stdout in the file (sbt_sh sends the braces' stderr to its pipe) */
	sbt_must("{ %s plan --all --json %s %s > %s/plan.json; }", getenv("DKS_BIN"), args, t->opts,
		 t->root);
}

static struct dks_plan *load(const struct mt_tree *t)
{
	struct dks_plan *p = NULL;
	struct dks_error err = {0};
	char path[512];

	snprintf(path, sizeof(path), "%s/plan.json", t->root);
	cr_assert_eq(dks_plan_load(path, &p, &err), 0, "%s", err.msg);
	return p;
}

Test(plan, json_lists_units_in_order_with_digests_and_excluded_apart, .timeout = 240)
{
	struct mt_tree t;
	size_t nk = tree(&t);
	struct dks_plan *p;

	plan_file(&t, "");
	p = load(&t);
	cr_expect_eq(p->version, DKS_PLAN_VERSION);
	cr_assert_eq(p->n_units, 2 * nk, "a and b for %zu kernels: %zu units", nk, p->n_units);
	cr_expect_eq(p->n_excluded, nk);
	cr_expect_str_eq(p->units[0].module, "a");
	cr_expect_str_eq(p->units[p->n_units - 1].module, "b");
	for (size_t i = 0; i + 1 < p->n_units; i++) /* the parser checks the order too */
		cr_expect(strcmp(p->units[i].digest, p->units[i + 1].digest) != 0,
			  "units %zu and %zu: one digest", i, i + 1);
	cr_expect_str_eq(p->units[0].source, p->units[nk - 1].source, "a: one source, any kernel");
	cr_expect_str_neq(p->units[0].source, p->units[nk].source, "a and b: two sources");
	cr_expect(strstr(p->excluded[0].reason, "BUILD_EXCLUSIVE_KERNEL") != NULL, "%s",
		  p->excluded[0].reason);
	cr_expect(strstr(p->dkmstree, t.root) == p->dkmstree, "%s", p->dkmstree);
	dks_plan_free(p);
	/* the same plan twice: the same bytes */
	sbt_must("{ %s plan --all --json %s > %s/again.json; } && cmp %s/plan.json %s/again.json",
		 getenv("DKS_BIN"), t.opts, t.root, t.root, t.root);
	/* the table for humans */
	cr_assert_eq(mt_dks(&t, 120, out, sizeof(out), "plan a/1.0 x/1.0 -k %s", t.kver), 0, "%s",
		     out);
	cr_expect(strstr(out, "plan: 1 unit(s) to build, 1 excluded") != NULL, "%s", out);
	cr_expect(strstr(out, "excluded: x/1.0: skipped for kernel") != NULL, "%s", out);
}

Test(plan, build_of_a_unit_builds_exactly_that_unit_and_units_run_concurrently, .timeout = 300)
{
	struct mt_tree t;
	size_t nk = tree(&t);
	struct dks_plan *p;
	char cmd[8192] = "";

	plan_file(&t, "");
	p = load(&t);
	cr_assert_eq(
	    mt_dks(&t, 120, out, sizeof(out), "build --plan %s/plan.json --unit 0", t.root), 0,
	    "%s", out);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "status"), 0, "%s", out);
	cr_expect(strstr(out, "a/1.0, ") && strstr(out, ": built"), "%s", out);
	cr_expect(strstr(out, "b/1.0: added") != NULL, "only unit 0 is built: %s", out);
	/* every other unit at once, on the one tree: its locks keep them apart */
	for (size_t i = 1; i < p->n_units; i++)
		snprintf(
		    cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		    "%s build --plan %s/plan.json --unit %zu %s > %s/u%zu.log 2>&1 & p=\"$p $!\"; ",
		    getenv("DKS_BIN"), t.root, i, t.opts, t.root, i);
	sbt_must("p=; %s fail=0; for j in $p; do wait $j || fail=1; done; "
		 "cat %s/u*.log; exit $fail",
		 cmd, t.root);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "status"), 0, "%s", out);
	for (size_t i = 0; i < p->n_units; i++) {
		char line[512];

		snprintf(line, sizeof(line), "%s/1.0, %s, %s: built", p->units[i].module,
			 p->units[i].kernel, p->units[i].arch);
		cr_expect(strstr(out, line) != NULL, "no '%s' in: %s", line, out);
	}
	sbt_must("test -z \"$(find %s/dkms -name '.stage*' -o -name '.build-*')\"", t.root);
	/* again: built already, nothing done */
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "build --plan %s/plan.json --unit 0", t.root),
		     0, "%s", out);
	cr_expect(strstr(out, "already built") != NULL, "%s", out);
	(void)nk;
	dks_plan_free(p);
}

Test(plan, a_stale_plan_is_refused_with_23_and_nothing_is_built, .timeout = 240)
{
	struct mt_tree t;

	tree(&t);
	plan_file(&t, "a/1.0");
	sbt_must("echo '/* changed */' >> %s/src/a-1.0/hello.c", t.root);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "build --plan %s/plan.json --unit 0", t.root),
		     23, "%s", out);
	cr_expect(strstr(out, "is stale: its inputs changed since the plan (source)") != NULL, "%s",
		  out);
	plan_file(&t, "a/1.0");
	sbt_must("echo 'MAKE[0]=\"make -C $kernel_source_dir M=$dkms_tree/a/1.0/build\"' >> "
		 "%s/src/a-1.0/dkms.conf",
		 t.root);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "build --plan %s/plan.json --unit 0", t.root),
		     23, "%s", out);
	cr_expect(strstr(out, "dkms.conf as evaluated)") != NULL, "%s", out);
	plan_file(&t, "a/1.0");
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out),
			    "build --plan %s/plan.json --unit 0 --profile strict", t.root),
		     23, "%s", out);
	cr_expect(strstr(out, "profile") != NULL, "%s", out);
	cr_assert_eq(mt_dks(&t, 30, out, sizeof(out), "status a/1.0"), 0, "%s", out);
	cr_expect(strstr(out, "built") == NULL, "%s", out);
}

Test(plan, a_unit_out_of_range_a_bad_index_and_misused_options_are_one_line, .timeout = 120)
{
	struct mt_tree t;
	static const struct {
		const char *verb, *file, *rest, *want; /* VERB --plan ROOT/FILE REST */
	} cases[] = {
	    {"build", "/plan.json", "--unit 99", "no unit 99: the plan has "},
	    {"build", "/plan.json", "--unit -1", "--unit '-1' is not a unit index"},
	    {"build", "/plan.json", "--unit 1x", "--unit '1x' is not a unit index"},
	    {"build", "/plan.json", "", "give --unit N"},
	    {"build", "/plan.json", "--unit 0 a/1.0", "no MODULE/VERSION, -k, -a or --all"},
	    {"build", "/plan.json", "--unit 0 --all", "no MODULE/VERSION, -k, -a or --all"},
	    {"status", "/plan.json", "", "--plan and --unit are build's"},
	    {"build", "/nothing.json", "--unit 0", "nothing.json: No such file"},
	    {"build", "", "--unit 0", ": not a regular file"},
	};

	tree(&t);
	plan_file(&t, "a/1.0");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "%s --plan %s%s %s", cases[i].verb,
				    t.root, cases[i].file, cases[i].rest),
			     1, "case %zu: %s", i, out);
		cr_expect(strstr(out, cases[i].want) != NULL, "case %zu: want '%s' in: %s", i,
			  cases[i].want, out);
		cr_expect(strchr(out, '\n') == strrchr(out, '\n'), "one line: %s", out);
	}
}
