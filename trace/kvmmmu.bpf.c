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

/* Set by user space before load: one record per walk and per emulated instruction. */
const volatile bool trace_all = false;

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
 * The walk in progress of each vCPU thread. A walk can sleep (reading a guest
 * entry may fault the host page in) and move to another CPU, so the state is
 * per thread, not per CPU. hdr.cpu also keeps the thread's vCPU for the
 * events that follow the walk. mv_flush hands out what is left open on
 * detach.
 */
struct walk_state {
	struct kvm_rec_hdr hdr;
	struct kvm_ev_walk walk;
	__u32 active;
	__u32 vcpu_known;  /* hdr.cpu holds the thread's vCPU */
	__u32 gup_pending; /* a host page was charged by get_user_pages, not yet reported */
	__u32 gup_member;  /* ... to this rss counter */
	__u32 exc_pending; /* a host exception fault is being handled: its rss charge is not gup */
	__u32 owner;	   /* the thread (tid) whose state this is */
	/*
	 * A shadow fault whose records wait for its kvm_mmu_set_spte (see
	 * mv_spte_req): PART_* bits of what is held, the walk being in @walk.
	 */
	__u32 fault_parts;
	__u32 gup_cpu; /* host CPU at the request, for the host_gup_fault record */
	__u64 req_ts;  /* time of kvm_mmu_spte_requested, also the gup record's */
	struct kvm_ev_spte_requested req;
	struct kvm_ev_host_gup_fault gup;
};

/*
 * Where a thread's walk state lives: the slot of its tid's low bits, claimed
 * by its first walk. The lookup of an array element is inlined by the
 * verifier, so the paging-element probe (several per walk, every walk of the
 * host) costs a tid read and a compare instead of a task-storage helper call.
 */
#define WALK_SLOTS 1024

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WALK_SLOTS);
	__type(key, __u32);
	__type(value, struct walk_state);
} walk_slots SEC(".maps");

/* Threads whose slot another thread holds keep their state in task-local storage. */
__u32 spilled_threads = 0;

/* Set by user space before load (tests): no slots, every thread in task-local storage. */
const volatile bool walk_slots_off = false;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct walk_state);
} walks SEC(".maps");

/*
 * Counted, not recorded: per vCPU (KVM_COUNTS_VCPUS - 1 for that id and up),
 * per CPU, summed by user space at stop.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KVM_COUNTS_VCPUS);
	__type(key, __u32);
	__type(value, struct kvm_ev_counts);
} counts SEC(".maps");

/* Walks left open, emitted at the thread's exit or by mv_flush at detach. */
__u64 flushed_walks = 0;

/* Records lost because the ring buffer was full: [0] KVM, [1] host. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/*
 * Whether @task (the current one) belongs to a traced process: with one traced
 * process a compare with a read-only global, else a hash lookup. Every probe
 * gets the task once (bpf_get_current_task_btf) and reads tgid, pid and mm
 * from it with plain BTF loads, instead of a helper call for each.
 */
static __always_inline bool traced(struct task_struct *task)
{
	__u32 tgid = task->tgid;

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
static __always_inline bool thread_in_kvm_run(struct task_struct *task)
{
	return BPF_CORE_READ(task, preempt_notifiers.first) != NULL;
}

static __always_inline __u16 running_vcpu_id(struct task_struct *task)
{
	__u64 node = (__u64)BPF_CORE_READ(task, preempt_notifiers.first);
	struct kvm_vcpu *vcpu;

	if (!node)
		return 0;
	vcpu = (struct kvm_vcpu *)(node -
				   bpf_core_field_offset(struct kvm_vcpu, preempt_notifier.link));
	return (__u16)BPF_CORE_READ(vcpu, vcpu_id);
}

static __always_inline void count_drops(__u32 src, __u64 records)
{
	__u32 key = src == SRC_HOST;
	__u64 *n = bpf_map_lookup_elem(&drops, &key);

	if (n)
		__sync_fetch_and_add(n, records);
}

static __always_inline void count_drop(__u32 src)
{
	count_drops(src, 1);
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

/*
 * The start of a probe that writes one KVM record for a traced thread: the
 * thread's held shadow fault goes out first, then @r is reserved (or the
 * probe returns, the drop counted).
 */
#define KVM_RECORD(r, body_t, id)                              \
	struct task_struct *task = bpf_get_current_task_btf(); \
	if (!traced(task))                                     \
		return 0;                                      \
	__u16 rec_vcpu = thread_vcpu(task);                    \
	RECORD(r, body_t, id, SRC_KVM, rec_vcpu)

struct walk_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_walk b;
};

/*
 * Bundles (events_kvm.h): the records of one shadow fault go into the ring
 * as one sample, reserved once. A reservation and its submit are most of a
 * record's cost (the ring's lock with interrupts off, its bookkeeping and
 * fresh cache lines); three of them made kvm_mmu_spte_requested the dearest
 * probe of a shadow fault. kvm_mmu_spte_requested keeps its records (and
 * the walk and host_gup_fault it ends) in the thread's walk state and
 * kvm_mmu_set_spte, which follows it in the same fault, writes all four.
 * Slot i of a bundle is bit i of its parts.
 */
#define PART_WALK (1u << 0) /* the walk the fault ended */
#define PART_GUP  (1u << 1) /* host_gup_fault: a host page charged since the last report */
#define PART_REQ  (1u << 2) /* kvm_mmu_spte_requested */
#define PART_SET  (1u << 3) /* kvm_mmu_set_spte */

struct fault_bundle {
	struct kvm_bundle_hdr bh;
	struct walk_rec walk;
	struct {
		struct kvm_rec_hdr h;
		struct kvm_ev_host_gup_fault b;
	} gup;
	struct {
		struct kvm_rec_hdr h;
		struct kvm_ev_spte_requested b;
	} req;
	struct {
		struct kvm_rec_hdr h;
		struct kvm_ev_set_spte b;
	} set;
};

/* With trace_all, an emulated instruction and the emulator walk it ended. */
struct emulate_bundle {
	struct kvm_bundle_hdr bh;
	struct walk_rec walk;
	struct {
		struct kvm_rec_hdr h;
		struct kvm_ev_emulate_insn b;
	} ev;
};

/* Slot 0 of a bundle: the walk @s when @walk, else an empty slot of the same size. */
static __always_inline void bundle_walk(struct kvm_bundle_hdr *bh, struct walk_rec *slot,
					struct walk_state *s, bool walk)
{
	if (s && walk) {
		slot->h = s->hdr;
		slot->b = s->walk;
		bh->parts |= PART_WALK;
	} else {
		slot->h.size = sizeof(*slot);
	}
}

static __always_inline void rec_hdr(struct kvm_rec_hdr *h, __u16 id, __u16 size, __u16 src,
				    __u16 cpu, __u64 ts)
{
	h->type = id;
	h->size = size;
	h->source = src;
	h->cpu = cpu;
	h->ts = ts;
}

static __always_inline void emit_walk(struct walk_state *s)
{
	struct walk_rec *r;

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

/*
 * Write the shadow fault held in @s (s->fault_parts) as one bundle, with
 * @set (taken at @set_ts) as its kvm_mmu_set_spte record when not NULL.
 */
static __always_inline void emit_fault(struct walk_state *s, const struct kvm_ev_set_spte *set,
				       __u64 set_ts)
{
	__u32 parts = s->fault_parts | (set ? PART_SET : 0);
	struct fault_bundle *r;

	s->fault_parts = 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drops(SRC_KVM, !!(parts & PART_WALK) + !!(parts & PART_REQ) + !!set);
		if (parts & PART_GUP)
			count_drop(SRC_HOST);
		return;
	}
	r->bh.type = KVM_REC_BUNDLE;
	r->bh.size = sizeof(*r);
	r->bh.parts = parts;
	r->bh.nslots = 4;
	bundle_walk(&r->bh, &r->walk, s, parts & PART_WALK);
	r->gup.h.size = sizeof(r->gup);
	if (parts & PART_GUP) {
		rec_hdr(&r->gup.h, EVK_HOST_GUP_FAULT, sizeof(r->gup), SRC_HOST, s->gup_cpu,
			s->req_ts);
		r->gup.b = s->gup;
	}
	r->req.h.size = sizeof(r->req);
	if (parts & PART_REQ) {
		rec_hdr(&r->req.h, EVK_MMU_SPTE_REQUESTED, sizeof(r->req), SRC_KVM, s->hdr.cpu,
			s->req_ts);
		r->req.b = s->req;
	}
	r->set.h.size = sizeof(r->set);
	if (set) {
		rec_hdr(&r->set.h, EVK_MMU_SET_SPTE, sizeof(r->set), SRC_KVM, s->hdr.cpu, set_ts);
		r->set.b = *set;
	}
	SUBMIT(r);
}

/*
 * A shadow fault still held when the thread makes another record (or exits,
 * or capture stops) is written first, without a kvm_mmu_set_spte (a spurious
 * fault: KVM found the SPTE already set): a thread's records stay in order.
 */
static __always_inline void flush_fault(struct walk_state *s)
{
	if (s && s->fault_parts)
		emit_fault(s, NULL, 0);
}

/* The walk state of @task (current), NULL if it never walked (or is not traced). */
static __always_inline struct walk_state *thread_walk(struct task_struct *task)
{
	__u32 tid = task->pid;
	__u32 key = tid & (WALK_SLOTS - 1);
	struct walk_state *s = bpf_map_lookup_elem(&walk_slots, &key);

	if (s && s->owner == tid)
		return s;
	if (!spilled_threads)
		return NULL;
	return bpf_task_storage_get(&walks, task, 0, 0);
}

/*
 * The same, created at the thread's first walk: its slot if free, else
 * task-local storage. Simplification: a slot stays with its thread until
 * detach, even after the thread exits.
 */
static __always_inline struct walk_state *thread_walk_create(struct task_struct *task)
{
	__u32 tid = task->pid;
	__u32 key = tid & (WALK_SLOTS - 1);
	struct walk_state *s = thread_walk(task);

	if (s)
		return s;
	s = walk_slots_off ? NULL : bpf_map_lookup_elem(&walk_slots, &key);
	if (s && __sync_val_compare_and_swap(&s->owner, 0, tid) == 0)
		return s;
	s = bpf_task_storage_get(&walks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (s && s->owner != tid) {
		s->owner = tid;
		__sync_fetch_and_add(&spilled_threads, 1);
	}
	return s;
}

/*
 * Array indexes the verifier can bound on every kernel. The 6.1 verifier
 * rejected pte[n] after "if (n >= 5) return": clang checked a copy of n in
 * another register, so the register used for the store stayed unbounded.
 * Hiding n from clang after the check (barrier_var) and masking it to a power
 * of two keeps the bound on the register of the access; the mask changes no
 * value that passed the check, and its range stays inside the map value
 * (struct walk_state, struct kvm_ev_counts) even past the array's end.
 */
#define WALK_IDX_MASK 7u
_Static_assert(KVM_WALK_MAX_LEVELS <= WALK_IDX_MASK + 1, "walk index mask too small");
_Static_assert(__builtin_offsetof(struct walk_state, walk.level) + 4 * (WALK_IDX_MASK + 1) <=
		       sizeof(struct walk_state),
	       "masked walk index leaves the walk state");
_Static_assert(__builtin_offsetof(struct kvm_ev_counts, emulator_walk_levels) +
			       8 * (WALK_IDX_MASK + 1) <=
		       sizeof(struct kvm_ev_counts),
	       "masked level index leaves the counts");

static __always_inline __u32 walk_idx(__u32 n)
{
	barrier_var(n);
	return n & WALK_IDX_MASK;
}

static __always_inline struct kvm_ev_counts *vcpu_counts(__u32 vcpu)
{
	__u32 key = vcpu < KVM_COUNTS_VCPUS ? vcpu : KVM_COUNTS_VCPUS - 1;

	return bpf_map_lookup_elem(&counts, &key);
}

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

/*
 * The open walk ends with another walk or an emulated instruction and no
 * SPTE event: KVM translated an address for its emulator. Counted by length;
 * true when it is to be recorded (trace_all).
 */
static __always_inline bool take_emulator_walk(struct walk_state *s)
{
	struct kvm_ev_counts *c;
	__u32 lv = s->walk.levels;

	if (!s->active)
		return false;
	s->active = 0;
	c = vcpu_counts(s->hdr.cpu);
	if (c) {
		c->emulator_walks++;
		if (lv > KVM_WALK_MAX_LEVELS)
			lv = KVM_WALK_MAX_LEVELS;
		c->emulator_walk_levels[walk_idx(lv)]++;
	}
	return trace_all;
}

/*
 * The walk state of a vCPU thread (one in KVM_RUN), created if it has none:
 * under TDP (nested paging) a vCPU thread never walks, yet its host gup
 * faults wait there for the fault's SPTE request.
 */
static __always_inline struct walk_state *vcpu_thread_state(struct task_struct *task)
{
	struct walk_state *s = thread_walk(task);

	if (s || !thread_in_kvm_run(task))
		return s;
	s = thread_walk_create(task);
	if (s && !s->vcpu_known) {
		s->hdr.cpu = running_vcpu_id(task);
		s->vcpu_known = 1;
	}
	return s;
}

/*
 * The thread's vCPU: kept in its walk state, else looked up. The walk stays
 * open; a shadow fault held is written first, before the caller's record.
 */
static __always_inline __u16 thread_vcpu(struct task_struct *task)
{
	struct walk_state *s = thread_walk(task);

	flush_fault(s);
	return s && s->vcpu_known ? s->hdr.cpu : running_vcpu_id(task);
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
