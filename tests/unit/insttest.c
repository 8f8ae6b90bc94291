// SPDX-License-Identifier: GPL-2.0-or-later
/* The installer's test trees: insttest.h. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "insttest.h"
#include "sbtest.h"

int sh(struct it *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t->status = sbt_vsh(t->out, sizeof(t->out), fmt, ap);
	va_end(ap);
	return t->status;
}

void setup(struct it *t)
{
	char *dir = sbt_mkdtemp(NULL), *k = sbt_installed_kernel();
	char *debian = sbt_fixture("os-release/debian");

	snprintf(t->root, sizeof(t->root), "%s", dir);
	snprintf(t->kver, sizeof(t->kver), "%s", k);
	free(dir);
	free(k);
	/* Another kernel with headers (make deps installs two); a modules dir
	 * without them (the running kernel's, say) is not one. */
	cr_assert_eq(sh(t, "for k in $(ls /lib/modules); do [ \"$k\" != '%s' ] && "
			   "[ -e /lib/modules/$k/build/Makefile ] && echo \"$k\"; done | head -n 1",
			t->kver), 0);
	t->out[strcspn(t->out, "\n")] = 0;
	cr_assert(t->out[0], "a second kernel's headers are needed (make deps installs them)");
	snprintf(t->other, sizeof(t->other), "%.255s", t->out);
	snprintf(t->opts, sizeof(t->opts),
		 "--dkmstree %s/dkms --sourcetree %s/src --installtree %s/root/lib/modules "
		 "--sandbox-config %s/config.yaml",
		 t->root, t->root, t->root, t->root);
	/* The key's directories must be root's (key hygiene): so is this one. */
	/* The keys come from the configuration file; generate-mok takes them as options. */
	/* So does the os-release, a Debian one whatever the machine runs:
	 * modules land in updates/dkms (dkms's rule for Debian). */
	cr_assert_eq(sh(t, "cd %s && chown 0:0 . && chmod 755 . && mkdir -p dkms src/hello-1.0 keys && chmod 700 keys && "
			   "printf 'mok_key: %%s/keys/mok.key\nmok_cert: %%s/keys/mok.pub\nos_release: %%s\n' "
			   "$PWD $PWD '%s' > config.yaml && "
			   "for k in %s %s; do mkdir -p root/lib/modules/$k && "
			   "ln -s \"$(readlink -f /lib/modules/$k/build)\" root/lib/modules/$k/build && "
			   "touch root/lib/modules/$k/modules.order root/lib/modules/$k/modules.builtin "
			   "root/lib/modules/$k/modules.builtin.modinfo; done && "
			   "cp %s/tests/modules/hello/* src/hello-1.0/ && printf 'PACKAGE_NAME=hello\\n"
			   "PACKAGE_VERSION=1.0\\nBUILT_MODULE_NAME[0]=hello\\nDEST_MODULE_LOCATION[0]=/updates/dkms\\n' > src/hello-1.0/dkms.conf && "
			   "chmod -R a+rX src dkms root && %s generate-mok --mok-key keys/mok.key "
			   "--mok-cert keys/mok.pub",
			   t->root, debian, t->kver, t->other, getenv("DKS_SRCDIR"), getenv("DKS_BIN")),
		     0, "%s", t->out);
	free(debian);
}

void use_os_release(struct it *t, const char *name)
{
	char rel[64], *path;

	snprintf(rel, sizeof(rel), "os-release/%s", name);
	path = sbt_fixture(rel);
	cr_assert_eq(sh(t, "sed -i 's|^os_release: .*|os_release: %s|' %s/config.yaml && "
			   "grep -c '^os_release: %s$' %s/config.yaml", path, t->root, path, t->root),
		     0, "%s", t->out);
	free(path);
}

int dks(struct it *t, const char *args)
{
	return sh(t, "%s %s %s", getenv("DKS_BIN"), args, t->opts);
}


int hello_on(struct it *t, const char *verb, const char *kver, const char *more)
{
	char args[1024];

	snprintf(args, sizeof(args), "%s hello/1.0 -k %.255s %s", verb, kver, more);
	return dks(t, args);
}
