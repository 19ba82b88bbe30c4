// SPDX-License-Identifier: GPL-2.0
/*
 * KVM plumbing: the VM and vCPU file descriptors, guest RAM, CPUID, MSRs and
 * the long-mode register state the first process starts in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vmm/internal.h"

#define MSR_STAR	 0xc0000081
#define MSR_LSTAR	 0xc0000082
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_PAT		 0x277

static int open_kvm(struct vm *vm, char *err, size_t errlen)
{
	const char *path = vm->cfg.kvm_path ? vm->cfg.kvm_path : "/dev/kvm";
	int api;

	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			snprintf(err, errlen,
				 "%s not found: this host has no KVM; load kvm_intel or kvm_amd, "
				 "or run it in the lab: 'memvirt lab -- run ...' (real KVM under "
				 "QEMU)",
				 path);
		else if (e == EACCES || e == EPERM)
			snprintf(
				err, errlen,
				"permission denied opening %s: run as root or join the 'kvm' group",
				path);
		else
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: KVM API version %d, memvirt needs %d", path, api,
			 KVM_API_VERSION);
		return -ENOTSUP;
	}
	return 0;
}

/* Host memory behind guest RAM (backing.c), then its memory slot. */
static int setup_memory(struct vm *vm, enum vm_fail *fail, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region region = {0};
	int ret = backing_map(vm, err, errlen);

	if (ret) {
		*fail = VM_FAIL_BACKING;
		return ret;
	}
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = vm->mem_size;
	region.userspace_addr = (uint64_t)vm->mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		int e = errno;

		*fail = VM_FAIL_KVM;
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(e));
		return -e;
	}
	return 0;
}

/* 1G pages in the guest's tables need CPUID 80000001H:EDX bit 26 (SDM Vol. 3A, 4.1.4). */
static bool cpuid_has_1g(const struct kvm_cpuid2 *cpuid)
{
	for (unsigned i = 0; i < cpuid->nent; i++) {
		if (cpuid->entries[i].function == 0x80000001)
			return cpuid->entries[i].edx & (1u << 26);
	}
	return false;
}

static int setup_cpuid(struct vm *vm, enum vm_fail *fail, char *err, size_t errlen)
{
	int nent = 256, ret;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));

	*fail = VM_FAIL_SETUP;
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = nent;
	ret = ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
	if (ret == 0 && vm->cfg.wl.page_size == SZ_1G && !cpuid_has_1g(cpuid)) {
		snprintf(err, errlen,
			 "this host's KVM offers no 1G guest pages (CPUID 80000001H:EDX.Page1GB "
			 "is clear): use --page-size 2m");
		*fail = VM_FAIL_KVM_FEATURE;
		free(cpuid);
		return -ENOTSUP;
	}
	if (ret == 0)
		ret = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid);
	if (ret < 0) {
		ret = -errno;
		snprintf(err, errlen, "setting the guest CPUID: %s", strerror(-ret));
	}
	free(cpuid);
	return ret;
}

static int setup_msrs(struct vm *vm, char *err, size_t errlen)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[4];
	} m = {0};

	m.hdr.nmsrs = 4;
	/* syscall loads CS 0x10, SS 0x18; the sysret base 0x20 gives user CS 0x33 (HOST-NOTES). */
	m.e[0] = (struct kvm_msr_entry){.index = MSR_STAR,
					.data = (0x20ULL << 48) | ((uint64_t)MV_SEL_KCODE << 32)};
	m.e[1] = (struct kvm_msr_entry){.index = MSR_LSTAR, .data = MV_TRAMPOLINE};
	/* Clear TF, IF, DF, IOPL, AC, NT on syscall entry. */
	m.e[2] = (struct kvm_msr_entry){.index = MSR_SYSCALL_MASK, .data = 0x47700};
	m.e[3] = (struct kvm_msr_entry){.index = MSR_PAT, .data = 0x0007040600070406ULL};
	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != 4) {
		snprintf(err, errlen, "KVM_SET_MSRS: the host refused the syscall MSRs");
		return -EIO;
	}
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->dpl = sel & 3;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

/*
 * Start the vCPU directly at CPL3 in long mode: the VMM has built every
 * table, so the guest kernel runs only on traps and syscalls.
 */
int kvm_set_user_mode(struct vm *vm, gva_t rip, gva_t rsp, uint64_t rdi, char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {0};

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	set_seg(&sregs.cs, MV_SEL_UCODE, 0xb, true);
	set_seg(&sregs.ss, MV_SEL_UDATA, 0x3, false);
	set_seg(&sregs.ds, MV_SEL_UDATA, 0x3, false);
	set_seg(&sregs.es, MV_SEL_UDATA, 0x3, false);
	set_seg(&sregs.fs, MV_SEL_UDATA, 0x3, false);
	set_seg(&sregs.gs, MV_SEL_UDATA, 0x3, false);
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.selector = MV_SEL_TSS;
	sregs.tr.base = MV_DIRECT_BASE + MV_GPA_TSS;
	sregs.tr.limit = 0x67;
	sregs.tr.type = 0xb; /* 64-bit TSS, busy */
	sregs.tr.present = 1;
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.unusable = 1;
	sregs.gdt.base = MV_DIRECT_BASE + MV_GPA_GDT;
	sregs.gdt.limit = 10 * 8 - 1;
	sregs.idt.base = MV_DIRECT_BASE + MV_GPA_IDT;
	sregs.idt.limit = 32 * 16 - 1;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = vm->root_pt;
	sregs.cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	/* The guest cannot write EFER on this host: set it here (HOST-NOTES). */
	sregs.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		goto fail;
	/* The mode the guest walks use from now on (it cannot change CR0, CR4, EFER later). */
	vm_paging_capture(vm, &sregs);
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rdi = rdi;
	regs.rflags = 0x202;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "setting the vCPU registers: %s", strerror(errno));
	return -errno;
}

int kvm_setup_early(struct vm *vm, enum vm_fail *fail, char *err, size_t errlen)
{
	int ret = open_kvm(vm, err, errlen);

	*fail = VM_FAIL_NO_KVM;
	if (ret)
		return ret;
	*fail = VM_FAIL_KVM;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return ret;
	}
	ret = setup_memory(vm, fail, err, errlen);
	if (ret)
		return ret;
	*fail = VM_FAIL_KVM;
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
		return ret;
	}
	vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		ret = -errno;
		*fail = VM_FAIL_SETUP;
		snprintf(err, errlen, "mapping the vCPU run area: %s", strerror(errno));
		return ret;
	}
	return 0;
}

/* After the kernel image is loaded: CPUID, and the MSRs that point into the kernel. */
int kvm_setup_late(struct vm *vm, enum vm_fail *fail, char *err, size_t errlen)
{
	int ret = setup_cpuid(vm, fail, err, errlen);

	if (ret)
		return ret;
	return setup_msrs(vm, err, errlen);
}
