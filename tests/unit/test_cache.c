// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The build cache (docs/cache.md), with real builds of tests/modules/hello
 * as recipes (a recipe is read without a sandbox, so a hit starts none at
 * all: a build user that does not exist proves it, since any sandbox
 * fails on it) and of a Debian corpus module. Every cache is a temporary
 * directory (--cache-dir); the trees are mt_tree's.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/cache.h"
#include "dks/exit.h"
#include "insttest.h"
#include "modtest.h"
#include "sbtest.h"

#define NO_USER "--user dks-cache-test-no-such-user"

static char out[65536];

/* A recipe @name (hello's source, its message made @name's) in @dir. */
static void recipe(const char *dir, const char *name)
{
	sbt_must("mkdir -p %s/%s && cp %s/tests/modules/hello/* %s/%s/ && "
		 "sed -i 's/hello from/%s from/' %s/%s/hello.c && "
		 "printf 'name: %s\\nversion: \"1.0\"\\nsource:\\n  dir: %s\\nbuild:\\n"
		 "  clean: make -C ${kernel_source_dir} M=${build_dir} clean\\nmodules:\\n"
		 "  - name: hello\\n' > %s/%s.yaml && chmod -R a+rX %s",
		 dir, name, getenv("DKS_SRCDIR"), dir, name, name, dir, name, name, name, dir, name,
		 dir);
}

/* A tree with the recipes @names (space-separated) of @rdir added. */
static void tree(struct mt_tree *t, const char *rdir, const char *names)
{
	char list[256], *save = NULL;

	mt_tree_make(t);
	snprintf(list, sizeof(list), "%s", names);
	for (char *n = strtok_r(list, " ", &save); n; n = strtok_r(NULL, " ", &save))
		cr_assert_eq(mt_dks(t, 60, out, sizeof(out), "add %s/%s.yaml", rdir, n), 0, "%s",
			     out);
}

static int build(const struct mt_tree *t, const char *cache, const char *mods, const char *more)
{
	return mt_dks(t, 600, out, sizeof(out), "build %s -k %s --cache-dir %s %s", mods, t->kver,
		      cache, more ? more : "");
}

/* The sha256 of m/1.0's hello.ko in @t ("" when not built). */
static void ko_sum(const struct mt_tree *t, const char *m, char *sum, size_t size)
{
	sbt_sh(sum, size, "sha256sum %s/dkms/%s/1.0/%s/*/module/hello.ko 2>/dev/null | cut -c1-64",
	       t->root, m, t->kver);
}

static char *new_cache(void)
{
	char *dir = sbt_mkdtemp(NULL);
	char *cache = NULL;

	cr_assert(asprintf(&cache, "%s/cache", dir) > 0);
	free(dir);
	return cache;
}

/* The one entry of @cache (its key dir's path) into @path. */
static void entry_of(const char *cache, char *path, size_t size)
{
	cr_assert_eq(sbt_sh(path, size, "ls -d %s/* | grep -E '/[0-9a-f]{64}$'", cache), 0,
		     "no entry in %s", cache);
	path[strcspn(path, "\n")] = '\0';
	cr_assert(!strchr(path, '\n'));
}

static int count_entries(const char *cache)
{
	char n[32];

	sbt_sh(n, sizeof(n), "ls -A %s 2>/dev/null | grep -cE '^[0-9a-f]{64}$'", cache);
	return atoi(n);
}

Test(cache, a_second_build_in_another_tree_is_a_hit_with_no_sandbox, .timeout = 600)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), sa[80], sb[80];
	struct mt_tree a, b, c;

	recipe(rdir, "hc");
	tree(&a, rdir, "hc");
	tree(&b, rdir, "hc");
	tree(&c, rdir, "hc");
	cr_assert_eq(build(&a, cache, "hc/1.0", NULL), 0, "%s", out);
	cr_assert(!strstr(out, "from the cache"), "%s", out);
	cr_assert_eq(count_entries(cache), 1);
	/* No such build user: any sandbox fails, so a success started none. */
	cr_assert_eq(build(&c, cache, "hc/1.0", "--no-cache " NO_USER), 1, "%s", out);
	cr_assert(strstr(out, "no such user"), "%s", out);
	cr_assert_eq(build(&b, cache, "hc/1.0", NO_USER), 0, "%s", out);
	cr_assert(strstr(out, "hc/1.0, ") && strstr(out, ": from the cache "), "%s", out);
	ko_sum(&a, "hc", sa, sizeof(sa));
	ko_sum(&b, "hc", sb, sizeof(sb));
	cr_assert(strlen(sa) > 60, "%s", sa);
	cr_assert_str_eq(sa, sb, "the hit's module differs from the first build's");
	cr_assert_eq(mt_dks(&b, 30, out, sizeof(out), "status"), 0, "%s", out);
	cr_assert(strstr(out, "hc/1.0, ") && strstr(out, ": built"), "%s", out);
	cr_assert_eq(sbt_sh(out, sizeof(out), "grep -c 'came from the cache' %s/dkms/hc/1.0/%s/*/log/make.log",
			    b.root, b.kver), 0, "the log does not say so");
	free(rdir);
	free(cache);
}

/* hc built in a first tree, then in a second with @edit run in its source
 * (or @more options): a miss (the failed build of NO_USER shows it). */
static void expect_miss(const char *edit, const char *more)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), opts[PATH_MAX + 128];
	struct mt_tree a, b;

	recipe(rdir, "hc");
	tree(&a, rdir, "hc");
	tree(&b, rdir, "hc");
	cr_assert_eq(build(&a, cache, "hc/1.0", NULL), 0, "%s", out);
	if (edit)
		sbt_must("cd %s && %s", b.root, edit);
	snprintf(opts, sizeof(opts), "%s %s", NO_USER, more ? more : "");
	cr_assert_neq(build(&b, cache, "hc/1.0", opts), 0, "%s", out);
	cr_assert(!strstr(out, "from the cache"), "a changed input hit the cache: %s", out);
	free(rdir);
	free(cache);
}

Test(cache, one_source_byte_misses, .timeout = 600)
{
	expect_miss("sed -i 's/hc from/hC from/' src/hc-1.0/hello.c", NULL);
}

Test(cache, one_config_line_misses, .timeout = 600)
{
	/* The kernel's build dir: a copy of the headers (links) with one
	 * more .config line. */
	expect_miss("h=$(readlink lib/*/build) && rm lib/*/build && mkdir hdr && cp -as $h/. hdr/ && "
		    "rm hdr/.config && cp $h/.config hdr/.config && "
		    "echo CONFIG_DKS_CACHE_TEST=y >> hdr/.config && ln -s $PWD/hdr lib/$(ls lib)/build",
		    NULL);
}

Test(cache, another_toolchain_misses, .timeout = 600)
{
	char *tc = sbt_mkdtemp(NULL), opt[PATH_MAX];

	/* a toolchain root whose gcc is another version (dks_toolchain_id) */
	sbt_must("mkdir -p %s/var/lib/dpkg && printf 'Package: gcc-12\\nStatus: install ok "
		 "installed\\nArchitecture: amd64\\nVersion: 99.0-1\\n\\n' > %s/var/lib/dpkg/status",
		 tc, tc);
	snprintf(opt, sizeof(opt), "--toolchain %s", tc);
	expect_miss(NULL, opt);
	free(tc);
}

Test(cache, another_profile_misses, .timeout = 600)
{
	expect_miss(NULL, "--profile strict");
}

/* What another module's files feed into a build is not in the key: such
 * a build is never cached (build_reads here; BUILD_DEPENDS the same). */
Test(cache, a_build_that_reads_another_module_is_not_cached, .timeout = 600)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), cfg[PATH_MAX + 64];
	struct mt_tree a;

	recipe(rdir, "hc");
	recipe(rdir, "hd");
	tree(&a, rdir, "hc hd");
	sbt_must("printf 'build_reads: { hc: [hd] }\\n' > %s/reads.yaml", a.root);
	snprintf(cfg, sizeof(cfg), "--sandbox-config %s/reads.yaml", a.root);
	cr_assert_eq(build(&a, cache, "hc/1.0", cfg), 0, "%s", out);
	cr_assert_eq(count_entries(cache), 0, "a build reading hd was cached");
	cr_assert_eq(build(&a, cache, "hd/1.0", cfg), 0, "%s", out);
	cr_assert_eq(count_entries(cache), 1, "hd reads nothing else: cached");
	free(rdir);
	free(cache);
}

Test(cache, no_cache_neither_reads_nor_writes, .timeout = 600)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache();
	struct mt_tree a, b;

	recipe(rdir, "hc");
	tree(&a, rdir, "hc");
	tree(&b, rdir, "hc");
	cr_assert_eq(build(&a, cache, "hc/1.0", "--no-cache"), 0, "%s", out);
	cr_assert_neq(access(cache, F_OK), 0, "--no-cache made the cache");
	cr_assert_eq(build(&a, cache, "hc/1.0", "--force"), 0, "%s", out);
	cr_assert_eq(count_entries(cache), 1);
	cr_assert_eq(build(&b, cache, "hc/1.0", "--no-cache " NO_USER), 1, "%s", out);
	cr_assert(!strstr(out, "from the cache"), "%s", out);
	free(rdir);
	free(cache);
}

/* Every name, size and mtime below @cache. */
static void snapshot(const char *cache, char *buf, size_t size)
{
	cr_assert_eq(sbt_sh(buf, size, "cd %s && find . -printf '%%p %%s %%T@\\n' | sort", cache),
		     0);
}

Test(cache, read_only_mode_never_writes, .timeout = 600)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), e[PATH_MAX], before[8192],
	     after[8192];
	struct mt_tree a, b;

	recipe(rdir, "hc");
	tree(&a, rdir, "hc");
	tree(&b, rdir, "hc");
	sbt_must("printf 'cache_mode: read-only\\n' > %s/ro.yaml", a.root);
	snprintf(e, sizeof(e), "--sandbox-config %s/ro.yaml", a.root);
	cr_assert_eq(build(&a, cache, "hc/1.0", e), 0, "%s", out);
	cr_assert_neq(access(cache, F_OK), 0, "read-only made the cache");
	cr_assert_eq(build(&a, cache, "hc/1.0", "--force"), 0, "%s", out);
	/* A hit and a bad entry in read-only mode: nothing in the cache changes. */
	snapshot(cache, before, sizeof(before));
	snprintf(e, sizeof(e), "--sandbox-config %s/ro.yaml --force " NO_USER, a.root);
	cr_assert_eq(build(&b, cache, "hc/1.0", e), 0, "%s", out);
	cr_assert(strstr(out, "from the cache"), "%s", out);
	snapshot(cache, after, sizeof(after));
	cr_assert_str_eq(before, after, "a read-only hit changed the cache");
	sbt_must("cd %s && e=$(ls -d [0-9a-f]*) && echo x >> $e/make.log", cache);
	snapshot(cache, before, sizeof(before));
	cr_assert_neq(build(&b, cache, "hc/1.0", e), 0, "%s", out);
	cr_assert(strstr(out, "warning: cache entry"), "%s", out);
	snapshot(cache, after, sizeof(after));
	cr_assert_str_eq(before, after, "read-only mode changed the cache");
	free(rdir);
	free(cache);
}

/* Rewrite the manifest line of @file in entry @e to its real size and sha256. */
#define REMANIFEST(e, file)                                                                        \
	"s=$(sha256sum " e "/" file " | cut -c1-64) && n=$(stat -c %%s " e "/" file ") && "      \
	"sed -i \"s/^file [0-9a-f]* [0-9]* " file "$/file $s $n " file "/\" " e "/manifest"

static const struct {
	const char *what, *damage, *says;
} hostile[] = {
    {"tampered .ko", "printf X | dd of=$e/hello.ko bs=1 seek=100 conv=notrunc 2>/dev/null",
     "does not match its manifest"},
    {"manifest lying about sha256",
     "sed -i 's/^file [0-9a-f]\\{8\\}/file 00000000/' $e/manifest", "does not match its manifest"},
    {"symlinked file", "mv $e/hello.ko $e/../x.ko && ln -s ../x.ko $e/hello.ko",
     "hello.ko: Too many levels of symbolic links"},
    {"symlinked entry dir", "mv $e $e.real && ln -s $(basename $e).real $e",
     "Too many levels of symbolic links"},
    {"fifo", "rm $e/make.log && mkfifo $e/make.log", "make.log is not a regular file"},
    {"extra file", "echo x > $e/extra.ko", "'extra.ko' is not in its manifest"},
    {"oversize file", "truncate -s 300M $e/hello.ko", "hello.ko is not a regular file of"},
    {"oversize in the manifest", "truncate -s 300M $e/hello.ko && " REMANIFEST("$e", "hello.ko"),
     "a bad sha256, size"},
    {"truncated manifest", "head -c -4 $e/manifest > $e/m && mv $e/m $e/manifest",
     "truncated"},
    {"entry under the wrong key",
     "sed -i 's/^input version=1.0$/input version=1.1/' $e/manifest",
     "its manifest's inputs give the key"},
    {"directory in place of a file", "rm $e/make.log && mkdir $e/make.log",
     "make.log is not a regular file"},
};

Test(cache, hostile_entries_are_misses_and_leave_the_tree_unchanged, .timeout = 900)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), e[PATH_MAX], st[4096];
	struct mt_tree a, b;

	recipe(rdir, "hc");
	tree(&a, rdir, "hc");
	tree(&b, rdir, "hc");
	cr_assert_eq(build(&a, cache, "hc/1.0", NULL), 0, "%s", out);
	entry_of(cache, e, sizeof(e));
	sbt_must("cp -a %s %s/../pristine", e, cache);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		sbt_must("rm -rf %s/* %s/.bad && cp -a %s/../pristine %s && e=%s && %s", cache, cache,
			 cache, e, e, hostile[i].damage);
		cr_assert_neq(build(&b, cache, "hc/1.0", NO_USER), 0, "%s: %s", hostile[i].what,
			      out);
		cr_assert(strstr(out, "warning: cache entry ") && strstr(out, hostile[i].says) &&
			      !strstr(out, "from the cache"),
			  "%s: %s", hostile[i].what, out);
		/* the tree: not built, no module left behind */
		cr_assert_eq(sbt_sh(st, sizeof(st), "find %s/dkms -name '*.ko'", b.root), 0);
		cr_assert_str_eq(st, "", "%s: %s", hostile[i].what, st);
		cr_assert_eq(mt_dks(&b, 30, st, sizeof(st), "status"), 0);
		cr_assert_str_eq(st, "hc/1.0: added\n", "%s", hostile[i].what);
		/* set aside (read-write): not read again */
		cr_assert_eq(sbt_sh(st, sizeof(st), "ls -A %s/.bad | wc -l", cache), 0);
		cr_assert_eq(atoi(st), 1, "%s: not moved to .bad/", hostile[i].what);
		cr_assert_eq(count_entries(cache), 0, "%s", hostile[i].what);
	}
	free(rdir);
	free(cache);
}

/* "DKS_BIN build MODS ... --force" in @t, in the background, into @tag.{log,rc}. */
static void builder(char *cmd, size_t size, const struct mt_tree *t, const char *cache,
		    const char *tag)
{
	snprintf(cmd, size, "(%s build h1/1.0 h2/1.0 h3/1.0 -k %s --force --cache-dir %s %s "
		 "> %s/%s.log 2>&1; echo $? > %s/%s.rc) &", getenv("DKS_BIN"), t->kver, cache,
		 t->opts, t->root, tag, t->root, tag);
}

/* Each .ko of @t: an ELF module for @t's kernel (modinfo's vermagic). */
static void modules_valid(const struct mt_tree *t)
{
	char v[4096];

	cr_assert_eq(sbt_sh(v, sizeof(v), "for k in $(find %s/dkms -name '*.ko'); do "
			    "modinfo -F vermagic $k | cut -d' ' -f1; done | sort | uniq -c",
			    t->root), 0, "%s", v);
	cr_assert(strstr(v, " 3 ") && strstr(v, t->kver), "not 3 valid modules for %s:\n%s",
		  t->kver, v);
}

/* Every entry verifies: a tree with no build user gets all three as hits. */
static void entries_verify(const char *rdir, const char *cache)
{
	struct mt_tree c;

	tree(&c, rdir, "h1 h2 h3");
	cr_assert_eq(build(&c, cache, "h1/1.0 h2/1.0 h3/1.0", NO_USER), 0, "%s", out);
	cr_assert_eq(count_entries(cache), 3);
}

Test(cache, two_builders_on_one_cache_build_the_same_units_at_once, .timeout = 1500)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), ca[8192], cb[8192], r[256];
	struct mt_tree a, b;

	for (int i = 1; i <= 3; i++) {
		snprintf(r, sizeof(r), "h%d", i);
		recipe(rdir, r);
	}
	tree(&a, rdir, "h1 h2 h3");
	tree(&b, rdir, "h1 h2 h3");
	for (int round = 0; round < 3; round++) {
		/* rounds 0 and 2 race two writers per unit; round 1 two readers */
		if (round != 1)
			sbt_must("%s cache gc --max-size 0 --cache-dir %s >/dev/null", getenv("DKS_BIN"),
				 cache);
		builder(ca, sizeof(ca), &a, cache, "a");
		builder(cb, sizeof(cb), &b, cache, "b");
		sbt_must("%s %s wait", ca, cb);
		cr_assert_eq(sbt_sh(r, sizeof(r), "cat %s/a.rc %s/b.rc | tr '\\n' ' '", a.root, b.root),
			     0);
		cr_assert_str_eq(r, "0 0 ", "round %d: a builder failed (see %s/a.log, %s/b.log)",
				 round, a.root, b.root);
		modules_valid(&a);
		modules_valid(&b);
		cr_assert_eq(sbt_sh(r, sizeof(r), "ls -A %s | grep -c '^\\.tmp-'", cache), 1,
			     "round %d: a temp dir was left", round);
		entries_verify(rdir, cache);
	}
	free(rdir);
	free(cache);
}

/* The entry dir of recipe @m in @cache, into @e. */
static void entry_of_module(const char *cache, const char *m, char *e, size_t size)
{
	cr_assert_eq(sbt_sh(e, size, "dirname $(grep -l '^input module=%s$' %s/*/manifest)", m,
			    cache), 0, "%s", e);
	e[strcspn(e, "\n")] = '\0';
}

static long long stat_value(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	cr_assert(p, "no '%s' in %s", key, text);
	return atoll(p + strlen(key));
}

Test(cache, gc_removes_least_recently_used_first_and_stats_match, .timeout = 900)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), e1[PATH_MAX], e2[PATH_MAX],
	     e3[PATH_MAX], du[64];
	struct mt_tree a, c;
	long long keep;

	for (int i = 1; i <= 3; i++) {
		snprintf(e1, sizeof(e1), "h%d", i);
		recipe(rdir, e1);
	}
	tree(&a, rdir, "h1 h2 h3");
	cr_assert_eq(build(&a, cache, "h1/1.0 h2/1.0 h3/1.0", NULL), 0, "%s", out);
	cr_assert_eq(mt_dks(&a, 30, out, sizeof(out), "cache stats --cache-dir %s", cache), 0);
	cr_assert_eq(sbt_sh(du, sizeof(du), "find %s -mindepth 2 -maxdepth 2 -type f -printf '%%s\\n' "
			    "| awk '{s+=$1} END {print s}'", cache), 0);
	cr_assert_eq(stat_value(out, "entries:"), 3, "%s", out);
	cr_assert_eq(stat_value(out, "bytes:"), atoll(du), "%s (du %s)", out, du);
	cr_assert_eq(stat_value(out, "misses:"), 3, "%s", out);
	cr_assert_eq(stat_value(out, "hits:"), 0, "%s", out);
	/* h2 used longest ago, then h1, then h3 */
	entry_of_module(cache, "h1", e1, sizeof(e1));
	entry_of_module(cache, "h2", e2, sizeof(e2));
	entry_of_module(cache, "h3", e3, sizeof(e3));
	sbt_must("touch -d @1100000000 %s && touch -d @1000000000 %s && touch -d @1200000000 %s", e1,
		 e2, e3);
	cr_assert_eq(sbt_sh(du, sizeof(du), "cat %s/* %s/* | wc -c", e1, e3), 0);
	keep = atoll(du);
	cr_assert_eq(mt_dks(&a, 30, out, sizeof(out), "cache gc --max-size %lld --cache-dir %s",
			    keep, cache), 0, "%s", out);
	cr_assert(strstr(out, "1 entries removed"), "%s", out);
	cr_assert_neq(access(e2, F_OK), 0, "the least recently used entry is left");
	cr_assert_eq(access(e1, F_OK), 0);
	cr_assert_eq(access(e3, F_OK), 0);
	cr_assert_eq(mt_dks(&a, 30, out, sizeof(out), "cache stats --cache-dir %s", cache), 0);
	cr_assert_eq(stat_value(out, "entries:"), 2, "%s", out);
	cr_assert_eq(stat_value(out, "bytes:"), keep, "%s", out);
	cr_assert(strstr(out, "oldest use:  2004-11-09"), "%s", out); /* h1's @1100000000 */
	/* what is left verifies; what went is a miss */
	tree(&c, rdir, "h1 h2 h3");
	cr_assert_eq(build(&c, cache, "h1/1.0 h3/1.0", NO_USER), 0, "%s", out);
	cr_assert_neq(build(&c, cache, "h2/1.0", NO_USER), 0, "%s", out);
	cr_assert_eq(mt_dks(&a, 30, out, sizeof(out), "cache stats --cache-dir %s", cache), 0);
	cr_assert_eq(stat_value(out, "hits:"), 2, "%s", out);
	cr_assert_eq(stat_value(out, "misses:"), 4, "%s", out);
	free(rdir);
	free(cache);
}

Test(cache, an_insert_above_cache_max_size_runs_a_gc, .timeout = 900)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), cfg[PATH_MAX + 64];
	struct mt_tree a;

	recipe(rdir, "h1");
	recipe(rdir, "h2");
	tree(&a, rdir, "h1 h2");
	sbt_must("printf 'cache_max_size: 12K\\n' > %s/max.yaml", a.root);
	snprintf(cfg, sizeof(cfg), "--sandbox-config %s/max.yaml", a.root);
	cr_assert_eq(build(&a, cache, "h1/1.0", cfg), 0, "%s", out);
	sbt_must("touch -d @1000000000 %s/[0-9a-f]*", cache);
	cr_assert_eq(build(&a, cache, "h2/1.0", cfg), 0, "%s", out);
	cr_assert_eq(count_entries(cache), 1, "two entries of ~8K under a 12K cap");
	cr_assert_eq(sbt_sh(out, sizeof(out), "grep -c '^input module=h2$' %s/*/manifest", cache), 0,
		     "the newer entry went");
	free(rdir);
	free(cache);
}

Test(cache, build_check_compares_with_the_cache_entry, .timeout = 900)
{
	char *rdir = sbt_mkdtemp(NULL), *cache = new_cache(), e[PATH_MAX];
	struct mt_tree a;

	recipe(rdir, "hc");
	tree(&a, rdir, "hc");
	cr_assert_eq(build(&a, cache, "hc/1.0", NULL), 0, "%s", out);
	cr_assert_eq(build(&a, cache, "hc/1.0", "--check"), 0, "%s", out);
	cr_assert(strstr(out, "(the cache's entry)"), "the entry was not compared: %s", out);
	entry_of(cache, e, sizeof(e));
	/* the entry's module changed, its manifest made to match: only the
	 * comparison with a rebuild can tell */
	sbt_must("off=$(readelf -SW %s/hello.ko | sed -n 's/.*] \\.modinfo *[A-Z]* *[0-9a-f]* "
		 "\\([0-9a-f]*\\) .*/\\1/p') && printf '\\001' | dd of=%s/hello.ko bs=1 "
		 "seek=$((0x$off + 1)) conv=notrunc 2>/dev/null && " REMANIFEST("%s", "hello.ko"),
		 e, e, e, e, e);
	cr_assert_eq(build(&a, cache, "hc/1.0", "--check"), DKS_EXIT_CHECK_DIFFERS, "%s", out);
	cr_assert(strstr(out, "(the cache's entry)") && strstr(out, ".modinfo"), "%s", out);
	free(rdir);
	free(cache);
}

/* The installer never trusts the cache: an entry whose manifest is right
 * for what it holds, but holds a module for another kernel or a broken
 * ELF file, is a hit and then refused at install like any build. */
static void poisoned_hit(struct it *t, const char *cache, const char *damage, const char *says)
{
	cr_assert_eq(sh(t, "e=$(dirname $(grep -l '^input release=%s$' %s/*/manifest)) && o=$(dirname "
			   "$(grep -l '^input release=%s$' %s/*/manifest)) && %s && " REMANIFEST("$e", "hello.ko"),
			t->kver, cache, t->other, cache, damage), 0, "%s", t->out);
	cr_assert_eq(hello_on(t, "unbuild", t->kver, ""), 0, "%s", t->out);
	snprintf(t->out, sizeof(t->out), "--cache-dir %s", cache);
	cr_assert_eq(hello_on(t, "build", t->kver, t->out), 0, "%s", t->out);
	cr_assert(strstr(t->out, "from the cache"), "%s", t->out);
	cr_assert_eq(hello_on(t, "install", t->kver, ""), DKS_EXIT_INSTALL_FAILED, "%s", t->out);
	cr_assert(strstr(t->out, "hello") && strstr(t->out, says), "%s", t->out);
	cr_assert_eq(dks(t, "status"), 0);
	cr_assert(!strstr(t->out, "installed"), "%s", t->out);
}

Test(cache, install_refuses_a_poisoned_entry_with_a_correct_manifest, .timeout = 900)
{
	struct it t;
	char cache[PATH_MAX], opt[PATH_MAX + 16];

	setup(&t);
	snprintf(cache, sizeof(cache), "%s/cache", t.root);
	snprintf(opt, sizeof(opt), "--cache-dir %s", cache);
	cr_assert_eq(hello_on(&t, "build", t.kver, opt), 0, "%s", t.out);
	cr_assert_eq(hello_on(&t, "build", t.other, opt), 0, "%s", t.out);
	poisoned_hit(&t, cache, "cp $o/hello.ko $e/hello.ko", "vermagic");
	poisoned_hit(&t, cache, "printf X | dd of=$e/hello.ko bs=1 seek=1 conv=notrunc 2>/dev/null",
		     "ELF");
}

Test(cache, a_corpus_module_is_a_hit_in_another_tree, .timeout = 1200)
{
	char vpoll[PATH_MAX], mv[PATH_MAX], sa[4096], sb[4096], *cache = new_cache();
	struct mt_tree a, b;

	mt_corpus("vpoll-dkms", vpoll, sizeof(vpoll));
	snprintf(mv, sizeof(mv), "%s", strrchr(vpoll, '/') + 1);
	*strrchr(mv, '-') = '/';
	mt_tree_make(&a);
	mt_tree_make(&b);
	sbt_must("cp -R %s %s/src/ && cp -R %s %s/src/ && chmod -R a+rX %s/src %s/src", vpoll,
		 a.root, vpoll, b.root, a.root, b.root);
	cr_assert_eq(build(&a, cache, mv, NULL), 0, "%s", out);
	cr_assert(!strstr(out, "from the cache"), "%s", out);
	cr_assert_eq(build(&b, cache, mv, NULL), 0, "%s", out);
	cr_assert(strstr(out, "from the cache"), "%s", out);
	cr_assert_eq(sbt_sh(sa, sizeof(sa), "cd %s/dkms && find . -name '*.ko' | sort | xargs sha256sum",
			    a.root), 0);
	cr_assert_eq(sbt_sh(sb, sizeof(sb), "cd %s/dkms && find . -name '*.ko' | sort | xargs sha256sum",
			    b.root), 0);
	cr_assert(strstr(sa, ".ko"), "%s", sa);
	cr_assert_str_eq(sa, sb);
	free(cache);
}

/* ---- the manifest's parser, in process ---- */

static const char good[] =
    "dkms-sandbox-cache 2\ninput module=m\ninput release=6.1.0-1-amd64\ninput arch=x86_64\n"
    "input vermagic\ninput config=\n"
    "input symvers=0c2e86435f05de2e0933b44597b40eab79984aff9f7b3244dabe5e94f4b7aeb4\n"
    "input version=1.0\ninput profile=default\n"
    "input source=3849d7273e71d54eab24fe77bdda0d4f6bec1c0e41c411c0cb3944c0b2d3c667\n"
    "input spec=e68555461ac70b95ee563dc691f38d1429d83900d90329e3dd29278c92c81e23\n"
    "input toolchain=3376a8966c8e0435aa31a6a851396804b82460393e0127305dcc57bd62a3e34d\n"
    "input vmlinux=6e2ac1e6a1bd1b4a3c1bd3b1f6e0eb6d0c5e0a6cb3da8d2b1e0b6b8a5ac1f7c2\n"
    "file efcbdd37125daabb75911c7f2c542323b9a6e2dde01476a2a83183c00df5cb4c 7176 a.ko\n"
    "file cb88bf12bb39c2c5b85b3aa7d194391962a284bc75b34a3f77ae5d0f905013fb 591 make.log\n"
    "end\n";

static int parse_with(const char *from, const char *to)
{
	char buf[4096];
	const char *p = strstr(good, from);
	struct dks_cache_manifest m;
	struct dks_error err = {0};
	int ret;

	cr_assert(p, "%s", from);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
	ret = dks_cache_manifest_parse(buf, strlen(buf), "entry", &m, &err);
	if (ret == 0)
		dks_cache_manifest_clear(&m);
	return ret;
}

Test(cache, manifest_parser_takes_the_canonical_text_only)
{
	struct dks_cache_manifest m;
	struct dks_error err = {0};
	char *again;

	cr_assert_eq(dks_cache_manifest_parse(good, strlen(good), "e", &m, &err), 0, "%s", err.msg);
	cr_assert_null(m.in.kernel.vermagic);
	cr_assert_str_eq(m.in.kernel.config, "");
	cr_assert_eq(m.n_files, 2);
	again = dks_cache_manifest_format(&m);
	cr_assert_str_eq(again, good);
	free(again);
	dks_cache_manifest_clear(&m);
	cr_assert_eq(parse_with("7176", "07176"), -1, "a leading zero");
	cr_assert_eq(parse_with("efcbdd", "EFCBDD"), -1, "upper-case hex");
	cr_assert_eq(parse_with(" a.ko", " ../a.ko"), -1, "a path");
	cr_assert_eq(parse_with(" a.ko", " .a.ko"), -1, "a hidden name");
	cr_assert_eq(parse_with(" a.ko", " a.o"), -1, "not a module");
	cr_assert_eq(parse_with(" a.ko", " manifest"), -1, "the manifest itself");
	cr_assert_eq(parse_with(" a.ko", " z.ko"), -1, "out of order");
	cr_assert_eq(parse_with(" a.ko", " make.log"), -1, "twice");
	cr_assert_eq(parse_with("end\n", "end\nmore\n"), -1, "after end");
	cr_assert_eq(parse_with("end\n", ""), -1, "truncated");
	cr_assert_eq(parse_with("input arch=x86_64\n", ""), -1, "an input missing");
	cr_assert_eq(parse_with("input arch=x86_64\n", "input arch=x86_64\r\n"), -1, "a CR");
	cr_assert_eq(parse_with("input config=", "input config=00"), -1, "not a sha256");
	cr_assert_eq(parse_with("input config=\n", "input config\n"), -1, "a digest unset");
	cr_assert_eq(parse_with(" 7176 ", " 999999999999 "), -1, "over the size cap");
	cr_assert_eq(parse_with("input module=m", "input module=m\x01"), -1, "a control byte");
	cr_assert_eq(parse_with("cache 2", "cache 1"), -1, "another format");
	cr_assert_eq(dks_cache_manifest_parse(good, strlen(good) + 1, "e", &m, &err), -1, "a NUL");
}
