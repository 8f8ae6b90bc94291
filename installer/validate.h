/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validating a .ko that an untrusted build produced, before anything
 * signs or installs it (design.md, security model 5): an ELF64
 * relocatable for the target's machine, whose .modinfo name is the
 * expected module, whose vermagic equals the target kernel's (computed from
 * its headers), whose __versions CRCs equal the kernel's Module.symvers,
 * and which carries no signature yet. Each refusal is one line naming the
 * module, the kernel and what is wrong.
 */
#ifndef DKS_VALIDATE_H
#define DKS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "dks/error.h"

struct dks_kernel_facts {
	char *release;     /* UTS_RELEASE from include/generated/utsrelease.h */
	char *vermagic;    /* "6.1.0-56-amd64 SMP preempt mod_unload modversions " */
	bool modversions;  /* CONFIG_MODVERSIONS */
	bool sig_enabled;  /* CONFIG_MODULE_SIG */
	bool sig_force;    /* CONFIG_MODULE_SIG_FORCE */
	char *sig_hash;    /* CONFIG_MODULE_SIG_HASH ("sha256"), or NULL */
	char *symvers;     /* path of Module.symvers (headerless: where the CRCs came from) */
	char *symvers_text; /* headerless: Module.symvers lines learned from the
			     * kernel's own modules, in memory (NULL: read symvers) */
	unsigned short machine; /* EM_X86_64 ... from the kernel's arch */
};

/* Read a kernel's facts from its headers directory. */
int dks_kernel_facts_load(const char *headers, struct dks_kernel_facts *out,
			  struct dks_error *err);
void dks_kernel_facts_clear(struct dks_kernel_facts *k);

/* A kernel without headers (a fleet host, docs/install.md "Fleet
 * hosts"): the vermagic and machine its own modules below
 * <@install_tree>/<@kver>/kernel carry (all must agree), the CRCs they
 * import (__versions: from vmlinux and from each other; a symbol two of
 * them import with different CRCs is left unknown), and
 * <@boot_dir>/config-<@kver> for MODVERSIONS and module signing. */
int dks_kernel_facts_host(const char *install_tree, const char *kver, const char *boot_dir,
			  struct dks_kernel_facts *out, struct dks_error *err);
/* The one call for a target: its headers when @headers is a directory
 * (headers win), else dks_kernel_facts_host. */
int dks_kernel_facts_for(const char *headers, const char *install_tree, const char *kver,
			 const char *boot_dir, struct dks_kernel_facts *out,
			 struct dks_error *err);
/* The flags of a kernel config's text (machine, MODVERSIONS, MODULE_SIG*,
 * its hash) into @k; @where names it. */
int dks_kernel_facts_config(const char *config, const char *where, struct dks_kernel_facts *k,
			    struct dks_error *err);

/* The sections of a module image the headerless facts read, every offset
 * checked (-1: not an ELF64 module with a .modinfo). */
struct dks_modsecs {
	unsigned short machine;
	bool msb;
	const char *modinfo;
	size_t modinfo_len;
	const unsigned char *versions; /* n_versions entries of 64 bytes, or NULL */
	size_t n_versions;
};
int dks_module_sections(const void *ko, size_t len, struct dks_modsecs *out);

/* Validate a module image (@len bytes in memory, as collected) named
 * @expected for the kernel @k. @what names it in messages. */
int dks_module_validate(const void *ko, size_t len, const char *expected,
			const struct dks_kernel_facts *k, const char *what, struct dks_error *err);

/* A module's MODULE_VERSION and srcversion, as modinfo prints them, its
 * name and depends= (the load test's; printable, cut; "" when absent). */
struct dks_verinfo {
	char version[128], srcversion[64];
	char name[64], depends[1024];
};

/* Read them from a module's bytes (any ELF machine; only its headers and
 * .modinfo are looked at, every offset checked). 0, or -1 when it is no
 * ELF module. */
int dks_module_verinfo(const void *ko, size_t len, struct dks_verinfo *vi);

#endif
