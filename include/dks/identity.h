/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a build's result depends on, as digests (orchestrator/identity.c,
 * srcdigest.c, toolchain_id.c): the source tree's contents, the evaluated
 * spec, the kernel, the toolchain, and one digest over all of them for a
 * build unit (module x version x kernel x arch). The archive manifest, the
 * build plan and the failure memory of preflight name a build by these.
 * None depends on where a tree lies, its times or its owners.
 */
#ifndef DKS_IDENTITY_H
#define DKS_IDENTITY_H

#include "dks/error.h"
#include "dks/kernel.h"
#include "dks/sha256.h"
#include "dks/spec.h"

/* The source tree below @dir, never following a link: each entry in
 * canonical order (each directory's names sorted bytewise, depth first)
 * with its type, its exec bit, and its link target or its content's
 * sha256. A device, fifo or socket, or a tree deeper than 64 levels: -1
 * with @err naming it. */
int dks_source_digest(const char *dir, char out[DKS_SHA256_HEX], struct dks_error *err);

/* The evaluated spec, every field but where it came from and its
 * warnings, canonically serialized. */
void dks_spec_digest(const struct dks_spec *s, char out[DKS_SHA256_HEX]);

struct dks_kernel_id {
	char *release, *arch, *vermagic; /* release: UTS_RELEASE; NULL without headers */
	char config[DKS_SHA256_HEX];     /* sha256 of the .config ("" absent) */
	char symvers[DKS_SHA256_HEX];    /* sha256 of Module.symvers ("" absent) */
	char vmlinux[DKS_SHA256_HEX];    /* dks_vmlinux_digest ("" without headers) */
};

/* What the build dir @headers' vmlinux gives a module build: whether there
 * is one, and the bytes of its .BTF section, which kbuild makes modules'
 * BTF against (orchestrator/vmlinux_id.c). Never "": a build dir without a
 * vmlinux has a digest of its own. -1 with @err if it cannot be read. */
int dks_vmlinux_digest(const char *headers, char out[DKS_SHA256_HEX], struct dks_error *err);

/* From the target's headers; a target without headers (dks_target_bare)
 * gives its kver as release, its arch, and nothing else. */
int dks_kernel_id(const struct dks_target *k, struct dks_kernel_id *out, struct dks_error *err);
void dks_kernel_id_clear(struct dks_kernel_id *id);

/* The toolchain below @root ("/" for the host, or an image's root): the
 * name, architecture and version of each build-relevant package in its
 * dpkg status (gcc, cpp, binutils, libc6-dev, linux-libc-dev, make, ...),
 * or, with no dpkg database, the bytes of its gcc, cc1, as and ld.
 * @label (may be NULL) gets "gcc N" for people. */
int dks_toolchain_id(const char *root, char out[DKS_SHA256_HEX], char **label,
		     struct dks_error *err);

/* One build unit's inputs. */
struct dks_unit_inputs {
	const char *module, *version, *profile;
	char source[DKS_SHA256_HEX], spec[DKS_SHA256_HEX], toolchain[DKS_SHA256_HEX];
	struct dks_kernel_id kernel;
};

/* sha256 over a canonical text of every field of @u. */
void dks_unit_digest(const struct dks_unit_inputs *u, char out[DKS_SHA256_HEX]);

#endif
