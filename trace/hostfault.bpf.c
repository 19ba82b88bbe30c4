// SPDX-License-Identifier: GPL-2.0
/*
 * Host page faults of the traced processes (CO-RE): exception faults as
 * records (exceptions:page_fault_user/kernel), and the pages KVM faults in
 * for a guest frame through get_user_pages, which no page-fault tracepoint
 * sees, noted in the vCPU thread's walk state (kmem:rss_stat, or fexit on
 * handle_mm_fault where rss_stat is batched) and reported by walk.bpf.c's
 * kvm_mmu_spte_requested as a host_gup_fault record.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/events_kvm.h"
#include "trace/state.bpf.h"

#define FAULT_FLAG_WRITE 0x1u
#define VM_FAULT_RETRY	 0x400u
/* VM_FAULT_ERROR: OOM, SIGBUS, SIGSEGV, HWPOISON, HWPOISON_LARGE, FALLBACK. */
#define VM_FAULT_ERROR_BITS 0x873u
#define TMPFS_MAGIC	    0x01021994u
#define MM_FILEPAGES	    0
#define MM_ANONPAGES	    1
#define MM_SHMEMPAGES	    3

struct host_fault_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_host_fault b;
};

/* ---- exception faults ---- */

static __always_inline int host_fault(unsigned long address, struct pt_regs *regs,
				      unsigned long error_code, __u32 kernel)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct host_fault_rec *r;
	struct walk_state *s;

	if (!traced(task))
		return 0;
	/* The rss charge that follows is this fault's, not a get_user_pages one. */
	s = thread_walk(task);
	flush_fault(s);
	if (s)
		s->exc_pending = 1;
	r = rec_reserve(sizeof(*r), SRC_HOST);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_HOST_PAGE_FAULT, sizeof(*r), SRC_HOST, (__u16)bpf_get_smp_processor_id(),
		bpf_ktime_get_ns());
	r->b.address = address;
	r->b.ip = BPF_CORE_READ(regs, ip);
	r->b.error_code = error_code;
	r->b.kernel = kernel;
	r->b.tid = task->pid;
	bpf_ringbuf_submit(r, wakeup_flag());
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

/* ---- get_user_pages faults: noted for the next kvm_mmu_spte_requested ---- */

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
