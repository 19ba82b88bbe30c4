// SPDX-License-Identifier: GPL-2.0
/*
 * One-pass TLB size sweeps: the LRU stack-distance misses of a level at every
 * size equal separate simulator runs at each size (the set-associative model,
 * an independent computation), and a hand-computed stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "mmu/mmu.h"

#define BASE_4K	 0x10000000000ULL /* 4K pages */
#define PAGES_4K 3000u
#define BASE_2M	 0x20000000000ULL /* 2M pages */
#define PAGES_2M 48u
#define NACC	 120000u
#define U	 (PTE_RW | PTE_US)
#define LIMIT	 (1ULL << 40)
#define BATCH	 256

struct env {
	struct ptmem *m;
	struct sim_tables t;
};

static void env_init(struct env *e)
{
	uint64_t root;

	e->m = ptmem__new(LIMIT, 0x1000);
	CHECK(e->m != NULL);
	CHECK(pt__new_root(e->m, &root) == 0);
	CHECK(pt__map_range(e->m, root, BASE_4K, 1ULL << 32, (uint64_t)PAGES_4K << 12, PAGE_4K, U,
			    4) == 0);
	CHECK(pt__map_range(e->m, root, BASE_2M, 1ULL << 34, (uint64_t)PAGES_2M << 21, PAGE_2M, U,
			    4) == 0);
	e->t = (struct sim_tables){.mem = ptmem__mem(e->m), .root = root};
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A page of either region: mostly 4K pages, some 2M ones. */
static uint64_t any_va(uint64_t *x)
{
	uint64_t r = rnd(x);

	if (r % 5 == 0)
		return BASE_2M + (r >> 8) % ((uint64_t)PAGES_2M << 21);
	return BASE_4K + (r >> 8) % ((uint64_t)PAGES_4K << 12);
}

enum stream { S_RANDOM, S_GUPS, S_SEQ, S__COUNT };

/* The workloads' shapes: uniform random, GUPS read-modify-write, sequential strides. */
static size_t make_stream(enum stream k, struct sim_req *req, size_t n)
{
	static const uint64_t strides[] = {4096, 4096 + 64, 12288, (2u << 20) + 4096};
	uint64_t x = 0x9E3779B97F4A7C15ULL + k, va;
	size_t i = 0;

	while (i < n) {
		switch (k) {
		case S_RANDOM:
			req[i++] = (struct sim_req){any_va(&x), WALK_ACC_USER};
			break;
		case S_GUPS:
			va = any_va(&x) & ~7ULL;
			req[i++] = (struct sim_req){va, WALK_ACC_USER};
			if (i < n)
				req[i++] = (struct sim_req){va, WALK_ACC_USER | WALK_ACC_WRITE};
			break;
		default: {
			uint64_t st = strides[(i / 20000) % 4];
			bool big = (i / 20000) % 4 == 3;
			uint64_t base = big ? BASE_2M : BASE_4K;
			uint64_t len = big ? (uint64_t)PAGES_2M << 21 : (uint64_t)PAGES_4K << 12;

			req[i] = (struct sim_req){base + (i * st) % len, WALK_ACC_USER};
			i++;
		}
		}
	}
	return n;
}

/* One run over @req (batches, as 'memvirt sim' feeds them), with a sweep if @sw. */
static void run(const struct sim_config *c, const struct sim_tables *t,
		const struct tlb_sweep_config *sw, const struct sim_req *req, size_t n,
		struct sim_result *r)
{
	struct sim *s = sim__new(c, PAGING_NATIVE, t);

	CHECK(s != NULL);
	if (sw)
		CHECK(sim__set_sweep(s, sw) == 0);
	for (size_t i = 0; i < n; i += BATCH)
		CHECK(sim__access_batch(s, req + i, n - i < BATCH ? n - i : BATCH) == 0);
	sim__result(s, r);
	sim__free(s);
}

/* The array a sweep varies: the one holding 4K pages. */
static unsigned swept_array(const struct tlb_level_config *lc)
{
	for (unsigned i = 0; i < lc->narrays; i++)
		if (lc->array[i].sizes & (1u << PAGE_4K))
			return i;
	return 0;
}

/* The sweep of @sw equals one run per size with that geometry set in the configuration. */
static void check_sweep(const struct sim_config *c, const struct sim_tables *t,
			const struct tlb_sweep_config *sw, const struct sim_req *req, size_t n)
{
	struct sim_result one, sep;
	unsigned a = swept_array(&c->tlb.level[sw->level]);

	run(c, t, sw, req, n, &one);
	CHECK(one.sweep.on);
	CHECK_EQ_U64(one.sweep.inexact, 0);
	CHECK_EQ_U64(one.sweep.lookups, sw->level ? one.tlb_misses[sw->level - 1] : one.accesses);
	for (unsigned i = 0; i < sw->nsizes; i++) {
		struct sim_config ci = *c;
		unsigned e = sw->entries[i];

		ci.tlb.level[sw->level].array[a].geo.entries = e;
		ci.tlb.level[sw->level].array[a].geo.ways = sw->sets ? e / sw->sets : e;
		run(&ci, t, NULL, req, n, &sep);
		CHECK_EQ_U64(one.sweep.entries[i], e);
		CHECK_EQ_U64(one.sweep.misses[i], sep.tlb_misses[sw->level]);
	}
}

static void set_array(struct tlb_level_config *l, unsigned i, unsigned entries, unsigned ways,
		      enum repl_policy pol, uint32_t sizes)
{
	l->array[i].geo = (struct assoc_config){entries, ways, pol};
	l->array[i].sizes = sizes;
	l->narrays = i + 1;
	l->latency = 1;
}

/* Level 1: split 4K (64, 4-way) and 2M (32, 4-way) arrays; level 2: unified 512, 8-way. */
static void cfg_two_levels(struct sim_config *c, enum repl_policy l1)
{
	sim_config__textbook(c);
	c->tlb.nlevels = 2;
	set_array(&c->tlb.level[0], 0, 64, 4, l1, 1u << PAGE_4K);
	set_array(&c->tlb.level[0], 1, 32, 4, l1, 1u << PAGE_2M);
	set_array(&c->tlb.level[1], 0, 512, 8, REPL_LRU, (1u << PAGE_4K) | (1u << PAGE_2M));
}

static struct tlb_sweep_config sweep_pow2(unsigned level, unsigned sets, unsigned lo, unsigned hi)
{
	struct tlb_sweep_config sw = {.level = level, .sets = sets};

	for (unsigned e = lo; e <= hi; e *= 2)
		sw.entries[sw.nsizes++] = e;
	return sw;
}

static void test_equals_separate_runs(void)
{
	struct sim_req *req = calloc(NACC, sizeof(*req));
	struct sim_config one, two, plru;
	struct tlb_sweep_config sw;
	struct env e;

	CHECK(req != NULL);
	env_init(&e);
	sim_config__textbook(&one); /* one unified level */
	cfg_two_levels(&two, REPL_LRU);
	cfg_two_levels(&plru, REPL_PLRU);
	for (int k = 0; k < S__COUNT; k++) {
		size_t n = make_stream((enum stream)k, req, NACC);

		sw = sweep_pow2(0, 0, 1, 1024); /* fully associative, 1..1024 entries */
		check_sweep(&one, &e.t, &sw, req, n);
		sw = sweep_pow2(0, 4, 4, 1024); /* 4 sets, 1..256 ways */
		check_sweep(&one, &e.t, &sw, req, n);
		sw = sweep_pow2(0, 0, 8, 512); /* level 1's 4K array; its 2M array stays */
		check_sweep(&two, &e.t, &sw, req, n);
		sw = sweep_pow2(1, 64, 64, 1024); /* level 2: 64 sets, 1..16 ways */
		check_sweep(&two, &e.t, &sw, req, n);
		sw = sweep_pow2(1, 0, 16, 1024);
		check_sweep(&two, &e.t, &sw, req, n);
		/* The level above may replace by any policy: the stream reaching level 2 is fixed.
		 */
		check_sweep(&plru, &e.t, &sw, req, n);
	}
	ptmem__free(e.m);
	free(req);
}

/*
 * A B C A B D A through one fully associative LRU level. Stack distances: A,
 * B, C, D first uses (misses at every size); A at 3 (B, C since), B at 3 (C,
 * A), D first, A at 3 (B, D). Misses: 1 entry 7, 2 entries 7, 3 entries 4,
 * 4 entries 4.
 */
static void test_hand_stream(void)
{
	static const unsigned page[] = {0, 1, 2, 0, 1, 3, 0};
	static const uint64_t want[] = {7, 7, 4, 4};
	struct tlb_sweep_config sw = {.nsizes = 4, .entries = {1, 2, 3, 4}};
	struct sim_req req[7];
	struct sim_result r;
	struct sim_config c;
	struct env e;

	env_init(&e);
	sim_config__textbook(&c);
	for (unsigned i = 0; i < 7; i++)
		req[i] = (struct sim_req){BASE_4K + page[i] * 4096ULL + 8, WALK_ACC_USER};
	run(&c, &e.t, &sw, req, 7, &r);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ_U64(r.sweep.misses[i], want[i]);
	CHECK_EQ_U64(r.sweep.lookups, 7);
	for (unsigned i = 0; i < 4; i++) {
		c.tlb.level[0].array[0].geo = (struct assoc_config){i + 1, i + 1, REPL_LRU};
		run(&c, &e.t, NULL, req, 7, &r);
		CHECK_EQ_U64(r.tlb_misses[0], want[i]);
	}
	ptmem__free(e.m);
}

/* Refused configurations, and the events that end exactness at run time. */
static void test_limits(void)
{
	struct tlb_sweep_config sw = {.nsizes = 2, .entries = {16, 64}};
	struct sim_config c;
	struct sim_result r;
	struct env e;
	struct sim *s;
	char err[256];

	sim_config__textbook(&c);
	CHECK(tlb_sweep_check(&c, &sw, err, sizeof(err)) == 0);
	c.tlb.level[0].array[0].geo.policy = REPL_PLRU;
	CHECK(tlb_sweep_check(&c, &sw, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "plru") != NULL);
	sim_config__textbook(&c);
	sw.sets = 32;
	CHECK(tlb_sweep_check(&c, &sw, err, sizeof(err)) == -EINVAL); /* 16 entries, 32 sets */
	sw.sets = 0;
	sw.level = 1;
	CHECK(tlb_sweep_check(&c, &sw, err, sizeof(err)) == -EINVAL); /* one level only */
	sw.level = 0;

	env_init(&e);
	s = sim__new(&c, PAGING_NATIVE, &e.t);
	CHECK(sim__set_sweep(s, &sw) == 0);
	CHECK(sim__access(s, BASE_4K, false) == 0);
	/* A full flush empties every size alike: still exact. A page held: no longer. */
	CHECK(sim__flush(s, SIM_FLUSH_ALL, 0) == 0);
	CHECK(sim__flush(s, SIM_FLUSH_ADDR, BASE_4K) == 0);
	sim__result(s, &r);
	CHECK_EQ_U64(r.sweep.inexact, 0);
	CHECK(sim__access(s, BASE_4K, false) == 0);
	CHECK(sim__flush(s, SIM_FLUSH_ADDR, BASE_4K + 4096) == 0); /* not held */
	sim__result(s, &r);
	CHECK_EQ_U64(r.sweep.inexact, 0);
	CHECK(sim__flush(s, SIM_FLUSH_ADDR, BASE_4K) == 0);
	sim__result(s, &r);
	CHECK_EQ_U64(r.sweep.inexact, 1);
	sim__free(s);
	ptmem__free(e.m);
}

int main(void)
{
	test_hand_stream();
	test_limits();
	test_equals_separate_runs();
	TEST_DONE();
}
