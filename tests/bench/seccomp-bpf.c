// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark helper: read syscall names (one per line, '#' comments) on
 * stdin and write on stdout a raw seccomp BPF program (for bwrap --seccomp)
 * that allows them, makes clone3 fail with ENOSYS (so that posix_spawn falls
 * back to clone) and every other call with EPERM. Non-native ABIs are
 * killed (libseccomp's bad-arch action). Names unknown to libseccomp are
 * skipped with a warning.
 *
 *   cc -o seccomp-bpf seccomp-bpf.c -lseccomp
 *   seccomp-bpf < allow.txt > filter.bpf
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	char line[256];
	int n = 0, rc;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));

	if (!ctx) {
		fprintf(stderr, "seccomp-bpf: seccomp_init failed\n");
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char *name = line + strspn(line, " \t");
		name[strcspn(name, " \t\r\n#")] = '\0';
		if (!*name || strcmp(name, "clone3") == 0)
			continue;
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "seccomp-bpf: unknown syscall %s, skipped\n", name);
			continue;
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0) {
			fprintf(stderr, "seccomp-bpf: %s: %s\n", name, strerror(-rc));
			return 1;
		}
		n++;
	}
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_export_bpf(ctx, 1);
	if (rc < 0) {
		fprintf(stderr, "seccomp-bpf: %s\n", strerror(-rc));
		return 1;
	}
	fprintf(stderr, "seccomp-bpf: %d syscalls allowed\n", n);
	seccomp_release(ctx);
	return 0;
}
