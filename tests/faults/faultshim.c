// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An LD_PRELOAD shim for `make check-faults` (tests/faults/check-faults.sh):
 * the N-th write, pwrite, fsync/fdatasync, rename, open/openat with
 * O_CREAT, mkdir, symlink or link of the process (counted over the calls
 * that touch a path under FAULT_PATH_PREFIX, when set) fails with
 * FAULT_ERRNO (ENOSPC, the default, or EIO) without doing anything.
 *
 *   FAULT_AT=N          fail the N-th point (0 or unset: fail none, count)
 *   FAULT_ERRNO=ENOSPC|EIO
 *   FAULT_PATH_PREFIX=DIR[:DIR...]  only points under these trees count
 *   FAULT_COUNT_FILE=F  at exit, write the number of points seen to F
 *                       (the enumeration run)
 *
 * The process the shim was preloaded into and its forks (the build's job
 * workers), which share one count: it drops LD_PRELOAD from its
 * environment, so programs they exec (make in the sandbox, depmod) are not
 * faulted. Test code only; never built into the shipped binary.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shimpath.h"

static long fault_at, *seen, unshared;
static int fault_errno = ENOSPC;
static const char *prefixes;
static pid_t owner;

__attribute__((constructor)) static void shim_init(void)
{
	const char *at = getenv("FAULT_AT"), *e = getenv("FAULT_ERRNO");

	fault_at = at ? strtol(at, NULL, 10) : 0;
	if (e && strcmp(e, "EIO") == 0)
		fault_errno = EIO;
	prefixes = getenv("FAULT_PATH_PREFIX");
	owner = getpid();
	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seen == MAP_FAILED)
		seen = &unshared;
	unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void shim_fini(void)
{
	const char *f = getenv("FAULT_COUNT_FILE");
	FILE *out;

	if (!f || getpid() != owner || !(out = fopen(f, "w")))
		return;
	fprintf(out, "%ld\n", *seen);
	fclose(out);
}

/* Is this point the one to fail? Counts it when it is under the prefix. */
static int hit(const char *path)
{
	long n;

	if (!seen || !shim_under(prefixes, path))
		return 0;
	n = __atomic_add_fetch(seen, 1, __ATOMIC_SEQ_CST);
	if (fault_at > 0 && n == fault_at) {
		dprintf(2, "faultshim: point %ld (%s): %s\n", n, path ? path : "?",
			strerror(fault_errno));
		errno = fault_errno;
		return 1;
	}
	return 0;
}

static int hit_fd(int fd)
{
	char buf[PATH_MAX * 2];

	return hit(prefixes ? shim_fd_path(fd, buf, sizeof(buf)) : "");
}

static int hit_at(int dirfd, const char *name)
{
	char buf[PATH_MAX * 2];

	return hit(prefixes ? shim_resolve(dirfd, name, buf, sizeof(buf)) : name);
}

/* The libc function this one stands for (same prototype). */
#define REAL(fn) \
	static __typeof__(&fn) real; \
	if (!real) \
		real = (__typeof__(&fn))dlsym(RTLD_NEXT, #fn)

ssize_t write(int fd, const void *p, size_t n)
{
	REAL(write);
	if (fd > 2 && hit_fd(fd))
		return -1;
	return real(fd, p, n);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite);
	if (hit_fd(fd))
		return -1;
	return real(fd, p, n, off);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite64);
	if (hit_fd(fd))
		return -1;
	return real(fd, p, n, off);
}

int fsync(int fd)
{
	REAL(fsync);
	if (hit_fd(fd))
		return -1;
	return real(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	if (hit_fd(fd))
		return -1;
	return real(fd);
}

int rename(const char *a, const char *b)
{
	REAL(rename);
	if (hit_at(AT_FDCWD, b))
		return -1;
	return real(a, b);
}

int renameat(int af, const char *a, int bf, const char *b)
{
	REAL(renameat);
	if (hit_at(bf, b))
		return -1;
	return real(af, a, bf, b);
}

int renameat2(int af, const char *a, int bf, const char *b, unsigned flags)
{
	REAL(renameat2);
	if (hit_at(bf, b))
		return -1;
	return real(af, a, bf, b, flags);
}

int mkdir(const char *p, mode_t m)
{
	REAL(mkdir);
	if (hit_at(AT_FDCWD, p))
		return -1;
	return real(p, m);
}

int mkdirat(int fd, const char *p, mode_t m)
{
	REAL(mkdirat);
	if (hit_at(fd, p))
		return -1;
	return real(fd, p, m);
}

int symlinkat(const char *target, int fd, const char *p)
{
	REAL(symlinkat);
	if (hit_at(fd, p))
		return -1;
	return real(target, fd, p);
}

int symlink(const char *target, const char *p)
{
	REAL(symlink);
	if (hit_at(AT_FDCWD, p))
		return -1;
	return real(target, p);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

int openat(int dirfd, const char *p, int flags, ...)
{
	va_list ap;
	mode_t m;

	REAL(openat);
	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	if ((flags & O_CREAT) && hit_at(dirfd, p))
		return -1;
	return real(dirfd, p, flags, m);
}

int openat64(int dirfd, const char *p, int flags, ...) __attribute__((alias("openat")));

/* open is openat at the working directory (what glibc's does too). */
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
