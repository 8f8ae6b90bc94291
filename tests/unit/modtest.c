// SPDX-License-Identifier: GPL-2.0-or-later
/* Module packages a test writes itself (modtest.h). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "modtest.h"
#include "sbtest.h"

void mt_tree_make(struct mt_tree *t)
{
	char *dir = sbt_mkdtemp(NULL), *kver = sbt_installed_kernel();
	char *headers = sbt_kernel_headers(kver);

	snprintf(t->root, sizeof(t->root), "%s", dir);
	snprintf(t->kver, sizeof(t->kver), "%s", kver);
	sbt_must("chmod 755 %s && mkdir -p %s/dkms %s/src %s/lib/%s && ln -s %s %s/lib/%s/build", dir,
	     dir, dir, dir, kver, headers, dir, kver);
	snprintf(t->opts, sizeof(t->opts),
		 "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/lib", dir, dir, dir);
	free(headers);
	free(kver);
	free(dir);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0, "%s", path);
}

void mt_module(const struct mt_tree *t, const char *m, const char *conf_extra, const char *file,
	       const char *text)
{
	char dir[512], path[1024], conf[2048];

	snprintf(dir, sizeof(dir), "%s/src/%s-1.0", t->root, m);
	sbt_must("mkdir -p %s", dir);
	snprintf(conf, sizeof(conf),
		 "PACKAGE_NAME=\"%s\"\nPACKAGE_VERSION=\"1.0\"\n"
		 "BUILT_MODULE_NAME[0]=\"hello\"\nDEST_MODULE_LOCATION[0]=\"/updates/dkms\"\n"
		 "STRIP[0]=\"no\"\n%s\n",
		 m, conf_extra ? conf_extra : "");
	snprintf(path, sizeof(path), "%s/dkms.conf", dir);
	write_text(path, conf);
	if (file) {
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		write_text(path, text);
	}
	sbt_must("chmod -R a+rX %s", dir);
}

int mt_dks(const struct mt_tree *t, unsigned seconds, char *out, size_t size, const char *fmt, ...)
{
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return sbt_sh(out, size, "timeout -k 5 %u %s %s %s", seconds, getenv("DKS_BIN"), args,
		      t->opts);
}

void mt_log_path(const struct mt_tree *t, const char *m, char *path, size_t size)
{
	struct utsname u;

	cr_assert_eq(uname(&u), 0);
	snprintf(path, size, "%s/dkms/%s/1.0/%s/%s/log/make.log", t->root, m, t->kver, u.machine);
}

void mt_corpus(const char *pkg, char *dir, size_t size)
{
	const char *cache = getenv("DKS_CORPUS_DIR");

	cr_assert_eq(sbt_sh(dir, size, "'%s/tests/fetch-corpus.sh' '%s' %s | head -1",
			    getenv("DKS_SRCDIR"), cache && *cache ? cache : "/var/cache/dkms-sandbox/corpus",
			    pkg), 0, "fetch-corpus.sh %s failed: %s", pkg, dir);
	dir[strcspn(dir, "\n")] = '\0';
	cr_assert(dir[0] == '/', "fetch-corpus.sh %s printed no directory", pkg);
}
