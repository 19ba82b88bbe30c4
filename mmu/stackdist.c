// SPDX-License-Identifier: GPL-2.0
/* LRU stack distances, and the one-pass TLB size sweep built on them (docs/sim-model.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu_internal.h"

#define SD_EMPTY (~0ULL) /* never a TLB key: the size field above the index bits is at most 2 */

/*
 * One set's stack, as times: every key of the set within the depth owns the
 * time of its last use, a slot in [0, cap); the Fenwick tree counts the
 * slots in use, so the keys used after time t are live - prefix(t). Times run
 * up to cap, then the live ones are renumbered 0..live-1 in order; with cap
 * at least twice the depth that costs O(1) per reference on average.
 */
struct sd_set {
	uint32_t *bit;	/* Fenwick tree over slots, 1-based, cap + 1 */
	uint64_t *slot; /* the key whose last use is at this time, or SD_EMPTY */
	unsigned clock; /* next time */
	unsigned live;
};

/* Key -> (set's) time of last use, open addressing with linear probing. */
struct sd_hash_ent {
	uint64_t key;
	uint32_t t;
};

struct stackdist {
	unsigned sets, depth, cap, logcap;
	struct sd_set *set;
	struct sd_hash_ent *hash;
	size_t hmask;
	size_t keys;
};

static unsigned pow2_at_least(unsigned v)
{
	unsigned p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static inline size_t sd_hash_pos(const struct stackdist *sd, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & sd->hmask;
}

static struct sd_hash_ent *sd_find(const struct stackdist *sd, uint64_t key)
{
	for (size_t i = sd_hash_pos(sd, key);; i = (i + 1) & sd->hmask) {
		if (sd->hash[i].key == key)
			return &sd->hash[i];
		if (sd->hash[i].key == SD_EMPTY)
			return NULL;
	}
}

static void sd_insert(struct stackdist *sd, uint64_t key, uint32_t t)
{
	size_t i = sd_hash_pos(sd, key);

	while (sd->hash[i].key != SD_EMPTY)
		i = (i + 1) & sd->hmask;
	sd->hash[i] = (struct sd_hash_ent){key, t};
	sd->keys++;
}

/* Linear-probing deletion by moving later entries of the run back (no tombstones). */
static void sd_erase(struct stackdist *sd, struct sd_hash_ent *e)
{
	size_t i = (size_t)(e - sd->hash), j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & sd->hmask;
		if (sd->hash[j].key == SD_EMPTY)
			break;
		home = sd_hash_pos(sd, sd->hash[j].key);
		/* Entry j may fill hole i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		sd->hash[i] = sd->hash[j];
		i = j;
	}
	sd->hash[i].key = SD_EMPTY;
	sd->keys--;
}

static void bit_add(struct stackdist *sd, struct sd_set *s, unsigned t, int d)
{
	for (unsigned i = t + 1; i <= sd->cap; i += i & -i)
		s->bit[i] += (uint32_t)d;
}

/* Slots in use at times 0..t. */
static unsigned bit_prefix(const struct sd_set *s, unsigned t)
{
	unsigned n = 0;

	for (unsigned i = t + 1; i; i -= i & -i)
		n += s->bit[i];
	return n;
}

/* The earliest time in use (the set's least recently used key); the set is not empty. */
static unsigned bit_first(const struct stackdist *sd, const struct sd_set *s)
{
	unsigned pos = 0;

	for (unsigned step = 1u << sd->logcap; step; step >>= 1)
		if (pos + step <= sd->cap && s->bit[pos + step] == 0)
			pos += step;
	return pos; /* 0-based time = 1-based position of the first 1, minus one */
}

struct stackdist *stackdist__new(unsigned sets, unsigned depth)
{
	struct stackdist *sd;
	size_t hcap;

	if (!sets || !depth || depth > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return NULL;
	sd->sets = sets;
	sd->depth = depth;
	sd->cap = pow2_at_least(2 * depth + 2);
	while ((1u << sd->logcap) < sd->cap)
		sd->logcap++;
	hcap = pow2_at_least(2 * (sets * depth + 1) < (1u << 30) ? 2 * (sets * depth + 1)
								 : 1u << 30);
	sd->hmask = hcap - 1;
	sd->hash = malloc(hcap * sizeof(*sd->hash));
	sd->set = calloc(sets, sizeof(*sd->set));
	if (!sd->hash || !sd->set)
		goto err;
	for (unsigned i = 0; i < sets; i++) {
		sd->set[i].bit = calloc(sd->cap + 1, sizeof(uint32_t));
		sd->set[i].slot = malloc(sd->cap * sizeof(uint64_t));
		if (!sd->set[i].bit || !sd->set[i].slot)
			goto err;
	}
	stackdist__clear(sd);
	return sd;
err:
	stackdist__free(sd);
	errno = ENOMEM;
	return NULL;
}

void stackdist__free(struct stackdist *sd)
{
	if (!sd)
		return;
	for (unsigned i = 0; sd->set && i < sd->sets; i++) {
		free(sd->set[i].bit);
		free(sd->set[i].slot);
	}
	free(sd->set);
	free(sd->hash);
	free(sd);
}

void stackdist__clear(struct stackdist *sd)
{
	for (size_t i = 0; i <= sd->hmask; i++)
		sd->hash[i].key = SD_EMPTY;
	sd->keys = 0;
	for (unsigned i = 0; i < sd->sets; i++) {
		struct sd_set *s = &sd->set[i];

		memset(s->bit, 0, (sd->cap + 1) * sizeof(uint32_t));
		for (unsigned t = 0; t < sd->cap; t++)
			s->slot[t] = SD_EMPTY;
		s->clock = s->live = 0;
	}
}

bool stackdist__empty(const struct stackdist *sd)
{
	return sd->keys == 0;
}

bool stackdist__holds(const struct stackdist *sd, uint64_t key)
{
	return sd_find(sd, key) != NULL;
}

/* Renumber a full set's live times 0..live-1 in order and rebuild its tree. */
static void sd_compact(struct stackdist *sd, struct sd_set *s)
{
	unsigned n = 0;

	memset(s->bit, 0, (sd->cap + 1) * sizeof(uint32_t));
	for (unsigned t = 0; t < s->clock; t++) {
		uint64_t key = s->slot[t];

		if (key == SD_EMPTY)
			continue;
		s->slot[t] = SD_EMPTY;
		s->slot[n] = key;
		sd_find(sd, key)->t = n;
		n++;
	}
	/* A tree of all ones over 0..n-1, built in place in O(cap). */
	for (unsigned i = 1; i <= sd->cap; i++) {
		unsigned j = i + (i & -i);

		s->bit[i] += i <= n;
		if (j <= sd->cap)
			s->bit[j] += s->bit[i];
	}
	s->clock = n;
}

unsigned stackdist__ref(struct stackdist *sd, uint64_t key)
{
	struct sd_set *s = &sd->set[assoc_set_of(sd->sets, key)];
	struct sd_hash_ent *e = sd_find(sd, key);
	unsigned d = 0;

	if (e) {
		d = s->live - bit_prefix(s, e->t) + 1;
		bit_add(sd, s, e->t, -1);
		s->slot[e->t] = SD_EMPTY;
		s->live--;
	}
	if (s->clock == sd->cap) {
		sd_compact(sd, s);
		e = e ? sd_find(sd, key) : NULL; /* compaction does not move hash entries */
	}
	if (e)
		e->t = s->clock;
	else
		sd_insert(sd, key, s->clock);
	s->slot[s->clock] = key;
	bit_add(sd, s, s->clock, 1);
	s->clock++;
	if (++s->live > sd->depth) {
		unsigned t = bit_first(sd, s);

		bit_add(sd, s, t, -1);
		sd_erase(sd, sd_find(sd, s->slot[t]));
		s->slot[t] = SD_EMPTY;
		s->live--;
	}
	return d;
}

/* ------------------------------------------------------------------------------------------ */
/* The sweep of one TLB level. */

struct tlb_sweep {
	struct tlb_sweep_config cfg;
	uint64_t va_mask;
	unsigned narrays, swept;
	int by_size[PAGE_SIZES]; /* array holding the size, or -1 */
	unsigned ways[PAGE_SIZES];
	uint32_t sizes[PAGE_SIZES];
	struct stackdist *sd[PAGE_SIZES];
	unsigned depth; /* swept array: the most ways of any size swept */
	uint64_t *hist; /* swept array: lookups at each distance 1..depth */
	uint64_t cold;	/* swept array: first uses and distances beyond depth */
	uint64_t fixed; /* misses of the other arrays, and of sizes no array holds */
	uint64_t lookups;
	uint64_t l0_seen[PAGE_SIZES]; /* level-1 hits that came through tlb_sweep__ref */
	uint64_t inexact;
	char why[96];
};

static unsigned sweep_sets(const struct tlb_sweep_config *c)
{
	return c->sets ? c->sets : 1;
}

/* The array a sweep varies: the one holding 4K pages, else the first. */
static unsigned sweep_array(const struct tlb_level_config *lc)
{
	for (unsigned i = 0; i < lc->narrays; i++)
		if (lc->array[i].sizes & (1u << PAGE_4K))
			return i;
	return 0;
}

int tlb_sweep_check(const struct sim_config *c, const struct tlb_sweep_config *sw, char *err,
		    size_t errlen)
{
	const struct tlb_level_config *lc;
	unsigned sets = sweep_sets(sw);

	if (sw->level >= c->tlb.nlevels) {
		snprintf(err, errlen,
			 "--tlb-level %u: configuration %s has %u TLB level%s: give 1 to %u",
			 sw->level + 1, c->name, c->tlb.nlevels, c->tlb.nlevels == 1 ? "" : "s",
			 c->tlb.nlevels);
		return -EINVAL;
	}
	lc = &c->tlb.level[sw->level];
	for (unsigned i = 0; i < lc->narrays; i++) {
		if (lc->array[i].geo.policy == REPL_LRU)
			continue;
		snprintf(err, errlen,
			 "--tlb-sizes: TLB level %u of %s replaces by %s: one pass gives LRU "
			 "misses only, so use a configuration with policy = lru there",
			 sw->level + 1, c->name, repl_policy_name(lc->array[i].geo.policy));
		return -EINVAL;
	}
	if (!sw->nsizes || sw->nsizes > TLB_SWEEP_MAX_SIZES) {
		snprintf(err, errlen, "--tlb-sizes: give 1 to %u sizes", TLB_SWEEP_MAX_SIZES);
		return -EINVAL;
	}
	for (unsigned i = 0; i < sw->nsizes; i++) {
		unsigned e = sw->entries[i];

		if (!e || e > TLB_SWEEP_MAX_ENTRIES || (i && e <= sw->entries[i - 1]) || e % sets) {
			snprintf(err, errlen,
				 "--tlb-sizes: %u entries: sizes must increase, lie in 1..%u and "
				 "be multiples of the %u set%s",
				 e, TLB_SWEEP_MAX_ENTRIES, sets, sets == 1 ? "" : "s");
			return -EINVAL;
		}
	}
	return 0;
}

struct tlb_sweep *tlb_sweep__new(const struct tlb_sweep_config *cfg,
				 const struct tlb_level_config *lc, unsigned levels)
{
	struct tlb_sweep *sw = calloc(1, sizeof(*sw));

	if (!sw)
		return NULL;
	sw->cfg = *cfg;
	sw->va_mask = va_width_mask(levels);
	sw->narrays = lc->narrays;
	sw->swept = sweep_array(lc);
	sw->depth = cfg->entries[cfg->nsizes - 1] / sweep_sets(cfg);
	for (unsigned s = 0; s < PAGE_SIZES; s++)
		sw->by_size[s] = -1;
	for (unsigned i = 0; i < lc->narrays; i++) {
		const struct assoc_config *g = &lc->array[i].geo;
		bool swept = i == sw->swept;

		sw->sizes[i] = lc->array[i].sizes;
		sw->ways[i] = g->ways;
		for (unsigned s = 0; s < PAGE_SIZES; s++)
			if (lc->array[i].sizes & (1u << s))
				sw->by_size[s] = (int)i;
		sw->sd[i] = swept ? stackdist__new(sweep_sets(cfg), sw->depth)
				  : stackdist__new(g->entries / g->ways, g->ways);
		if (!sw->sd[i])
			goto err;
	}
	sw->hist = calloc(sw->depth + 1, sizeof(*sw->hist));
	if (!sw->hist)
		goto err;
	return sw;
err:
	tlb_sweep__free(sw);
	errno = ENOMEM;
	return NULL;
}

void tlb_sweep__free(struct tlb_sweep *sw)
{
	if (!sw)
		return;
	for (unsigned i = 0; i < sw->narrays; i++)
		stackdist__free(sw->sd[i]);
	free(sw->hist);
	free(sw);
}

void tlb_sweep__ref(struct tlb_sweep *sw, uint64_t va, enum page_size size, bool l0_hit)
{
	int a = sw->by_size[size];
	unsigned d;

	sw->lookups++;
	sw->l0_seen[size] += l0_hit;
	if (a < 0) {
		sw->fixed++; /* no array of the level holds the size: never a hit */
		return;
	}
	d = stackdist__ref(sw->sd[a], tlb_key_of(va, size, sw->va_mask));
	if ((unsigned)a != sw->swept)
		sw->fixed += !d || d > sw->ways[a];
	else if (d)
		sw->hist[d]++;
	else
		sw->cold++;
}

void tlb_sweep__inexact(struct tlb_sweep *sw, const char *why)
{
	if (!sw->inexact++)
		snprintf(sw->why, sizeof(sw->why), "%s", why);
}

/* Whether some size of the level may hold @va's page now. */
static bool sweep_holds(const struct tlb_sweep *sw, uint64_t va)
{
	for (unsigned s = 0; s < PAGE_SIZES; s++) {
		int a = sw->by_size[s];

		if (a >= 0 &&
		    stackdist__holds(sw->sd[a], tlb_key_of(va, (enum page_size)s, sw->va_mask)))
			return true;
	}
	return false;
}

/*
 * A walk that faulted fills nothing. That is a miss at every size only if no
 * size holds the page: otherwise the sizes that hold it would have hit.
 */
void tlb_sweep__walk_fault(struct tlb_sweep *sw, uint64_t va)
{
	if (sweep_holds(sw, va)) {
		tlb_sweep__inexact(sw, "a walk faulted on a page the level may hold");
		return;
	}
	sw->lookups++;
	sw->fixed++;
}

void tlb_sweep__flush_all(struct tlb_sweep *sw)
{
	for (unsigned i = 0; i < sw->narrays; i++)
		stackdist__clear(sw->sd[i]);
}

/*
 * Dropping entries from inside an LRU stack leaves holes that later fills use
 * before evicting, which one stack cannot follow for every size at once; a
 * flush that drops nothing changes nothing.
 */
void tlb_sweep__flush_some(struct tlb_sweep *sw, bool one_page, uint64_t va, const char *why)
{
	bool empty = true;

	if (one_page) {
		if (sweep_holds(sw, va))
			tlb_sweep__inexact(sw, why);
		return;
	}
	for (unsigned i = 0; i < sw->narrays; i++)
		empty = empty && stackdist__empty(sw->sd[i]);
	if (!empty)
		tlb_sweep__inexact(sw, why);
}

void tlb_sweep__reset_stats(struct tlb_sweep *sw)
{
	memset(sw->hist, 0, (sw->depth + 1) * sizeof(*sw->hist));
	sw->cold = sw->fixed = sw->lookups = 0;
	memset(sw->l0_seen, 0, sizeof(sw->l0_seen));
}

void tlb_sweep__result(const struct tlb_sweep *sw, const uint64_t *l0_hits, uint64_t accesses,
		       struct tlb_sweep_result *r)
{
	uint64_t beyond, repeats = 0;
	unsigned d, sets = sweep_sets(&sw->cfg);

	memset(r, 0, sizeof(*r));
	r->on = true;
	r->level = sw->cfg.level;
	r->sets = sw->cfg.sets;
	r->nsizes = sw->cfg.nsizes;
	r->array_sizes = sw->sizes[sw->swept];
	r->inexact = sw->inexact;
	snprintf(r->why, sizeof(r->why), "%s", sw->why);
	/*
	 * Level 1 only: the simulator counts a repeat of the entry it used last
	 * without a lookup. That entry is the most recent of its set at every
	 * size, so each repeat is a lookup at distance 1: a hit everywhere.
	 */
	if (sw->cfg.level == 0)
		for (unsigned s = 0; s < PAGE_SIZES; s++)
			repeats += l0_hits[s] - sw->l0_seen[s];
	r->lookups = sw->lookups + repeats;
	/* Sizes in decreasing order: misses(ways) = cold + fixed + lookups deeper than ways. */
	beyond = sw->cold + sw->fixed;
	d = sw->depth;
	for (unsigned i = sw->cfg.nsizes; i-- > 0;) {
		unsigned ways = sw->cfg.entries[i] / sets;

		for (; d > ways; d--)
			beyond += sw->hist[d];
		r->entries[i] = sw->cfg.entries[i];
		r->misses[i] = beyond;
		r->mpka[i] = accesses ? 1000.0 * (double)beyond / (double)accesses : 0.0;
	}
}
