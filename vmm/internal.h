/* SPDX-License-Identifier: GPL-2.0 */
/* Private state of the VMM, shared by its files. */
#ifndef MEMVIRT_VMM_INTERNAL_H
#define MEMVIRT_VMM_INTERNAL_H

#include <linux/kvm.h>

#include "vmm/vmm.h"

/*
 * The vCPU's paging mode as a guest walk needs it (SDM Vol. 3A §4.1): read
 * once from its sregs and CPUID before the first KVM_RUN, so a thread that
 * must not touch the running vCPU (the event drain thread) can walk too.
 */
struct vm_paging {
	bool on; /* 64-bit paging: CR0.PG, CR4.PAE, EFER.LMA */
	bool la57, wp, smep, smap, nxe;
	unsigned maxphyaddr; /* CPUID 0x80000008 EAX[7:0] */
};

struct vm {
	struct vm_config cfg;
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;	/* guest RAM: GPA 0 .. mem_size */
	void *map_base; /* the mapping behind mem (larger for THP alignment) */
	size_t map_size;
	int mem_fd; /* memfd backing, else -1 */
	uint64_t mem_size;
	FILE *console;
	uint64_t t_start_ns;
	/* From the kernel image. */
	struct mv_kernel_header khdr;
	gpa_t boot_info_gpa;
	gpa_t root_pt;	 /* first process's PML4 */
	gpa_t pt_next;	 /* boot allocator for kernel tables in [MV_GPA_PT, MV_GPA_PT_END) */
	gpa_t user_next; /* boot allocator for user frames and tables from MV_GPA_USER */
	uint32_t user_pt_pages;
	gva_t user_entry;
	struct evchan *evchan;	    /* the guest event channel, NULL when off */
	gpa_t pool_start, pool_end; /* the frame pool as the VMM gave it, before the guest ran */
	/* translate.c: set once before the first KVM_RUN, read-only afterwards. */
	struct vm_paging paging;
	int pagemap_fd, kpageflags_fd; /* /proc/self/pagemap, /proc/kpageflags; -1 if closed */
};

/* kvm.c: open KVM, the VM, guest RAM and the vCPU; then CPUID and MSRs. Set *@fail on error. */
int kvm_setup_early(struct vm *vm, enum vm_fail *fail, char *err, size_t errlen);
int kvm_setup_late(struct vm *vm, enum vm_fail *fail, char *err, size_t errlen);
int kvm_set_user_mode(struct vm *vm, gva_t rip, gva_t rsp, uint64_t rdi, char *err, size_t errlen);

/* boot.c */
struct elf_image;
int boot_build(struct vm *vm, const struct elf_image *kernel, const struct elf_image *program,
	       gva_t *rsp, gva_t *params, char *err, size_t errlen);

/* backing.c */
int backing_map(struct vm *vm, char *err, size_t errlen);
void backing_unmap(struct vm *vm);
void backing_discard(struct vm *vm, void *hva, uint64_t len);

/* stats.c */
int vm_read_stats(struct vm *vm, struct vm_result *res);

/* evring.c: the guest event channel (set up after boot_build, drained while running). */
int evchan_setup(struct vm *vm, char *err, size_t errlen);
void evchan_start(struct vm *vm);
void evchan_sync(struct vm *vm);
void evchan_stop(struct vm *vm, struct vm_result *res);
void evchan_free(struct vm *vm);

/*
 * translate.c: the one guest page-table walk of the VMM. vm_paging_capture
 * records the mode (kvm.c, after KVM_SET_SREGS) and opens pagemap and
 * kpageflags for the VM's life; vm_paging_release closes them.
 */
void vm_paging_capture(struct vm *vm, const struct kvm_sregs *sr);
void vm_paging_release(struct vm *vm);
/*
 * GVA -> GPA of @gva through the tables at @cr3 in paging mode @pg, checked
 * as an access of kind @acc (WALK_ACC_*), into @c (levels, GPA or fault; no
 * host side). Reads guest memory only, every table load bounds-checked, no
 * vCPU ioctl and no shared scratch state: safe from any thread while the
 * vCPU runs. 0 (c->gva_mapped says whether it translates) or -ENOTSUP
 * outside 64-bit paging.
 */
int vm__walk_cr3(struct vm *vm, const struct vm_paging *pg, uint64_t cr3, gva_t gva, unsigned acc,
		 struct vm_chain *c);
/* GPA -> slot -> HVA -> HPA of a mapped @c (pagemap, kpageflags); thread-safe. */
void vm__chain_host(struct vm *vm, struct vm_chain *c);

/*
 * populate.c: MV_MSG_POPULATE (docs/guest.md). The request is checked
 * against guest RAM @mem, the frame pool the VMM handed out and the vCPU's
 * CR3, with no other VM state, so a unit test can drive it over a plain
 * buffer. 0 with *@tables_used set, or -errno with one line in @why and
 * nothing written.
 */
struct populate_ctx {
	uint8_t *mem; /* guest RAM: GPA 0 .. mem_size */
	uint64_t mem_size;
	gpa_t pool_start, pool_end; /* data and table frames must lie here */
	uint64_t cr3;		    /* the vCPU's CR3 when the message arrived */
};
int populate_apply(const struct populate_ctx *ctx, const struct mv_populate *req,
		   uint64_t *tables_used, char *why, size_t why_len);

/* disasm.c */
void vm_describe_panic(const struct mv_panic *p, char *buf, size_t len);

#endif
