// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Does KVM work here (orchestrator/testload.h)? A /dev/kvm that opens and
 * makes a VM is not enough: some hosts (a nested setup without
 * virtualisation extensions, an emulated device) accept every ioctl and
 * never run a guest instruction, and a load test there would only meet
 * its bound. So run one: a guest in real mode that writes 0x42 to port
 * 0x10 and halts; KVM works when KVM_RUN comes back with that I/O exit.
 * Otherwise the load test uses TCG.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dks/cleanup.h"
#include "testload.h"

#define GUEST_PORT 0x10
#define GUEST_VALUE 0x42

/* mov al, 0x42; out 0x10, al; hlt */
static const uint8_t guest_code[] = {0xb0, GUEST_VALUE, 0xe6, GUEST_PORT, 0xf4};

static bool setup_memory(int vm, void *mem)
{
	struct kvm_userspace_memory_region region = {
	    .slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000,
	    .userspace_addr = (uintptr_t)mem};

	memcpy(mem, guest_code, sizeof(guest_code));
	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) == 0;
}

static bool setup_cpu(int cpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rip = 0x1000, .rflags = 0x2};

	if (ioctl(cpu, KVM_GET_SREGS, &sregs) < 0)
		return false;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	return ioctl(cpu, KVM_SET_SREGS, &sregs) == 0 && ioctl(cpu, KVM_SET_REGS, &regs) == 0;
}

/* One KVM_RUN, bounded by an alarm: a host that never returns from it
 * must not hang us (the probe then says no). */
static bool run_guest(int kvm, int cpu)
{
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run;
	bool ok;

	if (size < (int)sizeof(*run))
		return false;
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED)
		return false;
	ok = ioctl(cpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO &&
	     run->io.direction == KVM_EXIT_IO_OUT && run->io.port == GUEST_PORT &&
	     run->io.size == 1 && *((uint8_t *)run + run->io.data_offset) == GUEST_VALUE;
	munmap(run, (size_t)size);
	return ok;
}

static void on_alarm(int sig)
{
	(void)sig;
}

bool dks_tl_kvm_works(void)
{
	cleanup_close int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	cleanup_close int vm = -1, cpu = -1;
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	void *mem;
	bool ok = false;

	if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
	    (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		return false;
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return false;
	if (setup_memory(vm, mem) && (cpu = ioctl(vm, KVM_CREATE_VCPU, 0)) >= 0 && setup_cpu(cpu)) {
		sigaction(SIGALRM, &sa, &old);
		alarm(2);
		ok = run_guest(kvm, cpu);
		alarm(0);
		sigaction(SIGALRM, &old, NULL);
	}
	munmap(mem, 0x1000);
	return ok;
}
