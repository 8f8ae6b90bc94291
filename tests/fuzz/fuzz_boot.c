/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The boot files (orchestrator/boot*.c): grub.cfg (and the default entry's
 * resolution), grubenv, systemd-boot's loader.conf and entries, an EFI
 * variable. The first byte picks the parser. */
#include "fuzz.h"
#include "orchestrator/bootnext.h"

static void grubcfg(const char *b, size_t n)
{
	struct dks_error err = {0};
	struct dks_grub_cfg c = {0};

	if (dks_grubcfg_parse(b, n, "grub.cfg", &c, &err) == 0) {
		if (c.deflt)
			(void)dks_grubcfg_resolve(&c, c.deflt);
		(void)dks_grubcfg_resolve(&c, "0");
		(void)dks_grubcfg_resolve(&c, "1>0");
	}
	dks_grubcfg_clear(&c);
}

static void one(unsigned sel, const char *b, size_t n)
{
	struct dks_error err = {0};
	char *a = NULL, *s = NULL;

	switch (sel % 5) {
	case 0: grubcfg(b, n); return;
	case 1: (void)dks_grubenv_parse(b, n, "grubenv", &a, &s, &err); break;
	case 2: (void)dks_loaderconf_parse(b, n, "loader.conf", &a, &err); break;
	case 3: (void)dks_bootentry_parse(b, n, "entry.conf", &a, &err); break;
	default: (void)dks_efivar_parse(b, n, "LoaderEntryDefault", &a, &err); break;
	}
	free(a);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *b;

	if (size < 1)
		return 0;
	b = fuzz_tail(data, size);
	one(data[0], b, size - 1);
	free(b);
	return 0;
}
