// SPDX-License-Identifier: GPL-2.0
/* Sparse simulated physical memory of 4K frames, a frame allocator, and the builder over it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mmu/ptmem_internal.h"

#define PTMEM_SLAB (2ULL << 20) /* frames come from 2M slabs the host can back with huge pages */

/* A zeroed buffer of @size (a divisor of 4K) carved from the current slab; freed with @m. */
static uint64_t *ptmem_buffer(struct ptmem *m, size_t size)
{
	void *slab;

	if (!m->nslabs || m->slab_used + size > PTMEM_SLAB) {
		void **v = realloc(m->slabs, (m->nslabs + 1) * sizeof(*v));

		if (!v)
			return NULL;
		m->slabs = v;
		slab = aligned_alloc(PTMEM_SLAB, PTMEM_SLAB);
		if (!slab)
			return NULL;
		madvise(slab, PTMEM_SLAB, MADV_HUGEPAGE);
		memset(slab, 0, PTMEM_SLAB);
		m->slabs[m->nslabs++] = slab;
		m->slab_used = 0;
	}
	slab = m->slabs[m->nslabs - 1];
	m->slab_used += size;
	return (uint64_t *)((char *)slab + m->slab_used - size);
}

/* The frame's slot, created empty (a small frame) on first use. */
static int ptmem_page_create(struct ptmem *m, uint64_t pfn, uint64_t ***out)
{
	uint64_t ***rp = &m->region[pfn >> PTMEM_REGION_SHIFT];
	uint64_t **slot;

	if (!*rp) {
		*rp = calloc(PTMEM_REGION_FRAMES, sizeof(**rp));
		if (!*rp)
			return -ENOMEM;
	}
	slot = &(*rp)[pfn & (PTMEM_REGION_FRAMES - 1)];
	if (!*slot) {
		uint64_t *sm = ptmem_buffer(m, sizeof(struct ptmem_small));

		if (!sm)
			return -ENOMEM;
		*slot = (uint64_t *)((uintptr_t)sm | 1);
		m->nframes++;
	}
	*out = slot;
	return 0;
}

/* Store entry @i of the frame in *@slot: in its small list while it fits, else in 4K. */
static int ptmem_store(struct ptmem *m, uint64_t **slot, unsigned i, uint64_t val)
{
	struct ptmem_small *sm;
	uint64_t *page;
	unsigned k;

	if (!ptmem_is_small(*slot)) {
		(*slot)[i] = val;
		return 0;
	}
	sm = ptmem_small_of(*slot);
	for (k = 0; k < sm->n && sm->idx[k] != i; k++)
		;
	if (k < sm->n || !val || sm->n < PTMEM_SMALL) {
		if (k == sm->n && !val)
			return 0; /* an absent entry is zero already */
		sm->idx[k] = (uint16_t)i;
		sm->val[k] = val;
		sm->n += k == sm->n;
		return 0;
	}
	page = ptmem_buffer(m, X86_PAGE_SIZE);
	if (!page)
		return -ENOMEM;
	for (k = 0; k < sm->n; k++)
		page[sm->idx[k]] = sm->val[k];
	page[i] = val;
	*slot = page; /* the small list stays in its slab, unused */
	return 0;
}

int ptmem__read64(struct ptmem *m, uint64_t pa, uint64_t *val)
{
	return ptmem_read64(m, pa, val);
}

int ptmem__write64(struct ptmem *m, uint64_t pa, uint64_t val)
{
	uint64_t **slot;
	int err;

	if (pa >= m->limit || (pa & 7))
		return -EFAULT;
	err = ptmem_page_create(m, pa >> X86_PAGE_SHIFT, &slot);
	if (err)
		return err;
	return ptmem_store(m, slot, (unsigned)((pa & (X86_PAGE_SIZE - 1)) >> 3), val);
}

static int ptmem_ops_read64(void *ctx, uint64_t pa, uint64_t *val)
{
	return ptmem__read64(ctx, pa, val);
}

static int ptmem_ops_write64(void *ctx, uint64_t pa, uint64_t val)
{
	return ptmem__write64(ctx, pa, val);
}

static void ptmem_ops_prefetch(void *ctx, uint64_t pa)
{
	pt_mem_prefetch(&((struct ptmem *)ctx)->mem, pa);
}

const struct pt_mem_ops ptmem_ops = {
	.read64 = ptmem_ops_read64,
	.write64 = ptmem_ops_write64,
	.prefetch = ptmem_ops_prefetch,
};

struct ptmem *ptmem__new(uint64_t limit, uint64_t alloc_base)
{
	struct ptmem *m;

	if (!limit || (alloc_base & (X86_PAGE_SIZE - 1)) || alloc_base >= limit) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->nregions = (size_t)(((limit - 1) >> X86_PAGE_SHIFT >> PTMEM_REGION_SHIFT) + 1);
	m->region = calloc(m->nregions, sizeof(*m->region));
	if (!m->region) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->mem.ops = &ptmem_ops;
	m->mem.ctx = m;
	m->limit = limit;
	m->next_alloc = alloc_base;
	return m;
}

void ptmem__free(struct ptmem *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nslabs; i++)
		free(m->slabs[i]);
	free(m->slabs);
	for (size_t i = 0; i < m->nregions; i++)
		free(m->region[i]);
	free(m->region);
	free(m);
}

const struct pt_mem *ptmem__mem(struct ptmem *m)
{
	return &m->mem;
}

void ptmem__set_alloc(struct ptmem *m, ptmem_alloc_fn fn, void *ctx)
{
	m->alloc = fn;
	m->alloc_ctx = ctx;
}

uint64_t ptmem__frames(const struct ptmem *m)
{
	return m->nframes;
}

int ptmem__alloc_frame(struct ptmem *m, uint64_t *pa)
{
	uint64_t **slot;
	int err;

	if (m->alloc) {
		err = m->alloc(m->alloc_ctx, pa);
		if (err)
			return err;
		if ((*pa & (X86_PAGE_SIZE - 1)) || *pa >= m->limit)
			return -EINVAL;
	} else {
		if (m->next_alloc + X86_PAGE_SIZE > m->limit)
			return -ENOMEM;
		*pa = m->next_alloc;
		m->next_alloc += X86_PAGE_SIZE;
	}
	err = ptmem_page_create(m, *pa >> X86_PAGE_SHIFT, &slot);
	if (err)
		return err;
	if (ptmem_is_small(*slot))
		ptmem_small_of(*slot)->n = 0;
	else
		memset(*slot, 0, X86_PAGE_SIZE);
	return 0;
}

int pt__new_root(struct ptmem *m, uint64_t *root)
{
	return ptmem__alloc_frame(m, root);
}

static int ptmem_alloc_table(void *ctx, uint64_t *pa)
{
	return ptmem__alloc_frame(ctx, pa);
}

/* The simulator's trees: remapping a page replaces its leaf. */
static struct pt_builder ptmem_builder(struct ptmem *m, uint64_t root, unsigned levels)
{
	return (struct pt_builder){
		.mem = &m->mem,
		.alloc = {.alloc = ptmem_alloc_table, .ctx = m},
		.root = root,
		.levels = levels,
		.replace = true,
	};
}

int pt__map(struct ptmem *m, uint64_t root, uint64_t va, uint64_t pa, enum page_size ps,
	    uint64_t flags, unsigned levels)
{
	struct pt_builder b = ptmem_builder(m, root, levels);

	if ((unsigned)ps >= PAGE_SIZES)
		return -EINVAL;
	return pt_build__map(&b, va, pa, page_size_bytes(ps), ps, flags, NULL);
}

int pt__map_range(struct ptmem *m, uint64_t root, uint64_t va, uint64_t pa, uint64_t len,
		  enum page_size ps, uint64_t flags, unsigned levels)
{
	struct pt_builder b = ptmem_builder(m, root, levels);

	return pt_build__map(&b, va, pa, len, ps, flags, NULL);
}

int pt__unmap(struct ptmem *m, uint64_t root, uint64_t va, unsigned levels)
{
	struct pt_builder b = ptmem_builder(m, root, levels);
	struct pt_slot at;
	int err = pt_build__lookup(&b, va, &at);

	if (err)
		return err;
	return ptmem__write64(m, at.addr, 0);
}
