/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The installer (installer/): the only code that runs privileged on what a
 * build produced, and the only code that writes the install tree. This
 * header is its whole contract; docs/security.md ("Auditing the
 * installer") says, file by file, what it trusts and why.
 *
 *   collect   copy the built modules out of the build directory (which
 *             the build controlled), never following a link
 *   install   for a built m/v and one kernel: read the manifest the build
 *             wrote (dks/handoff.h), validate every module (ELF, .modinfo,
 *             vermagic, CRCs), sign it in-process when the kernel checks
 *             signatures (the caller makes a missing key: make_key), or
 *             refuse it unsigned for a kernel that enforces signatures
 *             (installer/enforce.h), compress it as the kernel's
 *             config asks, place everything in one journalled transaction
 *             (a same-named module is kept in original_module/ and put
 *             back on uninstall), depmod; roll back when depmod fails
 *   unsign    a build dkms made and signed: its modules back to unsigned
 *   state     is m/v installed for a kernel (the kernel-<kver>-<arch> link)
 *
 * It runs no module code and evaluates no dkms.conf. The module's install
 * scripts (PRE_INSTALL, POST_INSTALL, POST_REMOVE) are module code: the
 * installer only calls the caller's hook at the points dkms runs them,
 * and the orchestrator runs them in a sandbox.
 */
#ifndef DKS_INSTALLER_H
#define DKS_INSTALLER_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"
#include "dks/exit.h"
#include "dks/kernel.h"
#include "dks/tree.h"

#define DKS_DEFAULT_MOK_KEY "/var/lib/dkms/mok.key"
#define DKS_DEFAULT_MOK_CERT "/var/lib/dkms/mok.pub"
#define DKS_OS_RELEASE "/etc/os-release"
#define DKS_DEFAULT_BOOT_DIR "/boot"

/* Where a hook is called: the module, its version, the kernel, and its
 * build, <dkmstree>/m/v/kver/arch (where the build recorded its hooks). */
struct dks_install_point {
	const struct dks_tree *tree;
	const char *module, *version;
	const struct dks_target *target;
	const char *build;
};

/* @name: "pre_install" (every module validated, signed and compressed,
 * nothing placed yet: a failure aborts with nothing placed),
 * "post_install" (after the commit) or "post_remove" (after an
 * uninstall). Returns 0 or -1 with @err filled. */
typedef int (*dks_install_hook_fn)(void *arg, const char *name,
				   const struct dks_install_point *at, struct dks_error *err);

/* Called when a kernel checks signatures (CONFIG_MODULE_SIG) and the key
 * file is missing: the caller may make one at @key and @cert (dkms 3's
 * first-install key). The installer never makes a key itself. 0 or -1. */
typedef int (*dks_install_key_fn)(void *arg, const char *key, const char *cert,
				  struct dks_error *err);

/* sign: auto (sign when the kernel checks signatures, with a key made on
 * first use), never (install unsigned; refused where the kernel
 * enforces signatures) or verify (a keyless fleet host: every module
 * must arrive signed by the trusted certificate; no key is read or made). */
enum dks_sign_policy { DKS_SIGN_AUTO = 0, DKS_SIGN_NEVER, DKS_SIGN_VERIFY };

static inline enum dks_sign_policy dks_sign_policy_of(const char *word)
{
	return !word || word[0] == 'a' ? DKS_SIGN_AUTO
	       : word[0] == 'n'	       ? DKS_SIGN_NEVER
				       : DKS_SIGN_VERIFY;
}

struct dks_install_opts {
	const char *mok_key, *mok_cert; /* NULL: dkms's defaults */
	/* The certificate a module that arrives signed must verify against
	 * (installer/sigcheck.h); NULL: mok_cert. */
	const char *trusted_cert;
	/* Where config-<kver> is, for a kernel without headers; NULL: /boot. */
	const char *boot_dir;
	enum dks_sign_policy sign;
	dks_install_key_fn make_key; /* NULL: a missing key means unsigned */
	void *make_key_arg;
	/* The root the running kernel's state is read under (its release in
	 * proc/sys/kernel/osrelease, sys/kernel/security/lockdown,
	 * sys/module/module/parameters/sig_enforce); NULL: "/". */
	const char *host_root;
	/* The os-release whose distribution decides the location (dkms's
	 * override_dest_module_location); NULL: DKS_OS_RELEASE. */
	const char *os_release;
	bool no_depmod;
	bool force; /* install again what is installed already; no version check */
	bool force_version_override; /* no version check (installer/vercheck.c) */
	dks_install_hook_fn hook; /* NULL: no hooks */
	void *hook_arg;
};

/* Install the built m/v for kernel @k. Already installed: skipped (0)
 * unless force. Refused modules and a failed depmod: DKS_EXIT_INSTALL_FAILED,
 * nothing changed. */
int dks_install(const struct dks_tree *t, const char *m, const char *v,
		const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err);
/* Remove exactly what the install placed, put the originals back, depmod.
 * Not installed: 0. */
int dks_uninstall(const struct dks_tree *t, const char *m, const char *v,
		  const struct dks_target *k, const struct dks_install_opts *o, struct dks_error *err);

/* The signing host's step (sign verb; docs/install.md "Fleet hosts"):
 * the built modules of m/v for kernel @k validated and signed in place
 * with @o's key (the install's hygiene; make_key on first use), each
 * replaced atomically, a line in <build>/log/sign.log. One already signed
 * by that key: left alone. One signed otherwise, or damaged: refused
 * (DKS_EXIT_INSTALL_FAILED, nothing changed) unless @force, which strips
 * a well-formed signature and signs again. @k may lack headers (the
 * kernel's own modules then tell its facts). */
int dks_sign_built(const struct dks_tree *t, const char *m, const char *v,
		   const struct dks_target *k, const struct dks_install_opts *o, bool force,
		   struct dks_error *err);

/* Does <m>/kernel-<kver>-<arch> point at <v>/<kver>/<arch>? (@mfd: the
 * module's directory, opened by the caller.) */
/* fsck --repair: m's interrupted install or uninstall for @k (its journal
 * <m>/.txn-<kver>-<arch>) finished or rolled back, as the next install or
 * uninstall does first; 0 also when there is none. */
int dks_install_recover(const struct dks_tree *t, const char *m, const struct dks_target *k,
			const struct dks_install_opts *o, struct dks_error *err);
/* Does <build>/manifest (dks/handoff.h) read as install reads it? 0, or
 * -1 with @err naming @what and the file (fsck). */
int dks_build_manifest_check(const char *build, const char *what, struct dks_error *err);
bool dks_installed(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		   const char *arch);
bool dks_installed_at(int mfd, const char *v, const char *kver, const char *arch);
/* Is an install or uninstall of <kver>/<arch> cut short among its steps
 * (<m>/.txn-<kver>-<arch> in state "apply")? Its files are then neither
 * the old set nor the new one until recovery rolls it back: status must
 * not call it installed. */
bool dks_txn_cut_short_at(int mfd, const char *kver, const char *arch);

/* A build dkms made (taken over, docs/tree.md): each *.ko of @module_dir
 * that carries an appended signature (dkms signs at build time) is
 * replaced by its bytes without it, so that install validates and signs
 * it like ours; but one whose signature verifies against @trusted_cert
 * (NULL: none; a certificate that cannot be read trusts nothing) is kept:
 * a build loaded from an archive a signing host signed (docs/fleet.md)
 * is installed as it came. Other files are left alone. 0, or -1 with @err
 * filled. */
int dks_unsign_built(const char *module_dir, const char *trusted_cert, struct dks_error *err);

/* A kernel's release (UTS_RELEASE) and vermagic, computed from its
 * headers as validation computes them (installer/validate.c), for the
 * identities of dks/identity.h. Both malloc'd; 0, or -1 with @err filled. */
int dks_kernel_vermagic(const char *headers, char **release, char **vermagic,
			struct dks_error *err);

/* One built module to collect: <built_location>/<built_name>.ko in the
 * build directory, copied to <module_dir>/<dest_name>.ko. */
struct dks_collect_item {
	const char *built_location; /* relative to the build dir; NULL: its top */
	const char *built_name, *dest_name;
};

/* Copy @n built modules out of the (untrusted) build directory into
 * @module_dir: each opened beneath @build_dirfd with no link followed, a
 * regular file with one link, at most DKS_MODULE_MAX bytes. Missing or
 * refused: DKS_EXIT_MODULE_MISSING; @what ("m/v, kver") names it. */
int dks_collect(int build_dirfd, const struct dks_collect_item *items, size_t n,
		const char *module_dir, const char *what, struct dks_error *err);

#endif
