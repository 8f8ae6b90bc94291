// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

int common_err(const char *msg)
{
	return fputs(msg, stderr) + (int)strlen(msg);	/* libc: not an edge */
}
