// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlfail: a module whose init fails, for the load test (docs/testload.md):
 * it says why, then returns -ENODEV, as a driver does that finds no device.
 */
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init tlfail_init(void)
{
	pr_err("tlfail: no device here\n");
	return -ENODEV;
}
module_init(tlfail_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dkms-sandbox test: init returns -ENODEV");
