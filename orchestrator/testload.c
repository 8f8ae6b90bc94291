// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One load test (orchestrator/testload.h): m/v's build for KVER, the
 * kernel's image and its own modules for the dependencies, an initramfs
 * of ours, QEMU confined (testload_vm.c), the verdict from the result
 * channel, the record in the tree.
 *
 * What is tested: the build's modules as they are in the tree
 * (the .ko files of <kver>/<arch>/module/: built and stripped, not signed). The VM has
 * no key of ours and does not enforce signatures, so the signature the
 * installer appends would change nothing there; what the VM proves is
 * that the code links against this kernel (symbols, CRCs, vermagic) and
 * that its init succeeds. Signature checks are the installer's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "dks/exit.h"
#include "dks/fileio.h"
#include "dks/sandbox.h"
#include "testload.h"

#define SERIAL_MAX (8UL * 1024 * 1024) /* bytes of each serial file */
#define KVM_START_BOUND 10u             /* seconds (KVM reaches /init in 1 or 2) */

struct run {
	const struct dks_tl_opts *o;
	const char *m, *v, *kver, *arch;
	char moddir[4096], image[4096], workdir[64], nonce[DKS_TL_NONCE_LEN + 1];
	char **built;
	size_t n_built;
	struct dks_tl_module *plan;
	size_t n_plan;
	struct dks_sandbox *sb; /* holds the build uid while QEMU runs */
};

static int make_nonce(char out[DKS_TL_NONCE_LEN + 1], struct dks_error *err)
{
	unsigned char raw[DKS_TL_NONCE_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return dks_err(err, errno, "load test: getrandom");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static int ko_only(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && strcmp(d->d_name + n - 3, ".ko") == 0;
}

/* The build's modules: the .ko files of <dkmstree>/m/v/kver/arch/module. */
static int find_built(struct run *r, const struct dks_tree *t, struct dks_error *err)
{
	char dir[4096];
	struct dirent **ents = NULL;
	int n;

	snprintf(dir, sizeof(dir), "%s/%s/%s/%s/%s/module", t->dkms_tree, r->m, r->v, r->kver,
		 r->arch);
	n = scandir(dir, &ents, ko_only, alphasort);
	if (n <= 0) {
		free(ents);
		return dks_err(err, n < 0 ? errno : 0, "%s/%s, %s, %s: not built (no module in %s)",
			       r->m, r->v, r->kver, r->arch, dir);
	}
	r->built = calloc((size_t)n, sizeof(*r->built));
	for (int i = 0; i < n; i++) {
		if (r->built && asprintf(&r->built[r->n_built], "%s/%s", dir, ents[i]->d_name) >= 0)
			r->n_built++;
		free(ents[i]);
	}
	free(ents);
	return r->n_built == (size_t)n ? 0 : dks_err(err, ENOMEM, "load test");
}

static const char *cfg_or(const char *v, const char *dflt)
{
	return v ? v : dflt;
}

static int find_inputs(struct run *r, const struct dks_tree *t, struct dks_error *err)
{
	const struct dks_config *c = r->o->cfg;
	const char *tools[] = {cfg_or(c->testload_qemu, "/usr/bin/qemu-system-x86_64"),
			       cfg_or(c->testload_busybox, "/bin/busybox")};
	const char *why[] = {"install qemu-system-x86", "install busybox-static"};

	if (find_built(r, t, err) < 0)
		return -1;
	if (r->o->kernel_image)
		snprintf(r->image, sizeof(r->image), "%s", r->o->kernel_image);
	else
		snprintf(r->image, sizeof(r->image), "%s/vmlinuz-%s",
			 cfg_or(c->testload_boot_dir, "/boot"), r->kver);
	if (access(r->image, R_OK) < 0)
		return dks_err(err, errno, "load test: no kernel image %s for %s (--kernel-image FILE, "
				       "or testload_boot_dir)", r->image, r->kver);
	for (size_t i = 0; i < 2; i++)
		if (access(tools[i], X_OK) < 0)
			return dks_err(err, errno, "load test: %s (%s)", tools[i], why[i]);
	snprintf(r->moddir, sizeof(r->moddir), "%s/%s", t->install_tree, r->kver);
	return 0;
}

/* Who QEMU runs as: started as root, a build uid of the sandbox's (held
 * until the run ends); otherwise the caller. */
static int vm_user(struct run *r, struct dks_tl_vm *vm, struct dks_error *err)
{
	const char *user = r->o->cfg->build_user;

	vm->uid = getuid();
	vm->gid = getgid();
	if (geteuid() != 0)
		return 0;
	if (dks_sandbox_new(&r->sb, err) < 0 || (user && dks_sandbox_set_user(r->sb, user, err) < 0) ||
	    dks_sandbox_resolve_user(r->sb, err) < 0)
		return -1;
	vm->uid = dks_sandbox_host_uid(r->sb);
	vm->gid = dks_sandbox_host_gid(r->sb);
	return 0;
}

/* A copy of @src at @dfd/@name, 0644: QEMU reads only what is in its
 * directory (an image under a 0700 directory of root's works too). */
static int copy_in(int dfd, const char *name, const char *src, struct dks_error *err)
{
	cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	cleanup_close int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	char buf[65536];
	struct stat st;
	ssize_t n;

	if (in < 0 || out < 0 || fstat(in, &st) < 0)
		return dks_err(err, errno, "load test: cannot copy %s", src);
	if (!S_ISREG(st.st_mode))
		return dks_err(err, 0, "load test: %s is not a regular file", src);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return dks_err(err, errno ? errno : EIO, "load test: cannot copy %s", src);
	return n < 0 ? dks_err(err, errno, "load test: cannot read %s", src) : 0;
}

static int prepare(struct run *r, struct dks_tl_vm *vm, struct dks_error *err)
{
	cleanup_close int dfd = -1, fd = -1;

	snprintf(r->workdir, sizeof(r->workdir), "/tmp/dks-testload.XXXXXX");
	if (!mkdtemp(r->workdir)) {
		r->workdir[0] = '\0';
		return dks_err(err, errno, "load test: cannot make a directory in /tmp");
	}
	dfd = open(r->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = dfd < 0 ? -1 : openat(dfd, "initrd", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return dks_err(err, errno, "load test: cannot write in %s", r->workdir);
	if (dks_tl_initrd_write(fd, cfg_or(r->o->cfg->testload_busybox, "/bin/busybox"), r->plan,
				r->n_plan, r->nonce, err) < 0 ||
	    copy_in(dfd, "vmlinuz", r->image, err) < 0)
		return -1;
	/* QEMU writes its serial files here, as the build uid */
	if (geteuid() == 0 && fchown(dfd, vm->uid, vm->gid) < 0)
		return dks_err(err, errno, "load test: cannot hand %s to the build uid", r->workdir);
	return 0;
}

static int unlinkat_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* What QEMU left in @name, at most SERIAL_MAX bytes: a regular file only
 * (it owns the directory, and may have put a link there). */
static char *read_serial(const char *workdir, const char *name, size_t *len)
{
	cleanup_close int dfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	struct stat st;
	char *buf;
	ssize_t n;

	*len = 0;
	fd = dfd < 0 ? -1 : openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(buf = malloc(SERIAL_MAX + 1)))
		return NULL;
	n = dks_read_full(fd, buf, SERIAL_MAX);
	*len = n > 0 ? (size_t)n : 0;
	buf[*len] = '\0';
	return buf;
}

/* The lines of @c into the record (taken over). */
static void take_lines(struct dks_tl_record *rec, struct dks_tl_console *c)
{
	rec->lines = calloc(c->n_lines ? c->n_lines : 1, sizeof(*rec->lines));
	for (size_t i = 0; rec->lines && i < c->n_lines; i++) {
		rec->lines[rec->n_lines++] = c->lines[i];
		c->lines[i] = NULL;
	}
	dks_tl_console_clear(c);
}

/* The first error line, the kernel's own ("[ time] ...") before insmod's. */
static const char *first_error(const struct dks_tl_console *c)
{
	for (int kernel = 1; kernel >= 0; kernel--)
		for (size_t i = 0; i < c->n_lines; i++)
			if ((c->lines[i][0] == '[') == kernel && dks_tl_line_is_error(c->lines[i]))
				return c->lines[i];
	return NULL;
}

/* The verdict of a VM that reported. */
/* insmod's own line ("can't insert ...: No such device"), or NULL. */
static const char *insmod_line(const struct dks_tl_console *c)
{
	for (size_t i = 0; i < c->n_lines; i++)
		if (strncmp(c->lines[i], "insmod: ", 8) == 0)
			return c->lines[i];
	return NULL;
}

static void judge_report(const struct run *r, const struct dks_tl_console *c,
			 struct dks_tl_record *rec)
{
	const char *bad = first_error(c);
	const char *said = bad ? bad : insmod_line(c);

	for (size_t i = 0; i < r->n_plan; i++) {
		const struct dks_tl_module *m = &r->plan[i];

		if (c->rc[i] == 0)
			continue;
		if (c->rc[i] < 0)
			snprintf(rec->why, sizeof(rec->why), "%s was not loaded: /init stopped before it",
				 m->name);
		else
			snprintf(rec->why, sizeof(rec->why), "insmod %s%s: exit %d%s%.120s", m->name,
				 m->dep ? " (the kernel's, a dependency)" : "", c->rc[i],
				 said ? ": " : "", said ? said : "");
		return;
	}
	if (bad) {
		snprintf(rec->why, sizeof(rec->why), "loaded, but the kernel reported: %.160s", bad);
		return;
	}
	rec->pass = true;
	snprintf(rec->why, sizeof(rec->why), "loaded (%zu module%s, %zu of the kernel's)",
		 r->n_plan, r->n_plan == 1 ? "" : "s", r->n_plan - r->n_built);
}

static void judge_stopped(const struct dks_tl_vm *vm, const struct dks_tl_vm_result *res,
			  struct dks_tl_record *rec)
{
	if (res->timed_out)
		snprintf(rec->why, sizeof(rec->why),
			 "killed at the bound of %u s (a hang or a flood in the module's init, or "
			 "a kernel that did not boot)", vm->timeout);
	else if (WIFSIGNALED(res->status) && WTERMSIG(res->status) == SIGXFSZ)
		snprintf(rec->why, sizeof(rec->why), "killed: console output past %zu bytes",
			 vm->output_max);
	else if (WIFEXITED(res->status) && WEXITSTATUS(res->status) != 0)
		snprintf(rec->why, sizeof(rec->why), "QEMU exited with %d before /init reported "
			 "(a panic, or QEMU could not start: see the lines)", WEXITSTATUS(res->status));
	else
		snprintf(rec->why, sizeof(rec->why), "the VM stopped before /init reported (a panic?)");
}

static void judge(const struct run *r, const struct dks_tl_vm *vm,
		  const struct dks_tl_vm_result *res, struct dks_tl_record *rec)
{
	struct dks_tl_console c;
	size_t len = 0;
	char *out = read_serial(r->workdir, "result", &len);

	dks_tl_console_parse(out ? out : "", len, r->nonce, &c);
	free(out);
	if (c.ended && !res->timed_out) {
		judge_report(r, &c, rec);
		take_lines(rec, &c);
		return;
	}
	dks_tl_console_clear(&c);
	judge_stopped(vm, res, rec);
	out = read_serial(r->workdir, "console", &len);
	if (!out || !len) {
		free(out);
		out = read_serial(r->workdir, "qemu.log", &len);
	}
	dks_tl_console_tail(out ? out : "", len, &c);
	free(out);
	take_lines(rec, &c);
}

static bool use_kvm(const struct dks_config *c)
{
	const char *accel = cfg_or(c->testload_accel, "auto");

	if (strcmp(accel, "auto") == 0)
		return dks_tl_kvm_works();
	return strcmp(accel, "kvm") == 0;
}

static bool auto_accel(const struct dks_config *c)
{
	return strcmp(cfg_or(c->testload_accel, "auto"), "auto") == 0;
}

/* Under "auto", a KVM guest whose /init has not spoken after
 * KVM_START_BOUND seconds is taken for a host whose KVM cannot boot a
 * kernel (seen: nested hosts that run real mode only): once more with TCG. */
static int run_vm(const struct run *r, struct dks_tl_vm *vm, struct dks_tl_vm_result *res,
		  bool fallback, struct dks_error *err)
{
	static const char *const files[] = {"result", "console", "qemu.log"};

	vm->start_bound = vm->kvm && fallback ? KVM_START_BOUND : 0;
	if (dks_tl_vm_run(vm, res, err) < 0)
		return -1;
	if (res->interrupted)
		return dks_err(err, EINTR, "load test of %s/%s for %s", r->m, r->v, r->kver);
	if (!res->never_started)
		return 0;
	dks_warn("load test: KVM did not boot %s in %u s; running it under TCG", r->kver,
		 KVM_START_BOUND);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (unlinkat_in(r->workdir, files[i]) < 0)
			return dks_err(err, errno, "load test: %s/%s", r->workdir, files[i]);
	vm->kvm = false;
	vm->start_bound = 0;
	if (dks_tl_vm_run(vm, res, err) < 0)
		return -1;
	return res->interrupted ? dks_err(err, EINTR, "load test of %s/%s for %s", r->m, r->v, r->kver)
				: 0;
}

static int boot(struct run *r, const struct dks_tree *t, struct dks_tl_record *rec,
		struct dks_error *err)
{
	const struct dks_config *c = r->o->cfg;
	char kernel[4096 + 16], initrd[4096 + 16];
	struct dks_tl_vm vm = {
	    .qemu = cfg_or(c->testload_qemu, "/usr/bin/qemu-system-x86_64"),
	    .kernel = kernel, .initrd = initrd, .workdir = r->workdir, .kvm = use_kvm(c),
	    .timeout = c->testload_timeout ? c->testload_timeout : 120,
	    .memory_mb = c->testload_memory ? c->testload_memory : 256,
	    .output_max = SERIAL_MAX,
	};
	struct dks_tl_vm_result res;
	char dir[4096];

	if (make_nonce(r->nonce, err) < 0 || find_inputs(r, t, err) < 0 ||
	    dks_tl_plan(r->moddir, r->built, r->n_built, &r->plan, &r->n_plan, err) < 0 ||
	    vm_user(r, &vm, err) < 0 || prepare(r, &vm, err) < 0)
		return -1;
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", r->workdir);
	snprintf(initrd, sizeof(initrd), "%s/initrd", r->workdir);
	if (run_vm(r, &vm, &res, auto_accel(c), err) < 0)
		return -1;
	judge(r, &vm, &res, rec);
	snprintf(rec->accel, sizeof(rec->accel), "%s", vm.kvm ? "kvm" : "tcg");
	snprintf(rec->kernel, sizeof(rec->kernel), "%.500s", r->image);
	rec->seconds = res.seconds;
	rec->when = (long long)time(NULL);
	snprintf(dir, sizeof(dir), "%s/%s/%s/%s/%s/module", t->dkms_tree, r->m, r->v, r->kver,
		 r->arch);
	return dks_tl_modules_digest(dir, rec->digest, err);
}

int dks_testload(const struct dks_tree *t, const struct dks_tl_opts *o, const char *m,
		 const char *v, const char *kver, const char *arch, struct dks_tl_record *rec,
		 struct dks_error *err)
{
	struct run r = {.o = o, .m = m, .v = v, .kver = kver, .arch = arch};
	sigset_t ending, old;
	int rc;

	/* Ctrl-C or a TERM while the VM runs: held until the VM is killed and
	 * its directory removed, then delivered (testload_vm.c polls for it) */
	sigemptyset(&ending);
	sigaddset(&ending, SIGINT);
	sigaddset(&ending, SIGTERM);
	sigaddset(&ending, SIGHUP);
	sigprocmask(SIG_BLOCK, &ending, &old);
	*rec = (struct dks_tl_record){0};
	rc = boot(&r, t, rec, err);
	if (rc == 0)
		rc = dks_tl_record_write(t, m, v, kver, arch, rec, err);
	if (*r.workdir)
		dks_rmtree(r.workdir);
	dks_sandbox_free(r.sb);
	dks_tl_modules_free(r.plan, r.n_plan);
	for (size_t i = 0; i < r.n_built; i++)
		free(r.built[i]);
	free(r.built);
	if (rc < 0)
		dks_tl_report_clear(rec);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int dks_testload_report(const struct dks_tree *t, const struct dks_tl_opts *o, const char *m,
			const char *v, const char *kver, const char *arch, struct dks_error *err)
{
	struct dks_tl_record r;
	int rc = dks_testload(t, o, m, v, kver, arch, &r, err);

	if (rc < 0)
		return -1;
	dks_tl_report_print(stdout, m, v, kver, arch, &r);
	if (!r.pass)
		rc = dks_err_reported(err, DKS_EXIT_FAILURE);
	dks_tl_report_clear(&r);
	return rc;
}

int dks_testload_gate(const struct dks_tree *t, const struct dks_config *cfg, const char *m,
		      const char *v, const char *kver, const char *arch, struct dks_error *err)
{
	struct dks_tl_opts o = {.cfg = cfg};
	struct dks_error ignored = {0};

	if (!cfg->testload_required || dks_tl_record_require(t, m, v, kver, arch, &ignored) == 0)
		return 0;
	if (dks_testload_report(t, &o, m, v, kver, arch, err) < 0)
		return -1;
	return dks_tl_record_require(t, m, v, kver, arch, err);
}

void dks_tl_report_clear(struct dks_tl_record *r)
{
	for (size_t i = 0; i < r->n_lines; i++)
		free(r->lines[i]);
	free(r->lines);
	r->lines = NULL;
	r->n_lines = 0;
}

void dks_tl_report_print(FILE *out, const char *m, const char *v, const char *kver,
			 const char *arch, const struct dks_tl_record *r)
{
	fprintf(out, "%s/%s, %s, %s: load test %s (%s, %.1f s): %s\n", m, v, kver, arch,
		r->pass ? "passed" : "FAILED", r->accel, r->seconds, r->why);
	for (size_t i = 0; !r->pass && i < r->n_lines; i++)
		fprintf(out, "    %s\n", r->lines[i]);
}
