// SPDX-License-Identifier: GPL-2.0-or-later
int y(void)
{
	return 0;
}
