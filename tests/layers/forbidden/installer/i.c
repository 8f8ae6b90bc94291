// SPDX-License-Identifier: GPL-2.0-or-later
int y(void);

int i(void)
{
	return y();
}
