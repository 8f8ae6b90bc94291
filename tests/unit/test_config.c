// SPDX-License-Identifier: GPL-2.0-or-later
/* The configuration file (include/dks/config.h): defaults, every key, and
 * how a bad file is reported (FILE:LINE: reason). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dks/config.h"
#include "sbtest.h"

TestSuite(config, .fini = sbt_cleanup);

/* A file <tempdir>/config.yaml holding @text. malloc'd path. */
static char *config_file(const char *text)
{
	char dir[] = "/tmp/dks-config-XXXXXX";
	char *path;
	FILE *out;

	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(dir);
	cr_assert(asprintf(&path, "%s/config.yaml", dir) > 0);
	out = fopen(path, "w");
	cr_assert_not_null(out);
	fputs(text, out);
	cr_assert_eq(fclose(out), 0);
	return path;
}

static void expect_defaults(const struct dks_config *c)
{
	cr_expect_str_eq(c->dkms_tree, DKS_DEFAULT_DKMSTREE);
	cr_expect_str_eq(c->source_tree, DKS_DEFAULT_SOURCETREE);
	cr_expect_str_eq(c->install_tree, DKS_DEFAULT_INSTALLTREE);
	cr_expect_str_eq(c->toolchain, "host");
	cr_expect_str_eq(c->profile, "default");
	cr_expect_null(c->build_user);
	cr_expect_null(c->sign);
	cr_expect_null(c->host_root);
	cr_expect_eq(c->jobs, 0);
	cr_expect_str_eq(c->os_release, "/etc/os-release");
	cr_expect_str_eq(c->dpkg_admindir, DKS_DEFAULT_DPKG_ADMINDIR);
	cr_expect_eq(c->build_reads.n, 0);
}

/* Loading @text must succeed; @c is the caller's to clear. */
static void load_ok(const char *text, struct dks_config *c)
{
	struct dks_error err = {0};
	char *path = config_file(text);

	cr_assert_eq(dks_config_load(path, c, &err), 0, "%s", err.msg);
	free(path);
}

/* Loading @text must fail with "<file>:<line>: " and @reason. */
static void load_fails(const char *text, int line, const char *reason)
{
	struct dks_error err = {0};
	struct dks_config c;
	char *path = config_file(text), *prefix;

	cr_assert_lt(dks_config_load(path, &c, &err), 0, "loaded:\n%s", text);
	cr_assert(asprintf(&prefix, "%s:%d: ", path, line) > 0);
	cr_expect_eq(strncmp(err.msg, prefix, strlen(prefix)), 0, "'%s' does not start with '%s'",
		     err.msg, prefix);
	cr_expect(strstr(err.msg, reason), "'%s' not in: %s", reason, err.msg);
	cr_expect_null(c.dkms_tree);
	dks_config_clear(&c);
	free(prefix);
	free(path);
}

Test(config, missing_default_file_gives_the_defaults)
{
	struct dks_error err = {0};
	struct dks_config c;

	cr_assert_neq(access(DKS_DEFAULT_CONFIG, F_OK), 0,
		      "%s exists on this machine: the tests expect none", DKS_DEFAULT_CONFIG);
	cr_assert_eq(dks_config_load(NULL, &c, &err), 0, "%s", err.msg);
	expect_defaults(&c);
	dks_config_clear(&c);
}

Test(config, empty_file_and_comments_give_the_defaults)
{
	static const char *const texts[] = {"", "# nothing here\n", "---\n"};
	struct dks_error err = {0};
	struct dks_config c;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *path = config_file(texts[i]);

		cr_assert_eq(dks_config_load(path, &c, &err), 0, "'%s': %s", texts[i], err.msg);
		expect_defaults(&c);
		dks_config_clear(&c);
		free(path);
	}
}

Test(config, file_overrides_every_key)
{
	struct dks_error err = {0};
	struct dks_config c;
	char *path = config_file("# test\n"
				 "dkmstree: /srv/dkms\n"
				 "sourcetree: /srv/src\n"
				 "installtree: /srv/modules\n"
				 "toolchain: /srv/toolchains/bookworm\n"
				 "profile: strict\n"
				 "build_user: builder\n"
				 "jobs: 12\n"
				 "mok_key: /srv/keys/mok.key\n"
				 "mok_cert: /srv/keys/mok.pub\n"
				 "os_release: /srv/fedora/etc/os-release\n");

	cr_assert_eq(dks_config_load(path, &c, &err), 0, "%s", err.msg);
	cr_expect_str_eq(c.dkms_tree, "/srv/dkms");
	cr_expect_str_eq(c.source_tree, "/srv/src");
	cr_expect_str_eq(c.install_tree, "/srv/modules");
	cr_expect_str_eq(c.toolchain, "/srv/toolchains/bookworm");
	cr_expect_str_eq(c.profile, "strict");
	cr_expect_str_eq(c.build_user, "builder");
	cr_expect_eq(c.jobs, 12);
	cr_expect_str_eq(c.mok_key, "/srv/keys/mok.key");
	cr_expect_str_eq(c.mok_cert, "/srv/keys/mok.pub");
	cr_expect_str_eq(c.os_release, "/srv/fedora/etc/os-release");
	dks_config_clear(&c);
	cr_expect_null(c.dkms_tree);
	free(path);
}

Test(config, one_key_leaves_the_others_default)
{
	struct dks_config c;

	load_ok("profile: /etc/dkms-sandbox/profiles/mine.yaml\n", &c);
	cr_expect_str_eq(c.profile, "/etc/dkms-sandbox/profiles/mine.yaml");
	cr_expect_str_eq(c.dkms_tree, DKS_DEFAULT_DKMSTREE);
	cr_expect_str_eq(c.toolchain, "host");
	dks_config_clear(&c);
}

Test(config, null_build_user_and_toolchain_mean_the_default)
{
	struct dks_config c;

	load_ok("build_user: ~\ntoolchain:\n", &c);
	cr_expect_null(c.build_user);
	cr_expect_null(c.toolchain);
	dks_config_clear(&c);
}

Test(config, unknown_key_names_file_and_line)
{
	load_fails("dkmstree: /srv/dkms\n\ndkms_tree: /srv/x\n", 3,
		   "unknown key 'dkms_tree' (known: dkmstree, sourcetree");
}

Test(config, wrong_types_name_file_and_line)
{
	load_fails("jobs: many\n", 1, "'jobs' must be a whole number");
	load_fails("jobs: -1\n", 1, "'jobs' must be a whole number");
	load_fails("jobs: 99999999999999999999\n", 1, "'jobs' is too large");
	load_fails("profile: default\njobs: [1, 2]\n", 2,
		   "'jobs' must be a scalar, got a sequence");
	load_fails("dkmstree:\n  path: /srv\n", 2, "'dkmstree' must be a scalar, got a mapping");
	load_fails("- dkmstree\n", 1, "a configuration must be a mapping, got a sequence");
	load_fails("sourcetree: ~\n", 1, "'sourcetree' must not be empty");
	load_fails("profile: \"\"\n", 1, "'profile' must not be empty");
}

Test(config, relative_paths_are_rejected)
{
	load_fails("sourcetree: src\n", 1, "'sourcetree' must be an absolute path, got 'src'");
	load_fails("dkmstree: ./dkms\n", 1, "'dkmstree' must be an absolute path");
	load_fails("installtree: lib/modules\n", 1, "'installtree' must be an absolute path");
	load_fails("profile: profiles/mine.yaml\n", 1, "'profile' must be an absolute path");
	load_fails("toolchain: images/bookworm\n", 1, "'toolchain' must be an absolute path");
	load_fails("os_release: etc/os-release\n", 1, "'os_release' must be an absolute path");
	load_fails("os_release: ~\n", 1, "'os_release' must not be empty");
}

/* sign: auto (the default, NULL) or never; host_root: an absolute path.
 * Fails on the old code: neither key existed. */
Test(config, sign_is_auto_or_never_and_host_root_absolute)
{
	struct dks_config c;

	load_ok("sign: never\nhost_root: /srv/host\n", &c);
	cr_expect_str_eq(c.sign, "never");
	cr_expect_str_eq(c.host_root, "/srv/host");
	dks_config_clear(&c);
	load_fails("sign: sometimes\n", 1, "'sign' must be auto, never or verify");
	load_fails("host_root: host\n", 1, "'host_root' must be an absolute path");
}

Test(config, duplicate_key_and_bad_yaml_name_the_line)
{
	load_fails("jobs: 1\nprofile: strict\njobs: 2\n", 3,
		   "duplicate key 'jobs' (first on line 1)");
	load_fails("jobs: 1\nprofile: [strict\n", 3, "");
	load_fails("jobs: 1\n---\njobs: 2\n", 3, "one YAML document");
}

Test(config, explicit_missing_file_is_an_error_naming_it)
{
	struct dks_error err = {0};
	struct dks_config c;
	char *path = config_file(""), *missing;

	cr_assert(asprintf(&missing, "%s.missing", path) > 0);
	cr_assert_lt(dks_config_load(missing, &c, &err), 0);
	cr_expect(strstr(err.msg, missing), "%s", err.msg);
	cr_expect(strstr(err.msg, "No such file or directory"), "%s", err.msg);
	free(missing);
	free(path);
}

Test(config, a_directory_is_not_a_configuration)
{
	struct dks_error err = {0};
	struct dks_config c;

	cr_assert_lt(dks_config_load("/tmp", &c, &err), 0);
	cr_expect_str_eq(err.msg, "configuration /tmp is not a regular file");
}

Test(config, set_replaces_a_field)
{
	struct dks_error err = {0};
	struct dks_config c;
	char *path = config_file("dkmstree: /srv/dkms\n");

	cr_assert_eq(dks_config_load(path, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(dks_config_set(&c.dkms_tree, "/tmp/other", &err), 0);
	cr_expect_str_eq(c.dkms_tree, "/tmp/other");
	cr_assert_eq(dks_config_set(&c.build_user, "someone", &err), 0);
	cr_expect_str_eq(c.build_user, "someone");
	dks_config_clear(&c);
	free(path);
}
