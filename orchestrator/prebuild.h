/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Before a build's sandbox: what dkms's do_build refuses first (prebuild.c). */
#ifndef DKS_PREBUILD_H
#define DKS_PREBUILD_H

#include "dks/error.h"
#include "dks/spec.h"

/* The source @src holds more than one entry (dkms: else 8). */
int dks_prebuild_source(const char *src, struct dks_error *err);

/* Each patch of @s: no control character, no '..' part, a file in
 * @src/patches/ (dkms: else 5, "Patch P as specified in dkms.conf ..."). */
int dks_prebuild_patches(const struct dks_spec *s, const char *src, struct dks_error *err);

/* The recipe in a module's source (@path) is not a symbolic link: the
 * host parses it, and a link could make it parse (and quote in errors) a
 * file of the host's (8). */
int dks_prebuild_recipe(const char *path, struct dks_error *err);

#endif
