/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every process exit code dkms-sandbox uses, in one place (docs/errors.md
 * has the table). Where dkms defines a code for a failure, it is dkms's:
 * scripts that call `dkms` test them.
 *
 * Only the orchestrator (the CLI) and the installer set them; the sandbox
 * reports typed reasons (include/dks/sandbox.h) that the CLI maps here.
 */
#ifndef DKS_EXIT_H
#define DKS_EXIT_H

#define DKS_EXIT_OK 0
#define DKS_EXIT_FAILURE 1       /* usage, or a failure dkms has no code for */
#define DKS_EXIT_NO_SOURCE 2     /* add/build: no source; match: template is -k */
#define DKS_EXIT_BAD_OPTION 2    /* an unknown option; -k with --all (dkms.in) */
#define DKS_EXIT_ALREADY_ADDED 3 /* add: already added; unbuild/remove/match: not added */
#define DKS_EXIT_ARCH_WITH_ALL 3 /* -a with --all */
#define DKS_EXIT_TWO_ACTIONS 4   /* two verbs; a verb that takes one -k given several */
#define DKS_EXIT_NO_CONF 4       /* no dkms.conf (dkms 3.0.10) */
#define DKS_EXIT_HOOK_USAGE 4    /* kernel_postinst/kernel_prerm: not exactly one -k */
#define DKS_EXIT_BROKEN 4        /* m/v is broken: its source link is gone (dkms 3.4) */
#define DKS_EXIT_ALL_BANNED 5    /* add, install, autoinstall, match, kernel_*: --all */
#define DKS_EXIT_PATCH_MISSING 5 /* build: patch missing, or absolute, or with .. */
#define DKS_EXIT_PATCH_FAILED 6  /* build: a patch failed */
#define DKS_EXIT_INSTALL_FAILED 6 /* install: module refused, or depmod failed: rolled back */
#define DKS_EXIT_MODULE_MISSING 7 /* build: a built module is missing or refused */
#define DKS_EXIT_NOT_BUILT 6     /* mktarball: a kernel has no build */
#define DKS_EXIT_BAD_ARCHIVE 7   /* ldtarball: no dkms.conf where dkms looks */
#define DKS_EXIT_LOADED 8        /* ldtarball: m/v already added (no --force) */
#define DKS_EXIT_NO_WRITE 9      /* mktarball: the archive's directory is not writable */
#define DKS_EXIT_BAD_CONF 8      /* bad dkms.conf or recipe; empty source */
#define DKS_EXIT_BOTH_ONLY 8     /* --binaries-only with --source-only */
#define DKS_EXIT_MAKE_FAILED 10  /* build: make, PRE_BUILD or POST_BUILD failed */
#define DKS_EXIT_AUTOINSTALL 11  /* autoinstall: a module failed */
#define DKS_EXIT_BUILD_DEPENDS 13 /* build: a BUILD_DEPENDS module is not built */
#define DKS_EXIT_KERNEL_HOOK 14  /* kernel_preinst, kernel_prerm: a module could not be dropped */
#define DKS_EXIT_EMPTY_KERNEL 16 /* -k "" or -a "": an empty kernel or arch */
#define DKS_EXIT_NO_HEADERS 21   /* no kernel headers for -k KVER */
#define DKS_EXIT_STALE_PLAN 23   /* build --plan: the unit's inputs changed since the plan (ours) */
#define DKS_EXIT_CHECK_DIFFERS 24 /* build --check: the rebuild's .ko files differ (ours) */
#define DKS_EXIT_UNCONFIRMED 25  /* sign: fewer confirmations than sign_requires_agreement (ours) */
#define DKS_EXIT_EXCLUDED 77     /* build: skipped by BUILD_EXCLUSIVE_* */
#define DKS_EXIT_PRE_INSTALL 101 /* install: PRE_INSTALL failed */
/* `sandbox run`, as timeout(1), env(1) and container runtimes do: */
#define DKS_EXIT_TIMEOUT 124 /* the timeout killed the sandbox */
#define DKS_EXIT_SETUP 125   /* the sandbox could not be set up */
#define DKS_EXIT_NOEXEC 126  /* the command could not be executed */
#define DKS_EXIT_NOTFOUND 127 /* the command was not found */
#define DKS_EXIT_SIGNAL_BASE 128 /* + the signal that killed the command */

#endif
