// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table builder over a fake table memory and allocator: the entries
 * it writes for 4K, 2M and 1G leaves in 4- and 5-level trees against the
 * SDM's format (Vol. 3A §4.5), computed here from the index rule; the tables
 * a dry run counts; allocator exhaustion; conflicts with leaves already
 * present; and the checked flat memory refusing tables it must not touch.
 */
#include <errno.h>

#include "test.h"

#include "common/util.h"
#include "mmu/mmu.h"

#define NFRAMES	 64
#define MEM_BASE 0x40000000ULL /* the fake memory's first frame */
#define TABLE	 (PTE_P | PTE_RW | PTE_US)
#define LEAF	 (PTE_RW | PTE_US | PTE_NX)
#define FRAME(i) (MEM_BASE + (uint64_t)(i)*4096)
#define NO_FAULT (~0ULL)

/* 64 frames at MEM_BASE; accesses outside them fault; writes counted. */
struct fake_mem {
	uint64_t frame[NFRAMES][512];
	unsigned writes;
};

/* Frames handed out in order from @next up to @limit, zeroed. */
struct fake_alloc {
	struct fake_mem *m;
	unsigned next, limit, calls;
};

static struct fake_mem fm;

static uint64_t *fake_entry(struct fake_mem *m, uint64_t pa)
{
	if (pa < MEM_BASE || pa - MEM_BASE >= NFRAMES * 4096ULL || (pa & 7))
		return NULL;
	return &m->frame[(pa - MEM_BASE) / 4096][(pa & 4095) / 8];
}

static int fake_read64(void *ctx, uint64_t pa, uint64_t *val)
{
	uint64_t *e = fake_entry(ctx, pa);

	if (!e)
		return -EFAULT;
	*val = *e;
	return 0;
}

static int fake_write64(void *ctx, uint64_t pa, uint64_t val)
{
	struct fake_mem *m = ctx;
	uint64_t *e = fake_entry(m, pa);

	if (!e)
		return -EFAULT;
	*e = val;
	m->writes++;
	return 0;
}

static const struct pt_mem_ops fake_ops = {.read64 = fake_read64, .write64 = fake_write64};
static const struct pt_mem fake = {.ops = &fake_ops, .ctx = &fm};

static int fake_frame(void *ctx, uint64_t *pa)
{
	struct fake_alloc *a = ctx;

	a->calls++;
	if (a->next >= a->limit)
		return -ENOMEM;
	memset(a->m->frame[a->next], 0, 4096);
	*pa = FRAME(a->next++);
	return 0;
}

/* An empty tree: frame 0 is the root, tables from frame 1 up to @limit. */
static struct pt_builder fresh(struct fake_alloc *a, unsigned levels, unsigned limit)
{
	memset(&fm, 0, sizeof(fm));
	*a = (struct fake_alloc){.m = &fm, .next = 1, .limit = limit};
	return (struct pt_builder){
		.mem = &fake,
		.alloc = {.alloc = fake_frame, .ctx = a},
		.root = FRAME(0),
		.levels = levels,
	};
}

/* The x86 index rule, written out: 9 bits per level above the 12-bit page offset. */
static unsigned idx(uint64_t va, unsigned level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t raw(uint64_t table, uint64_t va, unsigned level)
{
	uint64_t *e = fake_entry(&fm, table + 8 * idx(va, level));

	return e ? *e : NO_FAULT;
}

/*
 * Follow @va from the root as the MMU would, checking every intermediate
 * entry is a present table pointer P|RW|US; the entry at @leaf, or NO_FAULT.
 */
static uint64_t leaf_of(uint64_t root, unsigned levels, uint64_t va, unsigned leaf)
{
	uint64_t t = root;

	for (unsigned l = levels; l > leaf; l--) {
		uint64_t e = raw(t, va, l);

		if (e == NO_FAULT || (e & ~PTE_ADDR_MASK) != TABLE)
			return NO_FAULT;
		t = e & PTE_ADDR_MASK;
	}
	return raw(t, va, leaf);
}

/* Tables a fresh tree needs for @n pages of @size from @va: one per distinct upper prefix. */
static uint64_t tables_for(uint64_t va, uint64_t n, uint64_t size, unsigned leaf, unsigned levels)
{
	uint64_t count = 0;

	for (unsigned l = leaf; l < levels; l++) {
		uint64_t shift = 12 + 9 * l, first = va >> shift,
			 last = (va + (n - 1) * size) >> shift;

		count += last - first + 1;
	}
	return count;
}

/* One leaf of each size, each in its own top-level slot, in 4- and 5-level trees. */
static void test_leaves(unsigned levels)
{
	static const struct {
		enum page_size ps;
		uint64_t va, pa, flags, want;
	} c[] = {
		{PAGE_4K, 0x00007f1234567000ULL, 0x5000000ULL, LEAF | PTE_PAT_4K,
		 0x5000000ULL | LEAF | PTE_PAT_4K | PTE_P},
		{PAGE_2M, 0x0000400000600000ULL, 0x80000000ULL, LEAF | PTE_PAT_LARGE,
		 0x80000000ULL | LEAF | PTE_PAT_LARGE | PTE_P | PTE_PS},
		{PAGE_1G, 0x0000008040000000ULL, 0x1c0000000ULL, PTE_RW | PTE_G,
		 0x1c0000000ULL | PTE_RW | PTE_G | PTE_P | PTE_PS},
	};
	struct fake_alloc a;
	struct pt_builder b = fresh(&a, levels, NFRAMES);
	unsigned used = 0;

	for (unsigned i = 0; i < 3; i++) {
		/* With 5 levels each leaf has a PML5 slot of its own too. */
		uint64_t va = c[i].va + (levels == 5 ? (uint64_t)i << 48 : 0);
		uint64_t size = 1ULL << (12 + 9 * c[i].ps);
		struct pt_slot at;

		CHECK(pt_build__map(&b, va, c[i].pa, size, c[i].ps, c[i].flags, &at) == 0);
		CHECK_EQ_U64(at.stop, PT_STOP_NONE);
		CHECK_EQ_U64(leaf_of(b.root, levels, va, c[i].ps + 1), c[i].want);
		/* The next page is not mapped, and each leaf took one table per level above it. */
		CHECK_EQ_U64(raw(leaf_of(b.root, levels, va, c[i].ps + 2) & PTE_ADDR_MASK,
				 va + size, c[i].ps + 1),
			     0);
		used += levels - 1 - c[i].ps;
		CHECK_EQ_U64(a.next - 1, used);
		CHECK(pt_build__lookup(&b, va + size - 8, &at) == 0);
		CHECK_EQ_U64(at.level, c[i].ps + 1);
		CHECK_EQ_U64(at.entry, c[i].want);
	}
}

/* 600 4K pages across a 2M boundary: the dry run's count, then exactly that many tables. */
static void test_range(void)
{
	uint64_t va = 0x7f0000200000ULL - 100 * 4096, pa = 0x10000000ULL, tables = 0, writes;
	struct fake_alloc a;
	struct pt_builder b = fresh(&a, 4, NFRAMES);
	struct pt_slot at;

	CHECK(pt_build__plan(&b, va, 600 * 4096, PAGE_4K, &tables, &at) == 0);
	CHECK_EQ_U64(tables, tables_for(va, 600, 4096, 1, 4));
	CHECK_EQ_U64(tables, 4); /* a PDPT, a PD, two PTs */
	CHECK_EQ_U64(fm.writes, 0);
	CHECK_EQ_U64(a.calls, 0);
	CHECK(pt_build__map(&b, va, pa, 600 * 4096, PAGE_4K, LEAF, &at) == 0);
	CHECK_EQ_U64(a.calls, 4);
	for (uint64_t i = 0; i < 600; i++)
		CHECK_EQ_U64(leaf_of(b.root, 4, va + i * 4096, 1), (pa + i * 4096) | LEAF | PTE_P);
	CHECK_EQ_U64(leaf_of(b.root, 4, va - 4096, 1), 0);
	CHECK_EQ_U64(leaf_of(b.root, 4, va + 600 * 4096, 1), 0);
	/* The page after it: the same PT, no new table. */
	CHECK(pt_build__plan(&b, va + 600 * 4096, 4096, PAGE_4K, &tables, &at) == 0);
	CHECK_EQ_U64(tables, 0);
	/* 1G leaves over a 512G boundary in 5 levels: two PDPTs and a PML4. */
	b = fresh(&a, 5, NFRAMES);
	va = (512ULL << 30) - (1ULL << 30);
	CHECK(pt_build__plan(&b, va, 2ULL << 30, PAGE_1G, &tables, &at) == 0);
	CHECK_EQ_U64(tables, tables_for(va, 2, 1ULL << 30, 3, 5));
	CHECK_EQ_U64(tables, 3);
	CHECK(pt_build__map(&b, va, 0, 2ULL << 30, PAGE_1G, LEAF, &at) == 0);
	CHECK_EQ_U64(a.next - 1, 3);
	CHECK_EQ_U64(leaf_of(b.root, 5, va + (1ULL << 30), 3),
		     (1ULL << 30) | LEAF | PTE_P | PTE_PS);
	writes = fm.writes;
	/* Bad arguments: nothing read or written. */
	CHECK(pt_build__map(&b, va + 4096, 0, 1ULL << 30, PAGE_1G, 0, NULL) == -EINVAL);
	CHECK(pt_build__map(&b, va, 4096, 1ULL << 30, PAGE_1G, 0, NULL) == -EINVAL);
	CHECK(pt_build__map(&b, 0, 0, 4096 + 8, PAGE_4K, 0, NULL) == -EINVAL);
	CHECK(pt_build__map(&b, 0, 1ULL << 52, 4096, PAGE_4K, 0, NULL) == -EINVAL);
	CHECK(pt_build__map(&b, ~0ULL - 4095, 0, 2 * 4096, PAGE_4K, 0, NULL) == -EINVAL);
	CHECK(pt_build__map(&b, 0, 0, 4096, PAGE_SIZES, 0, NULL) == -EINVAL);
	b.levels = 3;
	CHECK(pt_build__map(&b, 0, 0, 4096, PAGE_4K, 0, NULL) == -EINVAL);
	CHECK_EQ_U64(fm.writes, writes);
}

/* The allocator runs dry: the error it gives, where, and the tables linked before. */
static void test_exhaustion(void)
{
	uint64_t va = 0x7f0000001000ULL, pml4e, pdpte;
	struct fake_alloc a;
	struct pt_builder b = fresh(&a, 4, 3); /* frames 1 and 2: a PDPT and a PD, no PT */
	struct pt_slot at;

	CHECK(pt_build__map(&b, va, 0x3000, 4096, PAGE_4K, LEAF, &at) == -ENOMEM);
	CHECK_EQ_U64(at.stop, PT_STOP_ALLOC);
	CHECK_EQ_U64(at.level, 2); /* the PDE that would point at the PT */
	CHECK_EQ_U64(at.entry, 0);
	pml4e = raw(b.root, va, 4);
	pdpte = raw(pml4e & PTE_ADDR_MASK, va, 3);
	CHECK_EQ_U64(pml4e, FRAME(1) | TABLE);
	CHECK_EQ_U64(pdpte, FRAME(2) | TABLE);
	CHECK_EQ_U64(at.table, FRAME(2));
	CHECK_EQ_U64(at.addr, FRAME(2) + 8 * idx(va, 2));
	CHECK_EQ_U64(raw(FRAME(2), va, 2), 0);
	/* One more frame: only the PT is made. */
	a.limit = 4;
	CHECK(pt_build__map(&b, va, 0x3000, 4096, PAGE_4K, LEAF, &at) == 0);
	CHECK_EQ_U64(a.next, 4);
	CHECK_EQ_U64(leaf_of(b.root, 4, va, 1), 0x3000 | LEAF | PTE_P);
	/* No allocator at all: a new table cannot be made. */
	b.alloc.alloc = NULL;
	CHECK(pt_build__map(&b, va + (1ULL << 39), 0x3000, 4096, PAGE_4K, LEAF, &at) == -ENOMEM);
	CHECK_EQ_U64(at.stop, PT_STOP_ALLOC);
	CHECK_EQ_U64(at.level, 4);
}

/* A leaf already there: a larger one above, a table below, the same size (replace or not). */
static void test_conflicts(void)
{
	uint64_t v2m = 0x200000ULL, v1g = 0x40000000ULL, v4k = 0x80000000ULL, tables, writes;
	struct fake_alloc a;
	struct pt_builder b = fresh(&a, 4, NFRAMES);
	struct pt_slot at;

	CHECK(pt_build__map(&b, v2m, 0x600000, SZ_2M, PAGE_2M, LEAF, NULL) == 0);
	CHECK(pt_build__map(&b, v1g, 0x80000000, SZ_1G, PAGE_1G, LEAF, NULL) == 0);
	CHECK(pt_build__map(&b, v4k, 0x9000, 4096, PAGE_4K, LEAF, NULL) == 0);
	CHECK(pt_build__map(&b, v4k + 0x5000, 0xb000, 4096, PAGE_4K, LEAF, NULL) == 0);
	writes = fm.writes;

	/* 4K inside the 2M leaf: the PDE is a leaf, level 2. */
	CHECK(pt_build__map(&b, v2m + 0x3000, 0x1000, 4096, PAGE_4K, LEAF, &at) == -EEXIST);
	CHECK_EQ_U64(at.stop, PT_STOP_HUGE);
	CHECK_EQ_U64(at.level, 2);
	CHECK_EQ_U64(at.entry, 0x600000 | LEAF | PTE_P | PTE_PS);
	/* 2M and 4K inside the 1G leaf: the PDPTE, level 3. */
	CHECK(pt_build__map(&b, v1g + SZ_2M, 0x200000, SZ_2M, PAGE_2M, LEAF, &at) == -EEXIST);
	CHECK_EQ_U64(at.stop, PT_STOP_HUGE);
	CHECK_EQ_U64(at.level, 3);
	CHECK(pt_build__plan(&b, v1g + 4096, 4096, PAGE_4K, &tables, &at) == -EEXIST);
	CHECK_EQ_U64(at.stop, PT_STOP_HUGE);
	/* 2M over the PT that holds the 4K leaf. */
	CHECK(pt_build__map(&b, v4k, 0x200000, SZ_2M, PAGE_2M, LEAF, &at) == -EEXIST);
	CHECK_EQ_U64(at.stop, PT_STOP_TABLE);
	CHECK_EQ_U64(at.level, 2);
	CHECK_EQ_U64(at.entry & ~PTE_ADDR_MASK, TABLE);
	/* The same 4K page again, then a range ending on it: refused at that page. */
	CHECK(pt_build__map(&b, v4k, 0xa000, 4096, PAGE_4K, LEAF, &at) == -EEXIST);
	CHECK_EQ_U64(at.stop, PT_STOP_MAPPED);
	CHECK_EQ_U64(at.entry, 0x9000 | LEAF | PTE_P);
	CHECK(pt_build__plan(&b, v4k + 0x3000, 3 * 4096, PAGE_4K, &tables, &at) == -EEXIST);
	CHECK_EQ_U64(at.stop, PT_STOP_MAPPED);
	CHECK_EQ_U64(at.va, v4k + 0x5000);
	CHECK_EQ_U64(fm.writes, writes);
	/* A builder that replaces: the leaf is rewritten, a larger leaf still refuses. */
	b.replace = true;
	CHECK(pt_build__map(&b, v4k, 0xa000, 4096, PAGE_4K, PTE_RW, &at) == 0);
	CHECK_EQ_U64(leaf_of(b.root, 4, v4k, 1), 0xa000 | PTE_RW | PTE_P);
	CHECK(pt_build__map(&b, v2m, 0xc00000, SZ_2M, PAGE_2M, 0, &at) == 0);
	CHECK_EQ_U64(leaf_of(b.root, 4, v2m, 2), 0xc00000 | PTE_P | PTE_PS);
	CHECK(pt_build__map(&b, v2m, 0x1000, 4096, PAGE_4K, LEAF, &at) == -EEXIST);
	/* Lookups: a missing PML4E, a missing PTE. */
	CHECK(pt_build__lookup(&b, 1ULL << 39, &at) == -ENOENT);
	CHECK_EQ_U64(at.stop, PT_STOP_ABSENT);
	CHECK_EQ_U64(at.level, 4);
	CHECK(pt_build__lookup(&b, v4k + 4096, &at) == -ENOENT);
	CHECK_EQ_U64(at.level, 1);
}

/* Frames 0..15 of a flat buffer hold tables; the rest is refused, as is everything past it. */
static bool low_frames(void *ctx, uint64_t table)
{
	(void)ctx;
	return table < 16 * 4096;
}

static int flat_frame(void *ctx, uint64_t *pa)
{
	unsigned *next = ctx;

	if (*next >= 16)
		return -ENOMEM;
	*pa = (uint64_t)(*next)++ * 4096; /* the buffer is calloc'd: already zero */
	return 0;
}

static void test_checked(void)
{
	static const uint64_t targets[] = {
		0x7ffffffff000ULL, /* far outside the buffer */
		64 * 4096,	   /* just past its end */
		40 * 4096,	   /* inside it, but not a frame tables may use */
	};
	uint8_t *buf = calloc(64, 4096), *snap = malloc(64 * 4096);
	uint64_t va = 0x7f0000000000ULL, other = va + (1ULL << 39) + (5ULL << 30), e, tables;
	unsigned next = 1;
	struct pt_ram ram;
	struct pt_builder b;
	struct pt_slot at;

	CHECK(buf && snap);
	if (!buf || !snap)
		return;
	/* The memory's own bounds and alignment. */
	pt_ram__init(&ram, buf, 64 * 4096, NULL, NULL);
	CHECK(pt_ram__read64(&ram, 64 * 4096 - 8, &e) == 0);
	CHECK(pt_ram__read64(&ram, 64 * 4096, &e) == -EFAULT);
	CHECK(pt_ram__write64(&ram, ~0ULL - 7, 1) == -EFAULT);
	CHECK(pt_ram__read64(&ram, 4, &e) == -EINVAL);
	/* A tree whose tables must lie in frames 0..15. */
	pt_ram__init(&ram, buf, 64 * 4096, low_frames, NULL);
	b = (struct pt_builder){
		.mem = pt_ram__mem(&ram),
		.alloc = {.alloc = flat_frame, .ctx = &next},
		.root = 0,
		.levels = 4,
	};
	CHECK(pt_build__map(&b, va, 0x100000, 4096, PAGE_4K, LEAF, &at) == 0);
	CHECK(pt_ram__read64(&ram, 8 * idx(va, 4), &e) == 0);
	CHECK_EQ_U64(e, 4096 | TABLE);
	CHECK(pt_ram__write64(&ram, 40 * 4096, 1) == -EFAULT);
	/* A PML4E pointing where no table may be: refused, nothing written. */
	for (unsigned i = 0; i < ARRAY_SIZE(targets); i++) {
		CHECK(pt_ram__write64(&ram, 8 * idx(other, 4), targets[i] | TABLE) == 0);
		memcpy(snap, buf, 64 * 4096);
		CHECK(pt_build__plan(&b, other, 4096, PAGE_4K, &tables, &at) == -EFAULT);
		CHECK_EQ_U64(at.stop, PT_STOP_FAULT);
		CHECK(pt_build__map(&b, other, 0x200000, 4096, PAGE_4K, LEAF, &at) == -EFAULT);
		CHECK_EQ_U64(at.stop, PT_STOP_FAULT);
		CHECK_EQ_U64(at.level, 3);
		CHECK_EQ_U64(at.table, targets[i]);
		CHECK_EQ_U64(at.addr, targets[i] + 8 * idx(other, 3));
		CHECK(memcmp(snap, buf, 64 * 4096) == 0);
	}
	free(snap);
	free(buf);
}

int main(void)
{
	test_leaves(4);
	test_leaves(5);
	test_range();
	test_exhaustion();
	test_conflicts();
	test_checked();
	TEST_DONE();
}
