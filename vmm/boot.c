// SPDX-License-Identifier: GPL-2.0
/*
 * Building the guest before its first instruction: the kernel and program
 * images, GDT, IDT, TSS, the kernel's page tables, the first process's
 * address space and stack, and the boot information. Guest kernel code is
 * emulated on PVM hosts, so everything that can be built here is.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util.h"
#include "vmm/elf.h"
#include "vmm/internal.h"

#define PT_FLAGS_KERNEL (PTE_P | PTE_RW | PTE_G)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Guest memory at @gpa, @len bytes, or NULL when out of range. */
void *vm__gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len)
{
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->mem + gpa;
}

/* One 4K frame from a boot allocator; 0 when @limit is reached. */
static gpa_t boot_alloc(struct vm *vm, gpa_t *next, gpa_t limit)
{
	gpa_t a = *next;

	if (a + SZ_4K > limit || a + SZ_4K > vm->mem_size)
		return 0;
	*next = a + SZ_4K;
	return a; /* guest memory is fresh anonymous memory: already zero */
}

/* Where the boot tables come from: a boot allocator, counted in @count if set. */
struct boot_frames {
	struct vm *vm;
	gpa_t *next, limit;
	uint32_t *count;
};

static int boot_table(void *ctx, uint64_t *gpa)
{
	struct boot_frames *f = ctx;

	*gpa = boot_alloc(f->vm, f->next, f->limit);
	if (!*gpa)
		return -ENOMEM;
	if (f->count)
		(*f->count)++;
	return 0;
}

/* The first process's 4-level tree in guest RAM (@ram set up here), new tables from @f. */
static struct pt_builder boot_tree(struct vm *vm, struct pt_ram *ram, struct boot_frames *f)
{
	pt_ram__init(ram, vm->mem, vm->mem_size, NULL, NULL);
	return (struct pt_builder){
		.mem = pt_ram__mem(ram),
		.alloc = {.alloc = boot_table, .ctx = f},
		.root = vm->root_pt,
		.levels = 4,
	};
}

/* Kernel image at KERNEL_BASE + 2M and all of guest memory in the direct map, 2M pages. */
static int build_kernel_tables(struct vm *vm, char *err, size_t errlen)
{
	uint64_t kernel_span = vm->mem_size < SZ_1G ? vm->mem_size : SZ_1G;
	struct boot_frames f = {vm, &vm->pt_next, MV_GPA_PT_END, NULL};
	struct pt_builder b;
	struct pt_ram ram;
	int ret;

	vm->pt_next = MV_GPA_PT;
	vm->root_pt = boot_alloc(vm, &vm->pt_next, MV_GPA_PT_END);
	b = boot_tree(vm, &ram, &f);
	ret = pt_build__map(&b, MV_KERNEL_BASE, 0, align_up(kernel_span, SZ_2M), PAGE_2M,
			    PT_FLAGS_KERNEL, NULL);
	if (!ret)
		ret = pt_build__map(&b, MV_DIRECT_BASE, 0, align_up(vm->mem_size, SZ_2M), PAGE_2M,
				    PT_FLAGS_KERNEL | PTE_NX, NULL);
	/* The syscall trampoline: one user-executable 4K page (see workloads/kernel/entry.S). */
	if (!ret)
		ret = pt_build__map(&b, MV_TRAMPOLINE, vm->khdr.syscall_entry - MV_KERNEL_BASE,
				    SZ_4K, PAGE_4K, PTE_P | PTE_US | PTE_G, NULL);
	if (ret)
		snprintf(err, errlen,
			 "guest memory %llu MiB needs more kernel page tables than fit",
			 (unsigned long long)(vm->mem_size >> 20));
	return ret;
}

static void build_gdt_idt_tss(struct vm *vm)
{
	uint64_t *gdt = vm__gpa_to_hva(vm, MV_GPA_GDT, SZ_4K);
	uint64_t *idt = vm__gpa_to_hva(vm, MV_GPA_IDT, SZ_4K);
	uint8_t *tss = vm__gpa_to_hva(vm, MV_GPA_TSS, SZ_4K);
	uint64_t tss_base = MV_DIRECT_BASE + MV_GPA_TSS, limit = 0x67;

	/* Linux's layout, which this host requires (HOST-NOTES): SDM Vol. 3A, 3.4.5. */
	gdt[1] = 0x00cf9b000000ffffULL; /* 0x08 kernel CS32 */
	gdt[2] = 0x00af9b000000ffffULL; /* 0x10 kernel CS64 */
	gdt[3] = 0x00cf93000000ffffULL; /* 0x18 kernel DS */
	gdt[4] = 0x00cffb000000ffffULL; /* 0x23 user CS32 */
	gdt[5] = 0x00cff3000000ffffULL; /* 0x2b user DS */
	gdt[6] = 0x00affb000000ffffULL; /* 0x33 user CS64 */
	/* 0x40: 64-bit TSS descriptor, 16 bytes (SDM Vol. 3A, 8.2.3). */
	gdt[8] = (limit & 0xffff) | ((tss_base & 0xffffff) << 16) | (0x8bULL << 40) |
		 (((tss_base >> 24) & 0xff) << 56);
	gdt[9] = tss_base >> 32;

	/*
	 * 64-bit interrupt gates, kernel CS, DPL 0 (SDM Vol. 3A, 6.14.1); #DF on
	 * IST1, #UD (syscalls through the trampoline) on IST2.
	 */
	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = vm->khdr.vectors[v];
		uint64_t ist = v == 8 ? 1 : v == 6 ? 2 : 0;

		idt[2 * v] = (h & 0xffff) | ((uint64_t)MV_SEL_KCODE << 16) | (ist << 32) |
			     (0x8eULL << 40) | (((h >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = h >> 32;
	}

	/* TSS: RSP0 at offset 4, IST1 at 36, IST2 at 44, I/O map base at 102 (none). */
	memcpy(tss + 4, &vm->khdr.kstack_top, 8);
	memcpy(tss + 36, &vm->khdr.ist_stack_top, 8);
	memcpy(tss + 44, &vm->khdr.syscall_stack_top, 8);
	tss[102] = 104;
}

static bool kernel_gva_ok(gva_t va, uint64_t len)
{
	gva_t lo = MV_KERNEL_BASE + MV_GPA_KERNEL, hi = MV_KERNEL_BASE + MV_KERNEL_MAX;

	return va >= lo && va < hi && len <= hi - va;
}

static int load_kernel(struct vm *vm, const struct elf_image *img, char *err, size_t errlen)
{
	uint64_t hdr_addr, hdr_size;
	const struct mv_kernel_header *h;

	for (unsigned i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];
		uint8_t *dst;

		if (!kernel_gva_ok(s->vaddr, s->memsz)) {
			snprintf(err, errlen,
				 "kernel segment %u at 0x%llx+0x%llx lies outside the kernel area",
				 i, (unsigned long long)s->vaddr, (unsigned long long)s->memsz);
			return -EINVAL;
		}
		dst = vm__gpa_to_hva(vm, s->vaddr - MV_KERNEL_BASE, s->memsz);
		if (!dst || elf_segment_copy(img, i, dst, s->memsz)) {
			snprintf(err, errlen, "kernel segment %u does not fit guest memory", i);
			return -EINVAL;
		}
	}
	if (elf_find_section(img, ".mvhdr", &hdr_addr, &hdr_size) || hdr_size < sizeof(*h) ||
	    !kernel_gva_ok(hdr_addr, sizeof(*h))) {
		snprintf(err, errlen, "the kernel image has no valid .mvhdr section");
		return -EINVAL;
	}
	h = vm__gpa_to_hva(vm, hdr_addr - MV_KERNEL_BASE, sizeof(*h));
	memcpy(&vm->khdr, h, sizeof(*h));
	if (vm->khdr.magic != MV_KHDR_MAGIC || vm->khdr.abi_version != MV_ABI_VERSION ||
	    vm->khdr.nr_vectors != 32) {
		snprintf(err, errlen,
			 "kernel header: bad magic or ABI version %u (memvirt needs %u)",
			 vm->khdr.abi_version, MV_ABI_VERSION);
		return -EINVAL;
	}
	for (unsigned v = 0; v < 32; v++) {
		if (!kernel_gva_ok(vm->khdr.vectors[v], 1)) {
			snprintf(err, errlen, "kernel header: vector %u points outside the kernel",
				 v);
			return -EINVAL;
		}
	}
	if (!kernel_gva_ok(vm->khdr.syscall_entry, SZ_4K) ||
	    (vm->khdr.syscall_entry & (SZ_4K - 1)) ||
	    !kernel_gva_ok(vm->khdr.syscall_stack_top - 1, 1) ||
	    !kernel_gva_ok(vm->khdr.boot_info, sizeof(struct mv_boot_info)) ||
	    !kernel_gva_ok(vm->khdr.kstack_top - 1, 1) ||
	    !kernel_gva_ok(vm->khdr.ist_stack_top - 1, 1)) {
		snprintf(err, errlen,
			 "kernel header: an entry point or stack lies outside the kernel");
		return -EINVAL;
	}
	vm->boot_info_gpa = vm->khdr.boot_info - MV_KERNEL_BASE;
	return 0;
}

static uint64_t seg_pte_flags(uint32_t seg_flags)
{
	return PTE_P | PTE_US | ((seg_flags & ELF_SEG_W) ? PTE_RW : 0) |
	       ((seg_flags & ELF_SEG_X) ? 0 : PTE_NX);
}

/* Map one 4K user page, or widen its permissions if a previous segment shares it. */
static int user_page(struct vm *vm, gva_t va, uint64_t flags, uint8_t **hva)
{
	struct boot_frames f = {vm, &vm->user_next, vm->mem_size, &vm->user_pt_pages};
	struct pt_ram ram;
	struct pt_builder b = boot_tree(vm, &ram, &f);
	struct pt_slot at;
	uint64_t e;
	int ret = pt_build__lookup(&b, va, &at);

	if (ret == -ENOENT) {
		gpa_t frame = boot_alloc(vm, &vm->user_next, vm->mem_size);

		if (!frame)
			return -ENOMEM;
		ret = pt_build__map(&b, va, frame, SZ_4K, PAGE_4K, flags, NULL);
		if (ret)
			return ret;
		*hva = vm__gpa_to_hva(vm, frame, SZ_4K);
		return 0;
	}
	if (ret)
		return ret;
	if (at.level != 1)
		return -EEXIST; /* the user image has no large pages */
	e = (at.entry | (flags & PTE_RW)) & ~((flags & PTE_NX) ? 0 : PTE_NX);
	ret = pt_ram__write64(&ram, at.addr, e);
	if (ret)
		return ret;
	*hva = vm__gpa_to_hva(vm, e & PTE_ADDR_MASK, SZ_4K);
	return *hva ? 0 : -EFAULT;
}

static int load_program(struct vm *vm, const struct elf_image *img, char *err, size_t errlen)
{
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];
		uint64_t flags = seg_pte_flags(s->flags);

		if (s->vaddr < MV_USER_IMAGE_MIN || s->vaddr >= MV_USER_IMAGE_MAX ||
		    s->memsz > MV_USER_IMAGE_MAX - s->vaddr) {
			snprintf(err, errlen,
				 "program segment %u at 0x%llx+0x%llx lies outside 0x%llx..0x%llx",
				 i, (unsigned long long)s->vaddr, (unsigned long long)s->memsz,
				 MV_USER_IMAGE_MIN, MV_USER_IMAGE_MAX);
			return -EINVAL;
		}
		for (gva_t pg = s->vaddr & ~(SZ_4K - 1); pg < s->vaddr + s->memsz; pg += SZ_4K) {
			gva_t lo = pg > s->vaddr ? pg : s->vaddr;
			gva_t hi = pg + SZ_4K < s->vaddr + s->filesz ? pg + SZ_4K
								     : s->vaddr + s->filesz;
			uint8_t *hva;

			if (user_page(vm, pg, flags, &hva)) {
				snprintf(err, errlen,
					 "guest memory too small for the program image");
				return -ENOMEM;
			}
			if (hi > lo)
				memcpy(hva + (lo - pg), img->data + s->offset + (lo - s->vaddr),
				       hi - lo);
		}
	}
	vm->user_entry = img->entry;
	return 0;
}

/* The user stack with the parameter block at its top; returns the initial RSP. */
static int build_stack(struct vm *vm, gva_t *rsp, gva_t *params_gva)
{
	uint64_t flags = PTE_P | PTE_US | PTE_RW | PTE_NX;
	const struct wl_params *p = &vm->cfg.wl;
	struct mv_params mp = {
		.magic = MV_PARAMS_MAGIC,
		.kind = p->kind,
		.nproc = p->nproc,
		.flags = p->populate ? MV_PARAMS_POPULATE : 0,
		.footprint = p->footprint,
		.iters = p->iters,
		.page_size = p->page_size,
		.seed = p->seed,
		.stride = p->stride,
	};
	uint8_t *top = NULL;

	for (gva_t va = MV_STACK_TOP - MV_STACK_SIZE; va < MV_STACK_TOP; va += SZ_4K) {
		if (user_page(vm, va, flags, &top))
			return -ENOMEM;
	}
	/* @top is the last page mapped: MV_STACK_TOP - 4K. */
	*params_gva = MV_STACK_TOP - 256;
	memcpy(top + SZ_4K - 256, &mp, sizeof(mp));
	*rsp = MV_STACK_TOP - 512;
	return 0;
}

int boot_build(struct vm *vm, const struct elf_image *kernel, const struct elf_image *program,
	       gva_t *rsp, gva_t *params, char *err, size_t errlen)
{
	struct mv_boot_info *bi;
	int ret, khz;

	ret = load_kernel(vm, kernel, err, errlen);
	if (ret)
		return ret;
	ret = build_kernel_tables(vm, err, errlen);
	if (ret)
		return ret;
	build_gdt_idt_tss(vm);
	vm->user_next = MV_GPA_USER;
	ret = load_program(vm, program, err, errlen);
	if (ret)
		return ret;
	if (build_stack(vm, rsp, params)) {
		snprintf(err, errlen, "guest memory too small for the user stack");
		return -ENOMEM;
	}
	bi = vm__gpa_to_hva(vm, vm->boot_info_gpa, sizeof(*bi));
	bi->mem_size = vm->mem_size;
	bi->pool_start = align_up(vm->user_next, SZ_4K);
	bi->pool_end = vm->mem_size;
	bi->root_pt = vm->root_pt;
	khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	bi->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	bi->nr_pt_pages = vm->user_pt_pages + 1;
	return 0;
}
