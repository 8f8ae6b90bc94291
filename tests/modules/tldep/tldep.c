// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tldep: a module that depends on one of the kernel's own modules (crc7,
 * a small library module in every Debian kernel), for the load test's
 * dependency resolution through the target's modules.dep.
 */
#include <linux/crc7.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init tldep_init(void)
{
	static const u8 data[] = "dkms-sandbox";

	pr_info("tldep: crc7 %#x\n", crc7_be(0, data, sizeof(data) - 1));
	return 0;
}
module_init(tldep_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dkms-sandbox test: depends on the kernel's crc7");
