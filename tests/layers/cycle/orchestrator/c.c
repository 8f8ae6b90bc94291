// SPDX-License-Identifier: GPL-2.0-or-later
int a(void);

int c(void)
{
	return a();
}
