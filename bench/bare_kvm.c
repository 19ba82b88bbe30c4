// SPDX-License-Identifier: GPL-2.0
/*
 * bench_bare_kvm: the floor for VM start-up on this host. Creates a VM with
 * one 64K memory slot and one vCPU, runs three real-mode instructions
 * (xor, inc, hlt) and exits: no guest kernel, no page tables, no records.
 *
 * Prints one JSON line with CLOCK_MONOTONIC intervals measured from main():
 * to the first KVM_RUN ioctl and to the vCPU's KVM_EXIT_HLT.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define BARE_MEM  0x10000ULL
#define BARE_CODE 0x1000ULL

/* xor %ax,%ax; inc %ax; hlt */
static const uint8_t bare_code[] = {0x31, 0xc0, 0x40, 0xf4};

int main(void)
{
	struct kvm_userspace_memory_region slot;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint64_t t_main = now_ns(), t_run, t_exit;
	int kvm, vm, vcpu, run_size;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die(3, "bench_bare_kvm: cannot open /dev/kvm: %s\n", strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die(3, "bench_bare_kvm: KVM_CREATE_VM: %s\n", strerror(errno));
	mem = mmap(NULL, BARE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die(3, "bench_bare_kvm: mmap: %s\n", strerror(errno));
	memcpy(mem + BARE_CODE, bare_code, sizeof(bare_code));
	slot = (struct kvm_userspace_memory_region){.slot = 0,
						    .guest_phys_addr = 0,
						    .memory_size = BARE_MEM,
						    .userspace_addr = (uintptr_t)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot))
		die(3, "bench_bare_kvm: KVM_SET_USER_MEMORY_REGION: %s\n", strerror(errno));
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		die(3, "bench_bare_kvm: KVM_CREATE_VCPU: %s\n", strerror(errno));
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die(3, "bench_bare_kvm: mmap of kvm_run: %s\n", strerror(errno));

	/* Real mode at 0000:1000 (SDM Vol. 3A 9.1.4: CS base is selector << 4). */
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die(3, "bench_bare_kvm: KVM_GET_SREGS: %s\n", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die(3, "bench_bare_kvm: KVM_SET_SREGS: %s\n", strerror(errno));
	memset(&regs, 0, sizeof(regs));
	regs.rip = BARE_CODE;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die(3, "bench_bare_kvm: KVM_SET_REGS: %s\n", strerror(errno));

	t_run = now_ns();
	if (ioctl(vcpu, KVM_RUN, 0))
		die(3, "bench_bare_kvm: KVM_RUN: %s\n", strerror(errno));
	t_exit = now_ns();
	if (run->exit_reason != KVM_EXIT_HLT)
		die(4, "bench_bare_kvm: expected KVM_EXIT_HLT, got exit reason %u\n",
		    run->exit_reason);
	printf("{\"main_to_first_run_ns\":%" PRIu64 ",\"main_to_hlt_ns\":%" PRIu64 "}\n",
	       t_run - t_main, t_exit - t_main);
	return 0;
}
