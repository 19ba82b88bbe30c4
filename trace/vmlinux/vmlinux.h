/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinned fallback for vmlinux.h: only the kernel types and constants that
 * the trace/ BPF programs use, for building on a machine whose kernel has no BTF. The
 * build normally generates the full header from /sys/kernel/btf/vmlinux.
 *
 * Every struct is declared with preserve_access_index and holds only the
 * fields the programs read: libbpf relocates each access by field name
 * against the running kernel's BTF at load time (CO-RE), so neither the
 * order nor the offsets below need to match any kernel. Add a field here
 * when a program starts reading it.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#endif

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef u64 gfn_t;
typedef u64 gpa_t;
typedef u64 kvm_pfn_t;

/* include/uapi/linux/bpf.h: the constants the programs and bpf_helpers.h use. */
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_LOCK = 4,
};

enum {
	BPF_F_NO_PREALLOC = 1,
};

enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
	BPF_RB_RING_SIZE = 1,
	BPF_RB_CONS_POS = 2,
	BPF_RB_PROD_POS = 3,
};

struct hlist_node {
	struct hlist_node *next;
	struct hlist_node **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct mm_struct;

struct task_struct {
	int pid;
	int tgid;
	struct mm_struct *mm;
	struct hlist_head preempt_notifiers;
};

struct super_block {
	unsigned long s_magic;
};

struct inode {
	struct super_block *i_sb;
};

struct file {
	struct inode *f_inode;
};

struct vm_area_struct {
	struct mm_struct *vm_mm;
	struct file *vm_file;
};

struct kvm_memory_slot {
	gfn_t base_gfn;
	long unsigned int userspace_addr;
};

struct pt_regs {
	unsigned long ip;
};

struct bpf_iter_meta {
	struct seq_file *seq;
};

struct bpf_iter__task {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct task_struct *task;
	};
};

struct preempt_notifier {
	struct hlist_node link;
};

struct kvm_vcpu_arch {
	unsigned long regs[17];
};

struct kvm_vcpu {
	struct preempt_notifier preempt_notifier;
	int vcpu_id;
	struct kvm_vcpu_arch arch;
};

struct kvm_arch {
	unsigned long n_used_mmu_pages;
	u8 mmu_valid_gen;
};

struct kvm {
	struct kvm_arch arch;
};

union kvm_mmu_page_role {
	u32 word;
};

struct kvm_mmu_page {
	bool unsync;
	union kvm_mmu_page_role role;
	gfn_t gfn;
	int root_count;
};

struct kvm_page_fault {
	const gpa_t addr;
	const u64 error_code;
	u8 goal_level;
	gfn_t gfn;
	struct kvm_memory_slot *slot;
	kvm_pfn_t pfn;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif
