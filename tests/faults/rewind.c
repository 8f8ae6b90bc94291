// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rewind of `make check-lostwrites` (docs/reliability.md "Lost
 * writes"): reads the log tests/faults/lostshim.c wrote before the cut
 * and puts the trees in a state a power cut could have left.
 *
 *   rewind LOGDIR TREE[:TREE...] [SEED]
 *
 * Without SEED, the worst case the strict POSIX model allows: every entry
 * operation (create, mkdir, link, unlink, rmdir, rename) whose parent
 * directory (a rename: both) was not fsync'd after it (nor its filesystem
 * syncfs'd) is undone, newest first; every file written since its last
 * fsync (or syncfs) gets back the content it had then (a new file: empty). With SEED, a random
 * state of the model: the first K of the operations not made durable survive (K random: an ordered
 * journal's prefix), and each unsynced file keeps or loses its new content at random. Prints what
 * it did; exit 1 on a bad log. The log's order is the operations' (O_APPEND: one write per record;
 * SEQ counts per process tree, for reading only). Test code only.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct op {
	char kind;
	long seq;
	char id[2][64]; /* F/S/D: [0] the file or dir; others: the parents */
	char *path, *to, *extra;
	int durable;
};

static struct op *ops;
static size_t nops;
static int undone, gone, restored, skipped;

static char *dup_or_die(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("rewind");
		exit(1);
	}
	return d;
}

/* One log line into ops[]; 0 when it is not one. */
static int parse(char *line)
{
	struct op o = {0};
	char a[64], b[64], p1[4096], p2[4096], p3[4096];
	int n;

	line[strcspn(line, "\n")] = 0;
	if (sscanf(line, "%c %ld %n", &o.kind, &o.seq, &n) != 2)
		return 0;
	line += n;
	if (strchr("FSDY", o.kind) && (n = sscanf(line, "%63s %4095s", a, p1)) >= 1) {
		snprintf(o.id[0], sizeof(o.id[0]), "%s", a);
		o.extra = n == 2 ? dup_or_die(p1) : NULL;
	} else if (strchr("CMLR", o.kind) && sscanf(line, "%63s %4095s", a, p1) == 2) {
		snprintf(o.id[0], sizeof(o.id[0]), "%s", a);
		o.path = dup_or_die(p1);
	} else if (o.kind == 'U' && sscanf(line, "%63s %4095s %4095s", a, p1, p2) == 3) {
		snprintf(o.id[0], sizeof(o.id[0]), "%s", a);
		o.path = dup_or_die(p1);
		o.extra = dup_or_die(p2);
	} else if (o.kind == 'N' &&
		   sscanf(line, "%63s %63s %4095s %4095s %4095s", a, b, p1, p2, p3) == 5) {
		snprintf(o.id[0], sizeof(o.id[0]), "%s", a);
		snprintf(o.id[1], sizeof(o.id[1]), "%s", b);
		o.path = dup_or_die(p1);
		o.to = dup_or_die(p2);
		o.extra = dup_or_die(p3);
	} else {
		return 0;
	}
	ops[nops++] = o;
	return 1;
}

static int read_log(const char *dir)
{
	char path[4096], line[3 * 4096 + 64];
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/log", dir);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		if (nops == cap) {
			cap = cap ? 2 * cap : 256;
			ops = realloc(ops, cap * sizeof(*ops));
			if (!ops)
				return -1;
		}
		if (!parse(line)) {
			fprintf(stderr, "rewind: %s: not a log line: %s\n", path, line);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* Is ops[@j] a syncfs (Y) of @id's filesystem, or a sync? */
static int fs_synced(size_t j, const char *id)
{
	const char *dev = ops[j].id[0];
	size_t n = strlen(dev);

	return ops[j].kind == 'Y' &&
	       (strcmp(dev, "0") == 0 || (strncmp(id, dev, n) == 0 && id[n] == ':'));
}

/* Is there a D of directory @id (or a Y of its filesystem) after @i? */
static int dir_synced_after(size_t i, const char *id)
{
	for (size_t j = i + 1; j < nops; j++)
		if ((ops[j].kind == 'D' && strcmp(ops[j].id[0], id) == 0) || fs_synced(j, id))
			return 1;
	return 0;
}

static int is_entry_op(char kind)
{
	return strchr("CMLURN", kind) != NULL;
}

/* Marks the entry operations made durable; K of the others survive too. */
static void mark_durable(long keep_first)
{
	for (size_t i = 0; i < nops; i++) {
		struct op *o = &ops[i];

		if (!is_entry_op(o->kind))
			continue;
		o->durable = dir_synced_after(i, o->id[0]) &&
			     (o->kind != 'N' || dir_synced_after(i, o->id[1]));
		if (!o->durable && keep_first > 0) {
			o->durable = 1;
			keep_first--;
		}
	}
}

static long count_lost(void)
{
	long n = 0;

	for (size_t i = 0; i < nops; i++)
		n += is_entry_op(ops[i].kind) && !ops[i].durable;
	return n;
}

/* ---- entry operations, undone newest first ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

static int rm_tree(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT ? -1 : 0;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Puts back what a rename or unlink replaced at @path. */
static int put_back(const char *saved, const char *path)
{
	if (strcmp(saved, "-") == 0)
		return 0;
	if (strcmp(saved, "dir") == 0)
		return mkdir(path, 0755);
	return rename(saved, path);
}

/* A rename undone: TO back to FROM. When FROM is taken (by an operation
 * the model keeps), the renamed entry is lost: neither name has it. */
static int undo_rename(const struct op *o)
{
	if (strcmp(o->extra, "x") == 0)
		return renameat2(AT_FDCWD, o->to, AT_FDCWD, o->path, RENAME_EXCHANGE);
	if (exists(o->path)) {
		fprintf(stderr, "rewind: %s taken: %s lost\n", o->path, o->to);
		if (rm_tree(o->to) < 0)
			return -1;
	} else if (rename(o->to, o->path) < 0) {
		return -1;
	}
	return put_back(o->extra, o->to);
}

/* Where @path of ops[@i] is now: moved along by the renames after it
 * that stay (a directory the entry sits in renamed, durably). */
static void translate(size_t i, const char *path, char *out, size_t size)
{
	char tmp[8192];
	size_t n;

	snprintf(out, size, "%s", path);
	for (size_t j = i + 1; j < nops; j++) {
		const struct op *r = &ops[j];

		if (r->kind != 'N' || !r->durable || strcmp(r->extra, "x") == 0)
			continue;
		n = strlen(r->path);
		if (strncmp(out, r->path, n) != 0 || (out[n] != '/' && out[n] != 0))
			continue;
		snprintf(tmp, sizeof(tmp), "%s%s", r->to, out + n);
		snprintf(out, size, "%s", tmp);
	}
}

static int undo_at(const struct op *o)
{
	switch (o->kind) {
	case 'C':
	case 'L': return unlink(o->path);
	case 'M': return rm_tree(o->path);
	case 'U': return put_back(o->extra, o->path);
	case 'R': return mkdir(o->path, 0755);
	default: return undo_rename(o);
	}
}

/* ops[@i] undone where its entries are now. ENOENT: they went with a
 * directory removed for good after it (gone, not a failure). */
static int undo(size_t i)
{
	char path[8192], to[8192];
	struct op o = ops[i];

	translate(i, o.path, path, sizeof(path));
	o.path = path;
	if (o.to) {
		translate(i, o.to, to, sizeof(to));
		o.to = to;
	}
	if (undo_at(&o) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	gone++;
	return 1;
}

static void undo_entries(void)
{
	for (size_t i = nops; i-- > 0;) {
		const struct op *o = &ops[i];
		int rc;

		if (!is_entry_op(o->kind) || o->durable)
			continue;
		if ((rc = undo(i)) < 0) {
			fprintf(stderr, "rewind: cannot undo %c %ld %s: %s\n", o->kind, o->seq,
				o->path, strerror(errno));
			skipped++;
		} else if (rc == 0) {
			undone++;
		}
	}
}

/* ---- file data ---- */

/* The snapshot (F) of each file written since its last sync: the first
 * F after its last S. */
static const struct op *pending_for(const char *id)
{
	const struct op *first = NULL;

	for (size_t i = 0; i < nops; i++) {
		if (fs_synced(i, id)) {
			first = NULL;
			continue;
		}
		if (strcmp(ops[i].id[0], id) != 0 || !strchr("FS", ops[i].kind))
			continue;
		if (ops[i].kind == 'S')
			first = NULL;
		else if (!first)
			first = &ops[i];
	}
	return first;
}

static int lose_data;

static int copy_back(const char *snap, const char *path)
{
	char buf[65536];
	int in = -1, out = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = 0;

	if (out >= 0 && strcmp(snap, "-") != 0) {
		in = open(snap, O_RDONLY | O_CLOEXEC);
		while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				n = -1;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return out < 0 || n < 0 || (in < 0 && strcmp(snap, "-") != 0) ? -1 : 0;
}

static int restore_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	char id[64];
	const struct op *o;

	(void)f;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	snprintf(id, sizeof(id), "%lu:%lu", (unsigned long)st->st_dev, (unsigned long)st->st_ino);
	o = pending_for(id);
	if (!o || (lose_data == 2 && rand() % 2))
		return 0;
	if (copy_back(o->extra, p) < 0) {
		fprintf(stderr, "rewind: cannot restore %s: %s\n", p, strerror(errno));
		skipped++;
	} else {
		restored++;
	}
	return 0;
}

static void restore_data(char *trees)
{
	for (char *t = strtok(trees, ":"); t; t = strtok(NULL, ":"))
		nftw(t, restore_one, 16, FTW_PHYS);
}

int main(int argc, char **argv)
{
	long k = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: rewind LOGDIR TREE[:TREE...] [SEED]\n");
		return 2;
	}
	if (read_log(argv[1]) < 0) {
		fprintf(stderr, "rewind: cannot read the log in %s\n", argv[1]);
		return 1;
	}
	mark_durable(0);
	lose_data = 1;
	if (argc == 4) {
		srand((unsigned)strtoul(argv[3], NULL, 10));
		k = rand() % (count_lost() + 1);
		mark_durable(k);
		lose_data = 2;
	}
	undo_entries();
	restore_data(argv[2]);
	printf("rewind: %zu records, %d entry operations undone (%ld kept, %d gone with their "
	       "directory), %d files rolled back, %d failed\n",
	       nops, undone, k, gone, restored, skipped);
	return 0;
}
