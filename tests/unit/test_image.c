// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A build with no compiler of the host: a Debian 12 toolchain image made
 * with mmdebstrap (tests/make-image.sh, cached in /var/tmp), imported,
 * verified, and used to build a real Debian module; inside such a sandbox
 * nothing of the host's /usr is mounted.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/toolchain.h"
#include "sbtest.h"

#define IMAGE_TAR "/var/tmp/dkms-sandbox-images/debian12.tar"
#define CORPUS "/tmp/dkms-sandbox-corpus"

TestSuite(image, .fini = sbt_cleanup);

Test(image, debian12_image_builds_ddcci_and_hides_the_host_usr, .timeout = 1200)
{
	char *root = sbt_mkdtemp(NULL), *kver = sbt_installed_kernel();
	static char out[65536];
	const char *bin = getenv("DKS_BIN");
	char opts[1024], mnt[256], src[1024];
	const char *version;
	int rc;

	rc = sbt_sh(out, sizeof(out), "%s/tests/make-image.sh " IMAGE_TAR, getenv("DKS_SRCDIR"));
	cr_assert_eq(rc, 0, "cannot make the image: %s", out);
	snprintf(opts, sizeof(opts), "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/lib",
		 root, root, root);
	/* Whatever version of ddcci Debian has today: its source dir says. */
	rc = sbt_sh(src, sizeof(src), "(%s/tests/fetch-corpus.sh " CORPUS " ddcci-dkms 2>/dev/null)",
		    getenv("DKS_SRCDIR"));
	src[strcspn(src, "\n")] = 0;
	version = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
	cr_assert(rc == 0 && strncmp(version, "ddcci-", 6) == 0, "fetch-corpus.sh: %s", src);
	version += 6;
	rc = sbt_sh(out, sizeof(out),
		 "chmod 755 %s && mkdir -p %s/dkms %s/src %s/lib/%s && ln -s \"$(readlink -f "
		 "/lib/modules/%s/build)\" %s/lib/%s/build && cp -a %s %s/src/ && chmod -R a+rX %s",
		 root, root, root, root, kver, kver, root, kver, src, root, root);
	cr_assert_eq(rc, 0, "%s", out);
	rc = sbt_sh(out, sizeof(out), "%s toolchain import debian12 " IMAGE_TAR " %s", bin, opts);
	cr_assert_eq(rc, 0, "import: %s", out);
	rc = sbt_sh(out, sizeof(out), "%s toolchain verify debian12 -k %s %s", bin, kver, opts);
	cr_expect_eq(rc, 0, "verify: %s", out);
	rc = sbt_sh(out, sizeof(out), "%s build ddcci/%s -k %s --toolchain debian12 %s", bin,
		    version, kver, opts);
	cr_assert_eq(rc, 0, "build with the image: %s", out);
	rc = sbt_sh(out, sizeof(out), "modinfo -F vermagic %s/dkms/ddcci/%s/%s/x86_64/module/ddcci.ko",
		 root, version, kver);
	cr_expect(rc == 0 && strncmp(out, kver, strlen(kver)) == 0, "vermagic: %s", out);
	/* The mount table of such a sandbox: the image (an overlay root), the
	 * pseudo-filesystems, the headers and a bind; never the host's /usr. */
	rc = sbt_sh(out, sizeof(out),
		 "%s sandbox run --toolchain %s/dkms/toolchains/debian12 -k %s --rw %s -- "
		 "cat /proc/self/mountinfo", bin, root, kver, root);
	cr_assert_eq(rc, 0, "%s", out);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char fs[64] = "";

		if (sscanf(line, "%*s %*s %*s %*s %255s %*s %*[^-]- %63s", mnt, fs) != 2)
			continue;
		cr_expect(strcmp(mnt, "/usr") != 0 && strcmp(mnt, "/usr/lib") != 0 &&
			  strcmp(mnt, "/etc") != 0,
			  "the host's %s is mounted in an image sandbox", mnt);
		if (strcmp(mnt, "/") == 0)
			cr_expect_str_eq(fs, "overlay", "the root is not the image overlay");
		cr_expect(strcmp(mnt, "/") == 0 || strncmp(mnt, "/proc", 5) == 0 ||
			  strncmp(mnt, "/dev", 4) == 0 || strcmp(mnt, "/tmp") == 0 ||
			  strncmp(mnt, "/usr/src/linux-headers-", 23) == 0 ||
			  strncmp(mnt, "/usr/lib/linux-kbuild-", 22) == 0 || strcmp(mnt, root) == 0,
			  "unexpected mount %s", mnt);
	}
	free(root);
	free(kver);
}

/* The compiler check behind the build's warning: an image's gcc (from its
 * usr/lib/gcc) against the kernel's (CONFIG_CC_VERSION_TEXT). */
Test(image, compiler_versions_of_image_and_kernel)
{
	char *root = sbt_mkdtemp(NULL), *kver = sbt_installed_kernel();
	char cmd[1024], config[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/usr/lib/gcc/x86_64-linux-gnu/9 "
		 "%s/usr/lib/gcc/x86_64-linux-gnu/13", root, root);
	cr_assert_eq(system(cmd), 0);
	cr_expect_eq(dks_toolchain_gcc_major(root), 13);
	snprintf(config, sizeof(config), "/lib/modules/%s/build/.config", kver);
	cr_expect_eq(dks_kernel_gcc_major(config), sbt_kernel_gcc_major(kver),
		     "the gcc %s was built with (CONFIG_GCC_VERSION)", kver);
	cr_expect_eq(dks_toolchain_gcc_major("/"), sbt_host_gcc_major(),
		     "this host's gcc (gcc -dumpversion)");
	free(root);
	free(kver);
}
