// SPDX-License-Identifier: GPL-2.0
/* PWC organisations (split, unified, translation path) and host = no: hits of hand-worked streams.
 */
#include <errno.h>
#include <string.h>

#include "test.h"

#include "mmu/mmu.h"

#define LIMIT	 (1ULL << 40)
#define HOST_OFF 0x100000000ULL
#define U	 (PTE_RW | PTE_US)
#define A	 0x7f0000000000ULL

/*
 * A completed 4-level walk of @va resumed at @first (4: from the root) to a
 * 4K leaf. The entry at level l points at a table whose address names l and
 * the VA bits above l, so a hit's table says which entry was cached.
 */
static uint64_t fake_table(uint64_t va, unsigned l)
{
	return ((uint64_t)l << 40) | ((va >> (12 + 9 * (l - 1))) & 0x3ffffff) << 12;
}

static void fake_walk(struct walk *w, uint64_t va, unsigned first)
{
	memset(w, 0, sizeof(*w));
	w->va = va;
	w->levels = 4;
	w->first_level = first;
	w->leaf_level = 1;
	for (unsigned l = first; l >= 1; l--) {
		w->lvl[l].entry = fake_table(va, l) | PTE_P | U;
		w->lvl[l].perms = WALK_PERM_W | WALK_PERM_U;
	}
}

/* Look @va up, then fill with the walk resumed where the hit says; returns the cached level. */
static unsigned step(struct pwc *p, uint64_t va)
{
	struct pwc_hit hit;
	struct walk w;
	unsigned got = 0;

	if (pwc__lookup(p, 0, va, &hit)) {
		got = hit.level + 1;
		CHECK_EQ_U64(hit.table, fake_table(va, got));
		CHECK_EQ_U64(hit.perms, WALK_PERM_W | WALK_PERM_U);
	}
	fake_walk(&w, va, got ? got - 1 : 4);
	pwc__fill(p, 0, &w);
	return got;
}

static struct pwc *pwc_of(enum pwc_org org, unsigned entries, unsigned ways)
{
	struct pwc_config c = {.latency = 1, .org = org};
	struct pwc *p;

	if (org == PWC_ORG_SPLIT)
		for (unsigned l = 2; l <= 4; l++)
			c.level[l] = (struct assoc_config){entries, ways, REPL_LRU};
	else
		c.one = (struct assoc_config){entries, ways, REPL_LRU};
	p = pwc__new(&c, 4, 1);
	CHECK(p != NULL);
	return p;
}

/*
 * Unified, 4 entries, LRU. 1: cold, fills PML4E, PDPTE, PDE (3 entries).
 * 2: same PT, PDE hit. 3: next PT, PDPTE hit, fills its PDE (4 entries).
 * 4: another PT, PDPTE hit, its PDE evicts the oldest: the PML4E (used only
 * in step 1). 5: another 512G, miss; fills three entries. 6: A + 1G under
 * A's PML4E, evicted in step 4: miss. Split caches of one entry per level
 * give the same stream except step 6 (their PML4E was replaced in step 5).
 */
static void test_unified_stream(void)
{
	static const uint64_t va[] = {
		A, A + 0x1000, A + 0x200000, A + 0x400000, A + (1ULL << 39), A + 0x40000000};
	static const unsigned want[] = {0, 2, 3, 3, 0, 0};
	struct pwc *p = pwc_of(PWC_ORG_UNIFIED, 4, 4);

	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ_U64(step(p, va[i]), want[i]);
	pwc__free(p);
	p = pwc_of(PWC_ORG_SPLIT, 1, 1);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ_U64(step(p, va[i]), want[i]);
	pwc__free(p);
}

/*
 * Translation path, 2 entries, LRU. 1: cold, path P1 (A). 2: full match,
 * PDE level. 3: A + 2M shares P1 down to the PD: PDPTE level; new path P2.
 * 4: A + 4M matches P1 and P2 down to the PD; P1 (first way) is used; P3
 * evicts P2, the least recent. 5: A + 2M again: P2 is gone, P1 and P3 give
 * the PD: PDPTE level (a PDE cache would have hit). 6: A + 1G: P's share the
 * PML4E only: PML4E level. 7: another 512G: miss.
 */
static void test_path_stream(void)
{
	static const uint64_t va[] = {A,
				      A + 0x1000,
				      A + 0x200000,
				      A + 0x400000,
				      A + 0x200000,
				      A + 0x40000000,
				      A + (1ULL << 39)};
	static const unsigned want[] = {0, 2, 3, 3, 3, 4, 0};
	struct pwc *p = pwc_of(PWC_ORG_PATH, 2, 2);

	for (unsigned i = 0; i < 7; i++)
		CHECK_EQ_U64(step(p, va[i]), want[i]);
	/* Tags: a flush of another PCID keeps the paths, a flush of theirs drops them. */
	pwc__flush_tag(p, 5);
	CHECK_EQ_U64(step(p, A + 0x1000), 4); /* the path of A + 1G shares A's PML4E only */
	pwc__flush_tag(p, 0);
	CHECK_EQ_U64(step(p, A), 0);
	pwc__free(p);
	/* A path entry above a 2M leaf holds PML4E and PDPTE only: a match gives the PD. */
	p = pwc_of(PWC_ORG_PATH, 4, 4);
	{
		struct pwc_hit hit;
		struct walk w;

		fake_walk(&w, A, 4);
		w.leaf_level = 2;
		pwc__fill(p, 0, &w);
		CHECK(pwc__lookup(p, 0, A + 0x1000, &hit));
		CHECK_EQ_U64(hit.level + 1, 3);
	}
	pwc__free(p);
}

static struct sim_config cfg_bare(void)
{
	struct sim_config c;

	sim_config__textbook(&c);
	c.tlb.level[0].array[0].geo = (struct assoc_config){1, 1, REPL_LRU};
	c.tlb.level[0].latency = 0;
	return c;
}

static unsigned access_refs(struct sim *s, uint64_t va)
{
	CHECK(sim__access(s, va, false) == 0);
	return sim__last_walk(s)->refs;
}

/*
 * Native walks through the simulator: A, A + 4K, A + 2M, A + 1G, A + 4K.
 * Split (one entry per level): 4; 1 (PDE); 2 (PDPTE; A + 2M's PDE replaces
 * A's); 3 (PML4E); 3 (PDE and PDPTE are A + 1G's now). Unified (2 entries):
 * the cold walk's PDE evicts its PML4E; 1; 2 (A + 2M's PDE evicts A's); 4
 * (no PML4E left; A + 1G's three entries leave its PDPTE and PDE); 4.
 * Translation path (1 entry): 4; 1; 2; 3 (A + 2M's path shares the PML4E);
 * 3 (A + 1G's path shares the PML4E).
 */
static void test_native_orgs(void)
{
	static const uint64_t va[] = {A, A + 0x1000, A + 0x200000, A + 0x40000000, A + 0x1000};
	static const unsigned want[3][5] = {{4, 1, 2, 3, 3}, {4, 1, 2, 4, 4}, {4, 1, 2, 3, 3}};
	const enum pwc_org orgs[] = {PWC_ORG_SPLIT, PWC_ORG_UNIFIED, PWC_ORG_PATH};

	for (unsigned o = 0; o < 3; o++) {
		struct sim_config c = cfg_bare();
		struct ptmem *m = ptmem__new(LIMIT, 0x100000);
		struct sim_tables t = {0};
		struct sim *s;
		uint64_t root;

		c.pwc.org = orgs[o];
		if (orgs[o] == PWC_ORG_SPLIT)
			for (unsigned l = 2; l <= 5; l++)
				c.pwc.level[l] = (struct assoc_config){1, 1, REPL_LRU};
		else
			c.pwc.one = (struct assoc_config){o == 1 ? 2 : 1, o == 1 ? 2 : 1, REPL_LRU};
		CHECK(pt__new_root(m, &root) == 0);
		for (unsigned i = 0; i < 4; i++)
			CHECK(pt__map(m, root, va[i], 0x1000000 + i * 0x1000, PAGE_4K, U, 4) == 0);
		t.mem = ptmem__mem(m);
		t.root = root;
		s = sim__new(&c, PAGING_NATIVE, &t);
		CHECK(s != NULL);
		for (unsigned i = 0; i < 5; i++)
			CHECK_EQ_U64(access_refs(s, va[i]), want[o][i]);
		sim__free(s);
		ptmem__free(m);
	}
}

/*
 * [pwc] host = no: the guest PDE cache alone. Cold: 24. Next page: guest PDE
 * hit, then a full host walk of the PT's GPA (4), the PTE (1), a full host
 * walk of the data GPA (4): 9. With the host PDE cache: the PT's GPA and the
 * data GPA resume at host PTs cached by the cold walk: 1 + 1 + 1 = 3.
 */
static void test_nested_host_off(void)
{
	for (int off = 1; off >= 0; off--) {
		struct sim_config c = cfg_bare();
		struct ptmem *g = ptmem__new(LIMIT, 0x100000), *h = ptmem__new(LIMIT, 1ULL << 39);
		struct sim_tables t = {0};
		struct sim_result r;
		uint64_t groot, hroot;
		struct sim *s;

		c.pwc.level[2] = (struct assoc_config){16, 4, REPL_LRU};
		c.pwc.host_off = off;
		CHECK(pt__new_root(g, &groot) == 0 && pt__new_root(h, &hroot) == 0);
		for (unsigned i = 0; i < 2; i++)
			CHECK(pt__map(g, groot, A + i * 0x1000, 0x40000000 + i * 0x1000, PAGE_4K, U,
				      4) == 0);
		CHECK(pt__map_range(h, hroot, 0, HOST_OFF, 0x400000, PAGE_4K, U, 4) == 0);
		CHECK(pt__map_range(h, hroot, 0x40000000, HOST_OFF + 0x40000000, 0x10000, PAGE_4K,
				    U, 4) == 0);
		t.mem = ptmem__mem(g);
		t.root = groot;
		t.host_mem = ptmem__mem(h);
		t.host_root = hroot;
		s = sim__new(&c, PAGING_NESTED, &t);
		CHECK(s != NULL);
		CHECK_EQ_U64(access_refs(s, A), off ? 24 : 15);
		CHECK_EQ_U64(access_refs(s, A + 0x1000), off ? 9 : 3);
		sim__result(s, &r);
		CHECK_EQ_U64(r.host_pwc_lookups, off ? 0 : 7);
		CHECK_EQ_U64(r.pwc_hits[2], 1);
		sim__free(s);
		ptmem__free(g);
		ptmem__free(h);
	}
}

static int parse(struct sim_config *c, const char *text, char *err, size_t n)
{
	sim_config__textbook(c);
	return sim_config__parse(c, text, "t.conf", err, n);
}

static void test_config(void)
{
	struct sim_config c, c2;
	char err[256], text[4096];

	CHECK(parse(&c, "[pwc]\norganisation = unified\nentries = 32\nways = 4\nhost = no\n", err,
		    sizeof(err)) == 0);
	CHECK(c.pwc.org == PWC_ORG_UNIFIED && c.pwc.one.entries == 32 && c.pwc.host_off);
	CHECK(sim_config__write(&c, text, sizeof(text)) == 0);
	CHECK(parse(&c2, text, err, sizeof(err)) == 0);
	CHECK(c2.pwc.org == PWC_ORG_UNIFIED && c2.pwc.one.entries == 32 && c2.pwc.one.ways == 4 &&
	      c2.pwc.host_off);
	/* A preset's per-level caches are replaced by the new organisation. */
	CHECK(parse(&c, "[sim]\npreset = zen4\n[pwc]\norganisation = path\nentries = 8\nways = 8\n",
		    err, sizeof(err)) == 0);
	CHECK(c.pwc.org == PWC_ORG_PATH && !c.pwc.level[2].entries && !c.pwc.level[3].entries);
	CHECK(parse(&c, "[pwc]\norganisation = path\nentries = 8\nways = 4\n", err, sizeof(err)) ==
	      -EINVAL);
	CHECK(strstr(err, "t.conf:4: key 'ways'") && strstr(err, "fully associative"));
	CHECK(parse(&c, "[pwc]\norganisation = tree\n", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "t.conf:2: key 'organisation'"));
	CHECK(parse(&c, "[pwc]\nentries = 8\nways = 8\n", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "key 'entries'") && strstr(err, "unified or path"));
	CHECK(parse(&c, "[pwc]\norganisation = unified\npde_entries = 8\npde_ways = 8\n", err,
		    sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "t.conf:4:") && strstr(err, "organisation = split"));
	CHECK(parse(&c, "[pwc]\npde_entries = 8\norganisation = unified\n", err, sizeof(err)) ==
	      -EINVAL);
	CHECK(strstr(err, "t.conf:3: key 'organisation'") && strstr(err, "must come before"));
}

int main(void)
{
	test_unified_stream();
	test_path_stream();
	test_native_orgs();
	test_nested_host_off();
	test_config();
	TEST_DONE();
}
