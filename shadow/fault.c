// SPDX-License-Identifier: GPL-2.0
/*
 * The fault path of the KVM shadow MMU model: FNAME(page_fault) and FNAME(fetch) from Linux 6.1
 * arch/x86/kvm/mmu/paging_tmpl.h, mmu_set_spte() and the prefetchers from mmu.c, make_spte()
 * from spte.c; and the hardware walk over the shadow tables.
 */
#include <errno.h>
#include <string.h>

#include "shadow/internal.h"

/*
 * The host frame of @gfn for @acc: 0, -ENOENT when it is not guest RAM (KVM: no memslot, an
 * MMIO access), -EAGAIN when an atomic lookup finds no writable page, or
 * SHADOW_HOST_INVALIDATED. *writable is false when the host maps the page read-only.
 */
static int host_page(struct shadow *s, gfn_t gfn, enum shadow_host_access acc, pfn_t *pfn,
		     unsigned *level, bool *writable)
{
	unsigned l = 1;
	bool w = true;
	pfn_t p = 0;
	int r = s->ops.host_page(s->ctx, gfn, acc, &p, &l, &w);

	if (r == SHADOW_HOST_INVALIDATED)
		return r;
	if (r)
		return r == -EAGAIN ? -EAGAIN : -ENOENT;
	if (acc == SHADOW_HOST_ATOMIC && !w)
		return -EAGAIN;
	*pfn = p;
	if (level)
		*level = l < 1 ? 1 : l > SHADOW_HUGE_LEVELS ? SHADOW_HUGE_LEVELS : l;
	if (writable)
		*writable = w;
	return 0;
}

/*
 * make_spte(): the leaf SPTE for @pte_access. Not accessed when prefetched; never writable
 * over a page the host maps read-only (!@host_writable, remembered in the SPTE); a writable
 * one first tries to unsync the shadow pages of @gfn and is made read-only if it cannot
 * (returns true: "write-protected"). A write to a writable old SPTE skips that check and the
 * dirty bit.
 */
bool make_spte(struct shadow *s, struct shadow_page *sp, unsigned pte_access, gfn_t gfn, pfn_t pfn,
	       uint64_t old_spte, bool prefetch, bool can_unsync, bool host_writable, uint64_t *out)
{
	uint64_t spte = SPTE_MMU_PRESENT | PTE_P;
	bool wrprot = false;

	if (host_writable)
		spte |= SPTE_HOST_WRITABLE;
	else
		pte_access &= ~SHADOW_ACC_WRITE;

	if (!prefetch)
		spte |= PTE_A;
	if (!(pte_access & SHADOW_ACC_EXEC))
		spte |= PTE_NX;
	if (pte_access & SHADOW_ACC_USER)
		spte |= PTE_US;
	if (sp->role.level > 1)
		spte |= PTE_PS;
	spte |= (uint64_t)pfn << X86_PAGE_SHIFT;

	if (pte_access & SHADOW_ACC_WRITE) {
		spte |= PTE_RW | SPTE_MMU_WRITABLE;
		if (spte_present(old_spte) && (old_spte & PTE_RW))
			goto out;
		if (try_unsync(s, gfn, can_unsync, prefetch)) {
			wrprot = true;
			pte_access &= ~SHADOW_ACC_WRITE;
			spte &= ~(PTE_RW | SPTE_MMU_WRITABLE);
		}
	}
	if (pte_access & SHADOW_ACC_WRITE)
		spte |= PTE_D;
out:
	if (prefetch)
		spte &= ~PTE_A; /* mark_spte_for_access_track() with A/D bits */
	*out = spte;
	return wrprot;
}

/*
 * mmu_set_spte(): install a leaf. A table or another frame under it is dropped first (with a
 * flush); the same SPTE again is spurious; a write that had to be write-protected is emulated.
 */
static int set_spte(struct shadow *s, struct shadow_page *sp, unsigned idx, unsigned pte_access,
		    gfn_t gfn, pfn_t pfn, bool mmio, bool write_fault, bool prefetch,
		    bool host_writable)
{
	uint64_t old = spt_get(sp, idx), spte;
	bool flush = false, was_rmapped = false, wrprot;
	int ret = SHADOW_PF_FIXED;

	if (mmio) {
		/* mark_mmio_spte(): remembers the gfn; the access is emulated */
		spt_set(s, sp, idx,
			SPTE_MMIO | (gfn << X86_PAGE_SHIFT) |
				(pte_access & (SHADOW_ACC_WRITE | SHADOW_ACC_USER)));
		return SHADOW_PF_EMULATE;
	}
	if (spte_present(old)) {
		if (sp->role.level > 1 && !spte_large(old)) {
			drop_parent_pte(s, sp_child(s, old), sp, idx);
			flush = true;
		} else if (pfn != spte_pfn(old)) {
			drop_spte(s, sp, idx);
			flush = true;
		} else {
			was_rmapped = true;
		}
	}
	old = spt_get(sp, idx);
	wrprot = make_spte(s, sp, pte_access, gfn, pfn, old, prefetch, true, host_writable, &spte);
	if (old == spte)
		ret = SHADOW_PF_SPURIOUS;
	else
		flush |= spte_update(s, sp, idx, spte);
	if (wrprot && write_fault)
		ret = SHADOW_PF_EMULATE;
	if (flush)
		remote_flush(s);
	if (!was_rmapped)
		rmap_add(s, sp, idx, gfn, pte_access);
	else
		sp_set_access(s, sp, idx, pte_access);
	return ret;
}

/* FNAME(prefetch_invalid_gpte): not present, not accessed or reserved bits: drop, skip. */
bool prefetch_invalid_gpte(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t gpte)
{
	if ((gpte & PTE_P) && (gpte & PTE_A) && !gpte_rsvd(s, gpte, 1))
		return false;
	drop_spte(s, sp, idx);
	return true;
}

/* FNAME(prefetch_gpte): map one guest PTE of a last-level page without a fault, when the host
 * maps its page writable already (the atomic lookup; else the prefetch ends). */
bool prefetch_gpte(struct shadow *s, struct shadow_page *sp, unsigned idx, uint64_t gpte)
{
	unsigned access;
	gfn_t gfn;
	pfn_t pfn;

	if (prefetch_invalid_gpte(s, sp, idx, gpte))
		return false;
	gfn = (gpte & PTE_ADDR_MASK) >> X86_PAGE_SHIFT;
	access = sp->role.access & gpte_access(gpte);
	protect_clean_gpte(&access, gpte);
	if (host_page(s, gfn, SHADOW_HOST_ATOMIC, &pfn, NULL, NULL))
		return false;
	set_spte(s, sp, idx, access, gfn, pfn, false, false, true, true);
	return true;
}

/* __direct_pte_prefetch(): runs of absent SPTEs in the 8-aligned group of a direct page. */
static void direct_prefetch(struct shadow *s, struct shadow_page *sp, unsigned idx)
{
	unsigned start = idx & ~(SHADOW_PTE_PREFETCH_NUM - 1u),
		 end = start + SHADOW_PTE_PREFETCH_NUM;
	int run = -1;

	for (unsigned i = start; i <= end; i++) {
		if (i < end && !spte_present(spt_get(sp, i)) && i != idx) {
			if (run < 0)
				run = (int)i;
			continue;
		}
		if (run < 0)
			continue;
		/* direct_pte_prefetch_many(): gfn_to_page_many_atomic() finds the run's pages the
		 * host maps writable, up to the first it does not; none ends the prefetch */
		for (unsigned j = (unsigned)run; j < i; j++) {
			gfn_t gfn = sp_gfn_at(sp, j);
			pfn_t pfn;

			if (host_page(s, gfn, SHADOW_HOST_ATOMIC, &pfn, NULL, NULL)) {
				if (j == (unsigned)run)
					return;
				break;
			}
			set_spte(s, sp, j, sp->role.access, gfn, pfn, false, false, true, true);
		}
		run = -1;
	}
}

/*
 * FNAME(pte_prefetch): after a 4K fault, the other SPTEs of its 8-aligned group that are not
 * present, in order, from the guest PTEs read at fault time; the first guest PTE that cannot
 * be prefetched ends it. No fault, so no pf_fixed.
 */
static void pte_prefetch(struct shadow *s, const struct guest_walk *w, struct shadow_page *sp,
			 unsigned idx)
{
	unsigned start = idx & ~(SHADOW_PTE_PREFETCH_NUM - 1u);

	if (sp->role.level > 1)
		return;
	if (sp->role.direct) {
		direct_prefetch(s, sp, idx);
		return;
	}
	for (unsigned i = 0; i < SHADOW_PTE_PREFETCH_NUM; i++) {
		if (start + i == idx || spte_present(spt_get(sp, start + i)))
			continue;
		if (!prefetch_gpte(s, sp, start + i, w->prefetch_ptes[i]))
			break;
	}
}

/* kvm_mmu_hugepage_adjust() and kvm_mmu_max_mapping_level(): the SPTE level for this fault.
 * Simplification: the NX huge-page mitigation (nx_huge_pages) is off. */
static unsigned goal_level(struct shadow *s, gfn_t gfn, unsigned max_level, unsigned host_level)
{
	if (max_level == 1)
		return 1;
	if (max_level > s->cfg.max_huge_level)
		max_level = s->cfg.max_huge_level;
	for (; max_level > 1; max_level--)
		if (!gfn_lpage_disallowed(s, gfn, max_level))
			break;
	if (max_level == 1)
		return 1;
	return host_level < max_level ? host_level : max_level;
}

/* FNAME(is_self_change_mapping): a writable leaf covering one of its own tables maps 4K. */
static bool self_change_mapping(const struct guest_walk *w)
{
	gfn_t mask = ~(pages_per_level(w->level) - 1);
	bool self = false;

	if (!(w->pte_access & SHADOW_ACC_WRITE))
		return false;
	for (unsigned level = w->level; level <= w->max_level; level++)
		self |= !((w->gfn ^ w->table_gfn[level - 1]) & mask);
	return self;
}

/* shadow_page_table_clear_flood(): a fault walking through a page clears its flood count. */
static void clear_flood_on_path(struct shadow *s, gva_t gva)
{
	struct shadow_page *sp = s->root.sp;
	unsigned level = sp ? sp->role.level : 0;

	while (sp) {
		uint64_t spte = spt_get(sp, pt_index(gva, level));

		sp->write_flooding_count = 0;
		if (!spte_present(spte) || spte_last(spte, level))
			break;
		sp = sp_child(s, spte);
		level--;
	}
}

/* validate_direct_spte(): a direct child built for other rights is unlinked. */
static void validate_direct_spte(struct shadow *s, struct shadow_page *sp, unsigned idx,
				 unsigned direct_access)
{
	uint64_t spte = spt_get(sp, idx);
	struct shadow_page *child;

	if (!spte_present(spte) || spte_large(spte))
		return;
	child = sp_child(s, spte);
	if (child->role.access == direct_access)
		return;
	drop_parent_pte(s, child, sp, idx);
	remote_flush(s);
}

/* kvm_mmu_get_child_sp(): NULL (-EEXIST in KVM) when a table is already linked there. */
static struct shadow_page *get_child_sp(struct shadow *s, struct shadow_page *parent, unsigned idx,
					gfn_t gfn, bool direct, unsigned access)
{
	uint64_t spte = spt_get(parent, idx);
	union sp_role role = parent->role;

	if (spte_present(spte) && !spte_large(spte))
		return NULL;
	/* kvm_mmu_child_role() */
	role.level--;
	role.access = access;
	role.direct = direct;
	role.passthrough = 0;
	return get_shadow_page(s, gfn, role);
}

struct fault_ctx {
	gva_t gva;
	bool write, mmio, map_writable;
	pfn_t pfn;
	unsigned host_level, max_level;
};

/*
 * FNAME(fetch): shadow pages for the guest tables from the root down to the guest leaf's level
 * (lazily, clearing flood counts on the way, syncing a found page's unsync children before
 * linking it), then direct pages down to the SPTE level, the leaf, and the prefetch.
 */
static int fetch(struct shadow *s, struct fault_ctx *f, struct guest_walk *w)
{
	struct shadow_page *sp = s->root.sp, *child;
	unsigned level = sp->role.level, idx, goal;
	gfn_t base_gfn = w->gfn;
	int ret;

	/* FNAME(gpte_changed) on a 4K leaf reads the 8-aligned group of guest PTEs for prefetch */
	if (w->level == 1) {
		gpa_t base = w->pte_gpa[0] & ~(gpa_t)(SHADOW_PTE_PREFETCH_NUM * 8 - 1);

		for (unsigned i = 0; i < SHADOW_PTE_PREFETCH_NUM; i++)
			if (s->ops.read(s->ctx, base + i * 8, &w->prefetch_ptes[i]))
				return SHADOW_PF_RETRY;
	}
	for (; level > w->level; level--) {
		idx = pt_index(f->gva, level);
		sp->write_flooding_count = 0;
		child = get_child_sp(s, sp, idx, w->table_gfn[level - 2], false,
				     w->pt_access[level - 2]);
		if (s->oom)
			return -ENOMEM;
		if (child) {
			if (child->unsync_children)
				sync_children(s, child);
			link_shadow_page(s, sp, idx, child);
		}
		if (s->oom) /* the link may not be there */
			return -ENOMEM;
		sp = sp_child(s, spt_get(sp, idx));
	}

	goal = f->mmio ? 1 : goal_level(s, w->gfn, f->max_level, f->host_level);
	for (;; level--) {
		idx = pt_index(f->gva, level);
		sp->write_flooding_count = 0;
		base_gfn = w->gfn & ~(pages_per_level(level) - 1);
		if (level == goal)
			break;
		validate_direct_spte(s, sp, idx, w->pte_access);
		child = get_child_sp(s, sp, idx, base_gfn, true, w->pte_access);
		if (s->oom)
			return -ENOMEM;
		if (child)
			link_shadow_page(s, sp, idx, child);
		if (s->oom)
			return -ENOMEM;
		sp = sp_child(s, spt_get(sp, idx));
	}

	ret = set_spte(s, sp, idx, w->pte_access, base_gfn,
		       f->pfn & ~(pfn_t)(pages_per_level(goal) - 1), f->mmio, f->write, false,
		       f->map_writable);
	if (ret == SHADOW_PF_SPURIOUS)
		return ret;
	pte_prefetch(s, w, sp, idx);
	return ret;
}

/*
 * FNAME(page_fault): walk the guest tables (a refusal is the guest's #PF: pf_guest); a write
 * fault on a present SPTE of a write-tracked gfn is emulated at once; else recycle if needed
 * and fetch.
 */
int page_fault(struct shadow *s, gva_t gva, uint32_t error_code, uint32_t *pf_error)
{
	struct fault_ctx f = {.gva = gva, .write = error_code & PF_ERR_W};
	struct guest_walk w;
	int r;

	if (!walk_guest(s, gva, error_code & ~(uint32_t)PF_ERR_RSVD, &w)) {
		/* kvm_inject_emulated_page_fault(): a protection fault first invalidates the gva
		 * in the current root, then kvm_inject_page_fault() counts pf_guest. */
		if ((w.error_code & PF_ERR_P) && !(w.error_code & PF_ERR_RSVD))
			invlpg_root(s, gva, s->root.sp);
		s->st.pf_guest++;
		if (pf_error)
			*pf_error = w.error_code;
		return SHADOW_PF_GUEST;
	}
	f.mmio = host_page(s, w.gfn, SHADOW_HOST_QUERY, &f.pfn, NULL, NULL) != 0;
	/* page_fault_handle_page_track() */
	if (!f.mmio && (error_code & PF_ERR_P) && f.write && gfn_write_tracked(s, w.gfn)) {
		clear_flood_on_path(s, gva);
		return SHADOW_PF_EMULATE;
	}
	f.max_level = self_change_mapping(&w) ? 1 : w.level;
	/* kvm_faultin_pfn(): the host page, faulted in for this access */
	if (!f.mmio) {
		r = host_page(s, w.gfn, f.write ? SHADOW_HOST_WRITE : SHADOW_HOST_READ, &f.pfn,
			      &f.host_level, &f.map_writable);
		if (r == SHADOW_HOST_INVALIDATED) {
			/* the MMU notifier ran meanwhile: the fault is stale */
			shadow__host_unmap_locked(s, w.gfn, 1);
			return SHADOW_PF_RETRY;
		}
		f.mmio = r != 0;
	}
	/* is_page_fault_stale(): the root was zapped under us */
	if (!s->root.sp || s->root.sp->role.invalid)
		return SHADOW_PF_RETRY;
	if (make_pages_available(s))
		return -ENOSPC;
	return fetch(s, &f, &w);
}

int shadow__fault(struct shadow *s, gva_t gva, unsigned access, uint32_t *pf_error)
{
	struct shadow_xlate x;
	uint32_t error_code = access & (PF_ERR_W | PF_ERR_U | PF_ERR_I);
	int r, e;

	close_exit(s);
	if (s->oom)
		return -ENOMEM;
	if (!s->root.sp)
		return -EINVAL;
	shadow__translate(s, gva, access, 0, &x);
	if (x.mmio) {
		/* handle_mmio_page_fault(): a reserved-bit fault on an MMIO SPTE goes straight to
		 * the emulator, outside kvm_mmu_do_page_fault(), so no pf_* counter moves. */
		s->exit_open = true;
		return SHADOW_PF_EMULATE;
	}
	if (x.error_code & PF_ERR_P)
		error_code |= PF_ERR_P;

	/* kvm_mmu_do_page_fault() */
	s->st.pf_taken++;
	r = page_fault(s, gva, error_code, pf_error);
	if (r == SHADOW_PF_FIXED)
		s->st.pf_fixed++;
	else if (r == SHADOW_PF_EMULATE)
		s->st.pf_emulate++;
	else if (r == SHADOW_PF_SPURIOUS)
		s->st.pf_spurious++;
	if (r < 0)
		return r;
	if (r == SHADOW_PF_EMULATE) {
		s->exit_open = true; /* the emulator runs before the vCPU re-enters */
		return r;
	}
	e = enter_guest(s);
	return e < 0 ? e : r;
}

static void xlate_fault(struct shadow_xlate *x, unsigned access, bool present)
{
	x->ok = false;
	x->error_code = (access & (PF_ERR_W | PF_ERR_U | PF_ERR_I)) | (present ? PF_ERR_P : 0) |
			(x->mmio ? PF_ERR_RSVD | PF_ERR_P : 0);
}

int shadow__translate(struct shadow *s, gva_t gva, unsigned access, unsigned flags,
		      struct shadow_xlate *x)
{
	struct shadow_page *sp = s->root.sp;
	unsigned level, idx;
	uint64_t spte;

	memset(x, 0, sizeof(*x));
	if (!sp)
		return -EINVAL;
	for (level = sp->role.level;; level--) {
		struct shadow_walk_step *st = &x->step[x->nsteps++];

		idx = pt_index(gva, level);
		spte = spt_get(sp, idx);
		*st = (struct shadow_walk_step){level, sp_hpa(s, sp), sp_hpa(s, sp) + idx * 8,
						spte};
		if (!spte_present(spte)) {
			x->mmio = spte & SPTE_MMIO;
			xlate_fault(x, access, false);
			return 0;
		}
		if (spte_last(spte, level))
			break;
		sp = sp_child(s, spte);
	}
	x->leaf_level = level;
	if (((access & PF_ERR_W) && !(spte & PTE_RW)) ||
	    ((access & PF_ERR_U) && !(spte & PTE_US)) || ((access & PF_ERR_I) && (spte & PTE_NX))) {
		xlate_fault(x, access, true);
		return 0;
	}
	x->ok = true;
	x->gpa = gfn_to_gpa(sp_gfn_at(sp, idx)) + (gva & (pt_level_size(level) - 1));
	x->hpa = pfn_to_hpa(spte_pfn(spte) & ~(pages_per_level(level) - 1)) +
		 (gva & (pt_level_size(level) - 1));
	if (flags & SHADOW_XLATE_SET_AD) {
		/* the processor sets A in each entry it uses and D in the leaf of a write */
		struct shadow_page *p = s->root.sp;

		for (unsigned i = 0; i < x->nsteps; i++) {
			unsigned l = x->step[i].level, j = pt_index(gva, l);
			uint64_t e = spt_get(p, j) | PTE_A; /* present: rewritten in place */

			if (i + 1 == x->nsteps && (access & PF_ERR_W))
				e |= PTE_D;
			spt_set(s, p, j, e);
			x->step[i].spte = e;
			if (i + 1 < x->nsteps)
				p = sp_child(s, e);
		}
	}
	return 0;
}
