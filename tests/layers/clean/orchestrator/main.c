// SPDX-License-Identifier: GPL-2.0-or-later
int cmd_a(void);
int cmd_b(void);

int main(void)
{
	return cmd_a() + cmd_b();
}
