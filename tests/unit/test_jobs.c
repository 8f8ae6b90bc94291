// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "jobs": the run's parallelism cannot be taken hostage (issue 15,
 * path 8). A hostile module's Makefile takes every jobserver token it can
 * read and sleeps holding them; a benign module built in the same run must
 * still get its share: its make needs two steps running at once (each
 * waits for the other, for at most 30 s), which -j 4 over two builds
 * grants each (its implicit slot and one token of its own).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modtest.h"
#include "sbtest.h"

TestSuite(jobs, .fini = sbt_cleanup);

/* Blocked readers on the jobserver take every token that is or will be
 * in it; none is ever written back. '+' hands make's jobserver fds to
 * the recipe (as to a sub-make). */
static const char hog_mk[] =
    "all:\n"
    "\t+@fd=$$(echo \"$$MAKEFLAGS\" | sed -n 's/.*--jobserver-auth=\\([0-9]*\\),.*/\\1/p'); \\\n"
    "\tif [ -n \"$$fd\" ]; then for i in 1 2 3 4 5 6 7 8; do \\\n"
    "\t  (dd bs=1 count=1 status=none <&$$fd >/dev/null && echo took a token) & done; fi; \\\n"
    "\tsleep 15; echo x > hello.ko\n";

/* a and b each wait for the other: they finish only when they run at
 * once. prep first, so that the hog is reading when they start. */
static const char pair_mk[] =
    "all: a b\n\techo x > hello.ko\n"
    "a b: prep\n"
    "\t@touch $@.started; for i in $$(seq 60); do [ -e $(if $(filter a,$@),b,a).started ] "
    "&& exit 0; sleep 0.5; done; echo \"$@ ran alone\"; exit 1\n"
    "prep:\n\tsleep 3\n"
    ".PHONY: all a b prep\n";

Test(jobs, a_build_that_keeps_jobserver_tokens_cannot_starve_another, .timeout = 300)
{
	struct mt_tree t;
	char out[65536], ko[1024], log[1024], took[64];

	mt_tree_make(&t);
	mt_module(&t, "hog", "MAKE[0]=\"make -f hog.mk\"", "hog.mk", hog_mk);
	mt_module(&t, "pair", "MAKE[0]=\"make -f pair.mk\"", "pair.mk", pair_mk);
	/* Bounded: the old shared jobserver makes pair fail after 33 s. */
	cr_expect_eq(mt_dks(&t, 200, out, sizeof(out), "build hog/1.0 pair/1.0 -k %s -j 4", t.kver),
		     0, "%s", out);
	snprintf(ko, sizeof(ko), "%s/dkms/pair/1.0/%s", t.root, t.kver);
	cr_expect_eq(access(ko, F_OK), 0, "pair was not built:\n%s", out);
	cr_expect_null(strstr(out, "token"), "%s", out);
	cr_expect_null(strstr(out, "jobserver"), "%s", out);
	/* Its share is 2 slots: make's implicit one and one token; once pair
	 * has ended and no job waits, pair's 2 are lent to it: never more
	 * than the run's 4 in all (3 tokens). */
	mt_log_path(&t, "hog", log, sizeof(log));
	sbt_sh(took, sizeof(took), "grep -c 'took a token' %s", log);
	cr_expect_leq(atoi(took), 3, "hog took %s tokens", took);
}
