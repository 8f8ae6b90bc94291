// SPDX-License-Identifier: GPL-2.0-or-later
int install(void);
int common_err(const char *msg);

int cmd_a(void)
{
	return install() + common_err("a");
}
