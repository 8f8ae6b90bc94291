// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One build job: module m/v for one kernel. The module's code (dkms.conf,
 * patches, PRE_BUILD, Makefile, POST_BUILD) runs only inside sandboxes;
 * this side prepares an empty build directory owned by the build user,
 * reads the log, collects the .ko files without following links and
 * commits them into the tree atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "debuginfo.h"
#include "cachebuild.h"
#include "depends.h"
#include "prebuild.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/dkmsconf.h"
#include "dks/installer.h"
#include "installer/txn.h"
#include "dks/recipe.h"
#include "dks/sandbox.h"
#include "dks/spec.h"
#include "dks/termsafe.h"
#include "dks/toolchain.h"

/* Runs in the build sandbox, in the build directory, as bash. Everything
 * it runs comes from the module; its exit code says which step failed. */
static const char build_driver[] =
	"set -u\n"
	"umask 022\n" /* the same modes whatever the caller's (reproenv.c) */
	/* The module's source at its canonical path, writable: a copy of the
	 * read-only original in a tmpfs of the sandbox's own (a MAKE may write
	 * there; the host's copy never changes). Then dkms's build dir. */
	"cp -dR --preserve=mode,timestamps,links \"$DKS_SRC_RO/.\" \"$DKS_SRC\" &&\n"
	"cp -dR --preserve=mode,timestamps,links \"$DKS_SRC/.\" . || { echo 'dkms-sandbox: cannot copy the source' >&2; exit 8; }\n"
	/* CC as dkms exports it: the compiler that built the kernel
	 * (CONFIG_CC_VERSION_TEXT's first word, clang, ld.lld), if the
	 * toolchain has it; .kernelvariables (Ubuntu) first. */
	"unset CC KERNEL_CC\n"
	"k=$DKS_KERNEL_DIR\n"
	"if [ -f \"$k/.kernelvariables\" ]; then\n"
	"  CC=$(printf 'include %s\\nshow-cc:\\n\\t@echo $(CC)\\n' \"$k/.kernelvariables\" | make -s -f - show-cc) && export CC\n"
	"fi\n"
	"if [ -f \"$k/.config\" ]; then\n"
	"  t=$(grep -m1 '^CONFIG_CC_VERSION_TEXT=' \"$k/.config\"); t=${t#*=}; t=${t#\\\"}; t=${t%% *}\n"
	"  grep -q '^CONFIG_CC_IS_CLANG=y' \"$k/.config\" && t=clang\n"
	"  [ -n \"$t\" ] && command -v \"$t\" >/dev/null && export CC=$t KERNEL_CC=$t\n"
	"  grep -q '^CONFIG_LD_IS_LLD=y' \"$k/.config\" && command -v ld.lld >/dev/null && export LD=ld.lld KERNEL_LD=ld.lld\n"
	"fi\n"
	"while IFS= read -r p; do\n"
	"  [ -n \"$p\" ] || continue\n"
	"  if [ ! -f \"patches/$p\" ]; then echo \"dkms-sandbox: patch $p is missing\" >&2; exit 5; fi\n"
	"  echo \"Applying patch $p\"\n"
	"  patch -p1 < \"patches/$p\" || { echo \"dkms-sandbox: patch $p failed\" >&2; exit 6; }\n"
	"done <<< \"$DKS_PATCHES\"\n"
	"run_script() {\n"
	"  [ -n \"$2\" ] || return 0\n"
	"  case \"$2\" in /*) s=$2;; *) s=./$2;; esac\n"
	"  if [ ! -x \"${s%% *}\" ]; then echo \"dkms-sandbox: warning: the $1 script is not executable\" >&2; return 0; fi\n"
	"  echo \"Running the $1 script\"\n"
	"  $s || { echo \"dkms-sandbox: the $1 script failed\" >&2; exit 10; }\n"
	"}\n"
	"run_script pre_build \"$DKS_PRE_BUILD\"\n"
	"[ -z \"$DKS_NO_DEBUG_INFO\" ] || echo 'dkms-sandbox: no debug info: every module is stripped (strip -g); STRIP[#]=no keeps it'\n"
	"echo \"$DKS_MAKE\"\n"
	"bash -c \"$DKS_MAKE\" || { echo \"dkms-sandbox: make failed (exit $?)\" >&2; exit 10; }\n"
	"mkdir -p \"$DKS_KERNEL_TREE_DIR/log\" \"$DKS_KERNEL_TREE_DIR/module\"\n"
	"run_script post_build \"$DKS_POST_BUILD\"\n"
	"while IFS= read -r ko; do\n"
	"  [ -n \"$ko\" ] && [ -f \"$ko\" ] && { strip -g \"$ko\" || exit 10; }\n"
	"done <<< \"$DKS_STRIP\"\n"
	"exit 0\n";

static void spec_target(const struct dks_build_env *env, const struct dks_target *t,
			struct dks_spec_target *st)
{
	*st = (struct dks_spec_target){.kver = t->kver, .arch = t->arch, .kernel_dir = t->headers_in,
				       .dkms_tree = DKS_IN_DKMS_TREE,
				       .source_tree = DKS_IN_SOURCE_TREE,
				       .install_tree = DKS_IN_INSTALL_TREE, .jobs = env->jobs};
}

static int recipe_spec(const char *path, const struct dks_spec_target *st, struct dks_spec **out,
		       struct dks_error *err)
{
	struct dks_recipe *r = NULL;
	int ret;

	if (dks_recipe_load(path, &r, err) < 0)
		return -1;
	ret = dks_recipe_spec(r, st, out, err);
	dks_recipe_free(r);
	return ret;
}

/* Evaluate dkms.conf with the source at its canonical path and the files
 * of the modules it reads (@deps_of: a first spec's BUILD_DEPENDS, or
 * NULL) read-only at theirs: a conf may look for them (`find /usr/src`). *@n_deps: how many binds that was. */
static int eval_conf(const struct dks_build_env *env, const char *m, const char *v,
		     const struct dks_target *target, const char *conf, const char *src,
		     const struct dks_spec *deps_of, size_t *n_deps, struct dks_spec **out,
		     struct dks_error *err)
{
	struct dks_eval_opts o = {.profile = env->profile, .toolchain = env->cfg->toolchain,
				  .kernel_headers = target->headers,
				  .build_user = env->cfg->build_user,
				  .conf_dir = env->cfg->dkms_confdir ? env->cfg->dkms_confdir
								      : DKS_DEFAULT_DKMS_CONFDIR,
				  .module = m, .version = v, .directives = env->directives,
				  .n_directives = env->n_directives};
	struct dks_spec_target st;
	struct strv deps = {0};
	char in_src[PATH_MAX];
	int ret;

	spec_target(env, target, &st);
	ret = dks_build_dep_paths(env, m, v, target->kver, deps_of, &deps, err);
	snprintf(in_src, sizeof(in_src), DKS_IN_SOURCE_TREE "/%s-%s", m, v);
	o.source_in = in_src;
	o.ro_binds = deps.v;
	o.n_ro_binds = *n_deps = deps.n;
	if (ret == 0)
		ret = dks_dkmsconf_eval(conf, src, &st, &o, out, err);
	strv_free(&deps);
	return ret;
}

int dks_build_spec(const struct dks_build_env *env, const char *m, const char *v,
		   const struct dks_target *target, struct dks_spec **out, struct dks_error *err)
{
	cleanup_free char *src = dks_tree_source_dir(env->tree, m, v);
	struct dks_spec_target st;
	struct dks_spec *first = NULL;
	char path[PATH_MAX];
	size_t n1 = 0, n2 = 0;
	struct strv more = {0};
	int ret;

	if (!src)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, 0, "%s/%s: not added", m, v);
	spec_target(env, target, &st);
	snprintf(path, sizeof(path), "%s/%s", src, DKS_RECIPE_IN_SOURCE);
	if (!env->conf && access(path, F_OK) == 0)
		return dks_prebuild_recipe(path, err) < 0 ? -1 : recipe_spec(path, &st, out, err);
	/* dkms's -c: the administrator's file, still evaluated in a sandbox */
	snprintf(path, sizeof(path), "%s", env->conf ? env->conf : src);
	if (!env->conf)
		strncat(path, "/dkms.conf", sizeof(path) - strlen(path) - 1);
	if (access(path, F_OK) < 0)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s/%s: no dkms.conf or %s in %s", m,
				    v, DKS_RECIPE_IN_SOURCE, src);
	if (eval_conf(env, m, v, target, path, src, NULL, &n1, &first, err) < 0)
		return -1;
	/* Its BUILD_DEPENDS are known now: under dkms the conf saw their
	 * files (all of /usr/src), so it is read again with them there. */
	ret = dks_build_dep_paths(env, m, v, target->kver, first, &more, err);
	n2 = more.n;
	strv_free(&more);
	if (ret < 0) {
		dks_spec_free(first);
		return -1;
	}
	if (n2 == n1) {
		*out = first;
		return 0;
	}
	ret = eval_conf(env, m, v, target, path, src, first, &n2, out, err);
	dks_spec_free(first);
	return ret;
}

/* 'single quotes' for a path put into a command line. */
static char *shell_quote(const char *s)
{
	size_t n = 3;
	char *q, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	q = p = malloc(n);
	if (!q)
		return NULL;
	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\'';
	*p = 0;
	return q;
}

/* dkms's default MAKE, and KERNELRELEASE after a leading "make" (dkms
 * adds -jN there too; here the build's jobserver in MAKEFLAGS decides). */
static char *make_command(const struct dks_spec *s, const struct dks_job *j)
{
	cleanup_free char *kdir = shell_quote(j->target->headers_in);
	char *cmd = NULL;

	if (!kdir)
		return NULL;
	if (!s->make) {
		if (asprintf(&cmd, "make KERNELRELEASE=%s -C %s M=%s/%s/%s/build", j->target->kver,
			     kdir, DKS_IN_DKMS_TREE, j->module, j->version) < 0)
			return NULL;
		return cmd;
	}
	if (strncmp(s->make, "make", 4) == 0 && (s->make[4] == ' ' || s->make[4] == 0)) {
		if (asprintf(&cmd, "make KERNELRELEASE=%s%s", j->target->kver, s->make + 4) < 0)
			return NULL;
		return cmd;
	}
	return strdup(s->make);
}

/* Newline-separated lists for the driver: patches, modules to strip. */
static char *patch_list(const struct dks_spec *s)
{
	char *list = strdup(""), *next;

	for (size_t i = 0; list && i < s->n_patches; i++) {
		if (asprintf(&next, "%s%s\n", list, s->patches[i].file) < 0)
			next = NULL;
		free(list);
		list = next;
	}
	return list;
}

static char *strip_list(const struct dks_spec *s)
{
	char *list = strdup(""), *next;

	for (size_t i = 0; list && i < s->n_modules; i++) {
		const struct dks_spec_module *m = &s->modules[i];
		const char *loc = m->built_location && *m->built_location ? m->built_location : ".";

		if (!m->strip)
			continue;
		if (asprintf(&next, "%s%s/%s.ko\n", list, loc, m->built_name) < 0)
			next = NULL;
		free(list);
		list = next;
	}
	return list;
}

static int set_env(struct dks_sandbox *sb, const struct dks_spec *s, const struct dks_job *j,
		   const char *in_src, struct dks_error *err)
{
	cleanup_free char *make = make_command(s, j);
	cleanup_free char *patches = patch_list(s);
	cleanup_free char *strip = strip_list(s);

	if (!make || !patches || !strip)
		return dks_err(err, ENOMEM, "build");
	if (dks_sandbox_setenv(sb, "DKS_SRC", in_src, err) < 0 ||
	    dks_sandbox_setenv(sb, "DKS_KERNEL_DIR", j->target->headers_in, err) < 0 ||
	    dks_sandbox_setenv(sb, "DKS_MAKE", make, err) < 0 ||
	    dks_sandbox_setenv(sb, "DKS_PATCHES", patches, err) < 0 ||
	    dks_sandbox_setenv(sb, "DKS_STRIP", strip, err) < 0 ||
	    dks_sandbox_setenv(sb, "DKS_PRE_BUILD", s->pre_build ? s->pre_build : "", err) < 0 ||
	    dks_sandbox_setenv(sb, "DKS_POST_BUILD", s->post_build ? s->post_build : "", err) < 0)
		return -1;
	/* What dkms's build runs under (`module=... kernelver=... do_build`:
	 * bash exports a function's temporary assignments): a Makefile may
	 * read $(kernelver), PRE_BUILD $arch. As hooks.c's install scripts. */
	if (dks_sandbox_setenv(sb, "kernelver", j->target->kver, err) < 0 ||
	    dks_sandbox_setenv(sb, "arch", j->target->arch, err) < 0 ||
	    dks_sandbox_setenv(sb, "module", s->name, err) < 0 ||
	    dks_sandbox_setenv(sb, "module_version", s->version, err) < 0)
		return -1;
	return dks_build_repro_env(sb, err);
}

/* This build's own make jobserver (jobs.c deals the run's slots out):
 * fds 3 and 4; none for a share of one slot. Then, when nothing keeps
 * the debug info, the override that skips it (debuginfo.c). */
static int set_makeflags(struct dks_sandbox *sb, const struct dks_build_env *env,
			 const struct dks_spec *s, const struct dks_job *j, struct dks_error *err)
{
	const char *tail = dks_build_drops_debug_info(s, j->target->headers)
				   ? DKS_NO_DEBUG_INFO_MAKEFLAGS
				   : "";
	char flags[128];
	int r = -1, w = -1;

	if (env->jobserver[0] >= 0) {
		r = dks_sandbox_pass_fd(sb, env->jobserver[0], err);
		w = r < 0 ? -1 : dks_sandbox_pass_fd(sb, env->jobserver[1], err);
		if (w < 0)
			return -1;
	}
	if (r < 0)
		snprintf(flags, sizeof(flags), "-j%d%s", env->jobs, tail);
	else
		snprintf(flags, sizeof(flags), " -j%d --jobserver-auth=%d,%d%s", env->jobs, r, w,
			 tail);
	return dks_sandbox_setenv(sb, "MAKEFLAGS", flags, err) < 0 ||
			       dks_sandbox_setenv(sb, "DKS_NO_DEBUG_INFO", *tail ? "1" : "", err) < 0
		       ? -1
		       : 0;
}

struct build_dirs {
	const char *src;   /* host: the module's source */
	int log_fd;
	int null_fd;
};

/* Where the build dir is in the sandbox: M=, as dkms has it. */
static void build_dir_in(const struct dks_job *j, char *buf, size_t size)
{
	snprintf(buf, size, DKS_IN_DKMS_TREE "/%s/%s/build", j->module, j->version);
}

/* The source at its canonical path, writable, in a tmpfs of its own
 * (the driver copies the original there from its read-only bind at
 * <m>/<v>/source: the host's copy cannot be written, whatever the build
 * does); the files of the modules it depends on, read-only (build_deps.c). */
static int add_sources(struct dks_sandbox *sb, const struct dks_build_env *env,
		       const struct dks_spec *s, const struct dks_job *j,
		       const struct build_dirs *d, struct dks_error *err)
{
	uint64_t size = env->profile ? env->profile->limits.build_size : 0;
	char in_src[PATH_MAX], in_orig[PATH_MAX];
	struct strv deps = {0};
	int ret;

	snprintf(in_src, sizeof(in_src), DKS_IN_SOURCE_TREE "/%s-%s", j->module, j->version);
	snprintf(in_orig, sizeof(in_orig), DKS_IN_DKMS_TREE "/%s/%s/source", j->module, j->version);
	if (dks_sandbox_add_bind(sb, d->src, in_orig, false, err) < 0 ||
	    dks_sandbox_add_tmpfs(sb, in_src, size ? size : 4ULL << 30, err) < 0 ||
	    dks_sandbox_setenv(sb, "DKS_SRC_RO", in_orig, err) < 0)
		return -1;
	ret = dks_build_dep_paths(env, j->module, j->version, j->target->kver, s, &deps, err);
	for (size_t i = 0; ret == 0 && i + 1 < deps.n; i += 2)
		ret = dks_sandbox_add_bind(sb, deps.v[i], deps.v[i + 1], false, err);
	strv_free(&deps);
	return ret;
}

/* dkms's <m>/<v>/<kver>/<arch> with its log/ and module/, as a POST_BUILD
 * finds it (zfs-dkms's copies zfs_config.h and Module.symvers there): a
 * small tmpfs of the sandbox's own, thrown away with it. What the build
 * leaves there is not kept: the tree's <kver>/<arch> holds only what the
 * build hands back through module/ and what root writes. */
static int add_kernel_dir(struct dks_sandbox *sb, const struct dks_job *j, struct dks_error *err)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), DKS_IN_DKMS_TREE "/%s/%s/%s/%s", j->module, j->version,
		 j->target->kver, j->target->arch);
	return dks_sandbox_add_tmpfs(sb, dir, 64ULL << 20, err) < 0 ||
			       dks_sandbox_setenv(sb, "DKS_KERNEL_TREE_DIR", dir, err) < 0
		       ? -1
		       : 0;
}

static int configure(struct dks_sandbox *sb, const struct dks_build_env *env,
		     const struct dks_spec *s, const struct dks_job *j,
		     const struct build_dirs *d, struct dks_error *err)
{
	char in_src[PATH_MAX], in_build[PATH_MAX];

	snprintf(in_src, sizeof(in_src), DKS_IN_SOURCE_TREE "/%s-%s", j->module, j->version);
	build_dir_in(j, in_build, sizeof(in_build));
	dks_sandbox_set_profile(sb, env->profile);
	dks_sandbox_set_stdio(sb, d->null_fd, d->log_fd, d->log_fd);
	if (env->verbose) /* make's output live, sanitized for a terminal */
		dks_sandbox_set_tee(sb, STDOUT_FILENO);
	if (dks_sandbox_set_kernel(sb, j->target->kver, j->target->headers, err) < 0) {
		if (err->reason == DKS_SANDBOX_NO_HEADERS)
			err->exit_code = DKS_EXIT_NO_HEADERS; /* dkms: 21 */
		return -1;
	}
	if (dks_sandbox_set_toolchain(sb, env->cfg->toolchain, err) < 0 ||
	    (env->cfg->build_user && dks_sandbox_set_user(sb, env->cfg->build_user, err) < 0) ||
	    add_sources(sb, env, s, j, d, err) < 0 || add_kernel_dir(sb, j, err) < 0 ||
	    dks_sandbox_set_cwd(sb, in_build, err) < 0 || set_makeflags(sb, env, s, j, err) < 0)
		return -1;
	return set_env(sb, s, j, in_src, err);
}

/* The driver's exit code -> dkms's. */
static int build_outcome(const struct dks_sandbox_result *res, const struct dks_job *j,
			 struct dks_error *err)
{
	const char *k = j->target->kver;

	if (res->outcome == DKS_SANDBOX_TIMED_OUT)
		return dks_err_code(err, DKS_EXIT_MAKE_FAILED, 0, "%s/%s, %s: the build timed out",
				    j->module, j->version, k);
	if (res->outcome == DKS_SANDBOX_SIGNALED)
		return dks_err_code(err, DKS_EXIT_MAKE_FAILED, 0, "%s/%s, %s: the build was killed "
				    "by signal %d", j->module, j->version, k, res->term_signal);
	switch (res->exit_status) {
	case 0:
		/* The log is part of the build: a half-written one is not kept. */
		if (res->output_errno)
			return dks_err(err, res->output_errno, "%s/%s, %s: cannot write the build's "
				       "log", j->module, j->version, k);
		return 0;
	case DKS_EXIT_PATCH_MISSING:
		return dks_err_code(err, DKS_EXIT_PATCH_MISSING, 0, "%s/%s, %s: a patch is missing",
				    j->module, j->version, k);
	case DKS_EXIT_PATCH_FAILED:
		return dks_err_code(err, DKS_EXIT_PATCH_FAILED, 0, "%s/%s, %s: a patch failed",
				    j->module, j->version, k);
	case DKS_EXIT_BAD_CONF:
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s/%s, %s: empty or unreadable "
				    "source", j->module, j->version, k);
	default:
		return dks_err_code(err, DKS_EXIT_MAKE_FAILED, 0, "%s/%s, %s: bad exit status: %d",
				    j->module, j->version, k, res->exit_status);
	}
}

static int run_build(struct dks_sandbox *sb, const struct dks_build_env *env,
		     const struct dks_spec *s, const struct dks_job *j,
		     const struct build_dirs *d, struct dks_error *err)
{
	char *argv[] = {"/bin/bash", "-c", (char *)build_driver, "dkms-sandbox-build", NULL};
	struct dks_sandbox_result res = {0};
	int ret;

	ret = configure(sb, env, s, j, d, err);
	if (ret == 0)
		ret = dks_sandbox_run(sb, argv, &res, err);
	if (ret == 0)
		ret = build_outcome(&res, j, err);
	dks_sandbox_result_clear(&res);
	return ret;
}

/* The last lines of a failed build's log, and where the whole log is.
 * The log is the build's output: control characters are replaced, always
 * (stderr may be a terminal now or a file someone cats later). */
void dks_print_log_tail(const char *path, int lines)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[16384];
	cleanup_free char *safe = NULL;
	struct dks_termsafe ts = {0};
	size_t len;
	off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = size < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, from);
	char *p;

	if (n < 0)
		return;
	buf[n] = 0;
	p = buf + n;
	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && lines > 0)
		if (*--p == '\n')
			lines--;
	if (*p == '\n')
		p++;
	safe = malloc(DKS_TERMSAFE_OUT((size_t)(buf + n - p)) + 1);
	if (!safe)
		return;
	len = dks_termsafe_feed(&ts, p, (size_t)(buf + n - p), safe);
	len += dks_termsafe_finish(&ts, safe + len);
	fprintf(stderr, "--- last lines of %s ---\n%.*s%s", path, (int)len, safe,
		n && buf[n - 1] != '\n' ? "\n" : "");
}

/* An empty build directory in the tree, owned by the build user. */
static char *make_build_dir(const struct dks_build_env *env, const struct dks_job *j,
			    uid_t uid, gid_t gid, struct dks_error *err)
{
	char *dir;

	if (asprintf(&dir, "%s/%s/%s/.build-XXXXXX", env->tree->dkms_tree, j->module,
		     j->version) < 0)
		return NULL;
	if (!mkdtemp(dir) || chown(dir, uid, gid) < 0) {
		dks_err(err, errno, "%s/%s: build directory %s", j->module, j->version, dir);
		free(dir);
		return NULL;
	}
	return dir;
}

struct job_state {
	struct dks_spec *spec;
	char *staged;
	char *build;
	int log_fd;
	int null_fd;
	struct dks_sandbox *sb;
};

static void job_state_clear(struct job_state *js)
{
	if (js->build) {
		dks_rmtree(js->build);
		free(js->build);
	}
	if (js->staged) {
		dks_rmtree(js->staged);
		free(js->staged);
	}
	if (js->log_fd >= 0)
		close(js->log_fd);
	if (js->null_fd >= 0)
		close(js->null_fd);
	dks_sandbox_free(js->sb);
	dks_spec_free(js->spec);
}

/* A module built by another compiler than its kernel's may not load (or
 * may misbehave): say so, as dkms users expect, and go on. */
static void warn_compiler(const struct dks_build_env *env, const struct dks_job *j)
{
	const char *root = env->cfg->toolchain ? env->cfg->toolchain : "/";
	int have = dks_toolchain_gcc_major(root), want = dks_kernel_gcc_major(j->target->config);

	if (have && want && have != want)
		dks_warn("%s/%s, %s: the toolchain has gcc %d, the kernel was built with gcc %d "
			 "(CONFIG_CC_VERSION_TEXT)", j->module, j->version, j->target->kver, have, want);
}

/* Spec, constraints, then a fresh staging dir with its make.log. */
static int prepare_job(const struct dks_build_env *env, const struct dks_job *j,
		       struct job_state *js, struct dks_error *err)
{
	char log[PATH_MAX];

	const struct dks_spec_target st = {.kver = j->target->kver, .arch = j->target->arch};
	cleanup_free char *src = dks_tree_source_dir(env->tree, j->module, j->version);

	if (dks_build_spec(env, j->module, j->version, j->target, &js->spec, err) < 0)
		return -1;
	for (size_t i = 0; i < js->spec->n_warnings; i++)
		dks_warn("%s", js->spec->warnings[i]);
	/* dkms's order: BUILD_EXCLUSIVE (77), the source (8), BUILD_DEPENDS
	 * (13), the patches (5). */
	if (dks_spec_exclude_modules(js->spec, &st, j->target->config, err) != 0 ||
	    (src && dks_prebuild_source(src, err) < 0) ||
	    dks_depends_check(env->tree, js->spec, j->module, j->version, j->target->kver,
			      j->target->arch, env->force, err) < 0 ||
	    (src && dks_prebuild_patches(js->spec, src, err) < 0))
		return -1;
	warn_compiler(env, j);
	js->staged = dks_tree_stage(env->tree, j->module, j->version, j->target->kver,
				    j->target->arch, err);
	if (!js->staged)
		return -1;
	snprintf(log, sizeof(log), "%s/log/make.log", js->staged);
	js->log_fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	js->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (js->log_fd < 0 || js->null_fd < 0)
		return dks_err(err, errno, "%s", log);
	return 0;
}

static int close_synced(FILE *f, const char *path, struct dks_error *err)
{
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		fclose(f);
		return dks_err(err, errno, "%s", path);
	}
	return fclose(f) == 0 ? 0 : dks_err(err, errno, "%s", path);
}

/* What the installer needs of the spec, written by us beside the modules
 * (the installer never evaluates a dkms.conf): one line per module,
 * "built_name<TAB>dest_name<TAB>dest_location". */
static int write_manifest(const struct dks_spec *s, const char *staged, struct dks_error *err)
{
	char path[PATH_MAX];
	FILE *f;

	if (s->n_modules > DKS_HANDOFF_MODULES)
		return dks_err_code(err, DKS_EXIT_BAD_CONF, 0, "%s/%s: %zu modules: at most %d",
				    s->name, s->version, s->n_modules, DKS_HANDOFF_MODULES);
	snprintf(path, sizeof(path), "%s/" DKS_MANIFEST, staged);
	f = fopen(path, "wxe");
	if (!f)
		return dks_err(err, errno, "%s", path);
	for (size_t i = 0; i < s->n_modules; i++)
		fprintf(f, "%s\t%s\t%s\n", s->modules[i].built_name, s->modules[i].dest_name,
			s->modules[i].dest_location);
	return close_synced(f, path, err);
}

/* The install hooks, for the installer (which runs them in a sandbox). */
static int write_hooks(const struct dks_spec *s, const char *staged, struct dks_error *err)
{
	const char *const names[] = {"pre_install", "post_install", "post_remove"};
	const char *const scripts[] = {s->pre_install, s->post_install, s->post_remove};
	char path[PATH_MAX];
	FILE *f;

	for (size_t i = 0; i < 3; i++)
		if (scripts[i] && strpbrk(scripts[i], "\t\n"))
			return dks_err_code(err, DKS_EXIT_BAD_CONF, 0,
					    "%s/%s: the %s script holds a tab or a newline: it cannot "
					    "be recorded for the installer", s->name, s->version,
					    names[i]);
	snprintf(path, sizeof(path), "%s/" DKS_HOOKS, staged);
	f = fopen(path, "wxe");
	if (!f)
		return dks_err(err, errno, "%s", path);
	for (size_t i = 0; i < 3; i++)
		if (scripts[i] && *scripts[i])
			fprintf(f, "%s\t%s\n", names[i], scripts[i]);
	return close_synced(f, path, err);
}

int dks_build_write_handoff(const struct dks_spec *s, const char *dir, struct dks_error *err)
{
	if (write_manifest(s, dir, err) < 0)
		return -1;
	return write_hooks(s, dir, err);
}

/* The spec's modules, for the installer's collect. */
static int collect(int dirfd, const struct dks_spec *s, const char *module_dir, const char *kver,
		   struct dks_error *err)
{
	cleanup_free struct dks_collect_item *items = calloc(s->n_modules + 1, sizeof(*items));
	char what[512];

	if (!items)
		return dks_err(err, ENOMEM, "%s/%s", s->name, s->version);
	for (size_t i = 0; i < s->n_modules; i++)
		items[i] = (struct dks_collect_item){s->modules[i].built_location,
						     s->modules[i].built_name,
						     s->modules[i].dest_name};
	snprintf(what, sizeof(what), "%s/%s, %s", s->name, s->version, kver);
	return dks_collect(dirfd, items, s->n_modules, module_dir, what, err);
}

/* The build's directory: a scratch tmpfs of the profile's build_size,
 * never on the host's disk (root), else an empty dir in the tree, bounded
 * per file only (RLIMIT_FSIZE). */
static int add_build_dir(const struct dks_build_env *env, const struct dks_job *j,
			 struct job_state *js, struct dks_error *err)
{
	uint64_t size = env->profile ? env->profile->limits.build_size : 0;
	char in_build[PATH_MAX];

	build_dir_in(j, in_build, sizeof(in_build));
	if (dks_sandbox_add_scratch(js->sb, in_build, size ? size : 4ULL << 30, err) == 0)
		return 0;
	if (err->reason != DKS_SANDBOX_NO_SCRATCH)
		return -1;
	*err = (struct dks_error){0};
	if (dks_sandbox_resolve_user(js->sb, err) < 0)
		return -1;
	js->build = make_build_dir(env, j, dks_sandbox_host_uid(js->sb),
				   dks_sandbox_host_gid(js->sb), err);
	if (!js->build)
		return -1;
	return dks_sandbox_add_bind(js->sb, js->build, in_build, true, err);
}

/* What the tree keeps beside the modules (built or from the cache). */
static int finish_stage(const struct dks_build_env *env, const struct dks_job *j,
			struct job_state *js, struct dks_error *err)
{
	if (dks_depends_record(env->tree, js->spec, j->target->kver, j->target->arch, js->staged,
			       env->force, err) < 0)
		return -1;
	dks_crash_point("build: modules collected");
	if (dks_build_write_handoff(js->spec, js->staged, err) < 0)
		return -1;
	dks_crash_point("build: handoff written");
	return 0;
}

static int build_and_collect(const struct dks_build_env *env, const struct dks_job *j,
			     struct job_state *js, struct dks_error *err)
{
	cleanup_free char *src = dks_tree_source_dir(env->tree, j->module, j->version);
	char module_dir[PATH_MAX];
	cleanup_close int dirfd = -1;
	struct build_dirs d = {.src = src, .log_fd = js->log_fd, .null_fd = js->null_fd};

	if (dks_sandbox_new(&js->sb, err) < 0 ||
	    (env->cfg->build_user && dks_sandbox_set_user(js->sb, env->cfg->build_user, err) < 0) ||
	    add_build_dir(env, j, js, err) < 0 || run_build(js->sb, env, js->spec, j, &d, err) != 0)
		return -1;
	dirfd = js->build ? open(js->build, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			  : dks_sandbox_scratch(js->sb);
	if (dirfd < 0)
		return dks_err(err, errno, "%s/%s: the build directory", j->module, j->version);
	snprintf(module_dir, sizeof(module_dir), "%s/module", js->staged);
	if (collect(dirfd, js->spec, module_dir, j->target->kver, err) < 0)
		return -1;
	return finish_stage(env, j, js, err);
}

/* Under the module's lock: the new build, or only the failed build's log. */
static int commit(const struct dks_build_env *env, const struct dks_job *j,
		  struct job_state *js, bool ok, struct dks_error *err)
{
	struct dks_error lerr = {0};
	int lock = dks_tree_lock(env->tree, j->module, ok ? err : &lerr);
	int ret;

	if (lock < 0)
		return -1;
	if (ok)
		ret = dks_tree_commit(env->tree, j->module, j->version, j->target->kver,
				      j->target->arch, js->staged, err);
	else
		ret = dks_tree_commit_log(env->tree, j->module, j->version, j->target->kver,
					  j->target->arch, js->staged, &lerr);
	dks_tree_unlock(lock);
	if (ret == 0) {
		free(js->staged); /* renamed into the tree */
		js->staged = NULL;
	}
	return ret;
}

/* The staging dir was taken (with m/v) by another command's remove or
 * unbuild while the build ran: whatever failed after is that, not the
 * build's fault. */
static bool stage_gone(const struct job_state *js)
{
	return js->staged && access(js->staged, F_OK) < 0 && errno == ENOENT;
}

/* A BUILD_DEPENDS module installed when the build began (its dirs are
 * bound into the sandbox) that another command uninstalled or removed
 * before the sandbox was set up ("bind source ...: No such file", found
 * by check-concurrency): that is dkms's 13, in its words, not a failure of
 * the sandbox. True when @err became that. */
static bool depends_gone(const struct dks_build_env *env, const struct dks_job *j,
			 const struct job_state *js, struct dks_error *err)
{
	struct dks_error now = {0};

	if (!js->spec || !js->spec->n_build_depends || env->force ||
	    dks_depends_check(env->tree, js->spec, j->module, j->version, j->target->kver,
			      j->target->arch, false, &now) == 0)
		return false;
	*err = now;
	return true;
}

static int build_job_once(const struct dks_build_env *env, const struct dks_job *j,
			  struct dks_error *err)
{
	struct job_state js = {.log_fd = -1, .null_fd = -1};
	struct dks_unit_inputs in = {0};
	char log[PATH_MAX];
	int ret;

	ret = prepare_job(env, j, &js, err);
	if (ret == 0) {
		/* a hit starts no sandbox: the entry's verified copies are the build */
		if (dks_build_cached(env, j, js.spec, js.staged, js.log_fd, &in))
			ret = finish_stage(env, j, &js, err);
		else if ((ret = build_and_collect(env, j, &js, err)) == 0)
			dks_build_cache_put(env, &in, js.staged);
		dks_kernel_id_clear(&in.kernel);
		if (commit(env, j, &js, ret == 0, err) < 0 && ret == 0)
			ret = -1;
		if (ret != 0 && stage_gone(&js)) {
			dks_tree_err_removed(err, j->module, j->version, j->target->kver,
					     j->target->arch);
		} else if (ret != 0 && depends_gone(env, j, &js, err)) {
			/* dkms's 13, said in its words */
		} else if (ret != 0 && js.log_fd >= 0) {
			snprintf(log, sizeof(log), "%s/%s/%s/%s/%s/log/make.log", env->tree->dkms_tree,
				 j->module, j->version, j->target->kver, j->target->arch);
			dks_print_log_tail(log, 20);
		}
	}
	job_state_clear(&js);
	if (ret != 0 && err->exit_code == 0)
		err->exit_code = DKS_EXIT_FAILURE;
	return ret == 0 ? 0 : -1;
}

/* A module the build reads (BUILD_DEPENDS, build_reads) listed with its
 * dirs, then removed and added again by other commands before the
 * sandbox bound them (check-concurrency, 6 workers: a cached install
 * takes 0.1 s): its dependency check still passes, and the build's inputs
 * are what the tree holds now. Listed again, a few times. */
int dks_build_job(const struct dks_build_env *env, const struct dks_job *j,
		  struct dks_error *err)
{
	int ret = build_job_once(env, j, err);

	for (int again = 0; ret != 0 && err->reason == DKS_SANDBOX_NO_SOURCE && again < 3;
	     again++) {
		*err = (struct dks_error){0};
		ret = build_job_once(env, j, err);
	}
	return ret;
}
