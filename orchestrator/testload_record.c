// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The load test's record (testload_record.h). Written whole: a temp file
 * in the build's directory, fsync'd, renamed over the old one; a rebuild
 * replaces the directory and so drops the record with the build it was
 * for. Read back strictly and bounded: the tree may be damaged, and the
 * lines it holds came from the VM (made safe before they were written).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "dks/lazylib.h"
#include "testload_record.h"

#define RECORD_MAX (64 * 1024)
#define KO_MAX (256UL * 1024 * 1024)

static char *build_dir(const struct dks_tree *t, const char *m, const char *v,
		       const char *kver, const char *arch, const char *leaf)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s/%s/%s/%s%s%s", t->dkms_tree, m, v, kver, arch, leaf ? "/" : "",
		     leaf ? leaf : "") < 0)
		return NULL;
	return p;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_ko(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && strcmp(d->d_name + n - 3, ".ko") == 0;
}

static void md_freep(EVP_MD_CTX **md)
{
	if (*md)
		EVP_MD_CTX_free(*md);
}

static int hash_file(EVP_MD_CTX *md, int dfd, const char *name, struct dks_error *err)
{
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	char buf[65536];
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > KO_MAX)
		return dks_err(err, errno, "load test: module %s is not a regular file", name);
	if (!EVP_DigestUpdate(md, name, strlen(name) + 1))
		return dks_err(err, ENOMEM, "sha256");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(md, buf, (size_t)n))
			return dks_err(err, ENOMEM, "sha256");
	return n < 0 ? dks_err(err, errno, "load test: cannot read module %s", name) : 0;
}

static int hash_dir(EVP_MD_CTX *md, const char *dir, struct dks_error *err)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent **ents = NULL;
	int n, rc = 0;

	if (dfd < 0 || (n = scandir(dir, &ents, only_ko, by_name)) < 0)
		return dks_err(err, errno, "load test: cannot read %s", dir);
	if (n == 0)
		rc = dks_err(err, 0, "load test: no module in %s", dir);
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = hash_file(md, dfd, ents[i]->d_name, err);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int dks_tl_modules_digest(const char *dir, char hex[DKS_TL_DIGEST_HEX + 1],
			  struct dks_error *err)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (dks_lazylib_load(err) < 0)
		return -1;
	__attribute__((cleanup(md_freep))) EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		return dks_err(err, ENOMEM, "sha256");
	if (hash_dir(md, dir, err) < 0)
		return -1;
	if (!EVP_DigestFinal_ex(md, out, &len) || len * 2 != DKS_TL_DIGEST_HEX)
		return dks_err(err, 0, "sha256 failed");
	for (unsigned i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	return 0;
}

/* One value on one line: a newline in it could forge a key. */
static void put(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s: ", key);
	for (const char *p = value; *p; p++)
		fputc(*p == '\n' || *p == '\r' ? '?' : *p, f);
	fputc('\n', f);
}

static void format(FILE *f, const struct dks_tl_record *r)
{
	char num[64];

	put(f, "result", r->pass ? "pass" : "fail");
	put(f, "why", r->why);
	put(f, "accel", r->accel);
	snprintf(num, sizeof(num), "%.1f", r->seconds);
	put(f, "seconds", num);
	put(f, "modules", r->digest);
	put(f, "kernel", r->kernel);
	snprintf(num, sizeof(num), "%lld", r->when);
	put(f, "date", num);
	for (size_t i = 0; i < r->n_lines; i++)
		put(f, "line", r->lines[i]);
}

int dks_tl_record_write(const struct dks_tree *t, const char *m, const char *v,
			const char *kver, const char *arch, const struct dks_tl_record *r,
			struct dks_error *err)
{
	cleanup_free char *path = build_dir(t, m, v, kver, arch, "testload");
	cleanup_free char *tmp = build_dir(t, m, v, kver, arch, ".testload.XXXXXX");
	cleanup_fclose FILE *f = NULL;
	int fd;

	if (!path || !tmp)
		return dks_err(err, ENOMEM, "load test record");
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd), unlink(tmp);
		return dks_err(err, errno, "%s/%s, %s, %s: cannot write %s", m, v, kver, arch, tmp);
	}
	format(f, r);
	if (fflush(f) == EOF || ferror(f) || fsync(fileno(f)) < 0 || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return dks_err(err, e, "%s/%s, %s, %s: cannot write %s", m, v, kver, arch, path);
	}
	return 0;
}

static void field(struct dks_tl_record *r, const char *key, char *val)
{
	/* a damaged record must not put control bytes in a message */
	for (char *p = val; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (strcmp(key, "result") == 0)
		r->pass = strcmp(val, "pass") == 0;
	else if (strcmp(key, "why") == 0)
		snprintf(r->why, sizeof(r->why), "%s", val);
	else if (strcmp(key, "accel") == 0)
		snprintf(r->accel, sizeof(r->accel), "%s", strcmp(val, "kvm") == 0 ? "kvm" : "tcg");
	else if (strcmp(key, "seconds") == 0)
		r->seconds = strtod(val, NULL);
	if (!(r->seconds >= 0 && r->seconds < 1e9)) /* nan, inf: not JSON */
		r->seconds = 0;
	else if (strcmp(key, "modules") == 0)
		snprintf(r->digest, sizeof(r->digest), "%s", val);
	else if (strcmp(key, "kernel") == 0)
		snprintf(r->kernel, sizeof(r->kernel), "%s", val);
	else if (strcmp(key, "date") == 0)
		r->when = strtoll(val, NULL, 10);
}

int dks_tl_record_read(const struct dks_tree *t, const char *m, const char *v,
		       const char *kver, const char *arch, struct dks_tl_record *r,
		       struct dks_error *err)
{
	cleanup_free char *path = build_dir(t, m, v, kver, arch, "testload");
	cleanup_close int fd = -1;
	char buf[RECORD_MAX + 1];
	ssize_t n;

	*r = (struct dks_tl_record){0};
	if (!path)
		return dks_err(err, ENOMEM, "load test record");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || (n = dks_read_full(fd, buf, RECORD_MAX)) < 0)
		return dks_err(err, errno, "cannot read %s", path);
	buf[n] = '\0';
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(l, ": ");

		if (!sep)
			return dks_err(err, 0, "%s: a line without 'key: value'", path);
		*sep = '\0';
		field(r, l, sep + 2);
	}
	if (strlen(r->digest) != DKS_TL_DIGEST_HEX || !*r->accel)
		return dks_err(err, 0, "%s: not a load test record", path);
	return 0;
}

int dks_tl_record_require(const struct dks_tree *t, const char *m, const char *v,
			  const char *kver, const char *arch, struct dks_error *err)
{
	cleanup_free char *dir = build_dir(t, m, v, kver, arch, "module");
	char now[DKS_TL_DIGEST_HEX + 1];
	struct dks_tl_record r;
	int rc = dks_tl_record_read(t, m, v, kver, arch, &r, err);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "%s/%s, %s, %s: no load test (testload_required; run "
				       "test-load %s/%s -k %s)", m, v, kver, arch, m, v, kver);
	if (!r.pass)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "%s/%s, %s, %s: the load test failed: %s", m, v, kver, arch,
			       r.why);
	if (!dir || dks_tl_modules_digest(dir, now, err) < 0)
		return -1;
	if (strcmp(now, r.digest) != 0)
		return dks_err_code(err, DKS_EXIT_INSTALL_FAILED, 0, "%s/%s, %s, %s: the load test was for other modules than "
				       "the build's now: run test-load again", m, v, kver, arch);
	return 0;
}

void dks_tl_status_note(const struct dks_tree *t, const char *m, const char *v,
			const char *kver, const char *arch, struct dks_status *s)
{
	size_t used = strlen(s->notes), size = sizeof(s->notes) - used;
	char *buf = s->notes + used;
	struct dks_tl_record r;

	if (size <= 1 || dks_tl_record_read(t, m, v, kver, arch, &r, NULL) != 0)
		return;
	snprintf(s->load_test.result, sizeof(s->load_test.result), "%s", r.pass ? "pass" : "fail");
	snprintf(s->load_test.accel, sizeof(s->load_test.accel), "%s", r.accel);
	s->load_test.seconds = r.seconds;
	if (r.pass)
		snprintf(buf, size, " (load test passed on %s in %.1f s)", r.accel, r.seconds);
	else
		snprintf(buf, size, " (load test failed)");
}
