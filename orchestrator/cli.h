/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI: one file per verb, dispatched from main.c. */
#ifndef DKS_CLI_H
#define DKS_CLI_H

/* Exit codes of `sandbox run` beyond the command's own (docs/errors.md). */
#define DKS_EXIT_TIMEOUT 124
#define DKS_EXIT_SETUP 125

int cmd_sandbox(int argc, char **argv);

#endif
