// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Validating a built module before it is signed (installer/validate.h;
 * design.md, security model 5).
 *
 * The .ko comes from a build that ran attacker-controlled code, so this
 * file parses it itself, as bytes: every offset and size read from the
 * image is checked against the image before it is used, integers are read
 * byte by byte (no unaligned or type-punned access), and strings are only
 * used after a NUL has been found inside their section. No library that
 * trusts the ELF it is given (libelf, libkmod) sees the image here.
 *
 * The checks mirror what the kernel's module loader would refuse or
 * silently accept with a taint (kernel/module/main.c, version.c):
 *   - ELF64, ET_REL, the kernel's e_machine, sane section headers;
 *   - exactly one .modinfo, .gnu.linkonce.this_module and __versions
 *     section each: the loader takes the first SHF_ALLOC one, a second
 *     would let us check one and the kernel load another;
 *   - .modinfo name= and the name in struct module both equal the expected
 *     module ('-' and '_' equivalent, as the kernel treats them);
 *   - vermagic= exactly the kernel's (computed from its headers);
 *   - every __versions CRC equal to Module.symvers. A symbol that is not
 *     in the kernel's Module.symvers is accepted: it may be exported by
 *     another out-of-tree module (KBUILD_EXTRA_SYMBOLS), whose CRCs we do
 *     not know; the loader checks those against the exporting module;
 *   - no signature yet ("~Module signature appended~\n" at the end).
 * Extended modversions (__version_ext_*, Linux 6.14+) are not checked.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dks/cleanup.h"
#include "elfbytes.h"
#include "modinfo.h"
#include "validate.h"

#define SIG_MARKER	     "~Module signature appended~\n"
#define MODVERSION_SIZE	     64			   /* struct modversion_info on 64-bit */
#define MODVERSION_NAME	     (MODVERSION_SIZE - 8) /* its char name[] */
#define THIS_MODULE_NAME_OFF 24			   /* struct module: state, list, name */
#define MODULE_NAME_LEN	     (MODVERSION_SIZE - 8) /* MODULE_NAME_LEN on 64-bit */
#define SHOWN_MAX	     96 /* attacker strings shown in messages are cut here */

/* ---- small helpers ------------------------------------------------------ */

/* Copy attacker-controlled bytes into a message: printable ASCII only, so
 * that a log or terminal cannot be fed escape sequences; cut long ones. */
static const char *shown(char buf[SHOWN_MAX + 4], const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && s[i] && o < SHOWN_MAX; i++)
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n && s[i])
		o += (size_t)snprintf(buf + o, 4, "...");
	buf[o] = '\0';
	return buf;
}

/* Module names compare with '-' and '_' equal (the kernel's modname). */
static bool modname_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen && b[i]; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];

		if (x != y)
			return false;
	}
	return i == alen && b[i] == '\0';
}

/* Read a whole small text file (kernel headers: trusted, but capped). */
static char *read_text(const char *path, size_t cap, struct dks_error *err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	cleanup_free char *buf = NULL;
	size_t n = 0;

	if (!f) {
		dks_err(err, errno, "%s", path);
		return NULL;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		dks_err(err, ENOMEM, "%s", path);
		return NULL;
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f) || !feof(f)) {
		dks_err(err, ferror(f) ? EIO : EFBIG, "%s", path);
		return NULL;
	}
	buf[n] = '\0';
	return steal_pointer(&buf);
}

/* ---- kernel facts --------------------------------------------------------- */

/* The raw value of @key in a Kconfig file ("KEY=value" lines), @n bytes
 * up to the line end, or NULL when unset. No allocation: a failure cannot
 * turn an option off (and with it, say, the CRC checks). */
static const char *cfg_find(const char *text, const char *key, size_t *n)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) == 0 && l[klen] == '=') {
			*n = strcspn(l + klen + 1, "\r\n");
			return l + klen + 1;
		}
	}
	return NULL;
}

static bool cfg_yes(const char *text, const char *key)
{
	size_t n;
	const char *v = cfg_find(text, key, &n);

	return v && n == 1 && v[0] == 'y';
}

/* A string value, malloc'd: .config quotes and escapes it, auto.conf
 * (Debian's, and upstream's since 5.x) may not. */
static char *cfg_unquote(const char *v, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		for (size_t i = 1; i < n - 1; i++)
			*o++ = (v[i] == '\\' && i + 1 < n - 1) ? v[++i] : v[i];
	} else {
		memcpy(o, v, n);
		o += n;
	}
	*o = '\0';
	return out;
}

/* The string of `#define NAME "value"` in a generated header, malloc'd. */
static char *header_define(const char *path, const char *name, struct dks_error *err)
{
	cleanup_free char *text = read_text(path, 64 * 1024, err);
	cleanup_free char *pat = NULL;
	const char *p, *end;

	if (!text)
		return NULL;
	if (asprintf(&pat, "#define %s \"", name) < 0) {
		dks_err(err, ENOMEM, "%s", path);
		return NULL;
	}
	p = strstr(text, pat);
	end = p ? strchr(p + strlen(pat), '"') : NULL;
	if (!end || end == p + strlen(pat)) {
		dks_err(err, 0, "%s: no %s string", path, name);
		return NULL;
	}
	p += strlen(pat);
	return strndup(p, (size_t)(end - p));
}

/*
 * The architecture: its ELF machine and its part of the vermagic
 * (arch/ARCH/include/asm/vermagic.h, or asm-generic's ""). Only 64-bit
 * kernels: their modules are ELF64, which is all dks_module_validate reads.
 */
static const struct kernel_arch {
	const char *symbol; /* selects the arch */
	unsigned short machine;
	const char *vermagic;
	const char *cond_symbol[2], *cond_word[2]; /* conditional parts (powerpc) */
} arches[] = {
    {"CONFIG_X86_64", EM_X86_64, "", {NULL}, {NULL}},
    {"CONFIG_ARM64", EM_AARCH64, "aarch64", {NULL}, {NULL}},
    {"CONFIG_RISCV", EM_RISCV, "riscv", {NULL}, {NULL}},
    {"CONFIG_S390", EM_S390, "", {NULL}, {NULL}},
    {"CONFIG_LOONGARCH", EM_LOONGARCH, "", {NULL}, {NULL}},
    {"CONFIG_PPC64",
     EM_PPC64,
     "",
     {"CONFIG_MPROFILE_KERNEL", "CONFIG_RELOCATABLE"},
     {"mprofile-kernel ", "relocatable "}},
};

static const struct kernel_arch *find_arch(const char *config)
{
	if (!cfg_yes(config, "CONFIG_64BIT"))
		return NULL;
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (cfg_yes(config, arches[i].symbol))
			return &arches[i];
	return NULL;
}

/* RANDSTRUCT's part: "RANDSTRUCT_<seed hash>" since Linux 5.19
 * (CONFIG_RANDSTRUCT), "RANDSTRUCT_PLUGIN_<hash>" before. */
static int randstruct_part(const char *headers, const char *config, FILE *vm, struct dks_error *err)
{
	const char *prefix = cfg_yes(config, "CONFIG_RANDSTRUCT") ? "RANDSTRUCT_"
			     : cfg_yes(config, "CONFIG_GCC_PLUGIN_RANDSTRUCT")
				 ? "RANDSTRUCT_PLUGIN_"
				 : NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *seed = NULL;

	if (!prefix)
		return 0;
	if (asprintf(&path, "%s/include/generated/randstruct_hash.h", headers) < 0)
		return dks_err(err, ENOMEM, "%s", headers);
	seed = header_define(path, "RANDSTRUCT_HASHED_SEED", err);
	if (!seed)
		return -1;
	fprintf(vm, "%s%s", prefix, seed);
	return 0;
}

/* VERMAGIC_STRING of include/linux/vermagic.h (the same in 5.16 .. 6.12):
 * UTS_RELEASE " " SMP PREEMPT MODULE_UNLOAD MODVERSIONS ARCH RANDSTRUCT. */
static int compose_vermagic(const char *headers, const char *config, const char *release,
			    const struct kernel_arch *a, char **out, struct dks_error *err)
{
	cleanup_free char *buf = NULL;
	size_t size = 0;
	FILE *vm = open_memstream(&buf, &size);
	int r;

	if (!vm)
		return dks_err(err, errno, "%s: vermagic", headers);
	fprintf(vm, "%s ", release);
	fputs(cfg_yes(config, "CONFIG_SMP") ? "SMP " : "", vm);
	/* Before 5.16 the symbol was CONFIG_PREEMPT, which now selects PREEMPT_BUILD. */
	if (cfg_yes(config, "CONFIG_PREEMPT_BUILD") || cfg_yes(config, "CONFIG_PREEMPT"))
		fputs("preempt ", vm);
	else if (cfg_yes(config, "CONFIG_PREEMPT_RT"))
		fputs("preempt_rt ", vm);
	fputs(cfg_yes(config, "CONFIG_MODULE_UNLOAD") ? "mod_unload " : "", vm);
	fputs(cfg_yes(config, "CONFIG_MODVERSIONS") ? "modversions " : "", vm);
	fputs(a->vermagic, vm);
	for (int i = 0; i < 2; i++)
		if (a->cond_symbol[i] && cfg_yes(config, a->cond_symbol[i]))
			fputs(a->cond_word[i], vm);
	r = randstruct_part(headers, config, vm, err);
	if (fclose(vm) != 0 && r == 0)
		r = dks_err(err, ENOMEM, "%s: vermagic", headers);
	if (r == 0)
		*out = steal_pointer(&buf);
	return r;
}

/* include/config/auto.conf (what kbuild itself reads), or .config when
 * the headers have no auto.conf. */
static char *load_config(const char *headers, struct dks_error *err)
{
	cleanup_free char *path = NULL;

	if (asprintf(&path, "%s/include/config/auto.conf", headers) < 0)
		path = NULL;
	if (path && access(path, F_OK) != 0) {
		free(path);
		if (asprintf(&path, "%s/.config", headers) < 0)
			path = NULL;
	}
	if (!path) {
		dks_err(err, ENOMEM, "%s", headers);
		return NULL;
	}
	return read_text(path, 16 * 1024 * 1024, err);
}

int dks_kernel_facts_config(const char *config, const char *where, struct dks_kernel_facts *k,
			    struct dks_error *err)
{
	const struct kernel_arch *a = find_arch(config);
	const char *hash;
	size_t n;

	if (!a)
		return dks_err(err, 0,
			       "kernel %s (%s): not a 64-bit kernel of a known architecture",
			       k->release, where);
	k->machine = a->machine;
	k->modversions = cfg_yes(config, "CONFIG_MODVERSIONS");
	k->sig_enabled = cfg_yes(config, "CONFIG_MODULE_SIG");
	k->sig_force = cfg_yes(config, "CONFIG_MODULE_SIG_FORCE");
	hash = cfg_find(config, "CONFIG_MODULE_SIG_HASH", &n);
	if (hash && !(k->sig_hash = cfg_unquote(hash, n)))
		return dks_err(err, ENOMEM, "%s", where);
	return 0;
}

static int facts_from_config(const char *headers, const char *config, struct dks_kernel_facts *k,
			     struct dks_error *err)
{
	if (dks_kernel_facts_config(config, headers, k, err) < 0)
		return -1;
	if (asprintf(&k->symvers, "%s/Module.symvers", headers) < 0) {
		k->symvers = NULL;
		return dks_err(err, ENOMEM, "%s", headers);
	}
	if (k->modversions && access(k->symvers, R_OK) != 0)
		return dks_err(err, errno, "kernel %s: %s (needed: CONFIG_MODVERSIONS)", k->release,
			       k->symvers);
	return compose_vermagic(headers, config, k->release, find_arch(config), &k->vermagic, err);
}

int dks_kernel_facts_load(const char *headers, struct dks_kernel_facts *out, struct dks_error *err)
{
	struct dks_kernel_facts k = {0};
	cleanup_free char *uts = NULL;
	cleanup_free char *config = NULL;

	*out = k;
	if (asprintf(&uts, "%s/include/generated/utsrelease.h", headers) < 0)
		return dks_err(err, ENOMEM, "%s", headers);
	/* The real release: Debian's include/config/kernel.release is not it. */
	k.release = header_define(uts, "UTS_RELEASE", err);
	if (!k.release)
		return -1;
	config = load_config(headers, err);
	if (!config || facts_from_config(headers, config, &k, err) < 0) {
		dks_kernel_facts_clear(&k);
		return -1;
	}
	*out = k;
	return 0;
}

void dks_kernel_facts_clear(struct dks_kernel_facts *k)
{
	free(k->release);
	free(k->vermagic);
	free(k->sig_hash);
	free(k->symvers);
	free(k->symvers_text);
	*k = (struct dks_kernel_facts){0};
}

/* ---- the ELF image ---------------------------------------------------------- */

struct elf {
	const unsigned char *p;
	size_t len;
	bool msb;	/* big-endian image */
	uint64_t shoff; /* section header table, checked inside the image */
	unsigned shnum;
	uint64_t str_off; /* section name string table, checked */
	uint64_t str_size;
};

struct sec {
	uint64_t off, size; /* inside the image (size 0 for SHT_NOBITS) */
	uint32_t type;
	uint64_t flags;
};

/* Context of one validation, for messages. */
struct vctx {
	struct elf e;
	const char *expected;
	const struct dks_kernel_facts *k;
	const char *what;
	struct dks_error *err;
};

/* An integer of @width bytes at @off in the image's byte order; 0 outside
 * the image (callers check ranges first; this is the last line). */
static uint64_t rd(const struct elf *e, uint64_t off, size_t width)
{
	return dks_elf_rd(e->p, e->len, e->msb, off, width);
}

#define FIELD_SIZE(type, f) sizeof(((type *)0)->f)
#define EHDR(e, f)	    rd((e), offsetof(Elf64_Ehdr, f), FIELD_SIZE(Elf64_Ehdr, f))
#define SHDR(e, i, f)                                                                              \
	rd((e), (e)->shoff + (uint64_t)(i) * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, f),         \
	   FIELD_SIZE(Elf64_Shdr, f))

static bool in_image(const struct elf *e, uint64_t off, uint64_t size)
{
	return dks_elf_inside(e->len, off, size);
}

__attribute__((format(printf, 2, 3))) static int refuse(const struct vctx *v, const char *fmt, ...)
{
	char msg[DKS_ERROR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err(v->err, 0, "%s for kernel %s: %s", v->what,
		       v->k->release ? v->k->release : "?", msg);
}

static int section_at(const struct vctx *v, unsigned i, struct sec *s)
{
	const struct elf *e = &v->e;

	s->type = (uint32_t)SHDR(e, i, sh_type);
	s->flags = SHDR(e, i, sh_flags);
	s->off = SHDR(e, i, sh_offset);
	s->size = s->type == SHT_NOBITS ? 0 : SHDR(e, i, sh_size);
	if (!in_image(e, s->off, s->size))
		return refuse(v, "section %u lies outside the file", i);
	return 0;
}

/* The name of section @i, NUL-terminated inside the string table, or NULL. */
static const char *section_name(const struct elf *e, unsigned i)
{
	uint64_t n = SHDR(e, i, sh_name);
	const char *s;

	if (n >= e->str_size)
		return NULL;
	s = (const char *)e->p + e->str_off + n;
	return memchr(s, '\0', e->str_size - n) ? s : NULL;
}

static int check_ident(const struct vctx *v)
{
	const unsigned char *id = v->e.p;

	if (v->e.len < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0)
		return refuse(v, "not an ELF file");
	if (id[EI_CLASS] != ELFCLASS64)
		return refuse(v, "not a 64-bit ELF file (class %u)", id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
		return refuse(v, "bad ELF byte order %u", id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return refuse(v, "bad ELF version %u", id[EI_VERSION]);
	if (v->e.len < sizeof(Elf64_Ehdr))
		return refuse(v, "truncated ELF header");
	return 0;
}

static int check_header(struct vctx *v)
{
	struct elf *e = &v->e;
	uint64_t shstrndx;

	if (check_ident(v) < 0)
		return -1;
	e->msb = e->p[EI_DATA] == ELFDATA2MSB;
	if (EHDR(e, e_type) != ET_REL)
		return refuse(v, "not a relocatable object (ELF type %u)",
			      (unsigned)EHDR(e, e_type));
	if (EHDR(e, e_machine) != v->k->machine)
		return refuse(v, "built for ELF machine %u, the kernel's is %u",
			      (unsigned)EHDR(e, e_machine), v->k->machine);
	if (EHDR(e, e_shentsize) != sizeof(Elf64_Shdr))
		return refuse(v, "bad section header size %u", (unsigned)EHDR(e, e_shentsize));
	e->shoff = EHDR(e, e_shoff);
	e->shnum = (unsigned)EHDR(e, e_shnum);
	shstrndx = EHDR(e, e_shstrndx);
	/* shnum 0 and SHN_XINDEX mean "extended numbering": no module needs it. */
	if (e->shnum == 0 || !in_image(e, e->shoff, (uint64_t)e->shnum * sizeof(Elf64_Shdr)))
		return refuse(v, "section headers lie outside the file (truncated?)");
	if (shstrndx == SHN_UNDEF || shstrndx >= e->shnum)
		return refuse(v, "bad section name table index %u", (unsigned)shstrndx);
	return 0;
}

/* Check every section header, and find the one named @names[j] into
 * @found[j] (at most one each). */
static int scan_sections(struct vctx *v, const char *const *names, struct sec *found, bool *have,
			 size_t nnames)
{
	struct elf *e = &v->e;
	struct sec s;

	if (section_at(v, (unsigned)EHDR(e, e_shstrndx), &s) < 0)
		return -1;
	if (s.type != SHT_STRTAB || s.size == 0)
		return refuse(v, "the section name table is not a string table");
	e->str_off = s.off;
	e->str_size = s.size;
	for (unsigned i = 1; i < e->shnum; i++) {
		const char *name = section_name(e, i);

		if (section_at(v, i, &s) < 0)
			return -1;
		if (!name)
			return refuse(v, "section %u has a bad name", i);
		for (size_t j = 0; j < nnames; j++) {
			if (strcmp(name, names[j]) != 0)
				continue;
			if (have[j])
				return refuse(v, "two %s sections", names[j]);
			found[j] = s;
			have[j] = true;
		}
	}
	return 0;
}

/* ---- .modinfo and struct module ------------------------------------------------ */

struct modinfo {
	const char *name, *vermagic; /* NUL-terminated inside the section */
};

/* One "key=value" entry: remember name= and vermagic=, refuse repeats
 * (the loader reads the first; we must read the same one). */
static int modinfo_entry(const struct vctx *v, const char *s, struct modinfo *mi)
{
	static const char *const keys[] = {"name=", "vermagic="};
	const char **slot[] = {&mi->name, &mi->vermagic};

	for (size_t i = 0; i < 2; i++) {
		if (strncmp(s, keys[i], strlen(keys[i])) != 0)
			continue;
		if (*slot[i])
			return refuse(v, ".modinfo has %.*s twice", (int)strlen(keys[i]) - 1,
				      keys[i]);
		*slot[i] = s + strlen(keys[i]);
	}
	return 0;
}

static int parse_modinfo(const struct vctx *v, const struct sec *s, struct modinfo *mi)
{
	const char *p = (const char *)v->e.p + s->off, *end = p + s->size;

	*mi = (struct modinfo){NULL, NULL};
	while (p < end) {
		const char *nul;

		if (*p == '\0') { /* padding between entries */
			p++;
			continue;
		}
		nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul)
			return refuse(v, ".modinfo ends inside an entry");
		if (modinfo_entry(v, p, mi) < 0)
			return -1;
		p = nul + 1;
	}
	return 0;
}

static int check_names(const struct vctx *v, const struct modinfo *mi, const struct sec *this)
{
	char b[SHOWN_MAX + 4];
	const char *mname;

	if (!mi->name)
		return refuse(v, ".modinfo has no name");
	if (!modname_eq(mi->name, strlen(mi->name), v->expected))
		return refuse(v, "module name is \"%s\", expected \"%s\"",
			      shown(b, mi->name, SIZE_MAX), v->expected);
	/* The loader registers the module under struct module's name, not
	 * .modinfo's: both must be the expected one. */
	if (this->size < THIS_MODULE_NAME_OFF + MODULE_NAME_LEN)
		return refuse(v, ".gnu.linkonce.this_module is too small");
	mname = (const char *)v->e.p + this->off + THIS_MODULE_NAME_OFF;
	if (!memchr(mname, '\0', MODULE_NAME_LEN) || !modname_eq(mname, strlen(mname), v->expected))
		return refuse(v, "struct module name is \"%s\", expected \"%s\"",
			      shown(b, mname, MODULE_NAME_LEN), v->expected);
	return 0;
}

/* Every entry against its grammar (modinfo.h): depmod copies them into
 * files that root's tools read as configuration. */
static int check_modinfo_grammar(const struct vctx *v, const struct sec *s)
{
	struct dks_modinfo_fault f;
	char what[DKS_MODINFO_KEY_MAX + 16], shown_byte[8] = "";

	if (dks_modinfo_check((const char *)v->e.p + s->off, s->size, &f) == 0)
		return 0;
	if (!f.why || (!f.key[0] && !f.in_key))
		return refuse(v, ".modinfo: %s", f.why ? f.why : "malformed");
	snprintf(what, sizeof(what), f.in_key ? "key \"%s\"" : "%s", f.key);
	if (f.at_end)
		return refuse(v, ".modinfo %s: ends too early at offset %zu (%s)", what, f.off,
			      f.why);
	if (f.byte > 0x20 && f.byte < 0x7f)
		snprintf(shown_byte, sizeof(shown_byte), " ('%c')", f.byte);
	return refuse(v, ".modinfo %s: byte 0x%02x%s at offset %zu is not allowed (%s)", what,
		      f.byte, shown_byte, f.off, f.why);
}

static int check_vermagic(const struct vctx *v, const struct modinfo *mi)
{
	char b[SHOWN_MAX + 4];

	if (!v->k->vermagic)
		return refuse(v, "the kernel's vermagic is unknown");
	if (!mi->vermagic)
		return refuse(v, ".modinfo has no vermagic");
	if (strcmp(mi->vermagic, v->k->vermagic) != 0)
		return refuse(v, "vermagic \"%s\" is not the kernel's \"%s\"",
			      shown(b, mi->vermagic, SIZE_MAX), v->k->vermagic);
	return 0;
}

/* ---- __versions against Module.symvers ------------------------------------------ */

struct ver {
	const char *name; /* inside the image, NUL-terminated */
	uint64_t crc;	  /* as the module has it */
	uint32_t want;	  /* Module.symvers's, when known */
	bool known;
	size_t index; /* position in __versions, to report the first bad one */
};

static int ver_by_name(const void *a, const void *b)
{
	return strcmp(((const struct ver *)a)->name, ((const struct ver *)b)->name);
}

static int read_versions(const struct vctx *v, const struct sec *s, struct ver *vers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t off = s->off + i * MODVERSION_SIZE;
		const char *name = (const char *)v->e.p + off + 8;

		if (!memchr(name, '\0', MODVERSION_NAME) || !*name)
			return refuse(v, "__versions entry %zu has a bad name", i);
		vers[i] = (struct ver){name, rd(&v->e, off, 8), 0, false, i};
	}
	qsort(vers, n, sizeof(*vers), ver_by_name);
	for (size_t i = 1; i < n; i++)
		if (strcmp(vers[i - 1].name, vers[i].name) == 0)
			return refuse(v, "__versions lists %s twice", vers[i].name);
	return 0;
}

/* One "0xCRC\tsymbol\tmodule\tEXPORT_...[\tnamespace]" line: fill in the
 * CRC of a symbol the module uses. 0: fine, -1: malformed. */
static int symvers_line(char *line, struct ver *vers, size_t n)
{
	char *end, *sym, *tab;
	unsigned long crc;
	struct ver key, *hit;

	if (strncmp(line, "0x", 2) != 0)
		return -1;
	errno = 0;
	crc = strtoul(line + 2, &end, 16);
	if (errno || end == line + 2 || *end != '\t' || crc > UINT32_MAX)
		return -1;
	sym = end + 1;
	tab = strchr(sym, '\t');
	if (!tab || tab == sym)
		return -1;
	*tab = '\0';
	key.name = sym;
	hit = bsearch(&key, vers, n, sizeof(*vers), ver_by_name);
	if (hit) {
		hit->want = (uint32_t)crc;
		hit->known = true;
	}
	return 0;
}

/* Stream Module.symvers once, looking each symbol up among the module's
 * (sorted) few instead of building a table of the kernel's ~30000. */
static int load_wanted(const struct vctx *v, struct ver *vers, size_t n)
{
	cleanup_fclose FILE *f = v->k->symvers_text
					 ? fmemopen(v->k->symvers_text, strlen(v->k->symvers_text), "r")
					 : fopen(v->k->symvers, "re");
	cleanup_free char *line = NULL;
	size_t cap = 0, lineno = 0;

	if (v->k->symvers_text && !*v->k->symvers_text)
		return 0; /* no CRC known: nothing to compare */
	if (!f)
		return dks_err(v->err, errno, "kernel %s: %s", v->k->release, v->k->symvers);
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (symvers_line(line, vers, n) < 0)
			return dks_err(v->err, 0, "%s:%zu: not a Module.symvers line",
				       v->k->symvers, lineno);
	}
	if (ferror(f))
		return dks_err(v->err, EIO, "%s", v->k->symvers);
	return 0;
}

static int check_versions(const struct vctx *v, const struct sec *s, bool have)
{
	cleanup_free struct ver *vers = NULL;
	size_t n, bad = SIZE_MAX;

	if (!v->k->modversions)
		return 0;
	if (!have)
		return refuse(v, "no __versions section (symbol CRCs), but the kernel has "
				 "CONFIG_MODVERSIONS");
	if (s->size % MODVERSION_SIZE)
		return refuse(v, "__versions size %llu is not a multiple of %d",
			      (unsigned long long)s->size, MODVERSION_SIZE);
	n = (size_t)(s->size / MODVERSION_SIZE);
	vers = calloc(n ? n : 1, sizeof(*vers));
	if (!vers)
		return dks_err(v->err, ENOMEM, "%s: __versions", v->what);
	if (read_versions(v, s, vers, n) < 0 || load_wanted(v, vers, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (vers[i].known && vers[i].crc != vers[i].want &&
		    (bad == SIZE_MAX || vers[i].index < vers[bad].index))
			bad = i;
	if (bad != SIZE_MAX)
		return refuse(v, "symbol %s has CRC 0x%08llx, %s says 0x%08x", vers[bad].name,
			      (unsigned long long)vers[bad].crc, v->k->symvers, vers[bad].want);
	return 0;
}

/* ---- the whole check ------------------------------------------------------------ */

enum { SEC_MODINFO, SEC_THIS_MODULE, SEC_VERSIONS, SEC_COUNT };

static int check_sections(struct vctx *v)
{
	static const char *const names[SEC_COUNT] = {".modinfo", ".gnu.linkonce.this_module",
						     "__versions"};
	struct sec s[SEC_COUNT] = {0};
	bool have[SEC_COUNT] = {false};
	struct modinfo mi;

	if (scan_sections(v, names, s, have, SEC_COUNT) < 0)
		return -1;
	for (int i = 0; i < SEC_COUNT; i++) {
		/* The loader only looks at SHF_ALLOC sections of these names. */
		if (have[i] && (!(s[i].flags & SHF_ALLOC) || s[i].type == SHT_NOBITS))
			return refuse(v, "%s is not an allocated section with data", names[i]);
		if (!have[i] && i != SEC_VERSIONS)
			return refuse(v, "no %s section: not a kernel module", names[i]);
	}
	if (check_modinfo_grammar(v, &s[SEC_MODINFO]) < 0 ||
	    parse_modinfo(v, &s[SEC_MODINFO], &mi) < 0 ||
	    check_names(v, &mi, &s[SEC_THIS_MODULE]) < 0 || check_vermagic(v, &mi) < 0)
		return -1;
	return check_versions(v, &s[SEC_VERSIONS], have[SEC_VERSIONS]);
}

int dks_module_validate(const void *ko, size_t len, const char *expected,
			const struct dks_kernel_facts *k, const char *what, struct dks_error *err)
{
	struct vctx v = {{ko, len, false, 0, 0, 0, 0}, expected, k, what ? what : expected, err};
	size_t mlen = strlen(SIG_MARKER);

	/* Signing comes after validation: a signature already there was made
	 * by someone else's key, and signing again would hide it. */
	if (len >= mlen && memcmp((const char *)ko + len - mlen, SIG_MARKER, mlen) == 0)
		return refuse(&v, "already signed (ends with the module signature marker)");
	if (check_header(&v) < 0)
		return -1;
	return check_sections(&v);
}

/* ---- version and srcversion (the install's version check) ----------------- */

/* @key's value in a .modinfo section, printable ASCII, into @out (cut to
 * @size); "" when absent. The first entry counts, as modinfo's. */
static void modinfo_value(const char *sec, size_t n, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	out[0] = 0;
	for (size_t off = 0; off < n;) {
		const char *s = sec + off, *end = memchr(s, '\0', n - off);
		size_t len = end ? (size_t)(end - s) : n - off;

		if (len > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			size_t i = 0;

			for (const char *p = s + klen + 1; p < s + len && i + 1 < size; p++)
				out[i++] = *p > ' ' && *p < 0x7f ? *p : '?';
			out[i] = 0;
			return;
		}
		off += len + 1;
	}
}

int dks_module_verinfo(const void *ko, size_t len, struct dks_verinfo *vi)
{
	static const char *const names[] = {".modinfo"};
	struct dks_kernel_facts any = {0};
	struct dks_error ignored = {0};
	struct vctx v = {{ko, len, false, 0, 0, 0, 0}, NULL, &any, "module", &ignored};
	struct sec s = {0};
	bool have = false;

	*vi = (struct dks_verinfo){0};
	if (check_ident(&v) < 0)
		return -1;
	v.e.msb = v.e.p[EI_DATA] == ELFDATA2MSB;
	any.machine = (unsigned short)EHDR(&v.e, e_machine); /* whatever it is built for */
	if (check_header(&v) < 0 || scan_sections(&v, names, &s, &have, 1) < 0 || !have)
		return -1;
	modinfo_value((const char *)v.e.p + s.off, s.size, "version", vi->version,
		      sizeof(vi->version));
	modinfo_value((const char *)v.e.p + s.off, s.size, "srcversion", vi->srcversion,
		      sizeof(vi->srcversion));
	modinfo_value((const char *)v.e.p + s.off, s.size, "name", vi->name, sizeof(vi->name));
	modinfo_value((const char *)v.e.p + s.off, s.size, "depends", vi->depends,
		      sizeof(vi->depends));
	return 0;
}

/* ---- the sections the headerless facts read (hostfacts.c) ----------------- */

int dks_module_sections(const void *ko, size_t len, struct dks_modsecs *out)
{
	static const char *const names[] = {".modinfo", "__versions"};
	struct dks_kernel_facts any = {0};
	struct dks_error ignored = {0};
	struct vctx v = {{ko, len, false, 0, 0, 0, 0}, NULL, &any, "module", &ignored};
	struct sec s[2] = {0};
	bool have[2] = {false};

	*out = (struct dks_modsecs){0};
	if (check_ident(&v) < 0)
		return -1;
	v.e.msb = v.e.p[EI_DATA] == ELFDATA2MSB;
	any.machine = (unsigned short)EHDR(&v.e, e_machine);
	if (check_header(&v) < 0 || scan_sections(&v, names, s, have, 2) < 0 || !have[0])
		return -1;
	out->machine = any.machine;
	out->msb = v.e.msb;
	out->modinfo = (const char *)v.e.p + s[0].off;
	out->modinfo_len = (size_t)s[0].size;
	if (have[1] && s[1].size % MODVERSION_SIZE == 0) {
		out->versions = v.e.p + s[1].off;
		out->n_versions = (size_t)(s[1].size / MODVERSION_SIZE);
	}
	return 0;
}
