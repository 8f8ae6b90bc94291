// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The load test's initramfs (orchestrator/testload.h): cpio newc made by
 * common/cpio.c, with busybox-static, our /init and the modules as
 * /m/00.ko, /m/01.ko, ... in load order. No name of the module package
 * enters the script: only slot numbers and the nonce (hex we made).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/cpio.h"
#include "dks/fileio.h"
#include "testload.h"

#define BUSYBOX_MAX (8UL * 1024 * 1024)
#define MODULE_MAX (256UL * 1024 * 1024)

/* The kernel's console is ttyS0 (its printk, the module's included);
 * the verdict goes to ttyS1, which only this script writes. dmesg -c
 * before the first insmod: the lines kept are the load's, not the boot's. */
static const char init_head[] =
	"#!/bin/busybox sh\n"
	"/bin/busybox --install -s /bin\n"
	"export PATH=/bin\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"mount -t devtmpfs devtmpfs /dev\n"
	"N=%s\n"
	"exec 3>/dev/ttyS1\n"
	"say() { echo \"$N $*\" >&3; }\n"
	"load() {\n"
	"\tinsmod /m/$1.ko >/tmp/out 2>&1\n"
	"\trc=$?\n"
	"\ttail -n 8 /tmp/out | while IFS= read -r l; do say \"k $l\"; done\n"
	"\tsay r $1 $rc\n"
	"\treturn $rc\n"
	"}\n"
	"say begin\n"
	"dmesg -c >/dev/null\n";

static const char init_tail[] =
	"dmesg | tail -n %d | while IFS= read -r l; do say \"k $l\"; done\n"
	"say end\n"
	"poweroff -f\n";

char *dks_tl_init_script(size_t n, const char *nonce)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, init_head, nonce);
	/* A dependency that fails stops the rest: the module cannot load. */
	for (size_t i = 0; i < n; i++)
		fprintf(f, "load %02zu &&\n", i);
	fputs("true\n", f);
	fprintf(f, init_tail, DKS_TL_LINES_MAX);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int add_file(struct dks_cpio *c, const char *name, mode_t mode, const char *path,
		    size_t max, struct dks_error *err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;

	if (dks_tl_read_file(path, max, &data, &len, err) < 0)
		return -1;
	return dks_cpio_file(c, name, mode, data, len, err);
}

static int add_skeleton(struct dks_cpio *c, const char *busybox, const char *init,
			struct dks_error *err)
{
	static const char *const dirs[] = {"bin", "dev", "proc", "sys", "tmp", "m"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dks_cpio_dir(c, dirs[i], 0755, err) < 0)
			return -1;
	if (add_file(c, "bin/busybox", 0755, busybox, BUSYBOX_MAX, err) < 0)
		return -1;
	return dks_cpio_file(c, "init", 0755, init, strlen(init), err);
}

static int write_all(int fd, const void *p, size_t n, struct dks_error *err)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return dks_err(err, errno, "load test: cannot write the initramfs");
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

int dks_tl_initrd_write(int fd, const char *busybox, const struct dks_tl_module *mods,
			size_t n, const char *nonce, struct dks_error *err)
{
	__attribute__((cleanup(dks_cpio_free))) struct dks_cpio c;
	cleanup_free char *init = dks_tl_init_script(n, nonce);
	char name[16];

	dks_cpio_init(&c, 0);
	if (!init)
		return dks_err(err, ENOMEM, "load test: /init");
	if (n > DKS_TL_SLOTS_MAX)
		return dks_err(err, E2BIG, "load test: %zu modules to load, at most %d", n,
			       DKS_TL_SLOTS_MAX);
	if (add_skeleton(&c, busybox, init, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m/%02zu.ko", i);
		if (add_file(&c, name, 0644, mods[i].path, MODULE_MAX, err) < 0)
			return -1;
	}
	if (dks_cpio_finish(&c, err) < 0)
		return -1;
	return write_all(fd, c.buf, c.len, err);
}
