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
#define PT_FLAGS_TABLE	(PTE_P | PTE_RW | PTE_US)

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

static uint64_t *table_at(struct vm *vm, gpa_t gpa)
{
	return vm__gpa_to_hva(vm, gpa & PTE_ADDR_MASK, SZ_4K);
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

/*
 * Map @va to @gpa at @level (1: 4K, 2: 2M, 3: 1G) in the 4-level tree at
 * @root, allocating tables from @next..@limit.
 */
static int map(struct vm *vm, gpa_t root, gva_t va, gpa_t gpa, int level, uint64_t flags,
	       gpa_t *next, gpa_t limit, uint32_t *nr_tables)
{
	uint64_t *t = table_at(vm, root);

	for (int l = 4; l > level; l--) {
		uint64_t *e = &t[pt_index(va, l)];

		if (!(*e & PTE_P)) {
			gpa_t n = boot_alloc(vm, next, limit);

			if (!n)
				return -ENOMEM;
			if (nr_tables)
				(*nr_tables)++;
			*e = n | PT_FLAGS_TABLE;
		} else if (*e & PTE_PS) {
			return -EEXIST;
		}
		t = table_at(vm, *e);
		if (!t)
			return -EFAULT;
	}
	t[pt_index(va, level)] = gpa | flags | (level > 1 ? PTE_PS : 0);
	return 0;
}

/* Kernel image at KERNEL_BASE + 2M and all of guest memory in the direct map, 2M pages. */
static int build_kernel_tables(struct vm *vm, char *err, size_t errlen)
{
	uint64_t kernel_span = vm->mem_size < SZ_1G ? vm->mem_size : SZ_1G;
	int ret = 0;

	vm->pt_next = MV_GPA_PT;
	vm->root_pt = boot_alloc(vm, &vm->pt_next, MV_GPA_PT_END);
	for (gpa_t pa = 0; !ret && pa < kernel_span; pa += SZ_2M)
		ret = map(vm, vm->root_pt, MV_KERNEL_BASE + pa, pa, 2, PT_FLAGS_KERNEL,
			  &vm->pt_next, MV_GPA_PT_END, NULL);
	for (gpa_t pa = 0; !ret && pa < vm->mem_size; pa += SZ_2M)
		ret = map(vm, vm->root_pt, MV_DIRECT_BASE + pa, pa, 2, PT_FLAGS_KERNEL | PTE_NX,
			  &vm->pt_next, MV_GPA_PT_END, NULL);
	/* The syscall trampoline: one user-executable 4K page (see workloads/kernel/entry.S). */
	if (!ret)
		ret = map(vm, vm->root_pt, MV_TRAMPOLINE, vm->khdr.syscall_entry - MV_KERNEL_BASE,
			  1, PTE_P | PTE_US | PTE_G, &vm->pt_next, MV_GPA_PT_END, NULL);
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
	uint64_t *t = table_at(vm, vm->root_pt);
	uint64_t *e = NULL;

	for (int l = 4; l >= 1 && t; l--) {
		e = &t[pt_index(va, l)];
		if (l > 1)
			t = (*e & PTE_P) ? table_at(vm, *e) : NULL;
	}
	if (!t || !e || !(*e & PTE_P)) {
		gpa_t f = boot_alloc(vm, &vm->user_next, vm->mem_size);
		int ret;

		if (!f)
			return -ENOMEM;
		ret = map(vm, vm->root_pt, va, f, 1, flags, &vm->user_next, vm->mem_size,
			  &vm->user_pt_pages);
		if (ret)
			return ret;
		*hva = vm__gpa_to_hva(vm, f, SZ_4K);
		return 0;
	}
	*e = (*e | (flags & (PTE_RW))) & ~((flags & PTE_NX) ? 0 : PTE_NX);
	*hva = vm__gpa_to_hva(vm, *e & PTE_ADDR_MASK, SZ_4K);
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
