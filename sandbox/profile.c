// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sandbox profiles (include/dks/profile.h), read with libyaml's document
 * loader. Every key is looked up in a table and every value checked: a typo
 * in a profile must be an error with its line, never a sandbox that is
 * silently wider (or narrower) than its author meant.
 *
 * A profile is laid over the embedded default profile, key by key: what a
 * file leaves out is the default's, and a list it gives replaces the
 * default's list whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "dks/cleanup.h"
#include "dks/profile.h"
#include "dks/yamlwalk.h"

/* A profile is a page of YAML: anything much larger is not one. */
#define PROFILE_MAX_SIZE (1024 * 1024)
#define EMBEDDED_DIR "<embedded>"
#define PROFILE_DIR DKS_SYSCONFDIR "/dkms-sandbox/profiles"

/* sandbox/profiles_embed.S: profiles/NAME.yaml, NUL-terminated. */
/* The embedded profiles parsed and compiled at build time
 * (profiles/compile.c); empty while that compiler itself is built. */
extern const struct dks_profile *const dks_profiles_compiled[];

extern const char dks_embedded_default[], dks_embedded_strict[],
	dks_embedded_debug[];

const char *const dks_profile_builtin_names[] = { "default", "strict", "debug",
						   NULL };
/* Same order as dks_profile_builtin_names. */
static const char *const builtin_texts[] = { dks_embedded_default,
					     dks_embedded_strict,
					     dks_embedded_debug };
_Static_assert(sizeof(builtin_texts) / sizeof(builtin_texts[0]) + 1 ==
		       sizeof(dks_profile_builtin_names) /
			       sizeof(dks_profile_builtin_names[0]),
	       "one embedded text per builtin name");

/* ---- string vectors (NULL-terminated, with a count beside) ---- */

static bool strv_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void dks_profile_free(struct dks_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->source);
	dks_strv_free(p->allow);
	dks_strv_free(p->enosys);
	dks_strv_free(p->etc);
	free(p);
}

bool dks_profile_makes_sockets(const struct dks_profile *p)
{
	if (p->seccomp_mode != DKS_SECCOMP_ENFORCE)
		return true;
	for (size_t i = 0; i < p->n_allow; i++)
		if (strcmp(p->allow[i], "socket") == 0)
			return true;
	return false;
}

static void profile_freep(struct dks_profile **p)
{
	dks_profile_free(*p);
}
#define cleanup_profile __attribute__((cleanup(profile_freep)))

/* ---- list items ---- */

static int check_syscall(const struct dks_yaml_walk *w, const yaml_node_t *item,
			 const char *s, const char *path)
{
	if (seccomp_syscall_resolve_name(s) == __NR_SCMP_ERROR)
		return dks_yaml_fail(w, item, "unknown syscall '%s' in '%s'", s, path);
	/* No profile, debug included, weakens what protects the host. */
	if (dks_profile_host_denied_has(s))
		return dks_yaml_fail(w, item,
				     "syscall '%s' in '%s' reaches kernel state the host "
				     "shares: no profile may list it (host-deny set)",
				     s, path);
	return 0;
}

/* An /etc entry is bound at /etc/NAME: it must stay below /etc. */
static int check_etc_name(const struct dks_yaml_walk *w, const yaml_node_t *item,
			  const char *s, const char *path)
{
	if (*s == '/')
		return dks_yaml_fail(w, item, "'%s' entry '%s' must be relative to /etc",
				     path, s);
	for (const char *comp = s;; comp++) {
		size_t len = strcspn(comp, "/");

		if (len == 0 || (len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return dks_yaml_fail(w, item,
					     "'%s' entry '%s' has an empty, '.' or "
					     "'..' component",
					     path, s);
		comp += len;
		if (!*comp)
			return 0;
	}
}

/* ---- seccomp: allow and enosys apart ---- */

/* The first item of @seq that is in @others is an error. */
static int find_overlap(const struct dks_yaml_walk *w, const yaml_node_t *seq,
			char *const *others, size_t n, const char *note)
{
	for (size_t i = 0; i < dks_yaml_count(seq); i++) {
		const yaml_node_t *item = dks_yaml_item(w, seq, i);
		const char *s = (const char *)item->data.scalar.value;

		if (strv_has(others, n, s))
			return dks_yaml_fail(w, item,
					     "syscall '%s' is in both "
					     "'seccomp.allow' and 'seccomp.enosys'%s",
					     s, note);
	}
	return 0;
}

/* A syscall both allowed and ENOSYS has no meaning: say so where the file
 * put it (the other list may be the default profile's). */
static int check_disjoint(const struct dks_yaml_walk *w, const yaml_node_t *map,
			  const struct dks_profile *p)
{
	const yaml_node_t *enosys = dks_yaml_get(w, map, "enosys");
	const yaml_node_t *allow = dks_yaml_get(w, map, "allow");

	if (enosys)
		return find_overlap(w, enosys, p->allow, p->n_allow,
				    allow ? "" :
					    " (the allow-list is the default "
					    "profile's)");
	if (allow)
		return find_overlap(w, allow, p->enosys, p->n_enosys,
				    " (enosys is the default profile's)");
	return 0;
}

static int parse_seccomp(const struct dks_yaml_walk *w, const yaml_node_t *val,
			 const struct dks_yaml_key *k, void *p)
{
	if (dks_yaml_walk_mapping(w, val, dks_yaml_path(k), k->sub, p) < 0)
		return -1;
	return check_disjoint(w, val, p);
}

/* ---- one table per mapping: every key a profile may hold ---- */

#define AT(member) DKS_YAML_AT(struct dks_profile, member)
#define RULE(m) \
	{ #m, DKS_YAML_BOOL, AT(m), .path = "seccomp.rules." #m }
#define LIMIT(m, ...) \
	{ #m, DKS_YAML_UINT, AT(limits.m), .path = "limits." #m, __VA_ARGS__ }
#define SYSCALLS(m)                                                    \
	{ #m, DKS_YAML_STRV, AT(m), .path = "seccomp." #m,             \
	  .count_off = offsetof(struct dks_profile, n_##m),            \
	  .what = "syscall names", .noun = "syscall",                  \
	  .item = check_syscall }

static const struct dks_yaml_enum seccomp_modes[] = {
	{ "enforce", DKS_SECCOMP_ENFORCE },
	{ "log", DKS_SECCOMP_LOG },
	{ NULL, 0 },
};

static const struct dks_yaml_key rules_keys[] = {
	RULE(deny_namespace_clone),
	RULE(deny_setid_mode),
	RULE(deny_tty_injection),
	{ NULL },
};

static const struct dks_yaml_key seccomp_keys[] = {
	{ "mode", DKS_YAML_ENUM, AT(seccomp_mode), .path = "seccomp.mode",
	  .names = seccomp_modes },
	SYSCALLS(allow),
	SYSCALLS(enosys),
	{ "rules", DKS_YAML_MAP, .path = "seccomp.rules", .sub = rules_keys },
	{ NULL },
};

static const struct dks_yaml_key limits_keys[] = {
	LIMIT(timeout),
	LIMIT(memory, .flags = DKS_YAML_SUFFIX),
	LIMIT(file_size, .flags = DKS_YAML_SUFFIX),
	LIMIT(open_files, .min = 1),
	LIMIT(processes, .min = 1),
	LIMIT(tmp_size, .flags = DKS_YAML_SUFFIX),
	LIMIT(build_size, .flags = DKS_YAML_SUFFIX, .min = 1),
	LIMIT(output, .flags = DKS_YAML_SUFFIX),
	{ NULL },
};

static const struct dks_yaml_key top_keys[] = {
	{ "name", DKS_YAML_STRING, AT(name), .flags = DKS_YAML_NONEMPTY },
	{ "seccomp", DKS_YAML_CUSTOM, .parse = parse_seccomp,
	  .sub = seccomp_keys },
	{ "landlock", DKS_YAML_BOOL, AT(landlock) },
	{ "etc", DKS_YAML_STRV, AT(etc),
	  .count_off = offsetof(struct dks_profile, n_etc),
	  .what = "names under /etc", .noun = "entry", .item = check_etc_name },
	{ "limits", DKS_YAML_MAP, .sub = limits_keys },
	{ NULL },
};

/* ---- loading YAML ---- */

static int parse_text(struct dks_profile *p, const char *text, size_t len,
		      const char *source, struct dks_error *err)
{
	struct dks_yaml_walk w = {
		.source = source,
		.top = "a profile",
		.exit_code = 1,
		.flags = DKS_YAML_KEY_PATH,
		.err = err,
	};

	return dks_yaml_walk_text(&w, text, len, "profile", top_keys, p);
}

/* What the embedded default.yaml does not say. */
static void set_defaults(struct dks_profile *p)
{
	p->seccomp_mode = DKS_SECCOMP_ENFORCE;
	p->deny_namespace_clone = true;
	p->deny_setid_mode = true;
	p->deny_tty_injection = true;
	p->landlock = true;
	p->limits = (struct dks_limits){
		.timeout = 3600,
		.memory = 8ULL << 30,
		.file_size = 4ULL << 30,
		.open_files = 4096,
		.processes = 1024,
		.tmp_size = 1ULL << 30,
		.build_size = 4ULL << 30,
		.output = 64ULL << 20,
	};
}

/* source = @source, name = its basename without ".yaml". */
static int set_identity(struct dks_profile *p, const char *source,
			struct dks_error *err)
{
	const char *base = strrchr(source, '/');
	size_t len;

	base = base ? base + 1 : source;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	free(p->name);
	free(p->source);
	p->name = strndup(base, len);
	p->source = strdup(source);
	if (!p->name || !p->source)
		return dks_err(err, ENOMEM, "%s", source);
	return 0;
}

int dks_profile_parse(const char *text, size_t len, const char *source,
		      struct dks_profile **out, struct dks_error *err)
{
	cleanup_profile struct dks_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return dks_err(err, ENOMEM, "%s", source);
	set_defaults(p);
	/* The embedded default is the base of every profile: parse it once. */
	if (text != dks_embedded_default &&
	    parse_text(p, dks_embedded_default, strlen(dks_embedded_default),
		       EMBEDDED_DIR "/default.yaml", err) < 0)
		return -1;
	if (set_identity(p, source, err) < 0 ||
	    parse_text(p, text, len, source, err) < 0)
		return -1;
	*out = steal_pointer(&p);
	return 0;
}

/* ---- finding a profile ---- */

/* Read @path whole into *@text. With @missing_ok, a missing file is 0 and
 * *@text stays NULL. */
static int read_profile(const char *path, bool missing_ok, char **text,
			size_t *len, struct dks_error *err)
{
	/* O_NONBLOCK: a FIFO in its place must not hang us. */
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t got = 0;

	if (fd < 0 && missing_ok && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err(err, errno, "cannot read profile '%s'", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "profile '%s' is not a regular file",
			       path);
	if (st.st_size > PROFILE_MAX_SIZE)
		return dks_err(err, EFBIG, "profile '%s'", path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return dks_err(err, ENOMEM, "profile '%s'", path);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dks_err(err, errno, "cannot read profile '%s'",
				       path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = steal_pointer(&buf);
	*len = got;
	return 0;
}

static int load_path(const char *path, struct dks_profile **out,
		     struct dks_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (read_profile(path, false, &text, &len, err) < 0)
		return -1;
	return dks_profile_parse(text, len, path, out, err);
}

static int unknown_profile(const char *name, struct dks_error *err)
{
	char known[256] = "";
	size_t used = 0;

	for (const char *const *b = dks_profile_builtin_names;
	     *b && used < sizeof(known); b++) {
		int n = snprintf(known + used, sizeof(known) - used, "%s%s",
				 used ? ", " : "", *b);
		used += n > 0 ? (size_t)n : 0;
	}
	return dks_err(err, 0, "unknown profile '%s' (known: %s)", name, known);
}

/* PROFILE_DIR/NAME.yaml if there is one, else the embedded NAME. */
static char **strv_copy(char *const *v, size_t n)
{
	char **c = calloc(n + 1, sizeof(*c));

	for (size_t i = 0; c && i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			dks_strv_free(c);
			return NULL;
		}
	}
	return c;
}

/* A heap copy of a profile compiled into the binary at build time. */
static int copy_builtin(const struct dks_profile *b, struct dks_profile **out,
			struct dks_error *err)
{
	cleanup_profile struct dks_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return dks_err(err, ENOMEM, "profile %s", b->name);
	*p = *b;
	p->name = strdup(b->name);
	p->source = strdup(b->source);
	p->allow = strv_copy(b->allow, b->n_allow);
	p->enosys = strv_copy(b->enosys, b->n_enosys);
	p->etc = strv_copy(b->etc, b->n_etc);
	if (!p->name || !p->source || !p->allow || !p->enosys || !p->etc)
		return dks_err(err, ENOMEM, "profile %s", b->name);
	*out = steal_pointer(&p);
	return 0;
}

static int load_named(const char *name, struct dks_profile **out,
		      struct dks_error *err)
{
	cleanup_free char *text = NULL;
	char path[PATH_MAX], source[PATH_MAX];
	size_t len = 0;
	int n = snprintf(path, sizeof(path), PROFILE_DIR "/%s.yaml", name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return dks_err(err, ENAMETOOLONG, "profile '%s'", name);
	if (read_profile(path, true, &text, &len, err) < 0)
		return -1;
	if (text)
		return dks_profile_parse(text, len, path, out, err);
	for (size_t i = 0; dks_profiles_compiled[i]; i++)
		if (strcmp(name, dks_profiles_compiled[i]->name) == 0)
			return copy_builtin(dks_profiles_compiled[i], out, err);
	for (size_t i = 0; dks_profile_builtin_names[i]; i++) {
		if (strcmp(name, dks_profile_builtin_names[i]) != 0)
			continue;
		snprintf(source, sizeof(source), EMBEDDED_DIR "/%s.yaml", name);
		return dks_profile_parse(builtin_texts[i],
					 strlen(builtin_texts[i]), source, out,
					 err);
	}
	return unknown_profile(name, err);
}

static bool is_path(const char *s)
{
	size_t len = strlen(s);

	return strchr(s, '/') ||
	       (len >= 5 && strcmp(s + len - 5, ".yaml") == 0);
}

int dks_profile_load(const char *name_or_path, struct dks_profile **out,
		     struct dks_error *err)
{
	if (is_path(name_or_path))
		return load_path(name_or_path, out, err);
	return load_named(name_or_path, out, err);
}
