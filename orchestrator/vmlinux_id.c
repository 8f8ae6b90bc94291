// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the kernel build dir's vmlinux gives a module's build
 * (dks/identity.h, dks_vmlinux_digest). Debian's headers have none; a
 * kernel built from source has one, and then:
 *   - the build keeps the debug info (orchestrator/debuginfo.c looks with
 *     lstat: a vmlinux of any kind, a dangling link too);
 *   - kbuild, when `[ -f vmlinux ]` and CONFIG_DEBUG_INFO_BTF_MODULES,
 *     makes each module's BTF against vmlinux's own (pahole --btf_base
 *     vmlinux, resolve_btfids -b vmlinux): only vmlinux's .BTF section is
 *     read, so only its bytes are digested, not the hundreds of MB of
 *     DWARF beside it.
 * The digest is sha256 over "dks-vmlinux 1" and one of:
 *   "none"                       no vmlinux
 *   "not-a-file"                 a dangling link, a directory, ...
 *   "btf", the .BTF bytes        an ELF of this machine's byte order
 *   "no-btf"                     such an ELF without a .BTF section
 *   "file", the file's sha256    anything else (another byte order, a
 *                                damaged ELF): all of it, to be safe
 * Every offset is checked against the file's size before it is read.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/identity.h"

struct elf {
	int fd;
	uint64_t size;
	bool is64;
};

static bool rd(const struct elf *e, uint64_t off, void *p, size_t n)
{
	return off <= e->size && n <= e->size - off && pread(e->fd, p, n, (off_t)off) == (ssize_t)n;
}

struct shdr {
	uint32_t name, type;
	uint64_t off, size;
};

static bool shdr_at(const struct elf *e, uint64_t shoff, unsigned i, struct shdr *s)
{
	if (e->is64) {
		Elf64_Shdr h;

		if (!rd(e, shoff + (uint64_t)i * sizeof(h), &h, sizeof(h)))
			return false;
		*s = (struct shdr){h.sh_name, h.sh_type, h.sh_offset, h.sh_size};
	} else {
		Elf32_Shdr h;

		if (!rd(e, shoff + (uint64_t)i * sizeof(h), &h, sizeof(h)))
			return false;
		*s = (struct shdr){h.sh_name, h.sh_type, h.sh_offset, h.sh_size};
	}
	return true;
}

/* e_shoff, e_shnum and e_shstrndx; false if not an ELF of our byte order
 * with a section table of the size its class has. */
static bool header(struct elf *e, uint64_t *shoff, unsigned *shnum, unsigned *strndx)
{
	unsigned char id[EI_NIDENT];
	const unsigned char native = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB
										 : ELFDATA2MSB;

	if (!rd(e, 0, id, sizeof(id)) || memcmp(id, ELFMAG, SELFMAG) != 0 ||
	    id[EI_DATA] != native || (id[EI_CLASS] != ELFCLASS64 && id[EI_CLASS] != ELFCLASS32))
		return false;
	e->is64 = id[EI_CLASS] == ELFCLASS64;
	if (e->is64) {
		Elf64_Ehdr h;

		if (!rd(e, 0, &h, sizeof(h)) || h.e_shentsize != sizeof(Elf64_Shdr))
			return false;
		*shoff = h.e_shoff, *shnum = h.e_shnum, *strndx = h.e_shstrndx;
	} else {
		Elf32_Ehdr h;

		if (!rd(e, 0, &h, sizeof(h)) || h.e_shentsize != sizeof(Elf32_Shdr))
			return false;
		*shoff = h.e_shoff, *shnum = h.e_shnum, *strndx = h.e_shstrndx;
	}
	/* 0 sections or SHN_XINDEX: extended numbering, which this does not
	 * read; and the whole table within the file. */
	return *shnum > 0 && *strndx < *shnum && *shoff <= e->size &&
	       (uint64_t)*shnum * (e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) <=
		   e->size - *shoff;
}

/* 1 and .BTF's place, 0 for an ELF without one, -1 for one this does not read. */
static int find_btf(struct elf *e, uint64_t *off, uint64_t *size)
{
	static const char want[] = ".BTF";
	uint64_t shoff;
	unsigned shnum, strndx;
	struct shdr strtab, s;
	char name[sizeof(want)];

	if (!header(e, &shoff, &shnum, &strndx) || !shdr_at(e, shoff, strndx, &strtab) ||
	    strtab.type == SHT_NOBITS)
		return -1;
	for (unsigned i = 0; i < shnum; i++) {
		if (!shdr_at(e, shoff, i, &s))
			return -1;
		if (s.name >= strtab.size || strtab.size - s.name < sizeof(want) ||
		    !rd(e, strtab.off + s.name, name, sizeof(name)) || memcmp(name, want, sizeof(want)))
			continue;
		if (s.type == SHT_NOBITS || s.off > e->size || s.size > e->size - s.off)
			return -1;
		*off = s.off, *size = s.size;
		return 1;
	}
	return 0;
}

static int add_range(struct dks_sha256 *h, int fd, uint64_t off, uint64_t size)
{
	char buf[65536];

	while (size) {
		size_t n = size < sizeof(buf) ? (size_t)size : sizeof(buf);
		ssize_t got = pread(fd, buf, n, (off_t)off);

		if (got <= 0)
			return got < 0 ? -1 : (errno = EIO, -1);
		dks_sha256_add(h, buf, (size_t)got);
		off += (uint64_t)got, size -= (uint64_t)got;
	}
	return 0;
}

/* The record of an open regular file. */
static int add_file(struct dks_sha256 *h, int fd, uint64_t fsize)
{
	struct elf e = {.fd = fd, .size = fsize};
	uint64_t off = 0, size = 0;
	char whole[DKS_SHA256_HEX];

	switch (find_btf(&e, &off, &size)) {
	case 1:
		dks_sha256_str(h, "btf");
		return add_range(h, fd, off, size);
	case 0:
		dks_sha256_str(h, "no-btf");
		return 0;
	default:
		if (lseek(fd, 0, SEEK_SET) < 0 || dks_sha256_fd(fd, whole) < 0)
			return -1;
		dks_sha256_str(h, "file");
		dks_sha256_str(h, whole);
		return 0;
	}
}

int dks_vmlinux_digest(const char *headers, char out[DKS_SHA256_HEX], struct dks_error *err)
{
	struct dks_sha256 *h = dks_sha256_new();
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	struct stat st;
	int rc = 0;

	out[0] = '\0';
	if (!h)
		return dks_err(err, ENOMEM, "%s/vmlinux", headers);
	dks_sha256_str(h, "dks-vmlinux 1");
	if (snprintf(path, sizeof(path), "%s/vmlinux", headers) >= (int)sizeof(path))
		rc = dks_err(err, ENAMETOOLONG, "%s/vmlinux", headers);
	else if (lstat(path, &st) < 0 && errno == ENOENT)
		dks_sha256_str(h, "none");
	else if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno != ENOENT)
		rc = dks_err(err, errno, "%s", path);
	else if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		dks_sha256_str(h, "not-a-file");
	else if (add_file(h, fd, (uint64_t)st.st_size) < 0)
		rc = dks_err(err, errno, "%s: sha256", path);
	if (rc < 0) {
		dks_sha256_free(h);
		return -1;
	}
	return dks_sha256_final(h, out) < 0 ? dks_err(err, ENOMEM, "%s: sha256", path) : 0;
}
