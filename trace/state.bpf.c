// SPDX-License-Identifier: GPL-2.0
/*
 * The tracer's shared state (declared in trace/state.bpf.h), defined once for
 * the linked object: its read-only configuration, the ring buffer, the pid
 * filter, the per-thread walk state, the kernel's counts and drop counters;
 * and the end of a thread's state, at its exit and at detach.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/events_kvm.h"
#include "trace/state.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 wakeup_bytes = 1 << 20;
const volatile bool trace_all = false;
const volatile __u32 only_tgid = 0;
const volatile bool walk_slots_off = false;

struct events_ring events SEC(".maps");
struct tgid_set tgids SEC(".maps");
struct walk_slot_array walk_slots SEC(".maps");
struct walk_task_storage walks SEC(".maps");
struct counts_array counts SEC(".maps");
struct drops_array drops SEC(".maps");

__u32 spilled_threads = 0;
__u64 flushed_walks = 0;

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
