// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A cgroup per sandbox: memory and processes bounded for the sandbox as a
 * whole (rlimits bound single processes only). The kernel charges a
 * cgroup's memory with its processes' pages, page cache, tmpfs pages and
 * memfds, so many processes, a full /tmp or a scratch build dir cannot take
 * the host's memory: the sandbox is killed by its own OOM killer instead.
 *
 * Where, in this order:
 *   delegated v2   the caller's own cgroup offers memory and pids to its
 *                  children (a systemd Delegate=yes unit, a container);
 *   root, v2       below <cgroup2 mount>/dkms-sandbox, with memory and
 *                  pids enabled there;
 *   root, v1       hybrid hosts: a child of the caller's cgroup in the v1
 *                  memory hierarchy (processes: RLIMIT_NPROC, which counts
 *                  the build uid's processes, and a build uid is the
 *                  sandbox's alone; per user namespace since Linux 5.14);
 *   nowhere        a normal user without delegation: the rlimits of
 *                  limits.c, and one warning that names what is unbounded.
 * Swap is not the sandbox's: memory.swap.max / memsw are set to the same
 * bound, so the limit is real memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/mountinfo.h"
#include "internal.h"

static bool has_word(const char *text, const char *word, char sep)
{
	size_t len = strlen(word);

	for (const char *p = text; (p = strstr(p, word)); p += len)
		if ((p == text || p[-1] == sep || p[-1] == ' ') &&
		    (p[len] == sep || p[len] == ' ' || p[len] == '\n' || !p[len]))
			return true;
	return false;
}

/* The three hierarchies a sandbox may use: where each is mounted, and the
 * caller's cgroup in it. Read once per process (a run costs no parse of
 * mountinfo): neither changes under a running caller. */
enum { H_V2, H_MEMORY, H_N };
static const char *const h_controller[H_N] = {NULL, "memory"};

struct hierarchy {
	char *target; /* mount point, or NULL */
	char *root;   /* the mount's root in the hierarchy */
	char *own;    /* the caller's cgroup in it */
};
static struct hierarchy hier[H_N];
static bool hier_read;

static bool is_hierarchy(int h, const char *type, const char *opts)
{
	if (h == H_V2)
		return strcmp(type, "cgroup2") == 0;
	return strcmp(type, "cgroup") == 0 && opts && has_word(opts, h_controller[h], ',');
}

static int note_hierarchy(const struct dks_mountinfo *m, void *arg)
{
	for (int h = 0; h < H_N; h++) {
		if (!is_hierarchy(h, m->fstype, m->fs_opts) ||
		    (hier[h].target && (h != H_V2 || strcmp(m->target, "/sys/fs/cgroup") != 0)))
			continue;
		free(hier[h].target);
		free(hier[h].root);
		hier[h].target = strdup(m->target);
		hier[h].root = strdup(m->root);
	}
	return 0;
}

/* cgroup2 at /sys/fs/cgroup preferred; the first v1 mount of each controller. */
static void read_mounts(void)
{
	dks_mountinfo_each("/proc/self/mountinfo", note_hierarchy, NULL);
}

/* "0::/path" for v2, "N:a,b:/path" for the v1 hierarchy of a controller. */
static void read_own(void)
{
	cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 64];

	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *path = c ? strchr(c + 1, ':') : NULL;

		if (!path)
			continue;
		*path++ = 0;
		path[strcspn(path, "\n")] = 0;
		for (int h = 0; h < H_N; h++)
			if (!hier[h].own && (h == H_V2 ? strcmp(line, "0") == 0
						      : has_word(c + 1, h_controller[h], ',')))
				hier[h].own = strdup(path);
	}
}

static const struct hierarchy *hierarchy(int h)
{
	if (!hier_read) {
		read_mounts();
		read_own();
		hier_read = true;
	}
	return &hier[h];
}

/* The directory of the caller's cgroup in a hierarchy. */
static bool own_dir(int h, char *dir, size_t size)
{
	const struct hierarchy *y = hierarchy(h);
	size_t rlen;
	const char *rel;

	if (!y->target || !y->root || !y->own)
		return false;
	rlen = strcmp(y->root, "/") == 0 ? 0 : strlen(y->root);
	if (strncmp(y->own, y->root, rlen) != 0)
		return false; /* outside what is mounted here */
	rel = y->own + rlen;
	return snprintf(dir, size, "%s%s", y->target, strcmp(rel, "/") == 0 ? "" : rel) < (int)size;
}

static int write_knob(const char *dir, const char *knob, const char *value)
{
	char path[PATH_MAX + 64];
	size_t len = strlen(value);
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, len) != (ssize_t)len)
		return -1;
	return 0;
}

static bool knob_exists(const char *dir, const char *knob)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	return access(path, F_OK) == 0;
}

static bool knob_has(const char *dir, const char *knob, const char *word)
{
	char path[PATH_MAX + 64], text[512] = "";
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, text, sizeof(text) - 1)) < 0)
		return false;
	text[n] = 0;
	return has_word(text, word, ' ');
}

/* The kept cgroup of cg->keep below @parent (cgkeep.c) where it @may_keep,
 * else a fresh child named after this process and the time. */
static char *make_child(const char *parent, bool may_keep, struct dks_cgroup *cg)
{
	char dir[PATH_MAX + 64];
	struct timespec ts;

	if (may_keep && cg->keep != DKS_NO_UID) {
		char *kept = dks_cgkeep_dir(parent, cg->keep);

		if (kept) {
			cg->kept = true;
			return kept;
		}
	}
	dks_cgroup_sweep(parent);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(dir, sizeof(dir), "%s/dkms-sandbox-%d-%lld%09ld", parent, (int)getpid(),
		 (long long)ts.tv_sec, ts.tv_nsec);
	/* A hierarchy that will not take one (read-only, a limit on
	 * descendants) is one the sandbox cannot use: the caller warns. */
	if (mkdir(dir, 0755) < 0)
		return NULL;
	return strdup(dir);
}

/* Each limit, "max" where the profile sets none: a kept cgroup holds the
 * last sandbox's (cgkeep.c), which must not carry over. */
static int set_v2(const char *dir, const struct dks_limits *l)
{
	char mem[32] = "max", pids[32] = "max";

	if (l->memory)
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)l->memory);
	if (l->processes)
		snprintf(pids, sizeof(pids), "%llu", (unsigned long long)l->processes);
	if (write_knob(dir, "memory.max", mem) < 0 ||
	    (knob_exists(dir, "memory.swap.max") &&
	     write_knob(dir, "memory.swap.max", l->memory ? "0" : "max") < 0))
		return -1;
	return write_knob(dir, "pids.max", pids);
}

static int set_v1(const char *dir, const struct dks_limits *l)
{
	char v[32];

	if (!l->memory)
		return 0;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory);
	/* memory+swap, where swap accounting is on: no swap beyond memory.
	 * v1 wants memory <= memory+swap at every step: raising a kept
	 * cgroup's limit means memory+swap first. */
	if (!knob_exists(dir, "memory.memsw.limit_in_bytes"))
		return write_knob(dir, "memory.limit_in_bytes", v);
	if (write_knob(dir, "memory.limit_in_bytes", v) == 0)
		return write_knob(dir, "memory.memsw.limit_in_bytes", v);
	if (write_knob(dir, "memory.memsw.limit_in_bytes", v) < 0)
		return -1;
	return write_knob(dir, "memory.limit_in_bytes", v);
}

/* This sandbox's limits. A kept cgroup that will not take them (v1
 * refuses a limit below what the last sandbox's pages still take) is left
 * as it is for a fresh one. */
static int set_limits(struct dks_cgroup *cg, const struct dks_limits *l)
{
	int (*set)(const char *, const struct dks_limits *) = cg->v2 ? set_v2 : set_v1;
	char *parent;

	if (set(cg->dir, l) == 0)
		return 0;
	if (!cg->kept)
		return -1;
	parent = cg->dir;
	*strrchr(parent, '/') = 0;
	cg->kept = false;
	cg->keep = DKS_NO_UID;
	cg->dir = make_child(parent, false, cg);
	free(parent);
	return cg->dir ? set(cg->dir, l) : -1;
}

/* v2 with memory and pids offered to children of @parent by its
 * cgroup.subtree_control. @ours: the parent is root's <mount>/dkms-sandbox,
 * where root enables them itself, and the only parent that lasts as long
 * as the host, so the only one where a cgroup is kept (cgkeep.c): a
 * caller's own cgroup (a session's scope, a service's) comes and goes, and
 * cgroups kept below it would outlive their use and pin it. */
static int create_v2_below(const char *parent, bool ours, const struct dks_limits *l,
			   struct dks_cgroup *cg, struct dks_error *err)
{
	if (ours && (!knob_has(parent, "cgroup.subtree_control", "memory") ||
		       !knob_has(parent, "cgroup.subtree_control", "pids")))
		write_knob(parent, "cgroup.subtree_control", "+memory +pids");
	if (!knob_has(parent, "cgroup.subtree_control", "memory") ||
	    !knob_has(parent, "cgroup.subtree_control", "pids") || access(parent, W_OK) < 0)
		return 0;
	cg->v2 = true;
	cg->dir = make_child(parent, ours, cg);
	if (!cg->dir) {
		cg->v2 = false;
		return 0;
	}
	if (set_limits(cg, l) < 0)
		return dks_err(err, errno, "cgroup %s: cannot set memory.max/pids.max", cg->dir);
	return 0;
}

/* Root on a v2 host: <mount>/dkms-sandbox, a parent of every sandbox's. */
static int create_v2_root(const struct dks_limits *l, struct dks_cgroup *cg,
			  struct dks_error *err)
{
	const char *mnt = hierarchy(H_V2)->target;
	char parent[PATH_MAX];

	if (!mnt || !knob_has(mnt, "cgroup.controllers", "memory") ||
	    !knob_has(mnt, "cgroup.controllers", "pids"))
		return 0;
	snprintf(parent, sizeof(parent), "%s/dkms-sandbox", mnt);
	if (!knob_has(mnt, "cgroup.subtree_control", "memory") ||
	    !knob_has(mnt, "cgroup.subtree_control", "pids"))
		write_knob(mnt, "cgroup.subtree_control", "+memory +pids");
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		return 0;
	return create_v2_below(parent, true, l, cg, err);
}

/* Root on a hybrid host: below <memory mount>/dkms-sandbox, as on v2 (a
 * parent that lasts, where cgroups are kept), else a child of its own v1
 * memory cgroup (nothing kept there: create_v2_below says why). */
static int create_v1(const struct dks_limits *l, struct dks_cgroup *cg, struct dks_error *err)
{
	const char *mnt = hierarchy(H_MEMORY)->target;
	char dir[PATH_MAX];

	if (!l->memory)
		return 0;
	if (mnt && snprintf(dir, sizeof(dir), "%s/dkms-sandbox", mnt) < (int)sizeof(dir) &&
	    (mkdir(dir, 0755) == 0 || errno == EEXIST) && access(dir, W_OK) == 0)
		cg->dir = make_child(dir, true, cg);
	if (!cg->dir && own_dir(H_MEMORY, dir, sizeof(dir)) && access(dir, W_OK) == 0)
		cg->dir = make_child(dir, false, cg);
	if (cg->dir && set_limits(cg, l) < 0)
		return dks_err(err, errno, "cgroup %s: cannot set the memory limit", cg->dir);
	return 0;
}

/* How many processes the cgroup's OOM killer took ("oom_kill N" in v2's
 * memory.events and v1's memory.oom_control), ever. */
static unsigned long oom_kills_ever(const struct dks_cgroup *cg)
{
	char path[PATH_MAX + 64], text[1024] = "";
	cleanup_close int fd = -1;
	const char *p;
	ssize_t n;

	if (!cg->dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", cg->dir,
		 cg->v2 ? "memory.events" : "memory.oom_control");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, text, sizeof(text) - 1)) <= 0)
		return 0;
	text[n] = 0;
	p = strstr(text, "oom_kill ");
	return p ? strtoul(p + 9, NULL, 10) : 0;
}

static void warn_unbounded(int fd)
{
	static bool warned;

	if (warned)
		return;
	warned = true;
	dprintf(fd, "dkms-sandbox: warning: no cgroup for the sandbox (%s): memory is bounded per "
		    "process only (RLIMIT_AS; page cache, /tmp and memfd pages are not), processes "
		    "per user namespace\n",
		geteuid() ? "not root, and no delegated cgroup v2 with memory and pids"
			  : "root cannot enable memory and pids in any cgroup hierarchy here");
}

int dks_cgroup_create(const struct dks_limits *l, int warn_fd, uid_t keep, struct dks_cgroup *cg,
		      struct dks_error *err)
{
	char own[PATH_MAX];
	int ret = 0;

	memset(cg, 0, sizeof(*cg));
	cg->keep = keep;
	if (!l->memory && !l->processes)
		return 0;
	if (own_dir(H_V2, own, sizeof(own)))
		ret = create_v2_below(own, false, l, cg, err);
	if (ret == 0 && !cg->dir && geteuid() == 0)
		ret = create_v2_root(l, cg, err);
	if (ret == 0 && !cg->dir && geteuid() == 0)
		ret = create_v1(l, cg, err);
	if (ret < 0) {
		dks_cgroup_destroy(cg);
		return -1;
	}
	if (!cg->dir)
		warn_unbounded(warn_fd);
	cg->oom_base = oom_kills_ever(cg);
	return 0;
}

int dks_cgroup_attach(const struct dks_cgroup *cg, pid_t pid, struct dks_error *err)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", (int)pid);
	if (cg->dir && write_knob(cg->dir, "cgroup.procs", v) < 0)
		return dks_err(err, errno, "cgroup %s: cannot move the sandbox in", cg->dir);
	return 0;
}

/* ... and since this sandbox took it (a kept cgroup has a past). */
unsigned long dks_cgroup_oom_kills(const struct dks_cgroup *cg)
{
	unsigned long n = oom_kills_ever(cg);

	return n > cg->oom_base ? n - cg->oom_base : 0;
}

/* v2 only; in v1 the pid namespace's end kills as surely. */
void dks_cgroup_kill(const struct dks_cgroup *cg)
{
	if (cg->v2 && cg->dir)
		write_knob(cg->dir, "cgroup.kill", "1");
}

void dks_cgroup_destroy(struct dks_cgroup *cg)
{
	/* Every process is reaped by now; a last one may still be leaving. A
	 * kept one stays for the uid's next sandbox (cgkeep.c). */
	for (int k = 0; cg->dir && !cg->kept && k < 100 && rmdir(cg->dir) < 0 && errno == EBUSY;
	     k++)
		usleep(1000);
	free(cg->dir);
	memset(cg, 0, sizeof(*cg));
}
