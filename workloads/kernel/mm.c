// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory management: the frame allocator (GPA), 4-level page tables
 * (GVA -> GPA), demand paging and the mmap family. Every path here may run
 * under KVM's emulator on PVM hosts, so loops are short and bounded.
 */
#include "kernel.h"

#define MAX_FREE_RANGES 128
#define USER_TOP	0x800000000000ULL
#define STACK_VMA_SIZE	0x800000ULL
#define FLUSH_CEILING	33

/*
 * Free guest physical memory. Freed frames are handed back to the VMM
 * (MV_MSG_DISCARD), which drops their host pages: they read as zero when
 * reused, so the kernel never zeroes memory under emulation.
 */
struct range {
	uint64_t start, end;
};

static uint64_t pool_next;
static struct range free_ranges[MAX_FREE_RANGES];
static int nr_free;

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void range_add(uint64_t start, uint64_t end)
{
	for (int i = 0; i < nr_free; i++) {
		struct range *r = &free_ranges[i];

		if (r->end == start || r->start == end) {
			r->start = r->start < start ? r->start : start;
			r->end = r->end > end ? r->end : end;
			return;
		}
	}
	/* Simplification: with the table full, the frames are leaked, never reused. */
	if (nr_free < MAX_FREE_RANGES)
		free_ranges[nr_free++] = (struct range){start, end};
}

/* Take an @align-aligned block out of a free range, splitting it. */
static uint64_t range_take(uint64_t size, uint64_t align)
{
	for (int i = 0; i < nr_free; i++) {
		struct range r = free_ranges[i];
		uint64_t a = align_up(r.start, align);

		if (a < r.start || a + size > r.end || a + size < a)
			continue;
		free_ranges[i] = free_ranges[--nr_free];
		if (a > r.start)
			range_add(r.start, a);
		if (a + size < r.end)
			range_add(a + size, r.end);
		return a;
	}
	return 0;
}

/*
 * A zero-filled block of @size bytes aligned to @align (a power of two), or
 * 0. Zero-filled because the pool's frames are either untouched since boot
 * (fresh host memory) or were freed and discarded (MV_MSG_DISCARD) before
 * frame_free's caller returned to user mode.
 */
uint64_t frame_alloc_aligned(uint64_t size, uint64_t align)
{
	uint64_t a;

	if (!pool_next)
		pool_next = boot_info.pool_start;
	a = nr_free ? range_take(size, align) : 0;
	if (!a) {
		a = align_up(pool_next, align);
		if (a < pool_next || a + size > boot_info.pool_end || a + size < a)
			return 0;
		if (a > pool_next)
			range_add(pool_next, a);
		pool_next = a + size;
	}
	kstats.frames_used += size / X86_PAGE_SIZE;
	return a;
}

/* A zero-filled, size-aligned block of guest physical memory, or 0. */
uint64_t frame_alloc(uint64_t size)
{
	return frame_alloc_aligned(size, size);
}

/* Give back frames that were allocated and never written: no discard needed. */
static void frame_release_clean(uint64_t gpa, uint64_t size)
{
	if (!size)
		return;
	range_add(gpa, gpa + size);
	kstats.frames_used -= size / X86_PAGE_SIZE;
}

static uint64_t discard[2 * MV_DISCARD_MAX];
static int nr_discard;

/* Send the queued discards; the frames may be reused once this returns. */
void frame_discard_flush(void)
{
	if (nr_discard)
		send_discard(discard, nr_discard);
	nr_discard = 0;
}

void frame_free(uint64_t gpa, uint64_t size)
{
	range_add(gpa, gpa + size);
	kstats.frames_used -= size / X86_PAGE_SIZE;
	if (nr_discard && discard[2 * nr_discard - 2] + discard[2 * nr_discard - 1] == gpa) {
		discard[2 * nr_discard - 1] += size;
		return;
	}
	if (nr_discard == MV_DISCARD_MAX)
		frame_discard_flush();
	discard[2 * nr_discard] = gpa;
	discard[2 * nr_discard + 1] = size;
	nr_discard++;
}

/* Entry for @va at @level, creating tables above it when @create. */
static uint64_t *pt_entry(uint64_t cr3, uint64_t va, int level, int create)
{
	uint64_t *table = phys_to_virt(cr3 & PTE_ADDR_MASK);

	for (int l = 4; l > level; l--) {
		uint64_t *e = &table[pt_index(va, l)];

		if (!(*e & PTE_P)) {
			uint64_t t;

			if (!create || !(t = frame_alloc(X86_PAGE_SIZE)))
				return 0;
			kstats.pt_pages++;
			*e = t | PTE_P | PTE_RW | PTE_US;
		} else if (*e & PTE_PS) {
			return 0;
		}
		table = phys_to_virt(*e & PTE_ADDR_MASK);
	}
	return &table[pt_index(va, level)];
}

/*
 * The last level-1 table a 4K mapping went into, keyed by address space and
 * 2M region. Page-table pages are never freed, so a cached table stays
 * valid; consecutive demand faults then skip the walk from the root, which
 * matters because every kernel instruction is emulated on PVM hosts.
 */
static struct {
	uint64_t cr3, region;
	uint64_t *table;
} last_pt;

int pt_map(uint64_t cr3, uint64_t va, uint64_t gpa, uint64_t page_size, uint64_t flags)
{
	int level = (int)leaf_level(page_size);
	uint64_t *e;

	if (level == 1 && last_pt.table && last_pt.cr3 == cr3 &&
	    last_pt.region == va >> pt_level_shift(2)) {
		e = &last_pt.table[pt_index(va, 1)];
	} else {
		e = pt_entry(cr3, va, level, 1);
		if (!e)
			return -ENOMEM;
		if (level == 1)
			last_pt = (typeof(last_pt)){cr3, va >> pt_level_shift(2),
						    e - pt_index(va, 1)};
	}
	*e = gpa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
	return 0;
}

uint64_t *pt_lookup(uint64_t cr3, uint64_t va, uint64_t *page_size)
{
	uint64_t *table = phys_to_virt(cr3 & PTE_ADDR_MASK);

	for (int l = 4; l >= 1; l--) {
		uint64_t *e = &table[pt_index(va, l)];

		if (!(*e & PTE_P))
			return 0;
		if (l == 1 || (l <= 3 && (*e & PTE_PS))) {
			*page_size = pt_level_size(l);
			return e;
		}
		table = phys_to_virt(*e & PTE_ADDR_MASK);
	}
	return 0;
}

/* Used VMAs are packed at the front of p->vmas; the kernel path stays short. */
static struct vma *find_vma(struct proc *p, uint64_t va)
{
	static struct vma stack = {MV_STACK_TOP - STACK_VMA_SIZE, MV_STACK_TOP, X86_PAGE_SIZE,
				   MV_PROT_READ | MV_PROT_WRITE};

	for (int i = 0; i < p->nr_vmas; i++) {
		struct vma *v = &p->vmas[i];

		if (va >= v->start && va < v->end)
			return v;
	}
	/* Every process may grow its stack downward within STACK_VMA_SIZE. */
	return va >= stack.start && va < stack.end ? &stack : 0;
}

static uint64_t prot_flags(uint32_t prot)
{
	return PTE_US | ((prot & MV_PROT_WRITE) ? PTE_RW : 0) |
	       ((prot & MV_PROT_EXEC) ? 0 : PTE_NX);
}

/* Demand paging: 0 when the fault was resolved, -EFAULT for a real fault. */
int handle_page_fault(struct mv_regs *regs, uint64_t cr2)
{
	struct vma *v = find_vma(current, cr2);
	uint64_t err = regs->error, base, gpa;

	if (!v || (err & PF_ERR_P) || ((err & PF_ERR_W) && !(v->prot & MV_PROT_WRITE)) ||
	    ((err & PF_ERR_I) && !(v->prot & MV_PROT_EXEC)))
		return -EFAULT;
	base = cr2 & ~(v->page_size - 1);
	gpa = frame_alloc(v->page_size);
	if (!gpa)
		panic(MV_PANIC_OOM, regs, cr2);
	if (pt_map(current->cr3, base, gpa, v->page_size, prot_flags(v->prot)))
		panic(MV_PANIC_OOM, regs, cr2);
	kstats.page_faults++;
	ev_emit(MV_EV_WORD0(MV_EV_FAULT, page_shift(v->page_size), err), cr2, regs->rip, gpa,
		current->cr3);
	return 0;
}

/* Tables a mapping of [va, va + len) may need below the root: one per level-k region it spans. */
static uint64_t tables_bound(uint64_t va, uint64_t len, uint64_t page_size)
{
	uint64_t n = 0;

	for (unsigned k = leaf_level(page_size); k <= 3; k++) {
		unsigned s = pt_level_shift(k + 1);

		n += ((va + len - 1) >> s) - (va >> s) + 1;
	}
	return n;
}

#define POPULATE_MAX_MSGS 16

/*
 * MV_MAP_POPULATE: map [va, va + len) now. The kernel only reserves frames,
 * one contiguous run when the pool has it, and the tables the mapping may
 * need, and sends one MV_MSG_POPULATE; the VMM writes the entries natively.
 * So the emulated kernel does a fixed amount of work per mapping, not per
 * page. With a fragmented pool the range goes in a few smaller runs; what
 * still does not fit is left to demand paging.
 */
static void populate(uint64_t va, uint64_t len, uint64_t page_size, uint32_t prot)
{
	uint64_t flags = prot_flags(prot) | PTE_P | PTE_A | ((prot & MV_PROT_WRITE) ? PTE_D : 0);

	for (int msgs = 0; len && msgs < POPULATE_MAX_MSGS; msgs++) {
		uint64_t chunk = len, data, tables, nt, used;

		while (!(data = frame_alloc_aligned(chunk, page_size))) {
			chunk = (chunk / 2) & ~(page_size - 1);
			if (!chunk)
				return;
		}
		nt = tables_bound(va, chunk, page_size);
		tables = frame_alloc_aligned(nt * X86_PAGE_SIZE, X86_PAGE_SIZE);
		if (!tables) {
			frame_release_clean(data, chunk);
			return;
		}
		used = send_populate(&(struct mv_populate){current->cr3, va, chunk, page_size,
							   flags, data, tables, nt, 0});
		if (used > nt)
			panic(MV_PANIC_ASSERT, 0, va);
		frame_release_clean(tables + used * X86_PAGE_SIZE, (nt - used) * X86_PAGE_SIZE);
		kstats.pt_pages += used;
		kstats.populated += chunk / page_size;
		va += chunk;
		len -= chunk;
	}
}

long sys_mmap(uint64_t len, uint64_t page_size, uint64_t prot)
{
	struct proc *p = current;
	uint64_t addr;

	if (page_size != X86_PAGE_SIZE && page_size != SZ_2M && page_size != SZ_1G)
		return -EINVAL;
	if (!len || len > MV_MMAP_END - MV_MMAP_BASE || (prot & ~(MV_PROT_MASK | MV_MAP_POPULATE)))
		return -EINVAL;
	len = align_up(len, page_size);
	addr = align_up(p->mmap_next, page_size);
	if (addr + len > MV_MMAP_END)
		return -ENOMEM;
	if (p->nr_vmas >= MAX_VMAS)
		return -ENOMEM;
	p->vmas[p->nr_vmas++] =
		(struct vma){addr, addr + len, page_size, (uint32_t)(prot & MV_PROT_MASK)};
	p->mmap_next = addr + len;
	kstats.maps++;
	ev_emit(MV_EV_WORD0(MV_EV_MAP, page_shift(page_size), prot & MV_PROT_MASK), addr, len,
		p->cr3, 0);
	if (prot & MV_MAP_POPULATE)
		populate(addr, len, page_size, (uint32_t)(prot & MV_PROT_MASK));
	return (long)addr;
}

/* Simplification: munmap and mprotect take whole mappings only; page-table pages stay. */
static struct vma *whole_vma(uint64_t addr, uint64_t len)
{
	struct vma *v = find_vma(current, addr);

	if (!v || v->start != addr || v->end != addr + align_up(len, v->page_size) ||
	    v->start >= MV_STACK_TOP - STACK_VMA_SIZE)
		return 0;
	return v;
}

/*
 * Invalidate the pages of [start, end): one invlpg each for a few pages, a
 * CR3 reload (which keeps global kernel entries) beyond that, as Linux does
 * above its single-page flush ceiling.
 */
static void flush_range(uint64_t start, uint64_t end, uint64_t page_size)
{
	if ((end - start) / page_size > FLUSH_CEILING) {
		write_cr3(current->cr3);
		kstats.cr3_flushes++;
		ev_emit(MV_EV_WORD0(MV_EV_TLB_FLUSH, 0, 1), 0, current->cr3, 0, 0);
		return;
	}
	for (uint64_t va = start; va < end; va += page_size) {
		invlpg(va);
		kstats.invlpg++;
		ev_emit(MV_EV_WORD0(MV_EV_TLB_FLUSH, 0, 0), va, current->cr3, 0, 0);
	}
}

/* Clear the leaf entries of one mapping, walking each last-level table once. */
static void unmap_range(uint64_t start, uint64_t end, uint64_t page_size)
{
	int level = (int)leaf_level(page_size);
	uint64_t span = page_size * 512;

	for (uint64_t va = start; va < end;) {
		uint64_t *first = pt_entry(current->cr3, va, level, 0);
		uint64_t stop = (va & ~(span - 1)) + span;

		if (stop > end || stop < va)
			stop = end;
		for (uint64_t *e = first; va < stop; va += page_size, e = e ? e + 1 : 0) {
			if (!e || !(*e & PTE_P))
				continue;
			frame_free(*e & PTE_ADDR_MASK & ~(page_size - 1), page_size);
			*e = 0;
		}
	}
}

long sys_munmap(uint64_t addr, uint64_t len)
{
	struct proc *p = current;
	struct vma *v = whole_vma(addr, len);

	if (!v)
		return -EINVAL;
	ev_emit(MV_EV_WORD0(MV_EV_UNMAP, page_shift(v->page_size), 0), v->start, v->end - v->start,
		p->cr3, 0);
	unmap_range(v->start, v->end, v->page_size);
	flush_range(v->start, v->end, v->page_size);
	frame_discard_flush();
	*v = p->vmas[--p->nr_vmas];
	kstats.unmaps++;
	return 0;
}

long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot)
{
	struct vma *v = whole_vma(addr, len);

	if (!v)
		return -EINVAL;
	v->prot = (uint32_t)prot;
	ev_emit(MV_EV_WORD0(MV_EV_PROTECT, page_shift(v->page_size), prot), v->start,
		v->end - v->start, current->cr3, 0);
	for (uint64_t va = v->start; va < v->end; va += v->page_size) {
		uint64_t ps, *e = pt_lookup(current->cr3, va, &ps);

		if (e)
			*e = (*e & ~(PTE_RW | PTE_NX)) | prot_flags(v->prot);
	}
	flush_range(v->start, v->end, v->page_size);
	kstats.protects++;
	return 0;
}

int user_range_ok(uint64_t addr, uint64_t len, int write)
{
	uint64_t end = addr + len;

	if (end < addr || end > USER_TOP)
		return 0;
	for (uint64_t va = addr & ~(X86_PAGE_SIZE - 1); va < end; va += X86_PAGE_SIZE) {
		uint64_t ps, *e = pt_lookup(current->cr3, va, &ps);

		if (!e || !(*e & PTE_US) || (write && !(*e & PTE_RW)))
			return 0;
	}
	return 1;
}

/* A new PML4 sharing the program image (slot 0) and the kernel half. */
uint64_t new_address_space(void)
{
	uint64_t root = frame_alloc(X86_PAGE_SIZE);
	uint64_t *dst, *src;

	if (!root)
		return 0;
	kstats.pt_pages++;
	dst = phys_to_virt(root);
	src = phys_to_virt(procs[0].cr3);
	dst[0] = src[0];
	for (int i = 256; i < 512; i++)
		dst[i] = src[i];
	return root;
}
