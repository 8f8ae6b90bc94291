// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A kernel's facts on a host without its headers (validate.h,
 * dks_kernel_facts_host; docs/install.md "Fleet hosts"): what the
 * kernel's own modules say and its config in the boot directory.
 *
 * The kernel's modules below <installtree>/<kver>/kernel are the
 * distribution's, root's: trusted as the headers are. They are still read
 * as bytes through validate.c's checked ELF reader (a damaged file is
 * skipped with its name, not trusted), the walk follows no link and goes
 * no deeper than DEPTH_MAX, and each file is capped at DKS_MODULE_MAX.
 *
 *   vermagic   every module's vermagic=; all must agree, and its first
 *              word must be the kernel release
 *   CRCs       every module's __versions entries: what it imports from
 *              vmlinux and from the others, with the CRC it was built
 *              against; a symbol imported with two CRCs is left unknown
 *   config     <boot_dir>/config-<kver>: MODVERSIONS, MODULE_SIG*, the hash
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "dks/handoff.h"
#include "validate.h"

#define DEPTH_MAX  16
#define CRC_NAME   56 /* struct modversion_info's name[] on 64-bit */
#define CONFIG_MAX (16L * 1024 * 1024)

struct crc {
	char name[CRC_NAME];
	uint32_t crc;
};

struct learn {
	const char *kver;
	char *vermagic;
	char first[PATH_MAX]; /* the module that set it, for messages */
	unsigned short machine;
	struct crc *crcs;
	size_t n, cap, modules;
	struct dks_error *err;
};

/* The first vermagic= of a .modinfo, or NULL. */
static char *modinfo_vermagic(const struct dks_modsecs *s)
{
	for (size_t off = 0; off < s->modinfo_len;) {
		const char *e = s->modinfo + off;
		const char *nul = memchr(e, '\0', s->modinfo_len - off);
		size_t len = nul ? (size_t)(nul - e) : s->modinfo_len - off;

		if (nul && len > 9 && strncmp(e, "vermagic=", 9) == 0)
			return strndup(e + 9, len - 9);
		off += len + 1;
	}
	return NULL;
}

static int add_crc(struct learn *l, const char *name, uint32_t crc)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4096;
		struct crc *n = realloc(l->crcs, cap * sizeof(*n));

		if (!n)
			return dks_err(l->err, ENOMEM, "kernel %s: CRCs", l->kver);
		l->crcs = n;
		l->cap = cap;
	}
	memcpy(l->crcs[l->n].name, name, strlen(name) + 1);
	l->crcs[l->n++].crc = crc;
	return 0;
}

static int learn_versions(struct learn *l, const struct dks_modsecs *s)
{
	for (size_t i = 0; i < s->n_versions; i++) {
		const unsigned char *e = s->versions + i * 64;
		const char *name = (const char *)e + 8;
		uint64_t crc = 0;

		if (!memchr(name, '\0', CRC_NAME) || !*name)
			continue;
		for (int b = 0; b < 8; b++)
			crc = crc << 8 | e[s->msb ? b : 7 - b];
		if (crc <= UINT32_MAX && add_crc(l, name, (uint32_t)crc) < 0)
			return -1;
	}
	return 0;
}

/* One of the kernel's modules, uncompressed. */
static int learn_module(struct learn *l, const char *path, const void *ko, size_t len)
{
	struct dks_modsecs s;
	cleanup_free char *vm = NULL;

	if (dks_module_sections(ko, len, &s) < 0 || !(vm = modinfo_vermagic(&s))) {
		fprintf(stderr, "dkms-sandbox: warning: %s: not a module, skipped\n", path);
		return 0;
	}
	if (!l->vermagic) {
		l->vermagic = steal_pointer(&vm);
		l->machine = s.machine;
		snprintf(l->first, sizeof(l->first), "%s", path);
	} else if (strcmp(vm, l->vermagic) != 0 || s.machine != l->machine) {
		return dks_err(l->err, 0,
			       "kernel %s: its own modules disagree: %s has vermagic \"%.96s\", "
			       "%s \"%.96s\"",
			       l->kver, l->first, l->vermagic, path, vm);
	}
	l->modules++;
	return learn_versions(l, &s);
}

/* A module file's name: *.ko, *.ko.xz, *.ko.zst (gzip is not read back). */
static bool module_name(const char *name)
{
	const char *ko = strstr(name, ".ko");

	while (ko && strstr(ko + 1, ".ko"))
		ko = strstr(ko + 1, ".ko");
	return ko && ko != name &&
	       (!ko[3] || strcmp(ko + 3, ".xz") == 0 || strcmp(ko + 3, ".zst") == 0);
}

static int read_module(struct learn *l, int dfd, const char *name, const char *path)
{
	enum dks_compression c = dks_compression_of(name);
	cleanup_close int fd = -1;
	cleanup_free void *buf = NULL, *plain = NULL;
	size_t plain_len = 0;
	struct stat st;

	if (!module_name(name))
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > DKS_MODULE_MAX)
		return 0; /* a link, a special file, an empty one: not the kernel's module */
	buf = malloc((size_t)st.st_size);
	if (!buf || dks_read_full(fd, buf, (size_t)st.st_size) != st.st_size)
		return dks_err(l->err, errno ? errno : EIO, "%s", path);
	if (c == DKS_COMPRESS_NONE)
		return learn_module(l, path, buf, (size_t)st.st_size);
	if (dks_decompress(c, buf, (size_t)st.st_size, DKS_MODULE_MAX, &plain, &plain_len, l->err) <
	    0)
		return dks_err_prefix(l->err, "%s", path);
	return learn_module(l, path, plain, plain_len);
}

static int walk(struct learn *l, int dfd, const char *path, int depth)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (depth > DEPTH_MAX)
		return dks_err(l->err, 0, "%s: deeper than %d directories", path, DEPTH_MAX);
	d = fdopendir(dfd);
	if (!d)
		return close(dfd), dks_err(l->err, errno, "%s", path);
	while (ret == 0 && (de = readdir(d))) {
		char sub[PATH_MAX];
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			ret = walk(l, fd, sub, depth + 1);
		else
			ret = read_module(l, dirfd(d), de->d_name, sub);
	}
	closedir(d);
	return ret;
}

static int by_name_crc(const void *a, const void *b)
{
	const struct crc *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->crc > y->crc) - (x->crc < y->crc);
}

/* Module.symvers lines, one per symbol imported with one CRC only. */
static char *symvers_text(struct learn *l)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	if (l->n)
		qsort(l->crcs, l->n, sizeof(*l->crcs), by_name_crc);
	for (size_t i = 0, j; i < l->n; i = j) {
		bool agree = true;

		for (j = i + 1; j < l->n && strcmp(l->crcs[j].name, l->crcs[i].name) == 0; j++)
			agree = agree && l->crcs[j].crc == l->crcs[i].crc;
		if (agree)
			fprintf(f, "0x%08x\t%s\tkernel\tEXPORT_SYMBOL\n", l->crcs[i].crc,
				l->crcs[i].name);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int learn_config(const char *boot_dir, const char *kver, struct dks_kernel_facts *k,
			struct dks_error *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	cleanup_free char *text = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "%s/config-%s", boot_dir, kver);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) /* neither: dkms's 21 for a kernel without headers */
		return dks_err_code(err, errno == ENOENT ? DKS_EXIT_NO_HEADERS : 0, errno,
				    "kernel %s: no headers, and no config at %s", kver, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX)
		return dks_err(err, 0, "%s: not a kernel config", path);
	text = calloc(1, (size_t)st.st_size + 1);
	if (!text || dks_read_full(fd, text, (size_t)st.st_size) != st.st_size)
		return dks_err(err, errno ? errno : EIO, "%s", path);
	return dks_kernel_facts_config(text, path, k, err);
}

static int learn_modules(struct learn *l, const char *install_tree, struct dks_kernel_facts *k)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s/%s/kernel", install_tree, l->kver);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || walk(l, fd, dir, 0) < 0)
		return fd < 0 ? dks_err(l->err, errno,
					"kernel %s: no headers, and no modules of "
					"its own at %s",
					l->kver, dir)
			      : -1;
	if (!l->modules)
		return dks_err(l->err, 0,
			       "kernel %s: no headers, and no module below %s to learn "
			       "its vermagic from",
			       l->kver, dir);
	if (strncmp(l->vermagic, l->kver, strlen(l->kver)) != 0 ||
	    l->vermagic[strlen(l->kver)] != ' ')
		return dks_err(l->err, 0, "%s: vermagic \"%.96s\" is not kernel %s's", l->first,
			       l->vermagic, l->kver);
	if (l->machine != k->machine)
		return dks_err(l->err, 0, "%s: ELF machine %u, its config says %u", l->first,
			       l->machine, k->machine);
	if (asprintf(&k->symvers, "the kernel's own modules (%s)", dir) < 0 ||
	    !(k->symvers_text = symvers_text(l)))
		return dks_err(l->err, ENOMEM, "kernel %s", l->kver);
	k->vermagic = steal_pointer(&l->vermagic);
	return 0;
}

int dks_kernel_facts_host(const char *install_tree, const char *kver, const char *boot_dir,
			  struct dks_kernel_facts *out, struct dks_error *err)
{
	struct dks_kernel_facts k = {.release = strdup(kver)};
	struct learn l = {.kver = kver, .err = err};
	int ret = k.release ? 0 : dks_err(err, ENOMEM, "kernel %s", kver);

	if (ret == 0)
		ret = learn_config(boot_dir ? boot_dir : "/boot", kver, &k, err);
	if (ret == 0)
		ret = learn_modules(&l, install_tree, &k);
	free(l.vermagic);
	free(l.crcs);
	if (ret < 0)
		dks_kernel_facts_clear(&k);
	*out = k;
	return ret;
}

int dks_kernel_facts_for(const char *headers, const char *install_tree, const char *kver,
			 const char *boot_dir, struct dks_kernel_facts *out, struct dks_error *err)
{
	struct stat st;

	if (headers && stat(headers, &st) == 0 && S_ISDIR(st.st_mode))
		return dks_kernel_facts_load(headers, out, err);
	return dks_kernel_facts_host(install_tree, kver, boot_dir, out, err);
}
