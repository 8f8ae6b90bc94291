// SPDX-License-Identifier: GPL-2.0-or-later
int common_err(const char *msg);

int install(void)
{
	return common_err("install");
}
