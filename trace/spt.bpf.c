// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's shadow and TDP page tables (CO-RE, raw BTF tracepoints): shadow pages
 * created or found, synced, unsynced and zapped, SPTEs changed outside the
 * shadow fault of walk.bpf.c (the lockless fast path, the TDP MMU, huge page
 * splits), MMIO faults and the fast zap of every page. One record per event;
 * none ends the thread's walk in progress (kvm_mmu_get_page comes between
 * the walk and the SPTE in a shadow fault). Those that take the vCPU from the
 * thread (thread_vcpu) write a shadow fault it holds first.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/events_kvm.h"
#include "trace/state.bpf.h"

struct mmu_page_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_mmu_page b;
};

struct fast_pf_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_fast_page_fault b;
};

struct tdp_spte_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_tdp_spte_changed b;
};

struct split_huge_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_split_huge_page b;
};

struct mmio_pf_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_mmio_pf b;
};

struct zap_all_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_zap_all_fast b;
};

/* ---- shadow pages ---- */

static __always_inline int mmu_page(__u16 id, struct kvm_mmu_page *sp, bool created)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mmu_page_rec *r;
	__u16 vcpu;

	if (!traced(task))
		return 0;
	vcpu = thread_vcpu(task);
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, id, sizeof(*r), SRC_KVM, vcpu, bpf_ktime_get_ns());
	r->b.gfn = BPF_CORE_READ(sp, gfn);
	r->b.role = BPF_CORE_READ(sp, role.word);
	r->b.created = created;
	r->b.root_count = BPF_CORE_READ(sp, root_count);
	r->b.unsync = BPF_CORE_READ(sp, unsync);
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

SEC("tp_btf/kvm_mmu_get_page")
int BPF_PROG(mv_get_page, struct kvm_mmu_page *sp, bool created)
{
	return mmu_page(EVK_MMU_GET_PAGE, sp, created);
}

SEC("tp_btf/kvm_mmu_sync_page")
int BPF_PROG(mv_sync_page, struct kvm_mmu_page *sp)
{
	return mmu_page(EVK_MMU_SYNC_PAGE, sp, false);
}

SEC("tp_btf/kvm_mmu_unsync_page")
int BPF_PROG(mv_unsync_page, struct kvm_mmu_page *sp)
{
	return mmu_page(EVK_MMU_UNSYNC_PAGE, sp, false);
}

SEC("tp_btf/kvm_mmu_prepare_zap_page")
int BPF_PROG(mv_zap_page, struct kvm_mmu_page *sp)
{
	return mmu_page(EVK_MMU_PREPARE_ZAP_PAGE, sp, false);
}

/* ---- SPTEs changed outside the shadow fault ---- */

/* The vCPU comes with the event: no walk state is looked up (nor a held fault written). */
SEC("tp_btf/fast_page_fault")
int BPF_PROG(mv_fast_pf, struct kvm_vcpu *vcpu, struct kvm_page_fault *fault, u64 *sptep,
	     u64 old_spte, int ret)
{
	struct fast_pf_rec *r;

	if (!traced(bpf_get_current_task_btf()))
		return 0;
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_FAST_PAGE_FAULT, sizeof(*r), SRC_KVM, (__u16)vcpu->vcpu_id,
		bpf_ktime_get_ns());
	r->b.addr = BPF_CORE_READ(fault, addr);
	r->b.error_code = BPF_CORE_READ(fault, error_code);
	r->b.sptep = (__u64)sptep;
	r->b.old_spte = old_spte;
	if (bpf_probe_read_kernel(&r->b.new_spte, sizeof(r->b.new_spte), sptep))
		r->b.new_spte = 0;
	r->b.ret = (__u64)(__s64)ret;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

SEC("tp_btf/kvm_tdp_mmu_spte_changed")
int BPF_PROG(mv_tdp_spte, int as_id, gfn_t gfn, int level, u64 old_spte, u64 new_spte)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tdp_spte_rec *r;
	__u16 vcpu;

	if (!traced(task))
		return 0;
	vcpu = thread_vcpu(task);
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_TDP_MMU_SPTE_CHANGED, sizeof(*r), SRC_KVM, vcpu, bpf_ktime_get_ns());
	r->b.gfn = gfn;
	r->b.old_spte = old_spte;
	r->b.new_spte = new_spte;
	r->b.as_id = as_id;
	r->b.level = level;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

SEC("tp_btf/kvm_mmu_split_huge_page")
int BPF_PROG(mv_split_huge, u64 gfn, u64 spte, int level, int err)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct split_huge_rec *r;
	__u16 vcpu;

	if (!traced(task))
		return 0;
	vcpu = thread_vcpu(task);
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_MMU_SPLIT_HUGE_PAGE, sizeof(*r), SRC_KVM, vcpu, bpf_ktime_get_ns());
	r->b.gfn = gfn;
	r->b.spte = spte;
	r->b.error = (__u64)(__s64)err;
	r->b.level = level;
	r->b.pad = 0;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

/* ---- MMIO, and every page at once ---- */

SEC("tp_btf/handle_mmio_page_fault")
int BPF_PROG(mv_mmio_pf, u64 addr, gfn_t gfn, unsigned int access)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mmio_pf_rec *r;
	__u16 vcpu;

	if (!traced(task))
		return 0;
	vcpu = thread_vcpu(task);
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_HANDLE_MMIO_PAGE_FAULT, sizeof(*r), SRC_KVM, vcpu, bpf_ktime_get_ns());
	r->b.addr = addr;
	r->b.gfn = gfn;
	r->b.access = access;
	r->b.pad = 0;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

SEC("tp_btf/kvm_mmu_zap_all_fast")
int BPF_PROG(mv_zap_all, struct kvm *kvm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct zap_all_rec *r;
	__u16 vcpu;

	if (!traced(task))
		return 0;
	vcpu = thread_vcpu(task);
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_MMU_ZAP_ALL_FAST, sizeof(*r), SRC_KVM, vcpu, bpf_ktime_get_ns());
	r->b.mmu_valid_gen = BPF_CORE_READ(kvm, arch.mmu_valid_gen);
	r->b.mmu_used_pages = BPF_CORE_READ(kvm, arch.n_used_mmu_pages);
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}
