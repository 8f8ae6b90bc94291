// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Longest first: the last measured duration of each module version's
 * build, kept in the tree (<dkmstree>/<m>/<v>/.last-build-ms), and the order a
 * run starts its jobs in. A run's wall time is at least its longest job's:
 * started last, a 60 s job makes a 2-core run end 60 s after everything
 * else; started first, it runs beside the others.
 *
 * The record is read as hostile input: whoever could write the tree could
 * also damage it, and a damaged record must cost nothing but order. It is
 * opened beneath the tree without following links (a link to /dev/zero or
 * a FIFO is not read), must be a small regular file, and must be a plain
 * decimal of at most a week; anything else is "unknown".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtime.h"
#include "dks/cleanup.h"
#include "dks/fileio.h"

/* Unknown builds are guessed from their source: 1 s plus 1 ms per 100
 * bytes (Debian 12's corpus: dahdi, 5.9 MB, ~60 s serial; vpoll, 8 KB,
 * ~1.5 s). The walk is bounded: a source of a million files costs no
 * more than this many entries. */
#define GUESS_BASE_MS 1000L
#define GUESS_BYTES_PER_MS 100L
#define WALK_MAX_ENTRIES 20000
#define WALK_MAX_DEPTH 16
#define RECORD_MAX_BYTES 16

long dks_jobtime_parse(const char *buf, size_t len)
{
	long v = 0;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		v = v * 10 + (buf[i] - '0');
	}
	return v <= DKS_JOBTIME_MAX_MS ? v : -1;
}

static int open_tree(const struct dks_tree *t)
{
	return open(t->dkms_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

long dks_jobtime_read(const struct dks_tree *t, const char *m, const char *v)
{
	cleanup_close int root = open_tree(t);
	cleanup_close int fd = -1;
	char path[PATH_MAX], buf[RECORD_MAX_BYTES + 1];
	struct stat st;
	ssize_t n;

	if (root < 0 || snprintf(path, sizeof(path), "%s/%s/%s", m, v, DKS_JOBTIME_FILE) >=
			    (int)sizeof(path))
		return -1;
	fd = dks_open_beneath(root, path);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_MAX_BYTES)
		return -1;
	n = dks_read_full(fd, buf, sizeof(buf));
	return n < 0 || n > RECORD_MAX_BYTES ? -1 : dks_jobtime_parse(buf, (size_t)n);
}

void dks_jobtime_write(const struct dks_tree *t, const char *m, const char *v, long ms)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 64], final[PATH_MAX + 32], line[32];
	int fd, len;

	if (ms < 0 || ms > DKS_JOBTIME_MAX_MS ||
	    snprintf(dir, sizeof(dir), "%s/%s/%s", t->dkms_tree, m, v) >= (int)sizeof(dir))
		return;
	snprintf(tmp, sizeof(tmp), "%s/%s-%ld-XXXXXX", dir, DKS_JOBTIME_FILE, (long)getpid());
	snprintf(final, sizeof(final), "%s/%s", dir, DKS_JOBTIME_FILE);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "%ld\n", ms);
	if (fchmod(fd, 0644) < 0 || write(fd, line, (size_t)len) != len || close(fd) < 0 ||
	    rename(tmp, final) < 0)
		unlink(tmp);
}

struct walk {
	unsigned long long bytes;
	int entries;
};

/* The bytes of the regular files below @fd, links not followed. */
static void walk_dir(int fd, int depth, struct walk *w)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	struct stat st;

	if (!d) {
		close(fd);
		return;
	}
	while (w->entries < WALK_MAX_ENTRIES && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		w->entries++;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			w->bytes += (unsigned long long)st.st_size;
		else if (S_ISDIR(st.st_mode) && depth < WALK_MAX_DEPTH)
			walk_dir(openat(dirfd(d), e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
				 depth + 1, w);
	}
	closedir(d);
}

static long guess_from_source(const struct dks_tree *t, const char *m, const char *v)
{
	cleanup_free char *src = dks_tree_source_dir(t, m, v);
	struct walk w = {0};
	int fd = src ? open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	unsigned long long ms;

	if (fd < 0)
		return GUESS_BASE_MS;
	walk_dir(fd, 0, &w);
	ms = GUESS_BASE_MS + w.bytes / GUESS_BYTES_PER_MS;
	return ms > DKS_JOBTIME_MAX_MS ? DKS_JOBTIME_MAX_MS : (long)ms;
}

/* The largest record among m's other versions (a new version of a module
 * builds about as long as the last one did), or -1. */
static long other_versions(const struct dks_tree *t, const char *m, const char *v)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;
	long best = -1, r;

	if (snprintf(path, sizeof(path), "%s/%s", t->dkms_tree, m) >= (int)sizeof(path) ||
	    !(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, v) != 0 &&
		    (r = dks_jobtime_read(t, m, e->d_name)) > best)
			best = r;
	closedir(d);
	return best;
}

long dks_jobtime_estimate(const struct dks_tree *t, const char *m, const char *v)
{
	long ms = dks_jobtime_read(t, m, v);

	if (ms < 0)
		ms = other_versions(t, m, v);
	return ms >= 0 ? ms : guess_from_source(t, m, v);
}

void dks_jobs_order(const struct dks_tree *t, const struct dks_job *jobs, size_t n,
		    size_t *order, long *est)
{
	cleanup_free long *e = calloc(n ? n : 1, sizeof(*e));

	for (size_t i = 0; i < n; i++) {
		/* the jobs of one module version for several kernels: one look */
		bool same = i && e && strcmp(jobs[i].module, jobs[i - 1].module) == 0 &&
			    strcmp(jobs[i].version, jobs[i - 1].version) == 0;

		if (e)
			e[i] = same ? e[i - 1] : dks_jobtime_estimate(t, jobs[i].module,
								       jobs[i].version);
		order[i] = i;
		if (est)
			est[i] = e ? e[i] : 0;
	}
	/* insertion sort: stable, and n is a run's job count */
	for (size_t i = 1; e && i < n; i++)
		for (size_t k = i; k > 0 && e[order[k]] > e[order[k - 1]]; k--) {
			size_t tmp = order[k];

			order[k] = order[k - 1];
			order[k - 1] = tmp;
		}
}
