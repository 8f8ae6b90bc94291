/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The installer's tests run in temporary trees only: the install tree is
 * <tmp>/root/lib/modules with links to the real headers and empty
 * modules.order/builtin files, so that the real depmod -b and modprobe -d
 * work on it and nothing of the machine's /lib/modules is touched. hello
 * 1.0 (tests/modules/hello) is in <tmp>/src; a fresh signing key in
 * <tmp>/keys. <tmp>/config.yaml names the key and a Debian os-release
 * (tests/fixtures/os-release/debian): where modules land is dkms's rule for
 * Debian, updates/dkms, whatever distribution runs the tests.
 */
#ifndef DKS_INSTTEST_H
#define DKS_INSTTEST_H

struct it {
	char root[256];
	char kver[256], other[256];
	char opts[2048];
	char out[65536];
	int status;
};

/* Run a shell command (stderr too) into t->out and t->status (its exit code). */
int sh(struct it *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The trees: two installed kernels (kver, other). */
void setup(struct it *t);
/* The trees' os-release: tests/fixtures/os-release/@name instead. */
void use_os_release(struct it *t, const char *name);
/* dkms-sandbox ARGS with the trees' options. */
int dks(struct it *t, const char *args);
/* dkms-sandbox VERB hello/1.0 -k KVER MORE with the trees' options. */
int hello_on(struct it *t, const char *verb, const char *kver, const char *more);

#endif
