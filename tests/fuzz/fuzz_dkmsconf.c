/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dkms.conf result records the sandboxed driver prints
 * (orchestrator/dkmsconf_records.c) and their evaluation into a spec
 * (dkmsconf_spec.c, dkmsconf_eval.c): a hostile dkms.conf controls them. */
#include "fuzz.h"
#include "dks/dkmsconf.h"
#include "dks/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dks_spec_target t = {
		.kver = "6.1.0-99-amd64", .arch = "x86_64", .kernel_dir = "/nonexistent/build",
		.dkms_tree = "/nonexistent/dkms", .source_tree = "/nonexistent/src",
		.install_tree = "/nonexistent/modules", .jobs = 2,
	};
	struct dks_error err = {0};
	struct dks_spec *s = NULL;

	if (dks_dkmsconf_parse((const char *)data, size, "fuzz/dkms.conf", &t, &s, &err) == 0)
		dks_spec_free(s);
	return 0;
}
