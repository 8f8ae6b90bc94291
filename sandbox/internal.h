/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to sandbox/: the sandbox object and the contracts between its
 * files. Nothing outside sandbox/ includes this.
 */
#ifndef DKS_SANDBOX_INTERNAL_H
#define DKS_SANDBOX_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "dks/error.h"
#include "dks/profile.h"
#include "dks/sandbox.h"
#include "dks/strv.h"
#include "dks/termsafe.h"


/* rundir.c: root's run-time state, DKS_RUN_DIR: an fd of its subdir @sub
 * (made if absent), each component root's and written by nobody else, or
 * -1 with @err. */
#define DKS_RUN_PARENT "/run"
#define DKS_RUN_NAME "dkms-sandbox"
#define DKS_RUN_DIR DKS_RUN_PARENT "/" DKS_RUN_NAME
int dks_rundir_open(const char *sub, struct dks_error *err);

/* The dedicated system user `make install` creates, with subordinate
 * ids: its subordinate uids are the build uids of root's sandboxes. */
#define DKS_BUILD_USER "dkms-sandbox"

/* buildids.c: a range of build uids (and gids, at the same offsets), one
 * taken per running sandbox. */
struct dks_idrange {
	uid_t uid;
	gid_t gid;
	uint32_t count;
};
#define DKS_BUILDIDS_MAX 65536
#define DKS_BUILDIDS_SUB "build-uids"
#define DKS_BUILDIDS_DIR DKS_RUN_DIR "/" DKS_BUILDIDS_SUB
int dks_buildids_parse(const char *spec, struct dks_idrange *r, struct dks_error *err);
int dks_buildids_check_passwd(const struct dks_idrange *r, const char *what,
			      struct dks_error *err);
int dks_buildids_subids(const char *user, struct dks_idrange *r, struct dks_error *err);
int dks_buildids_acquire(const struct dks_idrange *r, uid_t *uid, gid_t *gid,
			 struct dks_error *err);

/* keeptrim.c: of the entries kept per build uid @names (decimal uids),
 * those of uids no sandbox holds are passed to @drop, least recently used
 * first, until @n - dropped <= @keep; each while its uid is held here. */
void dks_keep_trim(char *const *names, size_t n, size_t keep,
		   void (*drop)(const char *name, void *arg), void *arg);

/* netns.c: root's sandboxes get a network namespace of the host's user
 * namespace, kept per build uid at DKS_NETNS_DIR/UID for the next sandbox
 * of that uid (the file says why that is safe). */
#define DKS_NETNS_SUB "netns"
#define DKS_NETNS_DIR DKS_RUN_DIR "/" DKS_NETNS_SUB
#define DKS_NETNS_KEEP 64 /* kept at most (netns.c, trim) */
int dks_netns_loopback_up(void);
/* May a sandbox of @p leave its namespace to the next of its uid? */
bool dks_netns_shareable(const struct dks_profile *p);
/* An fd of @uid's kept namespace, or -1; *@pool: the fd of the dir to keep
 * a new one in, as @name (-1: nowhere). */
int dks_netns_kept(uid_t uid, int *pool, char *name, size_t size);
/* Root, in the setup child: join @fd, else a new namespace with lo up,
 * kept as @name in @pool if @pool is not -1. */
int dks_netns_join(int fd, int pool, const char *name);

enum dks_user_kind {
	DKS_USER_DEFAULT, /* root: the dkms-sandbox user's subordinate ids */
	DKS_USER_FIXED,   /* one uid the caller named */
	DKS_USER_RANGE,   /* a range the caller named */
};

struct dks_bind {
	char *src;        /* host path; for a scratch, a name for messages */
	char *dst;
	bool writable;
	uint64_t scratch; /* > 0: a fresh tmpfs of this size, not a host path */
	uint64_t tmpfs;   /* > 0: a tmpfs of this size made by init, not a host path */
};

struct dks_kernel {
	char *kver;
	char *build;      /* headers dir: target of /lib/modules/KVER/build */
	char *source;     /* target of /lib/modules/KVER/source, or NULL */
	char *root;       /* unpacked headers: the dir they were unpacked in, else NULL */
	struct strv dirs; /* every dir to bind read-only (host paths, below root if set) */
};

/* Where a kernel dir appears in the sandbox: its path without the root. */
static inline const char *dks_kernel_dst(const struct dks_kernel *k, const char *dir)
{
	return k->root ? dir + strlen(k->root) : dir;
}

struct dks_sandbox {
	const struct dks_profile *profile;
	struct dks_profile *own_profile; /* loaded default, if none was set */
	char *toolchain;                 /* NULL = host */
	struct dks_kernel kernel;        /* kver == NULL: no headers */
	struct dks_bind *binds;
	size_t n_binds;
	enum dks_user_kind user_kind;
	struct dks_idrange range; /* DKS_USER_RANGE */
	bool user_resolved;       /* uid/gid hold the build user */
	uid_t uid;
	gid_t gid;
	int uid_lock;             /* the taken range uid's lock, or -1 */
	int scratch_fd;           /* the last run's scratch (its root dir), or -1 */
	bool timeout_set;
	unsigned timeout;
	char *cwd;
	struct strv env; /* "NAME=value" */
	int fds[3];
	int pass[DKS_MAX_PASS_FDS]; /* become fds 3, 4, ... of the command */
	size_t n_pass;
	bool kill_at_output_limit;
	int tee_fd; /* a copy of stdout and stderr goes here too, or -1 */
};

/* Messages from the sandbox (setup child, init) to the caller. Each is
 * written with one write() of less than PIPE_BUF bytes: atomic. */
enum dks_msg_type {
	DKS_MSG_INIT_PID = 1, /* a = host pid of the sandbox's init */
	DKS_MSG_SETUP_ERROR,  /* text; a = exit code */
	DKS_MSG_EXEC_ERROR,   /* text: the command could not be executed */
	DKS_MSG_DENIED,       /* a = syscall nr, b = pid in the sandbox */
	DKS_MSG_EXIT,         /* a = wait status of the command */
};

struct dks_msg {
	int32_t type;
	int32_t a;
	int32_t b;
	char text[500];
};

/* The attributes (MOUNT_ATTR_*) of a read-only and of a writable bind. */
#define DKS_RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define DKS_RW_ATTRS (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

/* The host paths the caller names (bind sources, the kernel's dirs, the
 * toolchain image), cloned by a root caller with its own rights before the
 * sandbox drops them (run.c): init attaches these detached mount trees
 * instead of opening the paths, which the build user may not reach. -1
 * where there is none: init opens the path itself, with the build user's
 * rights (normal callers, kernels without open_tree, a path with a
 * symlink). O_CLOEXEC, closed by init once its root is built. */
struct dks_trees {
	int *fds;      /* sb->n_binds binds, then sb->kernel.dirs.n kernel dirs */
	size_t n;
	int toolchain;
	int scratch;   /* the caller's own: the scratch's root dir, or -1 */
};

/* Everything the children need, computed by the caller before fork. */
struct dks_run_ctx {
	const struct dks_sandbox *sb;
	char *const *argv;
	char **envp;
	const char *cwd;
	int report_fd; /* write end of the report pipe */
	int ack_fd;    /* init: read end of the caller's go-ahead */
	int ack_wfd;   /* its write end (the caller's; closed in init) */
	int bpf_fds[2]; /* caller -> init: the compiled seccomp program */
	int stdio[3];  /* the command's 0-2 (relay.c): never the caller's terminal */
	bool as_root;  /* started by host root: switch to sb->uid first */
	bool uid_held; /* root with a uid under its lock: the sandbox's alone,
			* so are the network namespace and cgroup kept for it */
	int netns_fd;  /* root: the build uid's kept network namespace, or -1 */
	int netns_pool;      /* root: the dir to keep a new one in, or -1 */
	char netns_name[16]; /* and its name there */
	bool net_ready; /* the setup child joined root's: lo is up (else init's) */
	uid_t uid;
	gid_t gid;
	struct dks_trees trees;
};

static inline int dks_bind_tree(const struct dks_run_ctx *ctx, size_t i)
{
	return ctx->trees.fds ? ctx->trees.fds[i] : -1;
}

static inline int dks_kernel_tree(const struct dks_run_ctx *ctx, size_t i)
{
	return ctx->trees.fds ? ctx->trees.fds[ctx->sb->n_binds + i] : -1;
}

/* relay.c: the command's stdin (/dev/null for a terminal), and pipes for
 * its stdout and stderr that the caller relays to sb->fds[1] and [2]:
 * capped at limits.output, sanitized for a terminal. */
struct dks_relay_stream {
	int rfd, wfd; /* the pipe: the caller reads rfd; wfd is the command's */
	int dst;      /* the caller's fd */
	bool tty;     /* dst is a terminal: control characters replaced */
	bool failed;  /* writing to dst failed: drained, discarded */
	int write_errno; /* why (0: EOF on a write) */
	bool noticed; /* the truncation line was written */
	char last;    /* last byte written to dst */
	struct dks_termsafe ts;
};

struct dks_relay {
	struct dks_relay_stream s[2]; /* stdout, stderr (one when both are one file) */
	struct dks_relay_stream tee;  /* dst -1, or where a copy of both goes */
	size_t n;
	int child[3];   /* the command's 0-2 */
	int null_fd;
	uint64_t cap;   /* limits.output, 0: none */
	uint64_t total; /* bytes the command wrote */
	bool truncated;
	bool kill_at_cap;
	bool blocked;   /* SIGPIPE blocked while relaying */
	bool sigpipe_pending;
	sigset_t oldmask;
};

int dks_relay_open(const struct dks_sandbox *sb, struct dks_relay *r, struct dks_error *err);
/* init has the command's ends: the caller's copies go. */
void dks_relay_spawned(struct dks_relay *r);
/* Read stream @i once and relay it: false at its end. */
bool dks_relay_pump(struct dks_relay *r, size_t i);
bool dks_relay_done(const struct dks_relay *r);
void dks_relay_close(struct dks_relay *r);

/* child.c: start the sandbox's init. Root callers run dks_setup_main in a
 * vfork child (it sends DKS_MSG_INIT_PID); others call dks_spawn_init. */
int dks_setup_main(void *ctx);
pid_t dks_spawn_init(struct dks_run_ctx *ctx);

/* report.c: report a setup failure to the caller and exit (children only). */
__attribute__((noreturn, format(printf, 3, 4))) void
dks_child_die(const struct dks_run_ctx *ctx, int errnum, const char *fmt, ...);
void dks_child_send(const struct dks_run_ctx *ctx, const struct dks_msg *m);

/* One uid and one gid exist in a sandbox: the build user's own. Written
 * by the caller into init's user namespace. */
int dks_write_id_maps(pid_t pid, uid_t uid, gid_t gid, struct dks_error *err);

/* cgroup.c: the sandbox's own cgroup with its memory (and, in v2, pids)
 * bound: v2 delegated, or root's v2, or root's v1 memory; dir NULL where
 * there is none (a warning then goes to @warn_fd, once). */
struct dks_cgroup {
	char *dir;
	bool v2;
	bool kept;              /* a build uid's, left for its next sandbox */
	uid_t keep;             /* whose kept cgroup to use, or DKS_NO_UID */
	unsigned long oom_base; /* OOM kills in it before this sandbox */
};
#define DKS_NO_UID ((uid_t)-1)
/* @keep: a build uid held under its lock (root), whose cgroup is kept for
 * its next sandbox (cgkeep.c); DKS_NO_UID: a fresh one, removed after. */
int dks_cgroup_create(const struct dks_limits *l, int warn_fd, uid_t keep, struct dks_cgroup *cg,
		      struct dks_error *err);
/* cgkeep.c: @uid's kept cgroup below @parent, made if need be; NULL if
 * it cannot be had (it has a process: not reused). */
#define DKS_CGKEEP_MAX 64
char *dks_cgkeep_dir(const char *parent, uid_t uid);
/* Remove the fresh cgroups below @parent that a dead caller left. */
void dks_cgroup_sweep(const char *parent);
int dks_cgroup_attach(const struct dks_cgroup *cg, pid_t pid, struct dks_error *err);
void dks_cgroup_kill(const struct dks_cgroup *cg);
unsigned long dks_cgroup_oom_kills(const struct dks_cgroup *cg);
void dks_cgroup_destroy(struct dks_cgroup *cg);

/* Host dirs hidden behind empty tmpfs in a host-toolchain sandbox: every
 * other module's source, every kernel's modules, and /usr/local (the
 * site's configuration, local CA certificates, programs and their data:
 * the host's, not the toolchain's). */
#define DKS_MASKED_DIRS {"/usr/src", "/lib/modules", "/usr/local", NULL}

/* mounts.c: build the sandbox's root and pivot into it (in init). */
void dks_mounts_setup(const struct dks_run_ctx *ctx);

/* trees.c: DKMS_SANDBOX_MOUNT_API=legacy: init uses mount(2) only. */
bool dks_mount_api_legacy(void);
/* Is kernel dir @dir bound on its own (not already seen through /usr)? */
bool dks_kernel_dir_bound(const struct dks_sandbox *sb, const char *dir);
/* Is the source of bind @i a directory (from the caller's tree if any)? */
bool dks_bind_is_dir(const struct dks_run_ctx *ctx, size_t i);
/* The caller's clones of the trees it names (-1 for what it could not
 * clone), and the scratch tmpfs (it fails only when that cannot be made);
 * closing them (the caller's, and init's). */
int dks_trees_open(const struct dks_sandbox *sb, uid_t uid, gid_t gid, struct dks_trees *t,
		   struct dks_error *err);
void dks_trees_close(struct dks_trees *t);

/* scratch.c: a fresh detached tmpfs of @size bytes, mode 0700, owned by
 * @uid/@gid; its mount fd, and in *@dirfd its root dir for the caller. */
int dks_scratch_create(uint64_t size, uid_t uid, gid_t gid, int *dirfd, struct dks_error *err);

/* image.c: a toolchain image (a host dir) as a read-only overlay root at
 * @newroot, with the mount points the build needs. */
void dks_mount_image_root(const struct dks_run_ctx *ctx, const char *image, const char *newroot);

/* headers.c: find the kernel's headers and every dir they lead to. */
int dks_kernel_resolve(struct dks_kernel *k, const char *kver,
		       const char *headers, struct dks_error *err);
void dks_kernel_clear(struct dks_kernel *k);

/* seccomp.c: compile the profile's filter to a BPF program written to @fd;
 * load such a program (returns the notification listener fd). */
int dks_seccomp_export(const struct dks_profile *p, int fd, struct dks_error *err);
int dks_seccomp_install(const void *prog, size_t len, struct dks_error *err);
#define DKS_BPF_MAX (4096 * 8)
/* Is @name allowed only with some arguments (an argument rule)? */
bool dks_seccomp_ruled(const struct dks_profile *p, const char *name);
/* hostdeny.c: is syscall @nr (native ABI) in the host-deny set? */
bool dks_seccomp_host_denied_nr(int nr);
/* Serve one notification on @fd: report it and answer. */
int dks_seccomp_serve(const struct dks_run_ctx *ctx, int fd);

/* keyring.c: a new, empty session keyring for init and its children
 * (init, before it drops privileges); dies if the kernel refuses one. */
void dks_keyring_fresh(const struct dks_run_ctx *ctx);

/* caps.c: empty every capability set, the bounding set included. */
int dks_caps_drop_all(struct dks_error *err);

/* landlock.c: writes only below the writable binds, /tmp and /dev; scope
 * abstract unix sockets and signals. 0 when unsupported (reported once). */
int dks_landlock_apply(const struct dks_sandbox *sb, struct dks_error *err);

/* limits.c: the profile's rlimits on the calling process. */
int dks_limits_apply(const struct dks_limits *l, struct dks_error *err);

#endif
