// SPDX-License-Identifier: GPL-2.0-or-later
int sandbox_run(void);

int cmd_b(void)
{
	return sandbox_run();
}
