// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "callerbind": what a root caller names (bind sources, the kernel's
 * header dirs, a toolchain image) is cloned with the caller's rights and
 * handed to the sandbox, so that the build user never needs to reach the
 * caller's path (a checkout under /root, a 0700 dir) — and nothing more
 * than what was named becomes reachable (docs/sandbox.md, "Named paths").
 *
 * Each test makes its own directory that only root can reach
 * (/tmp/dks-cb-XXXXXX, 0700) and puts the named things below it.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/sandbox.h"
#include "sbtest.h"

/* ---- fixtures ---------------------------------------------------------- */

/* Host mounts a test made, undone by the suite's fini (before the dirs
 * they sit in are removed). Per test process, like sbtest's. */
static struct {
	char path[4][PATH_MAX];
	size_t n;
} mounted;

static void cleanup(void)
{
	while (mounted.n)
		umount2(mounted.path[--mounted.n], MNT_DETACH);
	sbt_cleanup();
}

TestSuite(callerbind, .fini = cleanup);

static void host_mount(const char *src, const char *dst, const char *type,
		       unsigned long flags)
{
	cr_assert_lt(mounted.n, 4);
	cr_assert_eq(mount(src, dst, type, flags, NULL), 0, "mount %s at %s: %s", src, dst,
		     strerror(errno));
	snprintf(mounted.path[mounted.n++], PATH_MAX, "%s", dst);
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	cr_assert(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

/* A directory only root can reach: root's, mode 0700, removed by the fini. */
static char *private_dir(void)
{
	char *d = strdup("/tmp/dks-cb-XXXXXX");

	/* The caller lends its rights only when it is root: make check is. */
	cr_assert_eq(geteuid(), 0, "run the tests as root (make check)");
	cr_assert(d && mkdtemp(d), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(d);
	cr_assert_eq(chmod(d, 0700), 0);
	return d;
}

static char *subdir(const char *parent, const char *name, uid_t uid, gid_t gid)
{
	char *d = fmt("%s/%s", parent, name);

	cr_assert_eq(mkdir(d, 0755), 0, "mkdir %s: %s", d, strerror(errno));
	cr_assert_eq(chown(d, uid, gid), 0);
	return d;
}

static char *put_file(const char *dir, const char *name, const char *text, uid_t uid,
		      gid_t gid)
{
	char *f = fmt("%s/%s", dir, name);

	sbt_write_file(f, text, uid, gid, 0644);
	return f;
}

/* ---- running the probe with a sandbox configured by the test ---------- */

typedef void (*setup_fn)(struct dks_sandbox *sb, void *arg);

static void capture(int fd, struct sbt_out *out)
{
	struct stat st;
	ssize_t n = 0;

	cr_assert_eq(fstat(fd, &st), 0);
	out->text = calloc(1, (size_t)st.st_size + 1);
	cr_assert_not_null(out->text);
	if (st.st_size > 0)
		n = pread(fd, out->text, (size_t)st.st_size, 0);
	out->len = n > 0 ? (size_t)n : 0;
}

/* Like sbt_run, with @setup (binds at other places, a toolchain, headers
 * elsewhere) instead of struct sbt_opts: the probe's dir at /probe, stdin
 * /dev/null, stdout and stderr captured with the sandbox's messages. */
static int run_with(setup_fn setup, void *arg, char *const argv[], struct sbt_out *out)
{
	cleanup_free char *probe_dir = strdup(sbt_probe_path());
	cleanup_close int cap = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	cleanup_close int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct dks_sandbox *sb = NULL;
	struct dks_profile *prof = NULL;

	memset(out, 0, sizeof(*out));
	cr_assert(cap >= 0 && null >= 0 && probe_dir);
	cr_assert_eq(dks_profile_load("default", &prof, &out->err), 0, "%s", out->err.msg);
	cr_assert_eq(dks_sandbox_new(&sb, &out->err), 0);
	dks_sandbox_set_profile(sb, prof);
	cr_assert_eq(dks_sandbox_add_bind(sb, dirname(probe_dir), SBT_PROBE_DIR, false, &out->err),
		     0, "%s", out->err.msg);
	cr_assert_eq(sbt_set_test_user(sb, &out->err), 0, "%s", out->err.msg);
	setup(sb, arg);
	dks_sandbox_set_timeout(sb, SBT_DEFAULT_TIMEOUT);
	dks_sandbox_set_stdio(sb, null, cap, cap);
	out->host_uid = dks_sandbox_host_uid(sb);
	out->rc = dks_sandbox_run(sb, argv, &out->res, &out->err);
	capture(cap, out);
	dks_sandbox_free(sb);
	dks_profile_free(prof);
	return out->rc;
}

/* run_with "/probe/probe WHAT PATH", asserting the sandbox ran. */
static void probe_with(setup_fn setup, void *arg, struct sbt_out *out, const char *what,
		       const char *path)
{
	cleanup_free char *base = strdup(sbt_probe_path());
	cleanup_free char *probe = fmt("%s/%s", SBT_PROBE_DIR, basename(base));
	char *argv[] = {probe, (char *)what, (char *)path, NULL};

	run_with(setup, arg, argv, out);
	cr_assert_eq(out->rc, 0, "the sandbox did not run the probe: %s\noutput:\n%s",
		     out->err.msg, out->text);
}

static void add_bind(struct dks_sandbox *sb, const char *src, const char *dst, bool rw)
{
	struct dks_error err = {0};

	cr_assert_eq(dks_sandbox_add_bind(sb, src, dst, rw, &err), 0, "bind %s: %s", src, err.msg);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* ---- binds ------------------------------------------------------------- */

Test(callerbind, bind_of_dir_only_root_can_reach_is_readable_in_sandbox, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *src = subdir(top, "src", 0, 0);
	cleanup_free char *file = put_file(src, "file", "only root reaches me\n", 0, 0);
	struct sbt_opts o = {.ro = {src}};
	char *argv[] = {"/bin/cat", file, NULL};
	struct sbt_out out;

	sbt_run(&o, argv, &out);
	cr_assert_eq(out.rc, 0, "the sandbox did not start: %s", out.err.msg);
	cr_expect(out.res.outcome == DKS_SANDBOX_EXITED && out.res.exit_status == 0,
		  "cat %s: %s; output:\n%s", file, sbt_outcome(&out), out.text);
	cr_expect(sbt_has(&out, "only root reaches me"), "not the file's text:\n%s", out.text);
	sbt_out_free(&out);
}

/* What `sandbox run --ro DIR` users type, from a checkout under /root. */
Test(callerbind, cli_sandbox_run_binds_a_dir_only_root_can_reach, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *src = subdir(top, "src", 0, 0);
	cleanup_free char *file = put_file(src, "file", "cli reaches me\n", 0, 0);
	static char out[8192];
	int rc;

	rc = sbt_sh(out, sizeof(out), "%s sandbox run --ro %s -- /bin/cat %s", getenv("DKS_BIN"),
		    src, file);
	cr_expect_eq(rc, 0, "exit %d:\n%s", rc, out);
	cr_expect(strstr(out, "cli reaches me") != NULL, "not the file's text:\n%s", out);
}

Test(callerbind, rw_bind_below_0700_parent_is_writable, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *build = NULL, *made = NULL, *what = NULL;
	struct sbt_opts o = {0};
	struct sbt_out out;
	struct stat st;
	uid_t uid;
	gid_t gid;

	sbt_host_ids(NULL, &uid, &gid);
	build = subdir(top, "build", uid, gid);
	made = fmt("%s/made-in-sandbox", build);
	what = fmt("write %s", made);
	o.rw[0] = build;
	sbt_probe(&o, &out, "write", made, NULL);
	sbt_assert_ok(&out, what);
	sbt_out_free(&out);
	cr_assert_eq(lstat(made, &st), 0, "%s is not on the host: %s", made, strerror(errno));
	cr_expect_eq(st.st_uid, uid, "written as uid %u, not the build user's %u",
		     (unsigned)st.st_uid, (unsigned)uid);
}

/* The mount point field (5) and the root field (4) of mountinfo lines. */
static bool mount_at(const struct sbt_out *out, const char *point, char *root, size_t size)
{
	cleanup_free char *copy = strdup(out->text);
	char *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char r[PATH_MAX], mp[PATH_MAX];

		if (sscanf(l, "%*s %*s %*s %4095s %4095s", r, mp) == 2 && strcmp(mp, point) == 0) {
			snprintf(root, size, "%s", r);
			return true;
		}
	}
	return false;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* OPEN_TREE_CLONE|AT_RECURSIVE: the named dir and the mounts below it,
 * never its parent, its siblings or the mounts beside it. */
Test(callerbind, named_source_bound_but_its_0700_parent_siblings_are_not_reachable, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *src = subdir(top, "src", 0, 0), *sib = subdir(top, "sibling", 0, 0);
	cleanup_free char *sub = subdir(src, "sub", 0, 0);
	cleanup_free char *secret = put_file(top, "secret", "s\n", 0, 0);
	cleanup_free char *sibfile = put_file(sib, "file", "s\n", 0, 0);
	cleanup_free char *dotdot = fmt("%s/../secret", src), *subfile = NULL;
	cleanup_free char *tail = fmt("/%s/src", basename(top));
	const char *hidden[] = {secret, dotdot, sibfile};
	struct sbt_opts o = {.ro = {src}};
	struct sbt_out out;
	char root[PATH_MAX];

	host_mount("tmpfs", sub, "tmpfs", 0);
	host_mount("tmpfs", sib, "tmpfs", 0);
	subfile = put_file(sub, "file", "below\n", 0, 0);
	free(put_file(sib, "file", "s\n", 0, 0));
	sbt_probe(&o, &out, "read", subfile, NULL);
	sbt_assert_ok(&out, NULL);
	sbt_out_free(&out);
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		cleanup_free char *what = fmt("read %s", hidden[i]);

		sbt_probe(&o, &out, "read", hidden[i], NULL);
		sbt_assert_failed_with(&out, what, ENOENT);
		sbt_out_free(&out);
	}
	sbt_probe(&o, &out, "mountinfo", NULL);
	cr_assert(mount_at(&out, src, root, sizeof(root)), "no mount at %s:\n%s", src, out.text);
	cr_expect(ends_with(root, tail), "the mount at %s shows %s of the host, not the named dir",
		  src, root);
	cr_expect(mount_at(&out, sub, root, sizeof(root)), "the mount below %s is missing", src);
	cr_expect(!mount_at(&out, top, root, sizeof(root)), "the parent is mounted:\n%s", out.text);
	cr_expect(!mount_at(&out, sib, root, sizeof(root)), "a sibling is mounted:\n%s", out.text);
	sbt_out_free(&out);
}

/* Owned by the build user, so only the mount can refuse the write. */
static void expect_read_only(void)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *src = NULL, *file = NULL, *made = NULL;
	struct sbt_opts o = {0};
	struct sbt_out out;
	const char *targets[2];
	char text[64] = "";
	uid_t uid;
	gid_t gid;
	int fd;

	sbt_host_ids(NULL, &uid, &gid);
	src = subdir(top, "src", uid, gid);
	file = put_file(src, "file", "original\n", uid, gid);
	made = fmt("%s/new", src);
	o.ro[0] = src;
	targets[0] = made;
	targets[1] = file;
	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *what = fmt("write %s", targets[i]);

		sbt_probe(&o, &out, "write", targets[i], NULL);
		sbt_assert_failed_with(&out, what, EROFS);
		sbt_out_free(&out);
	}
	/* Making it writable again takes a mount call, with no capability. */
	sbt_probe(&o, &out, "mount", NULL);
	sbt_assert_denied(&out, EPERM);
	sbt_out_free(&out);
	cr_expect_neq(access(made, F_OK), 0, "%s was created on the host", made);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_expect_gt(read(fd, text, sizeof(text) - 1), 0);
	close(fd);
	cr_expect_str_eq(text, "original\n", "the host file changed");
}

Test(callerbind, read_only_bind_from_caller_stays_read_only, .timeout = 60)
{
	expect_read_only();
}

/* mount(2) only in init: the caller's tree is moved with MS_MOVE and made
 * read-only by the libmount remount, not by the caller's mount_setattr. */
Test(callerbind, read_only_bind_from_caller_stays_read_only_with_legacy_mount_api,
     .timeout = 60)
{
	setenv("DKMS_SANDBOX_MOUNT_API", "legacy", 1);
	expect_read_only();
	unsetenv("DKMS_SANDBOX_MOUNT_API");
}

/* ---- fds ---------------------------------------------------------------- */

Test(callerbind, no_extra_fd_reaches_command, .timeout = 60)
{
	cleanup_free char *kver = sbt_installed_kernel();
	cleanup_free char *top = private_dir();
	cleanup_free char *src = subdir(top, "src", 0, 0), *build = NULL;
	char *argv[] = {"/bin/ls", "-1", "/proc/self/fd", NULL};
	struct sbt_opts o = {.kernel = kver, .ro = {src}};
	struct sbt_out out;
	cleanup_free char *copy = NULL;
	char *save = NULL, fds[64] = "";
	size_t size = sizeof(fds);
	uid_t uid;
	gid_t gid;

	sbt_host_ids(NULL, &uid, &gid);
	build = subdir(top, "build", uid, gid);
	o.rw[0] = build;
	sbt_run(&o, argv, &out);
	cr_assert_eq(out.rc, 0, "%s", out.err.msg);
	copy = strdup(out.text);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strspn(l, "0123456789") == strlen(l) && strlen(fds) + strlen(l) + 2 < size)
			strcat(strcat(fds, l), " ");
	/* 0-2, and 3: the directory ls reads. */
	cr_expect_str_eq(fds, "0 1 2 3 ", "the command's fds are %s; output:\n%s", fds, out.text);
	sbt_out_free(&out);
}

static void image_and_binds(struct dks_sandbox *sb, void *arg)
{
	char **p = arg;
	struct dks_error err = {0};

	cr_assert_eq(dks_sandbox_set_toolchain(sb, p[0], &err), 0, "%s", err.msg);
	add_bind(sb, p[1], "/src", false);
}

Test(callerbind, caller_keeps_no_fd_after_the_run, .timeout = 60)
{
	cleanup_free char *kver = sbt_installed_kernel();
	cleanup_free char *top = private_dir();
	cleanup_free char *src = subdir(top, "src", 0, 0), *img = subdir(top, "img", 0, 0);
	struct sbt_opts o = {.kernel = kver, .ro = {src}};
	char *paths[] = {img, src};
	struct sbt_out out;
	int before;

	sbt_probe(&o, &out, "uid", NULL); /* whatever a first run opens for good */
	sbt_out_free(&out);
	before = count_fds();
	sbt_probe(&o, &out, "uid", NULL);
	sbt_out_free(&out);
	cr_expect_eq(count_fds(), before, "a run with binds and headers left %d fds open",
		     count_fds() - before);
	probe_with(image_and_binds, paths, &out, "uid", NULL);
	sbt_out_free(&out);
	cr_expect_eq(count_fds(), before, "a run with an image left %d fds open",
		     count_fds() - before);
}

/* ---- kernel headers and toolchain images -------------------------------- */

struct headers {
	char kver[256];
	char dir[PATH_MAX];
};

static void unpacked_headers(struct dks_sandbox *sb, void *arg)
{
	struct headers *h = arg;
	struct dks_error err = {0};

	cr_assert_eq(dks_sandbox_set_kernel(sb, h->kver, h->dir, &err), 0, "%s", err.msg);
}

/* Debian's 6.12 headers unpacked by tests/fetch-kernel.sh (cached), bound
 * on the host below a 0700 dir: build, its -common dir and the kbuild dir
 * its scripts link to all resolve in the sandbox. */
Test(callerbind, kernel_headers_unpacked_below_0700_dir_resolve_in_sandbox, .timeout = 600)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *root = subdir(top, "k", 0, 0);
	cleanup_free char *cmd = fmt("%s/tests/fetch-kernel.sh /var/tmp/dkms-sandbox-kernels 6.12",
				     getenv("DKS_SRCDIR"));
	char unpacked[PATH_MAX], base[256], *reads[2];
	struct headers h;
	struct sbt_out out;
	FILE *p = popen(cmd, "r");

	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%255s %4095s", h.kver, unpacked), 2,
		     "fetch-kernel.sh printed nothing");
	pclose(p);
	host_mount(unpacked, root, NULL, MS_BIND | MS_REC);
	snprintf(h.dir, sizeof(h.dir), "%s/usr/src/linux-headers-%s", root, h.kver);
	snprintf(base, sizeof(base), "%s", h.kver);
	*strrchr(base, '-') = 0;
	reads[0] = fmt("/lib/modules/%s/build/scripts/Makefile.build", h.kver);
	reads[1] = fmt("/usr/src/linux-headers-%s-common/Makefile", base);
	for (size_t i = 0; i < 2; i++) {
		probe_with(unpacked_headers, &h, &out, "read", reads[i]);
		sbt_assert_ok(&out, NULL);
		sbt_out_free(&out);
		free(reads[i]);
	}
}

Test(callerbind, toolchain_image_below_0700_dir_is_the_sandbox_root, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *img = subdir(top, "img", 0, 0), *src = subdir(top, "src", 0, 0);
	cleanup_free char *marker = put_file(img, "image-marker", "image\n", 0, 0);
	cleanup_free char *file = put_file(src, "file", "src\n", 0, 0);
	char *paths[] = {img, src};
	const char *reads[] = {"/image-marker", "/src/file"};
	struct sbt_out out;

	for (size_t i = 0; i < 2; i++) {
		probe_with(image_and_binds, paths, &out, "read", reads[i]);
		sbt_assert_ok(&out, NULL);
		sbt_out_free(&out);
	}
}

static void image_and_file_bind(struct dks_sandbox *sb, void *arg)
{
	char **p = arg;
	struct dks_error err = {0};

	cr_assert_eq(dks_sandbox_set_toolchain(sb, p[0], &err), 0, "%s", err.msg);
	add_bind(sb, p[1], "/data/file", false);
}

/* A file (not a directory) bound into a toolchain image: its mount point
 * is made in the image's skeleton, which is read-only once made. */
Test(callerbind, a_file_bind_into_a_toolchain_image_is_readable, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *img = subdir(top, "img", 0, 0), *src = subdir(top, "src", 0, 0);
	cleanup_free char *marker = put_file(img, "image-marker", "image\n", 0, 0);
	cleanup_free char *file = put_file(src, "file", "src\n", 0, 0);
	char *paths[] = {img, file};
	struct sbt_out out;

	probe_with(image_and_file_bind, paths, &out, "read", "/data/file");
	sbt_assert_ok(&out, NULL);
	sbt_out_free(&out);
}

/* ---- what the caller's rights must not do -------------------------------- */

struct nested {
	const char *outer, *inner;
};

static void nested_binds(struct dks_sandbox *sb, void *arg)
{
	struct nested *n = arg;

	add_bind(sb, n->outer, "/w", true);
	add_bind(sb, n->inner, "/w/sub", false);
}

/* A clone of a shared host mount joins its peer group: unless the caller
 * makes it private, the sandbox's mount of /w/sub would appear on the
 * host below the named dir (and stay after the sandbox is gone). */
Test(callerbind, mount_below_a_shared_named_tree_does_not_reach_the_host, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *outer = subdir(top, "shared", 0, 0), *inner = subdir(top, "inner", 0, 0);
	cleanup_free char *sub = NULL, *mine = NULL;
	cleanup_free char *line = NULL;
	struct nested n = {outer, inner};
	struct sbt_out out;
	size_t size = 0;
	bool leaked = false;
	FILE *f;

	host_mount("tmpfs", outer, "tmpfs", 0);
	cr_assert_eq(mount(NULL, outer, NULL, MS_SHARED, NULL), 0, "%s", strerror(errno));
	sub = subdir(outer, "sub", 0, 0);
	free(put_file(inner, "file", "inner\n", 0, 0));
	probe_with(nested_binds, &n, &out, "read", "/w/sub/file");
	sbt_assert_ok(&out, NULL);
	sbt_out_free(&out);
	mine = fmt(" %s ", sub);
	f = fopen("/proc/self/mountinfo", "re");
	cr_assert_not_null(f);
	while (getline(&line, &size, f) > 0)
		leaked = leaked || strstr(line, mine);
	fclose(f);
	cr_expect(!leaked, "the sandbox's mount at /w/sub appeared on the host at %s", sub);
}

struct swap {
	const char *named, *target;
};

/* Named while it is a dir, swapped for a symlink before the run: whoever
 * owns a component of a named path could do that. */
static void bind_then_swap(struct dks_sandbox *sb, void *arg)
{
	struct swap *s = arg;

	add_bind(sb, s->named, NULL, false);
	cr_assert_eq(rmdir(s->named), 0);
	cr_assert_eq(symlink(s->target, s->named), 0);
}

Test(callerbind, symlink_swapped_into_a_named_path_is_not_followed_with_the_callers_rights,
     .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *secret_dir = subdir(top, "secret", 0, 0);
	cleanup_free char *secret = put_file(secret_dir, "key", "root's secret\n", 0, 0);
	cleanup_free char *pub = NULL, *named = NULL, *target = NULL, *seen = NULL;
	struct sbt_out out;
	struct swap s;
	char *argv[3];
	uid_t uid;
	gid_t gid;

	sbt_host_ids(NULL, &uid, &gid);
	pub = sbt_mkdtemp(NULL); /* the build user's, as a build dir is */
	named = subdir(pub, "src", uid, gid);
	target = fmt("../%s/secret", basename(top));
	s = (struct swap){named, target};
	seen = fmt("%s/key", named);
	argv[0] = "/bin/cat";
	argv[1] = seen;
	argv[2] = NULL;
	run_with(bind_then_swap, &s, argv, &out);
	/* The build user resolves the link as before: no bind, or no read. */
	cr_expect(!sbt_has(&out, "root's secret"), "%s was read through the swapped-in link",
		  secret);
	sbt_out_free(&out);
}

/* Today's semantics: the link is resolved when the bind is named, and its
 * target is bound at the target's path. */
Test(callerbind, bind_source_that_is_a_symlink_binds_its_target, .timeout = 60)
{
	cleanup_free char *top = private_dir();
	cleanup_free char *src = subdir(top, "src", 0, 0);
	cleanup_free char *file = put_file(src, "file", "target\n", 0, 0);
	cleanup_free char *link = fmt("%s/link", top);
	struct sbt_opts o = {.ro = {link}};
	struct sbt_out out;

	cr_assert_eq(symlink("src", link), 0);
	sbt_probe(&o, &out, "read", file, NULL);
	sbt_assert_ok(&out, NULL);
	sbt_out_free(&out);
}
