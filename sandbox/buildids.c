// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Build uids for sandboxes started by root: one uid per running sandbox,
 * from a range that no host user has, as Nix's build users. The range is
 * the subordinate ids of a user (/etc/subuid, /etc/subgid: by default the
 * "dkms-sandbox" user's) or one the caller configures ("FIRST-LAST").
 *
 * A uid is taken with a lock file per uid below DKS_BUILDIDS_DIR (flock,
 * held by this process until the sandbox is freed: a crash releases it),
 * and only when no host process runs as that uid. So no two sandboxes,
 * whatever process started them, and no host process ever share a uid:
 * none can signal, ptrace, read /proc/PID/environ of, or enter the
 * namespaces of another build, nor change its files between build and
 * signing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "internal.h"

#define NOBODY 65534

/* "FIRST-LAST", decimal. 1: a range in *r; 0: not range syntax; -1: a
 * range that cannot be used (message in @err). */
int dks_buildids_parse(const char *spec, struct dks_idrange *r, struct dks_error *err)
{
	unsigned long first, last;
	char *end;

	if (strspn(spec, "0123456789") == 0 || spec[strspn(spec, "0123456789")] != '-')
		return 0;
	errno = 0;
	first = strtoul(spec, &end, 10);
	last = strtoul(end + 1, &end, 10);
	if (errno || *end || !spec[strcspn(spec, "-") + 1])
		return dks_err(err, 0, "build uids '%s': expected FIRST-LAST (decimal)", spec);
	if (first == 0 || last < first || last >= 0x7fffffffUL || last - first >= DKS_BUILDIDS_MAX)
		return dks_err(err, 0, "build uids '%s': FIRST-LAST with 0 < FIRST <= LAST < 2^31-1, "
				       "at most %d ids", spec, DKS_BUILDIDS_MAX);
	if (first <= NOBODY && last >= NOBODY)
		return dks_err(err, 0, "build uids '%s': holds nobody (%d), which host processes share",
			       spec, NOBODY);
	*r = (struct dks_idrange){.uid = (uid_t)first, .gid = (gid_t)first,
				  .count = (uint32_t)(last - first + 1)};
	return 1;
}

/* Is some uid of @r a host user's (/etc/passwd)? Such a uid is shared. */
int dks_buildids_check_passwd(const struct dks_idrange *r, const char *what,
			      struct dks_error *err)
{
	cleanup_fclose FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid >= r->uid && pw->pw_uid - r->uid < r->count)
			return dks_err(err, 0, "build uids %s: uid %u is the host user '%s'", what,
				       (unsigned)pw->pw_uid, pw->pw_name);
	return 0;
}

/* The first "NAME:FIRST:COUNT" line of @file for @user (or its uid). */
static bool subid_lookup(const char *file, const char *user, uid_t uid, unsigned long *first,
			 unsigned long *count)
{
	cleanup_fclose FILE *f = fopen(file, "re");
	char line[512], num[16];

	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	while (f && fgets(line, sizeof(line), f)) {
		char *name = strtok(line, ":\n"), *a = strtok(NULL, ":\n"), *b = strtok(NULL, ":\n");
		char *e1, *e2;

		if (!name || !a || !b || (strcmp(name, user) != 0 && strcmp(name, num) != 0))
			continue;
		errno = 0;
		*first = strtoul(a, &e1, 10);
		*count = strtoul(b, &e2, 10);
		if (!errno && !*e1 && !*e2 && *first > 0 && *count > 0)
			return true;
	}
	return false;
}

/* The subordinate ids of @user: its uids in /etc/subuid, gids in /etc/subgid. */
int dks_buildids_subids(const char *user, struct dks_idrange *r, struct dks_error *err)
{
	struct passwd *pw = NULL;
	cleanup_fclose FILE *f = fopen("/etc/passwd", "re");
	unsigned long uf, uc, gf, gc;

	while (f && (pw = fgetpwent(f)) && strcmp(pw->pw_name, user) != 0)
		;
	if (!pw)
		return dks_err(err, 0, "no build uids: there is no '%s' user (make install creates it "
				       "with subordinate ids), and no build_user range is configured",
			       user);
	if (!subid_lookup("/etc/subuid", user, pw->pw_uid, &uf, &uc) ||
	    !subid_lookup("/etc/subgid", user, pw->pw_uid, &gf, &gc))
		return dks_err(err, 0, "no build uids: the '%s' user has no subordinate ids in "
				       "/etc/subuid and /etc/subgid (usermod --add-subuids FIRST-LAST "
				       "--add-subgids FIRST-LAST %s), and no build_user range is configured",
			       user, user);
	if (uf + uc - 1 >= 0x7fffffffUL || gf + gc - 1 >= 0x7fffffffUL)
		return dks_err(err, 0, "build uids of '%s': subordinate ids past 2^31-1", user);
	*r = (struct dks_idrange){.uid = (uid_t)uf, .gid = (gid_t)gf,
				  .count = (uint32_t)(uc < gc ? uc : gc)};
	if (r->count > DKS_BUILDIDS_MAX)
		r->count = DKS_BUILDIDS_MAX;
	return 0;
}

/* Does a host process run as @uid? /proc/PID belongs to its euid. */
static bool uid_in_use(int proc, uid_t uid)
{
	DIR *d = fdopendir(dup(proc));
	struct dirent *e;
	struct stat st;
	bool used = false;

	if (!d)
		return false;
	rewinddir(d); /* the dup shares its offset with the last scan's */
	while (!used && (e = readdir(d)))
		used = e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		       fstatat(proc, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == uid;
	closedir(d);
	return used;
}

/* Take a free uid of @r: its lock fd (held until closed) or -1. */
int dks_buildids_acquire(const struct dks_idrange *r, uid_t *uid, gid_t *gid,
			 struct dks_error *err)
{
	cleanup_close int dir = dks_rundir_open(DKS_BUILDIDS_SUB, err);
	cleanup_close int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char name[16];

	if (dir < 0)
		return -1;
	for (uint32_t i = 0; i < r->count; i++) {
		int fd;

		snprintf(name, sizeof(name), "%u", (unsigned)(r->uid + i));
		fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return dks_err(err, errno, "build uids: %s/%s", DKS_BUILDIDS_DIR, name);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && (proc < 0 || !uid_in_use(proc, r->uid + i))) {
			futimens(fd, NULL); /* when the uid was last used: keeptrim.c */
			*uid = r->uid + i;
			*gid = r->gid + i;
			return fd;
		}
		close(fd);
	}
	return dks_err(err, EBUSY, "build uids %u-%u: every one is in use", (unsigned)r->uid,
		       (unsigned)(r->uid + r->count - 1));
}
