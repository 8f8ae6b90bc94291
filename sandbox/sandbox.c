// SPDX-License-Identifier: GPL-2.0-or-later
/* The sandbox object: configuration only. Running is in run.c. */
#include <errno.h>
#include <fcntl.h>
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
	sb->tee_fd = -1;
	sb->uid_lock = -1;
	sb->scratch_fd = -1;
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
	/* The scratch first: its pages are charged to the uid's kept cgroup
	 * until the tmpfs goes, which the next holder of the uid takes. */
	if (sb->scratch_fd >= 0)
		close(sb->scratch_fd);
	if (sb->uid_lock >= 0)
		close(sb->uid_lock);
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

static int push_bind(struct dks_sandbox *sb, char *src, const char *dst, bool writable,
		     uint64_t scratch, struct dks_error *err)
{
	struct dks_bind *b;

	if (!path_is_clean(dst) || strcmp(dst, "/") == 0) {
		dks_err(err, 0, "bind destination '%s': must be an absolute path below / without '..'", dst);
		goto fail;
	}
	b = realloc(sb->binds, (sb->n_binds + 1) * sizeof(*b));
	if (!b)
		goto nomem;
	sb->binds = b;
	b = &sb->binds[sb->n_binds];
	*b = (struct dks_bind){.src = src, .dst = strdup(dst), .writable = writable,
			       .scratch = scratch};
	if (!b->dst)
		goto nomem;
	sb->n_binds++;
	return 0;
nomem:
	dks_err(err, ENOMEM, "bind");
fail:
	free(src);
	return -1;
}

int dks_sandbox_add_bind(struct dks_sandbox *sb, const char *src,
			 const char *dst, bool writable, struct dks_error *err)
{
	char *rsrc = realpath(src, NULL);

	if (!rsrc)
		return dks_err_reason(err, errno == ENOENT ? DKS_SANDBOX_NO_SOURCE : 0, errno,
				      "bind source '%s'", src);
	return push_bind(sb, rsrc, dst ? dst : rsrc, writable, 0, err);
}

int dks_sandbox_add_scratch(struct dks_sandbox *sb, const char *dst, uint64_t size,
			    struct dks_error *err)
{
	char *what;

	if (geteuid() != 0 || dks_mount_api_legacy())
		return dks_err_reason(err, DKS_SANDBOX_NO_SCRATCH, 0, "scratch %s: only root can make "
				      "a tmpfs outside the sandbox (and not with the legacy mount API)", dst);
	if (size == 0)
		return dks_err(err, 0, "scratch %s: size 0", dst);
	for (size_t i = 0; i < sb->n_binds; i++)
		if (sb->binds[i].scratch)
			return dks_err(err, 0, "scratch %s: a sandbox has one scratch", dst);
	what = strdup("scratch tmpfs");
	if (!what)
		return dks_err(err, ENOMEM, "scratch");
	return push_bind(sb, what, dst, true, size, err);
}

int dks_sandbox_add_tmpfs(struct dks_sandbox *sb, const char *dst, uint64_t size,
			  struct dks_error *err)
{
	char *what;

	if (size < 16384)
		return dks_err(err, 0, "tmpfs %s: size %llu: at least 16K", dst,
			       (unsigned long long)size);
	what = strdup("tmpfs");
	if (!what)
		return dks_err(err, ENOMEM, "tmpfs");
	if (push_bind(sb, what, dst, true, 0, err) < 0)
		return -1;
	sb->binds[sb->n_binds - 1].tmpfs = size;
	return 0;
}

int dks_sandbox_scratch(const struct dks_sandbox *sb)
{
	return sb->scratch_fd < 0 ? -1 : fcntl(sb->scratch_fd, F_DUPFD_CLOEXEC, 3);
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

static int set_range(struct dks_sandbox *sb, const struct dks_idrange *r, const char *what,
		     struct dks_error *err)
{
	if (dks_buildids_check_passwd(r, what, err) < 0)
		return -1;
	sb->range = *r;
	sb->user_kind = DKS_USER_RANGE;
	return 0;
}

static int set_fixed(struct dks_sandbox *sb, const char *user, struct dks_error *err)
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
	/* Its processes could reach the build's (signals, /proc, setns). */
	if (sb->uid == 65534 || strcmp(user, "nobody") == 0)
		return dks_err(err, 0, "build user '%s': host processes share it; give a range of "
				       "build uids (FIRST-LAST) or a user of its own", user);
	sb->user_kind = DKS_USER_FIXED;
	sb->user_resolved = true;
	return 0;
}

int dks_sandbox_set_user(struct dks_sandbox *sb, const char *user,
			 struct dks_error *err)
{
	struct dks_idrange r;
	int ret;

	if (sb->uid_lock >= 0)
		return dks_err(err, 0, "build user: already chosen for this sandbox");
	sb->user_resolved = false;
	if (strncmp(user, "subids:", 7) == 0)
		return dks_buildids_subids(user + 7, &r, err) < 0 ? -1 : set_range(sb, &r, user, err);
	ret = dks_buildids_parse(user, &r, err);
	if (ret != 0)
		return ret < 0 ? -1 : set_range(sb, &r, user, err);
	return set_fixed(sb, user, err);
}

int dks_sandbox_resolve_user(struct dks_sandbox *sb, struct dks_error *err)
{
	struct dks_idrange r;

	if (sb->user_resolved)
		return 0;
	if (geteuid() != 0) {
		sb->uid = geteuid();
		sb->gid = getegid();
		sb->user_resolved = true;
		return 0;
	}
	if (sb->user_kind == DKS_USER_RANGE)
		r = sb->range;
	else if (dks_buildids_subids(DKS_BUILD_USER, &r, err) < 0)
		return -1;
	sb->uid_lock = dks_buildids_acquire(&r, &sb->uid, &sb->gid, err);
	if (sb->uid_lock < 0)
		return -1;
	sb->user_resolved = true;
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

void dks_sandbox_set_tee(struct dks_sandbox *sb, int fd)
{
	sb->tee_fd = fd;
}

void dks_sandbox_kill_at_output_limit(struct dks_sandbox *sb)
{
	sb->kill_at_output_limit = true;
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
	if (sb->user_resolved)
		return sb->uid;
	return geteuid() == 0 ? (uid_t)-1 : geteuid();
}

gid_t dks_sandbox_host_gid(const struct dks_sandbox *sb)
{
	if (sb->user_resolved)
		return sb->gid;
	return geteuid() == 0 ? (gid_t)-1 : getegid();
}

void dks_sandbox_result_clear(struct dks_sandbox_result *res)
{
	for (size_t i = 0; i < res->n_denied; i++)
		free(res->denied[i]);
	free(res->denied);
	memset(res, 0, sizeof(*res));
}
