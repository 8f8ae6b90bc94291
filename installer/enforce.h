/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Does a kernel refuse unsigned modules? Then an unsigned module must not
 * be installed for it: it would be placed, and fail only at load time
 * ("Key was rejected by service"), maybe at the next boot.
 */
#ifndef DKS_ENFORCE_H
#define DKS_ENFORCE_H

#include "validate.h"

/* Why kernel @f enforces module signatures, or NULL when it does not (as
 * far as we can know): CONFIG_MODULE_SIG_FORCE in its config; when it is
 * the running kernel (its release in <host_root>/proc/sys/kernel/osrelease),
 * lockdown in integrity or confidentiality mode (what Secure Boot turns
 * on) or module.sig_enforce=1. @host_root NULL: the machine's own. */
const char *dks_sig_enforced(const struct dks_kernel_facts *f, const char *host_root);

#endif
