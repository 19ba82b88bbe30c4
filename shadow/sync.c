// SPDX-License-Identifier: GPL-2.0
/*
 * Unsync and sync in the KVM shadow MMU model: mmu_try_to_unsync_pages(), the unsync walk and
 * mmu_sync_children() from Linux 6.1 arch/x86/kvm/mmu/mmu.c, FNAME(sync_page) and FNAME(invlpg)
 * from paging_tmpl.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "shadow/internal.h"

/* kvm_unsync_page(): the kvm_mmu_unsync_page tracepoint, mmu_unsync up, parents marked. */
static void unsync_page(struct shadow *s, struct shadow_page *sp)
{
	s->st.kvm_mmu_unsync_page++;
	s->st.mmu_unsync++;
	sp->unsync = true;
	mark_parents_unsync(sp);
}

/*
 * mmu_try_to_unsync_pages(): KVM is about to make @gfn writable. A write-tracked gfn (shadowed
 * at an upper level) stays write-protected (-EPERM); otherwise every shadow page of the gfn
 * goes unsync, unless this is a sync (!can_unsync: -EPERM) or a prefetch meeting a page that
 * is still in sync (-EEXIST). 0 when the SPTE may be writable.
 */
int try_unsync(struct shadow *s, gfn_t gfn, bool can_unsync, bool prefetch)
{
	if (gfn_write_tracked(s, gfn))
		return -EPERM;
	for (struct shadow_page *sp = hash_first(s, gfn); sp; sp = sp->hash_next) {
		if (sp->role.invalid || sp->gfn != gfn || !sp_has_gptes(sp))
			continue;
		if (!can_unsync)
			return -EPERM;
		if (sp->unsync)
			continue;
		if (prefetch)
			return -EEXIST;
		unsync_page(s, sp);
	}
	return 0;
}

static void clear_unsync_child_bit(struct shadow_page *sp, unsigned idx)
{
	sp->unsync_children--;
	sp->unsync_child_bitmap[idx / 64] &= ~(1ULL << (idx % 64));
}

static void vec_add(struct shadow *s, struct sp_vec *v, struct shadow_page *sp)
{
	for (unsigned i = 0; i < v->n; i++)
		if (v->v[i] == sp)
			return;
	if (v->n == v->cap) {
		unsigned cap = v->cap ? v->cap * 2 : 16;
		struct shadow_page **p = realloc(v->v, cap * sizeof(*p));

		if (!p) {
			s->oom = true;
			return;
		}
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = sp;
}

/*
 * __mmu_unsync_walk(): the unsync last-level pages below @sp, following the unsync-child bits
 * and clearing the ones that lead nowhere any more. Returns how many it found.
 */
unsigned unsync_walk(struct shadow *s, struct shadow_page *sp, struct sp_vec *out)
{
	unsigned n = 0;

	for (unsigned w = 0; w < PT_ENTRIES / 64; w++) {
		uint64_t word = sp->unsync_child_bitmap[w];

		while (word) {
			unsigned idx = w * 64 + (unsigned)__builtin_ctzll(word);
			uint64_t spte = spt_get(sp, idx);
			struct shadow_page *child;

			word &= word - 1;
			if (!spte_present(spte) || spte_large(spte)) {
				clear_unsync_child_bit(sp, idx);
				continue;
			}
			child = sp_child(s, spte);
			if (child->unsync_children) {
				unsigned r = unsync_walk(s, child, out);

				if (!r)
					clear_unsync_child_bit(sp, idx);
				n += r;
			} else if (child->unsync) {
				n++;
				vec_add(s, out, child);
			} else {
				clear_unsync_child_bit(sp, idx);
			}
		}
	}
	return n;
}

/*
 * FNAME(sync_page): bring an unsync last-level page up to date with the guest table. Each
 * SPTE in use is dropped when its guest PTE can no longer be prefetched or now maps another
 * gfn, else rebuilt with the current rights (not accessed, never unsyncing anything).
 * <0: the page must be zapped; 0 synced; >0 synced, TLB flush needed.
 */
int sync_page(struct shadow *s, struct shadow_page *sp)
{
	gpa_t first = gfn_to_gpa(sp->gfn);
	bool flush = false;

	if (sp->role.direct)
		return -1;
	for (unsigned i = spt_next(sp, 0); i < PT_ENTRIES; i = spt_next(sp, i + 1)) {
		uint64_t gpte, spte, old = spt_get(sp, i);
		unsigned access;
		gfn_t gfn;

		if (s->ops.read(s->ctx, first + i * 8, &gpte))
			return -1;
		if (prefetch_invalid_gpte(s, sp, i, gpte)) {
			flush = true;
			continue;
		}
		gfn = (gpte & PTE_ADDR_MASK) >> X86_PAGE_SHIFT;
		access = sp->role.access & gpte_access(gpte);
		protect_clean_gpte(&access, gpte);
		if (old & SPTE_MMIO) {
			/* sync_mmio_spte() */
			if (gfn != spte_pfn(old & ~SPTE_MMIO))
				spt_set(s, sp, i, 0);
			else
				spt_set(s, sp, i,
					SPTE_MMIO | (gfn << X86_PAGE_SHIFT) |
						(access & (SHADOW_ACC_WRITE | SHADOW_ACC_USER)));
			continue;
		}
		if (gfn != sp_gfn_at(sp, i)) {
			drop_spte(s, sp, i);
			flush = true;
			continue;
		}
		sp_set_access(s, sp, i, access);
		make_spte(s, sp, access, gfn, spte_pfn(old), old, true, false,
			  old & SPTE_HOST_WRITABLE, &spte);
		flush |= spte_update(s, sp, i, spte);
	}
	return flush;
}

/*
 * mmu_sync_children(): every unsync page below @parent is write-protected again, marked in
 * sync (kvm_mmu_sync_page) and synced; a page that cannot be synced is zapped.
 * Simplification: KVM handles at most 16 pages per round (KVM_PAGE_ARRAY_NR) and flushes per
 * round; the model does all in one round. The same pages are synced and counted; only the
 * number of remote flushes, which the vCPU coalesces before entry, differs.
 */
void sync_children(struct shadow *s, struct shadow_page *parent)
{
	struct sp_vec v = {0};
	bool flush = false;

	while (parent->unsync_children && unsync_walk(s, parent, &v)) {
		bool protected = false;

		for (unsigned i = 0; i < v.n; i++)
		protected |= write_protect_gfn(s, v.v[i]->gfn);
		if (protected) {
			remote_flush_or_zap(s, true);
			flush = false;
		}
		for (unsigned i = 0; i < v.n; i++) {
			int r;

			unlink_unsync(s, v.v[i]);
			r = sync_page(s, v.v[i]);
			if (r < 0)
				prepare_zap(s, v.v[i], NULL);
			else if (r > 0)
				flush = true;
		}
		v.n = 0;
	}
	free(v.v);
	remote_flush_or_zap(s, flush);
}

/*
 * FNAME(invlpg) on one root: down the shadow walk of @gva while pages have unsync children;
 * at the leaf of an unsync page the SPTE is dropped and rebuilt from the guest PTE as a
 * prefetch. The page stays unsync (KVM syncs it whole only at a CR3 load or TLB flush).
 */
void invlpg_root(struct shadow *s, gva_t gva, struct shadow_page *root)
{
	struct shadow_page *sp = root;
	unsigned level = root ? root->role.level : 0;

	while (sp) {
		unsigned idx = pt_index(gva, level);
		uint64_t old = spt_get(sp, idx), gpte, cur;

		if (spte_last(old, level)) {
			if (!sp->unsync)
				break;
			zap_pte(s, sp, idx);
			if (spte_present(old))
				remote_flush(s);
			if (s->ops.read(s->ctx, gfn_to_gpa(sp->gfn) + idx * 8, &gpte))
				break;
			prefetch_gpte(s, sp, idx, gpte);
		}
		if (!sp->unsync_children)
			break;
		cur = spt_get(sp, idx);
		if (!spte_present(cur) || spte_last(cur, level))
			break;
		sp = sp_child(s, cur);
		level--;
	}
}

/* kvm_mmu_invlpg(): the current root and every cached one, then the invlpg count. */
void shadow__invlpg(struct shadow *s, gva_t gva)
{
	close_exit(s);
	if (s->oom)
		return;
	invlpg_root(s, gva, s->root.sp);
	for (unsigned i = 0; i < SHADOW_NUM_PREV_ROOTS; i++)
		if (s->prev[i].sp)
			invlpg_root(s, gva, s->prev[i].sp);
	s->st.invlpg++;
	enter_guest(s);
}
