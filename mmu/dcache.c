// SPDX-License-Identifier: GPL-2.0
/* The data-cache hierarchy page-table loads go through: set-associative levels of lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/util.h"
#include "mmu/mmu_internal.h"

/*
 * A load is looked up level by level and, where found (or in memory), copied
 * into every level above. Replacement is the same as struct assoc's (empty
 * ways first, lowest way first; then LRU, tree-PLRU or random), so results
 * equal a hierarchy of struct assoc levels; the layout is the simulator's:
 * each set's keys and LRU stamps sit in one contiguous block, every level's
 * set is prefetched before the first level is searched, and a miss fills
 * the way the search already found, without a second scan. A large
 * last-level cache otherwise costs several dependent host cache misses per
 * table load.
 * Simplification: no write-back traffic, no inclusion enforcement, no
 * prefetchers, one line size for all levels.
 */
#define DC_INVALID ASSOC_INVALID
#define DC_HUGE	   (2UL << 20)

struct dc_level {
	unsigned sets, ways;
	uint64_t set_mask; /* sets - 1 when sets is a power of two, else 0 */
	size_t stride;	   /* uint64_t words per set block: ways keys, then (LRU) ways stamps */
	enum repl_policy policy;
	uint64_t *blk;
	uint8_t *plru; /* tree-PLRU: ways - 1 node bits per set */
	uint64_t clock, rng;
};

struct dcache {
	unsigned nlevels, line_shift;
	struct dc_level level[SIM_MAX_CACHE_LEVELS];
};

/*
 * Set blocks, 2M-aligned and on huge pages when large: a random line then
 * costs the host one cache miss and no TLB miss.
 */
static uint64_t *dc_alloc(size_t bytes)
{
	size_t align = bytes >= DC_HUGE ? DC_HUGE : 64;
	void *p = aligned_alloc(align, (bytes + align - 1) & ~(align - 1));

	if (p && align == DC_HUGE)
		madvise(p, (bytes + align - 1) & ~(align - 1), MADV_HUGEPAGE);
	return p;
}

static int dc_level_init(struct dc_level *l, const struct assoc_config *geo, uint64_t seed)
{
	size_t bytes;

	memset(l, 0, sizeof(*l));
	if (!geo->entries || !geo->ways || geo->entries % geo->ways ||
	    (unsigned)geo->policy > REPL_RANDOM)
		return -EINVAL;
	l->ways = geo->ways;
	l->sets = geo->entries / geo->ways;
	l->set_mask = (l->sets & (l->sets - 1)) == 0 ? l->sets - 1 : 0;
	l->policy = geo->policy;
	l->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
	l->stride = (size_t)l->ways * (l->policy == REPL_LRU ? 2 : 1);
	bytes = (size_t)l->sets * l->stride * sizeof(uint64_t);
	l->blk = dc_alloc(bytes);
	if (!l->blk)
		return -ENOMEM;
	if (l->policy == REPL_PLRU) {
		l->plru = calloc((size_t)l->sets * (l->ways > 1 ? l->ways - 1 : 1), 1);
		if (!l->plru) {
			free(l->blk);
			l->blk = NULL;
			return -ENOMEM;
		}
	}
	memset(l->blk, 0, bytes);
	for (size_t s = 0; s < l->sets; s++)
		for (unsigned w = 0; w < l->ways; w++)
			l->blk[s * l->stride + w] = DC_INVALID;
	return 0;
}

static void dc_level_fini(struct dc_level *l)
{
	free(l->blk);
	free(l->plru);
	memset(l, 0, sizeof(*l));
}

struct dcache *dcache__new(const struct cache_config *cfg, uint64_t seed)
{
	struct dcache *d;
	int err;

	if (cfg->nlevels > SIM_MAX_CACHE_LEVELS || !cfg->line || (cfg->line & (cfg->line - 1))) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->line_shift = (unsigned)__builtin_ctz(cfg->line);
	for (unsigned k = 0; k < cfg->nlevels; k++) {
		err = dc_level_init(&d->level[k], &cfg->level[k].geo, seed + k * 13);
		if (err) {
			dcache__free(d);
			errno = -err;
			return NULL;
		}
		d->nlevels = k + 1;
	}
	return d;
}

void dcache__free(struct dcache *d)
{
	if (!d)
		return;
	/* nlevels never exceeds the array (dcache__new checks); the bound says so to the compiler.
	 */
	for (unsigned k = 0; k < d->nlevels && k < SIM_MAX_CACHE_LEVELS; k++)
		dc_level_fini(&d->level[k]);
	free(d);
}

static inline unsigned dc_set(const struct dc_level *l, uint64_t line)
{
	line &= ASSOC_INDEX_MASK;
	return l->set_mask || l->sets == 1 ? (unsigned)(line & l->set_mask)
					   : (unsigned)(line % l->sets);
}

static inline void dc_touch(struct dc_level *l, unsigned set, uint64_t *b, unsigned way)
{
	if (l->policy == REPL_LRU)
		b[l->ways + way] = ++l->clock;
	else if (l->policy == REPL_PLRU)
		plru_bits_touch(l->plru + (size_t)set * (l->ways - 1), l->ways, way);
}

/* The way a missing line goes to: the lowest empty way (@empty < ways), else the victim. */
static inline unsigned dc_victim(struct dc_level *l, unsigned set, const uint64_t *b,
				 unsigned empty)
{
	unsigned best = 0;

	if (empty < l->ways)
		return empty;
	switch (l->policy) {
	case REPL_LRU:
		for (unsigned w = 1; w < l->ways; w++)
			if (b[l->ways + w] < b[l->ways + best])
				best = w;
		return best;
	case REPL_PLRU:
		return plru_bits_victim(l->plru + (size_t)set * (l->ways - 1), l->ways);
	case REPL_RANDOM:
		return (unsigned)(xorshift64s(&l->rng) % l->ways);
	}
	return 0;
}

static inline void dc_prefetch(const struct dc_level *l, const uint64_t *b)
{
	size_t bytes = l->stride * sizeof(uint64_t);

	/* Simulator speed only: the blocks of a 16-way LRU set span four host lines. */
	for (size_t off = 0; off < bytes && off < 512; off += 64)
		__builtin_prefetch((const char *)b + off);
}

unsigned dcache__access(struct dcache *d, uint64_t pa)
{
	uint64_t line = pa >> d->line_shift, *blk[SIM_MAX_CACHE_LEVELS];
	unsigned set[SIM_MAX_CACHE_LEVELS], empty[SIM_MAX_CACHE_LEVELS], k;

	for (k = 0; k < d->nlevels; k++) {
		set[k] = dc_set(&d->level[k], line);
		blk[k] = d->level[k].blk + (size_t)set[k] * d->level[k].stride;
		dc_prefetch(&d->level[k], blk[k]);
	}
	for (k = 0; k < d->nlevels; k++) {
		struct dc_level *l = &d->level[k];
		const uint64_t *b = blk[k];
		unsigned w;

		empty[k] = l->ways;
		for (w = 0; w < l->ways; w++) {
			if (b[w] == line)
				break;
			if (b[w] == DC_INVALID && empty[k] == l->ways)
				empty[k] = w;
		}
		if (w < l->ways) {
			dc_touch(l, set[k], blk[k], w);
			break;
		}
	}
	for (unsigned u = 0; u < k; u++) {
		struct dc_level *l = &d->level[u];
		unsigned w = dc_victim(l, set[u], blk[u], empty[u]);

		blk[u][w] = line;
		dc_touch(l, set[u], blk[u], w);
	}
	return k;
}

void dcache__prefetch(const struct dcache *d, uint64_t pa)
{
	uint64_t line = pa >> d->line_shift;

	for (unsigned k = 0; k < d->nlevels; k++) {
		const struct dc_level *l = &d->level[k];

		dc_prefetch(l, l->blk + (size_t)dc_set(l, line) * l->stride);
	}
}
