/* SPDX-License-Identifier: GPL-2.0 */
/* The shadow MMU model's private state: shadow pages, SPTE format, per-frame metadata. */
#ifndef MEMVIRT_SHADOW_INTERNAL_H
#define MEMVIRT_SHADOW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "shadow/shadow.h"

/* KVM's access bits (ACC_*_MASK, arch/x86/kvm/mmu/spte.h). */
#define SHADOW_ACC_EXEC	 1u
#define SHADOW_ACC_WRITE 2u
#define SHADOW_ACC_USER	 4u
#define SHADOW_ACC_ALL	 7u

/*
 * SPTE format for shadow paging: the x86 entry format (P, RW, US, A, D, PS, NX, address)
 * plus KVM's software bits: MMU-present (SPTE_MMU_PRESENT_MASK, bit 11), MMU-writable
 * (DEFAULT_SPTE_MMU_WRITABLE, bit 10: clear while KVM write-protects a guest table) and
 * host-writable (bit 9: clear over a page the host maps read-only).
 * Simplification: an MMIO SPTE is marked by bit 62 instead of KVM's reserved-bit pattern.
 */
#define SPTE_MMU_PRESENT   (1ULL << 11)
#define SPTE_MMU_WRITABLE  (1ULL << 10)
#define SPTE_HOST_WRITABLE (1ULL << 9) /* DEFAULT_SPTE_HOST_WRITABLE: the host page is writable */
#define SPTE_MMIO	   (1ULL << 62)

#define SHADOW_HUGE_LEVELS 3 /* KVM_MAX_HUGEPAGE_LEVEL: rmaps and write protection, 4K..1G */

/* Pending vCPU requests, serviced at the next entry (KVM_REQ_*). */
enum {
	REQ_FREE_OBSOLETE_ROOTS = 1u << 0, /* KVM_REQ_MMU_FREE_OBSOLETE_ROOTS */
	REQ_MMU_SYNC = 1u << 1,		   /* KVM_REQ_MMU_SYNC */
	REQ_TLB_FLUSH = 1u << 2,	   /* KVM_REQ_TLB_FLUSH (kvm_flush_remote_tlbs) */
	REQ_TLB_FLUSH_CURRENT = 1u << 3,   /* KVM_REQ_TLB_FLUSH_CURRENT */
	REQ_TLB_FLUSH_GUEST = 1u << 4,	   /* KVM_REQ_TLB_FLUSH_GUEST */
};

/* kvm_mmu_page_role: the fields that key a shadow page together with its gfn. */
union sp_role {
	uint32_t word;
	struct {
		unsigned level : 4;
		unsigned has_4_byte_gpte : 1;
		unsigned quadrant : 2;
		unsigned direct : 1;
		unsigned access : 3;
		unsigned invalid : 1;
		unsigned efer_nx : 1;
		unsigned cr0_wp : 1;
		unsigned smep_andnot_wp : 1;
		unsigned smap_andnot_wp : 1;
		unsigned ad_disabled : 1;
		unsigned guest_mode : 1;
		unsigned passthrough : 1;
		unsigned : 13;
	};
};

struct shadow_page;

/* The address of one SPTE: its shadow page and index. */
struct sptep {
	struct shadow_page *sp;
	unsigned idx;
};

struct sptep_list {
	struct sptep *v;
	uint32_t n, cap;
};

/* A list of shadow pages (the unsync pages a walk collects). */
struct sp_vec {
	struct shadow_page **v;
	unsigned n, cap;
};

/*
 * A shadow page's 512 SPTEs and, for a page shadowing a guest table, their translations
 * (KVM's shadowed_translation: gfn << 12 | access). A page holding up to SPT_SMALL entries
 * keeps them inline as (index, SPTE, translation), sorted by index: ~80 bytes instead of
 * 8 KiB, for the scattered traces whose last-level tables hold one or two entries. The next
 * entry moves them to 4 KiB arrays (the translations only for a page with guest PTEs).
 * An entry set to zero leaves the inline list, its translation with it: KVM keeps the stale
 * translation but reads it only for a present SPTE, which rmap_add() has given a fresh one.
 * Read and write entries through spt_get()/spt_set() and sp_xlat()/sp_xlat_set().
 */
#define SPT_SMALL 4

struct spt_store {
	bool full;
	union {
		struct {
			uint16_t n;
			uint16_t idx[SPT_SMALL];
			uint64_t spte[SPT_SMALL];
			uint64_t xlat[SPT_SMALL];
		} small;
		struct {
			uint64_t *spte; /* PT_ENTRIES */
			uint64_t *xlat; /* PT_ENTRIES, or NULL for a page without guest PTEs */
		} big;
	};
};

/* struct kvm_mmu_page. */
struct shadow_page {
	gfn_t gfn; /* guest table shadowed, or first gfn mapped (direct) */
	union sp_role role;
	struct spt_store spt; /* the SPTEs and translations: only through spt_get() and co. */
	struct sptep_list parents;
	uint64_t unsync_child_bitmap[PT_ENTRIES / 64];
	unsigned unsync_children;
	bool unsync;
	int root_count;
	unsigned write_flooding_count;
	uint32_t frame; /* host address: spt_base + frame * 4K */
	struct shadow_page *hash_next;
	struct shadow_page *prev, *next; /* active list (newest first) or invalid list */
	bool on_active;
};

/* Per (level, frame) metadata: rmap, lpage_info.disallow_lpage, gfn_track (write). */
struct frame_meta {
	struct sptep_list rmap;
	int disallow_lpage; /* levels 2 and 3 */
	int write_track;    /* level 1: upper-level shadow pages of this gfn */
};

struct meta_map {
	uint64_t *keys;
	struct frame_meta **vals;
	size_t cap, n;
};

struct root_info {
	gpa_t pgd;
	struct shadow_page *sp; /* NULL: invalid */
};

/* The result of the guest page-table walk (KVM's struct guest_walker). */
struct guest_walk {
	unsigned level;	    /* level of the guest leaf */
	unsigned max_level; /* root level */
	gfn_t table_gfn[PT_MAX_LEVELS];
	uint64_t ptes[PT_MAX_LEVELS];
	gpa_t pte_gpa[PT_MAX_LEVELS];
	unsigned pt_access[PT_MAX_LEVELS]; /* access of the entries above each level */
	unsigned pte_access;		   /* access of the whole walk */
	gfn_t gfn;
	uint32_t error_code;
	uint64_t prefetch_ptes[SHADOW_PTE_PREFETCH_NUM];
};

struct shadow {
	struct shadow_config cfg;
	struct shadow_guest_ops ops;
	void *ctx;
	struct shadow_stats st;
	uint64_t rsvd[2][PT_MAX_LEVELS]; /* guest reserved bits [PS][level - 1] */
	union sp_role root_role;
	struct shadow_page **hash; /* 1 << hash_shift buckets, see hash_bucket() */
	unsigned hash_shift;
	uint64_t hash_count; /* shadow pages in the hash */
	struct shadow_page *active_head, *active_tail;
	struct shadow_page *invalid_head; /* zapped, awaiting kvm_mmu_commit_zap_page */
	struct shadow_page **by_frame;
	uint32_t nframes, frames_cap;
	uint32_t *free_frames;
	uint32_t nfree, free_cap;
	uint64_t n_used, n_max;
	uint64_t indirect_shadow_pages;
	struct meta_map meta;
	struct root_info root, prev[SHADOW_NUM_PREV_ROOTS];
	gpa_t cr3;
	bool cr3_loaded;
	bool exit_open; /* a fault asked for emulation; the vCPU has not re-entered */
	bool oom;	/* an allocation failed: the state is no longer trusted */
	unsigned requests;
};

/* SPTE predicates (spte.h). */
static inline bool spte_present(uint64_t spte)
{
	return spte & SPTE_MMU_PRESENT;
}

static inline bool spte_large(uint64_t spte)
{
	return spte & PTE_PS;
}

static inline bool spte_last(uint64_t spte, unsigned level)
{
	return level == 1 || spte_large(spte);
}

static inline pfn_t spte_pfn(uint64_t spte)
{
	return (spte & PTE_ADDR_MASK) >> X86_PAGE_SHIFT;
}

/* ------------------------------------------------------------------------------------------ */
/* SPTE storage (struct spt_store). */

/* The inline slot of entry @idx, or its insertion point (*@at) and -1 when absent. */
static inline int spt_small_find(const struct spt_store *t, unsigned idx, unsigned *at)
{
	unsigned k;

	for (k = 0; k < t->small.n && t->small.idx[k] < idx; k++)
		;
	*at = k;
	return k < t->small.n && t->small.idx[k] == idx ? (int)k : -1;
}

/* SPTE @idx of @sp (0: not present, nothing there). */
static inline uint64_t spt_get(const struct shadow_page *sp, unsigned idx)
{
	unsigned at;
	int k;

	if (sp->spt.full)
		return sp->spt.big.spte[idx];
	k = spt_small_find(&sp->spt, idx, &at);
	return k < 0 ? 0 : sp->spt.small.spte[k];
}

/* The translation stored with entry @idx (0 when none was). */
static inline uint64_t sp_xlat(const struct shadow_page *sp, unsigned idx)
{
	unsigned at;
	int k;

	if (sp->spt.full)
		return sp->spt.big.xlat ? sp->spt.big.xlat[idx] : 0;
	k = spt_small_find(&sp->spt, idx, &at);
	return k < 0 ? 0 : sp->spt.small.xlat[k];
}

/* The first index >= @idx holding a non-zero SPTE, or PT_ENTRIES. */
static inline unsigned spt_next(const struct shadow_page *sp, unsigned idx)
{
	if (sp->spt.full) {
		for (; idx < PT_ENTRIES && !sp->spt.big.spte[idx]; idx++)
			;
		return idx;
	}
	for (unsigned k = 0; k < sp->spt.small.n; k++)
		if (sp->spt.small.idx[k] >= idx && sp->spt.small.spte[k])
			return sp->spt.small.idx[k];
	return PT_ENTRIES;
}

/* page.c: the slow paths (a new inline slot, the move to 4 KiB arrays). */
void spt_store_slow(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t val,
		    bool xlat);
void spt_store_free(struct spt_store *t);

/* Set SPTE @idx of @sp. Moving to 4 KiB arrays can fail: s->oom, the entry not stored. */
static inline void spt_set(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t val)
{
	if (sp->spt.full)
		sp->spt.big.spte[idx] = val;
	else
		spt_store_slow(s, sp, idx, val, false);
}

/* Set the translation of entry @idx (a page with guest PTEs); as spt_set() on failure. */
static inline void sp_xlat_set(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t val)
{
	if (sp->spt.full && sp->spt.big.xlat)
		sp->spt.big.xlat[idx] = val;
	else
		spt_store_slow(s, sp, idx, val, true);
}

static inline uint64_t pages_per_level(unsigned level)
{
	return 1ULL << (PT_INDEX_BITS * (level - 1));
}

static inline hpa_t sp_hpa(const struct shadow *s, const struct shadow_page *sp)
{
	return s->cfg.spt_base + (hpa_t)sp->frame * X86_PAGE_SIZE;
}

static inline bool sp_has_gptes(const struct shadow_page *sp)
{
	return !sp->role.direct && !sp->role.passthrough;
}

/* meta.c */
struct frame_meta *meta_get(struct meta_map *m, unsigned level, uint64_t frame, bool create);
void meta_free(struct meta_map *m);
int sptep_list_add(struct sptep_list *l, struct shadow_page *sp, unsigned idx);
void sptep_list_del(struct sptep_list *l, struct shadow_page *sp, unsigned idx);

/* page.c: shadow pages, rmaps, write protection, zapping, recycling */
struct shadow_page *sp_child(const struct shadow *s, uint64_t spte);
gfn_t sp_gfn_at(const struct shadow_page *sp, unsigned idx);
void sp_set_access(struct shadow *s, struct shadow_page *sp, unsigned idx, unsigned access);
bool gfn_write_tracked(struct shadow *s, gfn_t gfn);
bool gfn_lpage_disallowed(struct shadow *s, gfn_t gfn, unsigned level);
struct shadow_page *hash_first(struct shadow *s, gfn_t gfn);
struct shadow_page *get_shadow_page(struct shadow *s, gfn_t gfn, union sp_role role);
void link_shadow_page(struct shadow *s, struct shadow_page *parent, unsigned idx,
		      struct shadow_page *child);
void drop_parent_pte(struct shadow *s, struct shadow_page *child, struct shadow_page *parent,
		     unsigned idx);
void rmap_add(struct shadow *s, struct shadow_page *sp, unsigned idx, gfn_t gfn, unsigned access);
void drop_spte(struct shadow *s, struct shadow_page *sp, unsigned idx);
void zap_pte(struct shadow *s, struct shadow_page *sp, unsigned idx);
bool spte_update(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t new_spte);
bool write_protect_gfn(struct shadow *s, gfn_t gfn);
unsigned prepare_zap(struct shadow *s, struct shadow_page *sp, bool *unstable);
void commit_zap(struct shadow *s);
bool remote_flush_or_zap(struct shadow *s, bool remote_flush);
int make_pages_available(struct shadow *s);
void remote_flush(struct shadow *s);
void mark_parents_unsync(struct shadow_page *sp);
void unlink_unsync(struct shadow *s, struct shadow_page *sp);
void free_shadow_page(struct shadow *s, struct shadow_page *sp);
uint64_t shadow__host_unmap_locked(struct shadow *s, gfn_t gfn, uint64_t n);

/* sync.c: unsync pages, sync, INVLPG */
int try_unsync(struct shadow *s, gfn_t gfn, bool can_unsync, bool prefetch);
unsigned unsync_walk(struct shadow *s, struct shadow_page *sp, struct sp_vec *out);
int sync_page(struct shadow *s, struct shadow_page *sp);
void sync_children(struct shadow *s, struct shadow_page *parent);
void invlpg_root(struct shadow *s, gva_t gva, struct shadow_page *root);

/* walk.c: the guest page-table walker */
void walk_init_rsvd(struct shadow *s);
unsigned gpte_access(uint64_t gpte);
void protect_clean_gpte(unsigned *access, uint64_t gpte);
bool gpte_rsvd(const struct shadow *s, uint64_t gpte, unsigned level);
bool walk_guest(struct shadow *s, gva_t gva, uint32_t access, struct guest_walk *w);

/* fault.c: SPTEs and the fault path */
bool make_spte(struct shadow *s, struct shadow_page *sp, unsigned pte_access, gfn_t gfn, pfn_t pfn,
	       uint64_t old_spte, bool prefetch, bool can_unsync, bool host_writable,
	       uint64_t *out);
bool prefetch_gpte(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t gpte);
bool prefetch_invalid_gpte(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t gpte);
int page_fault(struct shadow *s, gva_t gva, uint32_t error_code, uint32_t *pf_error);

/* roots.c: roots, CR3 and vCPU entry */
void free_root(struct shadow *s, struct root_info *ri);
void sync_roots(struct shadow *s);
int enter_guest(struct shadow *s);
void close_exit(struct shadow *s);

#endif
