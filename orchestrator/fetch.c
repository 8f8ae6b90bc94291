// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fetching a recipe's source into the source tree (include/dks/recipe.h):
 * a directory copied, or a sha256-pinned tarball extracted with libarchive,
 * always into a temporary directory renamed into place, never following a
 * link, never creating a device node, a set-id file or a link that leads
 * out. The privileged side writing what a tarball says: every check here
 * is a refusal with one line naming the entry.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/recipe.h"
#include "dks/lazylib.h"

/* Bounds on what a source may put on disk: a tarball is attacker data, and
 * a zip bomb must end in an error, not in a full /usr/src. */
#define FETCH_TOTAL_MAX	  (512ULL << 20)
#define FETCH_ENTRY_MAX	  (256ULL << 20)
#define FETCH_ENTRIES_MAX 100000
/* Depth bound: the walks below hold one fd per level. */
#define FETCH_DEPTH_MAX 64

#include "recipe_internal.h"

/* ---- fetch: the sink, where every byte of a source lands ---- */

/*
 * All writes go below one directory fd (the temporary directory), by
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): no entry can write
 * through a link, whatever earlier entries made. libarchive's own
 * archive_write_disk is not used: it works on paths relative to the
 * process's cwd (chdir is process-wide state) and its SECURE_SYMLINKS
 * check would walk the absolute path of the temporary directory too.
 */
struct sink {
	int root;
	const char *what; /* the source, for messages */
	const struct dks_extract_limits *lim;
	uint64_t total, entries;
	unsigned skipped; /* device nodes, FIFOs, sockets left out (images) */
	dev_t skip_dev; /* the temporary directory itself: a source dir */
	ino_t skip_ino; /* that contains @dest must not copy it */
	struct dks_error *err;
};

static const struct dks_extract_limits recipe_limits = {
	.total_max = FETCH_TOTAL_MAX, .entry_max = FETCH_ENTRY_MAX,
	.entries_max = FETCH_ENTRIES_MAX, .image = false};

/* dkms add SOURCE_DIR: Debian's *-dkms sources hold links such as
 * README.gz -> /usr/share/doc/...: kept as links (see sink_symlink). */
static const struct dks_extract_limits source_dir_limits = {
	.total_max = FETCH_TOTAL_MAX, .entry_max = FETCH_ENTRY_MAX,
	.entries_max = FETCH_ENTRIES_MAX, .image = false, .links_out = true};

__attribute__((format(printf, 4, 5))) static int refuse(struct sink *s, int errnum,
							const char *entry, const char *fmt, ...)
{
	char msg[DKS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dks_err(s->err, errnum, "%s: '%s': %s", s->what, entry, msg);
}

/* libarchive cannot read the bytes (at @entry, or NULL): its words, the
 * limits' unreadable_code, and an errno only where it set a real one
 * (libarchive's -1 is "Unknown error -1"). */
static int unreadable(struct sink *s, struct archive *a, const char *entry)
{
	int e = archive_errno(a) > 0 ? archive_errno(a) : 0;
	const char *msg = archive_error_string(a) ? archive_error_string(a) : "unreadable";

	if (entry)
		return dks_err_code(s->err, s->lim->unreadable_code, e, "%s: '%s': %s", s->what,
				    entry, msg);
	return dks_err_code(s->err, s->lim->unreadable_code, e, "%s: %s", s->what, msg);
}

static int open_beneath(int dirfd, const char *path, int flags, mode_t mode, bool follow)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (follow ? 0 : RESOLVE_NO_SYMLINKS),
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Count an entry against FETCH_ENTRIES_MAX. */
static int sink_count(struct sink *s, const char *rel)
{
	if (++s->entries > s->lim->entries_max)
		return refuse(s, 0, rel, "more than %llu entries",
			      (unsigned long long)s->lim->entries_max);
	return 0;
}

/* An fd of the directory that holds @rel's last component, made with its
 * missing parents (0755); *@leaf points into @rel. */
static int sink_parent(struct sink *s, char *rel, const char **leaf)
{
	cleanup_close int cur = fcntl(s->root, F_DUPFD_CLOEXEC, 3);
	char *comp = rel, *slash;

	if (cur < 0)
		return refuse(s, errno, rel, "dup");
	while ((slash = strchr(comp, '/'))) {
		int next;

		*slash = '\0';
		next = open_beneath(cur, comp, O_DIRECTORY | O_RDONLY, 0, false);
		if (next < 0 && errno == ENOENT && mkdirat(cur, comp, 0755) == 0) {
			next = open_beneath(cur, comp, O_DIRECTORY | O_RDONLY, 0, false);
			/* 0755 whatever the umask: the build user must enter it. */
			if (next >= 0 && fchmod(next, 0755) < 0) {
				close(next);
				next = -1;
			}
		}
		*slash = '/';
		if (next < 0)
			return refuse(s, errno, rel,
				      errno == ELOOP ? "a parent is a symbolic link"
						     : "cannot make its directory");
		close(cur);
		cur = next;
		comp = slash + 1;
	}
	*leaf = comp;
	return steal_fd(&cur);
}

/* A later entry of the same name replaces an earlier one (as tar does),
 * unless the earlier one is a directory. */
static int make_room(struct sink *s, int dir, const char *leaf, const char *rel)
{
	struct stat st;

	if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : refuse(s, errno, rel, "stat");
	if (S_ISDIR(st.st_mode))
		return refuse(s, 0, rel, "a directory of that name exists");
	if (s->lim->no_dups)
		return refuse(s, 0, rel, "a second entry of that name");
	if (unlinkat(dir, leaf, 0) < 0)
		return refuse(s, errno, rel, "cannot replace it");
	return 0;
}

static int sink_dir(struct sink *s, char *rel)
{
	cleanup_close int dir = -1;
	const char *leaf;
	struct stat st;

	if (sink_count(s, rel) < 0 || (dir = sink_parent(s, rel, &leaf)) < 0)
		return -1;
	/* 0755 whatever the umask: the build user must enter it. */
	if (mkdirat(dir, leaf, 0755) == 0)
		return fchmodat(dir, leaf, 0755, 0) == 0 ? 0 : refuse(s, errno, rel, "chmod");
	if (errno == EEXIST && fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return 0;
	return refuse(s, errno, rel, "cannot make the directory");
}

/* A new regular file for @rel. Modes are normalised to 0755 (any x bit)
 * or 0644: no set-id, no sticky, nothing group- or world-writable in a
 * tree that root owns. */
static int sink_file(struct sink *s, char *rel, mode_t mode)
{
	cleanup_close int dir = -1;
	const char *leaf;
	int fd;

	if (sink_count(s, rel) < 0 || (dir = sink_parent(s, rel, &leaf)) < 0 ||
	    make_room(s, dir, leaf, rel) < 0)
		return -1;
	fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    (mode & 0111) ? 0755 : 0644);
	if (fd < 0)
		return refuse(s, errno, rel, "cannot create the file");
	/* The umask may have taken bits away: set them exactly. */
	if (fchmod(fd, (mode & 0111) ? 0755 : 0644) < 0) {
		close(fd);
		return refuse(s, errno, rel, "chmod");
	}
	return fd;
}

/* @len bytes at @off of entry @rel, within the caps. */
static int sink_write(struct sink *s, int fd, const char *rel, const void *buf, size_t len,
		      uint64_t off)
{
	const char *p = buf;

	if (off > s->lim->entry_max || len > s->lim->entry_max - off)
		return refuse(s, EFBIG, rel, "larger than the %llu MiB cap for one file",
			      (unsigned long long)(s->lim->entry_max >> 20));
	if (len > s->lim->total_max - s->total)
		return refuse(s, EFBIG, rel, "the whole is larger than the %llu MiB cap",
			      (unsigned long long)(s->lim->total_max >> 20));
	s->total += len;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return refuse(s, errno, rel, "write");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* Does @target, read from the directory of @rel, stay inside the tree,
 * component by component? (check_links then resolves it for real.) */
static bool link_stays_inside(const char *rel, const char *target)
{
	long depth = 0;

	if (!*target || *target == '/')
		return false;
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	for (const char *comp = target; *comp;) {
		size_t len = strcspn(comp, "/");

		if (len == 2 && comp[0] == '.' && comp[1] == '.')
			depth--;
		else if (len && !(len == 1 && comp[0] == '.'))
			depth++;
		if (depth < 0)
			return false;
		comp += len;
		comp += *comp == '/';
	}
	return true;
}

static int sink_symlink(struct sink *s, char *rel, const char *target)
{
	cleanup_close int dir = -1;
	const char *leaf;

	/* In an image an absolute target means the image's own path: the
	 * image is the sandbox's root, and nothing on the host follows it
	 * (see dks_extract). */
	/* A module source's link out of the tree (links_out) is copied as a
	 * link: nothing on the host follows links in a source, and in the
	 * build sandbox it dangles or reaches only what the sandbox may read. */
	if (s->lim->no_links)
		return refuse(s, 0, rel, "symbolic link: this archive may hold none");
	if (!target || !*target ||
	    !((s->lim->image && *target == '/') || s->lim->links_out ||
	      link_stays_inside(rel, target)))
		return refuse(s, 0, rel, "symbolic link to '%s' leads outside the tree",
			      target ? target : "");
	if (sink_count(s, rel) < 0 || (dir = sink_parent(s, rel, &leaf)) < 0 ||
	    make_room(s, dir, leaf, rel) < 0)
		return -1;
	if (symlinkat(target, dir, leaf) < 0)
		return refuse(s, errno, rel, "cannot make the symbolic link");
	return 0;
}

/* Copy @in (from offset 0) into a new file @rel. */
static int sink_copy_fd(struct sink *s, char *rel, int in, mode_t mode)
{
	cleanup_close int out = sink_file(s, rel, mode);
	char buf[65536];
	uint64_t off = 0;

	if (out < 0)
		return -1;
	for (;;) {
		ssize_t n = pread(in, buf, sizeof(buf), (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return refuse(s, errno, rel, "read");
		if (n == 0)
			return 0;
		if (sink_write(s, out, rel, buf, (size_t)n, off) < 0)
			return -1;
		off += (uint64_t)n;
	}
}

/* A hard link becomes a copy of a regular file extracted before it: no
 * link can reach outside, and the build never sees a file with two names
 * (collect requires one link). */
static int sink_hardlink(struct sink *s, char *rel, const char *target_rel)
{
	cleanup_close int in = open_beneath(s->root, target_rel, O_RDONLY | O_NOFOLLOW, 0, false);
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(s, in < 0 ? errno : 0, rel,
			      "hard link to '%s', which is not a regular file of this source",
			      target_rel);
	return sink_copy_fd(s, rel, in, st.st_mode);
}

/* ---- fetch: paths and whole-tree checks ---- */

/* @in as a clean relative path into @buf: "." and empty components
 * dropped, then the first @strip removed (*@empty when nothing is left).
 * Returns NULL when @in is fine, else the reason to refuse it: an absolute
 * path or a ".." component would land outside the tree. */
static const char *clean_path(const char *in, unsigned strip, char *buf, size_t size, bool *empty)
{
	size_t used = 0, depth = 0;

	if (*in == '/')
		return "absolute path";
	for (const char *comp = in; *comp;) {
		size_t len = strcspn(comp, "/");
		bool dot = len == 0 || (len == 1 && comp[0] == '.');

		if (len == 2 && comp[0] == '.' && comp[1] == '.')
			return "'..' in the path";
		if (!dot && strip) {
			strip--;
		} else if (!dot) {
			if (++depth > FETCH_DEPTH_MAX || used + len + 2 > size)
				return "path too deep or too long";
			if (used)
				buf[used++] = '/';
			memcpy(buf + used, comp, len);
			used += len;
		}
		comp += len;
		comp += *comp == '/';
	}
	buf[used] = '\0';
	*empty = used == 0;
	return NULL;
}

/* *@out: the clean path of @in (NULL when nothing is left), or a refusal. */
static int clean_or_refuse(struct sink *s, const char *in, unsigned strip, char **out)
{
	char buf[PATH_MAX];
	bool empty = true;
	const char *why = clean_path(in, strip, buf, sizeof(buf), &empty);

	*out = NULL;
	if (why)
		return refuse(s, 0, in, "%s", why);
	if (!empty && !(*out = strdup(buf)))
		return dks_err(s->err, ENOMEM, "%s", s->what);
	return 0;
}

/* A directory stream on a dup of @dirfd, from the start: a dup shares the
 * offset, and an earlier walk may have stopped half-way. */
static DIR *opendir_at(int dirfd)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0)
		close(fd);
	if (d)
		rewinddir(d);
	return d;
}

/* Walk the tree under @dirfd; @path holds the relative path of the
 * directory (length @len). Every symbolic link is resolved for real,
 * confined beneath the root: a link made of links (a -> ".",
 * b -> "a/../..") can pass the component check and still lead out. */
static int check_links(struct sink *s, int dirfd, char *path, size_t len)
{
	DIR *d = opendir_at(dirfd);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return refuse(s, errno, path, "opendir");
	while (rc == 0 && (de = readdir(d))) {
		int n, fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = snprintf(path + len, PATH_MAX - len, "%s%s", len ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n >= PATH_MAX - len) {
			rc = refuse(s, ENAMETOOLONG, path, "path too long");
			break;
		}
		if (de->d_type == DT_LNK) {
			fd = open_beneath(s->root, path, O_PATH, 0, true);
			if (fd < 0 && errno != ENOENT)
				rc = refuse(s, errno, path,
					    "symbolic link leads outside the source");
			if (fd >= 0)
				close(fd);
		} else if (de->d_type == DT_DIR) {
			fd = open_beneath(dirfd, de->d_name, O_DIRECTORY | O_RDONLY, 0, false);
			rc = fd < 0 ? refuse(s, errno, path, "open")
				    : check_links(s, fd, path, len + (size_t)n);
			if (fd >= 0)
				close(fd);
		}
		path[len] = '\0';
	}
	closedir(d);
	return rc;
}

/* Remove what is under @dirfd, never following a link (best effort: this
 * runs on a failure path, the first error is already reported). */
static void remove_under(int dirfd)
{
	DIR *d = opendir_at(dirfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0 || errno != EISDIR)
			continue;
		fd = openat(dirfd, de->d_name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			remove_under(fd);
			close(fd);
		}
		unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* ---- fetch: a directory source ---- */

static int copy_entry(struct sink *s, int src, const char *name, char *rel, size_t len,
		      unsigned depth);

/* Copy the directory @src (at @rel, length @len) into the sink. */
static int copy_dir(struct sink *s, int src, char *rel, size_t len, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > FETCH_DEPTH_MAX)
		return refuse(s, 0, rel, "too deep");
	d = opendir_at(src);
	if (!d)
		return refuse(s, errno, rel, "opendir");
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = copy_entry(s, src, de->d_name, rel, len, depth);
	}
	closedir(d);
	return rc;
}

static int copy_file(struct sink *s, int src, const char *name, char *rel, const struct stat *st)
{
	/* O_NONBLOCK: swapped for a FIFO since the lstat, it must not hang. */
	cleanup_close int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat now;

	if (in < 0 || fstat(in, &now) < 0)
		return refuse(s, errno, rel, "cannot read it");
	if (!S_ISREG(now.st_mode) || now.st_ino != st->st_ino)
		return refuse(s, 0, rel, "changed while being copied");
	return sink_copy_fd(s, rel, in, now.st_mode);
}

static int copy_entry(struct sink *s, int src, const char *name, char *rel, size_t len,
		      unsigned depth)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int w = snprintf(rel + len, PATH_MAX - len, "%s%s", len ? "/" : "", name);
	int rc;

	if (w < 0 || (size_t)w >= PATH_MAX - len)
		return refuse(s, ENAMETOOLONG, rel, "path too long");
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return refuse(s, errno, rel, "stat");
	if (S_ISDIR(st.st_mode) && st.st_dev == s->skip_dev && st.st_ino == s->skip_ino)
		rc = 0;
	else if (S_ISDIR(st.st_mode)) {
		cleanup_close int sub =
		    openat(src, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		rc = sub < 0 ? refuse(s, errno, rel, "open") : sink_dir(s, rel);
		if (rc == 0)
			rc = copy_dir(s, sub, rel, len + (size_t)w, depth + 1);
	} else if (S_ISREG(st.st_mode)) {
		rc = copy_file(s, src, name, rel, &st);
	} else if (S_ISLNK(st.st_mode)) {
		n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return refuse(s, errno, rel, "readlink");
		target[n] = '\0';
		rc = sink_symlink(s, rel, target);
	} else if (s->lim->image) {
		s->skipped++;
		rc = 0;
	} else {
		rc = refuse(s, 0, rel, "device node, FIFO or socket: not part of a module source");
	}
	rel[len] = '\0';
	return rc;
}

static int fetch_dir(const struct dks_recipe *r, struct sink *s)
{
	cleanup_close int src = open(r->src_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	char rel[PATH_MAX] = "";

	if (src < 0)
		return dks_err_code(s->err, DKS_EXIT_NO_SOURCE, errno, "%s: source directory '%s'",
				    r->path, r->src_dir);
	return copy_dir(s, src, rel, 0, 0);
}

/* ---- fetch: a tarball ---- */

/* The tarball's fd, hashed as libarchive reads it: the bytes extracted
 * must be the bytes verified, even if the file changes in between. */
struct hashed {
	int fd;
	EVP_MD_CTX *md;
	unsigned char buf[65536];
};

static void md_freep(EVP_MD_CTX **md)
{
	EVP_MD_CTX_free(*md);
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static la_ssize_t hashed_read(struct archive *a, void *data, const void **buf)
{
	struct hashed *h = data;
	ssize_t n;

	do
		n = read(h->fd, h->buf, sizeof(h->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read");
		return -1;
	}
	if (n > 0 && !EVP_DigestUpdate(h->md, h->buf, (size_t)n)) {
		archive_set_error(a, ENOMEM, "sha256");
		return -1;
	}
	*buf = h->buf;
	return n;
}

/* Read the rest of the fd into the hash, then the hex digest. */
static int hashed_finish(struct hashed *h, struct archive *a, char hex[SHA256_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const void *buf;
	la_ssize_t n;

	while ((n = hashed_read(a, h, &buf)) > 0)
		;
	if (n < 0 || !EVP_DigestFinal_ex(h->md, md, &len) || len * 2 != SHA256_HEX)
		return -1;
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int hashed_start(struct hashed *h, struct dks_error *err, const char *what)
{
	if (lseek(h->fd, 0, SEEK_SET) < 0)
		return dks_err(err, errno, "%s", what);
	if (!EVP_DigestInit_ex(h->md, EVP_sha256(), NULL))
		return dks_err(err, ENOMEM, "%s: sha256", what);
	return 0;
}

/* Compare the whole file's sha256 with the recipe's, before any byte of
 * it is parsed or written. */
static int verify_sha256(const struct dks_recipe *r, struct hashed *h, struct dks_error *err)
{
	char hex[SHA256_HEX + 1] = "";
	struct archive *a = archive_read_new(); /* only for hashed_read's errors */
	int rc;

	if (!a)
		return dks_err(err, ENOMEM, "%s", r->src_tarball);
	rc = hashed_start(h, err, r->src_tarball);
	if (rc == 0 && hashed_finish(h, a, hex) < 0)
		rc = dks_err(err, archive_errno(a), "%s: cannot read it", r->src_tarball);
	archive_read_free(a);
	if (rc == 0 && strcasecmp(hex, r->sha256) != 0)
		rc = dks_err(err, 0, "%s: sha256 mismatch: expected %s, got %s", r->src_tarball,
			     r->sha256, hex);
	return rc;
}

static int extract_file(struct sink *s, struct archive *a, struct archive_entry *e, char *rel)
{
	cleanup_close int fd = -1;
	const void *buf;
	size_t len;
	la_int64_t off;
	int rc;

	/* The declared size first: a 100 GiB entry ends here, unread. */
	if (archive_entry_size_is_set(e) &&
	    (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > s->lim->entry_max))
		return refuse(s, EFBIG, rel, "declared larger than the %llu MiB cap for one file",
			      (unsigned long long)(s->lim->entry_max >> 20));
	fd = sink_file(s, rel, archive_entry_perm(e));
	if (fd < 0)
		return -1;
	while ((rc = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off < 0 || sink_write(s, fd, rel, buf, len, (uint64_t)off) < 0)
			return off < 0 ? refuse(s, 0, rel, "negative offset") : -1;
	}
	if (rc != ARCHIVE_EOF)
		return unreadable(s, a, rel);
	/* A sparse file may end in a hole: give it its declared size. */
	if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return refuse(s, errno, rel, "truncate");
	return 0;
}

static int extract_entry(struct sink *s, struct archive *a, struct archive_entry *e, unsigned strip)
{
	const char *name = archive_entry_pathname(e), *hard = archive_entry_hardlink(e);
	cleanup_free char *rel = NULL, *target = NULL;

	if (!name)
		return refuse(s, 0, "?", "entry without a name");
	if (clean_or_refuse(s, name, strip, &rel) < 0)
		return -1;
	if (hard) {
		if (clean_or_refuse(s, hard, strip, &target) < 0)
			return -1;
		if (!rel || !target)
			return refuse(s, 0, name, "hard link to '%s' outside the extracted tree",
				      hard);
		if (s->lim->no_links)
			return refuse(s, 0, name, "hard link: this archive may hold none");
		return sink_hardlink(s, rel, target);
	}
	if (!rel)
		return 0; /* the stripped top directory */
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR: return sink_dir(s, rel);
	case AE_IFREG: return extract_file(s, a, e, rel);
	case AE_IFLNK: return sink_symlink(s, rel, archive_entry_symlink(e));
	default:
		if (s->lim->image) {
			s->skipped++; /* a sandbox brings its own /dev */
			return 0;
		}
		return refuse(s, 0, name,
			      "device node, FIFO or socket: not part of a module source");
	}
}

/*
 * The decompressors libarchive has in-process. archive_read_support_filter_all
 * would also register those it runs as external programs (lrzip, grzip,
 * and any whose library is missing) and the privileged process must exec
 * nothing on behalf of a tarball: a filter is registered only if a probe
 * says it needs no program (ARCHIVE_OK, not ARCHIVE_WARN).
 */
static void support_inprocess_filters(struct archive *a)
{
	int (*const filters[])(struct archive *) = {
	    archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
	    archive_read_support_filter_xz,   archive_read_support_filter_lzma,
	    archive_read_support_filter_lzip, archive_read_support_filter_zstd,
	    archive_read_support_filter_lz4,  archive_read_support_filter_compress,
	};

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct archive *probe = archive_read_new();
		bool inprocess = probe && filters[i](probe) == ARCHIVE_OK;

		if (probe)
			archive_read_free(probe);
		if (inprocess)
			filters[i](a);
	}
}

/* Extract @path (already open in @h) into the sink; @sha256: the pinned
 * digest the bytes must still have at the end, or NULL (images are not
 * pinned: root chose the file). */
static int extract_all(const char *path, unsigned strip, const char *sha256, struct sink *s,
		       struct hashed *h)
{
	__attribute__((cleanup(archive_freep))) struct archive *a = archive_read_new();
	struct archive_entry *e;
	char hex[SHA256_HEX + 1] = "";
	int rc;

	if (!a || hashed_start(h, s->err, path) < 0)
		return a ? -1 : dks_err(s->err, ENOMEM, "%s", path);
	support_inprocess_filters(a);
	/* Every format: the bytes are the ones root chose (and a recipe pinned). */
	archive_read_support_format_all(a);
	if (archive_read_open(a, h, NULL, hashed_read, NULL) != ARCHIVE_OK)
		return unreadable(s, a, NULL);
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		if (extract_entry(s, a, e, strip) < 0)
			return -1;
	if (rc != ARCHIVE_EOF)
		return unreadable(s, a, NULL);
	if (hashed_finish(h, a, hex) < 0 || (sha256 && strcasecmp(hex, sha256) != 0))
		return dks_err(s->err, 0, "%s: changed while being extracted", path);
	return 0;
}

static int fetch_tarball(const struct dks_recipe *r, struct sink *s)
{
	__attribute__((cleanup(md_freep))) EVP_MD_CTX *md = EVP_MD_CTX_new();
	cleanup_free struct hashed *h = calloc(1, sizeof(*h));
	cleanup_close int fd = open(r->src_tarball, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (strcmp(r->sha256, SHA256_UNPINNED) == 0)
		return dks_err_code(s->err, DKS_EXIT_BAD_CONF, 0,
				    "%s:%lu: sha256 is '" SHA256_UNPINNED "': compute it with "
				    "sha256sum from a tarball you trust and write it here",
				    r->path, r->sha256_line);
	if (!md || !h)
		return dks_err(s->err, ENOMEM, "%s", r->src_tarball);
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err_code(s->err, DKS_EXIT_NO_SOURCE, errno, "%s: tarball '%s'", r->path,
				    r->src_tarball);
	if (!S_ISREG(st.st_mode))
		return dks_err(s->err, 0, "%s: not a regular file", r->src_tarball);
	h->fd = fd;
	h->md = md;
	if (verify_sha256(r, h, s->err) < 0)
		return -1;
	return extract_all(r->src_tarball, r->strip_components, r->sha256, s, h);
}

/* ---- fetch: the temporary directory and the rename ---- */

struct tmpdir {
	char *path;
	int fd;
	bool keep;
};

static void tmpdir_release(struct tmpdir *t)
{
	if (t->fd >= 0 && !t->keep)
		remove_under(t->fd);
	if (t->fd >= 0)
		close(t->fd);
	if (t->path && !t->keep)
		rmdir(t->path);
	free(t->path);
}

static int tmpdir_make(struct tmpdir *t, const char *dest, struct dks_error *err)
{
	struct stat st;

	if (!*dest)
		return dks_err(err, EINVAL, "empty source destination");
	if (lstat(dest, &st) == 0)
		return dks_err(err, EEXIST, "source destination '%s'", dest);
	if (errno != ENOENT)
		return dks_err(err, errno, "source destination '%s'", dest);
	if (asprintf(&t->path, "%s.dks-tmp-XXXXXX", dest) < 0) {
		t->path = NULL;
		return dks_err(err, ENOMEM, "%s", dest);
	}
	if (!mkdtemp(t->path)) {
		int e = errno;

		free(t->path);
		t->path = NULL;
		return dks_err(err, e, "cannot make a directory next to '%s'", dest);
	}
	t->fd = open(t->path, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (t->fd < 0)
		return dks_err(err, errno, "%s", t->path);
	return 0;
}

/* Sync, then rename into place (never over something that appeared
 * meanwhile), then sync the parent: the tree is there whole or not. */
static int tmpdir_commit(struct tmpdir *t, const char *dest, struct dks_error *err)
{
	cleanup_free char *parent = strdup(dest);
	cleanup_close int pfd = -1;
	char *slash;

	if (!parent)
		return dks_err(err, ENOMEM, "%s", dest);
	if (fchmod(t->fd, 0755) < 0 || syncfs(t->fd) < 0)
		return dks_err(err, errno, "%s", t->path);
	if (renameat2(AT_FDCWD, t->path, AT_FDCWD, dest, RENAME_NOREPLACE) < 0)
		return dks_err(err, errno, "cannot rename '%s' to '%s'", t->path, dest);
	t->keep = true;
	slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	/* A failed sync of the parent is an error too: the rename may not
	 * last (found by check-faults, ldtarball with EIO at this fsync). */
	pfd = open(slash ? parent : ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (pfd < 0 || fsync(pfd) < 0)
		return dks_err(err, errno, "fsync %s", slash ? parent : ".");
	return 0;
}

/* The recipe as loaded (the bytes validated), for later builds. */
static int write_recipe_copy(const struct dks_recipe *r, struct sink *s)
{
	char name[] = DKS_RECIPE_IN_SOURCE;
	cleanup_close int fd = -1;

	s->what = r->path;
	fd = sink_file(s, name, 0644);
	if (fd < 0)
		return -1;
	return sink_write(s, fd, name, r->text, r->text_len, 0);
}

int dks_recipe_fetch_source(const struct dks_recipe *r, const char *dest, struct dks_error *err)
{
	__attribute__((cleanup(tmpdir_release))) struct tmpdir t = {NULL, -1, false};
	cleanup_free char *d = strdup(dest);
	struct sink s = {.err = err, .lim = &recipe_limits};
	struct stat st;
	char rel[PATH_MAX] = "";
	size_t len = d ? strlen(d) : 0;

	if (!d)
		return dks_err(err, ENOMEM, "%s", dest);
	if (dks_lazylib_load(err) < 0)
		return -1;
	/* "x/" and "x" are one destination: the temporary name is "x.dks-tmp-". */
	while (len > 1 && d[len - 1] == '/')
		d[--len] = '\0';
	if (tmpdir_make(&t, d, err) < 0)
		return -1;
	if (fstat(t.fd, &st) < 0)
		return dks_err(err, errno, "%s", t.path);
	s.root = t.fd;
	s.skip_dev = st.st_dev;
	s.skip_ino = st.st_ino;
	s.what = r->src_tarball ? r->src_tarball : r->src_dir;
	if ((r->src_tarball ? fetch_tarball(r, &s) : fetch_dir(r, &s)) < 0 ||
	    check_links(&s, t.fd, rel, 0) < 0 || write_recipe_copy(r, &s) < 0)
		return -1;
	return tmpdir_commit(&t, d, err);
}

/* dkms add SOURCE_DIR copies the source into the source tree: the same
 * careful copy as a recipe's directory source (no device nodes, no set-id
 * bits; links copied as links, never followed, even those that lead out),
 * into a temporary directory renamed into place. */
int dks_copy_source_dir(const char *src_dir, const char *dest, struct dks_error *err)
{
	__attribute__((cleanup(tmpdir_release))) struct tmpdir t = {NULL, -1, false};
	cleanup_close int src = open(src_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	struct sink s = {.err = err, .what = src_dir, .lim = &source_dir_limits};
	char rel[PATH_MAX] = "";
	struct stat st;

	if (src < 0)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "source directory %s", src_dir);
	if (tmpdir_make(&t, dest, err) < 0)
		return -1;
	if (fstat(t.fd, &st) < 0)
		return dks_err(err, errno, "%s", t.path);
	s.root = t.fd;
	s.skip_dev = st.st_dev;
	s.skip_ino = st.st_ino;
	if (copy_dir(&s, src, rel, 0, 0) < 0)
		return -1;
	return tmpdir_commit(&t, dest, err);
}

/* An archive, opened and read once through the hashing reader. */
static int extract_file_at(const char *path, struct sink *s)
{
	__attribute__((cleanup(md_freep))) EVP_MD_CTX *md = EVP_MD_CTX_new();
	cleanup_free struct hashed *h = calloc(1, sizeof(*h));
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (!md || !h)
		return dks_err(s->err, ENOMEM, "%s", path);
	if (fd < 0 || fstat(fd, &st) < 0)
		return dks_err_code(s->err, DKS_EXIT_NO_SOURCE, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return dks_err(s->err, 0, "%s: not a regular file", path);
	h->fd = fd;
	h->md = md;
	return extract_all(path, 0, NULL, s, h);
}

int dks_extract(const char *from, const char *dest, const struct dks_extract_limits *lim,
		unsigned *skipped, struct dks_error *err)
{
	__attribute__((cleanup(tmpdir_release))) struct tmpdir t = {NULL, -1, false};
	struct sink s = {.err = err, .what = from, .lim = lim};
	char rel[PATH_MAX] = "";
	struct stat st;
	int rc;

	if (stat(from, &st) < 0)
		return dks_err_code(err, DKS_EXIT_NO_SOURCE, errno, "%s", from);
	if (!S_ISDIR(st.st_mode) && dks_lazylib_load(err) < 0)
		return -1;
	if (tmpdir_make(&t, dest, err) < 0)
		return -1;
	if (fstat(t.fd, &st) < 0)
		return dks_err(err, errno, "%s", t.path);
	s.root = t.fd;
	s.skip_dev = st.st_dev;
	s.skip_ino = st.st_ino;
	if (stat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
		cleanup_close int src = open(from, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

		rc = src < 0 ? dks_err(err, errno, "%s", from) : copy_dir(&s, src, rel, 0, 0);
	} else {
		rc = extract_file_at(from, &s);
	}
	/* An image's absolute links mean the image's own paths (it is the
	 * sandbox's root); the host never follows links in it. */
	if (rc < 0 || (!lim->image && check_links(&s, t.fd, rel, 0) < 0))
		return -1;
	if (skipped)
		*skipped = s.skipped;
	return tmpdir_commit(&t, dest, err);
}
