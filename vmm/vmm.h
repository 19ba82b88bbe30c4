/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMM: one KVM VM with one vCPU running memvirt's guest kernel and a
 * workload program, and the record of what happened.
 */
#ifndef MEMVIRT_VMM_H
#define MEMVIRT_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/mmu.h"
#include "workloads/abi.h"
#include "workloads/workload.h"

struct json;
struct ev_writer;

/* Host memory behind guest RAM. */
enum vm_backing {
	VM_BACKING_ANON,       /* anonymous 4K pages (THP as the host's policy allows) */
	VM_BACKING_THP,	       /* anonymous, 2M-aligned, MADV_HUGEPAGE */
	VM_BACKING_HUGETLB_2M, /* hugetlbfs 2M pages, reserved beforehand */
	VM_BACKING_HUGETLB_1G, /* hugetlbfs 1G pages, reserved beforehand */
	VM_BACKING_MEMFD,      /* a memfd, shared mapping */
};

const char *vm_backing_name(enum vm_backing b);
int vm_backing_parse(const char *s); /* -1 if unknown */
uint64_t vm_backing_page_size(enum vm_backing b);

/* The guest event channel's slot area (vm_config.ev_ring_bytes): a power of two in this range. */
#define VM_EV_RING_MIN_BYTES 0x1000ULL	   /* 64 records */
#define VM_EV_RING_MAX_BYTES 0x10000000ULL /* 256M: 4M records */

struct vm_config {
	uint64_t mem_size; /* bytes of guest memory */
	enum vm_backing backing;
	bool no_thp; /* VM_BACKING_ANON: MADV_NOHUGEPAGE, 4K host pages whatever the THP policy */
	const char *kernel_path;  /* guest kernel ELF */
	const char *program_path; /* guest workload ELF */
	struct wl_params wl;
	double timeout_s;	  /* 0: none */
	const char *console_path; /* serial log file, NULL for none */
	bool console_stdout;	  /* also echo the serial console to stdout */
	const char *kvm_path;	  /* normally "/dev/kvm" */
	/* The guest event channel (docs/guest.md). */
	uint64_t ev_ring_bytes;	  /* ring slot area, a power of two; 0: no channel */
	struct ev_writer *events; /* where its events go (shared with the tracer); may be NULL */
	bool ev_chains;		  /* also resolve every guest fault's chain (EV_VMM_CHAIN) */
};

/* How a run ended. */
enum vm_end {
	VM_END_NONE,	 /* still running / never started */
	VM_END_EXIT,	 /* the workload exited; see exit_status */
	VM_END_PANIC,	 /* the guest kernel reported a crash */
	VM_END_SHUTDOWN, /* triple fault */
	VM_END_HLT,	 /* the vCPU halted without an exit message */
	VM_END_TIMEOUT,	 /* --timeout elapsed */
	VM_END_SIGNAL,	 /* SIGINT or SIGTERM */
	VM_END_ERROR,	 /* unexpected exit, KVM error, bad guest message */
};

#define VM_MAX_STATS 192

/* What the guest event channel delivered (all zero when it was off). */
struct vm_events {
	bool enabled;
	gpa_t ring_gpa;
	uint64_t ring_bytes;
	uint64_t records[MV_EV__COUNT]; /* accepted, by enum mv_ev_type */
	uint64_t accepted;
	uint64_t guest_full; /* dropped by the guest with the ring full */
	uint64_t malformed;  /* rejected by the VMM's checks */
	uint64_t resyncs;    /* impossible indices or drop counts */
	uint64_t drains;
	uint64_t chains, chain_failures; /* --chains: written, not resolvable (unmapped) */
	uint64_t write_errors;		 /* records the event file did not take */
};

struct vm_stat {
	char name[48];
	char scope[5];	/* "vm" or "vcpu" */
	char unit[12];	/* "none", "bytes", "seconds", "cycles", "boolean" */
	char kind[12];	/* "cumulative", "instant", "peak", "log-hist", "linear-hist" */
	uint64_t value; /* for histograms: the sum of all buckets (samples) */
};

struct vm_result {
	enum vm_end end;
	char reason[512];     /* one line: why the run ended, for anything but a clean exit */
	uint64_t exit_status; /* the workload's status (VM_END_EXIT) */
	bool have_result;
	struct mv_result result; /* what the workload reported */
	bool have_kstats;
	struct mv_kstats kstats;
	bool have_panic;
	struct mv_panic panic;
	char crash_dump[4096]; /* registers and disassembly, for crashes */
	uint64_t t_setup_ns;   /* process start of the VMM work to first KVM_RUN */
	uint64_t t_run_ns;     /* first KVM_RUN to the end */
	uint64_t t_first_run;  /* now_ns() at the first KVM_RUN */
	uint64_t t_end;	       /* now_ns() when the guest stopped */
	uint64_t exits;	       /* KVM_RUN returns */
	uint64_t io_exits, mmio_exits;
	uint64_t discarded_bytes; /* guest frames freed and dropped from the host */
	unsigned nr_stats;
	struct vm_stat stats[VM_MAX_STATS];
	struct vm_events ev;
};

struct vm;

/* Why vm__create failed: what the host lacks, or which part of building the VM. */
enum vm_fail {
	VM_FAIL_NONE,
	VM_FAIL_NO_KVM,	     /* no usable KVM device: missing, no permission, other API version */
	VM_FAIL_KVM_FEATURE, /* the host's KVM lacks what the guest needs (1G pages) */
	VM_FAIL_KVM,	     /* KVM refused the VM, its memory slot or its vCPU */
	VM_FAIL_BACKING, /* the host memory cfg->backing asks for (hugetlb pages, memfd, mmap) */
	VM_FAIL_IMAGE,	 /* a guest image is unreadable, no valid ELF, or does not fit */
	VM_FAIL_SETUP,	 /* the rest: vCPU state, memory, the event ring, the console file */
};

/*
 * Build the VM: memory, vCPU, guest images, tables. NULL with errno, *@fail
 * (when not NULL) and one line in @err set.
 */
struct vm *vm__create(const struct vm_config *cfg, enum vm_fail *fail, char *err, size_t errlen);
/* Run until the guest exits, crashes, times out or a signal stops it. */
int vm__run(struct vm *vm, struct vm_result *res);
void vm__destroy(struct vm *vm);

/*
 * Write @dir/pagetables.bin, the guest page-table snapshot (format and reader:
 * mmu/ptsnap.h, docs/ptsnap.md), from a stopped VM, atomically. The guest is
 * untrusted: only in-bounds, 4K-aligned tables are followed, each once.
 * Returns 0 or -errno with a message in @err.
 */
int vm__ptsnap_write(struct vm *vm, const char *dir, char *err, size_t errlen);

/* Guest memory access for introspection: NULL unless [gpa, gpa+len) is guest RAM. */
void *vm__gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len);

/* One address through the four spaces, read from a live (stopped) VM. */
struct vm_chain_level {
	unsigned level; /* 5 (PML5E), 4 (PML4E) .. 1 (PTE) */
	gpa_t table_gpa, entry_gpa;
	uint64_t entry;
	uint32_t flags; /* decoded entry bits, WALK_F_* of mmu/mmu.h */
};

#define VM_CHAIN_MAX_LEVELS 5

struct vm_chain {
	gva_t gva;
	uint64_t cr3;
	unsigned paging_levels; /* 4, or 5 with CR4.LA57 */
	unsigned maxphyaddr;	/* the guest's, from its CPUID 0x80000008 */
	unsigned access;	/* WALK_ACC_* the walk checked (0: supervisor read) */
	int nr_levels;		/* guest levels walked, highest first */
	struct vm_chain_level level[VM_CHAIN_MAX_LEVELS];
	bool gva_mapped;
	/* When unmapped: enum walk_fault_kind, the level of the entry that faulted and the x86
	 * #PF error code (0 for a non-canonical address: #GP); fault_addr is the GPA of a table
	 * entry outside guest RAM (kind "memory"). */
	int fault_kind; /* enum walk_fault_kind */
	unsigned fault_level;
	uint32_t error_code;
	gpa_t fault_addr;
	gpa_t gpa;
	uint64_t guest_page_size;
	bool kvm_checked, kvm_valid, kvm_agrees; /* KVM_TRANSLATE cross-check */
	gpa_t kvm_gpa;
	unsigned slot;
	gpa_t slot_gpa;	    /* the slot's first GPA */
	uint64_t slot_size; /* bytes */
	hva_t slot_hva;	    /* HVA of slot_gpa */
	hva_t hva;
	bool present, swapped, soft_dirty, exclusive; /* /proc/self/pagemap */
	bool hpa_known;
	hpa_t hpa;
	uint64_t host_page_size;
	enum vm_backing backing;
	char host_note[96]; /* why the HPA is not shown, when it is not */
};

/*
 * The chain of @gva under the vCPU's current CR3, walked as a supervisor read
 * (what KVM_TRANSLATE does). 0 or -errno (only if the vCPU is unreadable or not
 * in long mode).
 */
int vm__translate(struct vm *vm, gva_t gva, struct vm_chain *c);
/* The same for an access of kind @acc (WALK_ACC_*): faults and error codes are
 * those of that access; the KVM_TRANSLATE cross-check still compares a supervisor read. */
int vm__translate_access(struct vm *vm, gva_t gva, unsigned acc, struct vm_chain *c);
/*
 * The guest part of a chain (GVA -> GPA: levels, mapping or fault) walked over any table
 * memory, e.g. a run's page-table snapshot: fills @c's walk fields, keeps the others (the
 * caller sets gva, cr3 and access). 0, or the walker's error other than a fault (-EINVAL).
 */
int vm_chain_walk(const struct pt_mem *mem, const struct walk_cpu *cpu, gva_t gva, unsigned acc,
		  struct vm_chain *c);
/* "P RW US A D PS G NX ..." for WALK_F_* @flags, into @buf; returns @buf. */
const char *vm_chain_flags_str(uint32_t flags, char *buf, size_t len);
/* The fault of an unmapped chain: "not-present", "reserved-bit", "protection", ... */
const char *vm_chain_fault_name(const struct vm_chain *c);
/* The workload's entry point (its first user-mode instruction). */
gva_t vm__user_entry(const struct vm *vm);
void vm_chain_json(const struct vm_chain *c, struct json *j);
/* Only its guest part: gva, cr3, paging_levels, maxphyaddr, guest_walk, mapped, fault. */
void vm_chain_guest_json(const struct vm_chain *c, struct json *j);

/* Guest memory a workload needs, to check --mem before starting: bytes. */
uint64_t vm_mem_needed(const struct wl_params *p);

/* SIGINT/SIGTERM stop a running VM cleanly; the run still records results. */
void vm_install_signal_handlers(void);

/* Names of enum vm_end. */
const char *vm_end_name(enum vm_end end);

/* KVM binary statistics of the VM and vCPU fds (KVM_GET_STATS_FD). */
int kvm_stats_read(int fd, const char *scope, struct vm_stat *out, unsigned max, unsigned *n);
/* Value of a statistic by name (first match), or 0 when absent. */
uint64_t vm_result_stat(const struct vm_result *res, const char *name);

/* Registers and Capstone disassembly at RIP, into @buf. */
void vm__dump_crash(struct vm *vm, const struct mv_regs *regs, uint64_t cr3, char *buf, size_t len);

struct host_info;
/*
 * Which table the CPU walks in @h's MMU mode, as two lines of at most 80
 * columns (explain, run --chains), or as the object "translation" in @j.
 */
const char *vm_translation_text(const struct host_info *h);
void vm_translation_json(const struct host_info *h, struct json *j);

/* Everything run.json records (docs/run-json.md). */
struct run_record {
	const char *status;	/* "running", "ok", "failed" */
	const char *error;	/* one line when failed, else NULL */
	const char *started_at; /* ISO 8601 UTC */
	const char *paging;	/* the --paging request: "auto", "shadow", "tdp" */
	const struct vm_config *cfg;
	const struct host_info *host;
	const struct vm_result *res; /* NULL while running or when the VM never started */
	bool verify_done;
	bool verified;
	uint64_t expected_checksum;
	uint64_t wall_ns;
	uint64_t tsc_khz;
	const struct vm_chain *chains; /* --translate */
	unsigned nr_chains;
	bool paging_reloaded;		     /* --reload-kvm switched the host's MMU mode */
	const char *paging_from, *paging_to; /* host MMU modes before and after, when reloaded */
	const char *events_path;	     /* the event file, NULL when none was written */
	/* Extra top-level members written last (run --trace: "trace"); may be NULL. */
	void (*extra_json)(struct json *j, const void *arg);
	const void *extra_arg;
};

/* Write run.json atomically (and durably with @sync). Returns 0 or -errno. */
int run_record_write(const char *path, const struct run_record *rec, bool sync);
/* The record as JSON to @f (what --json prints). */
int run_record_fprint(FILE *f, const struct run_record *rec);

#endif
