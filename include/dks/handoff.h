/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The on-disk format between the build (orchestrator/build.c, which
 * writes it) and the installer (installer/, which reads it), beside
 * module/ and log/ in <dkmstree>/<m>/<v>/<kver>/<arch>/:
 *
 *   manifest   one line per module:
 *                built_name TAB dest_name TAB dest_location NEWLINE
 *              (what the installer needs of the spec: it never evaluates
 *              a dkms.conf). The installer re-checks every field: a
 *              dest_name without '/', a location under /kernel, /updates
 *              or /extra without "..", at most DKS_HANDOFF_MODULES lines.
 *   hooks      one line per install script of the spec:
 *                name TAB script NEWLINE
 *              name: pre_install, post_install or post_remove. A script
 *              holding a tab or a newline cannot be recorded: the build
 *              refuses it (bad dkms.conf) instead of dropping it.
 *
 * Both are written by root from a spec the orchestrator parsed strictly,
 * after the sandbox has exited: the build itself cannot write them.
 */
#ifndef DKS_HANDOFF_H
#define DKS_HANDOFF_H

#define DKS_MANIFEST "manifest"
#define DKS_HOOKS "hooks"

/* Most modules one m/v may install (a manifest with more is refused). */
#define DKS_HANDOFF_MODULES 64

/* Largest .ko collected from a build or installed (a build dir is
 * attacker-controlled). */
#define DKS_MODULE_MAX (256L * 1024 * 1024)

#endif
