// SPDX-License-Identifier: GPL-2.0
/* The page-table builder over any table memory and frame allocator, and flat table memory. */
#include <errno.h>

#include "mmu/ptmem_internal.h"

/* Intermediate entries: present, writable, user, so only the leaf restricts access. */
#define PT_TABLE_FLAGS (PTE_P | PTE_RW | PTE_US)

/* ------------------------------------------------------------------------------------------ */
/* Flat table memory. */

static int pt_ram_check(const struct pt_ram *r, uint64_t pa)
{
	if (pa & 7)
		return -EINVAL;
	if (pa >= r->size || r->size - pa < 8)
		return -EFAULT;
	if (r->table_ok && !r->table_ok(r->ctx, pa & ~X86_PAGE_MASK))
		return -EFAULT;
	return 0;
}

int pt_ram__read64(const struct pt_ram *r, uint64_t pa, uint64_t *val)
{
	int err = pt_ram_check(r, pa);

	if (err)
		return err;
	*val = __atomic_load_n((const uint64_t *)(r->base + pa), __ATOMIC_RELAXED);
	return 0;
}

int pt_ram__write64(const struct pt_ram *r, uint64_t pa, uint64_t val)
{
	int err = pt_ram_check(r, pa);

	if (err)
		return err;
	__atomic_store_n((uint64_t *)(r->base + pa), val, __ATOMIC_RELAXED);
	return 0;
}

static int pt_ram_ops_read64(void *ctx, uint64_t pa, uint64_t *val)
{
	return pt_ram__read64(ctx, pa, val);
}

static int pt_ram_ops_write64(void *ctx, uint64_t pa, uint64_t val)
{
	return pt_ram__write64(ctx, pa, val);
}

static const struct pt_mem_ops pt_ram_ops = {
	.read64 = pt_ram_ops_read64,
	.write64 = pt_ram_ops_write64,
};

void pt_ram__init(struct pt_ram *r, void *base, uint64_t size,
		  bool (*table_ok)(void *ctx, uint64_t table), void *ctx)
{
	*r = (struct pt_ram){
		.mem = {.ops = &pt_ram_ops, .ctx = r},
		.base = base,
		.size = size,
		.table_ok = table_ok,
		.ctx = ctx,
	};
}

const struct pt_mem *pt_ram__mem(const struct pt_ram *r)
{
	return &r->mem;
}

/* ------------------------------------------------------------------------------------------ */
/* The builder. */

enum pt_descent {
	PT_MAKE,  /* make missing tables */
	PT_COUNT, /* count the tables that would be made, stop at the first missing one */
	PT_FIND,  /* stop at the first missing table */
};

/* A dry run's count of new tables, each counted once although several spans need it. */
struct pt_plan {
	uint64_t tables;
	uint64_t last[PT_MAX_LEVELS + 1]; /* per level: 1 + number of the last table counted */
};

static int stop(struct pt_slot *at, enum pt_stop why, int err, uint64_t va, unsigned level,
		uint64_t table, uint64_t addr, uint64_t entry)
{
	*at = (struct pt_slot){why, va, level, table, addr, entry};
	return err;
}

/*
 * A missing entry at @level + 1 means new tables at @level down to @leaf for
 * @va. The table at level l covering @va is numbered by the address bits
 * above the ones it translates; the plan walks addresses upward, so a table
 * already counted is the last one of its level.
 */
static void plan_count(struct pt_plan *p, uint64_t va, unsigned level, unsigned leaf)
{
	for (unsigned l = level; l >= leaf; l--) {
		uint64_t id = (va >> pt_level_shift(l + 1)) + 1;

		if (p->last[l] != id) {
			p->last[l] = id;
			p->tables++;
		}
	}
}

/* From the root down to the table holding @va's entry at level @leaf, into *table. */
static int descend(const struct pt_builder *b, uint64_t va, unsigned leaf, enum pt_descent how,
		   struct pt_plan *plan, uint64_t *table, struct pt_slot *at)
{
	uint64_t t = b->root, ea, e, frame;
	int err;

	for (unsigned level = b->levels; level > leaf; level--) {
		ea = t + 8 * pt_index(va, level);
		err = pt_mem_read64(b->mem, ea, &e);
		if (err)
			return stop(at, PT_STOP_FAULT, err, va, level, t, ea, 0);
		if (e & PTE_P) {
			/* PS in a PML4E or PML5E is reserved: a conflict all the same. */
			if (e & PTE_PS)
				return stop(at, PT_STOP_HUGE, -EEXIST, va, level, t, ea, e);
			t = e & PTE_ADDR_MASK;
			continue;
		}
		if (how == PT_COUNT)
			plan_count(plan, va, level - 1, leaf);
		if (how != PT_MAKE)
			return stop(at, PT_STOP_ABSENT, -ENOENT, va, level, t, ea, e);
		err = b->alloc.alloc ? b->alloc.alloc(b->alloc.ctx, &frame) : -ENOMEM;
		if (!err && (frame & ~PTE_ADDR_MASK))
			err = -EINVAL;
		if (err)
			return stop(at, PT_STOP_ALLOC, err, va, level, t, ea, e);
		err = pt_mem_write64(b->mem, ea, frame | PT_TABLE_FLAGS);
		if (err)
			return stop(at, PT_STOP_FAULT, err, va, level, t, ea, 0);
		t = frame;
	}
	*table = t;
	return 0;
}

/* The leaf entry for @pa at @leaf (SDM Vol. 3A §4.5): P, and PS and PAT placed for 2M and 1G. */
static uint64_t leaf_entry(uint64_t pa, uint64_t flags, unsigned leaf)
{
	if (leaf == 1)
		return pa | (flags & ~PTE_ADDR_MASK) | PTE_P;
	return pa | (flags & ~(PTE_ADDR_MASK | PTE_PS)) | (flags & PTE_PAT_LARGE) | PTE_P | PTE_PS;
}

/* @n leaf entries of @table from @va's (to @pa): checked, and written unless @dry. */
static int fill(const struct pt_builder *b, uint64_t table, unsigned leaf, uint64_t va, uint64_t pa,
		uint64_t n, uint64_t flags, bool dry, struct pt_slot *at)
{
	uint64_t size = pt_level_size(leaf), ea, old;
	int err;

	for (uint64_t i = 0; i < n; i++, va += size, pa += size) {
		ea = table + 8 * pt_index(va, leaf);
		err = pt_mem_read64(b->mem, ea, &old);
		if (err)
			return stop(at, PT_STOP_FAULT, err, va, leaf, table, ea, 0);
		if ((old & PTE_P) && leaf > 1 && !(old & PTE_PS))
			return stop(at, PT_STOP_TABLE, -EEXIST, va, leaf, table, ea, old);
		if ((old & PTE_P) && !b->replace)
			return stop(at, PT_STOP_MAPPED, -EEXIST, va, leaf, table, ea, old);
		if (dry)
			continue;
		err = pt_mem_write64(b->mem, ea, leaf_entry(pa, flags, leaf));
		if (err)
			return stop(at, PT_STOP_FAULT, err, va, leaf, table, ea, 0);
	}
	return 0;
}

/*
 * @pages leaves of @ps from @va (to @pa), one leaf table at a time: made and
 * written, or with @plan only checked and the missing tables counted.
 */
static int build(const struct pt_builder *b, uint64_t va, uint64_t pa, uint64_t pages,
		 enum page_size ps, uint64_t flags, struct pt_plan *plan, struct pt_slot *at)
{
	unsigned leaf = (unsigned)ps + 1;
	uint64_t size = page_size_bytes(ps), table;
	int err;

	while (pages) {
		uint64_t n = PT_ENTRIES - pt_index(va, leaf);

		if (n > pages)
			n = pages;
		err = descend(b, va, leaf, plan ? PT_COUNT : PT_MAKE, plan, &table, at);
		if (!err)
			err = fill(b, table, leaf, va, pa, n, flags, plan != NULL, at);
		/* A dry run goes on past a missing table: all its entries are absent. */
		if (err && !(plan && at->stop == PT_STOP_ABSENT))
			return err;
		pages -= n;
		va += n * size;
		pa += n * size;
	}
	at->stop = PT_STOP_NONE;
	return 0;
}

/* The tree: a level count the builder knows, a root table address. */
static int check_tree(const struct pt_builder *b)
{
	if ((b->levels != 4 && b->levels != 5) || (b->root & ~PTE_ADDR_MASK))
		return -EINVAL;
	return 0;
}

/* The tree and the range: page size, alignment, no wrap. */
static int check_range(const struct pt_builder *b, uint64_t va, uint64_t len, enum page_size ps)
{
	if (check_tree(b) || (unsigned)ps >= PAGE_SIZES)
		return -EINVAL;
	if (((va | len) & (page_size_bytes(ps) - 1)) || (len && len - 1 > ~va))
		return -EINVAL;
	return 0;
}

int pt_build__map(const struct pt_builder *b, uint64_t va, uint64_t pa, uint64_t len,
		  enum page_size ps, uint64_t flags, struct pt_slot *at)
{
	struct pt_slot none;
	uint64_t size, last;
	int err;

	if (!at)
		at = &none;
	*at = (struct pt_slot){.va = va};
	err = check_range(b, va, len, ps);
	if (err || !len)
		return err;
	size = page_size_bytes(ps);
	last = pa + (len - size);
	if ((pa & (size - 1)) || last < pa || (last & ~PTE_ADDR_MASK))
		return -EINVAL;
	return build(b, va, pa, len / size, ps, flags, NULL, at);
}

int pt_build__plan(const struct pt_builder *b, uint64_t va, uint64_t len, enum page_size ps,
		   uint64_t *tables, struct pt_slot *at)
{
	struct pt_plan plan = {0};
	struct pt_slot none;
	int err;

	if (!at)
		at = &none;
	*at = (struct pt_slot){.va = va};
	*tables = 0;
	err = check_range(b, va, len, ps);
	if (err || !len)
		return err;
	err = build(b, va, 0, len / page_size_bytes(ps), ps, 0, &plan, at);
	if (!err)
		*tables = plan.tables;
	return err;
}

int pt_build__lookup(const struct pt_builder *b, uint64_t va, struct pt_slot *at)
{
	uint64_t table, ea, e;
	int err;

	*at = (struct pt_slot){.va = va};
	if (check_tree(b))
		return -EINVAL;
	err = descend(b, va, 1, PT_FIND, NULL, &table, at);
	if (at->stop == PT_STOP_HUGE) {
		at->stop = PT_STOP_NONE;
		return 0;
	}
	if (err)
		return err;
	ea = table + 8 * pt_index(va, 1);
	err = pt_mem_read64(b->mem, ea, &e);
	if (err)
		return stop(at, PT_STOP_FAULT, err, va, 1, table, ea, 0);
	if (!(e & PTE_P))
		return stop(at, PT_STOP_ABSENT, -ENOENT, va, 1, table, ea, e);
	return stop(at, PT_STOP_NONE, 0, va, 1, table, ea, e);
}
