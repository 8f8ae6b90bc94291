// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host-deny set: syscalls that reach kernel state the host shares
 * with the sandbox (keyrings, mounts, other namespaces, kernel programs,
 * the kernel's log and clock, file handles, notifications on host files).
 * No profile may list them (profile.c refuses it with the file and line),
 * seccomp.c never allows them, and the sandbox's init answers them with
 * EPERM in every mode: a profile in log mode (debug) reports and lets
 * through what it does not allow, never these. A build needs none of them.
 *
 * docs/security.md lists the set with the reason for each group.
 */
#include <seccomp.h>
#include <string.h>

#include "internal.h"

/* One line per group, each with its reason. */
/* clang-format off */
const char *const dks_profile_host_denied[] = {
	/* Keyrings are per user and per session, not per namespace: a key
	 * of the caller's or of the build uid's other processes. */
	"keyctl", "add_key", "request_key",
	/* The mount family: a way back to the host's tree. */
	"mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
	"fspick", "open_tree", "move_mount", "mount_setattr",
	/* Other namespaces and other processes' memory. */
	"unshare", "setns", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
	/* Code or queues run by the kernel itself: the largest attack surface. */
	"bpf", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
	"perf_event_open", "lookup_dcookie",
	/* Modules, kexec, power, swap, I/O ports. */
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"reboot", "swapon", "swapoff", "iopl", "ioperm",
	/* The kernel's log, process accounting, quotas and clock: host-wide. */
	"syslog", "acct", "quotactl", "quotactl_fd", "settimeofday", "clock_settime",
	"clock_adjtime", "adjtimex",
	/* File handles open any inode of a filesystem, past every mount. */
	"open_by_handle_at", "name_to_handle_at",
	/* Watches on host files (the /usr bind) report the host's activity. */
	"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"fanotify_init", "fanotify_mark",
	NULL};
/* clang-format on */

bool dks_profile_host_denied_has(const char *name)
{
	for (int i = 0; dks_profile_host_denied[i]; i++)
		if (strcmp(dks_profile_host_denied[i], name) == 0)
			return true;
	return false;
}

bool dks_seccomp_host_denied_nr(int nr)
{
	for (int i = 0; dks_profile_host_denied[i]; i++)
		if (seccomp_syscall_resolve_name(dks_profile_host_denied[i]) == nr)
			return true;
	return false;
}
