// SPDX-License-Identifier: GPL-2.0
/*
 * The guest page-table walk of the KVM shadow MMU model, after FNAME(walk_addr_generic) in
 * Linux 6.1 arch/x86/kvm/mmu/paging_tmpl.h (PTTYPE 64): reserved bits, rights accumulated over
 * the levels, the permission check, and the accessed/dirty bits KVM sets on the way.
 */
#include <errno.h>
#include <string.h>

#include "shadow/internal.h"

static uint64_t bits(unsigned lo, unsigned hi)
{
	return ((~0ULL) >> (63 - hi)) & ~((1ULL << lo) - 1);
}

/*
 * __reset_rsvds_bits_mask() for 4- and 5-level paging with EFER.NXE=1 (bit 63 usable), Intel
 * layout: address bits above MAXPHYADDR everywhere; PS reserved in PML5E and PML4E; PS in a
 * PDPTE reserved without 1G pages; bits 13..29 of a 1G leaf and 13..20 of a 2M leaf.
 * Index [PS bit][level - 1]; a PTE's bit 7 is PAT, so both rows are the same at level 1.
 */
void walk_init_rsvd(struct shadow *s)
{
	uint64_t high = s->cfg.maxphyaddr < 52 ? bits(s->cfg.maxphyaddr, 51) : 0;
	uint64_t gb = s->cfg.gbpages ? 0 : PTE_PS;

	memset(s->rsvd, 0, sizeof(s->rsvd));
	s->rsvd[0][4] = s->rsvd[1][4] = high | PTE_PS;
	s->rsvd[0][3] = s->rsvd[1][3] = high | PTE_PS;
	s->rsvd[0][2] = high | gb;
	s->rsvd[1][2] = high | gb | bits(13, 29);
	s->rsvd[0][1] = high;
	s->rsvd[1][1] = high | bits(13, 20);
	s->rsvd[0][0] = s->rsvd[1][0] = high;
}

bool gpte_rsvd(const struct shadow *s, uint64_t gpte, unsigned level)
{
	return gpte & s->rsvd[(gpte >> 7) & 1][level - 1];
}

/* FNAME(gpte_access): RW and US as they are, execute unless NX. */
unsigned gpte_access(uint64_t gpte)
{
	unsigned acc = 0;

	if (gpte & PTE_RW)
		acc |= SHADOW_ACC_WRITE;
	if (gpte & PTE_US)
		acc |= SHADOW_ACC_USER;
	if (!(gpte & PTE_NX))
		acc |= SHADOW_ACC_EXEC;
	return acc;
}

/* FNAME(protect_clean_gpte): a clean leaf is mapped read-only, so the first write faults and
 * KVM can set the guest's dirty bit. */
void protect_clean_gpte(unsigned *access, uint64_t gpte)
{
	if (!(gpte & PTE_D))
		*access &= ~SHADOW_ACC_WRITE;
}

/* permission_fault() with CR0.WP=1, EFER.NXE=1, CR4.SMEP=CR4.SMAP=0 (update_permission_bitmask). */
static bool permission_fault(unsigned acc, uint32_t access)
{
	if ((access & PF_ERR_W) && !(acc & SHADOW_ACC_WRITE))
		return true;
	if ((access & PF_ERR_U) && !(acc & SHADOW_ACC_USER))
		return true;
	if ((access & PF_ERR_I) && !(acc & SHADOW_ACC_EXEC))
		return true;
	return false;
}

/*
 * FNAME(update_accessed_dirty_bits): A on every entry of the walk, D on the leaf of a write,
 * written straight into guest memory (no write tracking sees it). 0, 1 when an entry changed
 * under us (walk again), or -EFAULT.
 */
static int update_accessed_dirty(struct shadow *s, struct guest_walk *w, bool write)
{
	for (unsigned level = w->max_level; level >= w->level; level--) {
		uint64_t pte = w->ptes[level - 1], orig = pte;

		pte |= PTE_A;
		if (level == w->level && write)
			pte |= PTE_D;
		if (pte == orig)
			continue;
		if (s->ops.cmpxchg) {
			int r = s->ops.cmpxchg(s->ctx, w->pte_gpa[level - 1], orig, pte);

			if (r == -EAGAIN)
				return 1;
			if (r)
				return -EFAULT;
		}
		w->ptes[level - 1] = pte;
	}
	return 0;
}

static bool walk_error(struct guest_walk *w, uint32_t errcode, uint32_t access)
{
	/* The error code: what failed, plus W and U of the access, and I since EFER.NXE=1. */
	w->error_code = errcode | (access & (PF_ERR_W | PF_ERR_U | PF_ERR_I));
	return false;
}

/*
 * Walk the guest tables from CR3 for @gva and @access (PF_ERR_W, PF_ERR_U, PF_ERR_I). True
 * with @w filled; false with w->error_code set when the guest's own tables refuse the access.
 */
bool walk_guest(struct shadow *s, gva_t gva, uint32_t access, struct guest_walk *w)
{
	bool write = access & PF_ERR_W;
	unsigned retries = 0;

retry:
	memset(w, 0, sizeof(*w));
	{
		unsigned level = s->cfg.levels, acc = SHADOW_ACC_ALL;
		uint64_t pte = s->cr3;
		bool accessed = true, accessed_dirty;
		gfn_t table;

		w->max_level = level;
		for (;;) {
			unsigned above = acc;

			table = (pte & PTE_ADDR_MASK) >> X86_PAGE_SHIFT;
			w->table_gfn[level - 1] = table;
			w->pte_gpa[level - 1] = gfn_to_gpa(table) + pt_index(gva, level) * 8;
			if (s->ops.read(s->ctx, w->pte_gpa[level - 1], &pte))
				return walk_error(w, 0, access);
			acc &= gpte_access(pte);
			if (!(pte & PTE_P))
				return walk_error(w, 0, access);
			if (gpte_rsvd(s, pte, level))
				return walk_error(w, PF_ERR_RSVD | PF_ERR_P, access);
			w->ptes[level - 1] = pte;
			w->pt_access[level - 1] = above;
			accessed = accessed && (pte & PTE_A);
			if (level == 1 || (pte & PTE_PS))
				break;
			level--;
		}
		w->level = level;
		w->pte_access = acc;
		if (permission_fault(acc, access))
			return walk_error(w, PF_ERR_P, access);

		/* gpte_to_gfn_lvl() plus the offset bits below a huge leaf */
		w->gfn = ((pte & PTE_ADDR_MASK & ~(pt_level_size(level) - 1)) +
			  (gva & (pt_level_size(level) - 1) & ~X86_PAGE_MASK)) >>
			 X86_PAGE_SHIFT;

		if (!write) {
			protect_clean_gpte(&w->pte_access, pte);
			accessed_dirty = accessed;
		} else {
			accessed_dirty = accessed && (pte & PTE_D);
		}
		if (!accessed_dirty) {
			int r = update_accessed_dirty(s, w, write);

			/* Simplification: KVM retries without bound */
			if (r > 0 && ++retries < 64)
				goto retry;
			if (r > 0)
				return walk_error(w, 0, access);
			if (r < 0)
				return walk_error(w, 0, access);
		}
	}
	return true;
}
