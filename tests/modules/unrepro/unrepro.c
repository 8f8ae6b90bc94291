// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unrepro: a module whose bytes differ at every build (random.h, made
 * from /dev/urandom by its Kbuild), so that build --check and sign --check
 * have something real to catch (tests/unit/test_agree.c).
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "random.h"

static const char unrepro_bytes[] __used = UNREPRO_BYTES;

static int __init unrepro_init(void)
{
	pr_info("unrepro: %s\n", unrepro_bytes);
	return 0;
}

static void __exit unrepro_exit(void)
{
}

module_init(unrepro_init);
module_exit(unrepro_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("dkms-sandbox tests");
MODULE_DESCRIPTION("A module that differs at every build");
MODULE_VERSION("1.0");
