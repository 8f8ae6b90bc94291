// SPDX-License-Identifier: GPL-2.0-or-later
/* libarchive and libcrypto on first use: lazylib.h says why. */
#define DKS_LAZYLIB_IMPL
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "dks/lazylib.h"

static const char *const sonames[] = {"libarchive.so.13", "libcrypto.so.3", "liblzma.so.5",
				      "libzstd.so.1", "libz.so.1"};

/* Written once under pthread_once, then only read: like the dynamic
 * linker's own tables, which is what it stands in for. */
static struct dks_lazylib table;
static const struct dks_lazylib *loaded;
static const char *failure;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *archive, *crypto, *lzma, *zstd, *z;
	void **handles[] = {&archive, &crypto, &lzma, &zstd, &z};

	for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
		*handles[i] = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (!*handles[i]) {
			failure = sonames[i];
			return;
		}
	}
#define DKS_LAZY_LOAD(lib, name)                                                                   \
	table.name = (__typeof__(table.name))dlsym(lib, #name);                                    \
	if (!table.name) {                                                                         \
		failure = #name;                                                                   \
		return;                                                                            \
	}
	DKS_LAZY_SYMBOLS(DKS_LAZY_LOAD)
#undef DKS_LAZY_LOAD
	loaded = &table;
}

const struct dks_lazylib *dks_lazylib(void)
{
	return loaded;
}

int dks_lazylib_load(struct dks_error *err)
{
	pthread_once(&once, load);
	if (!loaded)
		return dks_err(err, 0, "cannot load %s (install libarchive13, libssl3, liblzma5, "
				       "libzstd1, zlib1g)", failure ? failure : "a library");
	return 0;
}
