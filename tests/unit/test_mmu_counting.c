// SPDX-License-Identifier: GPL-2.0
/*
 * The simulator's counting conventions (docs/sim-model.md, "Counting
 * conventions"): non-canonical accesses, PWC lookups, TLB set indexing of
 * kernel-half addresses, the widest set. Expected values follow each rule.
 */
#include <errno.h>
#include <string.h>

#include "test.h"

#include "mmu/mmu.h"

#define U     (PTE_RW | PTE_US)
#define LIMIT (1ULL << 40)

struct env {
	struct ptmem *m;
	uint64_t root;
	struct sim *s;
};

static void env_init(struct env *e, const struct sim_config *c)
{
	struct sim_tables t = {0};

	e->m = ptmem__new(LIMIT, 0x1000);
	CHECK(e->m != NULL);
	CHECK(pt__new_root(e->m, &e->root) == 0);
	t.mem = ptmem__mem(e->m);
	t.root = e->root;
	e->s = sim__new(c, PAGING_NATIVE, &t);
	CHECK(e->s != NULL);
}

static void env_fini(struct env *e)
{
	sim__free(e->s);
	ptmem__free(e->m);
}

/*
 * Bit 47 set and 63:48 clear is not canonical under 4-level paging: #GP before
 * any lookup, so one fault, one non-canonical access, no TLB miss, no walk,
 * nothing in the histogram, no PWC lookup. Under 5-level paging it is
 * canonical: an empty root gives a not-present PML5E after one load.
 */
static void test_noncanonical(unsigned levels)
{
	const uint64_t va = 0x0000800000000000ULL;
	struct sim_config c;
	struct sim_result r;
	struct env e;
	uint64_t hist = 0;

	sim_config__textbook(&c);
	c.levels = levels;
	c.pwc.level[2] = (struct assoc_config){16, 16, REPL_LRU};
	env_init(&e, &c);
	CHECK(sim__access(e.s, va, false) == -EFAULT);
	sim__result(e.s, &r);
	for (unsigned b = 0; b < SIM_HIST_BUCKETS; b++)
		hist += r.refs_hist[b];
	CHECK_EQ_U64(r.faults, 1);
	CHECK_EQ_U64(r.walks, 0);
	CHECK_EQ_U64(r.pwc_lookups, 0);
	if (levels == 4) {
		CHECK_EQ_U64(r.noncanonical, 1);
		CHECK_EQ_U64(r.tlb_misses[0], 0);
		CHECK_EQ_U64(hist, 0);
		CHECK_EQ_U64(r.refs_walk, 0);
	} else {
		CHECK_EQ_U64(r.noncanonical, 0);
		CHECK_EQ_U64(r.tlb_misses[0], 1);
		CHECK_EQ_U64(r.refs_hist[1], 1);
		CHECK_EQ_U64(r.refs_walk, 1);
	}
	env_fini(&e);
}

/*
 * PWC lookups: one per walk for which some configured cache lies above the
 * walk's leaf. Five pages of @ps in one 512G region, each a TLB miss (a
 * 1-entry TLB): caches @mask (bit per level) hold entries for the walk only
 * above the leaf.
 */
static void test_pwc_rule(enum page_size ps, uint32_t mask, uint64_t want_lookups,
			  uint64_t want_hits)
{
	const uint64_t base = 0x7f8000000000ULL;
	struct sim_config c;
	struct sim_result r;
	struct env e;
	uint64_t hits = 0;

	sim_config__textbook(&c);
	c.tlb.level[0].array[0].geo = (struct assoc_config){1, 1, REPL_LRU};
	for (unsigned l = 2; l <= 4; l++)
		if (mask & (1u << l))
			c.pwc.level[l] = (struct assoc_config){8, 8, REPL_LRU};
	env_init(&e, &c);
	for (unsigned i = 0; i < 5; i++) {
		uint64_t va = base + i * page_size_bytes(ps);

		CHECK(pt__map(e.m, e.root, va, 0x40000000ULL * 2 + i * page_size_bytes(ps), ps, U,
			      4) == 0);
		CHECK(sim__access(e.s, va, false) == 0);
	}
	sim__result(e.s, &r);
	for (unsigned l = 0; l <= PT_MAX_LEVELS; l++)
		hits += r.pwc_hits[l];
	CHECK_EQ_U64(r.walks, 5);
	CHECK_EQ_U64(r.pwc_lookups, want_lookups);
	CHECK_EQ_U64(hits, want_hits);
	CHECK(hits <= r.pwc_lookups);
	env_fini(&e);
}

/*
 * TLB sets are the VPN, VA[47:12] under 4-level paging, modulo the set count.
 * 48 entries of 4 ways: 12 sets. User VPNs 0x8000000 + 12i (2^27 = 8 mod 12)
 * and the kernel VPN 0x800000000 of 0xffff800000000000 (2^35 = 8 mod 12) all
 * fall in set 8: five pages in turn through four LRU ways miss every time. 48
 * consecutive kernel pages fill the 12 sets evenly: no miss after warm-up.
 */
static void test_kernel_half_sets(void)
{
	const uint64_t kva = 0xffff800000000000ULL;
	uint64_t va[5];
	struct sim_config c;
	struct sim_result r;
	struct env e;

	sim_config__textbook(&c);
	c.tlb.level[0].array[0].geo = (struct assoc_config){48, 4, REPL_LRU};
	env_init(&e, &c);
	for (unsigned i = 0; i < 4; i++)
		va[i] = (0x8000000ULL + 12 * i) << 12;
	va[4] = kva;
	for (unsigned i = 0; i < 5; i++)
		CHECK(pt__map(e.m, e.root, va[i], 0x100000000ULL + i * 4096, PAGE_4K, U, 4) == 0);
	for (unsigned i = 1; i < 48; i++)
		CHECK(pt__map(e.m, e.root, kva + i * 4096ULL, 0x200000000ULL + i * 4096, PAGE_4K, U,
			      4) == 0);
	for (unsigned i = 0; i < 5; i++)
		sim__access(e.s, va[i], false);
	sim__reset_stats(e.s);
	for (unsigned n = 0; n < 10; n++)
		for (unsigned i = 0; i < 5; i++)
			CHECK(sim__access(e.s, va[i], false) == 0);
	sim__result(e.s, &r);
	CHECK_EQ_U64(r.tlb_misses[0], 50);
	for (unsigned i = 0; i < 48; i++)
		CHECK(sim__access(e.s, kva + i * 4096ULL, false) == 0);
	sim__reset_stats(e.s);
	for (unsigned i = 0; i < 48; i++)
		CHECK(sim__access(e.s, kva + i * 4096ULL, false) == 0);
	sim__result(e.s, &r);
	CHECK_EQ_U64(r.tlb_misses[0], 0);
	env_fini(&e);
}

/* The widest set is 1024 ways, in files and in code, with a message that says so. */
static void test_max_ways(void)
{
	struct sim_config c;
	char err[256];

	sim_config__textbook(&c);
	CHECK(sim_config__parse(&c,
				"[tlb1]\nlatency = 1\n[tlb1.all]\nentries = 2048\nways = 1024\n",
				"t.conf", err, sizeof(err)) == 0);
	sim_config__textbook(&c);
	CHECK(sim_config__parse(&c,
				"[tlb1]\nlatency = 1\n[tlb1.all]\nentries = 2048\nways = 2048\n",
				"t.conf", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "t.conf:5:") != NULL);
	CHECK(strstr(err, "1024") != NULL);
	sim_config__textbook(&c);
	c.pwc.level[2] = (struct assoc_config){1025, 1025, REPL_LRU};
	CHECK(sim_config__validate(&c, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "1024") != NULL);
}

int main(void)
{
	test_noncanonical(4);
	test_noncanonical(5);
	/* 4K leaves: a PDE cache lies above every walk; hits from the second page on. */
	test_pwc_rule(PAGE_4K, 1u << 2, 5, 4);
	/* 2M leaves: a PDE cache alone never holds an entry for them; a PDPTE cache does. */
	test_pwc_rule(PAGE_2M, 1u << 2, 0, 0);
	test_pwc_rule(PAGE_2M, (1u << 2) | (1u << 3), 5, 4);
	/* 1G leaves: PDE and PDPTE caches never; a PML4E cache does. */
	test_pwc_rule(PAGE_1G, (1u << 2) | (1u << 3), 0, 0);
	test_pwc_rule(PAGE_1G, 1u << 4, 5, 4);
	test_kernel_half_sets();
	test_max_ways();
	TEST_DONE();
}
