// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Debug info nobody keeps (orchestrator/debuginfo.c): a module stripped
 * with strip -g (dkms's STRIP default) is compiled without -g, and is the
 * module a -g build stripped would be, section by section, but for its
 * build id and the order of its __versions entries (the same entries).
 * Kept when a module is not stripped, a POST_BUILD script runs,
 * or the kernel's build dir has a vmlinux (module BTF is made from DWARF).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "modtest.h"
#include "orchestrator/debuginfo.h"
#include "sbtest.h"

TestSuite(debuginfo, .fini = sbt_cleanup);

#define expect_has(out, want) \
	cr_expect(strstr((out), (want)) != NULL, "want '%s' in: %s", (want), (out))

/* foo-1.0 in @t: tests/modules/hello, whose Kbuild prints what make sees
 * of CONFIG_DEBUG_INFO; dkms.conf plus @conf. Built; its make.log in @log. */
static void build_foo(struct mt_tree *t, const char *conf, char *log, size_t size)
{
	char out[8192];

	mt_tree_make(t);
	mt_module(t, "foo", conf, NULL, NULL);
	sbt_must("cp %s/tests/modules/hello/hello.c %s/tests/modules/hello/Kbuild %s/src/foo-1.0/ && "
		 "echo '$(info dks-debug-info=[$(CONFIG_DEBUG_INFO)])' >>%s/src/foo-1.0/Kbuild && "
		 "chmod -R a+rX %s/src",
		 getenv("DKS_SRCDIR"), getenv("DKS_SRCDIR"), t->root, t->root, t->root);
	cr_assert_eq(mt_dks(t, 300, out, sizeof(out), "build foo/1.0 -k %s", t->kver), 0, "%s", out);
	mt_log_path(t, "foo", out, sizeof(out));
	cr_assert_eq(sbt_sh(log, size, "cat %s", out), 0);
}

static void ko_path(const struct mt_tree *t, char *buf, size_t size)
{
	struct utsname u;

	uname(&u);
	snprintf(buf, size, "%s/dkms/foo/1.0/%s/%s/module/hello.ko", t->root, t->kver, u.machine);
}

Test(debuginfo, a_stripped_module_is_built_without_it_and_is_the_same_module,
     .timeout = 600)
{
	struct mt_tree a, b;
	char log_a[16384], log_b[16384], ko_a[700], ko_b[700], out[4096];

	build_foo(&a, "STRIP[0]=\"yes\"", log_a, sizeof(log_a));
	build_foo(&b, "STRIP[0]=\"no\"", log_b, sizeof(log_b));
	/* The kernel's CONFIG_DEBUG_INFO as make saw it (Debian's is y;
	 * a kernel without it has nothing to drop). */
	expect_has(log_a, "dks-debug-info=[]");
	expect_has(log_a, "dkms-sandbox: no debug info");
	cr_expect(strstr(log_b, "dkms-sandbox: no debug info") == NULL, "%s", log_b);
	if (!strstr(log_b, "dks-debug-info=[y]")) {
		cr_log_warn("the kernel %s has no CONFIG_DEBUG_INFO: nothing to compare", a.kver);
		return;
	}
	ko_path(&a, ko_a, sizeof(ko_a));
	ko_path(&b, ko_b, sizeof(ko_b));
	/* b kept its debug info; stripped as dkms would, it is a's module
	 * but for the build id (it hashes the debug info too) and the order
	 * of the symbol versions modpost lists (the loader looks each up by
	 * name): every other section the same, byte for byte. */
	cr_assert_eq(sbt_sh(out, sizeof(out), "readelf -S -W %s | grep -c '\\.debug_info'", ko_b), 0,
		     "the unstripped module has no debug info: %s", out);
	cr_assert_eq(sbt_sh(out, sizeof(out),
			    "cd %s && strip -g -o b.ko %s && cp %s a.ko && for k in a b; do "
			    "objcopy -R .note.gnu.build-id -R __versions $k.ko $k-rest.ko && "
			    "objcopy -O binary -j __versions $k.ko $k.v && "
			    "od -An -v -tx1 -w64 $k.v | sort >$k.versions || exit 1; done && "
			    "cmp a-rest.ko b-rest.ko 2>&1 && cmp a.versions b.versions 2>&1 && "
			    "test -s a.versions",
			    b.root, ko_b, ko_a),
		     0, "the module built without debug info is not the stripped one: %s", out);
}

/* A spec of @n modules, each stripped unless @keep names it. */
static struct dks_spec *spec_of(size_t n, int keep)
{
	struct dks_spec *s = calloc(1, sizeof(*s));

	s->modules = calloc(n ? n : 1, sizeof(*s->modules));
	s->n_modules = n;
	for (size_t i = 0; i < n; i++)
		s->modules[i].strip = (int)i != keep;
	return s;
}

static void spec_free(struct dks_spec *s)
{
	free(s->modules);
	free(s);
}

Test(debuginfo, it_is_kept_when_a_module_is_not_stripped_a_post_build_runs_or_there_is_a_vmlinux)
{
	char dir[] = "/tmp/dks-test-debuginfo-XXXXXX", path[64];
	struct dks_spec *all = spec_of(3, -1), *one_kept = spec_of(3, 1), *none = spec_of(0, -1);

	cr_assert_not_null(mkdtemp(dir));
	cr_expect(dks_build_drops_debug_info(all, dir));
	cr_expect_not(dks_build_drops_debug_info(one_kept, dir));
	cr_expect_not(dks_build_drops_debug_info(none, dir));
	cr_expect_not(dks_build_drops_debug_info(all, NULL));
	all->post_build = "post.sh";
	cr_expect_not(dks_build_drops_debug_info(all, dir));
	all->post_build = "";
	cr_expect(dks_build_drops_debug_info(all, dir));
	/* A vmlinux of any kind (a link too, even a dangling one). */
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	cr_assert_eq(symlink("/nonexistent", path), 0);
	cr_expect_not(dks_build_drops_debug_info(all, dir));
	unlink(path);
	rmdir(dir);
	all->post_build = NULL;
	spec_free(all);
	spec_free(one_kept);
	spec_free(none);
}
