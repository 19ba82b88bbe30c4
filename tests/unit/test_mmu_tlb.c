// SPDX-License-Identifier: GPL-2.0
/* TLB model: pointer chases per geometry and policy, tree-PLRU order, PCID/VPID tags and flushes.
 */
#include <errno.h>

#include "test.h"

#include "mmu/mmu.h"

#define BASE_VA 0x10000000000ULL

static struct tlb_config one_array(unsigned entries, unsigned ways, enum repl_policy pol,
				   uint32_t sizes)
{
	struct tlb_config c = {.nlevels = 1};

	c.level[0].narrays = 1;
	c.level[0].array[0].geo = (struct assoc_config){entries, ways, pol};
	c.level[0].array[0].sizes = sizes;
	return c;
}

struct chase {
	struct ptmem *m;
	struct sim *s;
	uint64_t *order; /* page numbers in visiting order: one random cycle */
	unsigned k;
};

/* K 4K pages at consecutive VPNs, visited in a fixed random order, under one TLB array. */
static void chase_init(struct chase *c, unsigned k, unsigned entries, unsigned ways,
		       enum repl_policy pol)
{
	struct sim_config cfg;
	struct sim_tables t = {0};
	uint64_t root, rng = 12345;

	sim_config__textbook(&cfg);
	cfg.tlb = one_array(entries, ways, pol, 1u << PAGE_4K);
	c->m = ptmem__new(1ULL << 40, 0x1000);
	CHECK(pt__new_root(c->m, &root) == 0);
	CHECK(pt__map_range(c->m, root, BASE_VA, 1ULL << 32, (uint64_t)k << 12, PAGE_4K,
			    PTE_RW | PTE_US, 4) == 0);
	t.mem = ptmem__mem(c->m);
	t.root = root;
	c->s = sim__new(&cfg, PAGING_NATIVE, &t);
	CHECK(c->s != NULL);
	c->k = k;
	c->order = calloc(k, sizeof(*c->order));
	for (unsigned i = 0; i < k; i++)
		c->order[i] = i;
	for (unsigned i = k - 1; i > 0; i--) {
		unsigned j;
		uint64_t tmp;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (unsigned)((rng >> 33) % (i + 1));
		tmp = c->order[i];
		c->order[i] = c->order[j];
		c->order[j] = tmp;
	}
}

/* Run @rounds rounds after one warm-up round; returns the misses counted after warm-up. */
static uint64_t chase_run(struct chase *c, unsigned rounds)
{
	struct sim_result r;

	for (unsigned i = 0; i < c->k; i++)
		CHECK(sim__access(c->s, BASE_VA + (c->order[i] << 12) + 8, false) == 0);
	sim__reset_stats(c->s);
	for (unsigned n = 0; n < rounds; n++)
		for (unsigned i = 0; i < c->k; i++)
			CHECK(sim__access(c->s, BASE_VA + (c->order[i] << 12) + 64 * (n % 64),
					  false) == 0);
	sim__result(c->s, &r);
	CHECK_EQ_U64(r.accesses, (uint64_t)rounds * c->k);
	CHECK_EQ_U64(r.tlb_hits[0][PAGE_4K] + r.tlb_misses[0], r.accesses);
	CHECK_EQ_U64(r.walks, r.tlb_misses[0]);
	return r.tlb_misses[0];
}

static void chase_fini(struct chase *c)
{
	sim__free(c->s);
	ptmem__free(c->m);
	free(c->order);
}

/*
 * K pages that fit (K <= entries, at most `ways` per set) hit 100% once warm
 * under any policy: fills take invalid ways first and nothing is evicted. One
 * more page per set: LRU misses on every access of a cyclic pattern (the page
 * needed next is always the least recently used); tree-PLRU with 2 ways is
 * LRU; with more ways PLRU and random miss at least once per round per set
 * and at most on every access.
 */
static void test_chase(unsigned entries, unsigned ways)
{
	unsigned sets = entries / ways, rounds = 20;

	for (unsigned pol = REPL_LRU; pol <= REPL_RANDOM; pol++) {
		struct chase c;
		uint64_t miss;

		chase_init(&c, entries, entries, ways, (enum repl_policy)pol);
		CHECK_EQ_U64(chase_run(&c, rounds), 0);
		chase_fini(&c);

		chase_init(&c, entries + sets, entries, ways, (enum repl_policy)pol);
		miss = chase_run(&c, rounds);
		if (pol == REPL_LRU || (pol == REPL_PLRU && ways == 2))
			CHECK_EQ_U64(miss, (uint64_t)rounds * (entries + sets));
		else
			CHECK(miss >= (uint64_t)rounds * sets &&
			      miss <= (uint64_t)rounds * (entries + sets));
		chase_fini(&c);
	}
}

/* Tree-PLRU over 3 ways (non-power-of-two generalisation, docs/sim-model.md). */
static void test_plru_3way(void)
{
	struct tlb_config c = one_array(3, 3, REPL_PLRU, 1u << PAGE_4K);
	struct tlb *t = tlb__new(&c, 1);
	struct tlb_tag tag = {0, 0};
	struct tlb_entry e = {.size = PAGE_4K, .perms = WALK_PERM_U}, out;
	const char *seq = "ABCDBE";

	CHECK(t != NULL);
	/* Fill A B C into ways 0 1 2, then D evicts A (way 0), B hits, E evicts C (way 2). */
	for (const char *p = seq; *p; p++) {
		e.va = (uint64_t)(*p - 'A') << 12;
		e.pa = e.va + 0x100000;
		if (!tlb__lookup(t, 0, tag, e.va, &out))
			tlb__insert(t, 0, tag, &e);
	}
	CHECK(!tlb__lookup(t, 0, tag, 0 << 12, &out)); /* A */
	CHECK(!tlb__lookup(t, 0, tag, 2 << 12, &out)); /* C */
	CHECK(tlb__lookup(t, 0, tag, 1 << 12, &out));  /* B */
	CHECK(tlb__lookup(t, 0, tag, 3 << 12, &out));  /* D */
	CHECK(tlb__lookup(t, 0, tag, 4 << 12, &out));  /* E */
	CHECK_EQ_U64(out.pa, (4 << 12) + 0x100000);
	tlb__free(t);
}

/* The most recently used way is never the PLRU victim, for any number of ways. */
static void test_plru_mru_kept(void)
{
	for (unsigned ways = 2; ways <= 13; ways++) {
		struct tlb_config c = one_array(ways, ways, REPL_PLRU, 1u << PAGE_4K);
		struct tlb *t = tlb__new(&c, 1);
		struct tlb_tag tag = {0, 0};
		struct tlb_entry e = {.size = PAGE_4K}, out;

		for (uint64_t p = 0; p < 200; p++) {
			e.va = p << 12;
			tlb__insert(t, 0, tag, &e);
			CHECK(tlb__lookup(t, 0, tag, e.va, &out));
			/* p - 1 was the most recent when p's victim was chosen. */
			if (p)
				CHECK(tlb__lookup(t, 0, tag, (p - 1) << 12, &out));
			tlb__lookup(t, 0, tag, e.va, &out);
		}
		tlb__free(t);
	}
}

static void insert(struct tlb *t, uint16_t pcid, uint16_t vpid, uint64_t va, enum page_size ps,
		   bool global)
{
	struct tlb_entry e = {.va = va, .pa = va + 0x40000000, .size = ps, .global = global};

	tlb__insert(t, 0, (struct tlb_tag){pcid, vpid}, &e);
}

static bool present(struct tlb *t, uint16_t pcid, uint16_t vpid, uint64_t va)
{
	struct tlb_entry e;

	return tlb__lookup(t, 0, (struct tlb_tag){pcid, vpid}, va, &e);
}

static void test_tags_and_flushes(void)
{
	struct tlb_config c = one_array(64, 4, REPL_LRU, (1u << PAGE_SIZES) - 1);
	struct tlb *t = tlb__new(&c, 1);

	insert(t, 1, 0, 0x1000, PAGE_4K, false);
	insert(t, 2, 0, 0x1000, PAGE_4K, false);
	insert(t, 1, 0, 0x2000, PAGE_4K, false);
	insert(t, 1, 0, 0x400000, PAGE_2M, true);
	insert(t, 3, 7, 0x1000, PAGE_4K, false);
	/* PCID and VPID separate address spaces; a global entry matches any PCID of its VPID. */
	CHECK(present(t, 1, 0, 0x1000) && present(t, 2, 0, 0x1000) && !present(t, 3, 0, 0x1000));
	CHECK(present(t, 3, 7, 0x1fff) && !present(t, 1, 7, 0x1000));
	CHECK(present(t, 9, 0, 0x5fffff) && !present(t, 9, 1, 0x400000));
	/* Flush PCID 1: its non-global entries go, the global entry and PCID 2 stay. */
	tlb__flush_pcid(t, (struct tlb_tag){1, 0});
	CHECK(!present(t, 1, 0, 0x1000) && !present(t, 1, 0, 0x2000));
	CHECK(present(t, 2, 0, 0x1000) && present(t, 1, 0, 0x400000));
	/* INVLPG in PCID 2: that page of PCID 2, and a global page at that address. */
	insert(t, 2, 0, 0x2000, PAGE_4K, false);
	tlb__invlpg(t, (struct tlb_tag){2, 0}, 0x1abc);
	CHECK(!present(t, 2, 0, 0x1000) && present(t, 2, 0, 0x2000) && present(t, 3, 7, 0x1000));
	tlb__invlpg(t, (struct tlb_tag){2, 0}, 0x5ff000);
	CHECK(!present(t, 1, 0, 0x400000));
	/* VPID flush drops every entry of that VPID, whatever the PCID. */
	tlb__flush_vpid(t, 7);
	CHECK(!present(t, 3, 7, 0x1000) && present(t, 2, 0, 0x2000));
	insert(t, 1, 0, 0x400000, PAGE_2M, true);
	tlb__flush_all(t);
	CHECK(!present(t, 2, 0, 0x2000) && !present(t, 1, 0, 0x400000));
	tlb__free(t);
}

/* Split arrays: each size only in its own array; a level without a 1G array caches no 1G page. */
static void test_split_sizes(void)
{
	struct tlb_config c = {.nlevels = 2};
	struct tlb *t;
	struct tlb_entry e = {.va = 0x40000000, .pa = 0x80000000, .size = PAGE_1G}, out;
	struct tlb_tag tag = {0, 0};

	c.level[0].narrays = 2;
	c.level[0].array[0] = (struct tlb_array_config){{8, 8, REPL_LRU}, 1u << PAGE_4K};
	c.level[0].array[1] = (struct tlb_array_config){{4, 4, REPL_LRU}, 1u << PAGE_2M};
	c.level[1].narrays = 1;
	c.level[1].array[0] = (struct tlb_array_config){{12, 3, REPL_LRU}, 7};
	t = tlb__new(&c, 1);
	CHECK(t != NULL);
	tlb__insert(t, 0, tag, &e);
	tlb__insert(t, 1, tag, &e);
	CHECK(!tlb__lookup(t, 0, tag, 0x40001000, &out));
	CHECK(tlb__lookup(t, 1, tag, 0x7fffffff, &out));
	CHECK_EQ_U64(out.size, PAGE_1G);
	CHECK_EQ_U64(out.pa, 0x80000000);
	e = (struct tlb_entry){.va = 0x600000, .pa = 0x200000, .size = PAGE_2M};
	tlb__insert(t, 0, tag, &e);
	CHECK(tlb__lookup(t, 0, tag, 0x7fffff, &out) && out.size == PAGE_2M);
	CHECK(!tlb__lookup(t, 0, tag, 0x800000, &out));
	tlb__free(t);
	/* Two arrays of one level may not hold the same size. */
	c.level[0].array[1].sizes = (1u << PAGE_4K) | (1u << PAGE_2M);
	errno = 0;
	CHECK(tlb__new(&c, 1) == NULL && errno == EINVAL);
}

/* Random replacement is seeded: the same seed gives the same run. */
static void test_random_deterministic(void)
{
	uint64_t miss[2];

	for (int i = 0; i < 2; i++) {
		struct chase c;

		chase_init(&c, 80, 64, 8, REPL_RANDOM);
		miss[i] = chase_run(&c, 10);
		chase_fini(&c);
	}
	CHECK_EQ_U64(miss[0], miss[1]);
}

int main(void)
{
	test_chase(64, 4);    /* power of two */
	test_chase(72, 72);   /* Zen 4 L1 DTLB: fully associative, 72 entries */
	test_chase(1536, 12); /* Zen 1 L2 DTLB: 12 ways, 128 sets */
	test_chase(60, 4);    /* 15 sets: indexed by modulo */
	test_chase(96, 6);    /* Golden Cove L1 DTLB 4K */
	test_chase(32, 2);
	test_plru_3way();
	test_plru_mru_kept();
	test_tags_and_flushes();
	test_split_sizes();
	test_random_deterministic();
	TEST_DONE();
}
