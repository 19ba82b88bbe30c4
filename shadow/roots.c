// SPDX-License-Identifier: GPL-2.0
/*
 * Roots, CR3 loads and vCPU entry in the KVM shadow MMU model: the root cache of Linux 6.1
 * arch/x86/kvm/mmu/mmu.c (kvm_mmu_new_pgd, kvm_mmu_load, kvm_mmu_free_roots,
 * kvm_mmu_sync_roots) and the request handling of arch/x86/kvm/x86.c (kvm_set_cr3,
 * kvm_invalidate_pcid, vcpu_enter_guest).
 */
#include <errno.h>

#include "shadow/internal.h"

/* mmu_free_root_page(): drop one reference; a zapped root goes with its last one. */
void free_root(struct shadow *s, struct root_info *ri)
{
	struct shadow_page *sp = ri->sp;

	if (!sp)
		return;
	if (!--sp->root_count && sp->role.invalid)
		prepare_zap(s, sp, NULL);
	ri->sp = NULL;
}

/* is_root_usable(): same pgd, and the page still has the MMU's role (so it is not invalid). */
static bool root_usable(const struct shadow *s, const struct root_info *ri, gpa_t pgd)
{
	return ri->sp && ri->pgd == pgd && ri->sp->role.word == s->root_role.word;
}

static void swap_root(struct root_info *a, struct root_info *b)
{
	struct root_info t = *a;

	*a = *b;
	*b = t;
}

/*
 * fast_pgd_switch(): cached_root_find_and_keep_current() rotates the current root into the
 * previous-roots cache (most recent first) looking for @pgd and, when it is not there, frees
 * the least recent; cached_root_find_without_current() when no root is loaded.
 */
static bool fast_pgd_switch(struct shadow *s, gpa_t pgd)
{
	unsigned i;

	if (s->root.sp) {
		if (root_usable(s, &s->root, pgd))
			return true;
		for (i = 0; i < SHADOW_NUM_PREV_ROOTS; i++) {
			swap_root(&s->root, &s->prev[i]);
			if (root_usable(s, &s->root, pgd))
				return true;
		}
		free_root(s, &s->root);
		commit_zap(s);
		return false;
	}
	for (i = 0; i < SHADOW_NUM_PREV_ROOTS; i++)
		if (root_usable(s, &s->prev[i], pgd))
			break;
	if (i == SHADOW_NUM_PREV_ROOTS)
		return false;
	swap_root(&s->root, &s->prev[i]);
	for (; i < SHADOW_NUM_PREV_ROOTS - 1; i++)
		s->prev[i] = s->prev[i + 1];
	s->prev[i].sp = NULL;
	return true;
}

/* kvm_mmu_new_pgd(): a cached root is reused and its flood count cleared; otherwise the root
 * stays invalid and kvm_mmu_load() builds one at entry. */
static void new_pgd(struct shadow *s, gpa_t pgd)
{
	if (!fast_pgd_switch(s, pgd))
		return;
	s->root.sp->write_flooding_count = 0;
}

static bool unsync_root(const struct shadow_page *sp)
{
	return sp && (sp->unsync || sp->unsync_children);
}

/* kvm_mmu_sync_roots(): sync every unsync page below the current root. */
void sync_roots(struct shadow *s)
{
	if (!unsync_root(s->root.sp))
		return;
	sync_children(s, s->root.sp);
}

/* kvm_mmu_sync_prev_roots(): cached roots with unsync pages are simply dropped. */
static void sync_prev_roots(struct shadow *s)
{
	for (unsigned i = 0; i < SHADOW_NUM_PREV_ROOTS; i++)
		if (unsync_root(s->prev[i].sp))
			free_root(s, &s->prev[i]);
	commit_zap(s);
}

/* __kvm_mmu_free_obsolete_roots(): roots zapped while in use are dropped. */
static void free_obsolete_roots(struct shadow *s)
{
	if (s->root.sp && s->root.sp->role.invalid)
		free_root(s, &s->root);
	for (unsigned i = 0; i < SHADOW_NUM_PREV_ROOTS; i++)
		if (s->prev[i].sp && s->prev[i].sp->role.invalid)
			free_root(s, &s->prev[i]);
	commit_zap(s);
}

/*
 * kvm_mmu_load() -> mmu_alloc_shadow_roots(): the root shadow page for CR3 (found or created,
 * counted by kvm_mmu_get_page), referenced, then synced; the TLB flush it ends with is not a
 * counted one (kvm_x86_flush_tlb_current is called directly).
 */
static int mmu_load(struct shadow *s)
{
	pfn_t pfn;
	unsigned level;
	bool writable;
	struct shadow_page *sp;

	/* mmu_check_root(): CR3 outside guest RAM is a triple fault */
	if (s->ops.host_page(s->ctx, gpa_to_gfn(s->cr3), SHADOW_HOST_QUERY, &pfn, &level,
			     &writable))
		return -EFAULT;
	if (make_pages_available(s))
		return -ENOSPC;
	sp = get_shadow_page(s, gpa_to_gfn(s->cr3), s->root_role);
	if (!sp)
		return -ENOMEM;
	sp->root_count++;
	s->root = (struct root_info){s->cr3, sp};
	sync_roots(s);
	return 0;
}

/*
 * vcpu_enter_guest(): the requests raised since the last entry, in KVM's order, then
 * kvm_mmu_reload(). Requests raised meanwhile send the vCPU round again before it enters
 * (kvm_vcpu_exit_request()). Each flush request serviced is one tlb_flush; flushing all also
 * satisfies a pending flush of the current context.
 */
int enter_guest(struct shadow *s)
{
	int r = 0;

	s->exit_open = false;
	for (unsigned round = 0; round < 8 && !s->oom; round++) {
		unsigned req = s->requests;

		if (!req && (s->root.sp || !s->cr3_loaded))
			break;
		s->requests = 0;
		if (req & REQ_FREE_OBSOLETE_ROOTS)
			free_obsolete_roots(s);
		if (req & REQ_MMU_SYNC)
			sync_roots(s);
		/* sync_roots() may raise a flush: it is serviced in this same round */
		req |= s->requests & (REQ_TLB_FLUSH | REQ_TLB_FLUSH_CURRENT);
		s->requests &= ~(REQ_TLB_FLUSH | REQ_TLB_FLUSH_CURRENT);
		if (req & REQ_TLB_FLUSH) {
			s->st.tlb_flush++; /* kvm_vcpu_flush_tlb_all() */
			req &= ~REQ_TLB_FLUSH_CURRENT;
		}
		if (req & REQ_TLB_FLUSH_CURRENT)
			s->st.tlb_flush++; /* kvm_vcpu_flush_tlb_current() */
		if (req & REQ_TLB_FLUSH_GUEST) {
			s->st.tlb_flush++; /* kvm_vcpu_flush_tlb_guest() */
			sync_roots(s);
			sync_prev_roots(s);
		}
		if (!s->root.sp && s->cr3_loaded) {
			r = mmu_load(s);
			if (r)
				break;
		}
	}
	return s->oom ? -ENOMEM : r;
}

/* A fault that asked for emulation ends with the next call: the vCPU enters then. */
void close_exit(struct shadow *s)
{
	if (s->exit_open)
		enter_guest(s);
}

/*
 * kvm_set_cr3() with CR4.PCIDE=0: a new value switches roots (kvm_mmu_new_pgd); any load,
 * even of the same value, goes through kvm_invalidate_pcid(): sync the current root
 * (KVM_REQ_MMU_SYNC) and flush its TLB (KVM_REQ_TLB_FLUSH_CURRENT).
 */
int shadow__cr3_load(struct shadow *s, gpa_t cr3)
{
	gpa_t pgd = cr3 & PTE_ADDR_MASK;

	close_exit(s);
	if (s->oom)
		return -ENOMEM;
	if (!s->cr3_loaded || pgd != s->cr3)
		new_pgd(s, pgd);
	s->cr3 = pgd;
	s->cr3_loaded = true;
	s->requests |= REQ_MMU_SYNC | REQ_TLB_FLUSH_CURRENT;
	return enter_guest(s);
}

/* KVM_REQ_TLB_FLUSH_GUEST (kvm_vcpu_flush_tlb_guest): with shadow paging, a sync of the current
 * root and the cached roots. */
void shadow__flush_guest_tlb(struct shadow *s)
{
	close_exit(s);
	if (s->oom)
		return;
	s->requests |= REQ_TLB_FLUSH_GUEST;
	enter_guest(s);
}
