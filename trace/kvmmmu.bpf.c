// SPDX-License-Identifier: GPL-2.0
/*
 * KVM MMU and host page-fault probes for one set of VMM processes (CO-RE,
 * raw BTF tracepoints). Guest page-table walks are folded in the kernel into
 * one record per walk; every other event becomes one record. Records go to a
 * ring buffer that wakes the consumer only when it is more than half full.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/events_kvm.h"

#define SRC_KVM	 3  /* EV_SRC_KVM */
#define SRC_HOST 4  /* EV_SRC_HOST */
#define RIP_REG	 16 /* VCPU_REGS_RIP in kvm_vcpu_arch.regs */

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load: wake the consumer past this many bytes. */
const volatile __u64 wakeup_bytes = 1 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by user space before load */
} events SEC(".maps");

/* With one traced process its tgid, checked without a map lookup; else 0. */
const volatile __u32 only_tgid = 0;

/* The traced processes (tgid -> 1). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

/*
 * The walk in progress of each vCPU thread, in task-local storage (no hash
 * lookup per paging element). A walk can sleep (reading a guest entry may
 * fault the host page in) and move to another CPU, so the state is per
 * thread, not per CPU. hdr.cpu also keeps the thread's vCPU for the events
 * that follow the walk. mv_flush hands out what is left open on detach.
 */
struct walk_state {
	struct kvm_rec_hdr hdr;
	struct kvm_ev_walk walk;
	__u32 active;
	__u32 vcpu_known; /* hdr.cpu holds the thread's vCPU */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct walk_state);
} walks SEC(".maps");

/* Walks still open at detach, emitted by mv_flush. */
__u64 flushed_walks = 0;

/* Records lost because the ring buffer was full: [0] KVM, [1] host. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline bool traced(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (only_tgid)
		return tgid == only_tgid;
	return bpf_map_lookup_elem(&tgids, &tgid) != NULL;
}

/*
 * The vCPU run by the current thread. Tracepoints such as the walk's carry no
 * vCPU; KVM registers the vCPU's preempt notifier on the thread for the whole
 * of KVM_RUN (vcpu_load), so the thread's first notifier leads back to it.
 * Simplification: assumes KVM's is the only notifier on a VMM's vCPU thread.
 */
static __always_inline bool thread_in_kvm_run(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return BPF_CORE_READ(task, preempt_notifiers.first) != NULL;
}

static __always_inline __u16 running_vcpu_id(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 node = (__u64)BPF_CORE_READ(task, preempt_notifiers.first);
	struct kvm_vcpu *vcpu;

	if (!node)
		return 0;
	vcpu = (struct kvm_vcpu *)(node -
				   bpf_core_field_offset(struct kvm_vcpu, preempt_notifier.link));
	return (__u16)BPF_CORE_READ(vcpu, vcpu_id);
}

static __always_inline void count_drop(__u32 src)
{
	__u32 key = src == SRC_HOST;
	__u64 *n = bpf_map_lookup_elem(&drops, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* No wakeup per record: only once the consumer has half a ring to catch up on. */
static __always_inline long wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									    : BPF_RB_NO_WAKEUP;
}

/* Reserve one record of body type @body_t as @r, or count a drop and return. */
#define RECORD(r, body_t, id, src, cpu_)                    \
	struct {                                            \
		struct kvm_rec_hdr h;                       \
		body_t b;                                   \
	} *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0); \
	if (!r) {                                           \
		count_drop(src);                            \
		return 0;                                   \
	}                                                   \
	r->h.type = id;                                     \
	r->h.size = sizeof(*r);                             \
	r->h.source = src;                                  \
	r->h.cpu = cpu_;                                    \
	r->h.ts = bpf_ktime_get_ns()

#define SUBMIT(r) bpf_ringbuf_submit(r, wakeup_flag())

static __always_inline void emit_walk(struct walk_state *s)
{
	struct {
		struct kvm_rec_hdr h;
		struct kvm_ev_walk b;
	} * r;

	s->active = 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(SRC_KVM);
		return;
	}
	r->h = s->hdr;
	r->b = s->walk;
	SUBMIT(r);
}

static __always_inline struct walk_state *thread_walk(void)
{
	return bpf_task_storage_get(&walks, bpf_get_current_task_btf(), 0, 0);
}

/*
 * Emit the walk in progress of this thread, if any; return the thread's vCPU
 * (kept from its last walk, else looked up).
 */
static __always_inline __u16 end_walk(void)
{
	struct walk_state *s = thread_walk();

	if (!s)
		return running_vcpu_id();
	if (s->active)
		emit_walk(s);
	return s->hdr.cpu;
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* ---- the guest page-table walk, aggregated ---- */

SEC("tp_btf/kvm_mmu_pagetable_walk")
int BPF_PROG(mv_walk, u64 addr, u32 pferr)
{
	struct walk_state *s;

	if (!traced())
		return 0;
	s = bpf_task_storage_get(&walks, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_drop(SRC_KVM);
		return 0;
	}
	if (s->active)
		emit_walk(s);
	s->hdr.type = EVK_MMU_WALK;
	s->hdr.size = sizeof(s->hdr) + sizeof(s->walk);
	s->hdr.source = SRC_KVM;
	/* Simplification: a thread runs one vCPU for its whole life, as VMMs do. */
	if (!s->vcpu_known) {
		s->hdr.cpu = running_vcpu_id();
		s->vcpu_known = thread_in_kvm_run();
	}
	s->hdr.ts = bpf_ktime_get_ns();
	__builtin_memset(&s->walk, 0, sizeof(s->walk));
	s->walk.addr = addr;
	s->walk.pferr = pferr;
	s->walk.tid = current_tid();
	s->active = 1;
	return 0;
}

/* Only threads of traced processes have walk state: no pid check needed. */
SEC("tp_btf/kvm_mmu_paging_element")
int BPF_PROG(mv_walk_elem, u64 pte, int level)
{
	struct walk_state *s = thread_walk();
	__u32 n;

	if (!s || !s->active)
		return 0;
	n = s->walk.levels;
	/* A walk that restarts (A/D update raced, retry_walk) begins again at the top. */
	if (n > 0 && n <= KVM_WALK_MAX_LEVELS && (__u32)level >= s->walk.level[n - 1])
		n = 0;
	if (n >= KVM_WALK_MAX_LEVELS)
		return 0;
	s->walk.pte[n] = pte;
	s->walk.level[n] = level;
	s->walk.levels = n + 1;
	return 0;
}

SEC("tp_btf/kvm_mmu_walker_error")
int BPF_PROG(mv_walk_err, u32 pferr)
{
	struct walk_state *s = thread_walk();

	if (!s || !s->active)
		return 0;
	s->walk.error = pferr;
	s->walk.failed = 1;
	emit_walk(s);
	return 0;
}

/* Accessed/dirty updates happen inside the walk: recorded, the walk stays open. */
static __always_inline int ad_bit(__u16 id, unsigned long table_gfn, unsigned int index,
				  unsigned int size)
{
	struct walk_state *s = thread_walk();

	/* Inside a walk: the thread is traced and its state holds the vCPU. */
	if (!s)
		return 0;
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

/* ---- shadow MMU events: each ends the walk in progress first ---- */

SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(mv_spte_req, struct kvm_page_fault *fault)
{
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_spte_requested, EVK_MMU_SPTE_REQUESTED, SRC_KVM, vcpu);
	r->b.gfn = fault->gfn;
	r->b.pfn = fault->pfn;
	r->b.level = fault->goal_level;
	r->b.pad = 0;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_mmu_set_spte")
int BPF_PROG(mv_set_spte, int level, gfn_t gfn, u64 *sptep)
{
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_set_spte, EVK_MMU_SET_SPTE, SRC_KVM, vcpu);
	r->b.gfn = gfn;
	r->b.sptep = (__u64)sptep;
	if (bpf_probe_read_kernel(&r->b.spte, sizeof(r->b.spte), sptep))
		r->b.spte = 0;
	r->b.level = level;
	r->b.pad = 0;
	SUBMIT(r);
	return 0;
}

static __always_inline int mmu_page(__u16 id, struct kvm_mmu_page *sp, bool created)
{
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_mmu_page, id, SRC_KVM, vcpu);
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
	if (!traced())
		return 0;
	end_walk();
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
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_tdp_spte_changed, EVK_TDP_MMU_SPTE_CHANGED, SRC_KVM, vcpu);
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
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_split_huge_page, EVK_MMU_SPLIT_HUGE_PAGE, SRC_KVM, vcpu);
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
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_mmio_pf, EVK_HANDLE_MMIO_PAGE_FAULT, SRC_KVM, vcpu);
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
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_zap_all_fast, EVK_MMU_ZAP_ALL_FAST, SRC_KVM, vcpu);
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
	if (!traced())
		return 0;
	end_walk();
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
	if (!traced())
		return 0;
	end_walk();
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
	if (!traced())
		return 0;
	end_walk();
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
	if (!traced())
		return 0;
	__u16 vcpu = end_walk();

	RECORD(r, struct kvm_ev_cr, EVK_KVM_CR, SRC_KVM, vcpu);
	r->b.val = val;
	r->b.rw = rw;
	r->b.cr = cr;
	SUBMIT(r);
	return 0;
}

SEC("tp_btf/kvm_emulate_insn")
int BPF_PROG(mv_emulate, struct kvm_vcpu *vcpu, __u8 failed)
{
	if (!traced())
		return 0;
	end_walk();
	RECORD(r, struct kvm_ev_emulate_insn, EVK_KVM_EMULATE_INSN, SRC_KVM, (__u16)vcpu->vcpu_id);
	r->b.rip = vcpu_rip(vcpu);
	r->b.failed = failed;
	r->b.pad = 0;
	SUBMIT(r);
	return 0;
}

/* ---- host page faults of the traced processes ---- */

static __always_inline int host_fault(unsigned long address, struct pt_regs *regs,
				      unsigned long error_code, __u32 kernel)
{
	if (!traced())
		return 0;
	RECORD(r, struct kvm_ev_host_fault, EVK_HOST_PAGE_FAULT, SRC_HOST,
	       (__u16)bpf_get_smp_processor_id());
	r->b.address = address;
	r->b.ip = BPF_CORE_READ(regs, ip);
	r->b.error_code = error_code;
	r->b.kernel = kernel;
	r->b.tid = current_tid();
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

/* ---- on detach ---- */

/* Run once by user space after detaching: emit the walks still open in any thread. */
SEC("iter/task")
int mv_flush(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct walk_state *s;

	if (!task)
		return 0;
	s = bpf_task_storage_get(&walks, task, 0, 0);
	if (s && s->active) {
		emit_walk(s);
		__sync_fetch_and_add(&flushed_walks, 1);
	}
	return 0;
}
