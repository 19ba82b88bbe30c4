// SPDX-License-Identifier: GPL-2.0
/* Differential test: the simulator against a deliberately simple TLB + PWC model written here. */
#include <errno.h>

#include "test.h"

#include "common/json.h"
#include "common/util.h"
#include "mmu/mmu.h"

/* ---- The reference model: plain arrays, explicit trees, no shared code with mmu/. ---- */

struct ref_node { /* tree-PLRU node over ways [lo, hi): left gets the odd way */
	unsigned lo, hi;
	int bit; /* 0: evict from the left half, 1: from the right */
	struct ref_node *left, *right;
};

struct ref_entry {
	bool valid;
	uint64_t key;
	unsigned tag;
	uint64_t used; /* LRU: time of last use */
};

struct ref_cache {
	unsigned sets, ways;
	bool plru;
	struct ref_entry *e;
	struct ref_node **tree; /* one per set */
	uint64_t now;
};

static struct ref_node *ref_tree(unsigned lo, unsigned hi)
{
	struct ref_node *n;
	unsigned mid;

	if (hi - lo < 2)
		return NULL;
	n = calloc(1, sizeof(*n));
	mid = lo + (hi - lo + 1) / 2;
	n->lo = lo;
	n->hi = hi;
	n->left = ref_tree(lo, mid);
	n->right = ref_tree(mid, hi);
	return n;
}

static void ref_tree_free(struct ref_node *n)
{
	if (!n)
		return;
	ref_tree_free(n->left);
	ref_tree_free(n->right);
	free(n);
}

static void ref_init(struct ref_cache *c, unsigned entries, unsigned ways, bool plru)
{
	c->sets = entries / ways;
	c->ways = ways;
	c->plru = plru;
	c->e = calloc(entries, sizeof(*c->e));
	c->tree = calloc(c->sets, sizeof(*c->tree));
	for (unsigned s = 0; s < c->sets; s++)
		c->tree[s] = ref_tree(0, ways);
	c->now = 0;
}

static void ref_fini(struct ref_cache *c)
{
	for (unsigned s = 0; s < c->sets; s++)
		ref_tree_free(c->tree[s]);
	free(c->tree);
	free(c->e);
}

static void ref_use(struct ref_cache *c, unsigned set, unsigned way)
{
	struct ref_node *n = c->tree[set];

	c->e[set * c->ways + way].used = ++c->now;
	while (n) {
		unsigned mid = n->lo + (n->hi - n->lo + 1) / 2;

		n->bit = way < mid; /* point at the other half */
		n = way < mid ? n->left : n->right;
	}
}

static unsigned ref_victim(struct ref_cache *c, unsigned set)
{
	struct ref_entry *e = c->e + set * c->ways;
	unsigned best = 0;

	for (unsigned w = 0; w < c->ways; w++)
		if (!e[w].valid)
			return w;
	if (c->plru) {
		struct ref_node *n = c->tree[set];

		while (n) {
			unsigned mid = n->lo + (n->hi - n->lo + 1) / 2;

			best = n->bit ? mid : n->lo;
			n = n->bit ? n->right : n->left;
		}
		return best;
	}
	for (unsigned w = 1; w < c->ways; w++)
		if (e[w].used < e[best].used)
			best = w;
	return best;
}

static bool ref_lookup(struct ref_cache *c, uint64_t key, uint64_t index, unsigned tag)
{
	unsigned set = (unsigned)(index % c->sets);

	for (unsigned w = 0; w < c->ways; w++) {
		struct ref_entry *e = &c->e[set * c->ways + w];

		if (e->valid && e->key == key && e->tag == tag) {
			ref_use(c, set, w);
			return true;
		}
	}
	return false;
}

static void ref_insert(struct ref_cache *c, uint64_t key, uint64_t index, unsigned tag)
{
	unsigned set = (unsigned)(index % c->sets), way = c->ways;

	for (unsigned w = 0; w < c->ways; w++) {
		struct ref_entry *e = &c->e[set * c->ways + w];

		if (e->valid && e->key == key && e->tag == tag)
			way = w;
	}
	if (way == c->ways)
		way = ref_victim(c, set);
	c->e[set * c->ways + way] = (struct ref_entry){true, key, tag, 0};
	ref_use(c, set, way);
}

/* Drop entries with this key (any key if all) and tag. */
static void ref_drop(struct ref_cache *c, bool all, uint64_t key, unsigned tag)
{
	for (unsigned i = 0; i < c->sets * c->ways; i++)
		if (c->e[i].valid && c->e[i].tag == tag && (all || c->e[i].key == key))
			c->e[i].valid = false;
}

/* ---- The random machine: configuration, memory map, trace. ---- */

#define NPAGES	   512
#define VA_BASE	   0x100000000000ULL
#define MAX_ARRAYS 3

struct ref_tlb_array {
	struct ref_cache c;
	uint32_t sizes;
};

struct ref {
	unsigned nlevels, narr[2];
	struct ref_tlb_array arr[2][MAX_ARRAYS];
	struct ref_cache pwc[5]; /* index = level 2..4 */
	bool has_pwc[5];
	uint64_t hits[2][PAGE_SIZES], misses[2], walks, refs, pwc_hits[6];
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool wide_sets; /* rounds with sets of 13 to 96 ways (the fingerprint search) */

/* Geometry with ways and sets that are often not powers of two. */
static struct assoc_config rnd_geo(uint64_t *s, enum repl_policy pol)
{
	unsigned ways = 1 + (unsigned)(rnd(s) % 12), sets = 1 + (unsigned)(rnd(s) % 9);

	if (wide_sets && (rnd(s) & 1)) {
		ways = 13 + (unsigned)(rnd(s) % 84);
		sets = 1 + sets % 3;
	}
	return (struct assoc_config){ways * sets, ways, pol};
}

static void rnd_config(uint64_t *s, struct sim_config *c, struct ref *r)
{
	enum repl_policy pol = (rnd(s) & 1) ? REPL_PLRU : REPL_LRU;
	static const uint32_t splits[][MAX_ARRAYS] = {{7}, {1, 6}, {3, 4}, {1, 2, 4}};

	sim_config__textbook(c);
	memset(r, 0, sizeof(*r));
	c->tlb.nlevels = r->nlevels = 1 + (unsigned)(rnd(s) % 2);
	for (unsigned l = 0; l < r->nlevels; l++) {
		const uint32_t *sp = splits[rnd(s) % 4];
		struct tlb_level_config *tl = &c->tlb.level[l];

		tl->narrays = 0;
		for (unsigned i = 0; i < MAX_ARRAYS && sp[i]; i++) {
			tl->array[i].geo = rnd_geo(s, pol);
			tl->array[i].sizes = sp[i];
			r->arr[l][i].sizes = sp[i];
			ref_init(&r->arr[l][i].c, tl->array[i].geo.entries, tl->array[i].geo.ways,
				 pol == REPL_PLRU);
			tl->narrays++;
		}
		r->narr[l] = tl->narrays;
	}
	for (unsigned l = 2; l <= 4; l++) {
		if (rnd(s) % 3 == 0)
			continue;
		c->pwc.level[l] = rnd_geo(s, REPL_LRU);
		ref_init(&r->pwc[l], c->pwc.level[l].entries, c->pwc.level[l].ways, false);
		r->has_pwc[l] = true;
	}
}

static void ref_free(struct ref *r)
{
	for (unsigned l = 0; l < r->nlevels; l++)
		for (unsigned i = 0; i < r->narr[l]; i++)
			ref_fini(&r->arr[l][i].c);
	for (unsigned l = 2; l <= 4; l++)
		if (r->has_pwc[l])
			ref_fini(&r->pwc[l]);
}

/* The reference's page map: page i is 2M (covering 2M-aligned slot) or 4K. */
struct page {
	uint64_t va;
	enum page_size ps;
};

static struct ref_cache *ref_array(struct ref *r, unsigned l, enum page_size ps)
{
	for (unsigned i = 0; i < r->narr[l]; i++)
		if (r->arr[l][i].sizes & (1u << ps))
			return &r->arr[l][i].c;
	return NULL;
}

static uint64_t tkey(uint64_t va, enum page_size ps)
{
	return ((va & ((1ULL << 57) - 1)) >> page_size_shift(ps)) * 4 + ps;
}

static uint64_t tindex(uint64_t va, enum page_size ps)
{
	return (va & ((1ULL << 57) - 1)) >> page_size_shift(ps);
}

/* One access in the reference: TLB levels, then a walk that PWCs may shorten. */
static void ref_access(struct ref *r, uint64_t va, enum page_size ps, unsigned tag)
{
	unsigned leaf = 1 + ps, start = 4;

	for (unsigned l = 0; l < r->nlevels; l++) {
		struct ref_cache *a = ref_array(r, l, ps);

		if (a && ref_lookup(a, tkey(va, ps), tindex(va, ps), tag)) {
			r->hits[l][ps]++;
			for (unsigned k = 0; k < l; k++)
				if (ref_array(r, k, ps))
					ref_insert(ref_array(r, k, ps), tkey(va, ps),
						   tindex(va, ps), tag);
			return;
		}
		r->misses[l]++;
	}
	for (unsigned l = 2; l <= 4; l++) {
		uint64_t k = (va & ((1ULL << 57) - 1)) >> pt_level_shift(l);

		if (r->has_pwc[l] && ref_lookup(&r->pwc[l], k, k, tag)) {
			r->pwc_hits[l]++;
			start = l - 1;
			break;
		}
	}
	r->walks++;
	r->refs += start - leaf + 1;
	for (unsigned l = start; l > leaf; l--) {
		uint64_t k = (va & ((1ULL << 57) - 1)) >> pt_level_shift(l);

		if (r->has_pwc[l])
			ref_insert(&r->pwc[l], k, k, tag);
	}
	for (unsigned l = 0; l < r->nlevels; l++)
		if (ref_array(r, l, ps))
			ref_insert(ref_array(r, l, ps), tkey(va, ps), tindex(va, ps), tag);
}

static void ref_invlpg(struct ref *r, uint64_t va, enum page_size ps, unsigned tag)
{
	for (unsigned l = 0; l < r->nlevels; l++)
		if (ref_array(r, l, ps))
			ref_drop(ref_array(r, l, ps), false, tkey(va, ps), tag);
	for (unsigned l = 2; l <= 4; l++)
		if (r->has_pwc[l])
			ref_drop(&r->pwc[l], true, 0, tag);
}

static void compare(const struct ref *r, const struct sim_result *sr, unsigned round)
{
	unsigned before = (unsigned)test_failures;

	for (unsigned l = 0; l < r->nlevels; l++) {
		for (unsigned ps = 0; ps < PAGE_SIZES; ps++)
			CHECK_EQ_U64(sr->tlb_hits[l][ps], r->hits[l][ps]);
		CHECK_EQ_U64(sr->tlb_misses[l], r->misses[l]);
	}
	CHECK_EQ_U64(sr->walks, r->walks);
	CHECK_EQ_U64(sr->refs_walk, r->refs);
	for (unsigned l = 2; l <= 4; l++)
		CHECK_EQ_U64(sr->pwc_hits[l], r->pwc_hits[l]);
	if ((unsigned)test_failures != before)
		fprintf(stderr, "  (random configuration %u)\n", round);
}

static void diff_round(unsigned round)
{
	uint64_t seed = 0x9E3779B97F4A7C15ULL * (round + 1), root;
	struct sim_config cfg;
	struct ref r;
	struct page pages[NPAGES];
	struct ptmem *m = ptmem__new(1ULL << 40, 0x1000);
	struct sim_tables t = {0};
	struct sim_result sr;
	struct sim *s;
	char err[256];
	unsigned pcid = 0;
	/* Odd rounds feed the simulator in batches (memvirt sim's path), flushed before each
	 * context switch and invlpg so the order is the reference model's. */
	const bool batched = round & 1;
	struct sim_req req[61];
	size_t nreq = 0;

	rnd_config(&seed, &cfg, &r);
	CHECK(sim_config__validate(&cfg, err, sizeof(err)) == 0);
	CHECK(pt__new_root(m, &root) == 0);
	/* Pages spread over several PDs, PDPTs and PML4Es so every PWC level matters. */
	for (unsigned i = 0; i < NPAGES; i++) {
		uint64_t region = (uint64_t)(i % 8) << (i % 3 == 0 ? 39 : 30);

		pages[i].ps = (i % 5 == 4) ? PAGE_2M : PAGE_4K;
		pages[i].va = VA_BASE + region + ((uint64_t)(i / 8) << 21) +
			      (pages[i].ps == PAGE_4K ? (uint64_t)(i % 7) << 12 : 0);
		if (pt__map(m, root, pages[i].va, (uint64_t)(i + 1) << 21, pages[i].ps,
			    PTE_RW | PTE_US, 4) == -EEXIST)
			pages[i].ps = PAGE_4K; /* a 2M leaf already covers it: never happens here */
	}
	t.mem = ptmem__mem(m);
	t.root = root;
	s = sim__new(&cfg, PAGING_NATIVE, &t);
	CHECK(s != NULL);
	for (unsigned n = 0; s && n < 20000; n++) {
		uint64_t x = rnd(&seed);
		/* Skewed page choice: a hot set that fits, a warm set, and cold pages. */
		unsigned i = (unsigned)((x & 3) ? (x >> 8) % 24 : (x >> 8) % NPAGES);
		uint64_t va = pages[i].va + ((x >> 40) & 0xff8);

		if (nreq && (x % 997 == 0 || x % 1009 == 0 || nreq == ARRAY_SIZE(req))) {
			CHECK(sim__access_batch(s, req, nreq) == 0);
			nreq = 0;
		}
		if (x % 997 == 0) {
			pcid = (pcid + 1) % 3;
			CHECK(sim__switch(s, 0, (uint16_t)pcid, 0, true) == 0);
		} else if (x % 1009 == 0) {
			CHECK(sim__flush(s, SIM_FLUSH_ADDR, va) == 0);
			ref_invlpg(&r, pages[i].va, pages[i].ps, pcid);
		}
		if (batched)
			req[nreq++] = (struct sim_req){
				va, WALK_ACC_USER | (((x >> 20) & 1) ? WALK_ACC_WRITE : 0)};
		else
			CHECK(sim__access(s, va, (x >> 20) & 1) == 0);
		ref_access(&r, pages[i].va, pages[i].ps, pcid);
	}
	if (s && nreq)
		CHECK(sim__access_batch(s, req, nreq) == 0);
	if (s) {
		sim__result(s, &sr);
		compare(&r, &sr, round);
	}
	sim__free(s);
	ref_free(&r);
	ptmem__free(m);
}

/* The JSON writer accepts a result (smoke: balanced, no stream error). */
static void test_json(void)
{
	struct sim_result r = {.tlb_levels = 2, .cache_levels = 1};
	struct json j;
	FILE *f = tmpfile();

	snprintf(r.config, sizeof(r.config), "x");
	r.refs_hist[24] = 3;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	sim_result_json(&r, &j);
	json_obj_end(&j);
	CHECK(json_finish(&j) == 0);
	fclose(f);
}

int main(void)
{
	for (unsigned round = 0; round < 60; round++)
		diff_round(round);
	/* Wide and fully associative sets, as the zen4 and zen5 L1 DTLBs. */
	wide_sets = true;
	for (unsigned round = 60; round < 100; round++)
		diff_round(round);
	test_json();
	TEST_DONE();
}
