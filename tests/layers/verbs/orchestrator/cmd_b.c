// SPDX-License-Identifier: GPL-2.0-or-later
int b_ensure(void)
{
	return 0;
}

int cmd_b(void)
{
	return b_ensure();
}
