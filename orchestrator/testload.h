/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The load test (docs/testload.md): boot the target kernel in QEMU with an
 * initramfs of ours holding busybox, an /init we write, the module and the
 * kernel's own modules it depends on; load them; read the verdict.
 *
 *   testload_console.c  the VM's output, hostile, parsed into a verdict
 *   testload_initrd.c   the initramfs: modules in load order, /init
 *   testload_deps.c     the module's depends= resolved through modules.dep
 *   testload_vm.c       QEMU, confined: no root, no network, bounded
 *   testload_kvm.c      does /dev/kvm work (open, API version, a VM)
 *   testload_record.c   the result in the tree, read back for status
 *   testload.c          one test of m/v for one kernel, end to end
 */
#ifndef DKS_TESTLOAD_H
#define DKS_TESTLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "dks/config.h"
#include "dks/error.h"
#include "dks/tree.h"
#include "testload_record.h"

#define DKS_TL_SLOTS_MAX 64   /* modules loaded in one VM (deps + the build's) */
#define DKS_TL_LINES_MAX 48   /* kernel lines kept in a report */
#define DKS_TL_LINE_MAX 240   /* bytes of one kept line */
#define DKS_TL_NONCE_LEN 32   /* hex digits */

/* ---- the VM's output (testload_console.c) ---- */

/* What the result channel (the second serial port, written by our /init
 * only) said, lines tagged with this run's nonce; everything else there is
 * ignored. */
struct dks_tl_console {
	bool begun, ended;
	int rc[DKS_TL_SLOTS_MAX]; /* insmod's exit code per slot; -1: never said */
	char *lines[DKS_TL_LINES_MAX]; /* the kernel's (and insmod's) lines, made safe */
	size_t n_lines;
	bool lines_dropped; /* more lines than DKS_TL_LINES_MAX */
};

void dks_tl_console_parse(const char *buf, size_t len, const char *nonce,
			  struct dks_tl_console *out);
/* The last lines of the kernel console (the first serial port): for a VM
 * that never reported (a hang, a panic), the error lines first. */
void dks_tl_console_tail(const char *buf, size_t len, struct dks_tl_console *out);
void dks_tl_console_clear(struct dks_tl_console *c);
/* A line that fails a load by itself: an oops, a BUG, a panic, a WARNING,
 * a symbol or signature refusal. */
bool dks_tl_line_is_error(const char *line);

/* ---- the initramfs (testload_initrd.c) ---- */

struct dks_tl_module {
	char *path;  /* on the host */
	char *name;  /* for the report */
	bool dep;    /* the kernel's own, loaded for the module */
};

/* Write the initramfs to @fd: busybox at /bin/busybox, /init, the modules
 * in order as /m/NN.ko (their names never enter the script). */
int dks_tl_initrd_write(int fd, const char *busybox, const struct dks_tl_module *mods,
			size_t n, const char *nonce, struct dks_error *err);
/* The /init script (exposed for the unit tests). malloc'd. */
char *dks_tl_init_script(size_t n, const char *nonce);

/* ---- dependencies (testload_deps.c) ---- */

/* The modules to load for @ko (the build's modules @built, @n_built):
 * depends= of each, resolved through @moddir/modules.dep (the kernel's
 * own, in modprobe's order, each once), then the build's in an order
 * that loads a module after those of the build it depends on. */
int dks_tl_plan(const char *moddir, char *const *built, size_t n_built,
		struct dks_tl_module **out, size_t *n, struct dks_error *err);
void dks_tl_modules_free(struct dks_tl_module *m, size_t n);
/* A regular file whole (not a FIFO, not past @max bytes), NUL-terminated. */
int dks_tl_read_file(const char *path, size_t max, char **out, size_t *len,
		     struct dks_error *err);

/* ---- the VM (testload_vm.c, testload_kvm.c) ---- */

struct dks_tl_vm {
	const char *qemu, *kernel, *initrd;
	const char *workdir;  /* the VM's serial files are written here */
	bool kvm;
	unsigned timeout;     /* seconds of wall clock */
	unsigned start_bound; /* seconds for /init to say its first line (0: none) */
	unsigned memory_mb;
	size_t output_max;    /* bytes per serial file (RLIMIT_FSIZE) */
	uid_t uid;            /* started as root: QEMU runs as this */
	gid_t gid;
};

struct dks_tl_vm_result {
	bool timed_out;
	bool never_started;   /* killed at start_bound: /init never spoke */
	bool interrupted;     /* killed for a SIGINT, SIGTERM or SIGHUP the caller
			       * holds blocked (dks_testload), then delivered */
	int status;       /* waitpid's */
	double seconds;
};

int dks_tl_vm_run(const struct dks_tl_vm *vm, struct dks_tl_vm_result *res,
		  struct dks_error *err);
/* /dev/kvm opens, speaks API 12 and makes a VM. */
bool dks_tl_kvm_works(void);

#endif

/* ---- one test, end to end (testload.c) ---- */

struct dks_tl_opts {
	const struct dks_config *cfg; /* testload_* keys, build_user */
	const char *kernel_image;     /* --kernel-image FILE, or NULL: <boot dir>/vmlinuz-KVER */
};

/* Boot @kver with m/v's build for it and load it. 0 when the test ran (the
 * verdict in @r, recorded in the tree; free with dks_tl_report_clear), -1
 * when it could not run (no image, no build, no QEMU). */
int dks_testload(const struct dks_tree *t, const struct dks_tl_opts *o, const char *m,
		 const char *v, const char *kver, const char *arch, struct dks_tl_record *r,
		 struct dks_error *err);
void dks_tl_report_clear(struct dks_tl_record *r);
/* dks_testload, then its report on stdout; a failed test is an error
 * already reported (exit 1: dks_err_reported). */
int dks_testload_report(const struct dks_tree *t, const struct dks_tl_opts *o, const char *m,
			const char *v, const char *kver, const char *arch, struct dks_error *err);
/* config.yaml testload_required, where a build is installed at once
 * (autoinstall, kernel_postinst, preflight): 0 when the key is off or the
 * build has a passing load test of its modules as they are; else the test
 * runs now (its report printed) and decides. -1: failed or could not run. */
int dks_testload_gate(const struct dks_tree *t, const struct dks_config *cfg, const char *m,
		      const char *v, const char *kver, const char *arch, struct dks_error *err);
/* The report: one line, then the kernel's lines indented. */
void dks_tl_report_print(FILE *out, const char *m, const char *v, const char *kver,
			 const char *arch, const struct dks_tl_record *r);
