// SPDX-License-Identifier: GPL-2.0-or-later
/* preflight's upgrade hooks as the package ships them (dist/apt,
 * dist/kernel/{postinst,header_postinst}.d/dkms-sandbox-preflight; docs/upgrades.md), run from the
 * checkout with a stand-in dkms-sandbox first in PATH that records its
 * arguments and exits with the code a test asks for. The stamp lives in a
 * temporary directory; nothing is installed, apt never runs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbtest.h"

TestSuite(preflighthooks, .fini = sbt_cleanup);

struct hk {
	char dir[256], out[8192];
};

static void hk_setup(struct hk *h)
{
	char *d = sbt_mkdtemp(NULL);

	snprintf(h->dir, sizeof(h->dir), "%s", d);
	free(d);
	sbt_must("mkdir -p %s/bin && printf '#!/bin/sh\\necho \"$*\" >> %s/calls\\n"
		 "exit $(cat %s/code)\\n' > %s/bin/dkms-sandbox && chmod 755 %s/bin/dkms-sandbox",
		 h->dir, h->dir, h->dir, h->dir, h->dir);
}

/* Run a hook of the checkout with the stand-in and the temporary stamp;
 * the stand-in exits @code. The hook's exit code. */
static int hook(struct hk *h, const char *rel, int code)
{
	return sbt_sh(h->out, sizeof(h->out),
		      "echo %d > %s/code && PATH=%s/bin:$PATH "
		      "DKMS_SANDBOX_PREFLIGHT_STAMP=%s/run/pending DKMS_SANDBOX_CONFDIR=%s/etc "
		      "%s/%s 6.1.0-99-test 2>&1",
		      code, h->dir, h->dir, h->dir, h->dir, getenv("DKS_SRCDIR"), rel);
}

static bool stamped(const struct hk *h)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/run/pending", h->dir);
	return access(path, F_OK) == 0;
}

static bool called(struct hk *h)
{
	char out[256];

	return sbt_sh(out, sizeof(out), "grep -qx preflight %s/calls", h->dir) == 0;
}

Test(preflighthooks, no_kernel_installed_no_preflight)
{
	struct hk h;

	hk_setup(&h);
	cr_expect_eq(hook(&h, "dist/apt/apt-preflight", 11), 0, "%s", h.out);
	cr_expect(!called(&h), "preflight ran without a kernel hook's stamp");
}

Test(preflighthooks, a_kernel_hook_stamps_and_apt_runs_preflight_once)
{
	struct hk h;

	hk_setup(&h);
	cr_assert_eq(hook(&h, "dist/kernel/postinst.d/dkms-sandbox-preflight", 0), 0, "%s", h.out);
	cr_assert(stamped(&h));
	cr_expect_eq(hook(&h, "dist/apt/apt-preflight", 0), 0, "%s", h.out);
	cr_expect(called(&h));
	cr_expect(!stamped(&h), "a passing preflight removes the stamp");
	cr_assert_eq(hook(&h, "dist/kernel/header_postinst.d/dkms-sandbox-preflight", 0), 0);
	cr_expect(stamped(&h), "headers installed later stamp too");
}

Test(preflighthooks, a_critical_failure_fails_the_apt_run_and_keeps_the_stamp)
{
	struct hk h;

	hk_setup(&h);
	cr_assert_eq(hook(&h, "dist/kernel/postinst.d/dkms-sandbox-preflight", 0), 0, "%s", h.out);
	cr_expect_eq(hook(&h, "dist/apt/apt-preflight", 11), 11, "%s", h.out);
	cr_expect(strstr(h.out, "dkms-sandbox: preflight failed (exit 11): a critical module is "
				"not ready for the next boot"),
		  "%s", h.out);
	cr_expect(stamped(&h), "the next apt run checks again");
}

/* dkms's no-autoinstall turns the hook off (and drops the stamp). */
Test(preflighthooks, no_autoinstall_turns_the_hook_off)
{
	struct hk h;

	hk_setup(&h);
	sbt_must("mkdir -p %s/etc && : > %s/etc/no-autoinstall", h.dir, h.dir);
	cr_assert_eq(hook(&h, "dist/kernel/postinst.d/dkms-sandbox-preflight", 0), 0, "%s", h.out);
	cr_expect_eq(hook(&h, "dist/apt/apt-preflight", 11), 0, "%s", h.out);
	cr_expect(!called(&h));
	cr_expect(!stamped(&h));
}

/* apt reads the snippet: DPkg::Post-Invoke names the hook. */
Test(preflighthooks, the_apt_snippet_parses_and_names_the_hook)
{
	char out[4096];

	/* apt is Debian's, always installed: its absence is a failure, not a skip. */
	cr_assert_eq(sbt_sh(out, sizeof(out), "command -v apt-config"), 0, "no apt-config: %s", out);
	cr_assert_eq(sbt_sh(out, sizeof(out),
			    "apt-config -c %s/dist/apt/80dkms-sandbox-preflight "
			    "dump DPkg::Post-Invoke 2>&1",
			    getenv("DKS_SRCDIR")),
		     0, "%s", out);
	cr_expect(strstr(out, "/usr/libexec/dkms-sandbox/apt-preflight"), "%s", out);
}
