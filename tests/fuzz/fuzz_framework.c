/* SPDX-License-Identifier: GPL-2.0-or-later */
/* framework.conf's reader: the records its sandboxed evaluation prints
 * (orchestrator/framework_eval.c), which the files it evaluates control. */
#include "fuzz.h"
#include "orchestrator/framework.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char f0[] = "/etc/dkms/framework.conf", f1[] = "/etc/dkms/framework.conf.d/a.conf";
	struct dks_framework fw = {.files = {f0, f1}, .n_files = 2};
	struct dks_error err = {0};

	(void)dks_framework_read_records((const char *)data, size, &fw, &err);
	for (size_t i = 0; i < DKS_FW_N; i++)
		free(fw.val[i]);
	return 0;
}
