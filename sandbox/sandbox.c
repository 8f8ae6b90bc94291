// SPDX-License-Identifier: GPL-2.0-or-later
/* The sandbox object: configuration only. Running is in run.c. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "internal.h"

int dks_sandbox_new(struct dks_sandbox **out, struct dks_error *err)
{
	struct dks_sandbox *sb = calloc(1, sizeof(*sb));

	if (!sb)
		return dks_err(err, ENOMEM, "sandbox");
	sb->fds[0] = 0;
	sb->fds[1] = 1;
	sb->fds[2] = 2;
	*out = sb;
	return 0;
}

void dks_sandbox_free(struct dks_sandbox *sb)
{
	if (!sb)
		return;
	dks_profile_free(sb->own_profile);
	free(sb->toolchain);
	dks_kernel_clear(&sb->kernel);
	for (size_t i = 0; i < sb->n_binds; i++) {
		free(sb->binds[i].src);
		free(sb->binds[i].dst);
	}
	free(sb->binds);
	free(sb->cwd);
	strv_free(&sb->env);
	free(sb);
}

void dks_sandbox_set_profile(struct dks_sandbox *sb, const struct dks_profile *p)
{
	sb->profile = p;
}

int dks_sandbox_set_toolchain(struct dks_sandbox *sb, const char *toolchain,
			      struct dks_error *err)
{
	struct stat st;
	char *copy = NULL;

	if (toolchain && strcmp(toolchain, "host") != 0) {
		if (toolchain[0] != '/')
			return dks_err(err, 0, "toolchain '%s': must be 'host' or an absolute directory", toolchain);
		if (stat(toolchain, &st) < 0 || !S_ISDIR(st.st_mode))
			return dks_err(err, errno ? errno : ENOTDIR, "toolchain '%s'", toolchain);
		/* It becomes an overlayfs lowerdir= option. */
		if (strpbrk(toolchain, ":,\\"))
			return dks_err(err, 0, "toolchain '%s': no ':', ',' or '\\' in its path", toolchain);
		copy = strdup(toolchain);
		if (!copy)
			return dks_err(err, ENOMEM, "toolchain");
	}
	free(sb->toolchain);
	sb->toolchain = copy;
	return 0;
}

int dks_sandbox_set_kernel(struct dks_sandbox *sb, const char *kver,
			   const char *headers, struct dks_error *err)
{
	struct dks_kernel k = {0};

	if (dks_kernel_resolve(&k, kver, headers, err) < 0)
		return -1;
	dks_kernel_clear(&sb->kernel);
	sb->kernel = k;
	return 0;
}

static bool path_is_clean(const char *p)
{
	/* Absolute, no "..": the destination is created in the sandbox root
	 * and must not climb out of the component it names. */
	if (p[0] != '/')
		return false;
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == '/' || c[2] == 0))
			return false;
	return true;
}

int dks_sandbox_add_bind(struct dks_sandbox *sb, const char *src,
			 const char *dst, bool writable, struct dks_error *err)
{
	struct dks_bind *b;
	cleanup_free char *rsrc = realpath(src, NULL);

	if (!rsrc)
		return dks_err(err, errno, "bind source '%s'", src);
	if (!dst)
		dst = rsrc;
	if (!path_is_clean(dst) || strcmp(dst, "/") == 0)
		return dks_err(err, 0, "bind destination '%s': must be an absolute path below / without '..'", dst);
	b = realloc(sb->binds, (sb->n_binds + 1) * sizeof(*b));
	if (!b)
		return dks_err(err, ENOMEM, "bind");
	sb->binds = b;
	b = &sb->binds[sb->n_binds];
	b->dst = strdup(dst);
	b->src = steal_pointer(&rsrc);
	b->writable = writable;
	if (!b->dst) {
		free(b->src);
		return dks_err(err, ENOMEM, "bind");
	}
	sb->n_binds++;
	return 0;
}

/* Build users are system users: look in /etc/passwd only. Going through
 * NSS would load modules (systemd, ldap) into a process that is about to
 * fork a sandbox, and costs milliseconds per run. */
static bool passwd_lookup(const char *name, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	bool found = false;

	if (!f)
		return false;
	while (!found && (pw = fgetpwent(f))) {
		if (strcmp(pw->pw_name, name) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			found = true;
		}
	}
	fclose(f);
	return found;
}

bool dks_build_user_exists(const char *name)
{
	uid_t u;
	gid_t g;

	return passwd_lookup(name, &u, &g);
}

int dks_sandbox_set_user(struct dks_sandbox *sb, const char *user,
			 struct dks_error *err)
{
	char *end;
	unsigned long uid;

	if (!passwd_lookup(user, &sb->uid, &sb->gid)) {
		errno = 0;
		uid = strtoul(user, &end, 10);
		if (*user == 0 || *end || errno || uid > 0x7fffffff)
			return dks_err(err, 0, "build user '%s': no such user", user);
		sb->uid = (uid_t)uid;
		sb->gid = (gid_t)uid;
	}
	/* The whole point is to run the build without host privileges. */
	if (sb->uid == 0 || sb->gid == 0)
		return dks_err(err, 0, "build user '%s': must not be root", user);
	sb->user_set = true;
	return 0;
}

void dks_sandbox_set_timeout(struct dks_sandbox *sb, unsigned seconds)
{
	sb->timeout = seconds;
	sb->timeout_set = true;
}

int dks_sandbox_set_cwd(struct dks_sandbox *sb, const char *dir,
			struct dks_error *err)
{
	char *copy;

	if (!path_is_clean(dir))
		return dks_err(err, 0, "working directory '%s': must be absolute, without '..'", dir);
	copy = strdup(dir);
	if (!copy)
		return dks_err(err, ENOMEM, "cwd");
	free(sb->cwd);
	sb->cwd = copy;
	return 0;
}

int dks_sandbox_setenv(struct dks_sandbox *sb, const char *name,
		       const char *value, struct dks_error *err)
{
	size_t len = strlen(name);
	char *kv;

	if (len == 0 || strchr(name, '='))
		return dks_err(err, 0, "environment variable '%s': bad name", name);
	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return dks_err(err, ENOMEM, "setenv");
	for (size_t i = 0; i < sb->env.n; i++) {
		if (strncmp(sb->env.v[i], kv, len + 1) == 0) {
			free(sb->env.v[i]);
			sb->env.v[i] = kv;
			return 0;
		}
	}
	if (strv_push_take(&sb->env, kv) < 0)
		return dks_err(err, ENOMEM, "setenv");
	return 0;
}

void dks_sandbox_set_stdio(struct dks_sandbox *sb, int in_fd, int out_fd,
			   int err_fd)
{
	sb->fds[0] = in_fd;
	sb->fds[1] = out_fd;
	sb->fds[2] = err_fd;
}

void dks_sandbox_kill_at_output_limit(struct dks_sandbox *sb)
{
	sb->kill_at_output_limit = true;
}

static void default_user(const struct dks_sandbox *sb, uid_t *uid, gid_t *gid)
{
	if (sb->user_set) {
		*uid = sb->uid;
		*gid = sb->gid;
	} else if (geteuid() != 0) {
		*uid = geteuid();
		*gid = getegid();
	} else if (!passwd_lookup(DKS_BUILD_USER, uid, gid) &&
		   !passwd_lookup("nobody", uid, gid)) {
		*uid = *gid = 65534;
	}
}

int dks_sandbox_pass_fd(struct dks_sandbox *sb, int fd, struct dks_error *err)
{
	if (sb->n_pass >= DKS_MAX_PASS_FDS)
		return dks_err(err, 0, "sandbox: at most %d fds can be passed", DKS_MAX_PASS_FDS);
	if (fd < 0)
		return dks_err(err, EBADF, "sandbox: fd %d", fd);
	sb->pass[sb->n_pass] = fd;
	return 3 + (int)sb->n_pass++;
}

uid_t dks_sandbox_host_uid(const struct dks_sandbox *sb)
{
	uid_t u;
	gid_t g;

	default_user(sb, &u, &g);
	return u;
}

gid_t dks_sandbox_host_gid(const struct dks_sandbox *sb)
{
	uid_t u;
	gid_t g;

	default_user(sb, &u, &g);
	return g;
}

void dks_sandbox_result_clear(struct dks_sandbox_result *res)
{
	for (size_t i = 0; i < res->n_denied; i++)
		free(res->denied[i]);
	free(res->denied);
	memset(res, 0, sizeof(*res));
}
