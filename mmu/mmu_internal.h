/* SPDX-License-Identifier: GPL-2.0 */
/* Private to mmu/: the set-associative tag store every cache model is built on, and walker hooks.
 */
#ifndef MEMVIRT_MMU_INTERNAL_H
#define MEMVIRT_MMU_INTERNAL_H

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mmu/mmu.h"

#define ASSOC_INVALID (~0ULL)

struct assoc;

/*
 * A replacement policy's per-set state: its name and, where it keeps state, how
 * to allocate and free it (NULL: none). The updates on a hit or fill
 * (assoc_touch) and the victim choice (assoc.c) switch on the policy instead,
 * so the hot path makes no indirect call.
 */
struct repl_policy_ops {
	const char *name;
	int (*init)(struct assoc *a);
	void (*fini)(struct assoc *a);
};

/*
 * A set-associative store of (key, tag, value) triples. A key is unique per
 * entry and never ASSOC_INVALID; the tag (PCID/VPID and a global bit, or 0) is
 * compared only after the key matches. Sets are indexed by key modulo sets.
 * Sets of ASSOC_FP_WAYS ways or more also keep a one-byte fingerprint of each
 * way's key (0: empty way), so a search compares 16 ways at once and reads
 * only the keys whose fingerprint matches; results are those of a scan in way
 * order.
 */
struct assoc {
	unsigned sets, ways;
	uint64_t set_mask; /* sets - 1 when sets is a power of two, else 0 */
	uint64_t *key;	   /* sets * ways */
	uint32_t *tag;
	uint64_t *val;
	const struct repl_policy_ops *ops;
	enum repl_policy policy; /* the hot path switches on it rather than calling ops */
	uint8_t *fp;		 /* wide sets: fp_stride bytes per set, else NULL */
	unsigned fp_stride;	 /* ways rounded up to 16 */
	uint64_t *stamp;	 /* LRU: last-use time per entry */
	uint64_t clock;
	uint8_t *plru; /* tree-PLRU: ways - 1 node bits per set */
	uint64_t rng;  /* random */
};

#define ASSOC_FP_WAYS 16

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

/*
 * Tree-PLRU over @ways ways on one set's ways - 1 node bits (docs/sim-model.md).
 * The path is chosen with masks, not branches: the way (and the bits) are
 * random in a walk-heavy stream, so a branch per node would mostly mispredict.
 */
static inline void plru_bits_touch(uint8_t *bits, unsigned ways, unsigned way)
{
	unsigned n = 0, lo = 0, hi = ways;

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo + 1) / 2;
		unsigned left = way < mid,
			 m = 0u - left; /* all ones when @way is in the left half */

		bits[n] = (uint8_t)left;
		n += (1 & m) | ((mid - lo) & ~m);
		hi = (mid & m) | (hi & ~m);
		lo = (lo & m) | (mid & ~m);
	}
}

unsigned plru_bits_victim(const uint8_t *bits, unsigned ways);

/* A use of (set, way): the replacement state's update, inline for every policy. */
static inline void assoc_touch(struct assoc *a, unsigned set, unsigned way)
{
	if (a->policy == REPL_LRU)
		a->stamp[(size_t)set * a->ways + way] = ++a->clock;
	else if (a->policy == REPL_PLRU)
		plru_bits_touch(a->plru + (size_t)set * (a->ways - 1), a->ways, way);
}

/* The fingerprint of a valid key: never 0, which marks an empty way. */
static inline uint8_t assoc_fp(uint64_t key)
{
	uint8_t h = (uint8_t)((key * 0x9E3779B97F4A7C15ULL) >> 56);

	return h ? h : 1;
}

/* Bit i set when fp[i] == f, for the first @n (at most 16) of 16 readable bytes. */
static inline unsigned assoc_fp_match16(const uint8_t *fp, uint8_t f, unsigned n)
{
	unsigned m;

#ifdef __SSE2__
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)fp);

	m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)f)));
#else
	m = 0;
	for (unsigned i = 0; i < 16; i++)
		m |= (unsigned)(fp[i] == f) << i;
#endif
	return n >= 16 ? m : m & ((1u << n) - 1);
}

/* The first way of the set at @base (in way order) whose key and tag match, or -1. */
static inline long assoc_search(const struct assoc *a, unsigned set, size_t base, uint64_t key,
				uint32_t tag)
{
	const uint64_t *k = a->key + base;

	if (a->fp) {
		const uint8_t *fp = a->fp + (size_t)set * a->fp_stride;
		uint8_t f = assoc_fp(key);

		for (unsigned c = 0; c < a->ways; c += 16) {
			unsigned m = assoc_fp_match16(fp + c, f, a->ways - c);

			for (; m; m &= m - 1) {
				unsigned w = c + (unsigned)__builtin_ctz(m);

				if (k[w] == key && assoc_tag_match(a->tag[base + w], tag))
					return (long)(base + w);
			}
		}
		return -1;
	}
	for (unsigned w = 0; w < a->ways; w++)
		if (k[w] == key && assoc_tag_match(a->tag[base + w], tag))
			return (long)(base + w);
	return -1;
}

/* Index of the matching entry (set * ways + way) or -1; a hit updates replacement state. */
static inline long assoc__lookup(struct assoc *a, uint64_t key, uint32_t tag)
{
	unsigned set = assoc__set(a, key);
	size_t base = (size_t)set * a->ways;
	long idx = assoc_search(a, set, base, key, tag);

	if (idx >= 0)
		assoc_touch(a, set, (unsigned)((size_t)idx - base));
	return idx;
}

/* Like assoc__lookup without touching replacement state. */
long assoc__find(const struct assoc *a, uint64_t key, uint32_t tag);
/* Insert or overwrite; returns the entry index. */
size_t assoc__insert(struct assoc *a, uint64_t key, uint32_t tag, uint64_t val);
void assoc__invalidate(struct assoc *a, size_t idx);

const struct repl_policy_ops *repl_policy_ops_get(enum repl_policy p);

/*
 * The unified and translation-path organisations of the paging-structure
 * caches (pwc_org.c); struct pwc hands them every operation when configured.
 */
struct pwc_org_cache;

struct pwc_org_cache *pwc_org__new(const struct pwc_config *cfg, unsigned levels, uint64_t seed);
void pwc_org__free(struct pwc_org_cache *o);
bool pwc_org__present(const struct pwc_org_cache *o);
bool pwc_org__lookup(struct pwc_org_cache *o, uint32_t tag, uint64_t va, struct pwc_hit *hit);
void pwc_org__fill(struct pwc_org_cache *o, uint32_t tag, const struct walk *w);
void pwc_org__flush_all(struct pwc_org_cache *o);
void pwc_org__flush_tag(struct pwc_org_cache *o, uint32_t tag);

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

/* The VA bits a paging depth translates: 47:0 (4-level) or 56:0 (5-level). */
static inline uint64_t va_width_mask(unsigned levels)
{
	return (1ULL << (levels == 5 ? 57 : 48)) - 1;
}

/*
 * A TLB key: the virtual page number of the size, VA[W-1:shift] with W the
 * paging width (@va_mask), so a kernel-half page is indexed by its own VPN bits
 * and not by the copies of bit 47 above them; the size sits above the index
 * bits so a unified array tells 4K and 2M entries apart. Sets are key modulo
 * sets (assoc__set).
 */
static inline uint64_t tlb_key_of(uint64_t va, enum page_size size, uint64_t va_mask)
{
	return ((va & va_mask) >> page_size_shift(size)) | ((uint64_t)size << ASSOC_INDEX_BITS);
}

/* The set of @key in a store of @sets sets, as assoc__set chooses it. */
static inline unsigned assoc_set_of(unsigned sets, uint64_t key)
{
	key &= ASSOC_INDEX_MASK;
	return (sets & (sets - 1)) == 0 ? (unsigned)(key & (sets - 1)) : (unsigned)(key % sets);
}

/* The TLB's key width, set by the simulator from its paging depth (default: 5-level's). */
void tlb__set_levels(struct tlb *t, unsigned levels);
/* The geometry of level @lvl as built (for the one-pass size sweep). */
const struct tlb_level_config *tlb__level_config(const struct tlb *t, unsigned lvl);

/*
 * Per-set LRU stack distances of a stream of keys (Mattson et al., IBM Systems
 * Journal 1970): sets chosen as assoc__set does, each set's stack kept to
 * @depth keys (deeper ones miss at every size of interest). O(log depth) per
 * reference: a Fenwick tree over each set's last-use times, a hash from key
 * to its time. Constructor returns NULL and sets errno.
 */
struct stackdist;

struct stackdist *stackdist__new(unsigned sets, unsigned depth);
void stackdist__free(struct stackdist *sd);
/* Reference @key: its distance (1 = the most recent key of its set), 0 if first or deeper. */
unsigned stackdist__ref(struct stackdist *sd, uint64_t key);
/* Whether @key is within the depth of its set's stack. */
bool stackdist__holds(const struct stackdist *sd, uint64_t key);
bool stackdist__empty(const struct stackdist *sd);
void stackdist__clear(struct stackdist *sd);

/*
 * The one-pass size sweep of one TLB level (mmu/stackdist.c), fed by the
 * simulator with each lookup that reaches the level and the page size the
 * translation turned out to have.
 */
struct tlb_sweep;

struct tlb_sweep *tlb_sweep__new(const struct tlb_sweep_config *cfg,
				 const struct tlb_level_config *lc, unsigned levels);
void tlb_sweep__free(struct tlb_sweep *sw);
/* A lookup at the level for @va, whose translation is of @size; @l0_hit: it hit level 1. */
void tlb_sweep__ref(struct tlb_sweep *sw, uint64_t va, enum page_size size, bool l0_hit);
/* A lookup at the level for @va whose walk faulted (nothing filled). */
void tlb_sweep__walk_fault(struct tlb_sweep *sw, uint64_t va);
/* Something after which one pass no longer equals separate runs. */
void tlb_sweep__inexact(struct tlb_sweep *sw, const char *why);
void tlb_sweep__flush_all(struct tlb_sweep *sw);
/* A partial flush: exact only if the level holds nothing it drops (@va: one page; else all). */
void tlb_sweep__flush_some(struct tlb_sweep *sw, bool one_page, uint64_t va, const char *why);
void tlb_sweep__reset_stats(struct tlb_sweep *sw);
/* The misses per size; @repeats: level-1 hits the simulator counted without a lookup. */
void tlb_sweep__result(const struct tlb_sweep *sw, const uint64_t *l0_hits, uint64_t accesses,
		       struct tlb_sweep_result *r);

/* Leaf page size at @level (1: 4K, 2: 2M, 3: 1G). */
static inline enum page_size walk_level_size(unsigned level)
{
	return (enum page_size)(level - 1);
}

#endif
