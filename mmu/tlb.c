// SPDX-License-Identifier: GPL-2.0
/* Multi-level TLB: split or unified arrays per page size, any geometry, PCID/VPID tags, flushes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu_internal.h"

#define TLB_VAL_PERMS 0x7ULL
#define TLB_VAL_DIRTY 0x8ULL

struct tlb_array {
	struct assoc a;
	uint32_t sizes;
};

/* The (array, size) pairs a lookup at one level probes, 4K first. */
struct tlb_probe {
	struct assoc *a;
	enum page_size size;
};

struct tlb_level {
	unsigned narrays, nprobes;
	struct tlb_array array[PAGE_SIZES];
	struct tlb_probe probe[PAGE_SIZES];
	struct assoc *by_size[PAGE_SIZES];
	uint32_t seen; /* sizes ever inserted: probing the others cannot hit */
	struct tlb_level_config cfg;
};

struct tlb {
	unsigned nlevels;
	uint64_t va_mask; /* VA bits a key keeps: the paging width (tlb_key_of) */
	struct tlb_level level[SIM_MAX_TLB_LEVELS];
};

static inline uint64_t tlb_key(const struct tlb *t, uint64_t va, enum page_size size)
{
	return tlb_key_of(va, size, t->va_mask);
}

static int tlb_level_init(struct tlb_level *tl, const struct tlb_level_config *c, uint64_t seed)
{
	int err;

	tl->narrays = c->narrays;
	tl->cfg = *c;
	for (unsigned i = 0; i < c->narrays; i++) {
		err = assoc__init(&tl->array[i].a, &c->array[i].geo, seed + i * 7919);
		if (err)
			return err;
		tl->array[i].sizes = c->array[i].sizes;
		for (unsigned s = 0; s < PAGE_SIZES; s++) {
			if (!(c->array[i].sizes & (1u << s)))
				continue;
			if (tl->by_size[s])
				return -EINVAL; /* two arrays of one level hold the same size */
			tl->by_size[s] = &tl->array[i].a;
		}
	}
	for (unsigned s = 0; s < PAGE_SIZES; s++) {
		if (tl->by_size[s]) {
			tl->probe[tl->nprobes].a = tl->by_size[s];
			tl->probe[tl->nprobes].size = (enum page_size)s;
			tl->nprobes++;
		}
	}
	return 0;
}

struct tlb *tlb__new(const struct tlb_config *cfg, uint64_t seed)
{
	struct tlb *t;
	int err = -EINVAL;

	if (!cfg->nlevels || cfg->nlevels > SIM_MAX_TLB_LEVELS) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->nlevels = cfg->nlevels;
	t->va_mask = va_width_mask(5);
	for (unsigned l = 0; l < cfg->nlevels; l++) {
		if (!cfg->level[l].narrays || cfg->level[l].narrays > PAGE_SIZES)
			goto err_free;
		err = tlb_level_init(&t->level[l], &cfg->level[l], seed + l * 104729);
		if (err)
			goto err_free;
	}
	return t;
err_free:
	tlb__free(t);
	errno = -err;
	return NULL;
}

void tlb__free(struct tlb *t)
{
	if (!t)
		return;
	for (unsigned l = 0; l < SIM_MAX_TLB_LEVELS; l++)
		for (unsigned i = 0; i < t->level[l].narrays; i++)
			assoc__fini(&t->level[l].array[i].a);
	free(t);
}

void tlb__set_levels(struct tlb *t, unsigned levels)
{
	t->va_mask = va_width_mask(levels);
}

const struct tlb_level_config *tlb__level_config(const struct tlb *t, unsigned lvl)
{
	return &t->level[lvl].cfg;
}

bool tlb__holds(const struct tlb *t, unsigned lvl, enum page_size size)
{
	return t->level[lvl].by_size[size] != NULL;
}

unsigned tlb__levels(const struct tlb *t)
{
	return t->nlevels;
}

static void tlb_entry_from(const struct assoc *a, long idx, uint64_t va, enum page_size size,
			   struct tlb_entry *e)
{
	uint64_t v = a->val[idx];

	e->va = va;
	e->pa = v & ~(page_size_bytes(size) - 1);
	e->size = size;
	e->perms = (uint32_t)(v & TLB_VAL_PERMS);
	e->dirty = v & TLB_VAL_DIRTY;
	e->global = a->tag[idx] & ASSOC_TAG_GLOBAL;
}

bool tlb__lookup(struct tlb *t, unsigned lvl, struct tlb_tag tag, uint64_t va, struct tlb_entry *e)
{
	struct tlb_level *tl = &t->level[lvl];
	uint32_t want = assoc_tag(tag.pcid, tag.vpid);

	for (unsigned i = 0; i < tl->nprobes; i++) {
		struct tlb_probe *p = &tl->probe[i];
		long idx;

		if (!(tl->seen & (1u << p->size)))
			continue;
		idx = assoc__lookup(p->a, tlb_key(t, va, p->size), want);
		if (idx >= 0) {
			tlb_entry_from(p->a, idx, va, p->size, e);
			return true;
		}
	}
	return false;
}

void tlb__insert(struct tlb *t, unsigned lvl, struct tlb_tag tag, const struct tlb_entry *e)
{
	struct assoc *a = t->level[lvl].by_size[e->size];
	uint32_t tg = assoc_tag(tag.pcid, tag.vpid) | (e->global ? ASSOC_TAG_GLOBAL : 0);
	uint64_t val = (e->pa & ~(page_size_bytes(e->size) - 1)) | (e->perms & TLB_VAL_PERMS) |
		       (e->dirty ? TLB_VAL_DIRTY : 0);

	/* Simplification: a level with no array for this size does not cache it (no splintering).
	 */
	if (!a)
		return;
	t->level[lvl].seen |= 1u << e->size;
	assoc__insert(a, tlb_key(t, e->va, e->size), tg, val);
}

bool tlb__set_dirty(struct tlb *t, unsigned lvl, struct tlb_tag tag, uint64_t va,
		    enum page_size size)
{
	struct assoc *a = t->level[lvl].by_size[size];
	long idx;

	if (!a)
		return false;
	idx = assoc__find(a, tlb_key(t, va, size), assoc_tag(tag.pcid, tag.vpid));
	if (idx < 0)
		return false;
	a->val[idx] |= TLB_VAL_DIRTY;
	return true;
}

/* Invalidate every entry of every array for which @match says so. */
static void tlb_flush_if(struct tlb *t, bool (*match)(uint32_t tag, uint32_t arg), uint32_t arg)
{
	for (unsigned l = 0; l < t->nlevels; l++) {
		for (unsigned i = 0; i < t->level[l].narrays; i++) {
			struct assoc *a = &t->level[l].array[i].a;
			size_t n = (size_t)a->sets * a->ways;

			for (size_t k = 0; k < n; k++)
				if (a->key[k] != ASSOC_INVALID && match(a->tag[k], arg))
					assoc__invalidate(a, k);
		}
	}
}

static bool match_all(uint32_t tag, uint32_t arg)
{
	return true;
}

static bool match_pcid(uint32_t tag, uint32_t arg)
{
	return tag == arg; /* global entries carry the global bit, so they never equal @arg */
}

static bool match_vpid(uint32_t tag, uint32_t vpid)
{
	return ((tag & ~ASSOC_TAG_GLOBAL) >> 12) == vpid;
}

void tlb__flush_all(struct tlb *t)
{
	tlb_flush_if(t, match_all, 0);
}

/* INVPCID single-context / MOV CR3 without no-flush (SDM Vol. 3A §4.10.4.1): globals survive. */
void tlb__flush_pcid(struct tlb *t, struct tlb_tag tag)
{
	tlb_flush_if(t, match_pcid, assoc_tag(tag.pcid, tag.vpid));
}

void tlb__flush_vpid(struct tlb *t, uint16_t vpid)
{
	tlb_flush_if(t, match_vpid, vpid);
}

/* INVLPG (SDM Vol. 3A §4.10.4.1): the page's entries for the current PCID, global ones too. */
void tlb__invlpg(struct tlb *t, struct tlb_tag tag, uint64_t va)
{
	uint32_t want = assoc_tag(tag.pcid, tag.vpid);

	for (unsigned l = 0; l < t->nlevels; l++) {
		struct tlb_level *tl = &t->level[l];

		for (unsigned i = 0; i < tl->nprobes; i++) {
			struct tlb_probe *p = &tl->probe[i];
			long idx;

			while ((idx = assoc__find(p->a, tlb_key(t, va, p->size), want)) >= 0)
				assoc__invalidate(p->a, (size_t)idx);
		}
	}
}
