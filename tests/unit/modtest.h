/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module packages a test writes itself, in a temporary DKMS tree, built
 * through the real binary ($DKS_BIN) against the newest installed kernel's
 * headers (found by sbt_installed_kernel, never typed in).
 */
#ifndef DKS_MODTEST_H
#define DKS_MODTEST_H

#include <stddef.h>

struct mt_tree {
	char root[256];
	char kver[256];
	char opts[1024]; /* --dkmstree ... --sourcetree ... --installtree ... */
};

/* A fresh tree (removed by sbt_cleanup) whose install tree links the
 * kernel's build dir to its real headers. */
void mt_tree_make(struct mt_tree *t);

/* Source @m-1.0 with a dkms.conf (BUILT_MODULE_NAME hello, STRIP no) plus
 * @conf_extra lines, and @file holding @text (NULL: none), readable by
 * all. */
void mt_module(const struct mt_tree *t, const char *m, const char *conf_extra, const char *file,
	       const char *text);

/* "$DKS_BIN ARGS <tree options>" killed after @seconds: its exit code
 * (124: timed out), stdout and stderr into @out. */
int mt_dks(const struct mt_tree *t, unsigned seconds, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A Debian package's module source, fetched by tests/fetch-corpus.sh into
 * $DKS_CORPUS_DIR or /var/cache/dkms-sandbox/corpus: its directory. */
void mt_corpus(const char *pkg, char *dir, size_t size);

/* The committed make.log of m/1.0 for the tree's kernel. */
void mt_log_path(const struct mt_tree *t, const char *m, char *path, size_t size);

#endif
