// SPDX-License-Identifier: GPL-2.0
/* The simulator driver: TLB levels, then 1D, 2D or shadow walks through PWCs, nested TLB and
 * caches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/ptmem_internal.h"

#define NTLB_SIZE_SHIFT ASSOC_INDEX_BITS

/*
 * The read-ahead's memory of where a 2M region's page table was: (root, VA
 * bits 63:21) -> the table's address. It only chooses what to prefetch: a
 * stale or colliding entry costs a useless prefetch, never a result.
 */
#define SIM_PEEK_MEMO 2048

struct sim_peek_memo {
	uint64_t key, table;
};

struct sim {
	struct sim_config cfg;
	enum paging_mode mode;
	struct sim_tables t;
	struct walk_cpu gcpu, hcpu;
	struct walk_env genv, henv;
	struct tlb *tlb;
	unsigned tlb_levels;
	struct pwc *pwc, *hpwc; /* NULL when no level is configured */
	struct assoc ntlb;
	bool has_ntlb;
	uint32_t ntlb_sizes; /* page sizes ever inserted: others need no probe */
	struct dcache *dc;
	struct tlb_tag ttag;
	uint32_t tag;
	/*
	 * The L1 entry the previous access hit or filled. Hitting it again leaves
	 * every replacement state as it is (it is already most recent in its set),
	 * so the repeat is only counted.
	 */
	bool last_valid;
	unsigned last_shift;
	uint64_t last_vpn, last_pa;
	unsigned last_acc_ok; /* WALK_ACC_* bits the entry allows without a walk */
	enum page_size last_size;
	struct walk2d w;
	unsigned cur_refs;
	bool ahead; /* sim__access_batch reads ahead (walks were frequent in the last epoch) */
	struct tlb_sweep *sweep; /* one TLB level's sizes in one pass, or NULL */
	unsigned sweep_level;
	struct sim_result st;
	struct sim_peek_memo gmemo[SIM_PEEK_MEMO], hmemo[SIM_PEEK_MEMO]; /* read-ahead only */
};

const char *paging_mode_name(enum paging_mode m)
{
	static const char *const names[] = {"native", "nested", "shadow"};

	return (unsigned)m < 3 ? names[m] : "?";
}

const char *sim_shadow_event_name(enum sim_shadow_event ev)
{
	static const char *const names[] = {"pf_exit", "wrprot_exit", "cr3_exit", "invlpg_exit",
					    "sync"};

	return (unsigned)ev < SIM_SHADOW_EVENTS ? names[ev] : "?";
}

/* A table load at physical address @pa: where the cache hierarchy finds it. */
static inline void sim_account_load(struct sim *s, uint64_t pa)
{
	unsigned k = s->dc ? dcache__access(s->dc, pa) : 0;

	if (!s->dc || k >= s->cfg.cache.nlevels)
		k = SIM_MAX_CACHE_LEVELS;
	s->st.loads_at[k]++;
	s->cur_refs++;
}

/* Native and shadow walks: one dimension, entries read at their (host-)physical address. */
static int sim_load_1d(void *ctx, unsigned level, uint64_t ea, uint64_t *val, struct walk_fault *f)
{
	struct sim *s = ctx;
	/* The read first: its host cache miss then overlaps the cache model's work. */
	int err = pt_mem_read64(s->t.mem, ea, val);

	s->st.refs_guest[level]++;
	sim_account_load(s, ea);
	return err;
}

static int sim_load_host(void *ctx, unsigned level, uint64_t ea, uint64_t *val,
			 struct walk_fault *f)
{
	struct sim *s = ctx;
	int err = pt_mem_read64(s->t.host_mem, ea, val);

	s->st.refs_host[level]++;
	sim_account_load(s, ea);
	return err;
}

static inline uint64_t ntlb_key(gpa_t gpa, enum page_size ps)
{
	return (gpa >> page_size_shift(ps)) | ((uint64_t)ps << NTLB_SIZE_SHIFT);
}

static bool sim_perm_ok(uint32_t perms, unsigned acc)
{
	if ((acc & WALK_ACC_USER) && !(perms & WALK_PERM_U))
		return false;
	if ((acc & WALK_ACC_WRITE) && !(perms & WALK_PERM_W))
		return false;
	return !((acc & WALK_ACC_FETCH) && (perms & WALK_PERM_NX));
}

static bool sim_ntlb_lookup(struct sim *s, gpa_t gpa, unsigned acc, hpa_t *hpa,
			    enum page_size *size)
{
	s->st.ntlb_lookups++;
	for (unsigned ps = 0; ps < PAGE_SIZES; ps++) {
		long idx;

		if (!(s->ntlb_sizes & (1u << ps)))
			continue;
		idx = assoc__lookup(&s->ntlb, ntlb_key(gpa, (enum page_size)ps), 0);
		if (idx >= 0 && sim_perm_ok((uint32_t)(s->ntlb.val[idx] & 7), acc)) {
			uint64_t mask = page_size_bytes((enum page_size)ps) - 1;

			*hpa = (s->ntlb.val[idx] & ~mask) | (gpa & mask);
			*size = (enum page_size)ps;
			s->st.ntlb_hits++;
			return true;
		}
	}
	return false;
}

/*
 * GPA -> HPA for a 2D walk: the nested TLB, else a host walk resumed from the
 * host PWC. @slot is the guest level whose table is translated, 0 the data GPA.
 */
static int sim_gpa_xlate(struct sim *s, unsigned slot, gpa_t gpa, unsigned acc, hpa_t *hpa,
			 enum page_size *size, struct walk_fault *f)
{
	struct walk *hw = &s->w.host[slot];
	struct pwc_hit hit, *start = NULL;
	int err;

	acc |= WALK_ACC_USER; /* AMD APM Vol. 2 §15.25.5: nested walks are user accesses */
	if (s->has_ntlb && sim_ntlb_lookup(s, gpa, acc, hpa, size))
		return 0;
	if (s->hpwc && pwc__lookup(s->hpwc, 0, gpa, &hit)) {
		s->st.host_pwc_hits[hit.level + 1]++;
		start = &hit;
	}
	err = walk__run(&s->henv, &s->hcpu, gpa, acc, start, hw);
	s->w.host_done |= 1u << slot;
	if (s->hpwc && pwc__could_hold(s->hpwc, hw->leaf_level))
		s->st.host_pwc_lookups++;
	if (err) {
		walk_fault__host(f, hw, slot, gpa);
		return err;
	}
	if (s->hpwc)
		pwc__fill(s->hpwc, 0, hw);
	if (s->has_ntlb) {
		assoc__insert(&s->ntlb, ntlb_key(gpa, hw->size), 0,
			      (hw->pa & ~(page_size_bytes(hw->size) - 1)) | hw->perms);
		s->ntlb_sizes |= 1u << hw->size;
	}
	*hpa = hw->pa;
	*size = hw->size;
	return 0;
}

/* A guest table load in a 2D walk: translate the entry's GPA, then read it. */
static int sim_load_2d(void *ctx, unsigned level, uint64_t entry_gpa, uint64_t *val,
		       struct walk_fault *f)
{
	struct sim *s = ctx;
	enum page_size size;
	hpa_t hpa;
	int err;

	err = sim_gpa_xlate(s, level, entry_gpa, 0, &hpa, &size, f);
	if (err)
		return err;
	err = pt_mem_read64(s->t.mem, entry_gpa, val);
	s->st.refs_guest[level]++;
	sim_account_load(s, hpa);
	return err;
}

/* The walk after a TLB miss; fills s->w and returns the translation's HPA and size. */
static int sim_walk(struct sim *s, gva_t va, unsigned acc, hpa_t *pa, enum page_size *size)
{
	struct pwc_hit hit, *start = NULL;
	enum page_size hsize;
	int err;

	s->cur_refs = 0;
	s->w.host_done = 0;
	if (s->pwc && pwc__lookup(s->pwc, s->tag, va, &hit)) {
		s->st.pwc_hits[hit.level + 1]++;
		start = &hit;
	}
	err = walk__run(&s->genv, &s->gcpu, va, acc, start, &s->w.guest);
	/*
	 * A lookup counts when a configured cache could have held an entry for this
	 * walk: one above its leaf (or faulting entry). A PDE cache under 2M pages
	 * is probed too, but can never hit, so it adds no lookup (docs/sim-model.md).
	 */
	if (s->pwc && pwc__could_hold(s->pwc, s->w.guest.leaf_level))
		s->st.pwc_lookups++;
	if (err)
		return err;
	if (s->pwc)
		pwc__fill(s->pwc, s->tag, &s->w.guest);
	*pa = s->w.gpa = s->w.guest.pa;
	*size = s->w.size = s->w.guest.size;
	if (s->mode != PAGING_NESTED)
		return 0;
	err = sim_gpa_xlate(s, 0, s->w.gpa, acc & (WALK_ACC_WRITE | WALK_ACC_FETCH), pa, &hsize,
			    &s->w.guest.fault);
	if (err)
		return err;
	/* A combined mapping is as large as the smaller of the guest and host pages. */
	if (hsize < *size)
		*size = hsize;
	s->w.hpa = *pa;
	s->w.size = *size;
	return 0;
}

static unsigned sim_acc_ok(const struct tlb_entry *e)
{
	unsigned ok = 0;

	ok |= (e->perms & WALK_PERM_U) ? WALK_ACC_USER : 0;
	ok |= ((e->perms & WALK_PERM_W) && e->dirty) ? WALK_ACC_WRITE : 0;
	ok |= (e->perms & WALK_PERM_NX) ? 0 : WALK_ACC_FETCH;
	return ok | WALK_ACC_AC;
}

static void sim_remember(struct sim *s, const struct tlb_entry *e, uint64_t va)
{
	s->last_valid = true;
	s->last_size = e->size;
	s->last_shift = page_size_shift(e->size);
	s->last_vpn = va >> s->last_shift;
	s->last_pa = e->pa;
	s->last_acc_ok = sim_acc_ok(e);
}

static void sim_data_ref(struct sim *s, uint64_t pa)
{
	s->st.refs_data++;
	if (s->dc && s->cfg.cache.model_data)
		dcache__access(s->dc, pa);
}

/* A hit at level @l: fill the levels above it, mark dirty on a write. */
static int sim_tlb_hit(struct sim *s, unsigned l, gva_t va, unsigned acc, struct tlb_entry *e)
{
	if (!sim_perm_ok(e->perms, acc)) {
		/* Simplification: a TLB entry that forbids the access faults without a re-walk. */
		s->st.faults++;
		if (s->sweep && l >= s->sweep_level)
			tlb_sweep__inexact(s->sweep, "a TLB hit faulted on permissions");
		return -EFAULT;
	}
	s->st.tlb_hits[l][e->size]++;
	if (s->sweep && l >= s->sweep_level)
		tlb_sweep__ref(s->sweep, va, e->size, l == 0);
	if ((acc & WALK_ACC_WRITE) && !e->dirty) {
		/* Simplification: the D-bit update of a clean entry costs no walk here. */
		e->dirty = true;
		for (unsigned k = l; k < s->tlb_levels; k++)
			tlb__set_dirty(s->tlb, k, s->ttag, va, e->size);
	}
	for (unsigned k = 0; k < l; k++)
		tlb__insert(s->tlb, k, s->ttag, e);
	/* Level 1 now holds the entry as its most recent one, if it holds that size at all. */
	if (l == 0 || tlb__holds(s->tlb, 0, e->size))
		sim_remember(s, e, va);
	sim_data_ref(s, e->pa | (va & (page_size_bytes(e->size) - 1)));
	return 0;
}

static int sim_access_slow(struct sim *s, gva_t va, unsigned acc)
{
	struct tlb_entry e;
	hpa_t pa;
	int err;

	s->last_valid = false;
	/* #GP before any lookup: not a TLB miss, not a walk (SDM Vol. 3A §4.5). */
	if (!va_canonical(va, s->cfg.levels)) {
		s->st.faults++;
		s->st.noncanonical++;
		return -EFAULT;
	}
	for (unsigned l = 0; l < s->tlb_levels; l++) {
		if (tlb__lookup(s->tlb, l, s->ttag, va, &e))
			return sim_tlb_hit(s, l, va, acc, &e);
		s->st.tlb_misses[l]++;
	}
	err = sim_walk(s, va, acc, &pa, &e.size);
	s->w.refs = s->cur_refs;
	s->st.refs_walk += s->cur_refs;
	s->st.refs_hist[s->cur_refs < SIM_HIST_BUCKETS ? s->cur_refs : SIM_HIST_BUCKETS - 1]++;
	if (err) {
		s->st.faults++;
		if (s->sweep)
			tlb_sweep__walk_fault(s->sweep, va);
		return -EFAULT;
	}
	if (s->sweep)
		tlb_sweep__ref(s->sweep, va, e.size, false);
	s->st.walks++;
	s->st.walk_sizes[e.size]++;
	e.va = va;
	e.pa = pa & ~(page_size_bytes(e.size) - 1);
	e.perms = s->w.guest.perms;
	e.global = s->w.guest.leaf_flags & WALK_F_G;
	e.dirty = (acc & WALK_ACC_WRITE) || (s->w.guest.leaf_flags & WALK_F_D);
	for (unsigned l = 0; l < s->tlb_levels; l++)
		tlb__insert(s->tlb, l, s->ttag, &e);
	if (tlb__holds(s->tlb, 0, e.size))
		sim_remember(s, &e, va);
	sim_data_ref(s, pa);
	return 0;
}

int sim__access_acc(struct sim *s, gva_t va, unsigned acc)
{
	s->st.accesses++;
	s->st.writes += (acc & WALK_ACC_WRITE) != 0;
	if (s->last_valid && (va >> s->last_shift) == s->last_vpn && !(acc & ~s->last_acc_ok)) {
		s->st.tlb_hits[0][s->last_size]++;
		sim_data_ref(s, s->last_pa | (va & ((1ULL << s->last_shift) - 1)));
		return 0;
	}
	return sim_access_slow(s, va, acc);
}

int sim__access(struct sim *s, gva_t va, bool write)
{
	return sim__access_acc(s, va, WALK_ACC_USER | (write ? WALK_ACC_WRITE : 0));
}

/* ------------------------------------------------------------------------------------------ */
/* Read-ahead: host prefetches for later walks. No counter, cache model or table changes. */

static inline void sim_hint(const struct pt_mem *mem, uint64_t pa)
{
	pt_mem_prefetch(mem, pa);
}

static inline uint64_t sim_peek_key(uint64_t root, uint64_t va)
{
	return ((va >> pt_level_shift(2)) << 1 | 1) ^ (root * 0x9E3779B97F4A7C15ULL);
}

/*
 * Read @va's tables without side effects down to the last level above a 4K
 * leaf; *ea is the address of the entry the walk reads last. Returns 1 if
 * *ea still has to be read, 0 if the walk ended in a large leaf (*pa set),
 * -1 if it cannot complete. @memo remembers the 4K tables found.
 */
static int sim_peek(const struct pt_mem *mem, struct sim_peek_memo *memo, uint64_t root,
		    unsigned levels, uint64_t va, uint64_t *ea, uint64_t *pa)
{
	uint64_t table = root, e, key = sim_peek_key(root, va);
	struct sim_peek_memo *m = &memo[(va >> pt_level_shift(2)) & (SIM_PEEK_MEMO - 1)];

	if (m->key == key) {
		*ea = m->table + pt_index(va, 1) * 8;
		return 1;
	}
	for (unsigned level = levels; level >= 1; level--) {
		*ea = table + pt_index(va, level) * 8;
		if (level == 1) {
			m->key = key;
			m->table = table;
			return 1;
		}
		if (pt_mem_read64(mem, *ea, &e) || !(e & PTE_P))
			return -1;
		if (level <= 3 && (e & PTE_PS)) {
			uint64_t mask = page_size_bytes(walk_level_size(level)) - 1;

			*pa = (e & PTE_ADDR_MASK & ~mask) | (va & mask);
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -1;
}

/* The 4K leaf entry at @ea, read without side effects; returns 0 and *pa, or -1. */
static int sim_peek_leaf(const struct pt_mem *mem, uint64_t ea, uint64_t va, uint64_t *pa)
{
	uint64_t e;

	if (pt_mem_read64(mem, ea, &e) || !(e & PTE_P))
		return -1;
	*pa = (e & PTE_ADDR_MASK) | (va & (X86_PAGE_SIZE - 1));
	return 0;
}

/* A host-physical address the simulator will load: its memory and its cache-model sets. */
static inline void sim_hint_load(const struct sim *s, const struct pt_mem *mem, uint64_t pa)
{
	sim_hint(mem, pa);
	if (s->dc)
		dcache__prefetch(s->dc, pa);
}

/*
 * Far stage: the guest (or native/shadow) leaf entry, and in nested mode the
 * host leaf entry that maps the guest leaf table. Near stage (@near): with
 * those in the host's caches, the host leaf entry of the final GPA and the
 * cache-model sets of every leaf entry.
 */
static void sim_prefetch(struct sim *s, gva_t va, bool near)
{
	uint64_t gea, hea, gpa, hpa;
	int r = sim_peek(s->t.mem, s->gmemo, s->gcpu.root, s->gcpu.levels, va, &gea, &gpa);

	if (r < 0)
		return;
	if (s->mode != PAGING_NESTED) {
		if (r > 0)
			sim_hint_load(s, s->t.mem, gea);
		return;
	}
	if (r > 0) {
		int h = sim_peek(s->t.host_mem, s->hmemo, s->hcpu.root, s->hcpu.levels, gea, &hea,
				 &hpa);

		if (!near) {
			sim_hint(s->t.mem, gea);
			if (h > 0)
				sim_hint(s->t.host_mem, hea);
			return;
		}
		if (h > 0)
			sim_hint_load(s, s->t.host_mem, hea);
		if (h > 0 && sim_peek_leaf(s->t.host_mem, hea, gea, &hpa))
			return;
		if (h >= 0 && s->dc)
			dcache__prefetch(s->dc, hpa);
		if (sim_peek_leaf(s->t.mem, gea, va, &gpa))
			return;
	} else if (!near) {
		return;
	}
	if (sim_peek(s->t.host_mem, s->hmemo, s->hcpu.root, s->hcpu.levels, gpa, &hea, &hpa) > 0)
		sim_hint_load(s, s->t.host_mem, hea);
}

#define SIM_AHEAD_NEAR	4   /* accesses between the near-stage prefetch and the access */
#define SIM_AHEAD_FAR	10  /* the same for the far stage */
#define SIM_AHEAD_EPOCH 256 /* read ahead in the next epoch if this one walked often */

/*
 * TLB-friendly part of a batch: runs of accesses that hit the last
 * translation are counted in registers and added to the statistics when the
 * run ends, with exactly the counts sim__access_acc would have made (only
 * when data references are not cache-modelled, so a hit touches nothing
 * else); anything else goes through sim__access_acc.
 */
static void sim_batch_hits(struct sim *s, const struct sim_req *req, size_t i, size_t end)
{
	const bool fast = !(s->dc && s->cfg.cache.model_data);

	while (i < end) {
		uint64_t hits = 0, writes = 0;

		if (fast && s->last_valid) {
			const unsigned shift = s->last_shift, ok = s->last_acc_ok;
			const uint64_t vpn = s->last_vpn;

			for (; i < end; i++) {
				if ((req[i].va >> shift) != vpn || (req[i].acc & ~ok))
					break;
				hits++;
				writes += (req[i].acc & WALK_ACC_WRITE) != 0;
			}
			s->st.accesses += hits;
			s->st.writes += writes;
			s->st.tlb_hits[0][s->last_size] += hits;
			s->st.refs_data += hits;
		}
		if (i < end) {
			sim__access_acc(s, req[i].va, req[i].acc);
			i++;
		}
	}
}

uint64_t sim__access_batch(struct sim *s, const struct sim_req *req, size_t n)
{
	uint64_t faults = s->st.faults;

	for (size_t i = 0; i < n; i += SIM_AHEAD_EPOCH) {
		size_t end = n - i < SIM_AHEAD_EPOCH ? n : i + SIM_AHEAD_EPOCH;
		uint64_t walks = s->st.tlb_misses[s->tlb_levels - 1];

		if (!s->ahead) {
			sim_batch_hits(s, req, i, end);
		} else {
			for (size_t k = i; k < end; k++) {
				if (k + SIM_AHEAD_FAR < n)
					sim_prefetch(s, req[k + SIM_AHEAD_FAR].va, false);
				if (k + SIM_AHEAD_NEAR < n)
					sim_prefetch(s, req[k + SIM_AHEAD_NEAR].va, true);
				sim__access_acc(s, req[k].va, req[k].acc);
			}
		}
		/* Worth it only when walks are frequent: a TLB hit needs no table. */
		s->ahead = (s->st.tlb_misses[s->tlb_levels - 1] - walks) * 8 > end - i;
	}
	return s->st.faults - faults;
}

const struct walk2d *sim__last_walk(const struct sim *s)
{
	return &s->w;
}

static int sim_check_tables(enum paging_mode mode, const struct sim_tables *t)
{
	if (!t || !t->mem || !t->mem->ops || !t->mem->ops->read64 ||
	    (t->root & (X86_PAGE_SIZE - 1)))
		return -EINVAL;
	if ((unsigned)mode > PAGING_SHADOW)
		return -EINVAL;
	if (mode == PAGING_NESTED &&
	    (!t->host_mem || !t->host_mem->ops || !t->host_mem->ops->read64 ||
	     (t->host_root & (X86_PAGE_SIZE - 1))))
		return -EINVAL;
	return 0;
}

static void sim_init_cpus(struct sim *s)
{
	const struct sim_config *c = &s->cfg;

	s->gcpu = (struct walk_cpu){.root = s->t.root,
				    .levels = c->levels,
				    .maxphyaddr = c->maxphyaddr,
				    .wp = true,
				    .nxe = c->nxe,
				    .set_ad = c->set_ad};
	s->hcpu = s->gcpu;
	s->hcpu.root = s->t.host_root;
	s->hcpu.levels = c->host_levels;
	s->hcpu.set_ad = false;
	if (s->mode == PAGING_SHADOW)
		s->gcpu.set_ad = false; /* shadow A/D are the shadow code's business */
	s->genv = (struct walk_env){.mem = s->t.mem,
				    .load = s->mode == PAGING_NESTED ? sim_load_2d : sim_load_1d,
				    .ctx = s};
	s->henv = (struct walk_env){.mem = s->t.host_mem, .load = sim_load_host, .ctx = s};
}

/* The models the configuration asks for; a PWC with no level configured is left out. */
static int sim_init_models(struct sim *s)
{
	const struct sim_config *c = &s->cfg;

	s->tlb = tlb__new(&c->tlb, c->seed);
	if (!s->tlb)
		return -errno;
	s->tlb_levels = tlb__levels(s->tlb);
	tlb__set_levels(s->tlb, c->levels);
	s->pwc = pwc__new(&c->pwc, c->levels, c->seed + 1);
	if (!s->pwc)
		return -errno;
	if (!pwc__present(s->pwc)) {
		pwc__free(s->pwc);
		s->pwc = NULL;
	}
	if (s->mode == PAGING_NESTED && !c->pwc.host_off) {
		s->hpwc = pwc__new(&c->pwc, c->host_levels, c->seed + 2);
		if (!s->hpwc)
			return -errno;
		if (!pwc__present(s->hpwc)) {
			pwc__free(s->hpwc);
			s->hpwc = NULL;
		}
	}
	if (s->mode == PAGING_NESTED && c->ntlb.entries) {
		int err = assoc__init(&s->ntlb, &c->ntlb, c->seed + 3);

		if (err)
			return err;
		s->has_ntlb = true;
	}
	if (c->cache.nlevels) {
		s->dc = dcache__new(&c->cache, c->seed + 4);
		if (!s->dc)
			return -errno;
	}
	return 0;
}

struct sim *sim__new(const struct sim_config *cfg, enum paging_mode mode,
		     const struct sim_tables *t)
{
	struct sim *s;
	int err;

	if (!cfg || sim_config__validate(cfg, NULL, 0) || sim_check_tables(mode, t)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->mode = mode;
	s->t = *t;
	sim_init_cpus(s);
	err = sim_init_models(s);
	if (err) {
		sim__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void sim__free(struct sim *s)
{
	if (!s)
		return;
	dcache__free(s->dc);
	tlb_sweep__free(s->sweep);
	if (s->has_ntlb)
		assoc__fini(&s->ntlb);
	pwc__free(s->hpwc);
	pwc__free(s->pwc);
	tlb__free(s->tlb);
	free(s);
}

int sim__switch(struct sim *s, uint64_t root, uint16_t pcid, uint16_t vpid, bool noflush)
{
	if (pcid > ASSOC_TAG_PCID || (root & (X86_PAGE_SIZE - 1)))
		return -EINVAL;
	if (root)
		s->gcpu.root = root;
	if (s->sweep && (s->tag != assoc_tag(pcid, vpid) || !noflush))
		tlb_sweep__flush_some(s->sweep, false, 0, "the run switched or flushed a PCID");
	s->ttag = (struct tlb_tag){.pcid = pcid, .vpid = vpid};
	s->tag = assoc_tag(pcid, vpid);
	s->last_valid = false;
	if (!noflush) {
		tlb__flush_pcid(s->tlb, s->ttag);
		if (s->pwc)
			pwc__flush_tag(s->pwc, s->tag);
	}
	return 0;
}

static void sim_flush_nested(struct sim *s)
{
	if (s->has_ntlb)
		assoc__clear(&s->ntlb);
	if (s->hpwc)
		pwc__flush_all(s->hpwc);
}

/* What a flush does to a sweep's stacks (tlb_sweep__flush_some says when it stays exact). */
static void sim_sweep_flush(struct sim *s, enum sim_flush kind, uint64_t arg)
{
	switch (kind) {
	case SIM_FLUSH_ALL:
	case SIM_FLUSH_NESTED:
		tlb_sweep__flush_all(s->sweep);
		return;
	case SIM_FLUSH_ADDR:
		tlb_sweep__flush_some(s->sweep, true, arg,
				      "the run invalidated a page the TLB held");
		return;
	case SIM_FLUSH_PCID:
	case SIM_FLUSH_VPID:
		tlb_sweep__flush_some(s->sweep, false, 0, "the run flushed a PCID or VPID");
		return;
	}
}

int sim__flush(struct sim *s, enum sim_flush kind, uint64_t arg)
{
	s->last_valid = false;
	if (s->sweep)
		sim_sweep_flush(s, kind, arg);
	switch (kind) {
	case SIM_FLUSH_ALL:
		tlb__flush_all(s->tlb);
		if (s->pwc)
			pwc__flush_all(s->pwc);
		sim_flush_nested(s);
		return 0;
	case SIM_FLUSH_PCID:
		if (arg > ASSOC_TAG_PCID)
			return -EINVAL;
		tlb__flush_pcid(s->tlb, (struct tlb_tag){(uint16_t)arg, s->ttag.vpid});
		if (s->pwc)
			pwc__flush_tag(s->pwc, assoc_tag((uint16_t)arg, s->ttag.vpid));
		return 0;
	case SIM_FLUSH_ADDR:
		/* SDM Vol. 3A §4.10.4.1: INVLPG also drops all PSC entries of the current PCID. */
		tlb__invlpg(s->tlb, s->ttag, arg);
		if (s->pwc)
			pwc__flush_tag(s->pwc, s->tag);
		return 0;
	case SIM_FLUSH_VPID:
		if (arg > 0xffff)
			return -EINVAL;
		tlb__flush_vpid(s->tlb, (uint16_t)arg);
		/* Simplification: the PWC is flushed whole rather than by VPID. */
		if (s->pwc)
			pwc__flush_all(s->pwc);
		return 0;
	case SIM_FLUSH_NESTED:
		/* INVEPT (SDM Vol. 3C §29.4.3.4) drops combined mappings too, so the TLB goes. */
		tlb__flush_all(s->tlb);
		sim_flush_nested(s);
		return 0;
	}
	return -EINVAL;
}

int sim__shadow_events(struct sim *s, enum sim_shadow_event ev, uint64_t count, uint64_t cycles)
{
	if ((unsigned)ev >= SIM_SHADOW_EVENTS)
		return -EINVAL;
	s->st.shadow_events[ev] += count;
	s->st.shadow_cycles[ev] += count * (cycles ? cycles : s->cfg.shadow_cost[ev]);
	return 0;
}

void sim__reset_stats(struct sim *s)
{
	memset(&s->st, 0, sizeof(s->st));
	if (s->sweep)
		tlb_sweep__reset_stats(s->sweep);
}

int sim__set_sweep(struct sim *s, const struct tlb_sweep_config *sw)
{
	char err[160];

	if (s->sweep || s->st.accesses || tlb_sweep_check(&s->cfg, sw, err, sizeof(err)))
		return -EINVAL;
	s->sweep = tlb_sweep__new(sw, tlb__level_config(s->tlb, sw->level), s->cfg.levels);
	if (!s->sweep)
		return -errno;
	s->sweep_level = sw->level;
	return 0;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

void sim__result(const struct sim *s, struct sim_result *r)
{
	uint64_t hits = 0, hhits = 0, walked = 0;

	*r = s->st;
	snprintf(r->config, sizeof(r->config), "%s", s->cfg.name);
	r->mode = s->mode;
	r->tlb_levels = s->tlb_levels;
	r->cache_levels = s->cfg.cache.nlevels;
	for (unsigned l = 0; l <= PT_MAX_LEVELS; l++) {
		hits += r->pwc_hits[l];
		hhits += r->host_pwc_hits[l];
	}
	for (unsigned b = 0; b < SIM_HIST_BUCKETS; b++)
		walked += r->refs_hist[b]; /* completed and faulted walks */
	r->refs_per_walk = ratio(r->refs_walk, walked);
	for (unsigned l = 0; l < r->tlb_levels; l++)
		r->tlb_mpka[l] = 1000.0 * ratio(r->tlb_misses[l], r->accesses);
	r->pwc_hit_rate = ratio(hits, r->pwc_lookups);
	r->host_pwc_hit_rate = ratio(hhits, r->host_pwc_lookups);
	r->ntlb_hit_rate = ratio(r->ntlb_hits, r->ntlb_lookups);
	cost__breakdown(&s->cfg, r, &r->cycles);
	r->cycles_per_access = ratio(r->cycles.total, r->accesses);
	if (s->sweep)
		tlb_sweep__result(s->sweep, r->tlb_hits[0], r->accesses, &r->sweep);
}
