// SPDX-License-Identifier: GPL-2.0
/* Page-walk caches, nested TLB, data caches and the cost model, through the simulator, exact
 * counts. */
#include <errno.h>

#include "test.h"

#include "mmu/mmu.h"

#define LIMIT	 (1ULL << 40)
#define HOST_OFF 0x100000000ULL
#define U	 (PTE_RW | PTE_US)

/* A configuration where every access misses the TLB: one 1-entry TLB, nothing else. */
static struct sim_config cfg_bare(void)
{
	struct sim_config c;

	sim_config__textbook(&c);
	c.tlb.level[0].array[0].geo = (struct assoc_config){1, 1, REPL_LRU};
	c.tlb.level[0].latency = 0;
	c.mem_latency = 100;
	return c;
}

static void cfg_pwc(struct sim_config *c)
{
	for (unsigned l = 2; l <= 5; l++)
		c->pwc.level[l] = (struct assoc_config){16, 4, REPL_LRU};
	c->pwc.latency = 2;
}

/* Walk refs of one access, from the last walk record. */
static unsigned access_refs(struct sim *s, uint64_t va)
{
	CHECK(sim__access(s, va, false) == 0);
	return sim__last_walk(s)->refs;
}

static void test_native_pwc(unsigned levels)
{
	struct sim_config c = cfg_bare();
	struct ptmem *m = ptmem__new(LIMIT, 0x100000);
	struct sim_tables t = {0};
	struct sim_result r;
	struct sim *s;
	uint64_t root, a = 0x7f0000000000ULL;
	const uint64_t vas[] = {
		a, a + 0x1000, a + 0x200000, a + 0x40000000, a + (1ULL << 39), a + (1ULL << 48)};

	c.levels = levels;
	cfg_pwc(&c);
	CHECK(pt__new_root(m, &root) == 0);
	for (unsigned i = 0; i < (levels == 5 ? 6u : 5u); i++)
		CHECK(pt__map(m, root, vas[i], 0x1000000 + i * 0x1000, PAGE_4K, U, levels) == 0);
	t.mem = ptmem__mem(m);
	t.root = root;
	s = sim__new(&c, PAGING_NATIVE, &t);
	CHECK(s != NULL);
	/* Cold: every level. Same PT: PDE cache. Same PD: PDPTE. Same PDPT: PML4E. Then PML5E. */
	CHECK_EQ_U64(access_refs(s, vas[0]), levels);
	CHECK_EQ_U64(access_refs(s, vas[1]), 1);
	CHECK_EQ_U64(access_refs(s, vas[2]), 2);
	CHECK_EQ_U64(access_refs(s, vas[3]), 3);
	/* Another PML4E: 4 loads either way (5-level: the PML5E cache supplies the PML4). */
	CHECK_EQ_U64(access_refs(s, vas[4]), 4);
	sim__result(s, &r);
	CHECK_EQ_U64(r.pwc_lookups, 5);
	CHECK_EQ_U64(r.pwc_hits[2], 1);
	CHECK_EQ_U64(r.pwc_hits[3], 1);
	CHECK_EQ_U64(r.pwc_hits[4], 1);
	CHECK_EQ_U64(r.pwc_hits[5], levels == 5 ? 1 : 0);
	CHECK_EQ_U64(r.refs_walk, levels + 1 + 2 + 3 + 4);
	CHECK_EQ_U64(r.refs_hist[1] + r.refs_hist[2] + r.refs_hist[3], 3);
	/* Cost: PWC hits x 2 cycles, every load from memory at 100, TLB probes free. */
	CHECK_EQ_U64(r.cycles.pwc, 2 * (levels == 5 ? 4 : 3));
	CHECK_EQ_U64(r.cycles.loads[SIM_MAX_CACHE_LEVELS], 100 * r.refs_walk);
	CHECK_EQ_U64(r.cycles.total, r.cycles.pwc + r.cycles.loads[SIM_MAX_CACHE_LEVELS]);
	if (levels == 5)
		CHECK_EQ_U64(access_refs(s, vas[5]), 5);
	/* INVLPG drops the page and every PWC entry of the PCID (SDM Vol. 3A §4.10.4.1). */
	CHECK(sim__flush(s, SIM_FLUSH_ADDR, vas[1]) == 0);
	CHECK_EQ_U64(access_refs(s, vas[1]), levels);
	sim__free(s);
	ptmem__free(m);
}

struct nested {
	struct ptmem *g, *h;
	struct sim *s;
	uint64_t va;
};

/* Guest tables at GPA 1M.., data at GPA 1G..; the host maps GPA x to x + 4G with 4K pages. */
static void nested_init(struct nested *n, struct sim_config *c, unsigned gl, unsigned hl)
{
	struct sim_tables t = {0};
	uint64_t groot, hroot;

	c->levels = gl;
	c->host_levels = hl;
	n->va = 0x7f0000000000ULL;
	n->g = ptmem__new(LIMIT, 0x100000);
	n->h = ptmem__new(LIMIT, 1ULL << 39);
	CHECK(pt__new_root(n->g, &groot) == 0 && pt__new_root(n->h, &hroot) == 0);
	for (unsigned i = 0; i < 4; i++)
		CHECK(pt__map(n->g, groot, n->va + i * 0x1000, 0x40000000 + i * 0x1000, PAGE_4K, U,
			      gl) == 0);
	CHECK(pt__map_range(n->h, hroot, 0, HOST_OFF, 0x400000, PAGE_4K, U, hl) == 0);
	CHECK(pt__map_range(n->h, hroot, 0x40000000, HOST_OFF + 0x40000000, 0x10000, PAGE_4K, U,
			    hl) == 0);
	t.mem = ptmem__mem(n->g);
	t.root = groot;
	t.host_mem = ptmem__mem(n->h);
	t.host_root = hroot;
	n->s = sim__new(c, PAGING_NESTED, &t);
	CHECK(n->s != NULL);
}

static void nested_fini(struct nested *n)
{
	sim__free(n->s);
	ptmem__free(n->g);
	ptmem__free(n->h);
}

/* With no caches a 2D walk costs g + g*h + h references: 24 for 4x4, 35 for 5x5. */
static void test_nested_cold(unsigned gl, unsigned hl)
{
	struct sim_config c = cfg_bare();
	struct nested n;
	struct sim_result r;

	nested_init(&n, &c, gl, hl);
	CHECK_EQ_U64(access_refs(n.s, n.va), gl + gl * hl + hl);
	CHECK_EQ_U64(access_refs(n.s, n.va + 0x1000), gl + gl * hl + hl);
	sim__result(n.s, &r);
	CHECK_EQ_U64(r.refs_walk, 2 * (gl + gl * hl + hl));
	CHECK_EQ_U64(r.refs_hist[gl + gl * hl + hl], 2);
	for (unsigned l = 1; l <= gl; l++)
		CHECK_EQ_U64(r.refs_guest[l], 2);
	for (unsigned l = 1; l <= hl; l++)
		CHECK_EQ_U64(r.refs_host[l], 2 * (gl + 1));
	CHECK_EQ_U64(sim__last_walk(n.s)->hpa, HOST_OFF + 0x40001000);
	nested_fini(&n);
}

static void test_nested_ntlb(void)
{
	struct sim_config c = cfg_bare();
	struct nested n;
	struct sim_result r;

	c.ntlb = (struct assoc_config){16, 4, REPL_LRU};
	c.ntlb_latency = 3;
	nested_init(&n, &c, 4, 4);
	/* Cold: five distinct GPA pages (4 tables, data), all nested-TLB misses: 24. */
	CHECK_EQ_U64(access_refs(n.s, n.va), 24);
	/* Next page: the four table GPAs hit the nested TLB; the new data GPA walks: 4 + 4. */
	CHECK_EQ_U64(access_refs(n.s, n.va + 0x1000), 8);
	sim__result(n.s, &r);
	CHECK_EQ_U64(r.ntlb_lookups, 10);
	CHECK_EQ_U64(r.ntlb_hits, 4);
	CHECK_EQ_U64(r.cycles.ntlb, 4 * 3);
	nested_fini(&n);
	/*
	 * Add PDE caches (guest and host). Cold: the root GPA's host walk is full
	 * (4); the PDPT, PD and PT GPAs share its 2M region, so their host walks
	 * resume at the host PT (1 each); the data GPA is in another 2M region (4).
	 * 4 guest + 4+1+1+1 + 4 = 15.
	 */
	c.pwc.level[2] = (struct assoc_config){16, 4, REPL_LRU};
	c.pwc.latency = 2;
	nested_init(&n, &c, 4, 4);
	CHECK_EQ_U64(access_refs(n.s, n.va), 15);
	/* Next page: guest PDE hit (1 load, its PT GPA in the nested TLB), data GPA host PDE hit
	 * (1). */
	CHECK_EQ_U64(access_refs(n.s, n.va + 0x1000), 2);
	CHECK_EQ_U64(access_refs(n.s, n.va + 0x2000), 2);
	sim__result(n.s, &r);
	CHECK_EQ_U64(r.host_pwc_hits[2], 3 + 1 + 1);
	CHECK_EQ_U64(r.pwc_hits[2], 2);
	CHECK_EQ_U64(r.cycles.pwc + r.cycles.host_pwc, 2 * 7);
	/* INVEPT: nested TLB and host PWC go; guest PDE hit, then two full host walks: 1 + 4 + 4.
	 */
	CHECK(sim__flush(n.s, SIM_FLUSH_NESTED, 0) == 0);
	CHECK_EQ_U64(access_refs(n.s, n.va + 0x3000), 1 + 4 + 4);
	nested_fini(&n);
}

/*
 * Host PWC alone: guest tables sit in one 2M GPA region, so after the first
 * host walk (4) the others resume at the host PT (1 each); the data GPA is in
 * another 1G region of the same 512G: the host PML4E hits (3). 4 + 4+1+1+1 + 3.
 */
static void test_nested_host_pwc(void)
{
	struct sim_config c = cfg_bare();
	struct nested n;
	struct sim_result r;

	cfg_pwc(&c);
	nested_init(&n, &c, 4, 4);
	sim__flush(n.s, SIM_FLUSH_ALL, 0);
	CHECK_EQ_U64(access_refs(n.s, n.va), 14);
	sim__result(n.s, &r);
	CHECK_EQ_U64(r.host_pwc_lookups, 5);
	CHECK_EQ_U64(r.host_pwc_hits[2], 3);
	CHECK_EQ_U64(r.host_pwc_hits[4], 1);
	CHECK_EQ_U64(r.pwc_lookups, 1);
	nested_fini(&n);
}

/* Data caches: a cold walk's loads come from memory, the neighbour page's from cache level 1. */
static void test_dcache(void)
{
	struct sim_config c = cfg_bare();
	struct ptmem *m = ptmem__new(LIMIT, 0x100000);
	struct sim_tables t = {0};
	struct sim_result r;
	struct sim *s;
	uint64_t root, va = 0x10000000;

	c.cache.nlevels = 2;
	c.cache.line = 64;
	c.cache.level[0] = (struct cache_level_config){{64, 8, REPL_LRU}, 4};
	c.cache.level[1] = (struct cache_level_config){{512, 8, REPL_LRU}, 12};
	CHECK(pt__new_root(m, &root) == 0);
	CHECK(pt__map_range(m, root, va, 0x2000000, 0x10000 * 16, PAGE_4K, U, 4) == 0);
	t.mem = ptmem__mem(m);
	t.root = root;
	s = sim__new(&c, PAGING_NATIVE, &t);
	CHECK(s != NULL);
	access_refs(s, va);
	/* PTEs of va and va + 4K share a 64-byte line; the upper entries are the same ones. */
	access_refs(s, va + 0x1000);
	/* va + 64K: its PTE is 16 entries (two lines) away: a miss everywhere, the rest hit. */
	access_refs(s, va + 0x10000);
	sim__result(s, &r);
	CHECK_EQ_U64(r.loads_at[SIM_MAX_CACHE_LEVELS], 4 + 0 + 1);
	CHECK_EQ_U64(r.loads_at[0], 0 + 4 + 3);
	CHECK_EQ_U64(r.loads_at[1], 0);
	CHECK_EQ_U64(r.cycles.loads[0], 7 * 4);
	CHECK_EQ_U64(r.cycles.loads[SIM_MAX_CACHE_LEVELS], 5 * 100);
	sim__free(s);
	ptmem__free(m);
}

/* Shadow mode: a 1D walk over shadow tables plus the VM-exit costs the caller reports. */
static void test_shadow_costs(void)
{
	struct sim_config c = cfg_bare();
	struct ptmem *m = ptmem__new(LIMIT, 0x100000);
	struct sim_tables t = {0};
	struct sim_result r;
	struct sim *s;
	uint64_t root;

	c.shadow_cost[SIM_SHADOW_PF_EXIT] = 1000;
	CHECK(pt__new_root(m, &root) == 0);
	CHECK(pt__map(m, root, 0x5000, HOST_OFF, PAGE_4K, U, 4) == 0);
	t.mem = ptmem__mem(m);
	t.root = root;
	s = sim__new(&c, PAGING_SHADOW, &t);
	CHECK(s != NULL);
	CHECK_EQ_U64(access_refs(s, 0x5008), 4);
	CHECK(sim__shadow_events(s, SIM_SHADOW_PF_EXIT, 3, 0) == 0);
	CHECK(sim__shadow_events(s, SIM_SHADOW_CR3_EXIT, 2, 700) == 0);
	CHECK(sim__shadow_events(s, SIM_SHADOW_EVENTS, 1, 1) == -EINVAL);
	sim__result(s, &r);
	CHECK_EQ_U64(r.cycles.shadow[SIM_SHADOW_PF_EXIT], 3000);
	CHECK_EQ_U64(r.cycles.shadow[SIM_SHADOW_CR3_EXIT], 1400);
	CHECK_EQ_U64(r.cycles.total, 3000 + 1400 + 4 * 100);
	CHECK_EQ_U64(r.shadow_events[SIM_SHADOW_PF_EXIT], 3);
	sim__free(s);
	ptmem__free(m);
}

int main(void)
{
	test_native_pwc(4);
	test_native_pwc(5);
	test_nested_cold(4, 4);
	test_nested_cold(5, 5);
	test_nested_cold(4, 5);
	test_nested_ntlb();
	test_nested_host_pwc();
	test_dcache();
	test_shadow_costs();
	TEST_DONE();
}
