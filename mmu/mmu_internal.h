/* SPDX-License-Identifier: GPL-2.0 */
/* Private to mmu/: the set-associative tag store every cache model is built on, and walker hooks.
 */
#ifndef MEMVIRT_MMU_INTERNAL_H
#define MEMVIRT_MMU_INTERNAL_H

#include "mmu/mmu.h"

#define ASSOC_INVALID (~0ULL)

struct assoc;

/* A replacement policy: per-set state, updated on every hit or fill, asked for a victim. */
struct repl_policy_ops {
	const char *name;
	int (*init)(struct assoc *a);
	void (*touch)(struct assoc *a, unsigned set, unsigned way);
	unsigned (*victim)(struct assoc *a, unsigned set); /* called with every way valid */
	void (*fini)(struct assoc *a);
};

/*
 * A set-associative store of (key, tag, value) triples. A key is unique per
 * entry and never ASSOC_INVALID; the tag (PCID/VPID and a global bit, or 0) is
 * compared only after the key matches. Sets are indexed by key modulo sets.
 */
struct assoc {
	unsigned sets, ways;
	uint64_t set_mask; /* sets - 1 when sets is a power of two, else 0 */
	uint64_t *key;	   /* sets * ways */
	uint32_t *tag;
	uint64_t *val;
	const struct repl_policy_ops *ops;
	uint64_t *stamp; /* LRU: last-use time per entry */
	uint64_t clock;
	uint8_t *plru; /* tree-PLRU: ways - 1 node bits per set */
	uint64_t rng;  /* random */
};

#define ASSOC_TAG_GLOBAL (1u << 31) /* matches any PCID of the same VPID */
#define ASSOC_TAG_PCID	 0xfffu

static inline uint32_t assoc_tag(uint16_t pcid, uint16_t vpid)
{
	return (uint32_t)(pcid & ASSOC_TAG_PCID) | ((uint32_t)vpid << 12);
}

int assoc__init(struct assoc *a, const struct assoc_config *cfg, uint64_t seed);
void assoc__fini(struct assoc *a);
void assoc__clear(struct assoc *a);

/* Key bits above ASSOC_INDEX_BITS tell entries apart but do not choose the set. */
#define ASSOC_INDEX_BITS 56
#define ASSOC_INDEX_MASK ((1ULL << ASSOC_INDEX_BITS) - 1)

static inline unsigned assoc__set(const struct assoc *a, uint64_t key)
{
	key &= ASSOC_INDEX_MASK;
	return a->set_mask || a->sets == 1 ? (unsigned)(key & a->set_mask)
					   : (unsigned)(key % a->sets);
}

static inline bool assoc_tag_match(uint32_t have, uint32_t want)
{
	if (have == want)
		return true;
	return (have & ASSOC_TAG_GLOBAL) &&
	       ((have ^ want) & ~(ASSOC_TAG_GLOBAL | ASSOC_TAG_PCID)) == 0;
}

/* Index of the matching entry (set * ways + way) or -1; a hit updates replacement state. */
static inline long assoc__lookup(struct assoc *a, uint64_t key, uint32_t tag)
{
	unsigned set = assoc__set(a, key);
	size_t base = (size_t)set * a->ways;
	const uint64_t *k = a->key + base;

	for (unsigned w = 0; w < a->ways; w++) {
		if (k[w] == key && assoc_tag_match(a->tag[base + w], tag)) {
			if (a->stamp) /* LRU, inline */
				a->stamp[base + w] = ++a->clock;
			else
				a->ops->touch(a, set, w);
			return (long)(base + w);
		}
	}
	return -1;
}

/* Like assoc__lookup without touching replacement state. */
long assoc__find(const struct assoc *a, uint64_t key, uint32_t tag);
/* Insert or overwrite; returns the entry index. */
size_t assoc__insert(struct assoc *a, uint64_t key, uint32_t tag, uint64_t val);
void assoc__invalidate(struct assoc *a, size_t idx);

const struct repl_policy_ops *repl_policy_ops_get(enum repl_policy p);

/* Tree-PLRU over @ways ways on one set's ways - 1 node bits (docs/sim-model.md). */
void plru_bits_touch(uint8_t *bits, unsigned ways, unsigned way);
unsigned plru_bits_victim(const uint8_t *bits, unsigned ways);

/* xorshift64*: the deterministic generator behind random replacement. */
static inline uint64_t mmu_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Walker internals shared with the simulator. */

/*
 * Where a walk's table loads go. Without @load, entries are read from @mem at
 * the entry address. With it, @load does the read (the 2D walker and the
 * simulator translate, count and cache-model there) and may fill *f.
 */
struct walk_env {
	const struct pt_mem *mem;
	int (*load)(void *ctx, unsigned level, uint64_t entry_addr, uint64_t *val,
		    struct walk_fault *f);
	void *ctx;
};

/* Resume point for a walk after a page-walk-cache hit (NULL: from the root). */
void walk_fault__host(struct walk_fault *f, const struct walk *hw, unsigned slot, gpa_t gpa);
int walk__run(const struct walk_env *env, const struct walk_cpu *cpu, uint64_t va, unsigned acc,
	      const struct pwc_hit *start, struct walk *w);

/* Validate a walk_cpu; returns 0 or -EINVAL. */
int walk_cpu__check(const struct walk_cpu *cpu);

/* Leaf page size at @level (1: 4K, 2: 2M, 3: 1G). */
static inline enum page_size walk_level_size(unsigned level)
{
	return (enum page_size)(level - 1);
}

/* Shift of the address bits an entry at @level translates: 12, 21, 30, 39, 48. */
static inline unsigned walk_level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

#endif
