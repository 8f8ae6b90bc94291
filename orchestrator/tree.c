// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DKMS tree, writing side (include/dks/tree.h, docs/tree.md): the
 * module lock, add, staging and committing builds, unbuild, remove.
 * Reading it (status) is orchestrator/status.c.
 *
 * Every path is below t->dkms_tree, and below that root no symlink is
 * followed: directories are opened one component at a time with
 * O_NOFOLLOW, and deletes go through unlinkat(). The tree holds links of
 * its own (source, kernel-*) and may hold planted ones; a delete that
 * followed one would remove files elsewhere, as root.
 *
 * A state change is a rename: readers (status) take no lock and must only
 * ever see the old state or the new one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "dks/installer.h"
#include "installer/txn.h"
#include "dks/spec.h"
#include "dks/lockwait.h"
#include "dks/tree.h"

#define LOCK_NAME    ".lock"
#define STAGE_PREFIX ".stage-"
#define NEW_PREFIX   ".new-"  /* a commit's build on its way in */
#define OLD_PREFIX   ".old-"  /* a build on its way out */
#define GONE_PREFIX  ".gone-" /* a module dir on its way out */
#define LINK_PREFIX  ".link-" /* a symlink before its rename */
#define ADD_PREFIX   ".add-"  /* a version dir with its link, before its rename */
/* Tries at a random name that keeps existing: far more than ever needed. */
#define MAX_TRIES 100
/* Tries at a lock whose file keeps being deleted under us. Each one means
 * another process finished a whole remove meanwhile (progress, not a
 * spin), and a busy add/remove loop elsewhere can make us lose many in a
 * row: the bound is only against a bug. */
#define LOCK_TRIES 1000000

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define cleanup_dir __attribute__((cleanup(closedirp)))

/* ---- names ---- */

static int check_names(const char *m, const char *v, const char *kver, const char *arch,
		       struct dks_error *err)
{
	if (dks_tree_check_name("module", m, err) < 0 ||
	    (v && dks_tree_check_name("version", v, err) < 0) ||
	    (kver && dks_tree_check_name("kernel", kver, err) < 0) ||
	    (arch && dks_tree_check_name("arch", arch, err) < 0))
		return -1;
	return 0;
}

/* ---- directories ---- */

static int open_root(const struct dks_tree *t, bool create)
{
	/* mkdir -p of the tree root: the root itself may be (or sit below) a
	 * symlink the administrator chose; only what is below it is ours. */
	if (create && dks_mkdir_p(t->dkms_tree) < 0)
		return -1;
	return open(t->dkms_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A level made is fsync'd into its parent: a power cut must not take
 * m/, m/v/ or m/v/kver/ with what was committed in it (check-lostwrites:
 * a build reported done was gone after a cut). */
static int open_sub(int dirfd, const char *name, bool create)
{
	if (create && mkdirat(dirfd, name, 0755) == 0) {
		if (fsync(dirfd) < 0)
			return -1;
	} else if (create && errno != EEXIST) {
		return -1;
	}
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Open <dkmstree>/<comps[0]>/<comps[1]>/... (NULL-terminated), making the
 * missing levels with @create. An fd, or -1 with errno (ELOOP or ENOTDIR
 * when a level is a symlink). */
static int open_tree_dir(const struct dks_tree *t, bool create, const char *const *comps)
{
	int fd = open_root(t, create);

	for (; fd >= 0 && *comps; comps++) {
		int sub = open_sub(fd, *comps, create);
		int saved = errno;

		close(fd);
		fd = sub;
		errno = saved;
	}
	return fd;
}
#define OPEN_DIR(t, create, ...)                                                                   \
	open_tree_dir((t), (create), (const char *const[]){__VA_ARGS__, NULL})

/* "<dkmstree>/a/b/...", for messages and path calls. malloc'd. */
static char *tree_path(const struct dks_tree *t, const char *const *comps)
{
	size_t len = strlen(t->dkms_tree) + 1;
	char *p;

	for (const char *const *c = comps; *c; c++)
		len += strlen(*c) + 1;
	p = malloc(len);
	if (!p)
		return NULL;
	strcpy(p, t->dkms_tree);
	for (; *comps; comps++) {
		strcat(p, "/");
		strcat(p, *comps);
	}
	return p;
}
#define TREE_PATH(t, ...) tree_path((t), (const char *const[]){__VA_ARGS__, NULL})

/* Random @prefix + 6 characters into @buf (size > strlen(prefix) + 6). */
static int temp_name(char *buf, size_t size, const char *prefix)
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[6];
	size_t len = strlen(prefix);

	if (len + sizeof(rnd) >= size || getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	memcpy(buf, prefix, len);
	for (size_t i = 0; i < sizeof(rnd); i++)
		buf[len + i] = chars[rnd[i] % (sizeof(chars) - 1)];
	buf[len + sizeof(rnd)] = '\0';
	return 0;
}

/* Rename @from (in @fromfd) to a fresh @prefix-XXXXXX name in @tofd,
 * written to @name. RENAME_NOREPLACE: never over something else's name. */
static int rename_unique(int fromfd, const char *from, int tofd, const char *prefix, char *name,
			 size_t size)
{
	for (int i = 0; i < MAX_TRIES; i++) {
		if (temp_name(name, size, prefix) < 0)
			return -1;
		if (renameat2(fromfd, from, tofd, name, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* rm -rf @name in @dirfd without following any symlink (a link itself is
 * removed, its target untouched) and without a depth limit: the build
 * directory is the build's, as deep as it made it (common/rmtree.c). Gone
 * already is fine. @where names the place in messages. */
static int rmtree_at(int dirfd, const char *name, const char *where, struct dks_error *err)
{
	if (dks_rmtree_at(dirfd, name) < 0)
		return dks_err(err, errno, "cannot remove '%s' in %s", name, where);
	return 0;
}

/* Remove every entry of @dirfd whose name starts with @prefix. */
static int rm_prefixed(int dirfd, const char *prefix, const char *where, struct dks_error *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return dks_err(err, errno, "cannot read %s", where);
	}
	while ((errno = 0, e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    rmtree_at(dirfd, e->d_name, where, err) < 0)
			return -1;
	}
	if (errno)
		return dks_err(err, errno, "cannot read %s", where);
	return 0;
}

/* Make renames and creations in @fd durable before we report success. */
static int sync_dir(int fd, const char *where, struct dks_error *err)
{
	if (fsync(fd) < 0 && errno != EINVAL)
		return dks_err(err, errno, "cannot sync %s", where);
	return 0;
}

/* ---- the lock ---- */

/* Is @fd still the file <rootfd>/<m>/.lock? A remover deletes the module
 * dir with its lock file while holding the lock; whoever was waiting on
 * that file then holds a lock nobody else will ever take: it must see
 * that and start again on the new file. */
static bool lock_is_current(int fd, int rootfd, const char *m)
{
	char path[DKS_TREE_NAME_MAX + sizeof("/" LOCK_NAME)];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/%s", m, LOCK_NAME);
	return fstat(fd, &a) == 0 && a.st_nlink > 0 &&
	       fstatat(rootfd, path, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* One try: the locked fd, -1 with @err filled, or -1 with errno 0 to try
 * again. */
static int try_lock(int rootfd, const char *m, bool create, struct dks_lock_wait *w,
		    struct dks_error *err)
{
	cleanup_close int mfd = open_sub(rootfd, m, create);
	cleanup_close int fd = -1;

	if (mfd < 0 && !create && errno == ENOENT)
		return -3; /* gone, and not to be made again */
	if (mfd < 0)
		return errno == ENOENT ? (errno = 0, -1) : -1;
	/* O_NOFOLLOW: a planted .lock symlink must not make us create or
	 * lock a file elsewhere. 0600: nobody else may take our lock. */
	fd = openat(mfd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == ENOENT ? (errno = 0, -1) : -1;
	if (dks_lock_take(fd, w, err) < 0)
		return errno = err->errnum ? err->errnum : EAGAIN, -2;
	if (!lock_is_current(fd, rootfd, m))
		return errno = 0, -1;
	return steal_fd(&fd);
}

static int tree_lock(const struct dks_tree *t, const char *module, bool create,
		     struct dks_error *err)
{
	cleanup_close int rootfd = -1;
	char what[DKS_TREE_NAME_MAX + 16], path[PATH_MAX];
	struct dks_lock_wait w = {.what = what, .path = path, .timeout = t->lock_timeout};

	if (check_names(module, NULL, NULL, NULL, err) < 0)
		return -1;
	rootfd = open_root(t, true);
	if (rootfd < 0)
		return dks_err(err, errno, "cannot create the DKMS tree %s", t->dkms_tree);
	snprintf(what, sizeof(what), "%s's lock", module);
	snprintf(path, sizeof(path), "%s/%s/%s", t->dkms_tree, module, LOCK_NAME);
	for (int i = 0; i < LOCK_TRIES; i++) {
		int fd = try_lock(rootfd, module, create, &w, err);

		if (fd == -3)
			return dks_err(err, ENOENT, "%s: not in the tree (removed)", module);
		if (fd >= 0 || fd == -2)
			return fd < 0 ? -1 : fd;
		if (errno)
			return dks_err(err, errno, "%s: cannot lock %s/%s/%s", module, t->dkms_tree,
				       module, LOCK_NAME);
	}
	return dks_err(err, EAGAIN, "%s: cannot lock %s/%s/%s", module, t->dkms_tree, module,
		       LOCK_NAME);
}

int dks_tree_lock(const struct dks_tree *t, const char *module, struct dks_error *err)
{
	return tree_lock(t, module, true, err);
}

int dks_tree_lock_existing(const struct dks_tree *t, const char *module, struct dks_error *err)
{
	return tree_lock(t, module, false, err);
}

void dks_tree_unlock(int lock_fd)
{
	/* Closing the last fd of the open file releases the flock. */
	dks_lock_release(lock_fd);
}

/* ---- add ---- */

bool dks_tree_is_added(const struct dks_tree *t, const char *m, const char *v)
{
	cleanup_close int vfd = -1;
	struct stat st;

	if (check_names(m, v, NULL, NULL, NULL) < 0)
		return false;
	vfd = OPEN_DIR(t, false, m, v);
	return vfd >= 0 && fstatat(vfd, "source", &st, AT_SYMLINK_NOFOLLOW) == 0;
}

char *dks_tree_source_dir(const struct dks_tree *t, const char *m, const char *v)
{
	cleanup_close int vfd = -1;
	char target[PATH_MAX];
	ssize_t n = -1;
	char *dir = NULL;
	struct stat st;

	if (check_names(m, v, NULL, NULL, NULL) < 0)
		return NULL;
	vfd = OPEN_DIR(t, false, m, v);
	if (vfd >= 0)
		n = readlinkat(vfd, "source", target, sizeof(target) - 1);
	/* dkms's ldtarball of binaries without their source makes source/ a
	 * directory holding only the dkms.conf: that is the source then. */
	if (n < 0 && errno == EINVAL && fstatat(vfd, "source", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return asprintf(&dir, "%s/%s/%s/source", t->dkms_tree, m, v) < 0 ? NULL : dir;
	if (n <= 0 || (size_t)n >= sizeof(target) - 1) {
		if (asprintf(&dir, "%s/%s-%s", t->source_tree, m, v) < 0)
			return NULL;
		return dir;
	}
	target[n] = '\0';
	/* A relative link (made by hand) is relative to <m>/<v>/. */
	if (target[0] == '/')
		return strdup(target);
	if (asprintf(&dir, "%s/%s/%s/%s", t->dkms_tree, m, v, target) < 0)
		return NULL;
	return dir;
}

/* Create the symlink @name -> @target in @dirfd in one step: made under a
 * temporary name, then renamed over, so that a reader (or a crash) never
 * finds a half-made link. */
static int symlink_atomic(int dirfd, const char *target, const char *name, const char *where,
			  struct dks_error *err)
{
	char tmp[sizeof(LINK_PREFIX) + 8];
	int i;

	for (i = 0; i < MAX_TRIES; i++) {
		if (temp_name(tmp, sizeof(tmp), LINK_PREFIX) < 0)
			return dks_err(err, errno, "%s: no random name", where);
		if (symlinkat(target, dirfd, tmp) == 0)
			break;
		if (errno != EEXIST)
			return dks_err(err, errno, "cannot create a link in %s", where);
	}
	if (i == MAX_TRIES)
		return dks_err(err, EEXIST, "cannot create a link in %s", where);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int saved = errno;

		unlinkat(dirfd, tmp, 0);
		return dks_err(err, saved, "cannot create %s/%s", where, name);
	}
	return sync_dir(dirfd, where, err);
}

/* Is m/v's source link there but pointing at no directory? */
static bool source_dangles(const struct dks_tree *t, const char *m, const char *v)
{
	cleanup_close int vfd = OPEN_DIR(t, false, m, v);
	struct stat st;

	return vfd >= 0 && fstatat(vfd, "source", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (fstatat(vfd, "source", &st, 0) < 0 || !S_ISDIR(st.st_mode));
}

/* dkms builds a module whose source is in the source tree without an
 * explicit add: so do we. */
/* <sourcetree>/<m>-<v> in *@src, a directory: else dkms's 2. */
static int source_dir(const struct dks_tree *t, const char *m, const char *v, char **src,
		      struct dks_error *err)
{
	struct stat st;

	if (asprintf(src, "%s/%s-%s", t->source_tree, m, v) < 0) {
		*src = NULL;
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	}
	if (stat(*src, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "%s/%s: no source at %s", m, v,
				    *src);
	if (!S_ISDIR(st.st_mode))
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, ENOTDIR, "%s/%s: no source at %s", m,
				    v, *src);
	return 0;
}

int dks_tree_ensure_added(const struct dks_tree *t, const char *m, const char *v,
			  struct dks_error *err)
{
	cleanup_free char *src = NULL;
	int lock, ret;

	if (dks_tree_is_added(t, m, v))
		return 0;
	/* No source: 2 before the lock, which would make <m>/ (dkms leaves nothing). */
	if (check_names(m, v, NULL, NULL, err) < 0 || source_dir(t, m, v, &src, err) < 0)
		return -1;
	lock = dks_tree_lock(t, m, err);
	if (lock < 0)
		return -1;
	ret = dks_tree_is_added(t, m, v) ? 0 : dks_tree_add(t, m, v, err);
	dks_tree_unlock(lock);
	return ret;
}

/* A new <m>/<v> made whole: a fresh dir under a hidden name in <m>/ with
 * its source link, synced, renamed to <v> (never over one). A cut leaves
 * m/v with its link or no m/v (and an .add-* fsck removes), never a bare
 * m/v that dkms 3.4 calls broken (check-lostwrites: ldtarball killed
 * between add's mkdir and its link). 1 when <v> is there already. */
static int add_fresh(int mfd, const char *v, const char *src, const char *where,
		     struct dks_error *err)
{
	char tmp[sizeof(ADD_PREFIX) + 8];
	cleanup_close int tfd = -1;
	int i, e;

	for (i = 0; i < MAX_TRIES; i++) {
		if (temp_name(tmp, sizeof(tmp), ADD_PREFIX) < 0)
			return dks_err(err, errno, "%s: no random name", where);
		if (mkdirat(mfd, tmp, 0755) == 0)
			break;
		if (errno != EEXIST)
			return dks_err(err, errno, "cannot create %s", where);
	}
	if (i == MAX_TRIES)
		return dks_err(err, EEXIST, "cannot create %s", where);
	tfd = open_sub(mfd, tmp, false);
	if (tfd >= 0 && symlinkat(src, tfd, "source") == 0 && fsync(tfd) == 0 &&
	    renameat2(mfd, tmp, mfd, v, RENAME_NOREPLACE) == 0)
		return sync_dir(mfd, where, err);
	e = errno;
	dks_rmtree_at(mfd, tmp);
	if (e == EEXIST || e == ENOTEMPTY)
		return 1;
	return dks_err(err, e, "cannot create %s", where);
}

int dks_tree_add(const struct dks_tree *t, const char *m, const char *v, struct dks_error *err)
{
	cleanup_free char *src = NULL, *where = NULL;
	cleanup_close int mfd = -1, vfd = -1;
	int ret;

	if (check_names(m, v, NULL, NULL, err) < 0)
		return -1;
	/* A link that dangles (m/v broken) is made again, as dkms 3.4's add
	 * does: only a source that is there makes m/v added. */
	if (dks_tree_is_added(t, m, v) && !source_dangles(t, m, v))
		return dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0, "%s/%s: already added", m, v);
	if (source_dir(t, m, v, &src, err) < 0)
		return -1;
	where = TREE_PATH(t, m, v);
	if (!where)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	mfd = OPEN_DIR(t, true, m);
	ret = mfd < 0 ? dks_err(err, errno, "%s/%s: cannot create %s", m, v, where)
		      : add_fresh(mfd, v, src, where, err);
	if (ret <= 0)
		return ret;
	vfd = OPEN_DIR(t, false, m, v);
	if (vfd < 0)
		return dks_err(err, errno, "%s/%s: cannot create %s", m, v, where);
	return symlink_atomic(vfd, src, "source", where, err);
}

/* ---- stage and commit ---- */

int dks_tree_err_removed(struct dks_error *err, const char *m, const char *v, const char *kver,
			 const char *arch)
{
	return dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0,
			    "%s/%s, %s, %s: removed from the tree by another command while it was "
			    "being built: nothing kept", m, v, kver, arch);
}

char *dks_tree_stage(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		     const char *arch, struct dks_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_close int vfd = -1, sfd = -1;

	if (check_names(m, v, kver, arch, err) < 0)
		return NULL;
	/* Never made here: m/v is added (its dir made) before it is built. A
	 * remove that ran since the build began took the dir; making it again
	 * would leave builds without a source link (broken). */
	vfd = OPEN_DIR(t, false, m, v);
	if (vfd < 0 && errno == ENOENT) {
		dks_tree_err_removed(err, m, v, kver, arch);
		return NULL;
	}
	if (vfd < 0 || asprintf(&path, "%s/%s/%s/" STAGE_PREFIX "%s-%s-XXXXXX", t->dkms_tree, m, v,
				kver, arch) < 0) {
		dks_err(err, errno, "%s/%s: cannot create %s/%s/%s", m, v, t->dkms_tree, m, v);
		return NULL;
	}
	/* Same directory as the build's final place: the commit is a rename
	 * on one filesystem. mkdtemp: a fresh name nobody else holds. */
	if (!mkdtemp(path) || chmod(path, 0755) < 0 ||
	    (sfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mkdirat(sfd, "module", 0755) < 0 || mkdirat(sfd, "log", 0755) < 0) {
		dks_err(err, errno, "%s/%s, %s, %s: cannot create staging dir %s", m, v, kver, arch,
			path);
		return NULL;
	}
	dks_crash_point("build: staging dir made");
	return steal_pointer(&path);
}

/* @staged must be a staging dir dks_tree_stage made for exactly this
 * m/v/kver/arch: we rename and delete it, so it must be ours. Its name
 * in <m>/<v>/ into @name. */
static int stage_name(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		      const char *arch, const char *staged, const char **name,
		      struct dks_error *err)
{
	cleanup_free char *prefix = NULL;
	size_t len;

	if (asprintf(&prefix, "%s/%s/%s/" STAGE_PREFIX "%s-%s-", t->dkms_tree, m, v, kver, arch) <
	    0)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	len = strlen(prefix);
	if (!staged || strncmp(staged, prefix, len) != 0 || strlen(staged + len) != 6 ||
	    strchr(staged + len, '/'))
		return dks_err(err, 0, "%s/%s, %s, %s: '%s' is not a staging dir of this build", m,
			       v, kver, arch, staged ? staged : "(null)");
	*name = strrchr(staged, '/') + 1;
	return 0;
}

/* Put the build at <kfd>/.new-XXXXXX into <kfd>/<arch>, replacing what
 * is there. RENAME_EXCHANGE swaps the two in one step, so that <arch> is
 * at every instant a whole build, old or new (a reader must never find it
 * missing); the old one, now at the .new name, is deleted after. A
 * filesystem without RENAME_EXCHANGE gets: old aside to .old-XXXXXX, new
 * in, old deleted (a reader may then find no build for an instant). */
static int swap_in(int kfd, const char *newname, const char *arch, const char *where,
		   struct dks_error *err)
{
	char old[sizeof(OLD_PREFIX) + 8];

	if (renameat2(kfd, newname, kfd, arch, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST)
		return dks_err(err, errno, "cannot rename %s/%s to %s", where, newname, arch);
	if (renameat2(kfd, newname, kfd, arch, RENAME_EXCHANGE) == 0)
		return rmtree_at(kfd, newname, where, err);
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return dks_err(err, errno, "cannot swap %s/%s and %s", where, newname, arch);
	if (rename_unique(kfd, arch, kfd, OLD_PREFIX, old, sizeof(old)) < 0)
		return dks_err(err, errno, "cannot move %s/%s aside", where, arch);
	if (renameat(kfd, newname, kfd, arch) < 0)
		return dks_err(err, errno, "cannot rename %s/%s to %s", where, newname, arch);
	return rmtree_at(kfd, old, where, err);
}

/* Delete module/ of the staging dir @name in @vfd. */
static int drop_modules(int vfd, const char *name, const char *staged, struct dks_error *err)
{
	cleanup_close int sfd = open_sub(vfd, name, false);

	if (sfd < 0)
		return dks_err(err, errno, "cannot open staging dir %s", staged);
	return rmtree_at(sfd, "module", staged, err);
}

static int commit(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		  const char *arch, const char *staged, bool log_only, struct dks_error *err)
{
	cleanup_close int vfd = -1, kfd = -1;
	cleanup_free char *where = NULL;
	char newname[sizeof(NEW_PREFIX) + 8];
	const char *name = NULL;

	if (check_names(m, v, kver, arch, err) < 0 ||
	    stage_name(t, m, v, kver, arch, staged, &name, err) < 0)
		return -1;
	where = TREE_PATH(t, m, v, kver);
	vfd = OPEN_DIR(t, false, m, v);
	/* A remove or unbuild (of another command) took the staging dir with
	 * m/v while the build ran: nothing to commit, and m/v stays removed. */
	if (vfd < 0 ? errno == ENOENT
		    : faccessat(vfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return dks_tree_err_removed(err, m, v, kver, arch);
	kfd = vfd >= 0 ? open_sub(vfd, kver, true) : -1;
	if (!where || kfd < 0)
		return dks_err(err, errno, "%s/%s, %s, %s: cannot create %s", m, v, kver, arch,
			       where ? where : kver);
	/* A failed build keeps its log only: status must not call it built. */
	if (log_only && drop_modules(vfd, name, staged, err) < 0)
		return -1;
	/* Leftovers of a commit that crashed: only a commit (under the
	 * lock, which we hold) makes them. */
	if (rm_prefixed(kfd, NEW_PREFIX, where, err) < 0 ||
	    rm_prefixed(kfd, OLD_PREFIX, where, err) < 0)
		return -1;
	/* What the stage holds lasts a power cut before it is renamed in
	 * (check-lostwrites: a cut after "built" left an empty build). */
	if (dks_fsync_tree_at(vfd, name) < 0)
		return dks_err(err, errno, "%s/%s, %s, %s: cannot sync %s", m, v, kver, arch,
			       staged);
	/* Into <kver>/ under a hidden name first: from here on a crash
	 * leaves a .new dir that the next commit cleans. */
	if (rename_unique(vfd, name, kfd, NEW_PREFIX, newname, sizeof(newname)) < 0)
		return dks_err(err, errno, "%s/%s, %s, %s: cannot move %s into %s", m, v, kver,
			       arch, staged, where);
	dks_crash_point("commit: the build moved in under a hidden name");
	if (swap_in(kfd, newname, arch, where, err) < 0)
		return -1;
	dks_crash_point("commit: the build swapped in");
	if (sync_dir(kfd, where, err) < 0 || sync_dir(vfd, where, err) < 0)
		return -1;
	return 0;
}

int dks_tree_commit(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		    const char *arch, const char *staged, struct dks_error *err)
{
	return commit(t, m, v, kver, arch, staged, false, err);
}

int dks_tree_commit_log(const struct dks_tree *t, const char *m, const char *v, const char *kver,
			const char *arch, const char *staged, struct dks_error *err)
{
	return commit(t, m, v, kver, arch, staged, true, err);
}

/* ---- unbuild and remove ---- */

/* Staging dirs of builds of @kver/@arch (all kernels: NULL) that never
 * got committed, in <m>/<v>/ (@vfd). Only unbuild and remove delete them:
 * a commit could not tell a crashed build's dir from a running one's. */
static int rm_stages(int vfd, const char *kver, const char *arch, const char *where,
		     struct dks_error *err)
{
	char prefix[sizeof(STAGE_PREFIX) + 2 * DKS_TREE_NAME_MAX + 2];

	if (kver)
		snprintf(prefix, sizeof(prefix), STAGE_PREFIX "%s-%s-", kver, arch);
	else
		snprintf(prefix, sizeof(prefix), STAGE_PREFIX);
	return rm_prefixed(vfd, prefix, where, err);
}

/* The build leaves under a hidden name first, then is deleted: a reader
 * sees it whole or not at all, never half-deleted. */
static int unbuild_at(int vfd, int kfd, const char *kver, const char *arch, const char *where,
		      struct dks_error *err)
{
	char old[sizeof(OLD_PREFIX) + 8];

	if (rename_unique(kfd, arch, kfd, OLD_PREFIX, old, sizeof(old)) < 0)
		return dks_err(err, errno, "cannot move %s/%s aside", where, arch);
	if (rmtree_at(kfd, old, where, err) < 0 || rm_prefixed(kfd, NEW_PREFIX, where, err) < 0 ||
	    rm_prefixed(kfd, OLD_PREFIX, where, err) < 0 || sync_dir(kfd, where, err) < 0)
		return -1;
	/* The kernel dir goes with its last build. */
	if (unlinkat(vfd, kver, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		return dks_err(err, errno, "cannot remove %s", where);
	return sync_dir(vfd, where, err);
}

int dks_tree_unbuild(const struct dks_tree *t, const char *m, const char *v, const char *kver,
		     const char *arch, struct dks_error *err)
{
	cleanup_close int vfd = -1, kfd = -1;
	cleanup_free char *where = NULL;
	struct stat st;

	if (check_names(m, v, kver, arch, err) < 0)
		return -1;
	if (dks_installed(t, m, v, kver, arch))
		return dks_err(err, 0, "%s/%s, %s, %s: installed: uninstall it first", m, v, kver,
			       arch);
	where = TREE_PATH(t, m, v, kver);
	if (!where)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	vfd = OPEN_DIR(t, false, m, v);
	if (vfd >= 0 && rm_stages(vfd, kver, arch, where, err) < 0)
		return -1;
	kfd = vfd >= 0 ? open_sub(vfd, kver, false) : -1;
	if (kfd < 0 || fstatat(kfd, arch, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return dks_err(err, 0, "%s/%s, %s, %s: not built", m, v, kver, arch);
		return dks_err(err, errno, "%s/%s, %s, %s: cannot open %s", m, v, kver, arch,
			       where);
	}
	return unbuild_at(vfd, kfd, kver, arch, where, err);
}

/* Is any of <m>/kernel-<kver>-<arch> (@mfd) a link into <v>/? Its name
 * into @link. */
static bool installed_into(int mfd, const char *v, char *link, size_t size)
{
	int fd = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t vlen = strlen(v);
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while ((e = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;

		if (strncmp(e->d_name, "kernel-", 7) != 0)
			continue;
		n = readlinkat(mfd, e->d_name, target, sizeof(target) - 1);
		if (n > (ssize_t)vlen && strncmp(target, v, vlen) == 0 && target[vlen] == '/') {
			snprintf(link, size, "%s", e->d_name);
			return true;
		}
	}
	return false;
}

/* Delete every build (and leftover) of <m>/<v>, keeping the source link.
 * Each kernel dir goes aside under a hidden name before it is deleted, so
 * that status sees each kernel's builds whole or not at all. */
static int remove_builds(int vfd, const char *where, struct dks_error *err)
{
	int fd = openat(vfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return dks_err(err, errno, "cannot read %s", where);
	}
	while ((errno = 0, e = readdir(d))) {
		char old[sizeof(OLD_PREFIX) + 8];
		const char *name = e->d_name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strcmp(name, "source") == 0)
			continue;
		if (name[0] != '.') {
			if (rename_unique(vfd, name, vfd, OLD_PREFIX, old, sizeof(old)) < 0)
				return dks_err(err, errno, "cannot move %s/%s aside", where, name);
			name = old;
		}
		if (rmtree_at(vfd, name, where, err) < 0)
			return -1;
	}
	if (errno)
		return dks_err(err, errno, "cannot read %s", where);
	return 0;
}

/* Does <m>/ (@mfd) still hold a version, an installed link or
 * original_module/? Hidden entries (.lock, leftovers) do not count. */
static bool module_in_use(int mfd)
{
	int fd = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return true; /* unreadable: keep it */
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			return true;
	return false;
}

/*
 * The last version is gone: the module dir goes too, lock file included,
 * while we still hold the lock. That is safe because every locker checks,
 * after flock() returns, that its fd is still the file at <m>/.lock
 * (lock_is_current) and starts again otherwise. The dir is first renamed
 * to a hidden .gone-<pid>-XXXXXX name at the root: from that instant <m> does
 * not exist, so a waiter (or one that just created a .lock in the old dir)
 * fails that check, and a newcomer makes a fresh <m> and a fresh lock,
 * which we never touch. Deleting the lock file in place instead would let
 * a newcomer create and lock a new .lock in the old dir while we still
 * work in it.
 */
int dks_tree_name_pid_gone(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long pid;

	if (strncmp(name, prefix, n) != 0)
		return 0;
	errno = 0;
	pid = strtol(name + n, &end, 10);
	if (end == name + n || (*end && *end != '-') || pid <= 0 || errno)
		return -1;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

bool dks_tree_gone_abandoned(const char *name)
{
	/* No pid (-1): made by a version that wrote none; nobody claims it. */
	return dks_tree_name_pid_gone(name, GONE_PREFIX) != 0;
}

/* Other removers' .gone dirs whose process is gone (a crash): a live
 * one is still deleting its own, and two deleting one tree at once make
 * one of them fail (found by check-concurrency). Best effort: their
 * errors are not ours. */
static void rm_abandoned(int rootfd)
{
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d && fd >= 0)
		close(fd);
	while (d && (e = readdir(d)))
		if (dks_tree_gone_abandoned(e->d_name))
			dks_rmtree_at(rootfd, e->d_name);
}

static int remove_module_dir(const struct dks_tree *t, int mfd, const char *m,
			     struct dks_error *err)
{
	cleanup_close int rootfd = -1;
	char gone[64], prefix[48];

	if (module_in_use(mfd))
		return 0;
	rootfd = open_root(t, false);
	if (rootfd < 0)
		return dks_err(err, errno, "cannot open the DKMS tree %s", t->dkms_tree);
	/* .gone-<pid>-XXXXXX: whose it is, so that nobody else deletes it
	 * while we do (fsck, other removers: dks_tree_gone_abandoned). */
	snprintf(prefix, sizeof(prefix), GONE_PREFIX "%ld-", (long)getpid());
	if (rename_unique(rootfd, m, rootfd, prefix, gone, sizeof(gone)) < 0)
		return dks_err(err, errno, "%s: cannot remove %s/%s", m, t->dkms_tree, m);
	if (sync_dir(rootfd, t->dkms_tree, err) < 0 ||
	    rmtree_at(rootfd, gone, t->dkms_tree, err) < 0)
		return -1;
	rm_abandoned(rootfd);
	return 0;
}

/* The source link, or dkms's binaries-only stub (ldtarball), which is a
 * directory holding the dkms.conf: removed whole. */
static int remove_source(int vfd, const char *m, const char *v, const char *where,
			 struct dks_error *err)
{
	struct stat st;

	if (fstatat(vfd, "source", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : dks_err(err, errno, "%s/%s: %s/source", m, v, where);
	if (S_ISDIR(st.st_mode))
		return rmtree_at(vfd, "source", where, err);
	if (unlinkat(vfd, "source", 0) < 0 && errno != ENOENT)
		return dks_err(err, errno, "%s/%s: cannot remove %s/source", m, v, where);
	return 0;
}

int dks_tree_remove(const struct dks_tree *t, const char *m, const char *v, struct dks_error *err)
{
	cleanup_close int mfd = -1, vfd = -1;
	cleanup_free char *where = NULL, *mwhere = NULL;
	char link[NAME_MAX + 1];

	if (check_names(m, v, NULL, NULL, err) < 0)
		return -1;
	where = TREE_PATH(t, m, v);
	mwhere = TREE_PATH(t, m);
	if (!where || !mwhere)
		return dks_err(err, ENOMEM, "%s/%s", m, v);
	mfd = OPEN_DIR(t, false, m);
	vfd = mfd >= 0 ? open_sub(mfd, v, false) : -1;
	/* 3, as dkms exits when there is no such m/v in its tree. */
	if (vfd < 0 && errno == ENOENT)
		return dks_err_code(err, DKS_EXIT_ALREADY_ADDED, 0, "%s/%s: not added", m, v);
	if (vfd < 0)
		return dks_err(err, errno, "%s/%s: cannot open %s", m, v, where);
	if (installed_into(mfd, v, link, sizeof(link)))
		return dks_err(err, 0, "%s/%s: installed (%s/%s): uninstall it first", m, v, mwhere,
			       link);
	/* Builds first, the source link last: a crash in between leaves m/v
	 * added with fewer builds, never builds without their source. */
	if (remove_builds(vfd, where, err) < 0)
		return -1;
	if (remove_source(vfd, m, v, where, err) < 0)
		return -1;
	if (rmtree_at(mfd, v, mwhere, err) < 0 || sync_dir(mfd, mwhere, err) < 0)
		return -1;
	return remove_module_dir(t, mfd, m, err);
}
