// SPDX-License-Identifier: GPL-2.0
/*
 * The host's memory behind the guest (host_anon): anonymous private pages faulted in on first
 * touch as Linux does, and, in nested mode, KVM's TDP entries over them. The rules (Linux 6.1,
 * mm/memory.c and virt/kvm/kvm_main.c hva_to_pfn(); KVM's TDP MMU, arch/x86/kvm/mmu/):
 * - a read fault of a page never written maps the shared zero page, read-only;
 * - a write fault of a page never touched allocates it (no invalidation); of the zero page,
 *   breaks copy-on-write: the MMU notifier invalidates the old mapping, KVM drops its entries
 *   and the fault in progress is stale (RET_PF_RETRY), so the write faults again;
 * - a discarded page (MADV_DONTNEED) is invalidated the same way and reads as zero again.
 */
#include <errno.h>
#include <stdlib.h>

#include "sim/internal.h"

enum { HOST_ABSENT, HOST_ZERO, HOST_PRESENT }; /* bits 0-1 */
enum { TDP_NONE, TDP_RO, TDP_RW };	       /* bits 2-3 */

#define HOST_MASK 3u
#define TDP_SHIFT 2

/*
 * Tracked: with host_anon, and for the inputs that carry the guest's own faults and unmaps
 * (a replay, churn and pingpong on the synthetic guest OS), whose TDP entries and discards
 * then follow the guest; without host_anon every host page is present and writable.
 */
int machine__host_init(struct machine *m)
{
	const struct sim_machine_config *c = m->c;

	if (!c->host_anon && c->input != SIM_IN_REPLAY && c->input != SIM_IN_WORKLOAD)
		return 0;
	m->hstate_n = m->ram_end >> X86_PAGE_SHIFT;
	m->hstate = calloc(m->hstate_n, 1); /* large: untouched pages cost nothing */
	return m->hstate ? 0 : -ENOMEM;
}

void machine__host_free(struct machine *m)
{
	free(m->hstate);
	m->hstate = NULL;
}

/* The guest kernel wrote the frame (a page table it built): its own host page now. */
void machine__host_written(struct machine *m, gfn_t gfn)
{
	if (m->hstate && gfn < m->hstate_n)
		m->hstate[gfn] = (uint8_t)((m->hstate[gfn] & ~HOST_MASK) | HOST_PRESENT);
}

int machine__host_fault(struct machine *m, gfn_t gfn, enum shadow_host_access acc, pfn_t *pfn,
			bool *writable)
{
	uint8_t *h;

	if (gfn >= m->ram_end >> X86_PAGE_SHIFT)
		return -ENOENT;
	*pfn = gfn + (SIM_HOST_OFFSET >> X86_PAGE_SHIFT);
	*writable = true;
	if (!m->hstate || !m->c->host_anon || acc == SHADOW_HOST_QUERY)
		return 0;
	if (gfn >= m->hstate_n)
		return -ENOENT;
	h = &m->hstate[gfn];
	switch (acc) {
	case SHADOW_HOST_READ:
		if ((*h & HOST_MASK) == HOST_ABSENT) {
			*h = (uint8_t)((*h & ~HOST_MASK) | HOST_ZERO);
			m->tdp.zero_maps++;
		}
		break;
	case SHADOW_HOST_WRITE:
		if ((*h & HOST_MASK) == HOST_ZERO) {
			*h = (uint8_t)((*h & ~HOST_MASK) | HOST_PRESENT);
			m->tdp.cow_breaks++;
			return SHADOW_HOST_INVALIDATED;
		}
		*h = (uint8_t)((*h & ~HOST_MASK) | HOST_PRESENT);
		break;
	default: /* atomic: only a page the host maps writable now */
		if ((*h & HOST_MASK) != HOST_PRESENT)
			return -EAGAIN;
	}
	if ((*h & HOST_MASK) == HOST_ZERO) {
		*pfn = SIM_HOST_ZERO_PAGE >> X86_PAGE_SHIFT;
		*writable = false;
	}
	return 0;
}

/* The gfn holding the state of @gfn's TDP entry: the first of its host page. */
static gfn_t tdp_key(const struct machine *m, gfn_t gfn)
{
	return m->c->hps == PAGE_2M ? gfn & ~(gfn_t)511 : gfn;
}

/* Nested: drop the TDP entry of @gfn if present; whether one was. */
static bool tdp_zap(struct machine *m, gfn_t gfn)
{
	uint8_t *h = &m->hstate[tdp_key(m, gfn)];

	if (!(*h >> TDP_SHIFT))
		return false;
	*h &= HOST_MASK;
	if (m->c->hps == PAGE_2M)
		m->tdp.pages_2m--;
	else
		m->tdp.pages_4k--;
	return true;
}

/*
 * Nested: the guest accesses @gfn (its data, or a table the hardware walks or the kernel
 * writes). No TDP entry allowing it is an NPT/EPT violation: the host page is faulted in and
 * mapped, read-only over the zero page; a write over the zero page breaks copy-on-write and
 * retries. With 2M host pages one entry maps the whole 2M page (host_anon takes 4K pages).
 */
void machine__tdp_access(struct machine *m, gfn_t gfn, bool write)
{
	unsigned t;
	bool writable;
	pfn_t pfn;

	if (!m->hstate || gfn >= m->hstate_n)
		return;
	gfn = tdp_key(m, gfn);
	for (unsigned tries = 0; tries < 4; tries++) {
		t = m->hstate[gfn] >> TDP_SHIFT;
		if (t == TDP_RW || (t == TDP_RO && !write))
			return;
		/* an NPT/EPT violation: a VM exit into KVM's MMU, charged as a #PF exit */
		m->tdp.pf_taken++;
		if (m->sim)
			sim__shadow_events(m->sim, SIM_SHADOW_PF_EXIT, 1, 0);
		else
			m->tdp_exits_pending++;
		if (machine__host_fault(m, gfn, write ? SHADOW_HOST_WRITE : SHADOW_HOST_READ, &pfn,
					&writable) == SHADOW_HOST_INVALIDATED) {
			if (tdp_zap(m, gfn))
				m->tdp.tlb_flush++;
			m->xgen++;
			continue; /* RET_PF_RETRY: the guest takes the fault again */
		}
		if (t == TDP_NONE && m->c->hps == PAGE_2M)
			m->tdp.pages_2m++;
		else if (t == TDP_NONE)
			m->tdp.pages_4k++;
		m->hstate[gfn] = (uint8_t)((m->hstate[gfn] & HOST_MASK) |
					   (writable ? TDP_RW : TDP_RO) << TDP_SHIFT);
		m->tdp.pf_fixed++;
		return;
	}
}

/*
 * The guest freed frames [gfn, gfn + n) and the VMM discarded them, in one exit with others
 * (one discard message): their host pages are dropped, and the MMU notifier's invalidation
 * drops what KVM maps of them. Returns whether any TDP entry was dropped.
 */
static bool host_discard(struct machine *m, gfn_t gfn, uint64_t n)
{
	bool zapped = false;

	if (gfn >= m->hstate_n)
		return false;
	if (n > m->hstate_n - gfn)
		n = m->hstate_n - gfn;
	m->tdp.discarded += n;
	for (uint64_t i = 0; i < n; i++) {
		zapped |= tdp_zap(m, gfn + i);
		m->hstate[gfn + i] &= (uint8_t)~HOST_MASK;
	}
	if (m->spt)
		machine__spt_host_unmap(m, gfn, n);
	return zapped;
}

/*
 * One discard message (one exit): its ranges dropped, then the vCPU enters again and serves
 * the flush requests the invalidations made, once.
 */
int machine__host_discard(struct machine *m, const gpa_t *start, const uint64_t *len, unsigned n)
{
	bool zapped = false;

	if (!m->hstate)
		return 0;
	for (unsigned i = 0; i < n; i++)
		zapped |= host_discard(m, start[i] >> X86_PAGE_SHIFT, len[i] >> X86_PAGE_SHIFT);
	if (zapped)
		m->tdp.tlb_flush++;
	m->xgen++;
	return m->spt ? machine__spt_vcpu_enter(m) : 0;
}
