// SPDX-License-Identifier: GPL-2.0-or-later
/* The installer runs no module code: it may not reach the sandbox. */
int x(void);

int h(void)
{
	return x();
}
