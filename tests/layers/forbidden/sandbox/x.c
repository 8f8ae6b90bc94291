// SPDX-License-Identifier: GPL-2.0-or-later
int y(void);

int x(void)
{
	return y();
}
