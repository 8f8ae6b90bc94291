// SPDX-License-Identifier: GPL-2.0-or-later
int b(void);

int a(void)
{
	return b();
}
