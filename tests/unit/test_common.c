// SPDX-License-Identifier: GPL-2.0-or-later
/* The common room's file helpers (include/dks/fileio.h, dks/strv.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/fileio.h"
#include "dks/strv.h"

static char *tmpdir(void)
{
	char *d = strdup("/tmp/dks-common-XXXXXX");

	cr_assert_not_null(mkdtemp(d));
	return d;
}

/* An attacker-written build dir nested far deeper than any recursion
 * limit: all of it goes, and the removal never leaves the tree. */
Test(fileio, rmtree_removes_a_tree_of_any_depth_without_following_links)
{
	char *top = tmpdir(), *outside = tmpdir(), path[PATH_MAX], keep[PATH_MAX];
	int fd = open(top, O_RDONLY | O_DIRECTORY);

	snprintf(keep, sizeof(keep), "%s/keep", outside);
	fclose(fopen(keep, "w"));
	cr_assert_geq(fd, 0);
	for (int i = 0; i < 3000; i++) { /* ~3000 levels: past PATH_MAX as a path */
		int next;

		cr_assert_eq(mkdirat(fd, "d", 0755), 0, "level %d: %s", i, strerror(errno));
		cr_assert_eq(symlinkat(outside, fd, "link"), 0);
		close(openat(fd, "f", O_WRONLY | O_CREAT, 0644));
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		cr_assert_geq(next, 0);
		close(fd);
		fd = next;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/wide", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "%s/wide/%d", top, i);
		cr_assert_eq(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/wide/%d/x", top, i);
		cr_assert_eq(mkdir(path, 0755), 0);
	}
	cr_assert_eq(dks_rmtree(top), 0, "rmtree: %s", strerror(errno));
	cr_expect_neq(access(top, F_OK), 0, "%s is still there", top);
	cr_expect_eq(access(keep, F_OK), 0, "a link was followed: %s is gone", keep);
	cr_expect_eq(dks_rmtree(top), 0, "a missing tree is not an error");
	unlink(keep);
	rmdir(outside);
	free(top);
	free(outside);
}

Test(fileio, rmtree_of_a_link_removes_the_link_only)
{
	char *outside = tmpdir(), link[PATH_MAX], keep[PATH_MAX];

	snprintf(keep, sizeof(keep), "%s/keep", outside);
	fclose(fopen(keep, "w"));
	snprintf(link, sizeof(link), "%s-link", outside);
	cr_assert_eq(symlink(outside, link), 0);
	cr_assert_eq(dks_rmtree(link), 0);
	cr_expect_neq(access(link, F_OK), 0);
	cr_expect_eq(access(keep, F_OK), 0);
	unlink(keep);
	rmdir(outside);
	free(outside);
}

Test(fileio, open_beneath_refuses_links_and_dotdot)
{
	char *top = tmpdir(), path[PATH_MAX];
	int dfd = open(top, O_RDONLY | O_DIRECTORY), fd;

	snprintf(path, sizeof(path), "%s/f", top);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/l", top);
	cr_assert_eq(symlink("f", path), 0);
	fd = dks_open_beneath(dfd, "f");
	cr_expect_geq(fd, 0, "a plain file below: %s", strerror(errno));
	close(fd);
	cr_expect_lt(dks_open_beneath(dfd, "l"), 0, "a link was followed");
	cr_expect_lt(dks_open_beneath(dfd, "../etc/passwd"), 0, "left the directory");
	cr_expect_lt(dks_open_beneath(dfd, "/etc/passwd"), 0, "an absolute path was opened");
	close(dfd);
	cr_expect_eq(dks_rmtree(top), 0);
	free(top);
}

Test(strv, push_keeps_the_vector_null_terminated)
{
	struct strv s = {0};

	cr_assert_eq(strv_push(&s, "a"), 0);
	cr_assert_eq(strv_push_take(&s, strdup("b")), 0);
	cr_expect_eq(strv_push_take(&s, NULL), -1, "NULL must fail");
	cr_expect_eq(s.n, 2);
	cr_expect_null(s.v[2]);
	cr_expect(strv_contains(&s, "b"));
	cr_expect_not(strv_contains(&s, "c"));
	strv_free(&s);
	cr_expect_eq(s.n, 0);
	cr_expect_null(s.v);
}
