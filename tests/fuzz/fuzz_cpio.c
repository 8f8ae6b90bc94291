/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cpio writer's name checks (common/cpio.c): the load test's initrd
 * names come from module names and paths a module package controls. The
 * input is "name\0target\0data": a directory, a file and a link of those
 * names; an accepted archive must stay within its cap. */
#include "fuzz.h"
#include "dks/cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *target, *tend, *body;
	size_t nlen = strlen(s);
	struct dks_error err = {0};
	struct dks_cpio c;

	target = nlen < size ? s + nlen + 1 : s + nlen;
	tend = target + strlen(target);
	body = tend < s + size ? tend + 1 : tend;
	dks_cpio_init(&c, 4096);
	(void)dks_cpio_dir(&c, s, 0755, &err);
	(void)dks_cpio_file(&c, s, 0644, body, (size_t)(s + size - body), &err);
	(void)dks_cpio_symlink(&c, s, target, &err);
	(void)dks_cpio_finish(&c, &err);
	if (c.len > 4096)
		abort();
	dks_cpio_free(&c);
	free(s);
	return 0;
}
