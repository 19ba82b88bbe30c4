// SPDX-License-Identifier: GPL-2.0
/* The page-table walker against the SDM's rules: leaves, levels, faults and error codes, 2D counts.
 */
#include <errno.h>

#include "test.h"

#include "mmu/mmu.h"

#define MEM_LIMIT (1ULL << 40)
#define TABLES	  0x100000ULL /* tables are allocated upward from 1M */
#define U	  (PTE_RW | PTE_US)

static struct walk_cpu cpu_for(uint64_t root, unsigned levels)
{
	return (struct walk_cpu){
		.root = root, .levels = levels, .maxphyaddr = 46, .wp = true, .nxe = true};
}

static struct ptmem *mem_new(uint64_t *root)
{
	struct ptmem *m = ptmem__new(MEM_LIMIT, TABLES);

	CHECK(m != NULL);
	CHECK(pt__new_root(m, root) == 0);
	return m;
}

/* Rewrite the entry the walk read at @level (found through a successful walk first). */
static void poke_entry(struct ptmem *m, const struct walk_cpu *c, uint64_t va, unsigned level,
		       uint64_t set, uint64_t clear)
{
	struct walk w;
	uint64_t e;

	CHECK(walk__1d(ptmem__mem(m), c, va, 0, &w) == 0 || w.first_level >= level);
	CHECK(ptmem__read64(m, w.lvl[level].entry_addr, &e) == 0);
	CHECK(ptmem__write64(m, w.lvl[level].entry_addr, (e | set) & ~clear) == 0);
}

static void test_leaves(unsigned levels)
{
	static const struct {
		enum page_size ps;
		uint64_t va, pa;
		unsigned refs;
	} cases[] = {
		{PAGE_4K, 0x7f0000123000ULL, 0x5000000ULL, 0},
		{PAGE_2M, 0x7f0000400000ULL, 0x40000000ULL, 1},
		{PAGE_1G, 0x7f0040000000ULL, 0x80000000ULL, 2},
	};
	uint64_t root;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, levels);

	for (unsigned i = 0; i < 3; i++) {
		struct walk w;
		uint64_t off = 0xabc + 0x1000 * (cases[i].ps != PAGE_4K);

		CHECK(pt__map(m, root, cases[i].va, cases[i].pa, cases[i].ps, U, levels) == 0);
		CHECK(walk__1d(ptmem__mem(m), &c, cases[i].va + off, WALK_ACC_USER, &w) == 0);
		CHECK_EQ_U64(w.fault.kind, WALK_OK);
		CHECK_EQ_U64(w.pa, cases[i].pa + off);
		CHECK_EQ_U64(w.size, cases[i].ps);
		/* A 1D walk reads one entry per level down to the leaf: levels, levels-1, levels-2.
		 */
		CHECK_EQ_U64(w.refs, levels - cases[i].refs);
		CHECK_EQ_U64(w.leaf_level, 1 + (unsigned)cases[i].ps);
		CHECK_EQ_U64(w.lvl[levels].table, root);
		CHECK_EQ_U64(w.lvl[levels].entry_addr, root + pt_index(cases[i].va, levels) * 8);
		CHECK(w.leaf_flags & WALK_F_P);
		CHECK(!!(w.leaf_flags & WALK_F_PS) == (cases[i].ps != PAGE_4K));
		for (unsigned l = levels; l > w.leaf_level; l--)
			CHECK_EQ_U64(w.lvl[l - 1].table, w.lvl[l].entry & PTE_ADDR_MASK);
	}
	ptmem__free(m);
}

static void test_flags_decode(void)
{
	CHECK_EQ_U64(walk_decode_flags(PTE_P | PTE_PAT_4K | PTE_G | PTE_D, 1),
		     WALK_F_P | WALK_F_PAT | WALK_F_G | WALK_F_D);
	CHECK_EQ_U64(walk_decode_flags(PTE_P | PTE_PS | PTE_PAT_LARGE | PTE_PWT | PTE_PCD, 2),
		     WALK_F_P | WALK_F_PS | WALK_F_PAT | WALK_F_PWT | WALK_F_PCD);
	/* In a non-leaf entry bit 8 (G) and bit 6 (D) are ignored, bit 12 is address. */
	CHECK_EQ_U64(walk_decode_flags(PTE_P | PTE_G | PTE_D | PTE_A | (1ULL << 12), 3),
		     WALK_F_P | WALK_F_A);
	CHECK_EQ_U64(walk_decode_flags(PTE_P | PTE_NX | PTE_US | PTE_RW, 4),
		     WALK_F_P | WALK_F_NX | WALK_F_US | WALK_F_RW);
}

/* A fault: kind, level and the exact #PF error code (SDM Vol. 3A §4.7). */
static void expect_fault(struct ptmem *m, const struct walk_cpu *c, uint64_t va, unsigned acc,
			 enum walk_fault_kind kind, unsigned level, uint32_t ec)
{
	struct walk w;

	CHECK(walk__1d(ptmem__mem(m), c, va, acc, &w) == -EFAULT);
	CHECK_EQ_U64(w.fault.kind, kind);
	CHECK_EQ_U64(w.fault.level, level);
	CHECK_EQ_U64(w.fault.error_code, ec);
}

static void expect_ok(struct ptmem *m, const struct walk_cpu *c, uint64_t va, unsigned acc)
{
	struct walk w;

	CHECK(walk__1d(ptmem__mem(m), c, va, acc, &w) == 0);
	CHECK_EQ_U64(w.fault.kind, WALK_OK);
}

static void test_not_present(void)
{
	uint64_t root, va = 0x400000000ULL;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, 4);

	/* Empty tree: the PML4E is not present. P=0; W and U from the access. */
	expect_fault(m, &c, va, 0, WALK_FAULT_NOT_PRESENT, 4, 0);
	expect_fault(m, &c, va, WALK_ACC_USER | WALK_ACC_WRITE, WALK_FAULT_NOT_PRESENT, 4,
		     PF_ERR_U | PF_ERR_W);
	/* I/D is set for a fetch when NXE (or SMEP) is on. */
	expect_fault(m, &c, va, WALK_ACC_FETCH, WALK_FAULT_NOT_PRESENT, 4, PF_ERR_I);
	c.nxe = false;
	expect_fault(m, &c, va, WALK_ACC_FETCH, WALK_FAULT_NOT_PRESENT, 4, 0);
	c.smep = true;
	expect_fault(m, &c, va, WALK_ACC_FETCH, WALK_FAULT_NOT_PRESENT, 4, PF_ERR_I);
	c = cpu_for(root, 4);
	/* A neighbour's mapping makes upper levels present: the fault moves down. */
	CHECK(pt__map(m, root, va + 0x1000, 0x200000, PAGE_4K, U, 4) == 0);
	expect_fault(m, &c, va, WALK_ACC_USER, WALK_FAULT_NOT_PRESENT, 1, PF_ERR_U);
	CHECK(pt__map(m, root, va + (1ULL << 30), 0x40000000, PAGE_2M, U, 4) == 0);
	expect_fault(m, &c, va + (1ULL << 30) + (2ULL << 20), 0, WALK_FAULT_NOT_PRESENT, 2, 0);
	CHECK(pt__map(m, root, va + (1ULL << 39), 0x40000000, PAGE_1G, U, 4) == 0);
	expect_fault(m, &c, va + (1ULL << 39) + (1ULL << 30), 0, WALK_FAULT_NOT_PRESENT, 3, 0);
	CHECK(pt__unmap(m, root, va + 0x1000, 4) == 0);
	expect_fault(m, &c, va + 0x1000, 0, WALK_FAULT_NOT_PRESENT, 1, 0);
	ptmem__free(m);
}

static void test_reserved(void)
{
	uint64_t root, va = 0x1000000ULL, va2m = 0x40000000ULL, va1g = 0x8000000000ULL;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, 4);
	const uint32_t rsvd = PF_ERR_P | PF_ERR_RSVD;

	CHECK(pt__map(m, root, va, 0x300000, PAGE_4K, U, 4) == 0);
	CHECK(pt__map(m, root, va2m, 0x400000, PAGE_2M, U, 4) == 0);
	CHECK(pt__map(m, root, va1g, 0x40000000, PAGE_1G, U, 4) == 0);
	/* Address bit 50 is above MAXPHYADDR 46: reserved, P=1 RSVD=1 plus the access bits. */
	poke_entry(m, &c, va, 1, 1ULL << 50, 0);
	expect_fault(m, &c, va, WALK_ACC_USER | WALK_ACC_WRITE, WALK_FAULT_RESERVED, 1,
		     rsvd | PF_ERR_U | PF_ERR_W);
	c.maxphyaddr = 52;
	expect_ok(m, &c, va, WALK_ACC_USER);
	c.maxphyaddr = 46;
	poke_entry(m, &c, va, 1, 0, 1ULL << 50);
	/* XD with EFER.NXE = 0 is reserved. */
	poke_entry(m, &c, va, 1, PTE_NX, 0);
	c.nxe = false;
	expect_fault(m, &c, va, 0, WALK_FAULT_RESERVED, 1, rsvd);
	c.nxe = true;
	poke_entry(m, &c, va, 1, 0, PTE_NX);
	/* Bits 20:13 of a 2M PDE and 29:13 of a 1G PDPTE are reserved. */
	poke_entry(m, &c, va2m, 2, 1ULL << 13, 0);
	expect_fault(m, &c, va2m, 0, WALK_FAULT_RESERVED, 2, rsvd);
	poke_entry(m, &c, va1g, 3, 1ULL << 29, 0);
	expect_fault(m, &c, va1g, 0, WALK_FAULT_RESERVED, 3, rsvd);
	/* PS in a PML4E is reserved. */
	poke_entry(m, &c, va, 4, PTE_PS, 0);
	expect_fault(m, &c, va, WALK_ACC_FETCH, WALK_FAULT_RESERVED, 4, rsvd | PF_ERR_I);
	ptmem__free(m);
}

static void test_protection(void)
{
	uint64_t root, sup = 0x1000000ULL, ro = 0x1001000ULL, nx = 0x1002000ULL, usr = 0x1003000ULL;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, 4);
	const uint32_t P = PF_ERR_P;

	CHECK(pt__map(m, root, sup, 0x300000, PAGE_4K, PTE_RW, 4) == 0);
	CHECK(pt__map(m, root, ro, 0x301000, PAGE_4K, PTE_US, 4) == 0);
	CHECK(pt__map(m, root, nx, 0x302000, PAGE_4K, U | PTE_NX, 4) == 0);
	CHECK(pt__map(m, root, usr, 0x303000, PAGE_4K, U, 4) == 0);
	/* User access to a supervisor page. */
	expect_fault(m, &c, sup, WALK_ACC_USER, WALK_FAULT_PROTECTION, 1, P | PF_ERR_U);
	expect_ok(m, &c, sup, WALK_ACC_WRITE);
	/* Writes to a read-only page: always for users, for the kernel only with CR0.WP. */
	expect_fault(m, &c, ro, WALK_ACC_USER | WALK_ACC_WRITE, WALK_FAULT_PROTECTION, 1,
		     P | PF_ERR_U | PF_ERR_W);
	expect_fault(m, &c, ro, WALK_ACC_WRITE | WALK_ACC_AC, WALK_FAULT_PROTECTION, 1,
		     P | PF_ERR_W);
	c.wp = false;
	expect_ok(m, &c, ro, WALK_ACC_WRITE);
	c.wp = true;
	/* Fetch from an XD page. */
	expect_fault(m, &c, nx, WALK_ACC_USER | WALK_ACC_FETCH, WALK_FAULT_PROTECTION, 1,
		     P | PF_ERR_U | PF_ERR_I);
	expect_ok(m, &c, nx, WALK_ACC_USER);
	/* SMEP: the kernel may not fetch from a user page. */
	expect_ok(m, &c, usr, WALK_ACC_FETCH);
	c.smep = true;
	expect_fault(m, &c, usr, WALK_ACC_FETCH, WALK_FAULT_PROTECTION, 1, P | PF_ERR_I);
	c.smep = false;
	/* SMAP: the kernel may not read or write a user page unless EFLAGS.AC is set. */
	c.smap = true;
	expect_fault(m, &c, usr, 0, WALK_FAULT_PROTECTION, 1, P);
	expect_fault(m, &c, usr, WALK_ACC_WRITE, WALK_FAULT_PROTECTION, 1, P | PF_ERR_W);
	expect_ok(m, &c, usr, WALK_ACC_AC | WALK_ACC_WRITE);
	expect_ok(m, &c, usr, WALK_ACC_USER);
	c.smap = false;
	/* Rights are the AND (RW, US) / OR (XD) over all levels: clear RW in the PDPTE. */
	poke_entry(m, &c, usr, 3, 0, PTE_RW);
	expect_fault(m, &c, usr, WALK_ACC_USER | WALK_ACC_WRITE, WALK_FAULT_PROTECTION, 1,
		     P | PF_ERR_U | PF_ERR_W);
	poke_entry(m, &c, usr, 3, PTE_RW | PTE_NX, 0);
	expect_fault(m, &c, usr, WALK_ACC_USER | WALK_ACC_FETCH, WALK_FAULT_PROTECTION, 1,
		     P | PF_ERR_U | PF_ERR_I);
	poke_entry(m, &c, usr, 4, 0, PTE_US);
	expect_fault(m, &c, usr, WALK_ACC_USER, WALK_FAULT_PROTECTION, 1, P | PF_ERR_U);
	ptmem__free(m);
}

static void test_canonical(void)
{
	uint64_t root, hi = 0x0000800000000000ULL;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c4 = cpu_for(root, 4), c5 = cpu_for(root, 5);
	struct walk w;

	/* Bit 47 set, 63:48 clear: non-canonical with 4 levels (#GP, error code 0, no load). */
	CHECK(walk__1d(ptmem__mem(m), &c4, hi, 0, &w) == -EFAULT);
	CHECK_EQ_U64(w.fault.kind, WALK_FAULT_NONCANONICAL);
	CHECK_EQ_U64(w.fault.error_code, 0);
	CHECK_EQ_U64(w.refs, 0);
	CHECK(walk__1d(ptmem__mem(m), &c4, 0xffff800000000000ULL, 0, &w) == -EFAULT);
	CHECK_EQ_U64(w.fault.kind, WALK_FAULT_NOT_PRESENT);
	/* With LA57 the same address is canonical; bit 56 decides instead. */
	CHECK(pt__map(m, root, hi, 0x200000, PAGE_4K, U, 5) == 0);
	CHECK(walk__1d(ptmem__mem(m), &c5, hi + 8, WALK_ACC_USER, &w) == 0);
	CHECK_EQ_U64(w.pa, 0x200008);
	CHECK_EQ_U64(w.refs, 5);
	CHECK(walk__1d(ptmem__mem(m), &c5, 1ULL << 56, 0, &w) == -EFAULT);
	CHECK_EQ_U64(w.fault.kind, WALK_FAULT_NONCANONICAL);
	CHECK(walk__1d(ptmem__mem(m), &c5, 0xff00000000000000ULL, 0, &w) == -EFAULT);
	CHECK_EQ_U64(w.fault.kind, WALK_FAULT_NOT_PRESENT);
	ptmem__free(m);
}

/*
 * 5-level paging (CR4.LA57, SDM Vol. 3A §4.5): faults at every level from
 * the PML5E down, with the same error codes as 4-level; PS in a PML5E is
 * reserved; the permissions of the PML5E count like any other level.
 */
static void test_5level_faults(void)
{
	uint64_t root, base = 0x00ff800000000000ULL, va = base + 0x123000; /* PML5 index 255 */
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, 5);
	const uint32_t rsvd = PF_ERR_P | PF_ERR_RSVD;
	struct walk w;

	/* Empty tree: the PML5E is not present. */
	expect_fault(m, &c, va, WALK_ACC_USER | WALK_ACC_WRITE, WALK_FAULT_NOT_PRESENT, 5,
		     PF_ERR_U | PF_ERR_W);
	CHECK(walk__1d(ptmem__mem(m), &c, va, 0, &w) == -EFAULT);
	CHECK_EQ_U64(w.refs, 1);
	CHECK_EQ_U64(w.lvl[5].entry_addr, root + 255 * 8);
	/* A neighbour 512G away shares only the PML5E: the PML4E faults. */
	CHECK(pt__map(m, root, va + (1ULL << 39), 0x600000, PAGE_4K, U, 5) == 0);
	expect_fault(m, &c, va, WALK_ACC_USER, WALK_FAULT_NOT_PRESENT, 4, PF_ERR_U);
	/* Each leaf size under 5 levels: 5, 4 or 3 loads. */
	CHECK(pt__map(m, root, va, 0x700000, PAGE_4K, U, 5) == 0);
	CHECK(pt__map(m, root, base + (1ULL << 30), 0x800000, PAGE_2M, U, 5) == 0);
	CHECK(pt__map(m, root, base + (2ULL << 30), 0x40000000, PAGE_1G, U, 5) == 0);
	CHECK(walk__1d(ptmem__mem(m), &c, va + 8, WALK_ACC_USER, &w) == 0);
	CHECK_EQ_U64(w.pa, 0x700008);
	CHECK_EQ_U64(w.refs, 5);
	CHECK(walk__1d(ptmem__mem(m), &c, base + (1ULL << 30) + 0x1234, WALK_ACC_USER, &w) == 0);
	CHECK_EQ_U64(w.pa, 0x800000 + 0x1234);
	CHECK_EQ_U64(w.size, PAGE_2M);
	CHECK_EQ_U64(w.refs, 4);
	CHECK(walk__1d(ptmem__mem(m), &c, base + (2ULL << 30) + 0x5000, WALK_ACC_USER, &w) == 0);
	CHECK_EQ_U64(w.size, PAGE_1G);
	CHECK_EQ_U64(w.refs, 3);
	CHECK_EQ_U64(w.pa, 0x40000000 + 0x5000);
	/* US cleared in the PML5E: a protection fault for users, reported at the leaf. */
	poke_entry(m, &c, va, 5, 0, PTE_US);
	expect_fault(m, &c, va, WALK_ACC_USER, WALK_FAULT_PROTECTION, 1, PF_ERR_P | PF_ERR_U);
	expect_ok(m, &c, va, WALK_ACC_WRITE);
	poke_entry(m, &c, va, 5, PTE_US, 0);
	/* PS in a PML5E and an address bit above MAXPHYADDR in a PML4E are reserved. */
	poke_entry(m, &c, va, 5, PTE_PS, 0);
	expect_fault(m, &c, va, WALK_ACC_USER, WALK_FAULT_RESERVED, 5, rsvd | PF_ERR_U);
	poke_entry(m, &c, va, 5, 0, PTE_PS);
	expect_ok(m, &c, va, WALK_ACC_USER);
	poke_entry(m, &c, va, 4, 1ULL << 47, 0);
	expect_fault(m, &c, va, WALK_ACC_FETCH, WALK_FAULT_RESERVED, 4, rsvd | PF_ERR_I);
	poke_entry(m, &c, va, 4, 0, 1ULL << 47);
	/* Non-canonical under LA57 is #GP with error code 0, whatever the access. */
	expect_fault(m, &c, 0x0100000000000000ULL, WALK_ACC_USER | WALK_ACC_FETCH,
		     WALK_FAULT_NONCANONICAL, 5, 0);
	ptmem__free(m);
}

/* Protection faults of 2M and 1G leaves: the same error codes, reported at the leaf's level. */
static void test_large_leaf_protection(void)
{
	uint64_t root, v2m = 0x40000000ULL, v1g = 0x8000000000ULL;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, 4);
	const uint32_t P = PF_ERR_P;

	CHECK(pt__map(m, root, v2m, 0x400000, PAGE_2M, PTE_US | PTE_NX, 4) == 0);
	CHECK(pt__map(m, root, v1g, 0x40000000, PAGE_1G, PTE_RW, 4) == 0);
	expect_fault(m, &c, v2m + 0x1000, WALK_ACC_USER | WALK_ACC_WRITE, WALK_FAULT_PROTECTION, 2,
		     P | PF_ERR_W | PF_ERR_U);
	expect_fault(m, &c, v2m, WALK_ACC_USER | WALK_ACC_FETCH, WALK_FAULT_PROTECTION, 2,
		     P | PF_ERR_U | PF_ERR_I);
	expect_ok(m, &c, v2m + 0x1ff000, WALK_ACC_USER);
	expect_fault(m, &c, v1g + 0x3fff0000, WALK_ACC_USER, WALK_FAULT_PROTECTION, 3,
		     P | PF_ERR_U);
	expect_fault(m, &c, v1g, WALK_ACC_USER | WALK_ACC_WRITE, WALK_FAULT_PROTECTION, 3,
		     P | PF_ERR_U | PF_ERR_W);
	/* A user fetch from a supervisor page. */
	expect_fault(m, &c, v1g, WALK_ACC_USER | WALK_ACC_FETCH, WALK_FAULT_PROTECTION, 3,
		     P | PF_ERR_U | PF_ERR_I);
	expect_ok(m, &c, v1g, WALK_ACC_WRITE | WALK_ACC_FETCH);
	ptmem__free(m);
}

/* A table outside the memory: a memory fault naming the entry's address, not a #PF. */
static void test_memory_fault(void)
{
	uint64_t root, va = 0x1000000ULL;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, 4);
	struct walk w;

	c.maxphyaddr = 52;
	CHECK(pt__map(m, root, va, 0x300000, PAGE_4K, U, 4) == 0);
	/* Point the PDE at a table beyond the memory's limit (1T). */
	poke_entry(m, &c, va, 2, MEM_LIMIT, 0);
	CHECK(walk__1d(ptmem__mem(m), &c, va, 0, &w) == -EFAULT);
	CHECK_EQ_U64(w.fault.kind, WALK_FAULT_MEMORY);
	CHECK_EQ_U64(w.fault.level, 1);
	CHECK_EQ_U64(w.fault.addr & ~0xfffULL, (w.lvl[2].entry & PTE_ADDR_MASK));
	CHECK_EQ_U64(w.fault.error_code, 0);
	CHECK_EQ_U64(w.refs, 3);
	ptmem__free(m);
}

static void test_accessed_dirty(void)
{
	uint64_t root, va = 0x2000000ULL;
	struct ptmem *m = mem_new(&root);
	struct walk_cpu c = cpu_for(root, 4);
	struct walk w;

	CHECK(pt__map(m, root, va, 0x300000, PAGE_4K, U, 4) == 0);
	c.set_ad = true;
	CHECK(walk__1d(ptmem__mem(m), &c, va, WALK_ACC_USER, &w) == 0);
	for (unsigned l = 4; l >= 1; l--)
		CHECK(w.lvl[l].entry & PTE_A);
	CHECK(!(w.lvl[1].entry & PTE_D));
	CHECK(walk__1d(ptmem__mem(m), &c, va, WALK_ACC_USER | WALK_ACC_WRITE, &w) == 0);
	CHECK(w.lvl[1].entry & PTE_D);
	CHECK(!(w.lvl[2].entry & PTE_D));
	ptmem__free(m);
}

/* Guest tables in GPA space, host tables mapping GPA x to HPA x + HOST_OFF with 4K pages. */
#define HOST_OFF 0x100000000ULL
#define GPA_SPAN 0x800000ULL

static void test_2d(unsigned glevels, unsigned hlevels)
{
	uint64_t groot, hroot, va = 0x7f1234567000ULL;
	struct ptmem *g = ptmem__new(MEM_LIMIT, TABLES), *h = ptmem__new(MEM_LIMIT, 1ULL << 39);
	struct walk_cpu gc, hc;
	struct walk2d w;

	CHECK(g && h);
	CHECK(pt__new_root(g, &groot) == 0);
	CHECK(pt__new_root(h, &hroot) == 0);
	CHECK(pt__map(g, groot, va, 0x700000, PAGE_4K, U, glevels) == 0);
	CHECK(pt__map_range(h, hroot, 0, HOST_OFF, GPA_SPAN, PAGE_4K, U, hlevels) == 0);
	gc = cpu_for(groot, glevels);
	hc = cpu_for(hroot, hlevels);
	CHECK(walk__2d(ptmem__mem(g), &gc, ptmem__mem(h), &hc, va + 0x10, WALK_ACC_USER, &w) == 0);
	CHECK_EQ_U64(w.gpa, 0x700010);
	CHECK_EQ_U64(w.hpa, HOST_OFF + 0x700010);
	/* Each guest level: a full host walk for the table's GPA, then the entry; then the data
	 * GPA. */
	CHECK_EQ_U64(w.refs, glevels + glevels * hlevels + hlevels);
	for (unsigned l = 1; l <= glevels; l++)
		CHECK_EQ_U64(w.refs_guest[l], 1);
	for (unsigned l = 1; l <= hlevels; l++)
		CHECK_EQ_U64(w.refs_host[l], glevels + 1);
	CHECK_EQ_U64(w.host_done, (1u << (glevels + 1)) - 1);
	if (glevels == 4 && hlevels == 4)
		CHECK_EQ_U64(w.refs, 24);
	if (glevels == 5 && hlevels == 5)
		CHECK_EQ_U64(w.refs, 35);

	/* A guest 2M page over host 4K pages gives a 4K combined mapping. */
	CHECK(pt__map(g, groot, 0x40000000, 0x200000, PAGE_2M, U, glevels) == 0);
	CHECK(walk__2d(ptmem__mem(g), &gc, ptmem__mem(h), &hc, 0x40000000, 0, &w) == 0);
	CHECK_EQ_U64(w.guest.size, PAGE_2M);
	CHECK_EQ_U64(w.size, PAGE_4K);
	CHECK_EQ_U64(w.refs, (glevels - 1) + (glevels - 1) * hlevels + hlevels);

	/* Data GPA outside the host mapping: a host fault at slot 0 (the final translation). */
	CHECK(pt__map(g, groot, 0x50000000, GPA_SPAN + 0x1000, PAGE_4K, U, glevels) == 0);
	CHECK(walk__2d(ptmem__mem(g), &gc, ptmem__mem(h), &hc, 0x50000000, WALK_ACC_WRITE, &w) ==
	      -EFAULT);
	CHECK_EQ_U64(w.guest.fault.kind, WALK_FAULT_HOST);
	CHECK_EQ_U64(w.guest.fault.level, 0);
	CHECK_EQ_U64(w.guest.fault.host_kind, WALK_FAULT_NOT_PRESENT);
	CHECK_EQ_U64(w.guest.fault.error_code, PF_ERR_U | PF_ERR_W);
	CHECK_EQ_U64(w.guest.fault.addr, GPA_SPAN + 0x1000);
	/* Guest fault inside a 2D walk: the guest's #PF, after the host walks made so far. */
	CHECK(walk__2d(ptmem__mem(g), &gc, ptmem__mem(h), &hc, 0x60000000000ULL, 0, &w) == -EFAULT);
	/* Its PML4 index (12) differs from va's; with 5 levels the PML5E (index 0) is shared. */
	CHECK_EQ_U64(w.guest.fault.kind, WALK_FAULT_NOT_PRESENT);
	CHECK_EQ_U64(w.guest.fault.level, 4);
	CHECK_EQ_U64(w.refs, (glevels - 3) * (1 + hlevels));
	ptmem__free(g);
	ptmem__free(h);
}

static void test_2d_host_fault_on_table(void)
{
	uint64_t groot, hroot, va = 0x1000;
	struct ptmem *g = ptmem__new(MEM_LIMIT, TABLES), *h = ptmem__new(MEM_LIMIT, 1ULL << 39);
	struct walk_cpu gc, hc;
	struct walk2d w;

	CHECK(pt__new_root(g, &groot) == 0 && pt__new_root(h, &hroot) == 0);
	CHECK(pt__map(g, groot, va, 0x5000, PAGE_4K, U, 4) == 0);
	/* The host maps only the guest root table's page: the PDPT's GPA is unmapped. */
	CHECK(pt__map(h, hroot, groot, groot + HOST_OFF, PAGE_4K, U, 4) == 0);
	gc = cpu_for(groot, 4);
	hc = cpu_for(hroot, 4);
	CHECK(walk__2d(ptmem__mem(g), &gc, ptmem__mem(h), &hc, va, 0, &w) == -EFAULT);
	CHECK_EQ_U64(w.guest.fault.kind, WALK_FAULT_HOST);
	CHECK_EQ_U64(w.guest.fault.level, 3);
	/* Root: 4 host + 1 guest loads; the PDPT's GPA shares the host PT, whose PTE is not
	 * present. */
	CHECK_EQ_U64(w.refs, 4 + 1 + 4);
	ptmem__free(g);
	ptmem__free(h);
}

static void test_builder_errors(void)
{
	uint64_t root;
	struct ptmem *m = mem_new(&root);

	CHECK(pt__map(m, root, 0x1001, 0x2000, PAGE_4K, 0, 4) == -EINVAL);
	CHECK(pt__map(m, root, 0x200000, 0x201000, PAGE_2M, 0, 4) == -EINVAL);
	CHECK(pt__map(m, root, 0x1000, 0x2000, PAGE_4K, 0, 3) == -EINVAL);
	CHECK(pt__map(m, root, 0x200000, 0x200000, PAGE_2M, 0, 4) == 0);
	CHECK(pt__map(m, root, 0x201000, 0x2000, PAGE_4K, 0, 4) == -EEXIST);
	CHECK(pt__map(m, root, 0x400000, 0x2000, PAGE_4K, 0, 4) == 0);
	CHECK(pt__map(m, root, 0x400000, 0x400000, PAGE_2M, 0, 4) == -EEXIST);
	CHECK(pt__unmap(m, root, 0x600000, 4) == -ENOENT);
	CHECK(ptmem__write64(m, MEM_LIMIT, 0) == -EFAULT);
	ptmem__free(m);
}

int main(void)
{
	test_leaves(4);
	test_leaves(5);
	test_flags_decode();
	test_not_present();
	test_reserved();
	test_protection();
	test_canonical();
	test_5level_faults();
	test_large_leaf_protection();
	test_memory_fault();
	test_accessed_dirty();
	test_2d(4, 4);
	test_2d(5, 5);
	test_2d(4, 5);
	test_2d(5, 4);
	test_2d_host_fault_on_table();
	test_builder_errors();
	TEST_DONE();
}
