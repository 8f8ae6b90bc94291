// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The archive manifest's one parser and its writer (include/dks/manifest.h).
 * The bytes come from an archive anyone may have made: the parser reads
 * them as data only, line by line, with a table of the keys it knows; it
 * refuses what it does not understand rather than skip it, so that two
 * readers can never see two different manifests in the same bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dks/manifest.h"
#include "dks/treename.h"

enum kind { K_NAME, K_TEXT, K_HEX, K_TOOLCHAIN, K_KO };

/* The keys of a kernel block, each at most once (a "ko" line is many). */
struct key {
	const char *name;
	enum kind kind;
	size_t off; /* in struct dks_manifest_kernel */
	bool required;
};

#define KOFF(f) offsetof(struct dks_manifest_kernel, f)
static const struct key kernel_keys[] = {
    {"vermagic", K_TEXT, KOFF(vermagic), true},
    {"config", K_HEX, KOFF(config), true},
    {"symvers", K_HEX, KOFF(symvers), true},
    {"vmlinux", K_HEX, KOFF(vmlinux), false}, /* optional: older archives have none */
    {"toolchain", K_TOOLCHAIN, KOFF(toolchain), true},
    {"source", K_HEX, KOFF(source), true},
    {"spec", K_HEX, KOFF(spec), true},
    {"unit", K_HEX, KOFF(unit), true},
    {"ko", K_KO, 0, false},
};
#define N_KEYS (sizeof(kernel_keys) / sizeof(kernel_keys[0]))

struct parser {
	const char *what;
	unsigned long line;
	struct dks_manifest *m;
	struct dks_manifest_kernel *k; /* the open kernel block */
	unsigned seen;                 /* kernel_keys bits seen in it */
	struct dks_error *err;
};

__attribute__((format(printf, 2, 3))) static int bad(struct parser *p, const char *fmt, ...)
{
	char msg[DKS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err(p->err, 0, "%s:%lu: %s", p->what, p->line, msg);
}

/* "-" is an absent digest; else exactly 64 lowercase hex digits. */
static int hex_value(struct parser *p, const char *v, char out[DKS_MANIFEST_HEX])
{
	if (strcmp(v, "-") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (strlen(v) != DKS_MANIFEST_HEX - 1 || strspn(v, "0123456789abcdef") != strlen(v))
		return bad(p, "'%.80s' is not a sha256 (64 lowercase hex digits, or '-')", v);
	memcpy(out, v, DKS_MANIFEST_HEX);
	return 0;
}

/* A ko path: module/<name>.ko below the kernel's directory, nothing else. */
static bool ko_path_ok(const char *path)
{
	const char *name = strncmp(path, "module/", 7) == 0 ? path + 7 : NULL;
	size_t n = name ? strlen(name) : 0;

	return name && n > 3 && strcmp(name + n - 3, ".ko") == 0 &&
	       dks_tree_check_name("module", name, NULL) == 0;
}

/* "ko PATH SHA256 -" or "ko PATH SHA256 SIGNER...". */
static int ko_line(struct parser *p, char *v)
{
	char *path = v, *hex = strchr(v, ' '), *signer;
	struct dks_manifest_ko *ko, *grown;

	signer = hex ? strchr(hex + 1, ' ') : NULL;
	if (!signer)
		return bad(p, "'ko' takes PATH SHA256 SIGNER (or '-')");
	*hex++ = '\0';
	*signer++ = '\0';
	if (!ko_path_ok(path))
		return bad(p, "'%.80s' is not module/NAME.ko", path);
	for (size_t i = 0; i < p->k->n_kos; i++)
		if (strcmp(p->k->kos[i].path, path) == 0)
			return bad(p, "'%s' listed twice", path);
	if (p->k->n_kos >= DKS_MANIFEST_KOS_MAX)
		return bad(p, "more than %d modules for one kernel", DKS_MANIFEST_KOS_MAX);
	grown = realloc(p->k->kos, (p->k->n_kos + 1) * sizeof(*grown));
	if (!grown)
		return dks_err(p->err, ENOMEM, "%s", p->what);
	p->k->kos = grown;
	ko = memset(&grown[p->k->n_kos++], 0, sizeof(*ko));
	if (hex_value(p, hex, ko->sha256) < 0)
		return -1;
	if (!ko->sha256[0])
		return bad(p, "'%s' needs its sha256", path);
	ko->path = strdup(path);
	ko->signer = strcmp(signer, "-") == 0 ? NULL : strdup(signer);
	return ko->path ? 0 : dks_err(p->err, ENOMEM, "%s", p->what);
}

static int kernel_value(struct parser *p, const struct key *key, char *v)
{
	char *field = (char *)p->k + key->off, *space;

	switch (key->kind) {
	case K_HEX: return hex_value(p, v, field);
	case K_KO: return ko_line(p, v);
	case K_TOOLCHAIN:
		/* "toolchain SHA256 LABEL...": the label is for humans */
		space = strchr(v, ' ');
		if (space)
			*space++ = '\0';
		if (hex_value(p, v, field) < 0)
			return -1;
		p->k->toolchain_label = strdup(space ? space : "");
		return p->k->toolchain_label ? 0 : dks_err(p->err, ENOMEM, "%s", p->what);
	default:
		*(char **)field = strdup(v);
		return *(char **)field ? 0 : dks_err(p->err, ENOMEM, "%s", p->what);
	}
}

/* The open kernel block ends: every required key was there. */
static int close_kernel(struct parser *p)
{
	if (!p->k)
		return 0;
	for (size_t i = 0; i < N_KEYS; i++)
		if (kernel_keys[i].required && !(p->seen & (1u << i)))
			return bad(p, "kernel %s/%s has no '%s'", p->k->kver, p->k->arch,
				   kernel_keys[i].name);
	if (!p->k->n_kos)
		return bad(p, "kernel %s/%s lists no module", p->k->kver, p->k->arch);
	p->k = NULL;
	return 0;
}

/* "kernel KVER/ARCH" opens a block. */
static int open_kernel(struct parser *p, char *v)
{
	char *slash = strchr(v, '/');
	struct dks_manifest_kernel *grown;

	if (close_kernel(p) < 0)
		return -1;
	if (!p->m->module || !p->m->version)
		return bad(p, "'kernel' before 'module' and 'version'");
	if (!slash || dks_tree_check_name("arch", slash + 1, NULL) < 0)
		return bad(p, "'kernel' takes KVER/ARCH");
	*slash = '\0';
	if (dks_tree_check_name("kernel", v, NULL) < 0)
		return bad(p, "'%.80s' is not a kernel name", v);
	if (dks_manifest_kernel(p->m, v, slash + 1))
		return bad(p, "kernel %s/%s listed twice", v, slash + 1);
	if (p->m->n_kernels >= DKS_MANIFEST_KERNELS_MAX)
		return bad(p, "more than %d kernels", DKS_MANIFEST_KERNELS_MAX);
	grown = realloc(p->m->kernels, (p->m->n_kernels + 1) * sizeof(*grown));
	if (!grown)
		return dks_err(p->err, ENOMEM, "%s", p->what);
	p->m->kernels = grown;
	p->k = memset(&grown[p->m->n_kernels++], 0, sizeof(*p->k));
	p->seen = 0;
	p->k->kver = strdup(v);
	p->k->arch = strdup(slash + 1);
	return p->k->kver && p->k->arch ? 0 : dks_err(p->err, ENOMEM, "%s", p->what);
}

/* "module M" / "version V", once each, before any kernel. */
static int head_value(struct parser *p, const char *key, char **field, const char *v)
{
	if (*field || p->k)
		return bad(p, "'%s' repeated or after a kernel", key);
	if (dks_tree_check_name(key, v, NULL) < 0)
		return bad(p, "'%.80s' is not a %s name", v, key);
	*field = strdup(v);
	return *field ? 0 : dks_err(p->err, ENOMEM, "%s", p->what);
}

static int one_line(struct parser *p, char *key, char *v)
{
	if (strcmp(key, "module") == 0)
		return head_value(p, "module", &p->m->module, v);
	if (strcmp(key, "version") == 0)
		return head_value(p, "version", &p->m->version, v);
	if (strcmp(key, "kernel") == 0)
		return open_kernel(p, v);
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(key, kernel_keys[i].name) != 0)
			continue;
		if (!p->k)
			return bad(p, "'%s' outside a kernel block", key);
		if (kernel_keys[i].kind != K_KO && (p->seen & (1u << i)))
			return bad(p, "'%s' repeated", key);
		p->seen |= 1u << i;
		return kernel_value(p, &kernel_keys[i], v);
	}
	return bad(p, "unknown key '%.40s'", key);
}

/* One line, NUL-terminated, without its '\n': only printable bytes (UTF-8
 * is allowed in values; no control character, no CR). */
static int split_line(struct parser *p, char *line, char **v)
{
	char *sp;

	for (const char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return bad(p, "control character");
	sp = strchr(line, ' ');
	if (sp)
		*sp = '\0';
	*v = sp ? sp + 1 : NULL;
	if (!*line)
		return bad(p, "empty line or leading space");
	return 0;
}

static int parse_lines(struct parser *p, char *text, size_t len)
{
	char *line = text, *end = text + len, *v = NULL;
	bool done = false;

	for (p->line = 1; line < end; p->line++) {
		char *nl = memchr(line, '\n', (size_t)(end - line));

		if (!nl)
			return bad(p, "the last line has no newline");
		*nl = '\0';
		if (done)
			return bad(p, "text after 'end'");
		if (split_line(p, line, &v) < 0)
			return -1;
		if (p->line == 1) {
			if (strcmp(line, "format") != 0 || !v || strcmp(v, "1") != 0)
				return bad(p, "not 'format %d'", DKS_MANIFEST_FORMAT);
		} else if (strcmp(line, "end") == 0 && !v) {
			done = true;
		} else if (!v) {
			return bad(p, "'%.40s' without a value", line);
		} else if (one_line(p, line, v) < 0) {
			return -1;
		}
		line = nl + 1;
	}
	if (!done)
		return bad(p, "no 'end' line: cut short");
	if (close_kernel(p) < 0)
		return -1;
	return p->m->n_kernels ? 0 : bad(p, "no kernel");
}

int dks_manifest_parse(const char *buf, size_t len, const char *what, struct dks_manifest **out,
		       struct dks_error *err)
{
	struct parser p = {.what = what, .err = err};
	char *text;
	int ret;

	*out = NULL;
	if (len > DKS_MANIFEST_MAX)
		return dks_err(err, EFBIG, "%s: larger than %u bytes", what, DKS_MANIFEST_MAX);
	if (memchr(buf, '\0', len))
		return dks_err(err, 0, "%s: a NUL byte", what);
	text = malloc(len + 1);
	p.m = calloc(1, sizeof(*p.m));
	if (!text || !p.m) {
		free(text);
		free(p.m);
		return dks_err(err, ENOMEM, "%s", what);
	}
	memcpy(text, buf, len);
	text[len] = '\0';
	ret = parse_lines(&p, text, len);
	free(text);
	if (ret < 0)
		dks_manifest_free(p.m);
	else
		*out = p.m;
	return ret;
}

static void kernel_free(struct dks_manifest_kernel *k)
{
	for (size_t i = 0; i < k->n_kos; i++) {
		free(k->kos[i].path);
		free(k->kos[i].signer);
	}
	free(k->kos);
	free(k->kver);
	free(k->arch);
	free(k->vermagic);
	free(k->toolchain_label);
}

void dks_manifest_free(struct dks_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_kernels; i++)
		kernel_free(&m->kernels[i]);
	free(m->kernels);
	free(m->module);
	free(m->version);
	free(m);
}

const struct dks_manifest_kernel *dks_manifest_kernel(const struct dks_manifest *m,
						      const char *kver, const char *arch)
{
	for (size_t i = 0; i < m->n_kernels; i++)
		if (strcmp(m->kernels[i].kver, kver) == 0 && strcmp(m->kernels[i].arch, arch) == 0)
			return &m->kernels[i];
	return NULL;
}

static const char *hex_or_dash(const char *h)
{
	return h[0] ? h : "-";
}

static void write_kernel(FILE *f, const struct dks_manifest_kernel *k)
{
	fprintf(f, "kernel %s/%s\nvermagic %s\nconfig %s\nsymvers %s\nvmlinux %s\n", k->kver,
		k->arch, k->vermagic, hex_or_dash(k->config), hex_or_dash(k->symvers),
		hex_or_dash(k->vmlinux));
	fprintf(f, "toolchain %s%s%s\nsource %s\nspec %s\nunit %s\n", hex_or_dash(k->toolchain),
		k->toolchain_label && *k->toolchain_label ? " " : "",
		k->toolchain_label ? k->toolchain_label : "", hex_or_dash(k->source),
		hex_or_dash(k->spec), hex_or_dash(k->unit));
	for (size_t i = 0; i < k->n_kos; i++)
		fprintf(f, "ko %s %s %s\n", k->kos[i].path, k->kos[i].sha256,
			k->kos[i].signer ? k->kos[i].signer : "-");
}

int dks_manifest_write(FILE *f, const struct dks_manifest *m)
{
	fprintf(f, "format %d\nmodule %s\nversion %s\n", DKS_MANIFEST_FORMAT, m->module,
		m->version);
	for (size_t i = 0; i < m->n_kernels; i++)
		write_kernel(f, &m->kernels[i]);
	fputs("end\n", f);
	return ferror(f) ? -1 : 0;
}
