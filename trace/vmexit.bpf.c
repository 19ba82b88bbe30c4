// SPDX-License-Identifier: GPL-2.0
/*
 * KVM exits and entries, the guest page faults KVM sees, control-register
 * accesses and emulated instructions (CO-RE, raw BTF tracepoints; kvm_exit,
 * kvm_entry and kvm_page_fault are silent on some hosts, attached anyway).
 * Emulated instructions are counted per vCPU, and recorded with the emulator
 * walk they end only with trace_all.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/events_kvm.h"
#include "trace/state.bpf.h"

#define RIP_REG 16 /* VCPU_REGS_RIP in kvm_vcpu_arch.regs */

struct exit_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_exit b;
};

struct entry_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_entry b;
};

struct kvm_pf_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_page_fault b;
};

struct cr_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_cr b;
};

struct emulate_rec {
	struct kvm_rec_hdr h;
	struct kvm_ev_emulate_insn b;
};

/* With trace_all, an emulated instruction and the emulator walk it ended. */
struct emulate_bundle {
	struct kvm_bundle_hdr bh;
	struct walk_rec walk;
	struct emulate_rec ev;
};

static __always_inline __u64 vcpu_rip(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.regs[RIP_REG];
}

/*
 * The exit reason lives in the vendor module's vCPU, which embeds struct
 * kvm_vcpu. vmlinux.h lacks kvm_intel's and kvm_amd's types, so these local
 * flavors carry only the members read; libbpf relocates them against the
 * loaded module's BTF. bpf_core_field_exists() is false when that module
 * (or its BTF) is absent, and the record then says reason_known = 0.
 */
union vmx_exit_reason___mv {
	u32 full;
} __attribute__((preserve_access_index));

struct vcpu_vmx___mv {
	struct kvm_vcpu vcpu;
	union vmx_exit_reason___mv exit_reason;
} __attribute__((preserve_access_index));

/* Before Linux 5.11 the VMX exit reason was a plain u32. */
struct vcpu_vmx___mv_u32 {
	u32 exit_reason;
} __attribute__((preserve_access_index));

struct vmcb_control_area___mv {
	u64 exit_code;
} __attribute__((preserve_access_index));

struct vmcb___mv {
	struct vmcb_control_area___mv control;
} __attribute__((preserve_access_index));

struct vcpu_svm___mv {
	struct kvm_vcpu vcpu;
	struct vmcb___mv *vmcb;
} __attribute__((preserve_access_index));

static __always_inline void exit_reason(struct kvm_vcpu *vcpu, u32 isa, struct kvm_ev_exit *b)
{
	b->reason_known = 0;
	b->exit_code = 0;
	struct vcpu_vmx___mv_u32 *vmx_u32 = (void *)vcpu;
	struct vcpu_vmx___mv *vmx = (void *)vcpu;

	/* Each read sits behind its own existence check, so a relocation that fails is dead code.
	 */
	if (isa == 1 && bpf_core_field_exists(vmx->exit_reason.full)) {
		b->exit_code = BPF_CORE_READ(vmx, exit_reason.full);
		b->reason_known = 1;
	} else if (isa == 1 && bpf_core_field_exists(vmx_u32->exit_reason)) {
		b->exit_code = BPF_CORE_READ(vmx_u32, exit_reason);
		b->reason_known = 1;
	} else if (isa == 2 && bpf_core_field_exists(struct vcpu_svm___mv, vmcb)) {
		struct vcpu_svm___mv *svm = (void *)vcpu;

		b->exit_code = BPF_CORE_READ(svm, vmcb, control.exit_code);
		b->reason_known = 1;
	}
}

/* ---- exits and entries: the vCPU comes with the event ---- */

SEC("tp_btf/kvm_exit")
int BPF_PROG(mv_kvm_exit, struct kvm_vcpu *vcpu, u32 isa)
{
	struct exit_rec *r;

	if (!traced(bpf_get_current_task_btf()))
		return 0;
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_KVM_EXIT, sizeof(*r), SRC_KVM, (__u16)vcpu->vcpu_id, bpf_ktime_get_ns());
	r->b.rip = vcpu_rip(vcpu);
	r->b.isa = isa;
	exit_reason(vcpu, isa, &r->b);
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(mv_kvm_entry, struct kvm_vcpu *vcpu, bool immediate_exit)
{
	struct entry_rec *r;

	if (!traced(bpf_get_current_task_btf()))
		return 0;
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_KVM_ENTRY, sizeof(*r), SRC_KVM, (__u16)vcpu->vcpu_id,
		bpf_ktime_get_ns());
	r->b.rip = vcpu_rip(vcpu);
	r->b.immediate_exit = immediate_exit;
	r->b.pad = 0;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

SEC("tp_btf/kvm_page_fault")
int BPF_PROG(mv_kvm_pf, struct kvm_vcpu *vcpu, u64 fault_address, u64 error_code)
{
	struct kvm_pf_rec *r;

	if (!traced(bpf_get_current_task_btf()))
		return 0;
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_KVM_PAGE_FAULT, sizeof(*r), SRC_KVM, (__u16)vcpu->vcpu_id,
		bpf_ktime_get_ns());
	r->b.rip = vcpu_rip(vcpu);
	r->b.address = fault_address;
	r->b.error_code = error_code;
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}

/* ---- control registers and the emulator: the vCPU from the thread ---- */

SEC("tp_btf/kvm_cr")
int BPF_PROG(mv_kvm_cr, unsigned int rw, unsigned int cr, unsigned long val)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct cr_rec *r;
	__u16 vcpu;

	if (!traced(task))
		return 0;
	vcpu = thread_vcpu(task);
	r = rec_reserve(sizeof(*r), SRC_KVM);
	if (!r)
		return 0;
	rec_hdr(&r->h, EVK_KVM_CR, sizeof(*r), SRC_KVM, vcpu, bpf_ktime_get_ns());
	r->b.val = val;
	r->b.rw = rw;
	r->b.cr = cr;
	bpf_ringbuf_submit(r, wakeup_flag());
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
	bpf_ringbuf_submit(r, wakeup_flag());
	return 0;
}
