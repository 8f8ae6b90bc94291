// SPDX-License-Identifier: GPL-2.0-or-later
int a(void);
int c(void);

int b(void)
{
	return a() + c();
}
