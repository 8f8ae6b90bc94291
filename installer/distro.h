/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dkms's destination rule (override_dest_module_location): by the
 * distribution /etc/os-release names (dkms's distro_version(): ID for
 * Ubuntu, else ID_LIKE when set, else ID), modules go to /extra (Fedora,
 * RHEL, OVM), /updates (SLES, SUSE, openSUSE) or /updates/dkms (Debian,
 * Ubuntu, Arch); elsewhere to the module's own DEST_MODULE_LOCATION.
 */
#ifndef DKS_DISTRO_H
#define DKS_DISTRO_H

/* The location for @os_release's distribution, else @location (which may
 * be NULL: "no override"). A missing file overrides nothing. */
const char *dks_distro_location(const char *os_release, const char *location);

#endif
