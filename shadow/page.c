// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow pages of the KVM shadow MMU model: the hash keyed by gfn and role, creation with
 * write protection and write tracking, parent links and unsync marks, rmaps, zapping and
 * recycling. Each function names the Linux 6.1 function (arch/x86/kvm/mmu/mmu.c unless said)
 * whose rule it follows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

/*
 * kvm_page_table_hashfn(): hash_64(gfn, shift), the golden-ratio multiply. KVM has a fixed
 * 4096 buckets (KVM_MMU_HASH_SHIFT 12); the model starts there and doubles the table as the
 * shadow pages outnumber the buckets, since a trace scattered over a large space holds far
 * more shadow pages than a VM usually does, and 4096 chains of ~60 pages made every lookup
 * slow. Only speed differs: a lookup considers only the pages of one gfn, and those stay in
 * their insertion order (newest first) through a rehash.
 */
static unsigned hash_bucket(const struct shadow *s, gfn_t gfn)
{
	return (unsigned)((gfn * 0x61c8864680b583ebULL) >> (64 - s->hash_shift));
}

struct shadow_page *hash_first(struct shadow *s, gfn_t gfn)
{
	return s->hash[hash_bucket(s, gfn)];
}

/* Double the buckets. Each old chain is appended to the new chains in order, so the pages of
 * one gfn (all in one old chain) keep their order. Without memory the table stays as it is. */
static void hash_grow(struct shadow *s)
{
	size_t n_old = (size_t)1 << s->hash_shift, n_new = n_old * 2;
	struct shadow_page **hash = calloc(n_new, sizeof(*hash));
	struct shadow_page ***tail = malloc(n_new * sizeof(*tail));
	struct shadow_page *sp, *next;

	if (!hash || !tail) {
		free(hash);
		free(tail);
		return;
	}
	for (size_t b = 0; b < n_new; b++)
		tail[b] = &hash[b];
	s->hash_shift++;
	for (size_t b = 0; b < n_old; b++) {
		for (sp = s->hash[b]; sp; sp = next) {
			unsigned nb = hash_bucket(s, sp->gfn);

			next = sp->hash_next;
			sp->hash_next = NULL;
			*tail[nb] = sp;
			tail[nb] = &sp->hash_next;
		}
	}
	free(tail);
	free(s->hash);
	s->hash = hash;
}

/* ------------------------------------------------------------------------------------------ */
/* SPTE storage: the paths the inline accessors of internal.h leave to here. */

/* The inline entries moved to 4 KiB arrays. */
static int spt_store_grow(struct shadow_page *sp, bool xlat)
{
	struct spt_store *t = &sp->spt;
	uint64_t *spte = calloc(PT_ENTRIES, sizeof(*spte)), *x = NULL;

	if (spte && (xlat || sp_has_gptes(sp)))
		x = calloc(PT_ENTRIES, sizeof(*x));
	if (!spte || ((xlat || sp_has_gptes(sp)) && !x)) {
		free(spte);
		free(x);
		return -ENOMEM;
	}
	for (unsigned k = 0; k < t->small.n; k++) {
		spte[t->small.idx[k]] = t->small.spte[k];
		if (x)
			x[t->small.idx[k]] = t->small.xlat[k];
	}
	t->full = true;
	t->big.spte = spte;
	t->big.xlat = x;
	return 0;
}

/*
 * Store @val as SPTE @idx of @sp (or, with @xlat, as its translation) where the inline
 * accessors cannot: in the inline list (a zero SPTE frees its slot), or after moving to
 * 4 KiB arrays when the list is full. s->oom when that fails.
 */
void spt_store_slow(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t val, bool xlat)
{
	struct spt_store *t = &sp->spt;
	unsigned at;
	int k;

	if (t->full) { /* a translation for a page that had no array for them */
		if (!(t->big.xlat = calloc(PT_ENTRIES, sizeof(*t->big.xlat)))) {
			s->oom = true;
			return;
		}
		t->big.xlat[idx] = val;
		return;
	}
	k = spt_small_find(t, idx, &at);
	if (k >= 0 && xlat) {
		t->small.xlat[k] = val;
	} else if (k >= 0 && val) {
		t->small.spte[k] = val;
	} else if (k >= 0) {
		t->small.n--;
		for (unsigned j = (unsigned)k; j < t->small.n; j++) {
			t->small.idx[j] = t->small.idx[j + 1];
			t->small.spte[j] = t->small.spte[j + 1];
			t->small.xlat[j] = t->small.xlat[j + 1];
		}
	} else if (!val) {
		return; /* an absent entry reads as zero already */
	} else if (t->small.n < SPT_SMALL) {
		for (unsigned j = t->small.n; j > at; j--) {
			t->small.idx[j] = t->small.idx[j - 1];
			t->small.spte[j] = t->small.spte[j - 1];
			t->small.xlat[j] = t->small.xlat[j - 1];
		}
		t->small.idx[at] = (uint16_t)idx;
		t->small.spte[at] = xlat ? 0 : val;
		t->small.xlat[at] = xlat ? val : 0;
		t->small.n++;
	} else if (spt_store_grow(sp, xlat)) {
		s->oom = true;
	} else if (xlat) {
		t->big.xlat[idx] = val;
	} else {
		t->big.spte[idx] = val;
	}
}

void spt_store_free(struct spt_store *t)
{
	if (!t->full)
		return;
	free(t->big.spte);
	free(t->big.xlat);
}

/* The shadow page a non-leaf SPTE points to (to_shadow_page()). */
struct shadow_page *sp_child(const struct shadow *s, uint64_t spte)
{
	uint64_t frame = ((spte & PTE_ADDR_MASK) - s->cfg.spt_base) >> X86_PAGE_SHIFT;

	return frame < s->nframes ? s->by_frame[frame] : NULL;
}

/* kvm_mmu_page_get_gfn(): the gfn an SPTE of @sp maps. */
gfn_t sp_gfn_at(const struct shadow_page *sp, unsigned idx)
{
	if (!sp->role.direct)
		return sp_xlat(sp, idx) >> X86_PAGE_SHIFT;
	return sp->gfn + ((gfn_t)idx << (PT_INDEX_BITS * (sp->role.level - 1)));
}

/* kvm_mmu_page_set_translation() for indirect pages; direct pages derive both. */
static void sp_set_translation(struct shadow *s, struct shadow_page *sp, unsigned idx, gfn_t gfn,
			       unsigned access)
{
	if (sp_has_gptes(sp))
		sp_xlat_set(s, sp, idx, gfn << X86_PAGE_SHIFT | access);
}

void sp_set_access(struct shadow *s, struct shadow_page *sp, unsigned idx, unsigned access)
{
	sp_set_translation(s, sp, idx, sp_gfn_at(sp, idx), access);
}

static void stat_pages(struct shadow *s, unsigned level, int delta)
{
	uint64_t *c = level == 1 ? &s->st.pages_4k : level == 2 ? &s->st.pages_2m : &s->st.pages_1g;

	*c += (uint64_t)(int64_t)delta;
}

void remote_flush(struct shadow *s)
{
	/* kvm_flush_remote_tlbs(): KVM_REQ_TLB_FLUSH to every vCPU, serviced at its entry. */
	s->requests |= REQ_TLB_FLUSH;
}

/* ------------------------------------------------------------------------------------------ */
/* Write tracking and huge-page disallow counts (page_track.c, account_shadowed()). */

bool gfn_write_tracked(struct shadow *s, gfn_t gfn)
{
	struct frame_meta *m = meta_get(&s->meta, 1, gfn, false);

	return m && m->write_track > 0;
}

bool gfn_lpage_disallowed(struct shadow *s, gfn_t gfn, unsigned level)
{
	struct frame_meta *m =
		meta_get(&s->meta, level, gfn >> (PT_INDEX_BITS * (level - 1)), false);

	return m && m->disallow_lpage > 0;
}

/* update_gfn_disallow_lpage_count(): 2M and 1G frames holding @gfn. */
static void lpage_disallow(struct shadow *s, gfn_t gfn, int delta)
{
	for (unsigned level = 2; level <= SHADOW_HUGE_LEVELS; level++) {
		struct frame_meta *m =
			meta_get(&s->meta, level, gfn >> (PT_INDEX_BITS * (level - 1)), true);

		if (!m) {
			s->oom = true;
			return;
		}
		m->disallow_lpage += delta;
	}
}

static bool spte_write_protect(struct shadow *s, struct shadow_page *sp, unsigned idx)
{
	uint64_t spte = spt_get(sp, idx);

	/* spte_write_protect(pt_protect=true): clear W and MMU-writable. */
	if (!(spte & PTE_RW) && !(spte & SPTE_MMU_WRITABLE))
		return false;
	return spte_update(s, sp, idx, spte & ~(PTE_RW | SPTE_MMU_WRITABLE));
}

/* kvm_mmu_slot_gfn_write_protect(min_level=4K): every leaf SPTE mapping @gfn, 4K to 1G. */
bool write_protect_gfn(struct shadow *s, gfn_t gfn)
{
	bool flush = false;

	for (unsigned level = 1; level <= SHADOW_HUGE_LEVELS; level++) {
		struct frame_meta *m =
			meta_get(&s->meta, level, gfn >> (PT_INDEX_BITS * (level - 1)), false);

		for (uint32_t i = 0; m && i < m->rmap.n; i++)
			flush |= spte_write_protect(s, m->rmap.v[i].sp, m->rmap.v[i].idx);
	}
	return flush;
}

/*
 * account_shadowed(): the guest table becomes write-protected; an upper-level one is also
 * write-tracked (kvm_slot_page_track_add_page), so it can never go unsync. Both stop huge
 * SPTEs over it.
 */
static void account_shadowed(struct shadow *s, struct shadow_page *sp)
{
	s->indirect_shadow_pages++;
	if (sp->role.level > 1) {
		struct frame_meta *m = meta_get(&s->meta, 1, sp->gfn, true);

		if (!m) {
			s->oom = true;
			return;
		}
		m->write_track++;
	}
	lpage_disallow(s, sp->gfn, 1);
	if (write_protect_gfn(s, sp->gfn))
		remote_flush(s);
}

/* unaccount_shadowed() */
static void unaccount_shadowed(struct shadow *s, struct shadow_page *sp)
{
	s->indirect_shadow_pages--;
	if (sp->role.level > 1) {
		struct frame_meta *m = meta_get(&s->meta, 1, sp->gfn, false);

		if (m)
			m->write_track--;
	}
	lpage_disallow(s, sp->gfn, -1);
}

/* ------------------------------------------------------------------------------------------ */
/* rmaps and SPTE updates */

/* mmu_spte_update(): returns whether a TLB flush is needed. */
bool spte_update(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t new_spte)
{
	uint64_t old = spt_get(sp, idx);
	bool flush = false;

	spt_set(s, sp, idx, new_spte);
	if (!spte_present(old))
		return false;
	if ((old & SPTE_MMU_WRITABLE) && !(new_spte & PTE_RW))
		flush = true;
	if ((old & PTE_A) && !(new_spte & PTE_A))
		flush = true;
	if ((old & PTE_D) && !(new_spte & PTE_D))
		flush = true;
	return flush;
}

static struct frame_meta *rmap_of(struct shadow *s, gfn_t gfn, unsigned level, bool create)
{
	return meta_get(&s->meta, level, gfn >> (PT_INDEX_BITS * (level - 1)), create);
}

/* kvm_zap_all_rmap_sptes() */
static void zap_all_rmap_sptes(struct shadow *s, struct frame_meta *m, unsigned level)
{
	for (uint32_t i = 0; i < m->rmap.n; i++) {
		struct sptep p = m->rmap.v[i];

		if (spte_present(spt_get(p.sp, p.idx)))
			stat_pages(s, level, -1);
		spt_set(s, p.sp, p.idx, 0);
	}
	m->rmap.n = 0;
}

/* __rmap_add(): record the leaf SPTE under its gfn and level, counted in pages_*. */
void rmap_add(struct shadow *s, struct shadow_page *sp, unsigned idx, gfn_t gfn, unsigned access)
{
	unsigned level = sp->role.level;
	struct frame_meta *m;
	uint32_t count;

	sp_set_translation(s, sp, idx, gfn, access);
	stat_pages(s, level, 1);
	m = rmap_of(s, gfn, level, true);
	if (!m || sptep_list_add(&m->rmap, sp, idx)) {
		s->oom = true;
		return;
	}
	count = m->rmap.n - 1; /* pte_list_add() returns the count before the new entry */
	if (count > SHADOW_RMAP_RECYCLE_THRESHOLD) {
		zap_all_rmap_sptes(s, m, level);
		remote_flush(s);
	}
}

/* drop_spte(): clear a leaf SPTE and drop it from its rmap. */
void drop_spte(struct shadow *s, struct shadow_page *sp, unsigned idx)
{
	uint64_t old = spt_get(sp, idx);
	struct frame_meta *m;
	gfn_t gfn;

	if (!spte_present(old)) {
		spt_set(s, sp, idx, 0);
		return;
	}
	gfn = sp_gfn_at(sp, idx); /* before the entry, and its translation, go */
	spt_set(s, sp, idx, 0);
	stat_pages(s, sp->role.level, -1);
	m = rmap_of(s, gfn, sp->role.level, false);
	if (m)
		sptep_list_del(&m->rmap, sp, idx);
}

/* drop_parent_pte() */
void drop_parent_pte(struct shadow *s, struct shadow_page *child, struct shadow_page *parent,
		     unsigned idx)
{
	sptep_list_del(&child->parents, parent, idx);
	spt_set(s, parent, idx, 0);
}

/* mmu_page_zap_pte(): a leaf is dropped, a child page only unlinked (not zapped). */
void zap_pte(struct shadow *s, struct shadow_page *sp, unsigned idx)
{
	uint64_t pte = spt_get(sp, idx);

	if (spte_present(pte)) {
		if (spte_last(pte, sp->role.level))
			drop_spte(s, sp, idx);
		else
			drop_parent_pte(s, sp_child(s, pte), sp, idx);
	} else if (pte & SPTE_MMIO) {
		spt_set(s, sp, idx, 0);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Unsync marks */

static void mark_unsync(struct shadow_page *sp, unsigned idx)
{
	uint64_t bit = 1ULL << (idx % 64);

	/* mark_unsync(): set the child bit; the first unsync child propagates upwards. */
	if (sp->unsync_child_bitmap[idx / 64] & bit)
		return;
	sp->unsync_child_bitmap[idx / 64] |= bit;
	if (sp->unsync_children++)
		return;
	mark_parents_unsync(sp);
}

/* kvm_mmu_mark_parents_unsync() */
void mark_parents_unsync(struct shadow_page *sp)
{
	for (uint32_t i = 0; i < sp->parents.n; i++)
		mark_unsync(sp->parents.v[i].sp, sp->parents.v[i].idx);
}

/* kvm_unlink_unsync_page(): the kvm_mmu_sync_page tracepoint, mmu_unsync down. */
void unlink_unsync(struct shadow *s, struct shadow_page *sp)
{
	s->st.kvm_mmu_sync_page++;
	sp->unsync = false;
	s->st.mmu_unsync--;
}

/* __link_shadow_page(): point @parent's SPTE at @child (replacing a huge SPTE). */
void link_shadow_page(struct shadow *s, struct shadow_page *parent, unsigned idx,
		      struct shadow_page *child)
{
	if (spte_present(spt_get(parent, idx))) {
		drop_spte(s, parent, idx); /* drop_large_spte(), with a flush */
		remote_flush(s);
	}
	/* make_nonleaf_spte(): present, writable, user, accessed, executable */
	spt_set(s, parent, idx,
		sp_hpa(s, child) | PTE_P | PTE_RW | PTE_US | PTE_A | SPTE_MMU_PRESENT);
	if (sptep_list_add(&child->parents, parent, idx))
		s->oom = true;
	if (child->unsync_children || child->unsync)
		mark_unsync(parent, idx);
}

/* ------------------------------------------------------------------------------------------ */
/* Allocation, lookup */

static void active_add_head(struct shadow *s, struct shadow_page *sp)
{
	sp->prev = NULL;
	sp->next = s->active_head;
	if (s->active_head)
		s->active_head->prev = sp;
	else
		s->active_tail = sp;
	s->active_head = sp;
	sp->on_active = true;
}

static void active_del(struct shadow *s, struct shadow_page *sp)
{
	if (sp->prev)
		sp->prev->next = sp->next;
	else
		s->active_head = sp->next;
	if (sp->next)
		sp->next->prev = sp->prev;
	else
		s->active_tail = sp->prev;
	sp->prev = sp->next = NULL;
	sp->on_active = false;
}

static int frame_alloc(struct shadow *s, struct shadow_page *sp)
{
	uint32_t frame;

	if (s->nfree) {
		frame = s->free_frames[--s->nfree];
	} else {
		if (s->nframes == s->frames_cap) {
			uint32_t cap = s->frames_cap ? s->frames_cap * 2 : 256;
			struct shadow_page **v = realloc(s->by_frame, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			s->by_frame = v;
			s->frames_cap = cap;
		}
		frame = s->nframes++;
	}
	s->by_frame[frame] = sp;
	sp->frame = frame;
	return 0;
}

static void frame_release(struct shadow *s, struct shadow_page *sp)
{
	s->by_frame[sp->frame] = NULL;
	if (s->nfree == s->free_cap) {
		uint32_t cap = s->free_cap ? s->free_cap * 2 : 256;
		uint32_t *v = realloc(s->free_frames, cap * sizeof(*v));

		if (!v) {
			s->oom = true; /* the frame is lost, nothing else */
			return;
		}
		s->free_frames = v;
		s->free_cap = cap;
	}
	s->free_frames[s->nfree++] = sp->frame;
}

/* kvm_mmu_alloc_shadow_page(): newest at the head of the active list and of its bucket. */
static struct shadow_page *alloc_shadow_page(struct shadow *s, gfn_t gfn, union sp_role role)
{
	struct shadow_page *sp = calloc(1, sizeof(*sp));
	unsigned b;

	if (!sp)
		return NULL;
	if (frame_alloc(s, sp)) {
		free(sp);
		return NULL;
	}
	if (s->hash_count >= (1ULL << s->hash_shift))
		hash_grow(s);
	b = hash_bucket(s, gfn);
	active_add_head(s, sp);
	s->n_used++;
	sp->gfn = gfn;
	sp->role = role;
	sp->hash_next = s->hash[b];
	s->hash[b] = sp;
	s->hash_count++;
	if (sp_has_gptes(sp))
		account_shadowed(s, sp);
	return sp;
}

/*
 * kvm_mmu_find_shadow_page(): a valid page with this gfn and role. On the way, unsync pages of
 * the gfn with another role are zapped when an upper-level page is wanted; a found unsync page
 * is synced (not marked synced: kvm_sync_page() without kvm_unlink_unsync_page()), and a found
 * indirect page has its write-flooding count cleared.
 */
static struct shadow_page *find_shadow_page(struct shadow *s, gfn_t gfn, union sp_role role)
{
	struct shadow_page *sp, *found = NULL;

	for (sp = hash_first(s, gfn); sp; sp = sp->hash_next) {
		if (sp->role.invalid || sp->gfn != gfn)
			continue;
		if (sp->role.word != role.word) {
			if (role.level > 1 && sp->unsync)
				prepare_zap(s, sp, NULL);
			continue;
		}
		if (sp->role.direct) {
			found = sp;
			break;
		}
		if (sp->unsync) {
			int r = sync_page(s, sp);

			if (r < 0) {
				prepare_zap(s, sp, NULL);
				break;
			}
			if (r > 0)
				remote_flush(s);
		}
		sp->write_flooding_count = 0;
		found = sp;
		break;
	}
	if (!found)
		s->st.mmu_cache_miss++;
	commit_zap(s);
	return found;
}

/* __kvm_mmu_get_shadow_page(): found or created, counted as the kvm_mmu_get_page tracepoint. */
struct shadow_page *get_shadow_page(struct shadow *s, gfn_t gfn, union sp_role role)
{
	struct shadow_page *sp = find_shadow_page(s, gfn, role);

	if (sp) {
		s->st.kvm_mmu_get_page_found++;
		return sp;
	}
	sp = alloc_shadow_page(s, gfn, role);
	if (!sp) {
		s->oom = true;
		return NULL;
	}
	s->st.kvm_mmu_get_page_created++;
	return sp;
}

/* kvm_mmu_free_shadow_page(): out of the hash, its frame back to the pool. */
void free_shadow_page(struct shadow *s, struct shadow_page *sp)
{
	struct shadow_page **pp = &s->hash[hash_bucket(s, sp->gfn)];

	while (*pp && *pp != sp)
		pp = &(*pp)->hash_next;
	if (*pp) {
		*pp = sp->hash_next;
		s->hash_count--;
	}
	frame_release(s, sp);
	free(sp->parents.v);
	spt_store_free(&sp->spt);
	free(sp);
}

/* ------------------------------------------------------------------------------------------ */
/* Zapping */

/* mmu_zap_unsync_children(): every unsync 4K page below @parent is zapped first. */
static unsigned zap_unsync_children(struct shadow *s, struct shadow_page *parent)
{
	struct sp_vec v = {0};
	unsigned zapped = 0;

	if (parent->role.level == 1)
		return 0;
	while (parent->unsync_children && unsync_walk(s, parent, &v)) {
		for (unsigned i = 0; i < v.n; i++) {
			prepare_zap(s, v.v[i], NULL);
			zapped++;
		}
		v.n = 0;
	}
	free(v.v);
	return zapped;
}

/*
 * __kvm_mmu_prepare_zap_page(): counted in mmu_shadow_zapped and the kvm_mmu_prepare_zap_page
 * tracepoint. Unsync children are zapped; other children and the parents are only unlinked.
 * A page that is not a root goes to the invalid list (freed at commit); a root in use stays
 * until its last reference goes, invalid, and the vCPU is asked to drop obsolete roots.
 * Returns the pages zapped (unsync children, and the page itself unless it is a root).
 */
unsigned prepare_zap(struct shadow *s, struct shadow_page *sp, bool *unstable)
{
	unsigned nr;

	s->st.kvm_mmu_prepare_zap_page++;
	s->st.mmu_shadow_zapped++;
	nr = zap_unsync_children(s, sp);
	/* kvm_mmu_page_unlink_children(): zap_pte() on an entry that is zero does nothing */
	for (unsigned i = spt_next(sp, 0); i < PT_ENTRIES; i = spt_next(sp, i + 1))
		zap_pte(s, sp, i);
	while (sp->parents.n) /* kvm_mmu_unlink_parents() */
		drop_parent_pte(s, sp, sp->parents.v[0].sp, sp->parents.v[0].idx);
	if (unstable)
		*unstable = nr != 0;
	if (!sp->role.invalid && sp_has_gptes(sp))
		unaccount_shadowed(s, sp);
	if (sp->unsync)
		unlink_unsync(s, sp);
	if (!sp->root_count) {
		nr++;
		if (sp->on_active)
			active_del(s, sp);
		sp->next = s->invalid_head;
		s->invalid_head = sp;
		s->n_used--;
	} else {
		if (sp->on_active)
			active_del(s, sp);
		if (!sp->role.invalid)
			s->requests |= REQ_FREE_OBSOLETE_ROOTS;
	}
	sp->role.invalid = 1;
	return nr;
}

/* kvm_mmu_commit_zap_page(): one remote flush, then the zapped pages are freed. */
void commit_zap(struct shadow *s)
{
	if (!s->invalid_head)
		return;
	remote_flush(s);
	while (s->invalid_head) {
		struct shadow_page *sp = s->invalid_head;

		s->invalid_head = sp->next;
		free_shadow_page(s, sp);
	}
}

/* kvm_mmu_remote_flush_or_zap() */
bool remote_flush_or_zap(struct shadow *s, bool flush)
{
	if (!flush && !s->invalid_head)
		return false;
	if (s->invalid_head)
		commit_zap(s);
	else
		remote_flush(s);
	return true;
}

/*
 * kvm_mmu_zap_oldest_mmu_pages(): oldest first, roots in use skipped, until @nr_to_zap pages
 * (as prepare_zap() counts them) are gone; a zap that also zapped unsync children restarts
 * the scan. The total is added to mmu_recycled.
 */
static void zap_oldest(struct shadow *s, uint64_t nr_to_zap)
{
	uint64_t total = 0;
	struct shadow_page *sp, *prev;

restart:
	for (sp = s->active_tail; sp; sp = prev) {
		bool unstable;

		prev = sp->prev;
		if (sp->root_count)
			continue;
		total += prepare_zap(s, sp, &unstable);
		if (total >= nr_to_zap)
			break;
		if (unstable)
			goto restart;
	}
	commit_zap(s);
	s->st.mmu_recycled += total;
}

/*
 * make_mmu_pages_available(): with fewer than KVM_MIN_FREE_MMU_PAGES free under the limit,
 * recycle until KVM_REFILL_PAGES are free. -ENOSPC if none could be freed.
 */
int make_pages_available(struct shadow *s)
{
	uint64_t avail = s->n_max > s->n_used ? s->n_max - s->n_used : 0;

	if (avail >= SHADOW_MIN_FREE_PAGES)
		return 0;
	zap_oldest(s, SHADOW_REFILL_PAGES - avail);
	if (s->n_max <= s->n_used)
		return -ENOSPC;
	return 0;
}

/*
 * kvm_unmap_gfn_range() -> kvm_zap_rmap(): at each level, the rmaps covering [gfn, gfn + n)
 * are emptied, each leaf dropped (pages_* move); one flush when any was (the notifier's
 * kvm_flush_remote_tlbs), serviced when the vCPU next enters.
 */
uint64_t shadow__host_unmap_locked(struct shadow *s, gfn_t gfn, uint64_t n)
{
	uint64_t dropped = 0;

	if (s->oom || !n || gfn + n < gfn)
		return 0;
	for (unsigned level = 1; level <= SHADOW_HUGE_LEVELS; level++) {
		unsigned shift = PT_INDEX_BITS * (level - 1);

		for (uint64_t key = gfn >> shift; key <= (gfn + n - 1) >> shift; key++) {
			struct frame_meta *m = meta_get(&s->meta, level, key, false);

			for (uint32_t i = 0; m && i < m->rmap.n; i++)
				dropped += spte_present(spt_get(m->rmap.v[i].sp, m->rmap.v[i].idx));
			if (m)
				zap_all_rmap_sptes(s, m, level); /* pte_list_destroy() */
		}
	}
	if (dropped)
		remote_flush(s);
	return dropped;
}

/* The host's invalidation outside a fault: the flush is serviced as the vCPU re-enters. */
uint64_t shadow__host_unmap(struct shadow *s, gfn_t gfn, uint64_t n)
{
	uint64_t dropped = shadow__host_unmap_locked(s, gfn, n);

	if (s->cr3_loaded)
		s->exit_open = true;
	return dropped;
}

void shadow__vcpu_enter(struct shadow *s)
{
	close_exit(s);
}
