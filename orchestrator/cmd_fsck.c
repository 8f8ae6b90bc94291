// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dkms-sandbox fsck [MODULE[/VERSION]] [--repair]
 * Reports every inconsistency of the tree (and of the install tree, as
 * the install records see it) one line each; --repair fixes what is safe
 * (leftovers of writers that are gone, an installed link to nothing).
 * Exit 0: nothing left to fix; 1: something is left (listed); else the
 * tree could not be read. docs/reliability.md.
 */
#include <stdio.h>

#include "cli.h"
#include "fsck.h"

int cmd_fsck(int argc, char **argv)
{
	struct dks_error err = {0};
	struct dks_ctx ctx;
	struct dks_fsck f = {0};
	struct dks_install_opts o;
	int rc = 0;

	if (dks_ctx_open(argc, argv, "fsck", &ctx, &err) < 0)
		return dks_fail(&err);
	f.t = &ctx.tree;
	f.repair = ctx.cli.repair;
	o = dks_ctx_install_opts(&ctx);
	f.opts = &o;
	if (dks_fsck(&f, ctx.cli.module, &err) < 0)
		rc = dks_fail(&err);
	else if (f.found > f.repaired)
		rc = DKS_EXIT_FAILURE;
	if (!rc && !ctx.cli.quiet)
		printf("fsck: %s: %u found, %u repaired\n", ctx.tree.dkms_tree, f.found,
		       f.repaired);
	else if (rc == DKS_EXIT_FAILURE)
		printf("fsck: %s: %u found, %u repaired, %u left\n", ctx.tree.dkms_tree, f.found,
		       f.repaired, f.found - f.repaired);
	dks_ctx_close(&ctx);
	return rc;
}
