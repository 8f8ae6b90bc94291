/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The archive tests' trees (tarballtest.c): insttest.h's builder trees,
 * plus a "fleet" DKMS tree and source tree in <root>/fleet that load what
 * the builder made, with the same install tree and configuration.
 */
#ifndef DKS_TARBALLTEST_H
#define DKS_TARBALLTEST_H

#include "insttest.h"

/* dkms-sandbox ARGS on the fleet trees. */
int fleet(struct it *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* hello built for t->kver on the builder, archived at <root>/@name with
 * mktarball @how ("--binaries-only", "--sign", ...). */
void hello_archive(struct it *t, const char *name, const char *how);
/* Every path, type and size of the fleet's trees, sorted, into @out: the
 * same before and after a refused load. */
void fleet_snapshot(struct it *t, char *out, size_t size);
/* The archive at <root>/@name unpacked into <root>/@dir (made afresh). */
void unpack(struct it *t, const char *name, const char *dir);
/* <root>/@dir packed again as <root>/@name (tar.gz, ./ first, as dkms). */
void repack(struct it *t, const char *dir, const char *name);
/* ldtarball <root>/@name on the fleet is refused with a line holding
 * @words, and the fleet's trees are as they were. */
void refused(struct it *t, const char *name, const char *more, const char *words);

#endif
