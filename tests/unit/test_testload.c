// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "testload": the load test's pure parts (docs/testload.md): the
 * initramfs writer (common/cpio.c), the /init it carries, the parser of
 * the VM's output (hostile: escape sequences, huge lines, floods, marker
 * lines printed by the module itself), the dependency plan through a
 * kernel's modules.dep. Booting kernels is `make check-testload`.
 */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cpio.h"
#include "orchestrator/testload.h"
#include "modtest.h"
#include "sbtest.h"

#define NONCE "0123456789abcdef0123456789abcdef"

/* ---- the initramfs writer ---- */

Test(testload, cpio_writes_newc_that_libarchive_reads_back)
{
	struct dks_cpio c;
	struct dks_error err = {0};
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *want[] = {"bin", "bin/busybox", "bin/sh", "init"};
	char data[16];
	size_t i = 0;

	dks_cpio_init(&c, 0);
	cr_assert_eq(dks_cpio_dir(&c, "bin", 0755, &err), 0, "%s", err.msg);
	cr_assert_eq(dks_cpio_file(&c, "bin/busybox", 04755, "BUSYBOX", 7, &err), 0);
	cr_assert_eq(dks_cpio_symlink(&c, "bin/sh", "busybox", &err), 0);
	cr_assert_eq(dks_cpio_file(&c, "init", 0755, "#!/bin/sh\n", 10, &err), 0);
	cr_assert_eq(dks_cpio_finish(&c, &err), 0);
	cr_assert_eq(c.len % 4, 0, "newc entries are 4-byte aligned");
	archive_read_support_format_cpio(a);
	cr_assert_eq(archive_read_open_memory(a, c.buf, c.len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		cr_assert_lt(i, 4);
		cr_expect_str_eq(archive_entry_pathname(e), want[i]);
		cr_expect_eq(archive_entry_uid(e), 0);
		if (i == 1) {
			cr_expect_eq(archive_entry_perm(e), 0755, "setuid bits are never written");
			cr_expect_eq(archive_read_data(a, data, sizeof(data)), 7);
			cr_expect_eq(memcmp(data, "BUSYBOX", 7), 0);
		}
		if (i == 2)
			cr_expect_str_eq(archive_entry_symlink(e), "busybox");
		i++;
	}
	cr_expect_eq(i, 4);
	archive_read_free(a);
	dks_cpio_free(&c);
}

Test(testload, cpio_refuses_names_that_leave_the_root)
{
	const char *bad[] = {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/", ".", "a/./b", ".."};
	struct dks_cpio c;

	dks_cpio_init(&c, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dks_error err = {0};

		cr_expect_lt(dks_cpio_file(&c, bad[i], 0644, "x", 1, &err), 0, "'%s'", bad[i]);
		cr_expect_lt(dks_cpio_dir(&c, bad[i], 0755, &err), 0, "'%s'", bad[i]);
	}
	cr_expect_eq(c.len, 0, "nothing written for a refused name");
	dks_cpio_free(&c);
}

Test(testload, cpio_stops_at_its_bound)
{
	static char big[4096];
	struct dks_error err = {0};
	struct dks_cpio c;

	dks_cpio_init(&c, 1024);
	cr_expect_lt(dks_cpio_file(&c, "m/00.ko", 0644, big, sizeof(big), &err), 0);
	cr_expect(strstr(err.msg, "more than 1024 bytes"), "%s", err.msg);
	dks_cpio_free(&c);
}

Test(testload, init_script_names_slots_and_the_nonce_only)
{
	char *s = dks_tl_init_script(3, NONCE);

	cr_assert(s);
	cr_expect(strstr(s, "N=" NONCE "\n"));
	cr_expect(strstr(s, "load 00 &&\nload 01 &&\nload 02 &&\ntrue\n"));
	cr_expect_null(strstr(s, "load 03"));
	cr_expect(strstr(s, "exec 3>/dev/ttyS1"), "the verdict goes to the second port");
	cr_expect(strstr(s, "poweroff -f"));
	free(s);
}

/* ---- the VM's output ---- */

static void parse(const char *text, struct dks_tl_console *c)
{
	dks_tl_console_parse(text, strlen(text), NONCE, c);
}

Test(testload, console_reads_the_verdict_tagged_with_the_nonce)
{
	struct dks_tl_console c;

	parse(NONCE " begin\r\n" NONCE " r 0 0\r\n" NONCE " r 1 1\r\n" NONCE
	      " k [    1.5] foo: Unknown symbol bar (err -2)\r\n" NONCE " end\r\n", &c);
	cr_expect(c.begun && c.ended);
	cr_expect_eq(c.rc[0], 0);
	cr_expect_eq(c.rc[1], 1);
	cr_expect_eq(c.rc[2], -1);
	cr_assert_eq(c.n_lines, 1);
	cr_expect_str_eq(c.lines[0], "[    1.5] foo: Unknown symbol bar (err -2)");
	dks_tl_console_clear(&c);
}

Test(testload, console_ignores_markers_without_this_runs_nonce)
{
	struct dks_tl_console c;

	parse("begin\nend\nffffffffffffffffffffffffffffffff begin\n"
	      "ffffffffffffffffffffffffffffffff end\n" NONCE "x begin\n" NONCE "end\n"
	      " " NONCE " begin\n", &c);
	cr_expect_not(c.begun);
	cr_expect_not(c.ended);
	cr_expect_eq(c.n_lines, 0);
}

/* A module that prints the marker (even with the nonce, had it found it
 * in memory) only makes a kernel line: /init prefixes every dmesg line
 * with "NONCE k ". */
Test(testload, console_a_marker_printed_by_the_module_is_a_kernel_line)
{
	struct dks_tl_console c;

	parse(NONCE " begin\n" NONCE " r 0 1\n" NONCE " k [ 2.0] evil: " NONCE " end\n" NONCE
	      " k [ 2.0] evil: " NONCE " r 0 0\n", &c);
	cr_expect(c.begun);
	cr_expect_not(c.ended, "no verdict: /init never said end");
	cr_expect_eq(c.rc[0], 1);
	cr_expect_eq(c.n_lines, 2);
	dks_tl_console_clear(&c);
}

Test(testload, console_nothing_counts_after_end_or_before_begin)
{
	struct dks_tl_console c;

	parse(NONCE " r 0 0\n" NONCE " k before\n" NONCE " begin\n" NONCE " r 0 1\n" NONCE
	      " end\n" NONCE " r 0 0\n" NONCE " k after\n", &c);
	cr_expect_eq(c.rc[0], 1);
	cr_expect_eq(c.n_lines, 0);
}

Test(testload, console_refuses_slots_and_codes_out_of_range)
{
	struct dks_tl_console c;

	parse(NONCE " begin\n" NONCE " r 64 0\n" NONCE " r 1 300\n" NONCE " r 2 -1\n" NONCE
	      " r x 0\n" NONCE " r 3 0 junk\n", &c);
	for (size_t i = 0; i < DKS_TL_SLOTS_MAX; i++)
		cr_expect_eq(c.rc[i], -1, "slot %zu", i);
}

Test(testload, console_makes_escape_sequences_harmless)
{
	struct dks_tl_console c;

	parse(NONCE " begin\n" NONCE " k \033[2J\033]0;owned\007 \x9b" "31m text\n", &c);
	cr_assert_eq(c.n_lines, 1);
	for (const char *p = c.lines[0]; *p; p++)
		cr_expect((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "byte %#x",
			  (unsigned char)*p);
	cr_expect(strstr(c.lines[0], "text"));
	dks_tl_console_clear(&c);
}

Test(testload, console_cuts_huge_lines_and_bounds_their_number)
{
	size_t big = 1 << 20;
	char *text = malloc(big + 4096), *p = text;
	struct dks_tl_console c;

	cr_assert(text);
	p += sprintf(p, NONCE " begin\n" NONCE " k ");
	memset(p, 'A', big / 2);
	p += big / 2;
	*p++ = '\n';
	for (int i = 0; i < 200; i++)
		p += sprintf(p, NONCE " k line %d\n", i);
	dks_tl_console_parse(text, (size_t)(p - text), NONCE, &c);
	cr_expect(c.begun);
	cr_expect_eq(c.n_lines, DKS_TL_LINES_MAX);
	cr_expect(c.lines_dropped);
	cr_expect_lt(strlen(c.lines[0]), DKS_TL_LINE_MAX);
	dks_tl_console_clear(&c);
	free(text);
}

Test(testload, console_tail_keeps_the_first_errors_then_the_last_lines)
{
	char text[64 * 1024], *p = text;
	struct dks_tl_console c;

	p += sprintf(p, "[ 0.1] booting\n[ 0.2] BUG: kernel NULL pointer dereference\n");
	for (int i = 0; i < 500; i++)
		p += sprintf(p, "[ 1.%d] flood %d\n", i, i);
	dks_tl_console_tail(text, (size_t)(p - text), &c);
	cr_assert_gt(c.n_lines, 1);
	cr_expect(strstr(c.lines[0], "BUG: kernel NULL pointer"), "%s", c.lines[0]);
	cr_expect(strstr(c.lines[c.n_lines - 1], "flood 499"), "%s", c.lines[c.n_lines - 1]);
	cr_expect(c.lines_dropped);
	dks_tl_console_clear(&c);
}

Test(testload, kernel_refusals_are_errors)
{
	const char *bad[] = {
	    "[ 2.1] hello: disagrees about version of symbol module_layout",
	    "[ 2.1] hello: Unknown symbol crc7_be (err -2)",
	    "[ 2.1] Loading of module with unavailable key is rejected",
	    "insmod: can't insert '/m/00.ko': Key was rejected by service",
	    "[ 2.1] hello: version magic '6.12.1 SMP' should be '6.1.0-57-amd64 SMP'",
	    "[ 2.1] BUG: unable to handle page fault for address: 0000000000000000",
	    "[ 2.1] Kernel panic - not syncing: Fatal exception",
	};
	const char *fine[] = {
	    "[ 2.1] hello: loading out-of-tree module taints kernel.",
	    "[ 2.1] hello: module verification failed: signature and/or required key missing - "
	    "tainting kernel",
	    "[ 2.1] hello: hello from dkms-sandbox (1/1)",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(dks_tl_line_is_error(bad[i]), "%s", bad[i]);
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		cr_expect_not(dks_tl_line_is_error(fine[i]), "%s", fine[i]);
}

/* ---- the dependency plan ---- */

/* A relocatable ELF object whose .modinfo says name= and depends=, at
 * @dir/@file (cc and objcopy: what a module's .modinfo is made of). */
static void fake_module(const char *dir, const char *file, const char *name, const char *deps)
{
	char out[4096];

	cr_assert_eq(sbt_sh(out, sizeof(out),
			    "set -e; cd %s; echo 'int x;' > e.c; cc -c -o e.o e.c; "
			    "printf 'name=%s\\0depends=%s\\0' > mi; "
			    "objcopy --add-section .modinfo=mi e.o %s; rm -f e.c e.o mi",
			    dir, name, deps, file),
		     0, "%s", out);
}

static const char *fmt_path(const char *dir, const char *file)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return path;
}

static char *plan_dir(void)
{
	char *dir = strdup("/tmp/dks-tlplan.XXXXXX");

	cr_assert(dir && mkdtemp(dir));
	sbt_defer_rmtree(dir);
	sbt_must("mkdir -p %s/kernel/lib", dir);
	return dir;
}

Test(testload, plan_loads_the_kernels_modules_as_modprobe_orders_them, .fini = sbt_cleanup)
{
	char *dir = plan_dir(), path[512], *built[2];
	struct dks_tl_module *m = NULL;
	struct dks_error err = {0};
	size_t n = 0;

	/* ours: a depends on b (ours) and on the kernel's x, which needs z then y */
	fake_module(dir, "a.ko", "a", "b,x");
	fake_module(dir, "b.ko", "b", "");
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	sbt_write_file(path,
		       "kernel/lib/x.ko: kernel/lib/y.ko kernel/lib/z.ko\n"
		       "kernel/lib/y.ko: kernel/lib/z.ko\nkernel/lib/z.ko:\n",
		       0, 0, 0644);
	built[0] = strdup(fmt_path(dir, "a.ko"));
	built[1] = strdup(fmt_path(dir, "b.ko"));
	cr_assert_eq(dks_tl_plan(dir, built, 2, &m, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 5);
	cr_expect_str_eq(m[0].name, "z");
	cr_expect_str_eq(m[1].name, "y");
	cr_expect_str_eq(m[2].name, "x");
	cr_expect(m[0].dep && m[2].dep);
	cr_expect_str_eq(m[3].name, "b", "b before a, which depends on it");
	cr_expect_str_eq(m[4].name, "a");
	cr_expect_not(m[4].dep);
	dks_tl_modules_free(m, n);
	free(built[0]);
	free(built[1]);
}

Test(testload, plan_refuses_paths_outside_the_kernels_tree, .fini = sbt_cleanup)
{
	const char *deps[] = {"../../etc/x.ko:\n", "/etc/x.ko:\n", "kernel/lib/x.ko.xz:\n"};

	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++) {
		char *dir = plan_dir(), path[512], *built[1];
		struct dks_tl_module *m = NULL;
		struct dks_error err = {0};
		size_t n = 0;

		fake_module(dir, "a.ko", "a", "x");
		snprintf(path, sizeof(path), "%s/modules.dep", dir);
		sbt_write_file(path, deps[i], 0, 0, 0644);
		built[0] = strdup(fmt_path(dir, "a.ko"));
		cr_expect_lt(dks_tl_plan(dir, built, 1, &m, &n, &err), 0, "%s", deps[i]);
		cr_expect(strstr(err.msg, "modules.dep names") || strstr(err.msg, "compressed"), "%s",
			  err.msg);
		free(built[0]);
	}
}

Test(testload, plan_names_a_dependency_the_kernel_does_not_have, .fini = sbt_cleanup)
{
	char *dir = plan_dir(), path[512], *built[1];
	struct dks_tl_module *m = NULL;
	struct dks_error err = {0};
	size_t n = 0;

	fake_module(dir, "a.ko", "a", "nosuch");
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	sbt_write_file(path, "kernel/lib/x.ko:\n", 0, 0, 0644);
	built[0] = strdup(fmt_path(dir, "a.ko"));
	cr_expect_lt(dks_tl_plan(dir, built, 1, &m, &n, &err), 0);
	cr_expect(strstr(err.msg, "'nosuch'"), "%s", err.msg);
	free(built[0]);
}

/* ---- configuration ---- */

static int load_config(const char *text, struct dks_config *c, struct dks_error *err)
{
	char path[] = "/tmp/dks-tlcfg.XXXXXX";
	int fd = mkstemp(path), rc;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = dks_config_load(path, c, err);
	unlink(path);
	return rc;
}

Test(testload, config_keys_have_defaults_and_take_values)
{
	struct dks_config c;
	struct dks_error err = {0};

	cr_assert_eq(load_config("", &c, &err), 0, "%s", err.msg);
	cr_expect_eq(c.testload_timeout, 120);
	cr_expect_eq(c.testload_memory, 256);
	cr_expect_null(c.testload_accel, "auto");
	cr_expect_not(c.testload_required);
	dks_config_clear(&c);
	cr_assert_eq(load_config("testload_timeout: 30\ntestload_accel: tcg\n"
				 "testload_boot_dir: /srv/boot\ntestload_required: true\n",
				 &c, &err),
		     0, "%s", err.msg);
	cr_expect_eq(c.testload_timeout, 30);
	cr_expect_str_eq(c.testload_accel, "tcg");
	cr_expect_str_eq(c.testload_boot_dir, "/srv/boot");
	cr_expect(c.testload_required);
	dks_config_clear(&c);
}

Test(testload, config_refuses_bad_values_naming_the_line)
{
	const char *bad[] = {"testload_accel: maybe\n", "testload_timeout: 0\n",
			     "testload_required: yes\n", "testload_boot_dir: boot\n",
			     "testload_memory: 1\n", "testload_qemu: qemu\n"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dks_config c;
		struct dks_error err = {0};

		cr_expect_lt(load_config(bad[i], &c, &err), 0, "%s", bad[i]);
		cr_expect(strstr(err.msg, ":1"), "%s", err.msg);
	}
}

/* ---- the verb and the install gate, on a real build (no VM) ---- */

/* tl/1.0: the hello fixture (tests/modules/hello) added to @t. */
static void tl_module(struct mt_tree *t)
{
	char out[4096];

	mt_tree_make(t);
	mt_module(t, "tl", NULL, NULL, NULL);
	sbt_must("cp %s/tests/modules/hello/* %s/src/tl-1.0/ && chmod -R a+rX %s/src",
		 getenv("DKS_SRCDIR"), t->root, t->root);
	cr_assert_eq(mt_dks(t, 600, out, sizeof(out), "add tl/1.0"), 0, "%s", out);
}

static void write_record(const struct mt_tree *t, const char *result, const char *seconds,
			 const char *digest)
{
	char path[1024], text[512];

	snprintf(path, sizeof(path), "%s/dkms/tl/1.0/%s/x86_64/testload", t->root, t->kver);
	snprintf(text, sizeof(text),
		 "result: %s\nwhy: insmod tl: exit 1\naccel: tcg\nseconds: %s\nmodules: %s\n"
		 "kernel: /boot/vmlinuz\ndate: 1\nline: [ 1.0] tl: \033[31mred\n",
		 result, seconds, digest);
	sbt_write_file(path, text, 0, 0, 0644);
}

Test(testload, install_with_testload_required_wants_a_passing_test_of_this_build,
     .fini = sbt_cleanup, .timeout = 600)
{
	static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";
	struct mt_tree t;
	char out[8192], cfg[512];

	tl_module(&t);
	snprintf(cfg, sizeof(cfg), "%s/required.yaml", t.root);
	sbt_write_file(cfg, "testload_required: true\nsign: never\n", 0, 0, 0644);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build tl/1.0 -k %s", t.kver), 0, "%s", out);
	cr_expect_eq(mt_dks(&t, 600, out, sizeof(out), "install tl/1.0 -k %s --no-depmod "
				  "--sandbox-config %s", t.kver, cfg), 6, "%s", out);
	cr_expect(strstr(out, "no load test (testload_required"), "%s", out);
	write_record(&t, "fail", "2.5", zeros);
	cr_expect_eq(mt_dks(&t, 600, out, sizeof(out), "install tl/1.0 -k %s --no-depmod "
				  "--sandbox-config %s", t.kver, cfg), 6, "%s", out);
	cr_expect(strstr(out, "the load test failed: insmod tl: exit 1"), "%s", out);
	write_record(&t, "pass", "2.5", zeros);
	cr_expect_eq(mt_dks(&t, 600, out, sizeof(out), "install tl/1.0 -k %s --no-depmod "
				  "--sandbox-config %s", t.kver, cfg), 6, "%s", out);
	cr_expect(strstr(out, "for other modules than the build's now"), "%s", out);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "status --verbose"), 0, "%s", out);
	cr_expect(strstr(out, "tl/1.0, "), "%s", out);
	cr_expect(strstr(out, "(load test passed on tcg in 2.5 s)"), "%s", out);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "status --json"), 0, "%s", out);
	cr_expect(strstr(out, "\"load_test\": {\"result\": \"pass\", \"accel\": \"tcg\", "
			      "\"seconds\": 2.5}"),
		  "%s", out);
	write_record(&t, "pass", "nan", zeros);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "status --json"), 0, "%s", out);
	cr_expect(strstr(out, "\"seconds\": 0.0}"), "a damaged record's nan is not JSON:\n%s", out);
}

Test(testload, test_load_names_what_is_missing, .fini = sbt_cleanup, .timeout = 600)
{
	struct mt_tree t;
	char out[8192];

	tl_module(&t);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "test-load tl/1.0 -k %s", t.kver), 1, "%s",
		     out);
	cr_expect(strstr(out, "not built (no module in"), "%s", out);
	cr_assert_eq(mt_dks(&t, 600, out, sizeof(out), "build tl/1.0 -k %s", t.kver), 0, "%s", out);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "test-load tl/1.0 -k %s --kernel-image %s/none",
			    t.kver, t.root),
		     1, "%s", out);
	cr_expect(strstr(out, "no kernel image"), "%s", out);
	cr_expect_eq(mt_dks(&t, 60, out, sizeof(out), "test-load tl/1.0 --all"), 5, "%s", out);
}

Test(testload, plan_needs_no_modules_dep_for_a_module_without_dependencies, .fini = sbt_cleanup)
{
	char *dir = plan_dir(), *built[1];
	struct dks_tl_module *m = NULL;
	struct dks_error err = {0};
	size_t n = 0;

	fake_module(dir, "a.ko", "a", "");
	built[0] = strdup(fmt_path(dir, "a.ko"));
	cr_assert_eq(dks_tl_plan(dir, built, 1, &m, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, 1);
	cr_expect_str_eq(m[0].name, "a");
	dks_tl_modules_free(m, n);
	free(built[0]);
}
