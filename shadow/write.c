// SPDX-License-Identifier: GPL-2.0
/*
 * Guest writes to shadowed tables in the KVM shadow MMU model: kvm_mmu_pte_write() with
 * detect_write_misaligned() and detect_write_flooding(), and kvm_mmu_unprotect_page(), from
 * Linux 6.1 arch/x86/kvm/mmu/mmu.c.
 */
#include "shadow/internal.h"

/* detect_write_misaligned(): a write that straddles entries or is narrower than 4 bytes
 * (except one aligned byte, as clear_bit() does) means the page is no longer a table. */
static bool write_misaligned(gpa_t gpa, unsigned bytes)
{
	unsigned offset = (unsigned)(gpa & X86_PAGE_MASK);

	if (!(offset & 7) && bytes == 1)
		return false;
	return ((offset ^ (offset + bytes - 1)) & ~7u) || bytes < 4;
}

/* detect_write_flooding(): the 3rd emulated write to an upper-level page since a fault last
 * walked through it (or it was found) says it is no longer a table. Last-level pages are
 * exempt: they can go unsync instead. */
static bool write_flooding(struct shadow_page *sp)
{
	if (sp->role.level == 1)
		return false;
	sp->write_flooding_count++;
	return sp->write_flooding_count >= SHADOW_FLOOD_WRITES;
}

/* mmu_pte_write_fetch_gpte(): with CR4.PAE=1 a 4-byte write is widened to its 8-byte entry;
 * the entry is read back from guest memory. Other widths give 0. */
static uint64_t written_gpte(struct shadow *s, gpa_t *gpa, unsigned *bytes, uint64_t value)
{
	uint64_t gentry = 0;

	if (*bytes == 4) {
		*gpa &= ~(gpa_t)7;
		*bytes = 8;
		if (s->ops.read(s->ctx, *gpa, &gentry))
			gentry = 0;
		return gentry;
	}
	return *bytes == 8 ? value : 0;
}

/*
 * kvm_mmu_pte_write(): for every shadow page of the written gfn, a misaligned or flooding
 * write zaps the page (mmu_flooded); otherwise the SPTE shadowing the written entry is zapped
 * (a child table only unlinked), counted in mmu_pde_zapped for a non-zero entry of an upper
 * level. Linux 6.1 never rebuilds the SPTE here: the next fault does.
 */
void shadow__guest_write(struct shadow *s, gpa_t gpa, uint64_t value, unsigned bytes)
{
	gfn_t gfn = gpa_to_gfn(gpa);
	bool flush = false;
	uint64_t gentry;

	if (s->oom || !bytes || bytes > 8)
		return;
	s->exit_open = false; /* this store is part of the exit that asked for it */
	if (!s->indirect_shadow_pages)
		goto out;
	gentry = written_gpte(s, &gpa, &bytes, value);
	s->st.mmu_pte_write++;
	for (struct shadow_page *sp = hash_first(s, gfn); sp; sp = sp->hash_next) {
		unsigned idx;
		uint64_t entry;

		if (sp->role.invalid || sp->gfn != gfn || !sp_has_gptes(sp))
			continue;
		if (write_misaligned(gpa, bytes) || write_flooding(sp)) {
			prepare_zap(s, sp, NULL);
			s->st.mmu_flooded++;
			continue;
		}
		idx = (unsigned)(gpa & X86_PAGE_MASK) / 8;
		entry = spt_get(sp, idx);
		zap_pte(s, sp, idx);
		if (gentry && sp->role.level != 1)
			s->st.mmu_pde_zapped++;
		if (spte_present(entry))
			flush = true;
	}
	remote_flush_or_zap(s, flush);
out:
	enter_guest(s);
}

/* kvm_mmu_unprotect_page(): zap every shadow page of @gfn (KVM does this when it unprotects a
 * page and retries the instruction instead of emulating it). */
unsigned shadow__table_freed(struct shadow *s, gfn_t gfn)
{
	unsigned n = 0;

	close_exit(s);
	if (s->oom)
		return 0;
	for (struct shadow_page *sp = hash_first(s, gfn); sp; sp = sp->hash_next) {
		if (sp->role.invalid || sp->gfn != gfn || !sp_has_gptes(sp))
			continue;
		prepare_zap(s, sp, NULL);
		n++;
	}
	commit_zap(s);
	enter_guest(s);
	return n;
}
