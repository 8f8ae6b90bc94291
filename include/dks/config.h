/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration: /etc/dkms-sandbox/config.yaml (or --config FILE), then the
 * command line. Every path is configurable so that tests never touch the
 * machine's /lib/modules or /var/lib/dkms.
 *
 *     dkmstree: /var/lib/dkms    # dkms's own: a drop-in takes its tree over (docs/tree.md)
 *     sourcetree: /usr/src
 *     installtree: /lib/modules
 *     toolchain: host            # or an image name (issue 5) / a directory
 *     profile: default
 *     build_user: dkms-sandbox
 *     jobs: 0                    # 0 = number of CPUs
 *     mok_key: /var/lib/dkms/mok.key   # the module signing key (install)
 *     mok_cert: /var/lib/dkms/mok.pub  # and its certificate
 *     os_release: /etc/os-release      # whose distribution decides where
 *                                      # modules are installed (install)
 *     sign: auto      # sign when the kernel checks signatures, making the
 *                     # key on first use; never: install unsigned (refused
 *                     # for a kernel that enforces signatures)
 *     host_root: /    # where /proc and /sys of the running kernel are read
 *     trusted_cert: /var/lib/dkms/mok.pub   # what modules that arrive signed
 *                     # must verify against (default: mok_cert; docs/install.md)
 *     boot_dir: /boot # config-KVER of a kernel without headers (fleet hosts)
 *     dkms_framework: /etc/dkms/framework.conf  # dkms's own configuration
 *                     # (and its .d/ *.conf), under this file (docs/framework.md)
 *     dkms_confdir: /etc/dkms   # dkms's per-module overrides, no-autoinstall
 *     dpkg_admindir: /var/lib/dpkg    # dpkg's database: which modules a
 *                     # module's build may read (docs/build.md)
 *     build_reads: { west-chamber: [xtables-addons] }   # the same, declared
 *     boot_root: /    # where preflight reads the boot configuration
 *                     # (/boot, /vmlinuz, efivars; docs/upgrades.md)
 *     preflight: { critical: [nvidia, zfs] }  # modules whose failure
 *                     # fails preflight (the others are optional)
 *     require_signed_archives: false       # ldtarball: refuse unsigned ones
 *     sign_requires_agreement: 0           # sign: independent confirmations needed
 *     cache_dir: /var/cache/dkms-sandbox/builds  # built modules by their
 *                     # inputs (docs/cache.md); the default only if it exists
 *     cache_mode: read-write   # read-only (a consumer), off
 *     cache_max_size: 0        # bytes (K, M, G): an insert above it runs a gc
 *     lock_timeout: 0   # seconds to wait for a busy tree lock (0: as long as
 *                       # it takes, as dkms); then fail naming its holder
 *
 * A bad file fails with FILE:LINE and the reason, like profiles.
 */
#ifndef DKS_CONFIG_H
#define DKS_CONFIG_H

#include "dks/error.h"
#include "dks/strv.h"

#define DKS_DEFAULT_CONFIG DKS_SYSCONFDIR "/dkms-sandbox/config.yaml"
#define DKS_DEFAULT_DKMSTREE "/var/lib/dkms"
#define DKS_DEFAULT_SOURCETREE "/usr/src"
#define DKS_DEFAULT_INSTALLTREE "/lib/modules"
#define DKS_DEFAULT_FRAMEWORK "/etc/dkms/framework.conf" /* dkms's, not ours */
#define DKS_DEFAULT_DKMS_CONFDIR "/etc/dkms"
#define DKS_DEFAULT_DPKG_ADMINDIR "/var/lib/dpkg"

struct dks_config {
	char *dkms_tree;
	char *source_tree;
	char *install_tree;
	char *toolchain;  /* NULL or "host": the host's /usr */
	char *profile;    /* profile name or file */
	char *build_user; /* NULL: the sandbox's default */
	int jobs;         /* 0: CPUs */
	char *mok_key;    /* NULL: dkms's /var/lib/dkms/mok.key, when it exists */
	char *mok_cert;   /* NULL: dkms's /var/lib/dkms/mok.pub */
	char *os_release; /* the os-release file of dkms's distribution rule
			   * (DKS_OS_RELEASE); another one installs in the
			   * layout of that distribution */
	char *sign;       /* "auto" (NULL) or "never": include/dks/installer.h */
	char *host_root;  /* NULL: "/"; where the running kernel's lockdown
			   * and sig_enforce are read (tests move it) */
	char *trusted_cert; /* NULL: mok_cert (modules that arrive signed; manifests) */
	char *boot_dir;	    /* NULL: /boot (config-KVER without headers) */
	char *dkms_framework; /* NULL: /etc/dkms/framework.conf */
	char *dkms_confdir;   /* NULL: /etc/dkms */
	char *status_wording; /* status suffixes: "3.4" (NULL, dkms 3.4's) or "3.0" (Debian 12's dkms) */
	char *dpkg_admindir;	  /* dpkg's database (DKS_DEFAULT_DPKG_ADMINDIR) */
	struct strv build_reads; /* pairs: a module, a module its build may read */
	/* the load test (docs/testload.md) */
	unsigned testload_timeout;  /* wall-clock seconds of one VM (default 120) */
	unsigned testload_memory;   /* MiB of the VM (default 256) */
	char *testload_accel;       /* "auto" (NULL): KVM when it works, else TCG; "kvm", "tcg" */
	char *testload_boot_dir;    /* where vmlinuz-KVER is (NULL: /boot) */
	char *testload_qemu;        /* NULL: /usr/bin/qemu-system-x86_64 */
	char *testload_busybox;     /* NULL: /bin/busybox (busybox-static) */
	bool testload_required;     /* install refuses a build without a passing load test */
	char *boot_root;	 /* NULL: "/"; preflight's boot configuration below it */
	char **preflight_critical; /* preflight: modules whose failure fails it */
	size_t n_preflight_critical;
	bool require_signed_archives; /* ldtarball: refuse archives without one */
	unsigned sign_requires_agreement; /* sign: --check and --agree-with confirmations */
	char *cache_dir;	       /* NULL: DKS_DEFAULT_CACHE_DIR, used only if it exists */
	int cache_mode;		       /* enum dks_cache_mode (dks/cache.h): read-write (0) */
	unsigned long long cache_max_size; /* bytes; 0: no cap */
	unsigned lock_timeout; /* seconds a tree lock is waited for; 0: as long as it takes */
};

/* Defaults, then @path (NULL: DKS_DEFAULT_CONFIG, which may be missing;
 * an explicit path must exist). @c is overwritten, not freed; on failure
 * it is left all NULL (dks_config_clear is safe on it either way). */
int dks_config_load(const char *path, struct dks_config *c, struct dks_error *err);
/* The same with a layer under the file: @under(c, @arg) runs on the
 * defaults before the file is read (dkms's framework.conf). */
int dks_config_load_under(const char *path,
			  int (*under)(struct dks_config *, void *, struct dks_error *), void *arg,
			  struct dks_config *c, struct dks_error *err);
/* Replace one string field (command-line overrides). */
/* The same from @len bytes of YAML (@source names it in messages). */
int dks_config_parse(const char *text, size_t len, const char *source, struct dks_config *c,
		     struct dks_error *err);
int dks_config_set(char **field, const char *value, struct dks_error *err);
void dks_config_clear(struct dks_config *c);

#endif
