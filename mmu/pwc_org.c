// SPDX-License-Identifier: GPL-2.0
/* The unified and translation-path organisations of the paging-structure caches. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu_internal.h"

#define PWC_ORG_VA_MASK	  ((1ULL << 57) - 1)
#define PWC_ORG_LVL_SHIFT 60 /* unified: the level sits above the VA prefix (any level's fits) */

/*
 * Barr, Cox and Rixner (ISCA 2010, section 3) name the designs that cache
 * partial translations by virtual-address bits:
 * - unified translation cache (UTC): one set-associative store of entries
 *   from any non-leaf level, each tagged by its level and the VA bits above
 *   it, so the levels compete for the same entries;
 * - translation-path cache (TPC): one fully associative store in which an
 *   entry holds a whole path's upper levels (the PML4E, PDPTE and PDE of a
 *   4-level walk), tagged once by VA bits 47:21 (56:21 with LA57). A lookup
 *   takes the entry sharing the longest prefix of indices with the address,
 *   so one entry serves every address under the same PDPT, PD or PT.
 * Each cached pointer keeps the rights accumulated down to it, as the split
 * caches do (SDM Vol. 3A §4.10.3.1).
 */
struct pwc_org_cache {
	enum pwc_org kind;
	unsigned levels;
	struct assoc a;
	uint64_t (*path)[PT_MAX_LEVELS + 1]; /* path: per entry, level -> next table | rights */
	/* path: the upper levels of the last hit, for the fill of the walk resumed from it */
	bool hit_valid;
	uint64_t hit_key;
	uint32_t hit_tag;
	unsigned hit_level;
	uint64_t hit_path[PT_MAX_LEVELS + 1];
};

/* The VA bits that select @level's entry and the entries above it (the index bits). */
static inline uint64_t org_prefix(uint64_t va, unsigned level)
{
	return (va & PWC_ORG_VA_MASK) >> pt_level_shift(level);
}

static inline uint64_t org_unified_key(uint64_t va, unsigned level)
{
	return org_prefix(va, level) | ((uint64_t)level << PWC_ORG_LVL_SHIFT);
}

struct pwc_org_cache *pwc_org__new(const struct pwc_config *cfg, unsigned levels, uint64_t seed)
{
	struct pwc_org_cache *o;
	int err;

	if (cfg->org != PWC_ORG_UNIFIED && cfg->org != PWC_ORG_PATH) {
		errno = EINVAL;
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->kind = cfg->org;
	o->levels = levels;
	if (!cfg->one.entries)
		return o; /* absent */
	err = assoc__init(&o->a, &cfg->one, seed);
	if (err)
		goto fail;
	if (o->kind == PWC_ORG_PATH) {
		o->path = calloc(cfg->one.entries, sizeof(*o->path));
		if (!o->path) {
			assoc__fini(&o->a);
			err = -ENOMEM;
			goto fail;
		}
	}
	return o;
fail:
	free(o);
	errno = -err;
	return NULL;
}

void pwc_org__free(struct pwc_org_cache *o)
{
	if (!o)
		return;
	if (o->a.ways)
		assoc__fini(&o->a);
	free(o->path);
	free(o);
}

bool pwc_org__present(const struct pwc_org_cache *o)
{
	return o->a.ways != 0;
}

static bool org_unified_lookup(struct pwc_org_cache *o, uint32_t tag, uint64_t va,
			       struct pwc_hit *hit)
{
	/* Deepest first, as the split caches probe: the longest skip wins. */
	for (unsigned l = 2; l <= o->levels; l++) {
		long idx = assoc__lookup(&o->a, org_unified_key(va, l), tag);

		if (idx >= 0) {
			uint64_t v = o->a.val[idx];

			hit->level = l - 1;
			hit->table = v & PTE_ADDR_MASK;
			hit->perms = (uint32_t)(v & 7);
			return true;
		}
	}
	return false;
}

/*
 * The deepest level down to which entry @k (holding levels >= @lowest) and
 * the address with path key @key agree, or 0. Levels l..levels agree when
 * the keys (VA bits 56:21) agree above bit 9 * (l - 2).
 */
static unsigned org_path_match(uint64_t k, unsigned lowest, uint64_t key, unsigned levels)
{
	for (unsigned l = lowest; l <= levels; l++)
		if ((k >> (9 * (l - 2))) == (key >> (9 * (l - 2))))
			return l;
	return 0;
}

static bool org_path_lookup(struct pwc_org_cache *o, uint32_t tag, uint64_t va, struct pwc_hit *hit)
{
	uint64_t key = org_prefix(va, 2);
	size_t n = (size_t)o->a.sets * o->a.ways;
	unsigned best = 0;
	size_t at = 0;

	o->hit_valid = false;
	for (size_t k = 0; k < n; k++) {
		unsigned d;

		if (o->a.key[k] == ASSOC_INVALID || !assoc_tag_match(o->a.tag[k], tag))
			continue;
		d = org_path_match(o->a.key[k], (unsigned)o->a.val[k], key, o->levels);
		if (d && (!best || d < best)) {
			best = d;
			at = k;
		}
	}
	if (!best)
		return false;
	assoc_touch(&o->a, (unsigned)(at / o->a.ways), (unsigned)(at % o->a.ways));
	hit->level = best - 1;
	hit->table = o->path[at][best] & PTE_ADDR_MASK;
	hit->perms = (uint32_t)(o->path[at][best] & 7);
	o->hit_valid = true;
	o->hit_key = key;
	o->hit_tag = tag;
	o->hit_level = hit->level;
	memcpy(o->hit_path, o->path[at], sizeof(o->hit_path));
	return true;
}

bool pwc_org__lookup(struct pwc_org_cache *o, uint32_t tag, uint64_t va, struct pwc_hit *hit)
{
	if (!pwc_org__present(o))
		return false;
	if (o->kind == PWC_ORG_UNIFIED)
		return org_unified_lookup(o, tag, va, hit);
	return org_path_lookup(o, tag, va, hit);
}

static void org_unified_fill(struct pwc_org_cache *o, uint32_t tag, const struct walk *w)
{
	for (unsigned l = w->first_level; l > w->leaf_level; l--) {
		const struct walk_level *wl = &w->lvl[l];

		if (l < 2)
			continue;
		assoc__insert(&o->a, org_unified_key(w->va, l), tag,
			      (wl->entry & PTE_ADDR_MASK) | (wl->perms & 7));
	}
}

/*
 * A path entry for the walk: its upper levels from the entry the walk resumed
 * from (if it did), the rest from the entries it read. The entry's value is
 * the lowest level it holds (2, or 3 and 4 above large leaves).
 */
static void org_path_fill(struct pwc_org_cache *o, uint32_t tag, const struct walk *w)
{
	uint64_t key = org_prefix(w->va, 2), path[PT_MAX_LEVELS + 1] = {0};
	unsigned lowest = w->leaf_level + 1;
	size_t idx;

	if (lowest < 2 || lowest > o->levels || w->first_level < lowest - 1)
		return;
	if (w->first_level < o->levels) {
		unsigned from = w->first_level + 1;

		/* Resumed: only from the hit just made for this address and tag. */
		if (!o->hit_valid || o->hit_tag != tag || o->hit_level != w->first_level ||
		    (o->hit_key >> (9 * (from - 2))) != (key >> (9 * (from - 2))))
			return;
		for (unsigned l = from; l <= o->levels; l++)
			path[l] = o->hit_path[l];
	}
	for (unsigned l = w->first_level; l >= lowest; l--)
		path[l] = (w->lvl[l].entry & PTE_ADDR_MASK) | (w->lvl[l].perms & 7);
	idx = assoc__insert(&o->a, key, tag, lowest);
	memcpy(o->path[idx], path, sizeof(path));
	o->hit_valid = false;
}

void pwc_org__fill(struct pwc_org_cache *o, uint32_t tag, const struct walk *w)
{
	if (!pwc_org__present(o))
		return;
	if (o->kind == PWC_ORG_UNIFIED)
		org_unified_fill(o, tag, w);
	else
		org_path_fill(o, tag, w);
}

void pwc_org__flush_all(struct pwc_org_cache *o)
{
	o->hit_valid = false;
	if (pwc_org__present(o))
		assoc__clear(&o->a);
}

void pwc_org__flush_tag(struct pwc_org_cache *o, uint32_t tag)
{
	size_t n;

	o->hit_valid = false;
	if (!pwc_org__present(o))
		return;
	n = (size_t)o->a.sets * o->a.ways;
	for (size_t k = 0; k < n; k++)
		if (o->a.key[k] != ASSOC_INVALID && o->a.tag[k] == tag)
			assoc__invalidate(&o->a, k);
}

const char *pwc_org_name(enum pwc_org org)
{
	static const char *const names[] = {"split", "unified", "path"};

	return (unsigned)org < 3 ? names[org] : "?";
}
