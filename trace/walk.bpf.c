// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walks done by KVM's shadow MMU and the shadow fault they
 * end (CO-RE, raw BTF tracepoints). A walk is folded in the kernel into one
 * record from kvm_mmu_pagetable_walk, one kvm_mmu_paging_element per level
 * and kvm_mmu_walker_error, and classified by what ends it: walks of the
 * shadow page-fault path (ended by kvm_mmu_spte_requested, kvm_mmu_set_spte
 * or walker_error) become records, walks made for KVM's instruction emulator
 * are only counted (unless trace_all). kvm_mmu_spte_requested holds the
 * fault's records in the thread's walk state and kvm_mmu_set_spte writes
 * them with its own as one ring sample (state.bpf.h, "Bundles").
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/events_kvm.h"
#include "trace/state.bpf.h"

struct ad_bit_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_ad_bit b;
};

/*
 * The open walk ends in the shadow page-fault path (SPTE event, walker_error):
 * counted, and true when there was one, which the caller records.
 */
static __always_inline bool take_fault_walk(struct walk_state *s)
{
	struct kvm_ev_counts *c;

	if (!s || !s->active)
		return false;
	s->active = 0;
	c = vcpu_counts(s->hdr.cpu);
	if (c)
		c->fault_walks++;
	return true;
}

/* ---- the guest page-table walk, aggregated ---- */

SEC("tp_btf/kvm_mmu_pagetable_walk")
int BPF_PROG(mv_walk, u64 addr, u32 pferr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct walk_state *s;

	if (!traced(task))
		return 0;
	s = thread_walk_create(task);
	if (!s) {
		count_drop(SRC_KVM);
		return 0;
	}
	/* The held fault's walk is in s->walk, about to be reused. */
	flush_fault(s);
	if (take_emulator_walk(s))
		emit_walk(s);
	/*
	 * gup_pending survives the walk: a get_user_pages fault that breaks COW
	 * (the host zero page behind a guest read) invalidates KVM's mapping of
	 * the page through the MMU notifier, so the fault is stale and retried
	 * from a new walk; its kvm_mmu_spte_requested comes only then.
	 * An exception fault that charged nothing (a zero-page read) ends here.
	 */
	s->exc_pending = 0;
	s->hdr.type = EVK_MMU_WALK;
	s->hdr.size = sizeof(s->hdr) + sizeof(s->walk);
	s->hdr.source = SRC_KVM;
	/* Simplification: a thread runs one vCPU for its whole life, as VMMs do. */
	if (!s->vcpu_known) {
		s->hdr.cpu = running_vcpu_id(task);
		s->vcpu_known = thread_in_kvm_run(task);
	}
	s->hdr.ts = bpf_ktime_get_ns();
	__builtin_memset(&s->walk, 0, sizeof(s->walk));
	s->walk.addr = addr;
	s->walk.pferr = pferr;
	s->walk.tid = task->pid;
	s->active = 1;
	return 0;
}

/* Only threads of traced processes have walk state: no pid check needed. */
SEC("tp_btf/kvm_mmu_paging_element")
int BPF_PROG(mv_walk_elem, u64 pte, int level)
{
	struct walk_state *s = thread_walk(bpf_get_current_task_btf());
	__u32 n;

	if (!s || !s->active)
		return 0;
	/* An exception fault reading this entry is over: its charge, if any, came. */
	s->exc_pending = 0;
	n = s->walk.levels;
	/* A walk that restarts (A/D update raced, retry_walk) begins again at the top. */
	if (n > 0 && n <= KVM_WALK_MAX_LEVELS && (__u32)level >= s->walk.level[walk_idx(n - 1)])
		n = 0;
	if (n >= KVM_WALK_MAX_LEVELS)
		return 0;
	n = walk_idx(n);
	s->walk.pte[n] = pte;
	s->walk.level[n] = level;
	s->walk.levels = n + 1;
	return 0;
}

SEC("tp_btf/kvm_mmu_walker_error")
int BPF_PROG(mv_walk_err, u32 pferr)
{
	struct walk_state *s = thread_walk(bpf_get_current_task_btf());

	if (!s || !s->active)
		return 0;
	flush_fault(s);
	s->walk.error = pferr;
	s->walk.failed = 1;
	if (take_fault_walk(s))
		emit_walk(s);
	return 0;
}

/* Accessed/dirty updates happen inside the walk: recorded, the walk stays open. */
static __always_inline int ad_bit(__u16 id, unsigned long table_gfn, unsigned int index,
				  unsigned int size)
{
	struct walk_state *s = thread_walk(bpf_get_current_task_btf());
	struct ad_bit_rec *r;

	/* Inside a walk: the thread is traced and its state holds the vCPU. */
	if (!s)
		return 0;
	flush_fault(s);
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, id, sizeof(*r), SRC_KVM, s->hdr.cpu, bpf_ktime_get_ns());
	r->b.table_gfn = table_gfn;
	r->b.index = index;
	r->b.size = size;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

SEC("tp_btf/kvm_mmu_set_accessed_bit")
int BPF_PROG(mv_set_accessed, unsigned long table_gfn, unsigned int index, unsigned int size)
{
	return ad_bit(EVK_MMU_SET_ACCESSED_BIT, table_gfn, index, size);
}

SEC("tp_btf/kvm_mmu_set_dirty_bit")
int BPF_PROG(mv_set_dirty, unsigned long table_gfn, unsigned int index, unsigned int size)
{
	return ad_bit(EVK_MMU_SET_DIRTY_BIT, table_gfn, index, size);
}

/*
 * ---- the shadow fault's SPTE ----
 * kvm_mmu_spte_requested and kvm_mmu_set_spte end the walk in progress as a
 * fault walk; the page events of spt.bpf.c leave it open
 * (kvm_mmu_get_page comes between the walk and the SPTE in a shadow fault).
 */

/*
 * The shadow fault's request: it ends the walk (a fault walk), and reports
 * the host page charged since the last report (KVM's get_user_pages faulted
 * the frame in: a host_gup_fault with the frame KVM got). All three wait in
 * the thread's state for the fault's kvm_mmu_set_spte, which writes them
 * with its own record in one ring sample; the request and gup records carry
 * this event's time.
 */
SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(mv_spte_req, struct kvm_page_fault *fault)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kvm_memory_slot *slot;
	struct spte_req_rec *r;
	struct walk_state *s;

	if (!traced(task))
		return 0;
	s = thread_walk(task);
	if (!s) {
		/* A thread that never walked (TDP): no state to hold the fault in. */
		r = rec_reserve(sizeof(*r), SRC_KVM);
		if (!r)
			return 0;
		rec_hdr(&r->h, EVK_MMU_SPTE_REQUESTED, sizeof(*r), SRC_KVM, running_vcpu_id(task),
			bpf_ktime_get_ns());
		r->b.gfn = fault->gfn;
		r->b.pfn = fault->pfn;
		r->b.level = fault->goal_level;
		r->b.pad = 0;
		bpf_ringbuf_submit(r, wakeup_flag());
		return 0;
	}
	flush_fault(s);
	s->fault_parts = PART_REQ | (take_fault_walk(s) ? PART_WALK : 0);
	s->req_ts = bpf_ktime_get_ns();
	s->req.gfn = fault->gfn;
	s->req.pfn = fault->pfn;
	s->req.level = fault->goal_level;
	s->req.pad = 0;
	if (!s->gup_pending)
		return 0;
	s->gup_pending = 0;
	slot = fault->slot;
	s->gup.gfn = fault->gfn;
	s->gup.pfn = fault->pfn;
	s->gup.hva = slot ? slot->userspace_addr + ((fault->gfn - slot->base_gfn) << 12) : 0;
	s->gup.member = s->gup_member;
	s->gup.tid = task->pid;
	s->gup_cpu = bpf_get_smp_processor_id();
	s->fault_parts |= PART_GUP;
	return 0;
}

/*
 * Writes the fault held since kvm_mmu_spte_requested with this record. A
 * set_spte without a request (prefetched neighbours) is a record alone, or
 * with the walk it ends.
 */
SEC("tp_btf/kvm_mmu_set_spte")
int BPF_PROG(mv_set_spte, int level, gfn_t gfn, u64 *sptep)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kvm_ev_set_spte set = {.gfn = gfn, .sptep = (__u64)sptep, .level = level};
	struct set_spte_rec *r;
	struct walk_state *s;

	if (!traced(task))
		return 0;
	/* sptep is a plain u64 pointer in BTF, not a struct: no direct load. */
	if (bpf_probe_read_kernel(&set.spte, sizeof(set.spte), sptep))
		set.spte = 0;
	s = thread_walk(task);
	if (s) {
		if (take_fault_walk(s))
			s->fault_parts |= PART_WALK;
		emit_fault(s, &set, bpf_ktime_get_ns());
		return 0;
	}
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_MMU_SET_SPTE, sizeof(*r), SRC_KVM, running_vcpu_id(task),
		bpf_ktime_get_ns());
	r->b = set;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}
