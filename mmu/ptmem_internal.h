/* SPDX-License-Identifier: GPL-2.0 */
/* Private to mmu/: the layout of struct ptmem, so the simulator reads its entries inline. */
#ifndef MEMVIRT_MMU_PTMEM_INTERNAL_H
#define MEMVIRT_MMU_PTMEM_INTERNAL_H

#include <errno.h>

#include "mmu/mmu_internal.h"

#define PTMEM_REGION_SHIFT  18 /* frames per region: 2^18 (1 GiB of physical space) */
#define PTMEM_REGION_FRAMES (1ULL << PTMEM_REGION_SHIFT)

/*
 * Frames live in a two-level direct-indexed table: region[pfn >> 18] is an
 * array of 2^18 frame pointers (calloc'd on first use, so the host only backs
 * the parts that are touched), indexed by the low bits of the frame number.
 * A frame starts small, a list of its few non-zero entries (a pointer with bit 0
 * set, 64 bytes), and becomes a 4K page of 512 entries when it holds more: a
 * table that maps one page of a trace scattered over a large address space
 * costs 64 bytes, not 4K.
 */
#define PTMEM_SMALL 6
struct ptmem_small {
	uint16_t n;
	uint16_t idx[PTMEM_SMALL + 1];
	uint64_t val[PTMEM_SMALL];
};
struct ptmem {
	struct pt_mem mem;
	uint64_t limit;
	uint64_t next_alloc;
	ptmem_alloc_fn alloc;
	void *alloc_ctx;
	uint64_t ***region;
	size_t nregions, nframes;
	void **slabs;
	size_t nslabs, slab_used; /* bytes used in the newest slab */
};

extern const struct pt_mem_ops ptmem_ops;

/* The frame's buffer (a small one has bit 0 set) or NULL; @pfn is below limit >> 12. */
static inline uint64_t *ptmem_page(const struct ptmem *m, uint64_t pfn)
{
	uint64_t **r = m->region[pfn >> PTMEM_REGION_SHIFT];

	return r ? r[pfn & (PTMEM_REGION_FRAMES - 1)] : NULL;
}

static inline bool ptmem_is_small(const uint64_t *page)
{
	return (uintptr_t)page & 1;
}

static inline struct ptmem_small *ptmem_small_of(uint64_t *page)
{
	return (struct ptmem_small *)((uintptr_t)page & ~(uintptr_t)1);
}

/* Entry @i of a frame (0 for an absent frame or entry). */
static inline uint64_t ptmem_entry(uint64_t *page, unsigned i)
{
	const struct ptmem_small *sm;

	if (!ptmem_is_small(page))
		return page ? page[i] : 0;
	sm = ptmem_small_of(page);
	for (unsigned k = 0; k < sm->n; k++)
		if (sm->idx[k] == i)
			return sm->val[k];
	return 0;
}

static inline int ptmem_read64(const struct ptmem *m, uint64_t pa, uint64_t *val)
{
	if (pa >= m->limit || (pa & 7))
		return -EFAULT;
	*val = ptmem_entry(ptmem_page(m, pa >> X86_PAGE_SHIFT),
			   (unsigned)((pa & (X86_PAGE_SIZE - 1)) >> 3));
	return 0;
}

/* A read through @mem: inline for a struct ptmem, else through its ops. */
static inline int pt_mem_read64(const struct pt_mem *mem, uint64_t pa, uint64_t *val)
{
	if (mem->ops == &ptmem_ops)
		return ptmem_read64(mem->ctx, pa, val);
	return mem->ops->read64(mem->ctx, pa, val);
}

/* A write through @mem: direct for a struct ptmem, else through its ops. */
static inline int pt_mem_write64(const struct pt_mem *mem, uint64_t pa, uint64_t val)
{
	if (mem->ops == &ptmem_ops)
		return ptmem__write64(mem->ctx, pa, val);
	return mem->ops->write64(mem->ctx, pa, val);
}

/* A hint that @pa will be read soon, if @mem takes hints. */
static inline void pt_mem_prefetch(const struct pt_mem *mem, uint64_t pa)
{
	if (mem->ops == &ptmem_ops) {
		const struct ptmem *m = mem->ctx;
		const uint64_t *page;

		if (pa >= m->limit)
			return;
		page = ptmem_page(m, pa >> X86_PAGE_SHIFT);
		if (page && ptmem_is_small(page))
			__builtin_prefetch(ptmem_small_of((uint64_t *)page));
		else if (page)
			__builtin_prefetch(page + ((pa & (X86_PAGE_SIZE - 1)) >> 3));
	} else if (mem->ops->prefetch) {
		mem->ops->prefetch(mem->ctx, pa);
	}
}

#endif
