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
 * array of 2^18 page pointers (calloc'd on first use, so the host only backs
 * the parts that are touched), indexed by the low bits of the frame number.
 */
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

/* The frame's buffer or NULL; @pfn is below limit >> 12. */
static inline uint64_t *ptmem_page(const struct ptmem *m, uint64_t pfn)
{
	uint64_t **r = m->region[pfn >> PTMEM_REGION_SHIFT];

	return r ? r[pfn & (PTMEM_REGION_FRAMES - 1)] : NULL;
}

static inline int ptmem_read64(const struct ptmem *m, uint64_t pa, uint64_t *val)
{
	const uint64_t *page;

	if (pa >= m->limit || (pa & 7))
		return -EFAULT;
	page = ptmem_page(m, pa >> X86_PAGE_SHIFT);
	*val = page ? page[(pa & (X86_PAGE_SIZE - 1)) >> 3] : 0;
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
		if (page)
			__builtin_prefetch(page + ((pa & (X86_PAGE_SIZE - 1)) >> 3));
	} else if (mem->ops->prefetch) {
		mem->ops->prefetch(mem->ctx, pa);
	}
}

#endif
