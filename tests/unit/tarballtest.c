// SPDX-License-Identifier: GPL-2.0-or-later
/* The archive tests' trees: tarballtest.h. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest.h"
#include "tarballtest.h"

int fleet(struct it *t, const char *fmt, ...)
{
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	/* @args last: an --installtree there is the one that counts */
	return sh(t, "cd %s && mkdir -p fleet/dkms fleet/src && %s --dkmstree %s/fleet/dkms "
		  "--sourcetree %s/fleet/src --installtree %s/root/lib/modules --sandbox-config "
		  "%s/config.yaml %s 2>&1",
		  t->root, getenv("DKS_BIN"), t->root, t->root, t->root, t->root, args);
}

void hello_archive(struct it *t, const char *name, const char *how)
{
	char args[1024];

	/* built once; a second build is skipped, exit 0, as dkms */
	cr_assert_eq(hello_on(t, "build", t->kver, ""), 0, "%s", t->out);
	snprintf(args, sizeof(args), "mktarball hello/1.0 -k %s %s --archive %s/%s", t->kver, how,
		 t->root, name);
	cr_assert_eq(dks(t, args), 0, "%s", t->out);
}

void fleet_snapshot(struct it *t, char *out, size_t size)
{
	sh(t, "cd %s && mkdir -p fleet/dkms fleet/src && find fleet -printf '%%p %%y %%s\\n' | "
	      "sort", t->root);
	snprintf(out, size, "%s", t->out);
}

void unpack(struct it *t, const char *name, const char *dir)
{
	cr_assert_eq(sh(t, "cd %s && rm -rf %s && mkdir %s && tar -C %s -xzf %s", t->root, dir,
			dir, dir, name),
		     0, "%s", t->out);
}

void repack(struct it *t, const char *dir, const char *name)
{
	cr_assert_eq(sh(t, "cd %s && rm -f %s && tar -C %s -czf %s .", t->root, name, dir, name), 0,
		     "%s", t->out);
}

void refused(struct it *t, const char *name, const char *more, const char *words)
{
	char before[65536], after[65536];

	fleet_snapshot(t, before, sizeof(before));
	cr_expect_neq(fleet(t, "ldtarball %s/%s %s", t->root, name, more), 0, "%s loaded: %s",
		      name, t->out);
	cr_expect(strstr(t->out, words), "%s: '%s' not said: %s", name, words, t->out);
	fleet_snapshot(t, after, sizeof(after));
	cr_expect_str_eq(after, before, "%s: the fleet's trees changed", name);
}
