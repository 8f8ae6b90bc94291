// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The configuration file (include/dks/config.h): a YAML mapping read by
 * the common walker (include/dks/yamlwalk.h), as profiles and recipes are.
 * Every key is in the table below and every value checked, with FILE:LINE
 * in the message: a typo must be an error, never a tree or a build user
 * silently other than the one meant.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/cache.h"
#include "dks/config.h"
#include "dks/installer.h"
#include "dks/treename.h"
#include "dks/yamlwalk.h"

/* A configuration is a few lines: anything much larger is not one. */
#define CONFIG_MAX_SIZE (64 * 1024)
/* More parallel jobs than this is a typo, not a machine. */
#define JOBS_MAX 4096

/* Relative paths would be read against whatever directory the command
 * happens to run in. */
static const char *check_path(const char *s)
{
	return *s == '/' ? NULL : "must be an absolute path";
}

/* A name, or (when it has a '/') an absolute path. */
static const char *check_name_or_path(const char *s)
{
	return strchr(s, '/') ? check_path(s) : NULL;
}

static const char *check_sign(const char *s)
{
	return strcmp(s, "auto") == 0 || strcmp(s, "never") == 0 || strcmp(s, "verify") == 0
		       ? NULL : "must be auto, never or verify";
}

static const char *check_accel(const char *s)
{
	return strcmp(s, "auto") == 0 || strcmp(s, "kvm") == 0 || strcmp(s, "tcg") == 0
		       ? NULL
		       : "must be auto, kvm or tcg";
}

static const char *check_wording(const char *s)
{
	return strcmp(s, "3.4") == 0 || strcmp(s, "3.0") == 0 ? NULL : "must be \"3.4\" or \"3.0\"";
}

/* A module name, as the tree takes it, at @n (under @path); NULL after
 * an error. */
static const char *module_name(const struct dks_yaml_walk *w, const yaml_node_t *n,
			       const char *path)
{
	const char *s = dks_yaml_scalar(w, n, path);
	struct dks_error e = {0};

	if (s && dks_tree_check_name("module", s, &e) < 0) {
		dks_yaml_fail(w, n, "'%s': %s", path, e.msg);
		return NULL;
	}
	return s;
}

/* build_reads: { MODULE: [MODULE, ...], ... } into pairs (module, read). */
static int parse_build_reads(const struct dks_yaml_walk *w, const yaml_node_t *val,
			     const struct dks_yaml_key *k, void *obj)
{
	struct strv *pairs = (struct strv *)((char *)obj + k->off);

	strv_free(pairs);
	if (val->type == YAML_SCALAR_NODE && dks_yaml_scalar(w, val, k->key) &&
	    !*dks_yaml_scalar(w, val, k->key))
		return 0; /* "build_reads:" alone: none */
	if (val->type != YAML_MAPPING_NODE)
		return dks_yaml_fail(w, val, "'%s' must be a mapping of module: [modules], got %s",
				     k->key, dks_yaml_kind(w, val));
	for (const yaml_node_pair_t *p = val->data.mapping.pairs.start;
	     p < val->data.mapping.pairs.top; p++) {
		const yaml_node_t *seq = yaml_document_get_node(w->doc, p->value);
		const char *m = module_name(w, yaml_document_get_node(w->doc, p->key), k->key);

		if (!m)
			return -1;
		if (seq->type != YAML_SEQUENCE_NODE)
			return dks_yaml_fail(w, seq,
					     "'%s.%s' must be a sequence of modules, got %s",
					     k->key, m, dks_yaml_kind(w, seq));
		for (size_t i = 0; i < dks_yaml_count(seq); i++) {
			const char *r = module_name(w, dks_yaml_item(w, seq, i), k->key);

			if (!r)
				return -1;
			if (strcmp(r, m) == 0)
				return dks_yaml_fail(w, dks_yaml_item(w, seq, i),
						     "'%s.%s': a module does not read itself",
						     k->key, m);
			if (strv_push(pairs, m) < 0 || strv_push(pairs, r) < 0)
				return dks_yaml_fail(w, seq, "out of memory");
		}
	}
	return 0;
}

/* preflight.critical: module names (the tree's grammar), each once. */
static int module_item(const struct dks_yaml_walk *w, const yaml_node_t *item, const char *s,
		       const char *path)
{
	(void)s;
	return module_name(w, item, path) ? 0 : -1;
}

/* ---- one table: every key a configuration may hold ---- */

#define AT(member) DKS_YAML_AT(struct dks_config, member)
/* "key: ~" means the built-in default (NULL). */
#define NULLABLE DKS_YAML_EMPTY_IS_NULL

static const struct dks_yaml_key preflight_keys[] = {
    {"critical", DKS_YAML_STRV, AT(preflight_critical), .path = "preflight.critical",
     .count_off = offsetof(struct dks_config, n_preflight_critical), .noun = "module",
     .item = module_item},
    {NULL},
};

static const struct dks_yaml_enum cache_modes[] = {
    {"read-write", DKS_CACHE_RW}, {"read-only", DKS_CACHE_RO}, {"off", DKS_CACHE_OFF}, {NULL, 0},
};

static const struct dks_yaml_key config_keys[] = {
    {"dkmstree", DKS_YAML_STRING, AT(dkms_tree), .flags = DKS_YAML_NONEMPTY, .check = check_path},
    {"sourcetree", DKS_YAML_STRING, AT(source_tree), .flags = DKS_YAML_NONEMPTY,
     .check = check_path},
    {"installtree", DKS_YAML_STRING, AT(install_tree), .flags = DKS_YAML_NONEMPTY,
     .check = check_path},
    {"toolchain", DKS_YAML_STRING, AT(toolchain), .flags = NULLABLE, .check = check_name_or_path},
    {"profile", DKS_YAML_STRING, AT(profile), .flags = DKS_YAML_NONEMPTY,
     .check = check_name_or_path},
    {"build_user", DKS_YAML_STRING, AT(build_user), .flags = NULLABLE},
    {"jobs", DKS_YAML_UINT, AT(jobs), .max = JOBS_MAX, .flags = DKS_YAML_SAY_MAX,
     .what = "a whole number (0: one per CPU)"},
    {"mok_key", DKS_YAML_STRING, AT(mok_key), .flags = NULLABLE, .check = check_path},
    {"mok_cert", DKS_YAML_STRING, AT(mok_cert), .flags = NULLABLE, .check = check_path},
    {"os_release", DKS_YAML_STRING, AT(os_release), .flags = DKS_YAML_NONEMPTY,
     .check = check_path},
    {"sign", DKS_YAML_STRING, AT(sign), .flags = NULLABLE, .check = check_sign},
    {"host_root", DKS_YAML_STRING, AT(host_root), .flags = NULLABLE, .check = check_path},
    {"trusted_cert", DKS_YAML_STRING, AT(trusted_cert), .flags = NULLABLE, .check = check_path},
    {"boot_dir", DKS_YAML_STRING, AT(boot_dir), .flags = NULLABLE, .check = check_path},
    {"dkms_framework", DKS_YAML_STRING, AT(dkms_framework), .flags = NULLABLE,
     .check = check_path},
    {"dkms_confdir", DKS_YAML_STRING, AT(dkms_confdir), .flags = NULLABLE, .check = check_path},
    {"status_wording", DKS_YAML_STRING, AT(status_wording), .flags = NULLABLE,
     .check = check_wording},
    {"dpkg_admindir", DKS_YAML_STRING, AT(dpkg_admindir), .flags = DKS_YAML_NONEMPTY,
     .check = check_path},
    {"build_reads", DKS_YAML_CUSTOM, AT(build_reads), .parse = parse_build_reads},
    {"lock_timeout", DKS_YAML_UINT, AT(lock_timeout), .max = 86400,
     .what = "seconds (0: wait as long as it takes; at most 86400)"},
    {"testload_timeout", DKS_YAML_UINT, AT(testload_timeout), .min = 1, .max = 86400,
     .what = "seconds (1 to 86400)"},
    {"testload_memory", DKS_YAML_UINT, AT(testload_memory), .min = 64, .max = 65536,
     .what = "MiB (64 to 65536)"},
    {"testload_accel", DKS_YAML_STRING, AT(testload_accel), .flags = NULLABLE,
     .check = check_accel},
    {"testload_boot_dir", DKS_YAML_STRING, AT(testload_boot_dir), .flags = NULLABLE,
     .check = check_path},
    {"testload_qemu", DKS_YAML_STRING, AT(testload_qemu), .flags = NULLABLE,
     .check = check_path},
    {"testload_busybox", DKS_YAML_STRING, AT(testload_busybox), .flags = NULLABLE,
     .check = check_path},
    {"testload_required", DKS_YAML_BOOL, AT(testload_required)},
    {"boot_root", DKS_YAML_STRING, AT(boot_root), .flags = NULLABLE, .check = check_path},
    {"preflight", DKS_YAML_MAP, .sub = preflight_keys},
    {"require_signed_archives", DKS_YAML_BOOL, AT(require_signed_archives)},
    {"sign_requires_agreement", DKS_YAML_UINT, AT(sign_requires_agreement), .min = 0,
     .max = 17,
     .what = "confirmations (0 to 17: 16 archives and --check)"},
    {"cache_dir", DKS_YAML_STRING, AT(cache_dir), .flags = NULLABLE, .check = check_path},
    {"cache_mode", DKS_YAML_ENUM, AT(cache_mode), .names = cache_modes},
    {"cache_max_size", DKS_YAML_UINT, AT(cache_max_size), .flags = DKS_YAML_SUFFIX,
     .what = "bytes (K, M or G may follow; 0: no cap)"},
    {NULL},
};

/* ---- loading ---- */

static int parse_config(const char *text, size_t len, const char *source, struct dks_config *cfg,
			struct dks_error *err)
{
	struct dks_yaml_walk w = {
	    .source = source,
	    .top = "a configuration",
	    .exit_code = 1,
	    /* An empty file, or one of comments only: the defaults. */
	    .flags = DKS_YAML_NULL_IS_EMPTY | DKS_YAML_KEY_KIND,
	    .err = err,
	};

	return dks_yaml_walk_text(&w, text, len, "configuration", config_keys, cfg);
}

/* Read @path whole. With @missing_ok, a missing file is 0 with *@text
 * NULL. */
static int read_config(const char *path, bool missing_ok, char **text, size_t *len,
		       struct dks_error *err)
{
	/* O_NONBLOCK: a FIFO in its place must not hang us. */
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 && missing_ok && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "cannot read configuration %s", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "configuration %s is not a regular file", path);
	if (st.st_size > CONFIG_MAX_SIZE)
		return dks_err(err, EFBIG, "configuration %s", path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return dks_err(err, ENOMEM, "configuration %s", path);
	do
		n = pread(fd, buf, (size_t)st.st_size, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dks_err(err, errno, "cannot read configuration %s", path);
	buf[n] = '\0';
	*text = steal_pointer(&buf);
	*len = (size_t)n;
	return 0;
}

static int set_defaults(struct dks_config *c, struct dks_error *err)
{
	*c = (struct dks_config){
	    .dkms_tree = strdup(DKS_DEFAULT_DKMSTREE),
	    .source_tree = strdup(DKS_DEFAULT_SOURCETREE),
	    .install_tree = strdup(DKS_DEFAULT_INSTALLTREE),
	    .toolchain = strdup("host"),
	    .profile = strdup("default"),
	    .build_user = NULL,
	    .jobs = 0,
	    .os_release = strdup(DKS_OS_RELEASE),
	    .dpkg_admindir = strdup(DKS_DEFAULT_DPKG_ADMINDIR),
	    .testload_timeout = 120,
	    .testload_memory = 256,
	};
	if (!c->dkms_tree || !c->source_tree || !c->install_tree || !c->toolchain || !c->profile ||
	    !c->os_release || !c->dpkg_admindir)
		return dks_err(err, ENOMEM, "configuration");
	return 0;
}

static void config_clearp(struct dks_config *c)
{
	dks_config_clear(c);
}

int dks_config_load(const char *path, struct dks_config *c, struct dks_error *err)
{
	return dks_config_load_under(path, NULL, NULL, c, err);
}

int dks_config_load_under(const char *path,
			  int (*under)(struct dks_config *, void *, struct dks_error *), void *arg,
			  struct dks_config *c, struct dks_error *err)
{
	__attribute__((cleanup(config_clearp))) struct dks_config cfg = {0};
	cleanup_free char *text = NULL;
	const char *file = path ? path : DKS_DEFAULT_CONFIG;
	size_t len = 0;

	/* Built aside and handed over whole: on failure @c is all NULL. */
	memset(c, 0, sizeof(*c));
	if (set_defaults(&cfg, err) < 0 || (under && under(&cfg, arg, err) < 0) ||
	    read_config(file, !path, &text, &len, err) < 0)
		return -1;
	if (text && parse_config(text, len, file, &cfg, err) < 0)
		return -1;
	*c = cfg;
	memset(&cfg, 0, sizeof(cfg));
	return 0;
}

int dks_config_parse(const char *text, size_t len, const char *source, struct dks_config *c,
		     struct dks_error *err)
{
	__attribute__((cleanup(config_clearp))) struct dks_config cfg = {0};

	memset(c, 0, sizeof(*c));
	if (set_defaults(&cfg, err) < 0 || parse_config(text, len, source, &cfg, err) < 0)
		return -1;
	*c = cfg;
	memset(&cfg, 0, sizeof(cfg));
	return 0;
}

int dks_config_set(char **field, const char *value, struct dks_error *err)
{
	char *copy = strdup(value);

	if (!copy)
		return dks_err(err, ENOMEM, "configuration value '%s'", value);
	free(*field);
	*field = copy;
	return 0;
}

void dks_config_clear(struct dks_config *c)
{
	free(c->dkms_tree);
	free(c->source_tree);
	free(c->install_tree);
	free(c->toolchain);
	free(c->profile);
	free(c->build_user);
	free(c->mok_key);
	free(c->mok_cert);
	free(c->os_release);
	free(c->sign);
	free(c->host_root);
	free(c->trusted_cert);
	free(c->boot_dir);
	free(c->dkms_framework);
	free(c->dkms_confdir);
	free(c->status_wording);
	free(c->dpkg_admindir);
	strv_free(&c->build_reads);
	free(c->testload_accel);
	free(c->testload_boot_dir);
	free(c->testload_qemu);
	free(c->testload_busybox);
	free(c->boot_root);
	free(c->cache_dir);
	for (size_t i = 0; i < c->n_preflight_critical; i++)
		free(c->preflight_critical[i]);
	free(c->preflight_critical);
	memset(c, 0, sizeof(*c));
}
