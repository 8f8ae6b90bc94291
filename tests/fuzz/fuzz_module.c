/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ELF modules: the validator (installer/validate.c) with fixed kernel
 * facts, .modinfo's grammar (installer/modinfo.c) and dks_module_verinfo. */
#include "fuzz.h"
#include <elf.h>
#include "installer/modinfo.h"
#include "installer/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char rel[] = "6.1.0-57-amd64"; /* the seed hello.ko's */
	static char vm[] = "6.1.0-57-amd64 SMP preempt mod_unload modversions ";
	struct dks_kernel_facts k = {
		.release = rel, .vermagic = vm, .modversions = false,
		.machine = EM_X86_64,
	};
	struct dks_error err = {0};
	struct dks_verinfo vi;
	struct dks_modinfo_fault f;

	(void)dks_module_validate(data, size, "hello", &k, "fuzz.ko", &err);
	(void)dks_module_verinfo(data, size, &vi);
	(void)dks_modinfo_check((const char *)data, size, &f);
	return 0;
}
