// SPDX-License-Identifier: GPL-2.0-or-later
const int profiles_table[] = { 1, 2 };
