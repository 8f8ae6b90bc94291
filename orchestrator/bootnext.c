// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The next boot's kernel (bootnext.h), read below a root directory:
 *
 *   1. systemd-boot, when it booted this machine (its LoaderInfo EFI
 *      variable) or when it is the only loader configured:
 *      LoaderEntryOneShot, LoaderEntryDefault, loader.conf's default;
 *   2. GRUB: grubenv's next_entry, else grub.cfg's default (${saved_entry}:
 *      grubenv's saved_entry), resolved through menuentry/submenu titles,
 *      ids and numbers to the entry's vmlinuz-K;
 *   3. the /vmlinuz link, then /boot/vmlinuz;
 *   4. the newest installed kernel.
 *
 * A source that is there but cannot be resolved (a damaged file, an entry
 * that names no kernel) is one warning line naming the file and what the
 * next source is; the files are root's, but a full /boot truncates them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootnext.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/spec.h"
#include "dks/termsafe.h"

#define SD_GUID "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define EFIVARS "sys/firmware/efi/efivars/"

static const char *const grub_cfgs[] = {"boot/grub/grub.cfg", "boot/grub2/grub.cfg"};
static const char *const loader_dirs[] = {"boot/efi/loader", "efi/loader", "boot/loader"};
static const char *const vmlinuz_links[] = {"vmlinuz", "boot/vmlinuz"};

/* @root/@rel whole, at most @max bytes: 0, 1 when it is not there, -1. */
static int slurp(const char *root, const char *rel, size_t max, char **buf, size_t *len,
		 struct dks_error *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	struct stat st;
	ssize_t n;

	*buf = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return dks_err(err, ENAMETOOLONG, "%s/%s", root, rel);
	/* O_NONBLOCK: a FIFO planted in its place must not hang a hook. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 1 : dks_err(err, errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return dks_err(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "%s: not a regular file", path);
	if ((size_t)st.st_size > max)
		return dks_err(err, EFBIG, "%s", path);
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf)
		return dks_err(err, ENOMEM, "%s", path);
	n = dks_read_full(fd, *buf, (size_t)st.st_size);
	if (n < 0) {
		free(*buf);
		*buf = NULL;
		return dks_err(err, errno, "%s", path);
	}
	*len = (size_t)n;
	return 0;
}

static bool exists(const char *root, const char *rel)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

static int found(struct dks_boot_next *out, enum dks_boot_source src, const char *kver,
		 const char *how, const char *what)
{
	out->kver = strdup(kver);
	out->source = src;
	snprintf(out->how, sizeof(out->how), "%s '%s'", how, what);
	return out->kver ? 1 : -2; /* -2: out of memory */
}

/* ---- GRUB ---- */

/* grubenv beside grub.cfg; damaged, it is as GRUB's load_env finds it:
 * no variables (said). */
static void grub_env(const char *root, const char *cfg, char **next, char **saved)
{
	char rel[PATH_MAX];
	cleanup_free char *buf = NULL;
	struct dks_error e = {0};
	size_t len = 0;
	int r;

	*next = *saved = NULL;
	snprintf(rel, sizeof(rel), "%.*s/grubenv", (int)(strrchr(cfg, '/') - cfg), cfg);
	r = slurp(root, rel, DKS_BOOT_FILE_MAX, &buf, &len, &e);
	if (r == 0)
		r = dks_grubenv_parse(buf, len, rel, next, saved, &e);
	if (r < 0)
		dks_warn("%s; GRUB reads no variables from it: its default is grub.cfg's", e.msg);
}

/* Which entry GRUB boots: next_entry, else grub.cfg's default. */
static const char *grub_pick(const struct dks_grub_cfg *c, const char *next, const char *saved,
			     const char **how)
{
	if (next) {
		*how = "grub: grubenv's next_entry";
		return next;
	}
	if (c->deflt && strcmp(c->deflt, "${saved_entry}") == 0) {
		*how = "grub: grubenv's saved_entry";
		return saved ? saved : "0";
	}
	*how = "grub: grub.cfg's default";
	return c->deflt ? c->deflt : "0";
}

static int grub_resolve(const struct dks_grub_cfg *c, const char *rel, const char *next,
			const char *saved, struct dks_boot_next *out, struct dks_error *err)
{
	const char *how, *path = grub_pick(c, next, saved, &how), *kver;
	/* An entry's name is any bytes of grubenv or grub.cfg: shown safe. */
	cleanup_free char *shown = dks_termsafe_str(path);

	kver = dks_grubcfg_resolve(c, path);
	if (kver)
		return found(out, DKS_BOOT_GRUB, kver, how, path);
	/* GRUB boots entry 0 when its default names none. */
	kver = dks_grubcfg_resolve(c, "0");
	if (!kver)
		return dks_err(err, 0, "%s: GRUB's default entry '%s' names no vmlinuz-K", rel,
			       shown ? shown : "?");
	dks_warn("%s: GRUB's default entry '%s' is not in the menu: GRUB boots entry 0", rel,
		 shown ? shown : "?");
	return found(out, DKS_BOOT_GRUB, kver, "grub: entry 0, the default", path);
}

static int from_grub(const char *root, struct dks_boot_next *out, struct dks_error *err)
{
	for (size_t i = 0; i < sizeof(grub_cfgs) / sizeof(grub_cfgs[0]); i++) {
		cleanup_free char *buf = NULL, *next = NULL, *saved = NULL;
		struct dks_grub_cfg c = {0};
		size_t len = 0;
		int r = slurp(root, grub_cfgs[i], DKS_BOOT_FILE_MAX, &buf, &len, err);

		if (r == 1)
			continue;
		if (r < 0 || dks_grubcfg_parse(buf, len, grub_cfgs[i], &c, err) < 0)
			return -1;
		grub_env(root, grub_cfgs[i], &next, &saved);
		r = grub_resolve(&c, grub_cfgs[i], next, saved, out, err);
		dks_grubcfg_clear(&c);
		return r;
	}
	return 0;
}

/* ---- systemd-boot ---- */

/* An EFI variable of systemd-boot's, or NULL (absent or damaged: said). */
static char *efivar(const char *root, const char *var)
{
	char rel[256];
	cleanup_free char *buf = NULL;
	char *text = NULL;
	struct dks_error e = {0};
	size_t len = 0;
	int r;

	snprintf(rel, sizeof(rel), EFIVARS "%s-" SD_GUID, var);
	r = slurp(root, rel, 4096, &buf, &len, &e);
	if (r == 0)
		r = dks_efivar_parse(buf, len, rel, &text, &e);
	if (r < 0)
		dks_warn("%s (ignored)", e.msg);
	return text;
}

struct sd_best {
	const char *pattern;
	char *kver, *id;
};

/* One entry file: the best so far when it matches and is newer. */
static void sd_entry(const char *root, const char *dir, const char *id, struct sd_best *b)
{
	char rel[PATH_MAX];
	cleanup_free char *buf = NULL, *kver = NULL, *bare = strndup(id, strlen(id) - 5);
	struct dks_error e = {0};
	size_t len = 0;
	int r;

	if (b->pattern && fnmatch(b->pattern, id, 0) != 0 &&
	    (!bare || fnmatch(b->pattern, bare, 0) != 0))
		return;
	snprintf(rel, sizeof(rel), "%s/entries/%s", dir, id);
	r = slurp(root, rel, 64 * 1024, &buf, &len, &e);
	if (r == 0)
		r = dks_bootentry_parse(buf, len, rel, &kver, &e);
	if (r < 0)
		dks_warn("%s (entry skipped)", e.msg);
	if (r != 0 || (b->kver && dks_version_cmp(kver, b->kver) <= 0))
		return;
	free(b->kver);
	free(b->id);
	b->kver = steal_pointer(&kver);
	b->id = strdup(id);
}

/* systemd-boot's menu puts the newest version first and boots the first
 * entry the pattern matches (every entry: no pattern). */
static void sd_scan(const char *root, const char *dir, struct sd_best *b)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t seen = 0;

	snprintf(path, sizeof(path), "%s/%s/entries", root, dir);
	d = opendir(path);
	while (d && (de = readdir(d)) && seen++ < DKS_BOOT_ENTRIES_MAX) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0)
			sd_entry(root, dir, de->d_name, b);
	}
	if (d)
		closedir(d);
}

/* The pattern systemd-boot boots by: the one-shot variable, the
 * variable `bootctl set-default` sets, loader.conf's default. */
static int sd_pattern(const char *root, const char *dir, char **pattern, const char **how,
		      struct dks_error *err)
{
	char rel[PATH_MAX];
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int r;

	*how = "systemd-boot: LoaderEntryOneShot";
	if ((*pattern = efivar(root, "LoaderEntryOneShot")))
		return 0;
	*how = "systemd-boot: LoaderEntryDefault";
	if ((*pattern = efivar(root, "LoaderEntryDefault")))
		return 0;
	*how = "systemd-boot: loader.conf's default";
	snprintf(rel, sizeof(rel), "%s/loader.conf", dir);
	r = slurp(root, rel, 64 * 1024, &buf, &len, err);
	if (r == 0)
		r = dks_loaderconf_parse(buf, len, rel, pattern, err);
	/* "@saved" and the like name an entry only the firmware knows. */
	if (r == 0 && *pattern && **pattern == '@') {
		free(*pattern);
		*pattern = NULL;
	}
	return r < 0 ? -1 : 0;
}

static int from_sdboot(const char *root, const char *dir, struct dks_boot_next *out,
		       struct dks_error *err)
{
	cleanup_free char *pattern = NULL;
	struct sd_best b = {0};
	const char *how;
	int r;

	if (sd_pattern(root, dir, &pattern, &how, err) < 0)
		return -1;
	b.pattern = pattern;
	sd_scan(root, dir, &b);
	if (!b.kver && pattern) {
		dks_warn("%s/entries: no entry matches '%s': systemd-boot boots its first", dir,
			 pattern);
		b.pattern = NULL;
		sd_scan(root, dir, &b);
	}
	if (!b.kver)
		return dks_err(err, 0, "%s/entries: no entry names a kernel", dir);
	r = pattern && b.pattern ? found(out, DKS_BOOT_SDBOOT, b.kver, how, pattern)
				 : found(out, DKS_BOOT_SDBOOT, b.kver, "systemd-boot: first entry",
					 b.id ? b.id : "?");
	free(b.kver);
	free(b.id);
	return r;
}

/* systemd-boot's directory when it is the loader to read: it booted this
 * machine (LoaderInfo), or it is the only one configured. */
static const char *sdboot_dir(const char *root)
{
	bool booted = exists(root, EFIVARS "LoaderInfo-" SD_GUID);

	for (size_t i = 0; i < sizeof(loader_dirs) / sizeof(loader_dirs[0]); i++) {
		char conf[64], entries[64];

		snprintf(conf, sizeof(conf), "%s/loader.conf", loader_dirs[i]);
		snprintf(entries, sizeof(entries), "%s/entries", loader_dirs[i]);
		if (!exists(root, conf) && !exists(root, entries))
			continue;
		if (booted || (!exists(root, grub_cfgs[0]) && !exists(root, grub_cfgs[1])))
			return loader_dirs[i];
	}
	return NULL;
}

/* ---- the /vmlinuz link ---- */

static int from_link(const char *root, struct dks_boot_next *out)
{
	for (size_t i = 0; i < sizeof(vmlinuz_links) / sizeof(vmlinuz_links[0]); i++) {
		char path[PATH_MAX], target[PATH_MAX];
		cleanup_free char *kver = NULL;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", root, vmlinuz_links[i]);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		kver = dks_boot_image_kver(target);
		if (kver)
			return found(out, DKS_BOOT_VMLINUZ, kver, "the link", vmlinuz_links[i]);
		kver = dks_termsafe_str(target); /* a link's target is any bytes */
		dks_warn("%s: links to '%s', not to a vmlinuz-K (ignored)", path,
			 kver ? kver : "?");
	}
	return 0;
}

/* ---- the chain ---- */

const char *dks_boot_source_name(enum dks_boot_source s)
{
	static const char *const names[] = {"none", "grub", "systemd-boot", "vmlinuz", "newest"};

	return s <= DKS_BOOT_NEWEST ? names[s] : "?";
}

/* A source's result: 1 found, 0 not there, -1 damaged (said: the next
 * source is tried). */
static int said(int r, const struct dks_error *e, const char *next)
{
	if (r < 0 && e->errnum == ENOMEM)
		return -2;
	if (r < 0)
		dks_warn("%s; the next boot's kernel is taken from %s", e->msg, next);
	return r;
}

int dks_boot_next(const char *root, char *const *installed, size_t n_installed,
		  struct dks_boot_next *out, struct dks_error *err)
{
	const char *sd = sdboot_dir(root);
	struct dks_error e = {0};
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (sd)
		r = said(from_sdboot(root, sd, out, &e), &e, "GRUB, /vmlinuz or the newest kernel");
	if (r == 0 || r == -1)
		r = said(from_grub(root, out, &e), &e, "/vmlinuz or the newest kernel");
	if (r == 0 || r == -1)
		r = from_link(root, out);
	if ((r == 0 || r == -1) && n_installed)
		r = found(out, DKS_BOOT_NEWEST, installed[n_installed - 1], "newest installed",
			  installed[n_installed - 1]);
	if (r < -1)
		return dks_err(err, ENOMEM, "the next boot's kernel");
	return 0;
}

void dks_boot_next_clear(struct dks_boot_next *b)
{
	free(b->kver);
	memset(b, 0, sizeof(*b));
}
