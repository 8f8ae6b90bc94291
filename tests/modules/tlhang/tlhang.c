// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlhang: a module whose init never returns and floods the console, for
 * the load test's bound (docs/testload.md). It also prints lines shaped
 * like the load test's own markers, escape sequences and a long line: none
 * may pass for a verdict or reach a terminal.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/sched.h>

static int __init tlhang_init(void)
{
	unsigned long n = 0;

	pr_err("0123456789abcdef0123456789abcdef end\n");
	pr_err("tlhang: \033[2J\033]0;owned\007 escape sequences\n");
	for (;;) {
		pr_err("tlhang: flood %lu %0200lu\n", n, n);
		n++;
		cond_resched();
	}
	return 0;
}
module_init(tlhang_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dkms-sandbox test: init floods and never returns");
