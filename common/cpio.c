// SPDX-License-Identifier: GPL-2.0-or-later
/* The initramfs writer (include/dks/cpio.h): cpio newc in memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dks/cpio.h"

#define CPIO_DEFAULT_MAX (1024UL * 1024 * 1024)
#define CPIO_NAME_MAX 4096

void dks_cpio_init(struct dks_cpio *c, size_t max)
{
	*c = (struct dks_cpio){.max = max ? max : CPIO_DEFAULT_MAX, .ino = 1};
}

void dks_cpio_free(struct dks_cpio *c)
{
	free(c->buf);
	*c = (struct dks_cpio){0};
}

/* A name the kernel's unpacker would place inside its root only. */
static int check_name(const char *name, struct dks_error *err)
{
	const char *p = name;

	if (!*name || *name == '/' || strlen(name) >= CPIO_NAME_MAX)
		return dks_err(err, EINVAL, "initramfs entry '%s': not a relative name", name);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return dks_err(err, EINVAL,
				       "initramfs entry '%s': an empty, '.' or '..' part", name);
		p += n;
		p += *p == '/';
		if (!*p && p[-1] == '/')
			return dks_err(err, EINVAL, "initramfs entry '%s': ends with '/'", name);
	}
	return 0;
}

static int append(struct dks_cpio *c, const void *data, size_t len, struct dks_error *err)
{
	size_t need = c->len + len;

	if (need < c->len || need > c->max)
		return dks_err(err, EFBIG, "initramfs: more than %zu bytes", c->max);
	if (need > c->cap) {
		size_t cap = c->cap ? c->cap : 64 * 1024;
		unsigned char *p;

		while (cap < need)
			cap *= 2;
		if (!(p = realloc(c->buf, cap)))
			return dks_err(err, ENOMEM, "initramfs");
		c->buf = p;
		c->cap = cap;
	}
	if (len)
		memcpy(c->buf + c->len, data, len);
	c->len = need;
	return 0;
}

/* newc pads the header + name, and the data, to 4 bytes. */
static int pad4(struct dks_cpio *c, struct dks_error *err)
{
	static const char zeros[4];

	return append(c, zeros, (4 - c->len % 4) % 4, err);
}

static int entry(struct dks_cpio *c, const char *name, mode_t mode, const void *data,
		 size_t len, struct dks_error *err)
{
	char hdr[111];
	size_t namesize = strlen(name) + 1;

	if (len > 0xffffffffUL)
		return dks_err(err, EFBIG, "initramfs entry '%s'", name);
	/* magic ino mode uid gid nlink mtime filesize devmajor devminor
	 * rdevmajor rdevminor namesize check: root's, mtime 0 (the same
	 * input makes the same archive) */
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->ino++, (unsigned)mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)len, 0u, 0u,
		 0u, 0u, (unsigned)namesize, 0u);
	if (append(c, hdr, 110, err) < 0 || append(c, name, namesize, err) < 0 ||
	    pad4(c, err) < 0 || append(c, data, len, err) < 0 || pad4(c, err) < 0)
		return -1;
	return 0;
}

int dks_cpio_dir(struct dks_cpio *c, const char *name, mode_t perm, struct dks_error *err)
{
	if (check_name(name, err) < 0)
		return -1;
	return entry(c, name, S_IFDIR | (perm & 07777), NULL, 0, err);
}

int dks_cpio_file(struct dks_cpio *c, const char *name, mode_t perm, const void *data,
		  size_t len, struct dks_error *err)
{
	if (check_name(name, err) < 0)
		return -1;
	/* No setuid, setgid or sticky bit: nothing in the VM needs them. */
	return entry(c, name, S_IFREG | (perm & 0777), data, len, err);
}

int dks_cpio_symlink(struct dks_cpio *c, const char *name, const char *target,
		     struct dks_error *err)
{
	if (check_name(name, err) < 0)
		return -1;
	return entry(c, name, S_IFLNK | 0777, target, strlen(target), err);
}

int dks_cpio_finish(struct dks_cpio *c, struct dks_error *err)
{
	return entry(c, "TRAILER!!!", 0, NULL, 0, err);
}
