// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An LD_PRELOAD shim for `make check-lostwrites` (tests/faults/
 * check-lostwrites.sh, docs/reliability.md "Lost writes"): a power cut
 * under the strict POSIX model. For paths under LOST_PATH_PREFIX it logs,
 * in LOST_LOG/log, what a power cut could still take back:
 *
 *   F SEQ DEV:INO SNAP   a file opened for writing (or written after its
 *                        fsync): SNAP holds its content until then ('-':
 *                        the file is new, its content was empty)
 *   S SEQ DEV:INO        fsync/fdatasync of that file: its data is durable
 *   D SEQ DEV:INO        fsync of a directory: the entry operations in it
 *                        logged before are durable
 *   Y SEQ DEV            syncfs (DEV 0: sync): everything on it logged
 *                        before is durable
 *   C|M|L SEQ PDEV:PINO PATH          a file, a directory, a link created
 *   U SEQ PDEV:PINO PATH KEEP         a file unlinked (KEEP: a hard link to it)
 *   R SEQ PDEV:PINO PATH              a directory removed
 *   N SEQ PDEV:PINO QDEV:QINO FROM TO KEEP|-|dir|x   a rename (KEEP: the
 *                        target it replaced; x: RENAME_EXCHANGE)
 *
 * tests/faults/rewind.c replays the log backwards after the cut. At the
 * cut point the process the shim was preloaded into dies by SIGKILL, and
 * its forks at their next operation:
 *
 *   LOST_AT=N           the cut: before the N-th operation, or with
 *   LOST_CUT_ON=sync    right after the N-th fsync/fdatasync returns (0 or
 *                       unset: no cut, count only)
 *   LOST_COUNT_FILE=F   at exit, the number of points seen
 *
 * Like faultshim.c it drops LD_PRELOAD, so programs exec'd (make in the
 * sandbox, depmod) are not logged (LOST_INHERIT=1 keeps it: the model's
 * own test runs a shell script, each program logging with its own
 * count). Writes made through stdio after an fsync of the same FILE are
 * not seen (glibc writes internally): only the opens that precede them
 * are. Test code only; never shipped.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shimpath.h"

#define FDS 4096

struct shared {
	long seen, seq;
	int cut;
};

static struct shared *sh, unshared;
static long cut_at;
static int cut_on_sync, logfd = -1;
static const char *prefixes, *logdir;
static pid_t owner;
static unsigned char clean_fd[FDS]; /* fsync'd since its last snapshot */

#define REAL(fn)                                                                                   \
	static __typeof__(&fn) real;                                                               \
	if (!real)                                                                                 \
	real = (__typeof__(&fn))dlsym(RTLD_NEXT, #fn)

static ssize_t raw_write(int fd, const void *p, size_t n)
{
	REAL(write);
	return real(fd, p, n);
}

static int raw_openat(int dirfd, const char *p, int flags, mode_t m)
{
	REAL(openat);
	return real(dirfd, p, flags, m);
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *at = getenv("LOST_AT"), *on = getenv("LOST_CUT_ON");
	char path[PATH_MAX];

	cut_at = at ? strtol(at, NULL, 10) : 0;
	cut_on_sync = on && strcmp(on, "sync") == 0;
	prefixes = getenv("LOST_PATH_PREFIX");
	logdir = getenv("LOST_LOG");
	owner = getpid();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		sh = &unshared;
	if (logdir) {
		snprintf(path, sizeof(path), "%s/log", logdir);
		logfd = raw_openat(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	}
	if (!getenv("LOST_INHERIT"))
		unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void shim_fini(void)
{
	const char *f = getenv("LOST_COUNT_FILE");
	char buf[32];
	int fd, n;

	if (!f || getpid() != owner)
		return;
	fd = raw_openat(AT_FDCWD, f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	n = snprintf(buf, sizeof(buf), "%ld\n", sh->seen);
	if (fd >= 0 && raw_write(fd, buf, (size_t)n) != n)
		dprintf(2, "lostshim: cannot write %s\n", f);
	if (fd >= 0)
		close(fd);
}

/* One record, one write (O_APPEND: whole lines from every fork). */
__attribute__((format(printf, 2, 3))) static void rec(char kind, const char *fmt, ...)
{
	char line[3 * PATH_MAX];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%c %ld ", kind,
		     __atomic_add_fetch(&sh->seq, 1, __ATOMIC_SEQ_CST));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (logfd >= 0 && n < (int)sizeof(line) - 1) {
		line[n++] = '\n';
		if (raw_write(logfd, line, (size_t)n) != n)
			dprintf(2, "lostshim: cannot log\n");
	}
}

static void die(const char *what, const char *path)
{
	if (!__atomic_exchange_n(&sh->cut, 1, __ATOMIC_SEQ_CST))
		dprintf(2, "lostshim: cut at point %ld (%s %s): SIGKILL\n", sh->seen, what,
			path ? path : "?");
	kill(owner, SIGKILL);
	kill(getpid(), SIGKILL);
}

/* Counts a point under the trees; dies when it is the cut (before the
 * operation; with LOST_CUT_ON=sync, after the N-th sync: after_sync). */
static int point(const char *what, const char *path, int is_sync)
{
	long n;

	if (!shim_under(prefixes, path))
		return 0;
	if (sh->cut)
		die(what, path);
	if (cut_on_sync && !is_sync)
		return 1;
	n = __atomic_add_fetch(&sh->seen, 1, __ATOMIC_SEQ_CST);
	if (!cut_on_sync && cut_at > 0 && n == cut_at)
		die(what, path);
	return 1;
}

static void after_sync(const char *path)
{
	if (cut_on_sync && cut_at > 0 && sh->seen == cut_at)
		die("fsync", path);
}

/* ---- what a record names ---- */

static int ident(const char *path, int nofollow, char *buf, size_t size)
{
	struct stat st;

	if (fstatat(AT_FDCWD, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		return -1;
	snprintf(buf, size, "%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	return 0;
}

/* The device and inode of @path's parent directory. */
static void parent_ident(const char *path, char *buf, size_t size)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	if (!slash || ident(*dir ? dir : "/", 0, buf, size) < 0)
		snprintf(buf, size, "0:0");
}

/* A copy of @path's content as LOST_LOG/snap-SEQ: the content a power cut
 * could bring back. Logged as F. */
static void snapshot(const char *path)
{
	char id[64], snap[PATH_MAX], buf[65536];
	int in, out;
	ssize_t n;
	long seq = __atomic_load_n(&sh->seq, __ATOMIC_SEQ_CST);

	if (ident(path, 0, id, sizeof(id)) < 0 || !logdir)
		return;
	snprintf(snap, sizeof(snap), "%s/snap-%d-%ld", logdir, getpid(), seq);
	in = raw_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	out = raw_openat(AT_FDCWD, snap, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (raw_write(out, buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	rec('F', "%s %s", id, snap);
}

/* A hard link to @path in LOST_LOG (before it is unlinked or replaced):
 * the rewind puts it back. "-" when there is nothing, "dir" for a dir. */
static const char *keep(const char *path, char *buf, size_t size)
{
	struct stat st;
	static long n;

	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return "-";
	if (S_ISDIR(st.st_mode))
		return "dir";
	snprintf(buf, size, "%s/keep-%d-%ld", logdir ? logdir : "/nonexistent", getpid(), ++n);
	if (linkat(AT_FDCWD, path, AT_FDCWD, buf, 0) < 0)
		return "-";
	return buf;
}

/* ---- opening for writing ---- */

struct wopen {
	char path[PATH_MAX * 2];
	int ours, existed;
};

static int writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static void before_wopen(struct wopen *w, int dirfd, const char *name, int flags)
{
	const char *p = shim_resolve(dirfd, name, w->path, sizeof(w->path));
	struct stat st;

	w->ours = 0;
	if (!p || !writes(flags) || !point("open", p, 0))
		return;
	if (p != w->path)
		snprintf(w->path, sizeof(w->path), "%s", p);
	w->ours = 1;
	w->existed = stat(w->path, &st) == 0;
	if (w->existed && S_ISREG(st.st_mode))
		snapshot(w->path);
}

static void after_wopen(const struct wopen *w, int fd)
{
	char pid[64], id[64];

	if (!w->ours || fd < 0)
		return;
	if (fd < FDS)
		clean_fd[fd] = 0;
	if (w->existed || ident(w->path, 0, id, sizeof(id)) < 0)
		return;
	parent_ident(w->path, pid, sizeof(pid));
	rec('C', "%s %s", pid, w->path);
	rec('F', "%s -", id);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

int openat(int dirfd, const char *p, int flags, ...)
{
	struct wopen w;
	va_list ap;
	mode_t m;
	int fd;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	before_wopen(&w, dirfd, p, flags);
	fd = raw_openat(dirfd, p, flags, m);
	after_wopen(&w, fd);
	return fd;
}

int openat64(int dirfd, const char *p, int flags, ...) __attribute__((alias("openat")));

int open(const char *p, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return openat(AT_FDCWD, p, flags, m);
}

int open64(const char *p, int flags, ...) __attribute__((alias("open")));

int creat(const char *p, mode_t m)
{
	return openat(AT_FDCWD, p, O_WRONLY | O_CREAT | O_TRUNC, m);
}

int creat64(const char *p, mode_t m) __attribute__((alias("creat")));

static int fopen_flags(const char *mode)
{
	if (strchr(mode, '+') || strchr(mode, 'w') || strchr(mode, 'a'))
		return O_RDWR | (strchr(mode, 'r') ? 0 : O_CREAT);
	return O_RDONLY;
}

FILE *fopen(const char *p, const char *mode)
{
	struct wopen w;
	FILE *f;

	REAL(fopen);
	before_wopen(&w, AT_FDCWD, p, fopen_flags(mode));
	f = real(p, mode);
	after_wopen(&w, f ? fileno(f) : -1);
	return f;
}

FILE *fopen64(const char *p, const char *mode) __attribute__((alias("fopen")));

/* mkstemp & co. create through glibc's own open: logged here. */
static int made_temp(char *tmpl, int fd)
{
	struct wopen w = {.ours = 1, .existed = 0};

	if (fd >= 0 && tmpl[0] == '/' && point("mkstemp", tmpl, 0)) {
		snprintf(w.path, sizeof(w.path), "%s", tmpl);
		after_wopen(&w, fd);
	}
	return fd;
}

int mkstemp(char *t)
{
	REAL(mkstemp);
	return made_temp(t, real(t));
}

int mkostemp(char *t, int flags)
{
	REAL(mkostemp);
	return made_temp(t, real(t, flags));
}

int mkstemp64(char *t) __attribute__((alias("mkstemp")));
int mkostemp64(char *t, int flags) __attribute__((alias("mkostemp")));

/* ---- data ---- */

/* A write to a file fsync'd since it was opened: what the fsync made
 * durable is what a cut brings back. */
static void before_write(int fd)
{
	char path[PATH_MAX * 2];

	if (fd < 0 || fd >= FDS || !clean_fd[fd] || !shim_fd_path(fd, path, sizeof(path)) ||
	    !shim_under(prefixes, path))
		return;
	clean_fd[fd] = 0;
	snapshot(path);
}

ssize_t write(int fd, const void *p, size_t n)
{
	REAL(write);
	before_write(fd);
	return real(fd, p, n);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite);
	before_write(fd);
	return real(fd, p, n, off);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off) __attribute__((alias("pwrite")));

static int synced(int fd, int ret)
{
	char path[PATH_MAX * 2];
	struct stat st;

	if (ret < 0 || fstat(fd, &st) < 0 || !shim_fd_path(fd, path, sizeof(path)) ||
	    !shim_under(prefixes, path))
		return ret;
	rec(S_ISDIR(st.st_mode) ? 'D' : 'S', "%lu:%lu", (unsigned long)st.st_dev,
	    (unsigned long)st.st_ino);
	if (fd < FDS && !S_ISDIR(st.st_mode))
		clean_fd[fd] = 1;
	after_sync(path);
	return ret;
}

static void before_sync(int fd)
{
	char path[PATH_MAX * 2];

	if (shim_fd_path(fd, path, sizeof(path)))
		point("fsync", path, 1);
}

int fsync(int fd)
{
	REAL(fsync);
	before_sync(fd);
	return synced(fd, real(fd));
}

/* syncfs and sync: all of a filesystem (all filesystems) durable. */
int syncfs(int fd)
{
	struct stat st;
	int ret;

	REAL(syncfs);
	before_sync(fd);
	ret = real(fd);
	if (ret == 0 && fstat(fd, &st) == 0) {
		rec('Y', "%lu", (unsigned long)st.st_dev);
		after_sync("syncfs");
	}
	return ret;
}

void sync(void)
{
	REAL(sync);
	point("sync", NULL, 1);
	real();
	rec('Y', "0");
	after_sync("sync");
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	before_sync(fd);
	return synced(fd, real(fd));
}

/* ---- directory entries ---- */

/* After a creation that succeeded: C, M or L with the parent. */
static int created(char kind, const char *path, int ret)
{
	char pid[64];

	if (ret < 0 || !path)
		return ret;
	parent_ident(path, pid, sizeof(pid));
	rec(kind, "%s %s", pid, path);
	return ret;
}

int mkdirat(int fd, const char *p, mode_t m)
{
	char buf[PATH_MAX * 2];
	const char *path = shim_resolve(fd, p, buf, sizeof(buf));

	REAL(mkdirat);
	if (!point("mkdir", path, 0))
		return real(fd, p, m);
	return created('M', path, real(fd, p, m));
}

int mkdir(const char *p, mode_t m)
{
	return mkdirat(AT_FDCWD, p, m);
}

char *mkdtemp(char *t)
{
	char *r;

	REAL(mkdtemp);
	r = real(t);
	if (r && point("mkdtemp", r, 0))
		created('M', r, 0);
	return r;
}

int symlinkat(const char *target, int fd, const char *p)
{
	char buf[PATH_MAX * 2];
	const char *path = shim_resolve(fd, p, buf, sizeof(buf));

	REAL(symlinkat);
	if (!point("symlink", path, 0))
		return real(target, fd, p);
	return created('L', path, real(target, fd, p));
}

int symlink(const char *target, const char *p)
{
	return symlinkat(target, AT_FDCWD, p);
}

int linkat(int af, const char *a, int bf, const char *b, int flags)
{
	char buf[PATH_MAX * 2];
	const char *path = shim_resolve(bf, b, buf, sizeof(buf));

	REAL(linkat);
	if (!point("link", path, 0))
		return real(af, a, bf, b, flags);
	return created('L', path, real(af, a, bf, b, flags));
}

int link(const char *a, const char *b)
{
	return linkat(AT_FDCWD, a, AT_FDCWD, b, 0);
}

static void drop_keep(const char *k)
{
	if (strcmp(k, "-") != 0 && strcmp(k, "dir") != 0)
		unlink(k);
}

int unlinkat(int fd, const char *p, int flags)
{
	char buf[PATH_MAX * 2], pid[64], kbuf[PATH_MAX];
	const char *path = shim_resolve(fd, p, buf, sizeof(buf)), *k = "-";
	int dir = flags & AT_REMOVEDIR, ret;

	REAL(unlinkat);
	if (!point(dir ? "rmdir" : "unlink", path, 0))
		return real(fd, p, flags);
	parent_ident(path, pid, sizeof(pid));
	if (!dir)
		k = keep(path, kbuf, sizeof(kbuf));
	ret = real(fd, p, flags);
	if (ret < 0)
		drop_keep(k);
	else if (dir)
		rec('R', "%s %s", pid, path);
	else
		rec('U', "%s %s %s", pid, path, k);
	return ret;
}

int unlink(const char *p)
{
	return unlinkat(AT_FDCWD, p, 0);
}

int rmdir(const char *p)
{
	return unlinkat(AT_FDCWD, p, AT_REMOVEDIR);
}

int remove(const char *p)
{
	struct stat st;

	if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
		return rmdir(p);
	return unlink(p);
}

int renameat2(int af, const char *a, int bf, const char *b, unsigned flags)
{
	char abuf[PATH_MAX * 2], bbuf[PATH_MAX * 2], ap[64], bp[64], kbuf[PATH_MAX];
	const char *from = shim_resolve(af, a, abuf, sizeof(abuf));
	const char *to = shim_resolve(bf, b, bbuf, sizeof(bbuf)), *k = "x";
	int ret;

	REAL(renameat2);
	if (!point("rename", to, 0) && !shim_under(prefixes, from))
		return real(af, a, bf, b, flags);
	parent_ident(from, ap, sizeof(ap));
	parent_ident(to, bp, sizeof(bp));
	if (!(flags & RENAME_EXCHANGE))
		k = keep(to, kbuf, sizeof(kbuf));
	ret = real(af, a, bf, b, flags);
	if (ret < 0)
		drop_keep(k);
	else
		rec('N', "%s %s %s %s %s", ap, bp, from, to, k);
	return ret;
}

int renameat(int af, const char *a, int bf, const char *b)
{
	return renameat2(af, a, bf, b, 0);
}

int rename(const char *a, const char *b)
{
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, 0);
}
