// SPDX-License-Identifier: GPL-2.0-or-later
/* A journalled change to a set of files: txn.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/fileio.h"
#include "txn.h"

#define OLD_SUFFIX ".dks-old"
#define NEW_SUFFIX ".dks-new"
#define JOURNAL_MAX (1024 * 1024)
#define COPY_MAX (256L * 1024 * 1024)

/* Does nothing; the crash-test binary links a definition that stops here. */
__attribute__((weak)) void dks_crash_point(const char *what)
{
	(void)what;
}

static void suffixed(char *buf, size_t size, const char *path, const char *suffix)
{
	snprintf(buf, size, "%s%s", path, suffix);
}

static int fsync_parent(const char *path, struct dks_error *err)
{
	if (dks_fsync_parent(path) == 0)
		return 0;
	return dks_err(err, errno, "fsync the directory of %s", path);
}

/* Recovery's: a directory a power cut took (with all it held) has nothing
 * to make durable (check-lostwrites: updates/dkms/ lost, the journal
 * naming a module in it could never be recovered). */
static int fsync_parent_if_there(const char *path, struct dks_error *err)
{
	if (dks_fsync_parent(path) == 0 || errno == ENOENT)
		return 0;
	return dks_err(err, errno, "fsync the directory of %s", path);
}

/* Write @len bytes as @path atomically: <path>.dks-new (O_EXCL, 0644, the
 * mtime when > 0), fsync, rename over, fsync the directory. Recovery
 * removes a <path>.dks-new a kill left. */
static int write_atomic(const char *path, const void *buf, size_t len, long long mtime_ns,
			struct dks_error *err)
{
	char tmp[PATH_MAX + 16];
	cleanup_close int fd = -1;

	if (strlen(path) >= PATH_MAX || !strchr(path, '/'))
		return dks_err(err, ENAMETOOLONG, "%s", path);
	suffixed(tmp, sizeof(tmp), path, NEW_SUFFIX);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fchmod(fd, 0644) < 0 ||
	    (mtime_ns > 0 &&
	     futimens(fd, (struct timespec[]){{0, UTIME_OMIT},
					       {mtime_ns / 1000000000, mtime_ns % 1000000000}}) <
		 0) ||
	    fsync(fd) < 0) {
		dks_err(err, errno, "cannot write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		dks_err(err, errno, "cannot place %s", path);
		unlink(tmp);
		return -1;
	}
	return fsync_parent(path, err);
}

int dks_txn_init(struct dks_txn *x, const char *journal, struct dks_error *err)
{
	memset(x, 0, sizeof(*x));
	x->journal = strdup(journal);
	return x->journal ? 0 : dks_err(err, ENOMEM, "%s", journal);
}

void dks_txn_free(struct dks_txn *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->steps[i].path);
		free(x->steps[i].from);
	}
	free(x->steps);
	free(x->journal);
	memset(x, 0, sizeof(*x));
}

int dks_txn_add(struct dks_txn *x, const char *path, enum dks_txn_op op, const void *buf,
		size_t len, const char *from, struct dks_error *err)
{
	struct dks_txn_step *s;

	if (path[0] != '/' || strchr(path, '\n') || strlen(path) + 16 >= PATH_MAX)
		return dks_err(err, EINVAL, "%s: not a path the installer can journal", path);
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->steps[i].path, path) == 0)
			return dks_err(err, EEXIST, "%s: twice in one transaction", path);
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;

		s = reallocarray(x->steps, cap, sizeof(*s));
		if (!s)
			return dks_err(err, ENOMEM, "transaction");
		x->steps = s;
		x->cap = cap;
	}
	s = &x->steps[x->n];
	*s = (struct dks_txn_step){.path = strdup(path), .op = op, .buf = buf, .len = len,
				   .from = from ? strdup(from) : NULL};
	if (!s->path || (from && !s->from)) {
		free(s->path);
		free(s->from);
		return dks_err(err, ENOMEM, "transaction");
	}
	x->n++;
	return 0;
}

/* ---- the journal ---- */

/* "state <state>\n" then one line per path: "<flag> <path>", flag '?'
 * (prepare: not known yet), 'e' (existed: backup at <path>.dks-old) or
 * 'n' (did not exist). */
static int write_journal(const struct dks_txn *x, const char *state, const char *flags,
			 struct dks_error *err)
{
	cleanup_free char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int ret;

	if (!f)
		return dks_err(err, errno, "journal");
	fprintf(f, "dkms-sandbox transaction\nstate %s\n", state);
	for (size_t i = 0; i < x->n; i++)
		fprintf(f, "%c %s\n", flags ? flags[i] : '?', x->steps[i].path);
	if (fclose(f) != 0)
		return dks_err(err, errno, "journal");
	ret = write_atomic(x->journal, buf, size, 0, err);
	dks_crash_point(state);
	return ret;
}

struct journal {
	char state[16];
	char **paths;
	char *flags;
	size_t n;
};

static void journal_free(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->paths[i]);
	free(j->paths);
	free(j->flags);
}

static int journal_line(struct journal *j, const char *line, const char *where,
			struct dks_error *err)
{
	char **p = reallocarray(j->paths, j->n + 1, sizeof(*p));
	char *f = p ? realloc(j->flags, j->n + 1) : NULL;

	if (p)
		j->paths = p;
	if (!f)
		return dks_err(err, ENOMEM, "%s", where);
	j->flags = f;
	if (!strchr("?en", line[0]) || line[1] != ' ' || line[2] != '/')
		return dks_err(err, 0, "%s: a line is not \"<flag> <path>\"", where);
	j->flags[j->n] = line[0];
	j->paths[j->n] = strndup(line + 2, strcspn(line + 2, "\n"));
	if (!j->paths[j->n])
		return dks_err(err, ENOMEM, "%s", where);
	j->n++;
	return 0;
}

static int journal_stream(FILE *f, const char *path, struct journal *j, struct dks_error *err)
{
	char line[PATH_MAX + 8];
	size_t total = 0;

	if (!fgets(line, sizeof(line), f) || strcmp(line, "dkms-sandbox transaction\n") != 0 ||
	    !fgets(line, sizeof(line), f) || sscanf(line, "state %15s", j->state) != 1)
		return dks_err(err, 0, "%s: not a dkms-sandbox journal", path);
	while (fgets(line, sizeof(line), f)) {
		total += strlen(line);
		if (total > JOURNAL_MAX || journal_line(j, line, path, err) < 0)
			return total > JOURNAL_MAX ? dks_err(err, EFBIG, "%s", path) : -1;
	}
	return 1;
}

static int read_journal(const char *path, struct journal *j, struct dks_error *err)
{
	cleanup_fclose FILE *f = fopen(path, "re");

	memset(j, 0, sizeof(*j));
	if (!f)
		return errno == ENOENT ? 0 : dks_err(err, errno, "%s", path);
	return journal_stream(f, path, j, err);
}

int dks_txn_journal_parse(FILE *f, const char *name, struct dks_error *err)
{
	struct journal j = {0};
	int rc = journal_stream(f, name, &j, err);

	if (rc > 0)
		rc = (int)(j.n > INT_MAX ? INT_MAX : j.n);
	journal_free(&j);
	return rc;
}

/* ---- recovery ---- */

static int unlink_ok(const char *path, struct dks_error *err)
{
	return unlink(path) == 0 || errno == ENOENT ? 0 : dks_err(err, errno, "cannot remove %s", path);
}

static int drop_backups(const struct journal *j, struct dks_error *err)
{
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < j->n; i++) {
		suffixed(p, sizeof(p), j->paths[i], OLD_SUFFIX);
		if (unlink_ok(p, err) < 0)
			return -1;
	}
	return 0;
}

static int roll_back(const struct journal *j, struct dks_error *err)
{
	char old[PATH_MAX + 16], tmp[PATH_MAX + 16];

	for (size_t i = 0; i < j->n; i++) {
		const char *path = j->paths[i];

		suffixed(old, sizeof(old), path, OLD_SUFFIX);
		suffixed(tmp, sizeof(tmp), path, NEW_SUFFIX);
		if (unlink_ok(tmp, err) < 0)
			return -1;
		if (j->flags[i] == 'n' && unlink_ok(path, err) < 0)
			return -1;
		/* 'e' with no backup: restored by an earlier, interrupted recovery. */
		if (j->flags[i] == 'e' && rename(old, path) < 0 && errno != ENOENT)
			return dks_err(err, errno, "cannot restore %s", path);
		/* rename() leaves both names when they are one file (the step
		 * never ran): the backup goes then. */
		if (j->flags[i] == 'e' && unlink_ok(old, err) < 0)
			return -1;
		dks_crash_point("restore");
	}
	return 0;
}

int dks_txn_recover(const char *journal, struct dks_error *err)
{
	struct journal j;
	int ret = read_journal(journal, &j, err);

	if (ret <= 0) {
		journal_free(&j);
		return ret;
	}
	if (strcmp(j.state, "commit") == 0)
		ret = drop_backups(&j, err) < 0 ? -1 : 2;
	else if (strcmp(j.state, "apply") == 0)
		ret = roll_back(&j, err) < 0 ? -1 : 1;
	else if (strcmp(j.state, "prepare") == 0)
		ret = drop_backups(&j, err) < 0 ? -1 : 0;
	else
		ret = dks_err(err, 0, "%s: unknown state %s", journal, j.state);
	for (size_t i = 0; ret >= 0 && i < j.n; i++)
		if (fsync_parent_if_there(j.paths[i], err) < 0)
			ret = -1;
	if (ret >= 0 && (unlink_ok(journal, err) < 0 || fsync_parent(journal, err) < 0))
		ret = -1;
	journal_free(&j);
	return ret;
}

/* ---- apply ---- */

/* Hard-link each existing path to <path>.dks-old; @flags says which. */
static int back_up(const struct dks_txn *x, char *flags, struct dks_error *err)
{
	char old[PATH_MAX + 16];
	struct stat st;

	for (size_t i = 0; i < x->n; i++) {
		const char *path = x->steps[i].path;

		suffixed(old, sizeof(old), path, OLD_SUFFIX);
		if (unlink_ok(old, err) < 0)
			return -1;
		flags[i] = lstat(path, &st) == 0 ? 'e' : 'n';
		if (flags[i] == 'n' && errno != ENOENT)
			return dks_err(err, errno, "%s", path);
		if (flags[i] == 'e' && (S_ISDIR(st.st_mode) || link(path, old) < 0))
			return dks_err(err, S_ISDIR(st.st_mode) ? EISDIR : errno,
				       "cannot back up %s", path);
		if (flags[i] == 'e' && fsync_parent(path, err) < 0)
			return -1;
		dks_crash_point("backup");
	}
	return 0;
}

/* The content of @from as @path: a hard link, or a copy across filesystems. */
static int copy_file(const char *from, const char *path, struct dks_error *err)
{
	char tmp[PATH_MAX + 16];
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	struct stat st;

	suffixed(tmp, sizeof(tmp), path, NEW_SUFFIX);
	unlink(tmp);
	if (link(from, tmp) == 0) {
		if (rename(tmp, path) == 0)
			return fsync_parent(path, err);
		unlink(tmp);
		return dks_err(err, errno, "cannot place %s", path);
	}
	if (errno != EXDEV)
		return dks_err(err, errno, "cannot link %s to %s", from, path);
	fd = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > COPY_MAX)
		return dks_err(err, errno, "cannot copy %s", from);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || dks_read_full(fd, buf, (size_t)st.st_size) != st.st_size)
		return dks_err(err, errno, "cannot read %s", from);
	return write_atomic(path, buf, (size_t)st.st_size, 0, err);
}

static int run_step(const struct dks_txn_step *s, struct dks_error *err)
{
	char tmp[PATH_MAX + 16];

	switch (s->op) {
	case DKS_TXN_BYTES:
		return write_atomic(s->path, s->buf, s->len, s->mtime_ns, err);
	case DKS_TXN_COPY:
		return copy_file(s->from, s->path, err);
	case DKS_TXN_SYMLINK:
		suffixed(tmp, sizeof(tmp), s->path, NEW_SUFFIX);
		unlink(tmp);
		if (symlink(s->from, tmp) < 0 || rename(tmp, s->path) < 0) {
			unlink(tmp);
			return dks_err(err, errno, "cannot place %s", s->path);
		}
		return fsync_parent(s->path, err);
	case DKS_TXN_REMOVE:
		return unlink_ok(s->path, err) < 0 ? -1 : fsync_parent(s->path, err);
	}
	return dks_err(err, EINVAL, "%s: unknown step", s->path);
}

int dks_txn_apply(struct dks_txn *x, struct dks_error *err)
{
	cleanup_free char *flags = calloc(x->n + 1, 1);
	struct dks_error ignored = {0};

	if (!flags)
		return dks_err(err, ENOMEM, "transaction");
	/* A journal whose write failed after its rename (the directory's
	 * fsync) is there all the same: recovery drops it (nothing was done). */
	if (write_journal(x, "prepare", NULL, err) < 0) {
		dks_txn_recover(x->journal, &ignored);
		return -1;
	}
	if (back_up(x, flags, err) < 0 || write_journal(x, "apply", flags, err) < 0) {
		dks_txn_recover(x->journal, &ignored);
		return -1;
	}
	for (size_t i = 0; i < x->n; i++) {
		if (run_step(&x->steps[i], err) < 0) {
			dks_txn_recover(x->journal, &ignored);
			return -1;
		}
		dks_crash_point("step");
	}
	return 0;
}

int dks_txn_commit(struct dks_txn *x, struct dks_error *err)
{
	if (write_journal(x, "commit", NULL, err) < 0)
		return -1;
	return dks_txn_recover(x->journal, err) < 0 ? -1 : 0;
}

int dks_txn_rollback(struct dks_txn *x, struct dks_error *err)
{
	return dks_txn_recover(x->journal, err) < 0 ? -1 : 0;
}
