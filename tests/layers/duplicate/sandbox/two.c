// SPDX-License-Identifier: GPL-2.0-or-later
int twice(void)
{
	return 2;
}
