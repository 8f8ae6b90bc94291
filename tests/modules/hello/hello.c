// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hello: the smallest module dkms-sandbox's tests build. Prints a greeting
 * on load and unload; `greeting` and `repeat` are module parameters.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static char *greeting = "hello from dkms-sandbox";
module_param(greeting, charp, 0444);
MODULE_PARM_DESC(greeting, "Text printed on load");

static int repeat = 1;
module_param(repeat, int, 0444);
MODULE_PARM_DESC(repeat, "How many times to print it (1-10)");

static int __init hello_init(void)
{
	int i;

	if (repeat < 1 || repeat > 10)
		return -EINVAL;
	for (i = 0; i < repeat; i++)
		pr_info("hello: %s (%d/%d)\n", greeting, i + 1, repeat);
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("hello: goodbye\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("dkms-sandbox tests");
MODULE_DESCRIPTION("Test module for dkms-sandbox");
MODULE_VERSION("1.0");
