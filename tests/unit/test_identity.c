// SPDX-License-Identifier: GPL-2.0-or-later
/* What a build depends on, as digests (include/dks/identity.h): the same
 * inputs give the same digest wherever and whenever they lie; any change
 * of an input changes it. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/identity.h"
#include "dks/installer.h"
#include "sbtest.h"

static char *tmpdir(void)
{
	char *d = strdup("/tmp/dks-identity-XXXXXX");

	cr_assert_not_null(mkdtemp(d));
	sbt_defer_rmtree(d);
	return d;
}

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	sbt_write_file(path, text, getuid(), getgid(), mode);
}

/* A small source tree: a file, an executable script, a subdirectory and
 * a link (to a path that does not exist: links are never followed). */
static char *source_tree(void)
{
	char *d = tmpdir(), path[PATH_MAX];

	put(d, "dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\n", 0644);
	put(d, "build.sh", "#!/bin/sh\n", 0755);
	snprintf(path, sizeof(path), "%s/src", d);
	cr_assert_eq(mkdir(path, 0755), 0);
	put(d, "src/x.c", "int x;\n", 0644);
	snprintf(path, sizeof(path), "%s/link", d);
	cr_assert_eq(symlink("/nonexistent/target", path), 0);
	return d;
}

static void digest_of(const char *dir, char out[DKS_SHA256_HEX])
{
	struct dks_error err = {0};

	cr_assert_eq(dks_source_digest(dir, out, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(out), 64);
}

/* @cmd runs in the tree. */
static void differs_after(const char *cmd)
{
	char *d = source_tree(), before[DKS_SHA256_HEX], after[DKS_SHA256_HEX];

	digest_of(d, before);
	sbt_must("cd %s && %s", d, cmd);
	digest_of(d, after);
	cr_assert_str_neq(before, after, "unchanged after: %s", cmd);
}

Test(identity, sha256_of_a_buffer_is_the_standard_one)
{
	char hex[DKS_SHA256_HEX];

	dks_sha256_buf("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(identity, source_digest_ignores_location_times_and_owners)
{
	char *a = source_tree(), *b = source_tree(), da[DKS_SHA256_HEX], db[DKS_SHA256_HEX];

	sbt_must("touch -d '2001-01-01' %s/dkms.conf %s/src", b, b);
	sbt_must("chown -h nobody %s/src/x.c %s/link", b, b);
	digest_of(a, da);
	digest_of(b, db);
	cr_assert_str_eq(da, db);
}

Test(identity, source_digest_changes_with_any_content)
{
	differs_after("printf 'int y;\\n' > src/x.c");
	differs_after("chmod +x dkms.conf");
	differs_after("ln -sfn /other link");
	differs_after("rm src/x.c");
	differs_after("mkdir empty");
	differs_after("rm link");
}

Test(identity, source_digest_refuses_special_files_and_follows_no_link)
{
	char *d = source_tree(), path[PATH_MAX], hex[DKS_SHA256_HEX];
	struct dks_error err = {0};

	snprintf(path, sizeof(path), "%s/src/fifo", d);
	cr_assert_eq(mkfifo(path, 0644), 0);
	cr_assert_eq(dks_source_digest(d, hex, &err), -1);
	cr_assert(strstr(err.msg, "src/fifo"), "%s", err.msg);
	cr_assert_str_eq(hex, "");
}

Test(identity, spec_digest_changes_with_each_field)
{
	struct dks_spec_module m = {.built_name = "hello", .dest_name = "hello",
				    .dest_location = "/updates/dkms"};
	struct dks_spec s = {.name = "hello", .version = "1.0", .modules = &m, .n_modules = 1};
	char a[DKS_SHA256_HEX], b[DKS_SHA256_HEX];

	dks_spec_digest(&s, a);
	s.source = "/elsewhere/dkms.conf";
	dks_spec_digest(&s, b);
	cr_assert_str_eq(a, b, "where the spec came from is not an input");
	m.dest_location = "/extra";
	dks_spec_digest(&s, b);
	cr_assert_str_neq(a, b);
	m.dest_location = "/updates/dkms";
	s.make = "";
	dks_spec_digest(&s, b);
	cr_assert_str_neq(a, b, "an empty MAKE is not the default one");
}

static void fake_toolchain(const char *root, const char *gcc_version, const char *other)
{
	char status[4096];

	sbt_must("mkdir -p %s/var/lib/dpkg %s/usr/lib/gcc/x86_64-linux-gnu/12", root, root);
	snprintf(status, sizeof(status),
		 "Package: gcc-12\nStatus: install ok installed\nArchitecture: amd64\n"
		 "Version: %s\n\nPackage: nano\nStatus: install ok installed\n"
		 "Architecture: amd64\nVersion: %s\n\nPackage: binutils\n"
		 "Status: deinstall ok config-files\nArchitecture: amd64\nVersion: 9\n",
		 gcc_version, other);
	put(root, "var/lib/dpkg/status", status, 0644);
}

Test(identity, toolchain_id_follows_the_compiler_packages_only)
{
	char *r = tmpdir(), a[DKS_SHA256_HEX], b[DKS_SHA256_HEX], *label = NULL;
	struct dks_error err = {0};

	fake_toolchain(r, "12.2.0-14", "7.2");
	cr_assert_eq(dks_toolchain_id(r, a, &label, &err), 0, "%s", err.msg);
	cr_assert_str_eq(label, "gcc 12");
	free(label);
	fake_toolchain(r, "12.2.0-14", "7.3");
	cr_assert_eq(dks_toolchain_id(r, b, NULL, &err), 0, "%s", err.msg);
	cr_assert_str_eq(a, b, "an editor's version is not an input");
	fake_toolchain(r, "12.2.0-15", "7.3");
	cr_assert_eq(dks_toolchain_id(r, b, NULL, &err), 0, "%s", err.msg);
	cr_assert_str_neq(a, b, "a new gcc is a new toolchain");
}

Test(identity, kernel_id_of_an_installed_kernel)
{
	char *kver = sbt_installed_kernel(), headers[PATH_MAX], cmd[PATH_MAX + 64], want[80] = "";
	struct dks_target k = {.kver = kver, .arch = "x86_64", .headers = headers};
	struct dks_kernel_id id;
	struct dks_error err = {0};
	FILE *p;

	cr_assert_not_null(kver);
	snprintf(headers, sizeof(headers), "/lib/modules/%s/build", kver);
	cr_assert_eq(dks_kernel_id(&k, &id, &err), 0, "%s", err.msg);
	cr_assert_str_eq(id.release, kver);
	cr_assert(!strncmp(id.vermagic, kver, strlen(kver)), "%s", id.vermagic);
	snprintf(cmd, sizeof(cmd), "sha256sum %s/Module.symvers", headers);
	p = popen(cmd, "r");
	cr_assert(p && fscanf(p, "%64s", want) == 1);
	pclose(p);
	cr_assert_str_eq(id.symvers, want);
	cr_assert_eq(strlen(id.config), 64);
	dks_kernel_id_clear(&id);
	free(kver);
}

Test(identity, unit_digest_changes_with_each_input)
{
	struct dks_unit_inputs u = {.module = "m", .version = "1", .profile = "default",
				    .source = "s", .spec = "p", .toolchain = "t",
				    .kernel = {.release = "6.1", .arch = "x86_64", .vermagic = "v",
					       .config = "c", .symvers = "y", .vmlinux = "w"}};
	char base[DKS_SHA256_HEX], d[DKS_SHA256_HEX];
	char *fields[] = {u.source,	    u.spec,	      u.toolchain,
			  u.kernel.config, u.kernel.symvers, u.kernel.vmlinux};

	dks_unit_digest(&u, base);
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		fields[i][0] ^= 1;
		dks_unit_digest(&u, d);
		cr_assert_str_neq(base, d, "field %zu", i);
		fields[i][0] ^= 1;
	}
	u.module = "m1";
	u.version = "";
	dks_unit_digest(&u, d);
	cr_assert_str_neq(base, d, "fields must not run into each other");
}
