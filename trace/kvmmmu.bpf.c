// SPDX-License-Identifier: GPL-2.0
/*
 * KVM MMU and host page-fault probes for one set of VMM processes (CO-RE,
 * raw BTF tracepoints). Guest page-table walks are folded in the kernel into
 * one per walk and classified by what ends them: walks of the shadow
 * page-fault path become records, walks made for KVM's instruction emulator
 * and the emulated instructions are only counted (unless trace_all). Records
 * go to a ring buffer that wakes the consumer only when it is more than half
 * full.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/events_kvm.h"
#include "trace/kvmmmu_state.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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

	/* Inside a walk: the thread is traced and its state holds the vCPU. */
	if (!s)
		return 0;
	flush_fault(s);
	RECORD(r, struct kvm_ev_ad_bit, id, SRC_KVM, s->hdr.cpu);
	r->b.table_gfn = table_gfn;
	r->b.index = index;
	r->b.size = size;
	SUBMIT(r);
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
 * ---- shadow MMU events ----
 * kvm_mmu_spte_requested and kvm_mmu_set_spte end the walk in progress as a
 * fault walk; the others leave it open (kvm_mmu_get_page comes between the
 * walk and the SPTE in a shadow fault).
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
	struct walk_state *s;

	if (!traced(task))
		return 0;
	s = thread_walk(task);
	if (!s) {
		/* A thread that never walked (TDP): no state to hold the fault in. */
		RECORD(r, struct kvm_ev_spte_requested, EVK_MMU_SPTE_REQUESTED, SRC_KVM,
		       running_vcpu_id(task));
		r->b.gfn = fault->gfn;
		r->b.pfn = fault->pfn;
		r->b.level = fault->goal_level;
		r->b.pad = 0;
		SUBMIT(r);
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
	RECORD(r, struct kvm_ev_set_spte, EVK_MMU_SET_SPTE, SRC_KVM, running_vcpu_id(task));
	r->b = set;
	SUBMIT(r);
	return 0;
}

static __always_inline int mmu_page(__u16 id, struct kvm_mmu_page *sp, bool created)
{
	KVM_RECORD(r, struct kvm_ev_mmu_page, id);
	r->b.gfn = BPF_CORE_READ(sp, gfn);
	r->b.role = BPF_CORE_READ(sp, role.word);
	r->b.created = created;
	r->b.root_count = BPF_CORE_READ(sp, root_count);
	r->b.unsync = BPF_CORE_READ(sp, unsync);
	SUBMIT(r);
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

SEC("tp_btf/fast_page_fault")
int BPF_PROG(mv_fast_pf, struct kvm_vcpu *vcpu, struct kvm_page_fault *fault, u64 *sptep,
	     u64 old_spte, int ret)
{
	if (!traced(bpf_get_current_task_btf()))
		return 0;
	RECORD(r, struct kvm_ev_fast_page_fault, EVK_FAST_PAGE_FAULT, SRC_KVM,
	       (__u16)vcpu->vcpu_id);
	r->b.addr = BPF_CORE_READ(fault, addr);
	r->b.error_code = BPF_CORE_READ(fault, error_code);
	r->b.sptep = (__u64)sptep;
	r->b.old_spte = old_spte;
	if (bpf_probe_read_kernel(&r->b.new_spte, sizeof(r->b.new_spte), sptep))
		r->b.new_spte = 0;
	r->b.ret = (__u64)(__s64)ret;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_tdp_mmu_spte_changed")
int BPF_PROG(mv_tdp_spte, int as_id, gfn_t gfn, int level, u64 old_spte, u64 new_spte)
{
	KVM_RECORD(r, struct kvm_ev_tdp_spte_changed, EVK_TDP_MMU_SPTE_CHANGED);
	r->b.gfn = gfn;
	r->b.old_spte = old_spte;
	r->b.new_spte = new_spte;
	r->b.as_id = as_id;
	r->b.level = level;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_mmu_split_huge_page")
int BPF_PROG(mv_split_huge, u64 gfn, u64 spte, int level, int err)
{
	KVM_RECORD(r, struct kvm_ev_split_huge_page, EVK_MMU_SPLIT_HUGE_PAGE);
	r->b.gfn = gfn;
	r->b.spte = spte;
	r->b.error = (__u64)(__s64)err;
	r->b.level = level;
	r->b.pad = 0;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/handle_mmio_page_fault")
int BPF_PROG(mv_mmio_pf, u64 addr, gfn_t gfn, unsigned int access)
{
	KVM_RECORD(r, struct kvm_ev_mmio_pf, EVK_HANDLE_MMIO_PAGE_FAULT);
	r->b.addr = addr;
	r->b.gfn = gfn;
	r->b.access = access;
	r->b.pad = 0;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_mmu_zap_all_fast")
int BPF_PROG(mv_zap_all, struct kvm *kvm)
{
	KVM_RECORD(r, struct kvm_ev_zap_all_fast, EVK_MMU_ZAP_ALL_FAST);
	r->b.mmu_valid_gen = BPF_CORE_READ(kvm, arch.mmu_valid_gen);
	r->b.mmu_used_pages = BPF_CORE_READ(kvm, arch.n_used_mmu_pages);
	SUBMIT(r);
	return 0;
}

/* ---- kvm: exits and entries (silent on some hosts, attached anyway) ---- */

static __always_inline __u64 vcpu_rip(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.regs[RIP_REG];
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(mv_kvm_exit, struct kvm_vcpu *vcpu, u32 isa)
{
	if (!traced(bpf_get_current_task_btf()))
		return 0;
	RECORD(r, struct kvm_ev_exit, EVK_KVM_EXIT, SRC_KVM, (__u16)vcpu->vcpu_id);
	r->b.rip = vcpu_rip(vcpu);
	r->b.isa = isa;
	r->b.pad = 0;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(mv_kvm_entry, struct kvm_vcpu *vcpu, bool immediate_exit)
{
	if (!traced(bpf_get_current_task_btf()))
		return 0;
	RECORD(r, struct kvm_ev_entry, EVK_KVM_ENTRY, SRC_KVM, (__u16)vcpu->vcpu_id);
	r->b.rip = vcpu_rip(vcpu);
	r->b.immediate_exit = immediate_exit;
	r->b.pad = 0;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_page_fault")
int BPF_PROG(mv_kvm_pf, struct kvm_vcpu *vcpu, u64 fault_address, u64 error_code)
{
	if (!traced(bpf_get_current_task_btf()))
		return 0;
	RECORD(r, struct kvm_ev_page_fault, EVK_KVM_PAGE_FAULT, SRC_KVM, (__u16)vcpu->vcpu_id);
	r->b.rip = vcpu_rip(vcpu);
	r->b.address = fault_address;
	r->b.error_code = error_code;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_cr")
int BPF_PROG(mv_kvm_cr, unsigned int rw, unsigned int cr, unsigned long val)
{
	KVM_RECORD(r, struct kvm_ev_cr, EVK_KVM_CR);
	r->b.val = val;
	r->b.rw = rw;
	r->b.cr = cr;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_emulate_insn")
int BPF_PROG(mv_emulate, struct kvm_vcpu *vcpu, __u8 failed)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct emulate_bundle *r;
	struct kvm_ev_counts *c;
	struct walk_state *s;
	bool walk = false;

	if (!traced(task))
		return 0;
	s = thread_walk(task);
	flush_fault(s);
	if (s)
		walk = take_emulator_walk(s);
	c = vcpu_counts(vcpu->vcpu_id);
	if (c) {
		c->emulate_insn++;
		c->emulate_failed += failed != 0;
	}
	if (!trace_all)
		return 0;
	/* Recording every event: the emulator walk and the instruction in one sample. */
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drops(SRC_KVM, 1 + walk);
		return 0;
	}
	r->bh.type = KVM_REC_BUNDLE;
	r->bh.size = sizeof(*r);
	r->bh.parts = 1u << 1;
	r->bh.nslots = 2;
	bundle_walk(&r->bh, &r->walk, s, walk);
	rec_hdr(&r->ev.h, EVK_KVM_EMULATE_INSN, sizeof(r->ev), SRC_KVM, (__u16)vcpu->vcpu_id,
		bpf_ktime_get_ns());
	r->ev.b.rip = vcpu_rip(vcpu);
	r->ev.b.failed = failed;
	r->ev.b.pad = 0;
	SUBMIT(r);
	return 0;
}

/* ---- host page faults of the traced processes ---- */

static __always_inline int host_fault(unsigned long address, struct pt_regs *regs,
				      unsigned long error_code, __u32 kernel)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct walk_state *s;

	if (!traced(task))
		return 0;
	/* The rss charge that follows is this fault's, not a get_user_pages one. */
	s = thread_walk(task);
	flush_fault(s);
	if (s)
		s->exc_pending = 1;
	RECORD(r, struct kvm_ev_host_fault, EVK_HOST_PAGE_FAULT, SRC_HOST,
	       (__u16)bpf_get_smp_processor_id());
	r->b.address = address;
	r->b.ip = BPF_CORE_READ(regs, ip);
	r->b.error_code = error_code;
	r->b.kernel = kernel;
	r->b.tid = task->pid;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(mv_pf_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return host_fault(address, regs, error_code, 0);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(mv_pf_kernel, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return host_fault(address, regs, error_code, 1);
}

/*
 * A page charged to the traced process's own mm by a vCPU thread: outside an
 * exception fault, that is KVM faulting the frame in through get_user_pages
 * (hva_to_pfn), which no page-fault tracepoint sees. Reported at the
 * thread's next kvm_mmu_spte_requested, which knows the frame: that of the
 * same fault, or of its retry when the fault went stale (see mv_walk).
 * Simplification: a gup fault that charges no page (an existing page mapped)
 * is not seen, and a decrement of rss in that window would count as one.
 */
SEC("tp_btf/rss_stat")
int BPF_PROG(mv_rss, struct mm_struct *mm, int member)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct walk_state *s;

	/* Fires for every rss change on the host: the cheapest tests first. */
	if (!traced(task) || task->mm != mm)
		return 0;
	s = vcpu_thread_state(task);
	if (!s)
		return 0;
	if (s->exc_pending) {
		s->exc_pending = 0;
		return 0;
	}
	s->gup_pending = 1;
	s->gup_member = member;
	return 0;
}

#define FAULT_FLAG_WRITE 0x1u
#define VM_FAULT_RETRY	 0x400u
/* VM_FAULT_ERROR: OOM, SIGBUS, SIGSEGV, HWPOISON, HWPOISON_LARGE, FALLBACK. */
#define VM_FAULT_ERROR_BITS 0x873u
#define TMPFS_MAGIC	    0x01021994u
#define MM_FILEPAGES	    0
#define MM_ANONPAGES	    1
#define MM_SHMEMPAGES	    3

/* The rss counter a page of @vma is charged to: anonymous, tmpfs/memfd, other file. */
static __always_inline __u32 vma_rss_member(struct vm_area_struct *vma)
{
	struct file *f = BPF_CORE_READ(vma, vm_file);

	if (!f)
		return MM_ANONPAGES;
	return BPF_CORE_READ(f, f_inode, i_sb, s_magic) == TMPFS_MAGIC ? MM_SHMEMPAGES
								       : MM_FILEPAGES;
}

/*
 * Every completed host fault, where kmem:rss_stat is batched (before Linux
 * 6.2; user space chooses). A fault without pt_regs comes from
 * get_user_pages (faultin_page) or fixup_user_fault, not from an exception:
 * for a vCPU thread that is KVM faulting a guest frame in (hva_to_pfn),
 * reported at the thread's next kvm_mmu_spte_requested like an rss charge.
 * A read fault on anonymous memory maps the host zero page and charges
 * nothing: like the rss_stat hook, it is not reported. A fault to be retried
 * (VM_FAULT_RETRY) or that failed is not over: its retry counts.
 */
SEC("fexit/handle_mm_fault")
int BPF_PROG(mv_mm_fault, struct vm_area_struct *vma, unsigned long address, unsigned int flags,
	     struct pt_regs *regs, unsigned int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct walk_state *s;
	__u32 member;

	if (regs)
		return 0;
	/* Else clang folds the tests into "regs | ret": no arithmetic on pointers. */
	asm volatile("" ::: "memory");
	if ((ret & (VM_FAULT_RETRY | VM_FAULT_ERROR_BITS)) || !traced(task) ||
	    BPF_CORE_READ(vma, vm_mm) != task->mm)
		return 0;
	member = vma_rss_member(vma);
	if (member == MM_ANONPAGES && !(flags & FAULT_FLAG_WRITE))
		return 0;
	s = vcpu_thread_state(task);
	if (!s)
		return 0;
	s->gup_pending = 1;
	s->gup_member = member;
	return 0;
}

/*
 * A traced thread exits: the shadow fault it holds and the walk it left open
 * are emitted (the walk counted with those flushed at stop) and its slot
 * freed, so the state of a later thread with the same tid bits, or the same
 * tid, starts clean. Task-local state goes with the task.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(mv_thread_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct walk_state *s;

	if (!traced(task))
		return 0;
	s = thread_walk(task);
	if (!s)
		return 0;
	flush_fault(s);
	if (s->active) {
		emit_walk(s);
		__sync_fetch_and_add(&flushed_walks, 1);
	}
	s->vcpu_known = 0;
	s->gup_pending = 0;
	s->exc_pending = 0;
	s->owner = 0;
	return 0;
}

/* ---- on detach ---- */

/*
 * Run once by user space after detaching: emit the shadow faults held and the
 * walks still open in any thread.
 */
SEC("iter/task")
int mv_flush(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct walk_state *s;
	__u32 key;

	if (!task)
		return 0;
	key = (__u32)task->pid & (WALK_SLOTS - 1);
	s = bpf_map_lookup_elem(&walk_slots, &key);
	if (!s || s->owner != (__u32)task->pid)
		s = bpf_task_storage_get(&walks, task, 0, 0);
	flush_fault(s);
	if (s && s->active) {
		emit_walk(s);
		__sync_fetch_and_add(&flushed_walks, 1);
	}
	return 0;
}
