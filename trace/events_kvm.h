/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM and host record types written by the eBPF tracer (ids 48..127).
 *
 * Shared by the BPF programs (trace/FAMILY.bpf.c) and user space: each
 * record is a struct kvm_rec_hdr laid out exactly like the event file's
 * struct ev_hdr, followed by one of the bodies below, so the consumer copies
 * it into the file unchanged. A ring-buffer sample is one record, or a
 * bundle of them (struct kvm_bundle_hdr, below). Bodies use only __u32/__u64 and
 * are multiples of 8 bytes. Field names are what readers look up; see
 * docs/tracing.md.
 */
#ifndef MEMVIRT_EVENTS_KVM_H
#define MEMVIRT_EVENTS_KVM_H

#ifndef __bpf__
#include <linux/types.h>
#endif

enum kvm_ev_id {
	EVK_MMU_WALK = 48,
	EVK_MMU_SET_SPTE = 49,
	EVK_MMU_SPTE_REQUESTED = 50,
	EVK_MMU_GET_PAGE = 51,
	EVK_MMU_SYNC_PAGE = 52,
	EVK_MMU_UNSYNC_PAGE = 53,
	EVK_MMU_PREPARE_ZAP_PAGE = 54,
	EVK_FAST_PAGE_FAULT = 55,
	EVK_MMU_SET_ACCESSED_BIT = 56,
	EVK_MMU_SET_DIRTY_BIT = 57,
	EVK_TDP_MMU_SPTE_CHANGED = 58,
	EVK_MMU_SPLIT_HUGE_PAGE = 59,
	EVK_HANDLE_MMIO_PAGE_FAULT = 60,
	EVK_MMU_ZAP_ALL_FAST = 61,
	EVK_KVM_EXIT = 62,
	EVK_KVM_ENTRY = 63,
	EVK_KVM_PAGE_FAULT = 64,
	EVK_KVM_CR = 65,
	EVK_KVM_EMULATE_INSN = 66,
	EVK_KVM_COUNTS = 67,
	EVK_HOST_PAGE_FAULT = 96,
	EVK_HOST_GUP_FAULT = 97,
	EVK__LAST = 127
};

/* Same layout as struct ev_hdr (trace/evfile.h). */
struct kvm_rec_hdr {
	__u16 type;
	__u16 size;
	__u16 source; /* EV_SRC_KVM (3) or EV_SRC_HOST (4) */
	__u16 cpu;    /* vCPU id for KVM records, host CPU for host faults */
	__u64 ts;     /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

#define KVM_WALK_MAX_LEVELS 5

/*
 * One guest page-table walk done by KVM's shadow MMU (paging_tmpl.h
 * walk_addr_generic), built in the kernel from kvm_mmu_pagetable_walk, one
 * kvm_mmu_paging_element per level and kvm_mmu_walker_error.
 */
struct kvm_ev_walk {
	__u64 addr;			  /* the GVA walked */
	__u64 pte[KVM_WALK_MAX_LEVELS];	  /* guest entries read, top level first */
	__u32 pferr;			  /* access (PFERR_* bits) the walk checks */
	__u32 error;			  /* walker_error's error code, 0 if none */
	__u32 levels;			  /* paging elements seen (entries valid) */
	__u32 failed;			  /* 1 when kvm_mmu_walker_error ended the walk */
	__u32 level[KVM_WALK_MAX_LEVELS]; /* paging level of each entry (4..1) */
	__u32 tid;			  /* host thread of the vCPU */
};

struct kvm_ev_set_spte {
	__u64 gfn;
	__u64 spte;
	__u64 sptep; /* kernel address of the shadow entry */
	__u32 level;
	__u32 pad;
};

struct kvm_ev_spte_requested {
	__u64 gfn;
	__u64 pfn;
	__u32 level; /* goal level */
	__u32 pad;
};

/* kvm_mmu_get_page, kvm_mmu_sync_page, kvm_mmu_unsync_page, kvm_mmu_prepare_zap_page. */
struct kvm_ev_mmu_page {
	__u64 gfn;
	__u32 role;    /* union kvm_mmu_page_role word */
	__u32 created; /* get_page: 1 when a new shadow page was allocated */
	__u32 root_count;
	__u32 unsync;
};

struct kvm_ev_fast_page_fault {
	__u64 addr; /* cr2_or_gpa */
	__u64 error_code;
	__u64 sptep;
	__u64 old_spte;
	__u64 new_spte;
	__u64 ret;
};

/* kvm_mmu_set_accessed_bit, kvm_mmu_set_dirty_bit. */
struct kvm_ev_ad_bit {
	__u64 table_gfn;
	__u32 index;
	__u32 size;
};

struct kvm_ev_tdp_spte_changed {
	__u64 gfn;
	__u64 old_spte;
	__u64 new_spte;
	__u32 as_id;
	__u32 level;
};

struct kvm_ev_split_huge_page {
	__u64 gfn;
	__u64 spte;
	__u64 error; /* -errno as s64 */
	__u32 level;
	__u32 pad;
};

struct kvm_ev_mmio_pf {
	__u64 addr;
	__u64 gfn;
	__u32 access;
	__u32 pad;
};

struct kvm_ev_zap_all_fast {
	__u64 mmu_valid_gen;
	__u64 mmu_used_pages;
};

/*
 * exit_code is the VMX exit reason (basic reason in bits 15:0) or the SVM
 * exit code, valid with reason_known: the probe reads it from the vendor
 * module's vCPU (vcpu_vmx.exit_reason, vcpu_svm.vmcb->control.exit_code)
 * when that module's BTF describes it. Files from before the field have no
 * exit_code; readers find it by name.
 */
struct kvm_ev_exit {
	__u64 rip;	    /* guest RIP as KVM last cached it */
	__u32 isa;	    /* KVM_ISA_VMX 1, KVM_ISA_SVM 2: the host's vendor */
	__u32 reason_known; /* 1 when exit_code was read */
	__u64 exit_code;
};

struct kvm_ev_entry {
	__u64 rip;
	__u32 immediate_exit;
	__u32 pad;
};

struct kvm_ev_page_fault {
	__u64 rip;
	__u64 address;
	__u64 error_code;
};

struct kvm_ev_cr {
	__u64 val;
	__u32 rw; /* 1 write, 0 read */
	__u32 cr;
};

struct kvm_ev_emulate_insn {
	__u64 rip;
	__u32 failed;
	__u32 pad;
};

/* exceptions:page_fault_user / page_fault_kernel in the traced processes. */
struct kvm_ev_host_fault {
	__u64 address;
	__u64 ip;
	__u64 error_code;
	__u32 kernel; /* 0 user, 1 kernel */
	__u32 tid;
};

/*
 * Host pages KVM faulted in for a guest frame through get_user_pages (the
 * vCPU thread's hva_to_pfn; no exception, so no host_page_fault): a page
 * charged to the VMM's rss between the guest walk and kvm_mmu_spte_requested.
 */
struct kvm_ev_host_gup_fault {
	__u64 hva;    /* host VA of the frame (memslot userspace_addr + offset) */
	__u64 gfn;    /* the guest frame */
	__u64 pfn;    /* the host frame KVM got (kvm_mmu_spte_requested) */
	__u32 member; /* rss counter charged: 0 file, 1 anon, 3 shmem */
	__u32 tid;
};

/* vCPU ids counted one by one in the kernel; KVM_COUNTS_VCPUS - 1 holds that id and above. */
#define KVM_COUNTS_VCPUS 64

/*
 * What the kernel counts instead of recording (one record per vCPU, written
 * at stop): guest walks of the shadow page-fault path are also recorded,
 * walks made for the emulator and emulated instructions only counted unless
 * the capture records every event.
 */
struct kvm_ev_counts {
	__u64 fault_walks;    /* walks ended by an SPTE event or walker_error */
	__u64 emulator_walks; /* walks ended by another walk or kvm_emulate_insn */
	__u64 emulator_walk_levels[KVM_WALK_MAX_LEVELS + 1]; /* ... by paging elements read, 0..5 */
	__u64 emulate_insn;				     /* kvm_emulate_insn events */
	__u64 emulate_failed;				     /* ... with failed != 0 */
	__u32 vcpu;					     /* record only: the vCPU id */
	__u32 pad;
};

/*
 * A ring-buffer sample that carries several records, those of one shadow
 * fault (walk, host_gup_fault, spte_requested, set_spte) or of one probe
 * call (never written to a file as such): one reservation per fault instead
 * of one per record. The header is followed by KVM_BUNDLE_MAX_PARTS
 * or fewer record slots back to back, each a struct kvm_rec_hdr and its body
 * with h.size set whether or not the slot is filled; bit i of @parts says
 * slot i holds a record. The consumer writes the filled slots in order, as
 * separate records.
 */
#define KVM_REC_BUNDLE	     0xb0d1 /* outside the record ids (48..127) */
#define KVM_BUNDLE_MAX_PARTS 4

struct kvm_bundle_hdr {
	__u16 type;  /* KVM_REC_BUNDLE */
	__u16 size;  /* the whole sample */
	__u16 parts; /* bit i: slot i holds a record */
	__u16 nslots;
};

#ifndef __bpf__
#include "trace/evfile.h"

/* Descriptor of record type @id (48..127), NULL if the tracer defines none. */
const struct ev_type *kvm_ev_type(unsigned id);

extern const struct ev_type ev_type_kvm_mmu_walk, ev_type_kvm_mmu_set_spte,
	ev_type_kvm_mmu_spte_requested, ev_type_kvm_mmu_get_page, ev_type_kvm_mmu_sync_page,
	ev_type_kvm_mmu_unsync_page, ev_type_kvm_mmu_prepare_zap_page, ev_type_fast_page_fault,
	ev_type_kvm_mmu_set_accessed_bit, ev_type_kvm_mmu_set_dirty_bit,
	ev_type_kvm_tdp_mmu_spte_changed, ev_type_kvm_mmu_split_huge_page,
	ev_type_handle_mmio_page_fault, ev_type_kvm_mmu_zap_all_fast, ev_type_kvm_exit,
	ev_type_kvm_entry, ev_type_kvm_page_fault, ev_type_kvm_cr, ev_type_kvm_emulate_insn,
	ev_type_host_page_fault, ev_type_kvm_counts, ev_type_host_gup_fault;
#endif

#endif
