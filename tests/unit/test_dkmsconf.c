// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms.conf evaluation (orchestrator/dkmsconf.c) and the spec helpers
 * (orchestrator/spec.c): real files written into a temporary source dir,
 * evaluated by bash in a real sandbox for the installed kernel or for a
 * kernel of our own (a headers dir holding only a .config); Debian's own
 * dkms.conf files, copied into tests/fixtures/dkmsconf/ (what they evaluate
 * to is asserted exactly), and the current ones of a few packages (fetched
 * with tests/fetch-corpus.sh: asserted only to evaluate); hostile files;
 * and the strict record parser on hand-made driver output. Kernel releases
 * of the tests' own making look like 5.99.0-1-test: never the machine's.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/dkmsconf.h"
#include "dks/spec.h"
#include "orchestrator/dkmsconf_internal.h"
#include "sbtest.h"

TestSuite(dkmsconf, .fini = sbt_cleanup);

/* ---- helpers -------------------------------------------------------------- */

struct ev {
	char *kver; /* the installed kernel the evaluation is for, by default */
	char *dir;  /* the module source dir */
	char *headers; /* a kernel of our own (ev_kernel), or NULL */
	char *conf; /* dir/dkms.conf */
	struct dks_spec_target t;
	struct dks_eval_opts o;
	struct dks_spec *spec;
	struct dks_error err;
	int rc;
};

/* A kernel with headers: the newest entry of /lib/modules whose build/
 * has a .config (several may be installed side by side). */
static char *test_kernel(void)
{
	char *best = NULL;
	struct dirent *de;
	DIR *d = opendir("/lib/modules");

	cr_assert(d, "/lib/modules: %s", strerror(errno));
	while ((de = readdir(d))) {
		cleanup_free char *config = NULL;

		if (de->d_name[0] == '.')
			continue;
		cr_assert(asprintf(&config, "/lib/modules/%s/build/.config", de->d_name) > 0);
		if (access(config, R_OK) != 0 || (best && dks_version_cmp(best, de->d_name) >= 0))
			continue;
		free(best);
		best = strdup(de->d_name);
	}
	closedir(d);
	cr_assert(best, "no kernel with headers in /lib/modules");
	return best;
}

/* A source dir the build user could write on the host (only the sandbox's
 * read-only bind stops it), readable by all. */
static void ev_init(struct ev *e)
{
	memset(e, 0, sizeof(*e));
	e->kver = test_kernel();
	e->dir = sbt_mkdtemp(NULL);
	cr_assert_eq(chmod(e->dir, 0755), 0);
	cr_assert(asprintf(&e->conf, "%s/dkms.conf", e->dir) > 0);
	e->t = (struct dks_spec_target){.kver = e->kver, .arch = "x86_64", .jobs = 2};
}

static void ev_write(const struct ev *e, const char *name, const char *text)
{
	cleanup_free char *path = NULL;

	cr_assert(asprintf(&path, "%s/%s", e->dir, name) > 0);
	sbt_write_file(path, text, 0, 0, 0644);
}

static int ev_eval(struct ev *e)
{
	dks_spec_free(e->spec);
	e->spec = NULL;
	memset(&e->err, 0, sizeof(e->err));
	e->rc = dks_dkmsconf_eval(e->conf, e->dir, &e->t, &e->o, &e->spec, &e->err);
	return e->rc;
}

/* Write dkms.conf and evaluate it. */
static int ev_conf(struct ev *e, const char *text)
{
	ev_write(e, "dkms.conf", text);
	return ev_eval(e);
}

static void ev_free(struct ev *e)
{
	dks_spec_free(e->spec);
	free(e->headers);
	free(e->kver);
	free(e->dir);
	free(e->conf);
}

static void assert_ok(const struct ev *e)
{
	cr_assert_eq(e->rc, 0, "evaluation failed: %s (exit %d)", e->err.msg, e->err.exit_code);
	cr_assert_not_null(e->spec);
}

static void assert_fails(const struct ev *e, int code, const char *needle)
{
	cr_assert_lt(e->rc, 0, "evaluation succeeded, expected exit %d", code);
	cr_assert_null(e->spec);
	cr_expect_eq(e->err.exit_code, code, "exit code %d, expected %d: %s", e->err.exit_code,
		     code, e->err.msg);
	cr_expect(strstr(e->err.msg, e->conf), "the message does not name %s: %s", e->conf,
		  e->err.msg);
	cr_expect(strstr(e->err.msg, needle), "'%s' not in: %s", needle, e->err.msg);
	cr_expect_null(strchr(e->err.msg, '\n'), "not one line: %s", e->err.msg);
}

static bool has_warning(const struct dks_spec *s, const char *needle)
{
	for (size_t i = 0; i < s->n_warnings; i++)
		if (strstr(s->warnings[i], needle))
			return true;
	return false;
}

#define MINIMAL                                                                                    \
	"PACKAGE_NAME=hello\n"                                                                     \
	"PACKAGE_VERSION=1.0\n"                                                                    \
	"DEST_MODULE_LOCATION=/updates/dkms\n"

/* A Debian *-dkms package unpacked by tests/fetch-corpus.sh: its source dir. */
static char *corpus_dir(const char *pkg)
{
	const char *cache = getenv("DKS_CORPUS_DIR");
	const char *src = getenv("DKS_SRCDIR");
	char line[4096] = "";
	cleanup_free char *cmd = NULL;
	FILE *f;

	if (!cache || !*cache)
		cache = "/tmp/dkms-sandbox-corpus";
	cr_assert(src, "DKS_SRCDIR is not set (run through make check-run)");
	cr_assert(asprintf(&cmd, "'%s/tests/fetch-corpus.sh' '%s' '%s'", src, cache, pkg) > 0);
	f = popen(cmd, "r");
	cr_assert(f, "popen: %s", strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
	line[strcspn(line, "\n")] = '\0';
	cr_assert(line[0] == '/', "%s printed no source dir", cmd);
	return strdup(line);
}

static int eval_corpus(struct ev *e, const char *pkg)
{
	free(e->dir);
	free(e->conf);
	e->dir = corpus_dir(pkg);
	cr_assert(asprintf(&e->conf, "%s/dkms.conf", e->dir) > 0);
	return ev_eval(e);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	cr_assert(f && out, "%s: %s", path, strerror(errno));
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, out);
	fclose(f);
	fclose(out);
	return text;
}

/* A real package's dkms.conf kept in tests/fixtures/dkmsconf/@name/ (@name:
 * its source dir, <module>-<version>): copied into a source dir of that
 * name, as dkms finds it in /usr/src, and evaluated. */
static int eval_fixture(struct ev *e, const char *name)
{
	cleanup_free char *rel = NULL, *fixture = NULL, *text = NULL, *dir = NULL;

	cr_assert(asprintf(&rel, "dkmsconf/%s/dkms.conf", name) > 0);
	fixture = sbt_fixture(rel);
	text = read_text(fixture);
	cr_assert(asprintf(&dir, "%s/%s", e->dir, name) > 0);
	cr_assert_eq(mkdir(dir, 0755), 0, "%s: %s", dir, strerror(errno));
	free(e->dir);
	free(e->conf);
	e->dir = steal_pointer(&dir);
	cr_assert(asprintf(&e->conf, "%s/dkms.conf", e->dir) > 0);
	sbt_write_file(e->conf, text, 0, 0, 0644);
	return ev_eval(e);
}

/* Evaluate for a kernel of our own: release @kver, headers holding only a
 * .config with @config (what the conf sources or greps). */
static void ev_kernel(struct ev *e, const char *kver, const char *config)
{
	cleanup_free char *path = NULL;

	free(e->headers);
	e->headers = sbt_mkdtemp(NULL);
	cr_assert_eq(chmod(e->headers, 0755), 0);
	cr_assert(asprintf(&path, "%s/.config", e->headers) > 0);
	sbt_write_file(path, config, 0, 0, 0644);
	e->t.kver = kver;
	e->o.kernel_headers = e->headers;
}

/* ---- evaluation of real files ---------------------------------------------- */

Test(dkmsconf, minimal_conf_gives_names_and_default_module, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME[0]=hello\n");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->name, "hello");
	cr_expect_str_eq(e.spec->version, "1.0");
	cr_assert_eq(e.spec->n_modules, 1);
	cr_expect_str_eq(e.spec->modules[0].built_name, "hello");
	cr_expect_str_eq(e.spec->modules[0].built_location, "");
	cr_expect_str_eq(e.spec->modules[0].dest_name, "hello");
	cr_expect_str_eq(e.spec->modules[0].dest_location, "/updates/dkms");
	cr_expect(e.spec->modules[0].strip);
	cr_expect_null(e.spec->make, "no MAKE: dkms's default (NULL), got %s", e.spec->make);
	cr_expect_null(e.spec->clean);
	cr_expect_not(e.spec->autoinstall);
	cr_expect_eq(e.spec->n_patches, 0);
	cr_expect_eq(e.spec->n_warnings, 0);
	cr_expect_str_eq(e.spec->source, e.conf);
	ev_free(&e);
}

Test(dkmsconf, conf_sees_the_dkms_variables, .timeout = 60)
{
	struct ev e;
	cleanup_free char *want = NULL;

	ev_init(&e);
	e.t.dkms_tree = "/var/lib/dkms-test";
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME=hello\n"
			    "CLEAN=\"$kernelver|$arch|$kernel_source_dir|$kernel_config|$dkms_tree|"
			    "$source_tree|$install_tree|$parallel_jobs|${PACKAGE_NAME}\"\n");
	assert_ok(&e);
	cr_assert(asprintf(&want,
			   "%s|x86_64|/lib/modules/%s/build|/lib/modules/%s/build/.config|"
			   "/var/lib/dkms-test|/usr/src|/lib/modules|2|hello",
			   e.kver, e.kver, e.kver) > 0);
	cr_expect_str_eq(e.spec->clean, want);
	ev_free(&e);
}

/* The kernel symbol v4l2loopback's dkms.conf requires of @kver (it asks
 * sort -V whether the kernel is newer than 5.18). */
static const char *v4l2_symbol(const char *kver)
{
	return strverscmp(kver, "5.18") > 0 ? "CONFIG_VIDEO_DEV" : "CONFIG_VIDEO_V4L2";
}

Test(dkmsconf, v4l2loopback_debian_conf_evaluates_like_dkms, .timeout = 300)
{
	struct ev e;
	cleanup_free char *video = NULL, *requires = NULL;

	ev_init(&e);
	eval_fixture(&e, "v4l2loopback-0.12.7");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->name, "v4l2loopback");
	cr_expect_str_eq(e.spec->version, "0.12.7");
	cr_assert_eq(e.spec->n_modules, 1);
	cr_expect_str_eq(e.spec->modules[0].built_name, "v4l2loopback");
	cr_expect_str_eq(e.spec->modules[0].dest_location, "/extra");
	/* MAKE[0]="make KERNEL_DIR=${kernel_source_dir} all", expanded. */
	cleanup_free char *make = NULL;
	cr_assert(asprintf(&make, "make KERNEL_DIR=/lib/modules/%s/build all", e.kver) > 0);
	cr_expect_str_eq(e.spec->make, make);
	cr_expect_str_eq(e.spec->clean, "make clean");
	cr_expect(e.spec->autoinstall);
	/* It sources the kernel's .config: BUILD_EXCLUSIVE_KERNEL "REQUIRES
	 * CONFIG_..." when the kernel lacks video support, else nothing. */
	video = sbt_kernel_config(e.kver, v4l2_symbol(e.kver));
	cr_assert(asprintf(&requires, "REQUIRES %s", v4l2_symbol(e.kver)) > 0);
	if (video)
		cr_expect_null(e.spec->excl_kernel, "%s=%s, yet excl_kernel = %s",
			       v4l2_symbol(e.kver), video, e.spec->excl_kernel);
	else
		cr_expect(e.spec->excl_kernel && strcmp(e.spec->excl_kernel, requires) == 0,
			  "%s is not set, yet excl_kernel = %s", v4l2_symbol(e.kver),
			  e.spec->excl_kernel);
	ev_free(&e);
}

Test(dkmsconf, ddcci_debian_conf_has_two_modules_in_subdirs, .timeout = 300)
{
	struct ev e;

	ev_init(&e);
	eval_fixture(&e, "ddcci-0.4.2");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->name, "ddcci");
	cr_expect_str_eq(e.spec->version, "0.4.2");
	cr_assert_eq(e.spec->n_modules, 2);
	cr_expect_str_eq(e.spec->modules[0].built_name, "ddcci");
	cr_expect_str_eq(e.spec->modules[0].built_location, "ddcci");
	cr_expect_str_eq(e.spec->modules[1].built_name, "ddcci-backlight");
	cr_expect_str_eq(e.spec->modules[1].built_location, "ddcci-backlight");
	cr_expect_str_eq(e.spec->modules[1].dest_location, "/extra");
	cleanup_free char *make = NULL;
	cr_assert(asprintf(&make, "make KVER=%s -C /var/lib/dkms/ddcci/0.4.2/build", e.kver) > 0);
	cr_expect_str_eq(e.spec->make, make);
	/* It greps $kernel_source_dir/.config for I2C and backlight, and
	 * excludes itself (BUILD_EXCLUSIVE_ARCH) from a kernel without them. */
	if (sbt_kernel_config_set(e.kver, "CONFIG_I2C") &&
	    sbt_kernel_config_set(e.kver, "CONFIG_BACKLIGHT_CLASS_DEVICE"))
		cr_expect_null(e.spec->excl_arch, "excl_arch = %s", e.spec->excl_arch);
	else
		cr_expect(e.spec->excl_arch && strcmp(e.spec->excl_arch, "^do_not_build$") == 0,
			  "excl_arch = %s", e.spec->excl_arch);
	ev_kernel(&e, "5.99.0-1-test", "CONFIG_BACKLIGHT_CLASS_DEVICE=m\n# CONFIG_I2C is not set\n");
	ev_eval(&e);
	assert_ok(&e);
	cr_expect_str_eq(e.spec->excl_arch, "^do_not_build$", "a kernel without I2C");
	ev_kernel(&e, "5.99.0-1-test", "CONFIG_BACKLIGHT_CLASS_DEVICE=m\nCONFIG_I2C=y\n");
	ev_eval(&e);
	assert_ok(&e);
	cr_expect_null(e.spec->excl_arch, "a kernel with I2C and backlight: %s", e.spec->excl_arch);
	ev_free(&e);
}

/* lttng-modules counts its modules with $((i+1)), takes the release apart
 * with $(sed), and adds modules by the kernel's config and version. */
Test(dkmsconf, lttng_debian_conf_counts_its_modules_by_kernel, .timeout = 120)
{
	struct ev e;
	cleanup_free char *make = NULL;
	struct dks_spec *s;

	ev_init(&e);
	ev_kernel(&e, "5.99.0-1-test", "CONFIG_64BIT=y\nCONFIG_NET=y\nCONFIG_COMPACTION=y\n");
	eval_fixture(&e, "lttng-modules-2.13.9");
	assert_ok(&e);
	s = e.spec;
	cr_expect_str_eq(s->name, "lttng-modules");
	cr_expect_str_eq(s->version, "2.13.9");
	cr_assert(asprintf(&make, "make -C %s M=/var/lib/dkms/lttng-modules/2.13.9/build modules "
			   "CONFIG_LTTNG=m CONFIG_LTTNG_CLOCK_PLUGIN_TEST=m", e.headers) > 0);
	cr_expect_str_eq(s->make, make);
	/* 28 always, percpu-64 (CONFIG_64BIT), 5 network probes (CONFIG_NET);
	 * no compaction probe: 5.99 is not before 5.18. */
	cr_assert_eq(s->n_modules, 34);
	cr_expect_str_eq(s->modules[0].built_name, "lttng-lib-ring-buffer");
	cr_expect_str_eq(s->modules[0].built_location, "src/lib");
	cr_expect_str_eq(s->modules[0].dest_location, "/extra/lib");
	cr_expect_str_eq(s->modules[10].built_name, "lttng-counter-client-percpu-64-modular");
	cr_expect_str_eq(s->modules[16].built_name, "lttng-probe-kmem", "5 is before 6");
	cr_expect_str_eq(s->modules[18].built_name, "lttng-probe-napi");
	cr_expect_str_eq(s->modules[18].dest_location, "/extra/probes");
	cr_expect_str_eq(s->modules[33].built_name, "lttng-clock-plugin-test");
	cr_expect_str_eq(s->modules[33].built_location, "src/tests");
	cr_expect(s->autoinstall);
	/* An older release without 64BIT and NET: 28 plus the compaction
	 * probe (5.9 is before 5.18). */
	ev_kernel(&e, "5.9.0-1-test", "CONFIG_COMPACTION=y\n");
	ev_eval(&e);
	assert_ok(&e);
	cr_assert_eq(e.spec->n_modules, 29);
	cr_expect_str_eq(e.spec->modules[10].built_name, "lttng-clock");
	cr_expect_str_eq(e.spec->modules[14].built_name, "lttng-probe-compaction");
	ev_free(&e);
}

/* ipt-netflow sets its version between pushd and popd of its own
 * directory (backquotes, $BASH_SOURCE), and has a PRE_BUILD with
 * arguments. */
Test(dkmsconf, ipt_netflow_debian_conf_evaluates_in_its_directory, .timeout = 60)
{
	struct ev e;
	cleanup_free char *configure = NULL;

	ev_init(&e);
	ev_kernel(&e, "5.99.0-1-test", "CONFIG_NETFILTER=y\n");
	eval_fixture(&e, "ipt-netflow-2.6");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->name, "ipt-netflow");
	cr_expect_str_eq(e.spec->version, "2.6");
	cr_assert_eq(e.spec->n_modules, 1);
	cr_expect_str_eq(e.spec->modules[0].built_name, "ipt_NETFLOW");
	cr_expect_str_eq(e.spec->modules[0].dest_location, "/kernel/extra");
	cr_expect_not(e.spec->modules[0].strip);
	cr_expect_str_eq(e.spec->make, "make ipt_NETFLOW.ko");
	cr_assert(asprintf(&configure, "./configure --from-dkms-conf=%s --prefix=/usr ",
			   e.headers) > 0);
	cr_assert_not_null(e.spec->pre_build);
	cr_expect(strncmp(e.spec->pre_build, configure, strlen(configure)) == 0,
		  "PRE_BUILD = %s", e.spec->pre_build);
	cr_expect(e.spec->autoinstall);
	ev_free(&e);
}

/* Constructs of real files the fixtures above do not have: case, a for
 * loop filling arrays, arithmetic, command substitution. */
Test(dkmsconf, case_loops_and_arithmetic_evaluate_as_in_bash, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	e.t.kver = "5.99.0-1-test";
	ev_conf(&e, MINIMAL "case \"$kernelver\" in\n"
			    "  5.99.*) series=test ;;\n  *) series=other ;;\nesac\n"
			    "n=0\nfor m in a b c; do\n"
			    "  BUILT_MODULE_NAME[$n]=$m\n"
			    "  DEST_MODULE_LOCATION[$n]=/extra/$series\n"
			    "  n=$((n + 1))\ndone\n"
			    "CLEAN=\"$(echo $n modules) `echo for $kernelver`\"\n");
	assert_ok(&e);
	cr_assert_eq(e.spec->n_modules, 3);
	cr_expect_str_eq(e.spec->modules[2].built_name, "c");
	cr_expect_str_eq(e.spec->modules[2].dest_location, "/extra/test");
	cr_expect_str_eq(e.spec->clean, "3 modules for 5.99.0-1-test");
	ev_free(&e);
}

/* dkms's safe_source echoes each directive unquoted and sources the echo:
 * a value's words, split on blanks, tabs and newlines, joined by one
 * space, then evaluated again in double quotes. zfs-dkms's PRE_BUILD is
 * "configure" and its options on lines of their own, one of them
 * --host=\"\" (an empty --host= once evaluated again), and a blank
 * at an end of the value stays one blank. No pathname expansion here
 * (dkms's globs its own cwd). */
Test(dkmsconf, values_are_their_words_joined_as_dkms_safe_source_gives_them, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	e.t.kver = "5.99.0-1-test";
	ev_write(&e, "a-file", "");
	ev_conf(&e, MINIMAL "PRE_BUILD=\"configure\n  --prefix=/usr\t--k=$kernelver\n"
			    "  $([[ -n \\\"${CROSS_COMPILE}\\\" ]] && echo --host=\\\"${CROSS_COMPILE%-}\\\")\n"
			    "\"\n"
			    "POST_BUILD='  post.sh   -a  *  -k $kernelver'\n"
			    "MAKE[0]=$'make \\t\\n -C  x'\n");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->pre_build, "configure --prefix=/usr --k=5.99.0-1-test --host= ");
	cr_expect_str_eq(e.spec->post_build, " post.sh -a * -k 5.99.0-1-test");
	cr_expect_str_eq(e.spec->make, "make -C x");
	/* one blank kept at either end: a name dkms could not find */
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME[0]=$'\\thello\\n\\n'\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "' hello ' is not a valid name");
	/* what the file set besides directives is gone, as under dkms */
	ev_conf(&e, MINIMAL "X=1\nf() { :; }\nPOST_BUILD='post.sh $X'\n");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->post_build, "post.sh ");
	ev_free(&e);
}

/* zfs-dkms (contrib): its PRE_BUILD, POST_BUILD and STRIP[] are written
 * on many lines with $(...) parts, and its --with-linux is
 * ${kernel_source_dir/%build/source}: what dkms 3.0.10's safe_source makes
 * of them, the words joined, the kernel's source dir beside build/. */
Test(dkmsconf, zfs_debian_conf_evaluates_as_dkms_safe_source_has_it, .timeout = 300)
{
	struct ev e;
	cleanup_free char *src = NULL, *obj = NULL, *post = NULL;

	ev_init(&e);
	eval_corpus(&e, "zfs-dkms");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->name, "zfs");
	cr_assert(asprintf(&src, " --with-linux=/lib/modules/%s/source ", e.kver) > 0);
	cr_assert(asprintf(&obj, " --with-linux-obj=/lib/modules/%s/build ", e.kver) > 0);
	cr_assert(asprintf(&post, "scripts/dkms.postbuild -n zfs -v %s -a ", e.spec->version) > 0);
	cr_expect(!strncmp(e.spec->pre_build, "configure ", 10), "%s", e.spec->pre_build);
	cr_expect(!dks_has_control(e.spec->pre_build), "%s", e.spec->pre_build);
	cr_expect(strstr(e.spec->pre_build, src), "no '%s' in %s", src, e.spec->pre_build);
	cr_expect(strstr(e.spec->pre_build, obj), "no '%s' in %s", obj, e.spec->pre_build);
	cr_expect(!strstr(e.spec->pre_build, "\"\""), "not evaluated again: %s", e.spec->pre_build);
	cr_expect(!strncmp(e.spec->post_build, post, strlen(post)), "%s", e.spec->post_build);
	cr_expect(strstr(e.spec->post_build, " -t /var/lib/dkms"), "%s", e.spec->post_build);
	cr_expect_geq(e.spec->n_modules, 8, "%zu modules", e.spec->n_modules);
	ev_free(&e);
}

/* The packages as Debian has them today (whatever their versions): each
 * dkms.conf evaluates, to the name and version its source dir says. */
Test(dkmsconf, current_debian_confs_evaluate_to_their_source_dir_names, .timeout = 600)
{
	static const char *const pkgs[] = {"v4l2loopback-dkms", "ddcci-dkms", "tp-smapi-dkms",
					   "bbswitch-dkms", "dm-writeboost-dkms"};
	struct ev e;

	ev_init(&e);
	for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
		cleanup_free char *want = NULL, *got = NULL;

		eval_corpus(&e, pkgs[i]);
		cr_assert_eq(e.rc, 0, "%s: %s", pkgs[i], e.err.msg);
		want = strdup(strrchr(e.dir, '/') + 1);
		cr_assert(asprintf(&got, "%s-%s", e.spec->name, e.spec->version) > 0);
		cr_expect_str_eq(got, want, "%s:\ndkms 3.0.10:\n%s\nours:\n%s", pkgs[i], want, got);
		cr_expect_gt(e.spec->n_modules, 0, "%s", pkgs[i]);
	}
	ev_free(&e);
}

/* ---- the driver against dkms 3.0.10's own safe_source ---- */

/* Shared by both sides: dkms's variables for KVER ($1) and the module
 * ($4 $5, source dir $6), dkms_conf_variables and safe_source taken from
 * /usr/sbin/dkms, and a printer of the directives both know (our names
 * $7, in dkms's list) as NAME[I]=<VALUE> lines. */
#define REF_PROLOGUE                                                                               \
	"exec 2>/dev/null\n"                                                                       \
	"kernelver=$1 arch=$2 kernel_source_dir=$3 dkms_tree=/var/lib/dkms source_tree=/usr/src\n" \
	"install_tree=/lib/modules module=$4 module_version=$5 kernel_config=$3/.config "        \
	"parallel_jobs=2\n"                                                                         \
	"__dir=$6 __names=$7\n"                                                                     \
	"eval \"$(sed -n '/^readonly dkms_conf_variables=/,/\"$/p' /usr/sbin/dkms | "              \
	"sed 's/^readonly //')\"\n"                                                                 \
	"[ -n \"$dkms_conf_variables\" ] || exit 3\n"                                              \
	"__known() { [[ \" $(echo $dkms_conf_variables) \" == *\" $1 \"* ]]; }\n"                 \
	"cd \"$__dir\" || exit 3\n"

/* dkms's: its safe_source on the conf, then the values left. */
static const char ref_dkms[] = REF_PROLOGUE
	"eval \"$(sed -n '/^safe_source() {$/,/^}$/p' /usr/sbin/dkms)\"\n"
	"declare -F safe_source >/dev/null || exit 3\n"
	"mktemp_or_die() { mktemp; }\n"
	"safe_source \"$__dir/dkms.conf\" $dkms_conf_variables\n"
	"for __v in $__names; do __known $__v || continue\n"
	"  eval \"__i=(\\\"\\${!$__v[@]}\\\")\"\n"
	"  for __j in \"${__i[@]}\"; do eval \"printf '%s[%s]=<%s>\\n' $__v $__j \\\"\\${$__v[$__j]}\\\"\"; done\n"
	"done | sort\n";

/* Ours: the driver ($8) on the conf, its records as the same lines. */
static const char ref_ours[] = REF_PROLOGUE
	"bash -c \"$8\" dkms-conf \"$__dir/dkms.conf\" \"$1\" \"$2\" \"$3\" /var/lib/dkms /usr/src "
	"/lib/modules \"$4\" \"$5\" \"$3/.config\" 2 0 |\n"
	"while IFS= read -r -d '' t; do\n"
	"  case $t in\n"
	"  S) IFS= read -r -d '' n; IFS= read -r -d '' v; i=0 ;;\n"
	"  A) IFS= read -r -d '' n; IFS= read -r -d '' i; IFS= read -r -d '' v ;;\n"
	"  *) continue ;;\n"
	"  esac\n"
	"  __known \"$n\" && printf '%s[%s]=<%s>\\n' \"$n\" \"$i\" \"$v\"\n"
	"done | sort\n";

static char *directives_of(const char *script, const char *kver, const char *dir,
			   const char *mv)
{
	static const char names[] = DKS_SCALARS(DKS_WORD) DKS_ARRAYS(DKS_WORD);
	cleanup_free char *ksrc = NULL, *m = strndup(mv, strrchr(mv, '-') - mv);
	struct sbt_opts o = {.kernel = kver, .ro = {dir}};
	struct sbt_out out = {0};
	char *text;

	cr_assert(asprintf(&ksrc, "/lib/modules/%s/build", kver) > 0);
	char *argv[] = {"/bin/bash", "-c", (char *)script, "ref", (char *)kver, "x86_64", ksrc, m,
			strrchr(mv, '-') + 1, (char *)dir, (char *)names,
			(char *)dks_dkmsconf_driver, NULL};
	cr_assert_eq(sbt_run(&o, argv, &out), 0, "%s", out.err.msg);
	cr_assert(out.res.outcome == DKS_SANDBOX_EXITED && out.res.exit_status == 0, "%s: %s", dir,
		  out.text);
	text = strdup(out.text);
	sbt_out_free(&out);
	return text;
}

/* Debian's confs, evaluated by our driver and by dkms 3.0.10's own
 * safe_source (both in a sandbox: a conf is the module's code), give the
 * same directives, value for value. The packages with the most shell in
 * their confs: multi-line values, $(...) with \" inside (zfs), backslash
 * continuations and globs (openafs, jool), loops (lttng). */
Test(dkmsconf, debian_confs_give_what_dkms_s_own_safe_source_gives, .timeout = 600)
{
	static const char *const pkgs[] = {"zfs-dkms", "openafs-modules-dkms", "jool-dkms",
					   "lttng-modules-dkms", "v4l2loopback-dkms", "ddcci-dkms"};
	cleanup_free char *kver = test_kernel();

	cr_assert_eq(access("/usr/sbin/dkms", R_OK), 0, "Debian's dkms (make deps installs it)");
	for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
		cleanup_free char *dir = corpus_dir(pkgs[i]);
		cleanup_free char *want = directives_of(ref_dkms, kver, dir, strrchr(dir, '/') + 1);
		cleanup_free char *got = directives_of(ref_ours, kver, dir, strrchr(dir, '/') + 1);

		cr_expect(strstr(want, "PACKAGE_NAME[0]=<"), "%s: dkms gave nothing: %s", pkgs[i], want);
		cr_expect_str_eq(got, want, "%s:\ndkms 3.0.10:\n%s\nours:\n%s", pkgs[i], want, got);
	}
}

Test(dkmsconf, kernel_without_headers_sees_a_missing_config, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	e.t.kver = "5.99.0-1-test";
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME=hello\n"
			    ". $kernel_source_dir/.config\n"
			    "[ -e \"$kernel_config\" ] || BUILD_EXCLUSIVE_ARCH=no-config\n");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->excl_arch, "no-config");
	ev_free(&e);
}

Test(dkmsconf, conf_outside_the_source_dir_is_evaluated, .timeout = 60)
{
	struct ev e;
	cleanup_free char *other = sbt_mkdtemp(NULL), *conf = NULL;

	ev_init(&e);
	cr_assert_eq(chmod(other, 0755), 0);
	cr_assert(asprintf(&conf, "%s/override.conf", other) > 0);
	sbt_write_file(conf, MINIMAL "BUILT_MODULE_NAME=hello\nCLEAN=\"$(ls $PWD)\"\n", 0, 0, 0644);
	ev_write(&e, "Makefile", "all:\n");
	e.rc = dks_dkmsconf_eval(conf, e.dir, &e.t, &e.o, &e.spec, &e.err);
	assert_ok(&e);
	cr_expect_str_eq(e.spec->source, conf);
	cr_expect_str_eq(e.spec->clean, "Makefile", "the conf runs in the source dir");
	ev_free(&e);
}

Test(dkmsconf, missing_conf_is_exit_4_naming_it, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_eval(&e);
	assert_fails(&e, DKS_EXIT_NO_CONF, "No such file");
	ev_free(&e);
}

Test(dkmsconf, empty_conf_is_exit_8, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, "");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "empty");
	ev_free(&e);
}

Test(dkmsconf, conf_without_package_name_is_exit_8, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, "# nothing here\nPACKAGE_VERSION=1\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "PACKAGE_NAME");
	ev_free(&e);
}

Test(dkmsconf, syntax_error_is_exit_8_naming_file_and_line, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL "if then fi (\nBUILT_MODULE_NAME=hello\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "line 4: syntax error");
	ev_free(&e);
}

Test(dkmsconf, conf_that_exits_is_exit_8, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME=hello\nexit 0\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "exit");
	ev_conf(&e, MINIMAL "echo 'giving up' >&2; exit 3\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "(exit status 3): giving up");
	ev_free(&e);
}

Test(dkmsconf, zero_modules_succeed_with_a_warning, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, "PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nMAKE=\"make tools\"\n");
	assert_ok(&e);
	cr_expect_eq(e.spec->n_modules, 0);
	cr_expect(has_warning(e.spec, "Zero modules specified"));
	cr_expect(has_warning(e.spec, e.conf), "warnings name the file");
	ev_free(&e);
}

Test(dkmsconf, sparse_module_arrays_are_exit_8, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	/* dkms 3.4: as many records as the highest index; a gap is a
	 * record without its BUILT_MODULE_NAME. */
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME[0]=a\nBUILT_MODULE_NAME[2]=c\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "No 'BUILT_MODULE_NAME' directive specified for record #1");
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME[0]=a\nDEST_MODULE_LOCATION[1]=/extra\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "for record #1");
	/* A high index is refused, not allocated. */
	ev_conf(&e, MINIMAL "DEST_MODULE_LOCATION[99999999]=/extra\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "100000000 module records: at most 64");
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME=a\nMAKE[0]=make\nMAKE[5]=\"make other\"\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "MAKE[5]");
	ev_free(&e);
}

/* dkms refuses a bad or missing patch at build time (exit 5:
 * test_dkmsconfcases.c), not when the conf is read: kept as written. */
Test(dkmsconf, patches_are_kept_as_written_for_the_build_to_check, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME=a\nPATCH[0]=../../etc/evil.patch\n"
			    "PATCH[1]=fix.patch\n");
	assert_ok(&e);
	cr_assert_eq(e.spec->n_patches, 2);
	cr_expect_str_eq(e.spec->patches[0].file, "../../etc/evil.patch");
	cr_expect_str_eq(e.spec->patches[1].file, "fix.patch");
	ev_free(&e);
}

Test(dkmsconf, duplicate_built_names_are_exit_8, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME[0]=a\nBUILT_MODULE_NAME[1]=a\n"
			    "DEST_MODULE_LOCATION[1]=/extra\nDEST_MODULE_NAME[1]=b\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "Duplicate module 'a' in 'BUILT_MODULE_NAME[1]'");
	/* dkms: a module is its location and its name. */
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME[0]=a\nBUILT_MODULE_NAME[1]=a\n"
			    "BUILT_MODULE_LOCATION[1]=sub\nDEST_MODULE_LOCATION[1]=/extra\n"
			    "DEST_MODULE_NAME[1]=b\n");
	assert_ok(&e);
	ev_free(&e);
}

Test(dkmsconf, duplicate_dest_names_are_exit_8, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL "BUILT_MODULE_NAME[0]=a\nBUILT_MODULE_NAME[1]=b\n"
			    "DEST_MODULE_LOCATION[1]=/extra\nDEST_MODULE_NAME[1]=a\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "Duplicate module 'a' in 'DEST_MODULE_NAME[1]'");
	ev_free(&e);
}

Test(dkmsconf, crlf_line_ends_are_accepted, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, "PACKAGE_NAME=\"hello\"\r\nPACKAGE_VERSION=1.0\r\n"
		    "BUILT_MODULE_NAME[0]=hello\r\nDEST_MODULE_LOCATION[0]=/extra\r\n"
		    "if true; then\r\n  AUTOINSTALL=yes\r\nfi\r\n");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->name, "hello");
	cr_expect_str_eq(e.spec->version, "1.0");
	cr_expect_str_eq(e.spec->modules[0].dest_location, "/extra");
	cr_expect(e.spec->autoinstall);
	ev_free(&e);
}

Test(dkmsconf, deprecated_directives_warn, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL
		"BUILT_MODULE_NAME=a\nREMAKE_INITRD=yes\nMODULES_CONF[0]=\"options a x=1\"\n");
	assert_ok(&e);
	cr_expect(has_warning(e.spec, "Deprecated feature: REMAKE_INITRD"));
	cr_expect(has_warning(e.spec, "Deprecated feature: MODULES_CONF"));
	ev_free(&e);
}

Test(dkmsconf, make_match_selects_the_make_per_kernel, .timeout = 60)
{
	struct ev e;
	const char *conf = MINIMAL "BUILT_MODULE_NAME=a\n"
				   "MAKE[0]=\"make old\"\n"
				   "MAKE[1]=\"make five-nine\"\nMAKE_MATCH[1]='^5\\.9\\.'\n"
				   "MAKE[2]=\"make five-ninety-nine\"\nMAKE_MATCH[2]='^5\\.99\\.'\n";

	/* ^5\.9\. must not take 5.99: the dots are literal. */
	ev_init(&e);
	e.t.kver = "5.9.0-1-test";
	ev_conf(&e, conf);
	assert_ok(&e);
	cr_expect_str_eq(e.spec->make, "make five-nine");
	e.t.kver = "5.99.115+test1-test";
	ev_eval(&e);
	assert_ok(&e);
	cr_expect_str_eq(e.spec->make, "make five-ninety-nine");
	e.t.kver = "4.19.0-1-test";
	ev_eval(&e);
	assert_ok(&e);
	cr_expect_str_eq(e.spec->make, "make old");
	ev_free(&e);
}

Test(dkmsconf, conf_stdout_does_not_reach_the_records, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e,
		MINIMAL "BUILT_MODULE_NAME=a\nprintf 'S\\0PACKAGE_NAME\\0evil\\0E\\0'\necho hi\n");
	assert_ok(&e);
	cr_expect_str_eq(e.spec->name, "hello");
	ev_free(&e);
}

/* ---- hostile files ----------------------------------------------------------- */

/* Files a hostile conf tries to write: @pwned, a fresh name in the host's
 * /tmp, and *@in_source, one in the conf's own dir. Their random part. */
static uint32_t targets(struct ev *e, char pwned[64], char **in_source)
{
	uint32_t rnd;

	ev_init(e);
	cr_assert_eq(getrandom(&rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(pwned, 64, "/tmp/pwned-%08x", rnd);
	cr_assert(asprintf(in_source, "%s/pwned", e->dir) > 0);
	unlink(pwned);
	return rnd;
}

Test(dkmsconf, hostile_conf_cannot_write_host_files, .timeout = 60)
{
	struct ev e;
	char pwned[64];
	cleanup_free char *conf = NULL, *in_source = NULL;
	uint32_t rnd = targets(&e, pwned, &in_source);

	cr_assert(asprintf(&conf,
			   MINIMAL "BUILT_MODULE_NAME=a\n"
				   "echo owned > %s\n"
				   "echo owned > $(dirname $BASH_SOURCE)/pwned\n"
				   "echo owned > /proc/1/root%s\n"
				   "echo owned > /etc/pwned-%08x\n",
			   pwned, pwned, rnd) > 0);
	ev_conf(&e, conf);
	assert_ok(&e);
	cr_expect_neq(access(pwned, F_OK), 0, "%s was written on the host", pwned);
	cr_expect_neq(access(in_source, F_OK), 0, "%s was written on the host", in_source);
	unlink(pwned);
	ev_free(&e);
}

/* "root:" and the first characters of root's hash in the host's shadow. */
static void shadow_root_prefix(char *out, size_t size)
{
	cleanup_fclose FILE *f = fopen("/etc/shadow", "re");
	char line[512];

	out[0] = '\0';
	cr_assert(f, "/etc/shadow: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "root:", 5) == 0) {
			snprintf(out, size, "%.12s", line);
			return;
		}
	cr_assert_fail("no root line in /etc/shadow");
}

Test(dkmsconf, hostile_conf_cannot_read_host_secrets, .timeout = 60)
{
	struct ev e;
	char root[16];

	shadow_root_prefix(root, sizeof(root));
	ev_init(&e);
	ev_conf(&e,
		MINIMAL "BUILT_MODULE_NAME=a\n"
			"CLEAN=\"$(cat /etc/shadow /proc/1/root/etc/shadow 2>&1; "
			"cat /etc/shadow >&2)\"\n"
			"OBSOLETE_BY=\"$(head -c 40 /etc/shadow 2>/dev/null | tr -d '\\n')x\"\n");
	assert_ok(&e);
	cr_expect_null(strstr(e.spec->clean, "root:"), "shadow leaked: %s", e.spec->clean);
	cr_expect_null(strstr(e.spec->clean, root));
	cr_expect_str_eq(e.spec->obsolete_by, "x");
	ev_free(&e);
}

Test(dkmsconf, hostile_conf_cannot_connect_out, .timeout = 60)
{
	struct ev e;
	uint16_t port;
	int lfd = sbt_tcp_listener(&port);
	cleanup_free char *conf = NULL;

	ev_init(&e);
	cr_assert(asprintf(&conf,
			   MINIMAL "BUILT_MODULE_NAME=a\n"
				   "if exec 3<>/dev/tcp/127.0.0.1/%u; then CLEAN=connected; "
				   "else CLEAN=refused; fi\n",
			   port) > 0);
	ev_conf(&e, conf);
	assert_ok(&e);
	cr_expect_str_eq(e.spec->clean, "refused");
	cr_expect_not(sbt_listener_has_client(lfd), "a connection reached the host's listener");
	close(lfd);
	ev_free(&e);
}

/* dkms's safe_source evaluates each value a second time: code a conf
 * hides in a value ('$(...)', quotes that end the echoed assignment) runs
 * then. Here that is in the same sandbox, under the same bounds: it
 * writes nothing on the host, and an endless one times out. */
Test(dkmsconf, code_in_a_value_runs_in_the_sandbox_on_its_second_evaluation, .timeout = 60)
{
	struct ev e;
	char pwned[64];
	cleanup_free char *conf = NULL, *in_source = NULL;

	targets(&e, pwned, &in_source);
	cr_assert(asprintf(&conf,
			   MINIMAL "BUILT_MODULE_NAME=a\n"
				   "CLEAN='$(echo owned > %s; echo owned > %s)'\n"
				   "PRE_BUILD='x\"; echo owned >%s.2; : \"'\n",
			   pwned, in_source, pwned) > 0);
	ev_conf(&e, conf);
	assert_ok(&e);
	cr_expect(!e.spec->clean || !*e.spec->clean, "the second evaluation did not run: %s",
		  e.spec->clean);
	cr_expect_neq(access(pwned, F_OK), 0, "%s was written on the host", pwned);
	cr_expect_neq(access(in_source, F_OK), 0, "%s was written on the host", in_source);
	strcat(pwned, ".2");
	cr_expect_neq(access(pwned, F_OK), 0, "%s was written on the host", pwned);
	e.o.timeout = 3;
	ev_conf(&e, MINIMAL "CLEAN='$(while :; do :; done)'\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "timed out after 3 s");
	ev_free(&e);
}

Test(dkmsconf, endless_conf_times_out_with_exit_8, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	e.o.timeout = 3;
	ev_conf(&e, MINIMAL "while :; do :; done\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "timed out after 3 s");
	ev_free(&e);
}

Test(dkmsconf, flooding_conf_is_stopped, .timeout = 60)
{
	struct ev e;

	ev_init(&e);
	ev_conf(&e, MINIMAL "yes >&${__dks_out}\n");
	assert_fails(&e, DKS_EXIT_BAD_CONF, "more than");
	ev_free(&e);
}

/* ---- the record parser ---------------------------------------------------------- */

struct recs {
	char buf[4096];
	size_t len;
};

/* Fields (each gets its NUL), up to NULL. */
static struct recs *recs(struct recs *r, ...)
{
	va_list ap;
	const char *f;

	r->len = 0;
	va_start(ap, r);
	while ((f = va_arg(ap, const char *))) {
		size_t n = strlen(f) + 1;

		cr_assert_lt(r->len + n, sizeof(r->buf));
		memcpy(r->buf + r->len, f, n);
		r->len += n;
	}
	va_end(ap);
	return r;
}

#define PKG	     "S", "PACKAGE_NAME", "foo", "S", "PACKAGE_VERSION", "1.2"
#define NAME(i, name) "A", "BUILT_MODULE_NAME", i, name
#define MOD(i, name)  NAME(i, name), "A", "DEST_MODULE_LOCATION", i, "/updates/dkms"

static const struct dks_spec_target parse_target = {.kver = "5.99.0-2-test", .arch = "x86_64"};

static int parse(const struct recs *r, struct dks_spec **s, struct dks_error *err)
{
	memset(err, 0, sizeof(*err));
	*s = NULL;
	return dks_dkmsconf_parse(r->buf, r->len, "/src/foo-1.2/dkms.conf", &parse_target, s, err);
}

static void parse_fails(const struct recs *r, int code, const char *needle)
{
	struct dks_spec *s;
	struct dks_error err;

	cr_assert_lt(parse(r, &s, &err), 0, "parsed, expected '%s'", needle);
	cr_expect_null(s);
	cr_expect_eq(err.exit_code, code, "exit %d, expected %d: %s", err.exit_code, code, err.msg);
	cr_expect(strncmp(err.msg, "/src/foo-1.2/dkms.conf: ", 24) == 0, "not named: %s", err.msg);
	cr_expect(strstr(err.msg, needle), "'%s' not in: %s", needle, err.msg);
}

static struct dks_spec *parse_ok(const struct recs *r)
{
	struct dks_spec *s;
	struct dks_error err;

	cr_assert_eq(parse(r, &s, &err), 0, "%s", err.msg);
	return s;
}

Test(dkmsconf, parse_rejects_malformed_output)
{
	struct recs r;

	parse_fails(recs(&r, PKG, MOD("0", "a"), NULL), 8, "stopped before the end");
	parse_fails(recs(&r, PKG, "S", "PACKAGE_NAME", "bar", MOD("0", "a"), "E", NULL), 8,
		    "PACKAGE_NAME twice");
	parse_fails(recs(&r, PKG, MOD("0", "a"), MOD("0", "b"), "E", NULL), 8,
		    "BUILT_MODULE_NAME[0] twice");
	parse_fails(recs(&r, PKG, "X", "junk", "E", NULL), 8, "unknown record type 'X'");
	parse_fails(recs(&r, PKG, "S", "EVIL_DIRECTIVE", "x", "E", NULL), 8, "EVIL_DIRECTIVE");
	parse_fails(recs(&r, PKG, "S", "MAKE", "make", "E", NULL), 8, "not a scalar");
	parse_fails(recs(&r, PKG, "A", "PACKAGE_NAME", "0", "x", "E", NULL), 8, "not an array");
	parse_fails(recs(&r, PKG, "A", "MAKE", "-1", "make", "E", NULL), 8, "index '-1'");
	parse_fails(recs(&r, PKG, "A", "MAKE", "01", "make", "E", NULL), 8, "index '01'");
	parse_fails(recs(&r, PKG, "E", "S", NULL), 8, "data after the end");
	parse_fails(recs(&r, NULL), 8, "stopped before the end");

	static const char garbage[] = "\x01\xff garbage without NULs";
	struct dks_spec *s;
	struct dks_error err;
	cr_expect_lt(dks_dkmsconf_parse(garbage, sizeof(garbage) - 1, "c", &parse_target, &s, &err),
		     0);
	cr_expect_eq(err.exit_code, 8);
	static const char truncated[] = "S\0PACKAGE_NAME\0fo";
	cr_expect_lt(
	    dks_dkmsconf_parse(truncated, sizeof(truncated) - 1, "c", &parse_target, &s, &err), 0);
	cr_expect(strstr(err.msg, "truncated"), "%s", err.msg);
}

Test(dkmsconf, parse_validates_names_and_locations)
{
	struct recs r;

	parse_fails(recs(&r, "S", "PACKAGE_NAME", "foo", MOD("0", "a"), "E", NULL), 8,
		    "PACKAGE_VERSION");
	parse_fails(recs(&r, "S", "PACKAGE_NAME", "../foo", "S", "PACKAGE_VERSION", "1", "E", NULL),
		    8, "PACKAGE_NAME '../foo'");
	parse_fails(recs(&r, PKG, MOD("0", "a\nb"), "E", NULL), 8, "'a?b' is not a valid name");
	parse_fails(recs(&r, PKG, MOD("0", "a.ko"), "E", NULL), 8, "ends in '.o' or '.ko'");
	parse_fails(recs(&r, PKG, MOD("0", ""), MOD("1", "b"), "E", NULL), 8,
		    "No 'BUILT_MODULE_NAME' directive specified for record #0");
	parse_fails(recs(&r, PKG, NAME("0", "a"), "E", NULL), 8,
		    "No 'DEST_MODULE_LOCATION' directive specified for record #0");
	parse_fails(
	    recs(&r, PKG, NAME("0", "a"), "A", "DEST_MODULE_LOCATION", "0", "/lib", "E", NULL), 8,
	    "does not begin with '/kernel', '/updates', or '/extra' in record #0");
	parse_fails(recs(&r, PKG, NAME("0", "a"), "A", "DEST_MODULE_LOCATION", "0",
			 "/kernel/../../../etc", "E", NULL),
		    8, "'..'");
	parse_fails(
	    recs(&r, PKG, MOD("0", "a"), "A", "BUILT_MODULE_LOCATION", "0", "src/../..", "E", NULL),
	    8, "leaves the build directory");
	parse_fails(recs(&r, PKG, MOD("0", "a"), "S", "PRE_BUILD", "x.sh\nrm -rf /", "E", NULL), 8,
		    "PRE_BUILD");
	parse_fails(recs(&r, PKG, MOD("0", "a"), "A", "BUILD_EXCLUSIVE_KERNEL", "0", "(", "E", NULL), 8,
		    "not a valid regular expression");
	parse_fails(
	    recs(&r, PKG, MOD("0", "a"), "A", "BUILD_EXCLUSIVE_CONFIG", "0", "CONFIG_A .*", "E", NULL),
	    8, "'.*' is not CONFIG_X");
}

Test(dkmsconf, parse_applies_dkms_defaults)
{
	struct recs r;
	struct dks_spec *s;

	/* No BUILT_MODULE_NAME, one DEST_MODULE_LOCATION: named after the package. */
	s = parse_ok(
	    recs(&r, PKG, "A", "DEST_MODULE_LOCATION", "0", "/kernel/drivers/", "E", NULL));
	cr_assert_eq(s->n_modules, 1);
	cr_expect_str_eq(s->modules[0].built_name, "foo");
	cr_expect_str_eq(s->modules[0].dest_location, "/kernel/drivers");
	dks_spec_free(s);

	s = parse_ok(recs(&r, PKG, MOD("0", "a"), MOD("1", "b"), MOD("2", "c"), "A",
			  "BUILT_MODULE_LOCATION", "1", "./src//b/", "A", "STRIP", "0", "no", "A",
			  "STRIP", "2", "yes", "A", "DEST_MODULE_NAME", "2", "c2", "S",
			  "AUTOINSTALL", "YES", "A", "BUILD_EXCLUSIVE_CONFIG",
			  "0", " CONFIG_A\t!CONFIG_B ", "A", "BUILD_DEPENDS", "0", "dep", "E", NULL));
	cr_assert_eq(s->n_modules, 3);
	cr_expect_str_eq(s->modules[1].built_location, "src/b");
	cr_expect_not(s->modules[0].strip);
	cr_expect_not(s->modules[1].strip, "an empty STRIP[i] takes STRIP[0]");
	cr_expect(s->modules[2].strip);
	cr_expect_str_eq(s->modules[2].dest_name, "c2");
	cr_expect(s->autoinstall);
	cr_assert_eq(s->n_excl_config, 2);
	cr_expect_str_eq(s->excl_config[0], "CONFIG_A");
	cr_expect_str_eq(s->excl_config[1], "!CONFIG_B");
	cr_assert_eq(s->n_build_depends, 1);
	cr_expect_str_eq(s->build_depends[0], "dep");
	cr_expect_null(s->build_depends[1]);
	dks_spec_free(s);
}

Test(dkmsconf, parse_picks_make_and_patches_like_dkms)
{
	struct recs r;
	struct dks_spec *s;

	/* MAKE_MATCH[0] set and not matching, nothing else matches: the
	 * default make (NULL), not MAKE[0]. */
	s = parse_ok(recs(&r, PKG, MOD("0", "a"), "A", "MAKE", "0", "make zero", "A", "MAKE_MATCH",
			  "0", "^4\\.", "E", NULL));
	cr_expect_null(s->make, "make = %s", s->make);
	dks_spec_free(s);

	s = parse_ok(recs(&r, PKG, MOD("0", "a"), "A", "PATCH", "0", "all.patch", "A", "PATCH", "1",
			  "old.patch", "A", "PATCH_MATCH", "1", "^4\\.", "A", "PATCH", "2",
			  "sub/new.patch", "A", "PATCH_MATCH", "2", "^5\\.99\\.", "E", NULL));
	cr_assert_eq(s->n_patches, 2);
	cr_expect_str_eq(s->patches[0].file, "all.patch");
	cr_expect_str_eq(s->patches[1].file, "sub/new.patch");
	dks_spec_free(s);

	/* A patch that does not apply to this kernel is not checked either. */
	s = parse_ok(recs(&r, PKG, MOD("0", "a"), "A", "PATCH", "0", "../x", "A", "PATCH_MATCH",
			  "0", "^4\\.", "E", NULL));
	cr_expect_eq(s->n_patches, 0);
	dks_spec_free(s);
	/* Kept as written: the build refuses it (dkms: exit 5 at build). */
	s = parse_ok(recs(&r, PKG, MOD("0", "a"), "A", "PATCH", "0", "a/../../x", "E", NULL));
	cr_assert_eq(s->n_patches, 1);
	cr_expect_str_eq(s->patches[0].file, "a/../../x");
	dks_spec_free(s);
}

/* ---- versions and BUILD_EXCLUSIVE ------------------------------------------------- */

Test(dkmsconf, version_cmp_orders_like_sort_V)
{
	/* Numbers compare as numbers (9 < 56, 99 < 100, 9 < 10), letters as
	 * letters, ~ before the end, a longer version after its prefix. */
	static const char *const ordered[] = {
	    "3.9",
	    "5.10.0-30-test",
	    "5.18",
	    "5.99",
	    "5.99.0-9-test",
	    "5.99.0-56-rt-test",
	    "5.99.0-56-test",
	    "5.99.192",
	    "5.100~rc1",
	    "5.100",
	    "5.100.115+test1-test",
	    "10.0",
	};
	size_t n = sizeof(ordered) / sizeof(ordered[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j;

			cr_expect_eq(dks_version_cmp(ordered[i], ordered[j]), want,
				     "cmp(%s, %s) != %d", ordered[i], ordered[j], want);
		}
	cr_expect_eq(dks_version_cmp("1.01", "1.1"), 0);
	cr_expect_eq(dks_version_cmp("", ""), 0);
	cr_expect_lt(dks_version_cmp("", "1"), 0);
	cr_expect_lt(dks_version_cmp("1.0a", "1.0b"), 0);
	cr_expect_lt(dks_version_cmp("99999999999999999999", "100000000000000000000"), 0);
}

static struct dks_spec *excl_spec(void)
{
	struct dks_spec *s = calloc(1, sizeof(*s));

	cr_assert(s);
	s->name = strdup("v4l2loopback");
	s->version = strdup("0.12.7");
	s->source = strdup("/usr/src/v4l2loopback-0.12.7/dkms.conf"); /* the fixture's */
	return s;
}

static void expect_excluded(const struct dks_spec *s, const struct dks_spec_target *t,
			    const char *config, const char *needle)
{
	struct dks_error err = {0};

	cr_assert_lt(dks_spec_check_exclusive(s, t, config, &err), 0, "not excluded (%s)", needle);
	cr_expect_eq(err.exit_code, DKS_EXIT_EXCLUDED, "%s", err.msg);
	cr_expect(strstr(err.msg, needle), "'%s' not in: %s", needle, err.msg);
}

static void expect_buildable(const struct dks_spec *s, const struct dks_spec_target *t,
			     const char *config)
{
	struct dks_error err = {0};

	cr_expect_eq(dks_spec_check_exclusive(s, t, config, &err), 0, "%s", err.msg);
}

Test(dkmsconf, exclusive_kernel_regex_and_version_bounds)
{
	struct dks_spec_target t = {.kver = "5.990.1", .arch = "x86_64"};
	struct dks_spec *s = excl_spec();

	expect_buildable(s, &t, NULL);
	s->excl_kernel = strdup("^5\\.99\\.");
	expect_excluded(s, &t, NULL,
			"v4l2loopback/0.12.7: skipped for kernel 5.990.1: BUILD_EXCLUSIVE_KERNEL "
			"'^5\\.99\\.' does not match");
	t.kver = "5.99.0-56-test";
	expect_buildable(s, &t, NULL);

	/* Versions compare like sort -V: 5.99 < 5.100 and 9 < 56, which a
	 * comparison of strings gets wrong. */
	s->excl_kernel_min = strdup("5.100");
	expect_excluded(s, &t, NULL, "older than BUILD_EXCLUSIVE_KERNEL_MIN 5.100");
	free(s->excl_kernel_min);
	s->excl_kernel_min = strdup("5.99");
	expect_buildable(s, &t, NULL);
	s->excl_kernel_max = strdup("5.99.0-9-test");
	expect_excluded(s, &t, NULL, "newer than BUILD_EXCLUSIVE_KERNEL_MAX 5.99.0-9-test");
	free(s->excl_kernel_max);
	s->excl_kernel_max = strdup("5.99.0-56-test");
	expect_buildable(s, &t, NULL);
	dks_spec_free(s);
}

Test(dkmsconf, exclusive_arch_regex)
{
	struct dks_spec_target t = {.kver = "5.99.0-56-test", .arch = "x86_64"};
	struct dks_spec *s = excl_spec();

	s->excl_arch = strdup("^(x86_64|i.86)$");
	expect_buildable(s, &t, NULL);
	t.arch = "aarch64";
	expect_excluded(s, &t, NULL,
			"BUILD_EXCLUSIVE_ARCH '^(x86_64|i.86)$' does not match aarch64");
	dks_spec_free(s);
}

static void set_config(struct dks_spec *s, const char *word)
{
	s->excl_config = realloc(s->excl_config, (s->n_excl_config + 1) * sizeof(char *));
	s->excl_config[s->n_excl_config++] = strdup(word);
}

Test(dkmsconf, exclusive_config_reads_the_kernels_config, .timeout = 30)
{
	cleanup_free char *kver = test_kernel();
	cleanup_free char *config = NULL;
	struct dks_spec_target t = {.kver = kver, .arch = "x86_64"};
	struct dks_spec *s = excl_spec();

	cr_assert(asprintf(&config, "/lib/modules/%s/build/.config", kver) > 0);
	cr_assert_eq(access(config, R_OK), 0, "%s: %s", config, strerror(errno));
	set_config(s, "CONFIG_MODULES");
	set_config(s, "!CONFIG_DKS_NO_SUCH_OPTION");
	expect_buildable(s, &t, config);
	set_config(s, "!CONFIG_MODULES");
	expect_excluded(s, &t, config,
			"BUILD_EXCLUSIVE_CONFIG !CONFIG_MODULES: CONFIG_MODULES is set");
	dks_spec_free(s);

	s = excl_spec();
	set_config(s, "CONFIG_DKS_NO_SUCH_OPTION");
	expect_excluded(s, &t, config, "CONFIG_DKS_NO_SUCH_OPTION is not set");
	/* As dkms: without a .config, BUILD_EXCLUSIVE_CONFIG is not checked. */
	expect_buildable(s, &t, "/nonexistent/.config");
	expect_buildable(s, &t, NULL);
	dks_spec_free(s);
}

/* v4l2loopback excludes a kernel without video support through
 * BUILD_EXCLUSIVE_KERNEL "REQUIRES CONFIG_..." (a regex no release
 * matches): the check says so. The installed kernel is buildable exactly
 * when its config has the symbol. */
Test(dkmsconf, excluded_v4l2loopback_conf_says_why, .timeout = 300)
{
	struct ev e;
	struct dks_error err = {0};
	cleanup_free char *config = NULL, *video = NULL;

	ev_init(&e);
	eval_fixture(&e, "v4l2loopback-0.12.7");
	assert_ok(&e);
	cr_assert(asprintf(&config, "/lib/modules/%s/build/.config", e.kver) > 0);
	video = sbt_kernel_config(e.kver, v4l2_symbol(e.kver));
	if (video)
		cr_expect_eq(dks_spec_check_exclusive(e.spec, &e.t, config, &err), 0, "%s",
			     err.msg);
	else
		expect_excluded(e.spec, &e.t, config, "REQUIRES");
	ev_kernel(&e, "5.99.0-1-test", "CONFIG_64BIT=y\n# CONFIG_VIDEO_DEV is not set\n");
	ev_eval(&e);
	assert_ok(&e);
	cr_expect_str_eq(e.spec->excl_kernel, "REQUIRES CONFIG_VIDEO_DEV");
	expect_excluded(e.spec, &e.t, NULL,
			"v4l2loopback/0.12.7: skipped for kernel 5.99.0-1-test: "
			"BUILD_EXCLUSIVE_KERNEL 'REQUIRES CONFIG_VIDEO_DEV' does not match");
	ev_kernel(&e, "5.99.0-1-test", "CONFIG_64BIT=y\nCONFIG_VIDEO_DEV=m\n");
	ev_eval(&e);
	assert_ok(&e);
	cr_expect_null(e.spec->excl_kernel, "%s", e.spec->excl_kernel);
	ev_free(&e);
}

/* dkms 3.4's per-module BUILD_EXCLUSIVE_*[i]: each element checked as the
 * package's; dks_spec_exclude_modules() drops the modules excluded by
 * their own element, and 77 only when none is left. */
Test(dkmsconf, per_module_build_exclusive_is_checked_and_drops_modules)
{
	const struct dks_spec_target t = {.kver = "6.1.0-9-amd64", .arch = "x86_64"};
	struct dks_error err = {0};
	struct dks_spec *s;
	struct recs r;

	parse_fails(recs(&r, PKG, MOD("0", "a"), MOD("1", "b"), "A", "BUILD_EXCLUSIVE_KERNEL", "1",
			 "(", "E", NULL),
		    8, "BUILD_EXCLUSIVE_KERNEL[1] '(' is not a valid regular expression");
	parse_fails(recs(&r, PKG, MOD("0", "a"), MOD("1", "b"), "A", "BUILD_EXCLUSIVE_ARCH", "1",
			 "x\ny", "E", NULL),
		    8, "BUILD_EXCLUSIVE_ARCH[1]");
	parse_fails(recs(&r, PKG, MOD("0", "a"), MOD("1", "b"), "A", "BUILD_EXCLUSIVE_CONFIG", "1",
			 "CONFIG_A;rm", "E", NULL),
		    8, "BUILD_EXCLUSIVE_CONFIG[1]: 'CONFIG_A;rm' is not CONFIG_X");
	s = parse_ok(recs(&r, PKG, MOD("0", "a"), MOD("1", "b"), MOD("2", "c"), "A",
			  "BUILD_EXCLUSIVE_ARCH", "1", "^arm", "A", "BUILD_EXCLUSIVE_KERNEL_MIN", "2",
			  "5.0", "E", NULL));
	cr_expect_null(s->excl_arch, "element 1 is module 1's, not the package's");
	cr_expect_str_eq(s->modules[1].excl.arch, "^arm");
	cr_assert_eq(dks_spec_exclude_modules(s, &t, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(s->n_modules, 2);
	cr_expect_str_eq(s->modules[0].built_name, "a");
	cr_expect_str_eq(s->modules[1].built_name, "c");
	dks_spec_free(s);
	s = parse_ok(recs(&r, PKG, MOD("0", "a"), MOD("1", "b"), "A", "BUILD_EXCLUSIVE_KERNEL", "0",
			  "^5\\.", "A", "BUILD_EXCLUSIVE_KERNEL", "1", ".*", "E", NULL));
	cr_expect_str_eq(s->excl_kernel, "^5\\.", "element 0 is the package's");
	cr_expect_lt(dks_spec_exclude_modules(s, &t, NULL, &err), 0);
	cr_expect_eq(err.exit_code, DKS_EXIT_EXCLUDED, "%s", err.msg);
	dks_spec_free(s);
	s = parse_ok(recs(&r, PKG, MOD("0", "a"), MOD("1", "b"), "A", "BUILD_EXCLUSIVE_KERNEL_MAX",
			  "1", "3.99", "S", "OBSOLETE_BY", "4.0", "E", NULL));
	cr_expect_null(s->excl_kernel_max, "OBSOLETE_BY yields to a module's own MAX");
	dks_spec_free(s);
	s = parse_ok(recs(&r, PKG, MOD("0", "a"), "S", "OBSOLETE_BY", "4.0", "E", NULL));
	cr_expect_str_eq(s->excl_kernel_max, "4.0", "OBSOLETE_BY is a BUILD_EXCLUSIVE_KERNEL_MAX");
	dks_spec_free(s);
}
