/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the tracer's BPF programs (trace/{walk,spt,vmexit,hostfault,state}.bpf.c,
 * linked into one object): the read-only configuration, maps and counters
 * that trace/state.bpf.c defines, the per-thread walk state, and the helpers
 * that write records into the ring buffer. Every program that writes a record
 * spells out its reservation: rec_reserve() (bpf_ringbuf_reserve(), the drop
 * counted when the ring is full), the NULL check, rec_hdr() and the body,
 * then bpf_ringbuf_submit(r, wakeup_flag()).
 */
#ifndef MEMVIRT_STATE_BPF_H
#define MEMVIRT_STATE_BPF_H

#define SRC_KVM	 3 /* EV_SRC_KVM */
#define SRC_HOST 4 /* EV_SRC_HOST */

/* ---- read-only configuration, set by user space before load ---- */

/* Wake the consumer past this many bytes. */
extern const volatile __u64 wakeup_bytes;
/* One record per walk and per emulated instruction. */
extern const volatile bool trace_all;
/* With one traced process its tgid, checked without a map lookup; else 0. */
extern const volatile __u32 only_tgid;
/* (Tests) no slots, every thread's walk state in task-local storage. */
extern const volatile bool walk_slots_off;

/* ---- maps: each type is declared here once, the maps defined in state.bpf.c ---- */

struct events_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by user space before load */
};
extern struct events_ring events SEC(".maps");

/* The traced processes (tgid -> 1). */
struct tgid_set {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
};
extern struct tgid_set tgids SEC(".maps");

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

struct walk_slot_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WALK_SLOTS);
	__type(key, __u32);
	__type(value, struct walk_state);
};
extern struct walk_slot_array walk_slots SEC(".maps");

/* Threads whose slot another thread holds keep their state in task-local storage. */
struct walk_task_storage {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct walk_state);
};
extern struct walk_task_storage walks SEC(".maps");

/* Threads whose walk state is in task-local storage (0: no lookup there). */
extern __u32 spilled_threads;

/*
 * Counted, not recorded: per vCPU (KVM_COUNTS_VCPUS - 1 for that id and up),
 * per CPU, summed by user space at stop.
 */
struct counts_array {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KVM_COUNTS_VCPUS);
	__type(key, __u32);
	__type(value, struct kvm_ev_counts);
};
extern struct counts_array counts SEC(".maps");

/* Walks left open, emitted at the thread's exit or by mv_flush at detach. */
extern __u64 flushed_walks;

/* Records lost because the ring buffer was full: [0] KVM, [1] host. */
struct drops_array {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
};
extern struct drops_array drops SEC(".maps");

/* ---- the traced threads and their vCPUs ---- */

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

/* ---- records: the header, drops, wakeups ---- */

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

/* @size bytes of the ring for one record from @src; NULL, the drop counted, when it is full. */
static __always_inline void *rec_reserve(__u64 size, __u32 src)
{
	void *r = bpf_ringbuf_reserve(&events, size, 0);

	if (!r)
		count_drop(src);
	return r;
}

/* No wakeup per record: only once the consumer has half a ring to catch up on. */
static __always_inline long wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									    : BPF_RB_NO_WAKEUP;
}

/* The header of a record of type @id, @size bytes with it, from @src. */
static __always_inline void rec_hdr(struct kvm_rec_hdr *h, __u16 id, __u16 size, __u16 src,
				    __u16 cpu, __u64 ts)
{
	h->type = id;
	h->size = size;
	h->source = src;
	h->cpu = cpu;
	h->ts = ts;
}

/* Records as they go into the ring (and the file): header, then body. */
struct walk_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_walk b;
};

struct gup_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_host_gup_fault b;
};

struct spte_req_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_spte_requested b;
};

struct set_spte_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_set_spte b;
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
	struct gup_rec gup;
	struct spte_req_rec req;
	struct set_spte_rec set;
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
	bpf_ringbuf_submit(r, wakeup_flag());
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
	bpf_ringbuf_submit(r, wakeup_flag());
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

/* ---- the walk state of a thread ---- */

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
 * The thread's vCPU: kept in its walk state, else looked up. The walk stays
 * open; a shadow fault held is written first, before the caller's record.
 */
static __always_inline __u16 thread_vcpu(struct task_struct *task)
{
	struct walk_state *s = thread_walk(task);

	flush_fault(s);
	return s && s->vcpu_known ? s->hdr.cpu : running_vcpu_id(task);
}

#endif
