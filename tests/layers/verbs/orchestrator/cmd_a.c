// SPDX-License-Identifier: GPL-2.0-or-later
int b_ensure(void);

int cmd_a(void)
{
	return b_ensure();
}
