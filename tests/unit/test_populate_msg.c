// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's check and application of MV_MSG_POPULATE over a fake guest
 * memory buffer: a good request writes the entries the paging rules call
 * for and takes only the tables it needs; every hostile request (bad
 * ranges, reserved regions, present entries, misalignment, huge counts,
 * hostile existing tables) is refused with a reason and writes nothing;
 * under ASan every access stays inside the buffer.
 */
#include <errno.h>

#include "common/util.h"
#include "test.h"
#include "vmm/internal.h"

#define MEM	   (32ULL << 20)
#define POOL_START (9ULL << 20)
#define POOL_END   (30ULL << 20) /* the "event ring" takes the last 2M */
#define ROOT	   MV_GPA_PT
#define LEAF	   (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX)

static uint8_t *mem, *snap;
static struct populate_ctx ctx;
static char why[384];

static uint64_t *entry_at(gpa_t table, gva_t va, int level)
{
	return (uint64_t *)(mem + table) + pt_index(va, (unsigned)level);
}

/* The leaf entry of @va by the SDM's 4-level walk (Vol. 3A 4.5), or 0; *level of the leaf. */
static uint64_t walk(gva_t va, int *level)
{
	gpa_t t = ROOT;

	for (int l = 4; l >= 1; l--) {
		uint64_t e = *entry_at(t, va, l);

		if (!(e & PTE_P))
			return 0;
		if (l == 1 || (e & PTE_PS)) {
			*level = l;
			return e;
		}
		t = e & PTE_ADDR_MASK;
		if (t > MEM - X86_PAGE_SIZE)
			return 0;
	}
	return 0;
}

static struct mv_populate req4k(gva_t va, uint64_t pages, gpa_t data, gpa_t tables, uint64_t nt)
{
	return (struct mv_populate){
		ROOT, va, pages * X86_PAGE_SIZE, X86_PAGE_SIZE, LEAF, data, tables, nt, 0};
}

/* A refused request: an error, a reason, and guest memory exactly as before. */
static void expect_refused(const struct mv_populate *r, int err, const char *word, int line)
{
	uint64_t used = 77;
	int ret;

	memcpy(snap, mem, MEM);
	why[0] = 0;
	ret = populate_apply(&ctx, r, &used, why, sizeof(why));
	if (ret != err || !strstr(why, word) || used != 0 || memcmp(snap, mem, MEM)) {
		fprintf(stderr, "%s:%d: want %d \"%s\", got %d \"%s\", used %" PRIu64 "%s\n",
			__FILE__, line, err, word, ret, why, used,
			memcmp(snap, mem, MEM) ? ", memory changed" : "");
		test_failures++;
	}
}
#define REFUSED(r, err, word) expect_refused(&(r), err, word, __LINE__)

/*
 * 600 4K pages from 100 pages below the first 2M boundary of the mmap area:
 * the tables the rule asks for are one PDPT, one PD and two PTs (the range
 * spans two 2M regions), taken from the front of the run, zeroed; the rest
 * of the offered run is left alone.
 */
static void check_good_4k(void)
{
	gva_t va = MV_MMAP_BASE + SZ_2M - 100 * X86_PAGE_SIZE;
	gpa_t data = 10ULL << 20, tables = 20ULL << 20;
	struct mv_populate r = req4k(va, 600, data, tables, 8);
	uint64_t used = 0;
	int level = 0;

	memset(mem + tables, 0xaa, 8 * X86_PAGE_SIZE);
	CHECK(populate_apply(&ctx, &r, &used, why, sizeof(why)) == 0);
	CHECK_EQ_U64(used, 4);
	for (uint64_t i = 0; i < 600; i++) {
		uint64_t e = walk(va + i * X86_PAGE_SIZE, &level);

		CHECK_EQ_U64(level, 1);
		CHECK_EQ_U64(e, (data + i * X86_PAGE_SIZE) | LEAF);
	}
	CHECK_EQ_U64(walk(va - X86_PAGE_SIZE, &level), 0);
	CHECK_EQ_U64(walk(va + 600 * X86_PAGE_SIZE, &level), 0);
	/* Intermediate entries as the guest kernel writes them. */
	CHECK_EQ_U64(*entry_at(ROOT, va, 4), tables | PTE_P | PTE_RW | PTE_US);
	for (uint64_t i = 4; i < 8; i++)
		CHECK_EQ_U64(mem[tables + i * X86_PAGE_SIZE + 100], 0xaa);
	/* The same range again: present entries, refused, nothing written. */
	r = req4k(va, 600, 12ULL << 20, tables + 4 * X86_PAGE_SIZE, 4);
	REFUSED(r, -EEXIST, "already mapped");
	/* One page overlapping the end of it: refused too. */
	r = req4k(va + 599 * X86_PAGE_SIZE, 2, 12ULL << 20, tables + 4 * X86_PAGE_SIZE, 4);
	REFUSED(r, -EEXIST, "already mapped");
	/* The next page: fits in the existing PT, no table needed, the offered one untouched. */
	r = req4k(va + 600 * X86_PAGE_SIZE, 1, 12ULL << 20, tables + 4 * X86_PAGE_SIZE, 1);
	CHECK(populate_apply(&ctx, &r, &used, why, sizeof(why)) == 0);
	CHECK_EQ_U64(used, 0);
	CHECK_EQ_U64(walk(va + 600 * X86_PAGE_SIZE, &level), (12ULL << 20) | LEAF);
}

/* 2M leaves in the next 1G region: one new PD under the existing PDPT, PS set. */
static void check_good_2m(void)
{
	gva_t va = MV_MMAP_BASE + (1ULL << 30);
	gpa_t data = 14ULL << 20, tables = 21ULL << 20;
	struct mv_populate r = {ROOT, va, 2 * SZ_2M, SZ_2M, LEAF, data, tables, 2, 0};
	uint64_t used = 9;
	int level = 0;

	CHECK(populate_apply(&ctx, &r, &used, why, sizeof(why)) == 0);
	CHECK_EQ_U64(used, 1);
	CHECK_EQ_U64(walk(va + SZ_2M + 5, &level), (data + SZ_2M) | LEAF | PTE_PS);
	CHECK_EQ_U64(level, 2);
	/* 4K pages inside a 2M page already mapped: refused. */
	r = req4k(va + X86_PAGE_SIZE, 1, 18ULL << 20, 22ULL << 20, 1);
	REFUSED(r, -EEXIST, "large page");
}

/* Sizes, alignment, ranges, flags, CR3: each refused, nothing written. */
static void check_bad_fields(void)
{
	gva_t va = MV_MMAP_BASE + (8ULL << 30);
	gpa_t d = 16ULL << 20, t = 23ULL << 20;
	struct mv_populate ok = req4k(va, 4, d, t, 3), r;

	r = ok, r.page_size = 8192;
	REFUSED(r, -EINVAL, "page size");
	r = ok, r.len = 0;
	REFUSED(r, -EINVAL, "empty or not aligned");
	r = ok, r.len = 3 * X86_PAGE_SIZE + 1;
	REFUSED(r, -EINVAL, "not aligned");
	r = ok, r.va = va + 8;
	REFUSED(r, -EINVAL, "not aligned");
	r = ok, r.va = MV_USER_IMAGE_MIN;
	REFUSED(r, -EINVAL, "mmap area");
	r = ok, r.va = MV_KERNEL_BASE;
	REFUSED(r, -EINVAL, "mmap area");
	r = ok, r.va = ~0ULL & ~(X86_PAGE_SIZE - 1), r.len = 2 * X86_PAGE_SIZE; /* wraps */
	REFUSED(r, -EINVAL, "mmap area");
	r = ok, r.len = MV_MMAP_END; /* runs past the end of the area */
	REFUSED(r, -EINVAL, "mmap area");
	r = ok, r.len = 1ULL << 40; /* a huge count of pages, more than the pool holds */
	REFUSED(r, -ERANGE, "frame pool");
	r = ok, r.leaf_flags = LEAF | PTE_G;
	REFUSED(r, -EINVAL, "leaf flags");
	r = ok, r.leaf_flags = LEAF | PTE_PS;
	REFUSED(r, -EINVAL, "leaf flags");
	r = ok, r.leaf_flags = LEAF | (1ULL << 51);
	REFUSED(r, -EINVAL, "leaf flags");
	r = ok, r.leaf_flags = LEAF & ~PTE_US;
	REFUSED(r, -EINVAL, "leaf flags");
	r = ok, r.leaf_flags = LEAF & ~PTE_P;
	REFUSED(r, -EINVAL, "leaf flags");
	r = ok, r.cr3 = ROOT + X86_PAGE_SIZE;
	REFUSED(r, -EINVAL, "CR3");
	r = ok, r.cr3 = ROOT | 0x18;
	REFUSED(r, -EINVAL, "CR3");
}

/* Frames: reserved regions, outside RAM, overlaps, counts. */
static void check_bad_frames(void)
{
	gva_t va = MV_MMAP_BASE + (8ULL << 30);
	gpa_t d = 16ULL << 20, t = 23ULL << 20;
	struct mv_populate ok = req4k(va, 4, d, t, 3), r;

	r = ok, r.data_gpa = MV_GPA_KERNEL; /* the kernel image */
	REFUSED(r, -ERANGE, "frame pool");
	r = ok, r.data_gpa = MV_GPA_PT; /* the VMM's tables */
	REFUSED(r, -ERANGE, "frame pool");
	r = ok, r.data_gpa = POOL_END - 2 * X86_PAGE_SIZE; /* runs into the ring */
	REFUSED(r, -ERANGE, "frame pool");
	r = ok, r.data_gpa = POOL_END; /* the ring */
	REFUSED(r, -ERANGE, "frame pool");
	r = ok, r.data_gpa = MEM + SZ_2M; /* beyond guest RAM */
	REFUSED(r, -ERANGE, "frame pool");
	r = ok, r.data_gpa = ~0ULL & ~(X86_PAGE_SIZE - 1); /* wraps */
	REFUSED(r, -ERANGE, "frame pool");
	r = ok, r.data_gpa = d + 8;
	REFUSED(r, -ERANGE, "frame pool");
	r = (struct mv_populate){ROOT, va, SZ_2M, SZ_2M, LEAF, d + X86_PAGE_SIZE,
				 t,    3,  0}; /* not 2M-aligned */
	REFUSED(r, -ERANGE, "2M-aligned");
	r = ok, r.table_gpa = POOL_END;
	REFUSED(r, -ERANGE, "table frames");
	r = ok, r.table_gpa = MV_GPA_KERNEL;
	REFUSED(r, -ERANGE, "table frames");
	r = ok, r.table_gpa = t + 1;
	REFUSED(r, -ERANGE, "table frames");
	r = ok, r.nr_tables = 1ULL << 60;
	REFUSED(r, -ERANGE, "table frames offered");
	r = ok, r.nr_tables = (1ULL << 52) + 1; /* nr * 4K wraps to 4K */
	REFUSED(r, -ERANGE, "table frames offered");
	r = ok, r.table_gpa = d + X86_PAGE_SIZE; /* tables among the data frames */
	REFUSED(r, -EINVAL, "overlap");
	/* The PDPT of the area's first 512G exists (check_good_4k): a PD and a PT are needed. */
	r = ok, r.nr_tables = 1;
	REFUSED(r, -ENOSPC, "needs 2");
	r = ok, r.nr_tables = 0;
	REFUSED(r, -ENOSPC, "needs 2");
	/* In the next 512G slot, a PDPT too. */
	r = ok, r.va = MV_MMAP_BASE + (512ULL << 30), r.nr_tables = 2;
	REFUSED(r, -ENOSPC, "needs 3");
}

/* Existing tables the guest could have pointed anywhere: outside RAM, reserved, its data. */
static void check_hostile_tables(void)
{
	gva_t va = MV_MMAP_BASE + (16ULL << 30);
	struct mv_populate r = req4k(va, 4, 16ULL << 20, 23ULL << 20, 3);
	uint64_t *pml4e = entry_at(ROOT, va, 4);
	static const uint64_t targets[] = {
		0x7ffffffff000ULL,   /* far outside guest RAM */
		MEM,		     /* just past its end */
		MEM - X86_PAGE_SIZE, /* the "ring" */
		MV_GPA_KERNEL,	     /* the kernel image */
		0,		     /* GDT and friends */
		16ULL << 20,	     /* the request's own data frames */
		23ULL << 20,	     /* the request's own table frames */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(targets); i++) {
		*pml4e = targets[i] | PTE_P | PTE_RW | PTE_US;
		REFUSED(r, -EINVAL, "not a page table the VMM may write");
	}
	*pml4e = 0;
	/* The root itself inside the offered frames. */
	ctx.cr3 = 23ULL << 20;
	r.cr3 = 23ULL << 20;
	REFUSED(r, -EINVAL, "CR3");
	ctx.cr3 = ROOT;
	/* Two PD entries aliasing one PT, a range over both: the dry run cannot see it; the
	 * write pass meets its own entries, refuses, and stays in bounds (the run ends). */
	{
		gva_t a = MV_MMAP_BASE + (32ULL << 30);
		gpa_t pdpt = 24ULL << 20, pd = pdpt + X86_PAGE_SIZE, pt = pdpt + 2 * X86_PAGE_SIZE;
		struct mv_populate r2 = req4k(a, 513, 26ULL << 20, 0, 0);
		uint64_t used;

		memset(mem + pdpt, 0, 3 * X86_PAGE_SIZE);
		*entry_at(ROOT, a, 4) = pdpt | PTE_P | PTE_RW | PTE_US;
		*entry_at(pdpt, a, 3) = pd | PTE_P | PTE_RW | PTE_US;
		*entry_at(pd, a, 2) = pt | PTE_P | PTE_RW | PTE_US;
		*entry_at(pd, a + SZ_2M, 2) = pt | PTE_P | PTE_RW | PTE_US;
		CHECK(populate_apply(&ctx, &r2, &used, why, sizeof(why)) == -EEXIST);
		CHECK(strstr(why, "already mapped") != NULL);
		*entry_at(ROOT, a, 4) = 0;
	}
}

int main(void)
{
	mem = calloc(1, MEM);
	snap = malloc(MEM);
	if (!mem || !snap)
		return 1;
	ctx = (struct populate_ctx){mem, MEM, POOL_START, POOL_END, ROOT};
	check_good_4k();
	check_good_2m();
	check_bad_fields();
	check_bad_frames();
	check_hostile_tables();
	/* A context without a pool (a VMM bug) refuses everything. */
	{
		struct populate_ctx bad = ctx;
		struct mv_populate r = req4k(MV_MMAP_BASE + (40ULL << 30), 1, 16ULL << 20, 0, 0);
		uint64_t used;

		bad.pool_end = MEM + X86_PAGE_SIZE;
		CHECK(populate_apply(&bad, &r, &used, why, sizeof(why)) == -EINVAL);
	}
	free(snap);
	free(mem);
	TEST_DONE();
}
