// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a build may read of other modules besides BUILD_DEPENDS
 * (orchestrator/build_reads.c, dpkg_db.c; docs/build.md "What a build
 * reads"): its package's Depends in a dpkg database the test writes in a
 * temp dir (dpkg_admindir), and config.yaml's build_reads. The parser
 * against hostile databases (huge fields, missing fields, paths outside
 * the source tree, cycles, a package naming another's source), then real
 * builds through $DKS_BIN.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dks/cleanup.h"
#include "dks/config.h"
#include "dks/tree.h"
#include "modtest.h"
#include "orchestrator/build.h"
#include "orchestrator/dpkg_db.h"
#include "sbtest.h"

TestSuite(reads, .fini = sbt_cleanup);
TestSuite(readsbuild, .fini = sbt_cleanup);

/* A temp dir with dkms/, src/ and an empty dpkg/info/. */
struct fx {
	char *root;
	char dkms[512], src[512], db[512];
	struct dks_tree tree;
	struct dks_config cfg;
};

static void fx_make(struct fx *f)
{
	f->root = sbt_mkdtemp(NULL);
	snprintf(f->dkms, sizeof(f->dkms), "%s/dkms", f->root);
	snprintf(f->src, sizeof(f->src), "%s/src", f->root);
	snprintf(f->db, sizeof(f->db), "%s/dpkg", f->root);
	sbt_must("mkdir -p %s %s %s/info && : > %s/status", f->dkms, f->src, f->db, f->db);
	f->tree = (struct dks_tree){.dkms_tree = f->dkms, .source_tree = f->src};
	f->cfg = (struct dks_config){.dpkg_admindir = f->db};
}

/* Module @m/@v added to the tree (a dkms.conf in src/m-v). */
static void fx_module(struct fx *f, const char *m, const char *v)
{
	struct dks_error err = {0};

	sbt_must("mkdir -p %s/%s-%s && echo 'PACKAGE_NAME=%s' > %s/%s-%s/dkms.conf", f->src, m, v,
		 m, f->src, m, v);
	cr_assert_eq(dks_tree_add(&f->tree, m, v, &err), 0, "%s", err.msg);
}

/* A paragraph of status (@fields: lines after Package) and @pkg's list:
 * @owns, space-separated, each "m-v" (its dir and dkms.conf under src/)
 * or an absolute path as is. */
static void fx_pkg(struct fx *f, const char *pkg, const char *fields, const char *owns)
{
	sbt_must("printf 'Package: %%s\\nStatus: install ok installed\\n%%b\\n\\n' '%s' '%s' >> "
		 "%s/status && for o in %s; do case $o in /*) echo $o;; *) echo %s/$o; "
		 "echo %s/$o/dkms.conf;; esac; done > %s/info/%s.list",
		 pkg, fields, f->db, owns, f->src, f->src, f->db, pkg);
}

/* dks_build_reads for @m/@v, as one space-separated string. */
static char *reads_of(struct fx *f, const char *m, const char *v)
{
	struct strv out = {0};
	struct dks_error err = {0};
	char buf[1024] = "";

	cr_assert_eq(dks_build_reads(&f->tree, &f->cfg, m, v, &out, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < out.n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
			 out.v[i]);
	strv_free(&out);
	return strdup(buf);
}

#define EXPECT_READS(f, m, v, want)                                                                \
	do {                                                                                       \
		cleanup_free char *got_ = reads_of(f, m, v);                                       \
		cr_expect_str_eq(got_, want, "%s/%s reads '%s', not '%s'", m, v, got_, want);      \
	} while (0)

Test(reads, a_module_reads_what_its_package_depends_on_any_alternative)
{
	struct fx f;

	fx_make(&f);
	fx_module(&f, "wc", "1");
	fx_module(&f, "xt", "3.2");
	fx_module(&f, "other", "1");
	fx_pkg(&f, "wc-dkms",
	       "Depends: libc6 (>= 2.36), dkms (>= 2.1) | dkms-sandbox,\\n"
	       " foo [amd64] | xt-dkms:any (>= 3)",
	       "wc-1");
	fx_pkg(&f, "xt-dkms", "Pre-Depends: dpkg", "xt-3.2");
	fx_pkg(&f, "other-dkms", "", "other-1");
	EXPECT_READS(&f, "wc", "1", "xt");
	/* The relation goes one way, and names nothing else. */
	EXPECT_READS(&f, "xt", "3.2", "");
	EXPECT_READS(&f, "other", "1", "");
}

Test(reads, pre_depends_count_and_a_multi_arch_list_name_is_the_package)
{
	struct fx f;

	fx_make(&f);
	fx_module(&f, "a", "1");
	fx_module(&f, "b", "1");
	fx_pkg(&f, "a-dkms", "pre-depends: b-dkms", "a-1");
	fx_pkg(&f, "b-dkms", "", "b-1");
	sbt_must("mv %s/info/b-dkms.list '%s/info/b-dkms:amd64.list'", f.db, f.db);
	EXPECT_READS(&f, "a", "1", "b");
}

Test(reads, no_database_or_an_empty_one_reads_nothing)
{
	struct fx f;

	fx_make(&f);
	fx_module(&f, "a", "1");
	fx_module(&f, "b", "1");
	EXPECT_READS(&f, "a", "1", "");
	sbt_must("rm -rf %s", f.db);
	EXPECT_READS(&f, "a", "1", "");
	f.cfg.dpkg_admindir = NULL;
	EXPECT_READS(&f, "a", "1", "");
}

Test(reads, a_dependency_cycle_and_a_self_dependency_end)
{
	struct fx f;

	fx_make(&f);
	fx_module(&f, "a", "1");
	fx_module(&f, "b", "1");
	fx_module(&f, "s", "1");
	fx_pkg(&f, "a-dkms", "Depends: b-dkms", "a-1");
	fx_pkg(&f, "b-dkms", "Depends: a-dkms", "b-1");
	fx_pkg(&f, "s-dkms", "Depends: s-dkms, a-dkms", "s-1");
	EXPECT_READS(&f, "a", "1", "b");
	EXPECT_READS(&f, "b", "1", "a");
	/* One level: s reads a, not what a depends on; never itself. */
	EXPECT_READS(&f, "s", "1", "a");
}

/* A dependency's list that names paths outside the source tree, a
 * module not added, a path with "..", a directory but not the dkms.conf:
 * none is a module to read. */
Test(reads, paths_outside_the_tree_or_not_a_modules_dkms_conf_give_nothing)
{
	struct fx f;
	char owns[4096];

	fx_make(&f);
	fx_module(&f, "evil", "1");
	fx_module(&f, "victim", "1");
	snprintf(owns, sizeof(owns),
		 "/etc/shadow /var/lib/dkms/mok.key %s/../src/victim-1/dkms.conf "
		 "%s/victim-1 %s/victim-1/ %s/notadded-1/dkms.conf %s/victim-1/dkms.conf/",
		 f.src, f.src, f.src, f.src, f.src);
	fx_pkg(&f, "evil-dkms", "Depends: shadow-pkg", "evil-1");
	fx_pkg(&f, "shadow-pkg", "", owns);
	EXPECT_READS(&f, "evil", "1", "");
}

/* A package that ships a directory of another's source (dpkg allows
 * shared directories) does not own it: its Depends give that module
 * nothing. A Depends on a package that owns another module's dkms.conf
 * does: that is the declared relation (read-only; docs/security.md). */
Test(reads, ownership_is_the_dkms_conf_file_not_a_shared_directory)
{
	struct fx f;
	char owns[1024];

	fx_make(&f);
	fx_module(&f, "victim", "1");
	fx_module(&f, "secret", "1");
	fx_module(&f, "evil", "1");
	snprintf(owns, sizeof(owns), "%s/victim-1", f.src);
	fx_pkg(&f, "victim-dkms", "", "victim-1");
	fx_pkg(&f, "squatter", "Depends: secret-dkms", owns);
	fx_pkg(&f, "secret-dkms", "", "secret-1");
	fx_pkg(&f, "evil-dkms", "Depends: victim-dkms", "evil-1");
	EXPECT_READS(&f, "victim", "1", "");
	EXPECT_READS(&f, "evil", "1", "victim");
	EXPECT_READS(&f, "secret", "1", "");
}

/* Huge fields: a Depends past the line bound gives its package nothing;
 * a huge Description elsewhere, a huge list line, a paragraph without
 * Package and a file without a last newline change nothing else. */
Test(reads, huge_and_missing_fields_are_bounded)
{
	struct fx f;

	fx_make(&f);
	fx_module(&f, "big", "1");
	fx_module(&f, "ok", "1");
	fx_module(&f, "dep", "1");
	fx_pkg(&f, "dep-dkms", "", "dep-1");
	sbt_must("{ printf 'Package: big-dkms\\nDepends: dep-dkms, '; head -c 3000000 /dev/zero | "
		 "tr '\\0' a; printf '\\n\\nDescription: x\\n '; head -c 5000000 /dev/zero | "
		 "tr '\\0' b; printf '\\n\\nDepends: dep-dkms\\n\\n'; } >> %s/status",
		 f.db);
	sbt_must("echo %s/big-1/dkms.conf > %s/info/big-dkms.list", f.src, f.db);
	sbt_must("{ head -c 200000 /dev/zero | tr '\\0' /; echo; echo %s/ok-1/dkms.conf; } > "
		 "%s/info/ok-dkms.list && printf 'Package: ok-dkms\\nDepends: dep-dkms' >> "
		 "%s/status",
		 f.src, f.db, f.db);
	EXPECT_READS(&f, "big", "1", "");
	EXPECT_READS(&f, "ok", "1", "dep");
}

/* A list that is a symlink, or a package name dpkg would refuse, is not
 * read. */
Test(reads, odd_list_files_are_skipped)
{
	struct fx f;

	fx_make(&f);
	fx_module(&f, "a", "1");
	fx_module(&f, "b", "1");
	fx_pkg(&f, "a-dkms", "Depends: b-dkms, Bad_Name", "a-1");
	fx_pkg(&f, "elsewhere", "", "b-1");
	sbt_must("cd %s/info && ln -s elsewhere.list b-dkms.list && cp elsewhere.list "
		 "Bad_Name.list",
		 f.db);
	EXPECT_READS(&f, "a", "1", "");
	cr_expect(!dks_dpkg_name_ok("Bad_Name") && !dks_dpkg_name_ok("a") &&
		  dks_dpkg_name_ok("g++-12") && dks_dpkg_name_ok("0ad"));
}

Test(reads, build_reads_of_the_configuration)
{
	struct fx f;
	struct dks_error err = {0};
	struct dks_config c = {0};
	char path[600];

	fx_make(&f);
	fx_module(&f, "wc", "1");
	snprintf(path, sizeof(path), "%s/config.yaml", f.root);
	sbt_must("printf 'build_reads:\\n  wc: [xt, y]\\n  z: [wc]\\ndpkg_admindir: %s\\n' > %s",
		 f.db, path);
	cr_assert_eq(dks_config_load(path, &c, &err), 0, "%s", err.msg);
	cr_expect_str_eq(c.dpkg_admindir, f.db);
	EXPECT_READS(&f, "wc", "1", ""); /* f.cfg: none */
	EXPECT_READS((&(struct fx){.tree = f.tree, .cfg = c}), "wc", "1", "xt y");
	dks_config_clear(&c);
}

static void config_fails(const char *text, const char *reason)
{
	struct fx f;
	struct dks_error err = {0};
	struct dks_config c = {0};
	char path[600];
	FILE *o;

	fx_make(&f);
	snprintf(path, sizeof(path), "%s/config.yaml", f.root);
	o = fopen(path, "w");
	cr_assert_not_null(o);
	fputs(text, o);
	fclose(o);
	cr_assert_eq(dks_config_load(path, &c, &err), -1, "accepted: %s", text);
	cr_expect(strstr(err.msg, "config.yaml:") && strstr(err.msg, reason), "'%s' for:\n%s",
		  err.msg, text);
}

Test(reads, bad_build_reads_and_dpkg_admindir_are_errors)
{
	config_fails("build_reads: [a, b]\n", "'build_reads' must be a mapping");
	config_fails("build_reads: {a: b}\n", "'build_reads.a' must be a sequence");
	config_fails("build_reads: {a: [a]}\n", "does not read itself");
	config_fails("build_reads: {../x: [a]}\n", "'build_reads'");
	config_fails("build_reads: {a: [.hidden]}\n", "'build_reads'");
	config_fails("build_reads: {a: [[b]]}\n", "must be a scalar");
	config_fails("dpkg_admindir: var/lib/dpkg\n", "absolute");
}

/* ---- real builds ---- */

/* rd/1.0, whose make.sh reads dep's file at its canonical path, and dep/1.0
 * added (not built: a source is what is read). */
static void reader_and_dep(const struct mt_tree *t)
{
	mt_module(t, "dep", NULL, "dep.txt", "from dep\n");
	mt_module(t, "rd", "MAKE[0]=\"bash ./make.sh $kernelver\"", "make.sh",
		  "cat /usr/src/dep-1.0/dep.txt || echo dep-hidden\n"
		  "make -C /lib/modules/$1/build M=$PWD modules\n");
	sbt_must("cp %s/tests/modules/hello/* %s/src/rd-1.0/ && chmod -R a+rX %s/src/rd-1.0",
		 getenv("DKS_SRCDIR"), t->root, t->root);
	cr_assert_eq(mt_dks(t, 60, (char[4096]){0}, 4096, "add dep/1.0"), 0);
}

static char *build_log(const struct mt_tree *t, const char *config)
{
	char out[16384], path[1024];

	cr_assert_eq(mt_dks(t, 600, out, sizeof(out),
			    "build rd/1.0 -k %s --force "
			    "--sandbox-config %s",
			    t->kver, config),
		     0, "%s", out);
	mt_log_path(t, "rd", path, sizeof(path));
	cr_assert_eq(sbt_sh(out, sizeof(out), "cat %s", path), 0);
	return strdup(out);
}

Test(readsbuild, a_package_dependency_in_dpkgs_database_makes_a_source_visible, .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *with = NULL, *without = NULL;
	char yes[600], no[600];

	mt_tree_make(&t);
	reader_and_dep(&t);
	sbt_must("cd %s && mkdir -p dpkg/info empty && printf 'Package: rd-dkms\\nVersion: 1.0\\n"
		 "Depends: dkms (>= 2.1.0.0) | dkms-sandbox, dep-dkms (>= 1.0)\\n\\nPackage: "
		 "dep-dkms\\nVersion: 1.0\\n' > dpkg/status && echo $PWD/src/rd-1.0/dkms.conf > "
		 "dpkg/info/rd-dkms.list && echo $PWD/src/dep-1.0/dkms.conf > "
		 "dpkg/info/dep-dkms.list && echo \"dpkg_admindir: $PWD/dpkg\" > with.yaml && "
		 "echo \"dpkg_admindir: $PWD/empty\" > without.yaml",
		 t.root);
	cr_assert_eq(mt_dks(&t, 60, (char[4096]){0}, 4096, "add rd/1.0"), 0);
	snprintf(yes, sizeof(yes), "%s/with.yaml", t.root);
	snprintf(no, sizeof(no), "%s/without.yaml", t.root);
	without = build_log(&t, no);
	cr_expect(strstr(without, "dep-hidden") && !strstr(without, "from dep"),
		  "dep visible without a relation:\n%s", without);
	with = build_log(&t, yes);
	cr_expect(strstr(with, "from dep\n"), "the dependency's source is hidden:\n%s", with);
}

Test(readsbuild, build_reads_in_config_makes_a_source_visible, .timeout = 900)
{
	struct mt_tree t;
	cleanup_free char *log = NULL;
	char config[600];

	mt_tree_make(&t);
	reader_and_dep(&t);
	snprintf(config, sizeof(config), "%s/config.yaml", t.root);
	sbt_must("printf 'dpkg_admindir: %s/none\\nbuild_reads:\\n  rd: [dep]\\n' > %s", t.root,
		 config);
	cr_assert_eq(mt_dks(&t, 60, (char[4096]){0}, 4096, "add rd/1.0"), 0);
	log = build_log(&t, config);
	cr_expect(strstr(log, "from dep\n"), "the configured source is hidden:\n%s", log);
}

/* wc/1 and xt/3.2 added, wc-dkms depending on xt-dkms; xt-dkms shipping
 * xt's dkms.conf when @xt_shipped. */
static void wc_needs_xt(struct fx *f, bool xt_shipped)
{
	fx_make(f);
	fx_module(f, "wc", "1");
	fx_module(f, "xt", "3.2");
	fx_pkg(f, "wc-dkms", "Depends: xt-dkms", "wc-1");
	if (xt_shipped)
		fx_pkg(f, "xt-dkms", "", "xt-3.2");
}

/* Lists are searched for the paths' last component before they are
 * parsed: a list whose dkms.conf line falls across the search's 64 KiB
 * blocks, at each offset around the boundary, is still its owner's. */
Test(reads, an_owned_path_across_the_search_blocks_is_found)
{
	for (int shift = -12; shift <= 12; shift += 3) {
		struct fx f;
		char list[700];

		wc_needs_xt(&f, true);
		snprintf(list, sizeof(list), "%s/info/xt-dkms.list", f.db);
		/* filler lines up to 64 KiB + shift - the path's first half */
		sbt_must("p=%s/xt-3.2/dkms.conf; n=$((65536 + %d - ${#p} / 2)); "
			 "head -c $((n - 1)) /dev/zero | tr '\\\\0' x > %s && echo >> %s && "
			 "echo $p >> %s",
			 f.src, shift, list, list, list);
		EXPECT_READS(&f, "wc", "1", "xt");
	}
}

/* The owners are remembered in <dkmstree>/.dpkg-owners for the info
 * directory as it is: a list changed in place (dpkg never does that) is
 * not read again; a package installed (a new list renamed in, as dpkg
 * does) makes the memo stale and the lists are read again. */
Test(reads, the_owners_are_remembered_until_dpkg_changes_its_lists)
{
	struct fx f;

	wc_needs_xt(&f, true);
	EXPECT_READS(&f, "wc", "1", "xt");
	sbt_must("grep -q xt-dkms %s/.dpkg-owners && : > %s/info/xt-dkms.list && "
		 "touch -d @1000 %s/info/xt-dkms.list",
		 f.dkms, f.db, f.db);
	EXPECT_READS(&f, "wc", "1", "xt");
	sbt_must("echo /usr/share/doc/new > %s/info/new.list.tmp && "
		 "mv %s/info/new.list.tmp %s/info/new.list",
		 f.db, f.db, f.db);
	EXPECT_READS(&f, "wc", "1", "");
}

/* A memo is believed only whole and for this database as it is now: one
 * that says xt-dkms ships xt's dkms.conf (the lists say no package does)
 * is believed intact, and not when cut short, for another database, a
 * link to it, a FIFO (never blocks), a directory, or too big. */
Test(reads, a_damaged_or_planted_memo_is_not_believed, .timeout = 60)
{
	const char *const plant[] = {
	    "cp $M.lie $M",
	    "head -c -3 $M.lie > $M",
	    "sed '1s/^dks-dpkg-owners 1 [^ ]*/dks-dpkg-owners 1 \\/elsewhere/' $M.lie > $M",
	    "ln -s $M.lie $M",
	    "mkfifo $M",
	    "mkdir $M",
	    "{ cat $M.lie; head -c 2000000 /dev/zero | tr '\\\\0' x; echo; } > $M",
	};

	for (size_t i = 0; i < sizeof(plant) / sizeof(plant[0]); i++) {
		struct fx f;

		wc_needs_xt(&f, false);
		EXPECT_READS(&f, "wc", "1", "");
		sbt_must("M=%s/.dpkg-owners && grep -q 'xt-3.2/dkms.conf\t-$' $M && "
			 "sed 's/\\(xt-3.2\\/dkms.conf\t\\)-$/\\1xt-dkms/' $M > $M.lie && rm $M && %s",
			 f.dkms, plant[i]);
		EXPECT_READS(&f, "wc", "1", i == 0 ? "xt" : "");
	}
}
