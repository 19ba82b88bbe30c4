// SPDX-License-Identifier: GPL-2.0
/* Paging-structure caches per level (SDM Vol. 3A §4.10.3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu_internal.h"

/*
 * Paging-structure caches (SDM Vol. 3A §4.10.3): the PDE cache maps VA bits
 * 47:21 (56:21 with LA57) to the page table a PDE points at, the PDPTE cache
 * bits 47:30 to a page directory, the PML4E cache bits 47:39 to a PDPT, the
 * PML5E cache bits 56:48 to a PML4. Each entry keeps the RW/US/XD rights
 * accumulated down to it (§4.10.3.1), so a walk resumed below it checks
 * permissions as the full walk would.
 * Simplification: a nested (2D) guest entry caches the next guest table's GPA,
 * which the walk still translates through the nested TLB or a host walk.
 */
struct pwc {
	unsigned levels;
	bool present[PT_MAX_LEVELS + 1];
	struct assoc cache[PT_MAX_LEVELS + 1];
	struct pwc_org_cache *org; /* unified or path organisation: it does everything */
};

/* The VA bits above the level's entry within the paging width (as TLB keys, tlb_key_of). */
static inline uint64_t pwc_key(const struct pwc *p, uint64_t va, unsigned level)
{
	return (va & va_width_mask(p->levels)) >> pt_level_shift(level);
}

struct pwc *pwc__new(const struct pwc_config *cfg, unsigned levels, uint64_t seed)
{
	struct pwc *p;
	int err;

	if (levels != 4 && levels != 5) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->levels = levels;
	if (cfg->org != PWC_ORG_SPLIT) {
		p->org = pwc_org__new(cfg, levels, seed);
		if (!p->org) {
			free(p);
			return NULL;
		}
		return p;
	}
	for (unsigned l = 2; l <= levels; l++) {
		if (!cfg->level[l].entries)
			continue;
		err = assoc__init(&p->cache[l], &cfg->level[l], seed + l * 31);
		if (err) {
			pwc__free(p);
			errno = -err;
			return NULL;
		}
		p->present[l] = true;
	}
	return p;
}

void pwc__free(struct pwc *p)
{
	if (!p)
		return;
	pwc_org__free(p->org);
	for (unsigned l = 2; l <= PT_MAX_LEVELS; l++)
		if (p->present[l])
			assoc__fini(&p->cache[l]);
	free(p);
}

bool pwc__present(const struct pwc *p)
{
	if (p->org)
		return pwc_org__present(p->org);
	for (unsigned l = 2; l <= p->levels; l++)
		if (p->present[l])
			return true;
	return false;
}

/*
 * Whether some configured cache could hold an entry for a walk whose leaf (or
 * faulting entry) was at @leaf_level: a level above the leaf, within the depth.
 */
bool pwc__could_hold(const struct pwc *p, unsigned leaf_level)
{
	/* The shared organisations hold entries of every non-leaf level. */
	if (p->org)
		return pwc_org__present(p->org) && leaf_level < p->levels;
	for (unsigned l = leaf_level + 1 > 2 ? leaf_level + 1 : 2; l <= p->levels; l++)
		if (p->present[l])
			return true;
	return false;
}

bool pwc__lookup(struct pwc *p, uint32_t tag, uint64_t va, struct pwc_hit *hit)
{
	if (p->org)
		return pwc_org__lookup(p->org, tag, va, hit);
	/* Deepest first: a PDE hit skips more of the walk than a PML4E hit. */
	for (unsigned l = 2; l <= p->levels; l++) {
		long idx;

		if (!p->present[l])
			continue;
		idx = assoc__lookup(&p->cache[l], pwc_key(p, va, l), tag);
		if (idx >= 0) {
			uint64_t v = p->cache[l].val[idx];

			hit->level = l - 1;
			hit->table = v & PTE_ADDR_MASK;
			hit->perms = (uint32_t)(v & 7);
			return true;
		}
	}
	return false;
}

void pwc__fill(struct pwc *p, uint32_t tag, const struct walk *w)
{
	if (p->org) {
		pwc_org__fill(p->org, tag, w);
		return;
	}
	for (unsigned l = w->first_level; l > w->leaf_level; l--) {
		const struct walk_level *wl = &w->lvl[l];

		if (l < 2 || !p->present[l])
			continue;
		assoc__insert(&p->cache[l], pwc_key(p, w->va, l), tag,
			      (wl->entry & PTE_ADDR_MASK) | (wl->perms & 7));
	}
}

void pwc__flush_all(struct pwc *p)
{
	if (p->org) {
		pwc_org__flush_all(p->org);
		return;
	}
	for (unsigned l = 2; l <= p->levels; l++)
		if (p->present[l])
			assoc__clear(&p->cache[l]);
}

void pwc__flush_tag(struct pwc *p, uint32_t tag)
{
	if (p->org) {
		pwc_org__flush_tag(p->org, tag);
		return;
	}
	for (unsigned l = 2; l <= p->levels; l++) {
		struct assoc *a = &p->cache[l];
		size_t n;

		if (!p->present[l])
			continue;
		n = (size_t)a->sets * a->ways;
		for (size_t k = 0; k < n; k++)
			if (a->key[k] != ASSOC_INVALID && a->tag[k] == tag)
				assoc__invalidate(a, k);
	}
}
