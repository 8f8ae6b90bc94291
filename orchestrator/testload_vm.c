// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QEMU for the load test (orchestrator/testload.h), confined. What runs in
 * the VM is the module, in ring 0: assume it controls the guest and looks
 * for a way out through QEMU. So QEMU itself runs
 *  - as a build uid, never root, with no supplementary group, no new
 *    privileges (a setuid binary gains nothing);
 *  - in its own network namespace (no interface but lo: a QEMU bug that
 *    reaches a socket reaches nothing), mount, IPC and UTS namespaces;
 *  - with a /dev of its own: null, zero, urandom and, for KVM, a kvm node
 *    made for it alone in that namespace (the host's /dev/kvm is untouched);
 *  - with -nodefaults -nic none: no network card, no disk; the kernel and
 *    the initramfs are its only inputs, and two serial ports written to
 *    files in a directory of its own, each bounded by RLIMIT_FSIZE;
 *  - under QEMU's own seccomp (-sandbox on, no spawning, no setuid);
 *  - in a process group killed at the wall-clock bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testload.h"

#define KVM_MAJOR 10
#define KVM_MINOR 232

/* The child dies with one line on stderr (QEMU's log file by then). */
static void die(const char *what)
{
	dprintf(2, "dkms-sandbox: load test: %s: %s\n", what, strerror(errno));
	_exit(127);
}

static void node(const char *path, unsigned maj, unsigned min, mode_t mode, uid_t uid)
{
	if (mknod(path, S_IFCHR | mode, makedev(maj, min)) < 0 || chmod(path, mode) < 0 ||
	    chown(path, uid, (gid_t)-1) < 0)
		die(path);
}

/* Started as root: namespaces, our /dev, then the build uid. */
static void confine_root(const struct dks_tl_vm *vm)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		die("unshare");
	/* nothing mounted here propagates back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("private mounts");
	/* the host's /dev (disks, ttys, the real kvm node) is hidden */
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
		die("/dev");
	node("/dev/null", 1, 3, 0666, 0);
	node("/dev/zero", 1, 5, 0666, 0);
	node("/dev/urandom", 1, 9, 0666, 0);
	if (vm->kvm)
		node("/dev/kvm", KVM_MAJOR, KVM_MINOR, 0600, vm->uid);
	if (setgroups(0, NULL) < 0 || setresgid(vm->gid, vm->gid, vm->gid) < 0 ||
	    setresuid(vm->uid, vm->uid, vm->uid) < 0)
		die("dropping to the build uid");
}

/* Started by a user: a user namespace gives the network namespace. */
static void confine_user(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		die("unshare");
}

static void limits(const struct dks_tl_vm *vm)
{
	struct rlimit fsize = {vm->output_max, vm->output_max}, core = {0, 0};
	struct rlimit nofile = {256, 256};

	if (setrlimit(RLIMIT_FSIZE, &fsize) < 0 || setrlimit(RLIMIT_CORE, &core) < 0 ||
	    setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		die("limits");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die("prctl");
}

static void stdio_to(const char *workdir)
{
	char path[4096];
	int in = open("/dev/null", O_RDONLY), out;

	snprintf(path, sizeof(path), "%s/qemu.log", workdir);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		die(path);
	close_range(3, ~0U, 0);
}

/* console=ttyS0: the kernel's messages (and the module's printk) go to
 * the first port; our /init writes the verdict to the second. panic=-1
 * with -no-reboot: a panic ends QEMU at once instead of at the bound. */
static void exec_qemu(const struct dks_tl_vm *vm)
{
	char mem[32];
	char *argv[] = {
	    (char *)vm->qemu, "-nodefaults", "-no-user-config", "-display", "none",
	    "-monitor", "none", "-no-reboot", "-nic", "none",
	    "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
	    "-accel", vm->kvm ? "kvm" : "tcg", "-cpu", vm->kvm ? "host" : "max", "-smp", "1",
	    "-m", mem, "-kernel", (char *)vm->kernel, "-initrd", (char *)vm->initrd,
	    "-append", "console=ttyS0 panic=-1 quiet", "-serial", "file:console",
	    "-serial", "file:result", NULL};

	snprintf(mem, sizeof(mem), "%uM", vm->memory_mb);
	if (chdir(vm->workdir) < 0)
		die(vm->workdir);
	execv(vm->qemu, argv);
	die(vm->qemu);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A signal that ends us is pending (held by dks_testload's mask): the
 * VM is killed, and the caller removes its directory before it lands. */
static bool terminating(void)
{
	sigset_t p;

	return sigpending(&p) == 0 &&
	       (sigismember(&p, SIGINT) || sigismember(&p, SIGTERM) || sigismember(&p, SIGHUP));
}

/* Has /init written anything to the result port yet? */
static bool started(const char *workdir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/result", workdir);
	return lstat(path, &st) == 0 && st.st_size > 0;
}

/* Wait for @pid, killing its group at the bound (or at start_bound when
 * /init has not spoken by then: a guest that does not boot). */
static void await(pid_t pid, const struct dks_tl_vm *vm, struct dks_tl_vm_result *res)
{
	double start = now();
	const struct timespec tick = {0, 20 * 1000 * 1000};
	bool spoke = false;

	for (;;) {
		pid_t w = waitpid(pid, &res->status, WNOHANG);
		double t = now() - start;

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (!res->interrupted && terminating()) {
			res->interrupted = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		if (!spoke && vm->start_bound && t >= vm->start_bound && !res->timed_out) {
			spoke = started(vm->workdir);
			res->never_started = !spoke;
		}
		if ((t >= vm->timeout || res->never_started) && !res->timed_out) {
			res->timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		nanosleep(&tick, NULL);
	}
	res->seconds = now() - start;
}

int dks_tl_vm_run(const struct dks_tl_vm *vm, struct dks_tl_vm_result *res,
		  struct dks_error *err)
{
	pid_t pid;

	*res = (struct dks_tl_vm_result){0};
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return dks_err(err, errno, "load test: fork");
	if (pid == 0) {
		sigset_t none;

		/* the caller's mask holds the terminating signals: not QEMU's */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (geteuid() == 0)
			confine_root(vm);
		else
			confine_user();
		stdio_to(vm->workdir);
		limits(vm);
		exec_qemu(vm);
	}
	setpgid(pid, pid);
	await(pid, vm, res);
	return 0;
}
