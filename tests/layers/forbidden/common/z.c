// SPDX-License-Identifier: GPL-2.0-or-later
int x(void);

int z(void)
{
	return x();
}
