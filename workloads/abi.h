/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest ABI: memory layout, ports, the kernel header the VMM reads, the
 * boot information it writes, the messages the guest sends and the
 * syscalls user programs make. Shared by the VMM, the guest kernel and the
 * guest programs; plain C types only.
 */
#ifndef MEMVIRT_ABI_H
#define MEMVIRT_ABI_H

#include <stdint.h>

#define MV_ABI_VERSION	3
#define MV_KHDR_MAGIC	0x4b5654524956454dULL /* "MEMVIRTK" */
#define MV_PARAMS_MAGIC 0x5641504dU	      /* "MPAV" */

/* I/O ports. */
#define MV_PORT_SERIAL 0x3f8 /* console: bytes, `rep outsb` for strings */
#define MV_PORT_CTRL   0x0e0 /* 32-bit out: GPA of a struct mv_msg */

/*
 * Guest virtual layout. The kernel is linked at MV_KERNEL_BASE, which maps
 * guest physical 0..1G with 2M pages; MV_DIRECT_BASE maps all of guest
 * physical memory with 2M pages. User space is the lower half.
 */
#define MV_KERNEL_BASE	  0xffffffff80000000ULL
#define MV_DIRECT_BASE	  0xffff888000000000ULL
#define MV_TRAMPOLINE	  0xffffff0000000000ULL /* user-executable syscall page, PML4 slot 510 */
#define MV_USER_IMAGE_MIN 0x400000ULL
#define MV_USER_IMAGE_MAX 0x40000000ULL	  /* the image lives in 4M..1G */
#define MV_MMAP_BASE	  0x8000000000ULL /* 512G: PML4 slot 1 and up */
#define MV_MMAP_END	  0x7f0000000000ULL
#define MV_STACK_TOP	  0x7ffffffff000ULL
#define MV_STACK_SIZE	  0x10000ULL /* pre-mapped by the VMM / kernel */

/* Guest physical layout of what the VMM builds. */
#define MV_GPA_GDT    0x1000ULL
#define MV_GPA_IDT    0x2000ULL
#define MV_GPA_TSS    0x3000ULL
#define MV_GPA_PT     0x10000ULL /* VMM-built page tables grow from here */
#define MV_GPA_PT_END 0x100000ULL
#define MV_GPA_KERNEL 0x200000ULL /* kernel image; linked at KERNEL_BASE + this */
#define MV_KERNEL_MAX 0x600000ULL /* kernel image, stacks and bss end below 8M */
#define MV_GPA_USER   0x800000ULL /* user image frames, then the frame pool */

/* GDT selectors, Linux layout (the host requires it). */
#define MV_SEL_KCODE 0x10
#define MV_SEL_KDATA 0x18
#define MV_SEL_UDATA 0x2b
#define MV_SEL_UCODE 0x33
#define MV_SEL_TSS   0x40

/*
 * The kernel image carries this header in its .mvhdr section. The VMM reads
 * it to build the IDT, TSS and syscall MSRs, and fills the boot info.
 */
struct mv_kernel_header {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t nr_vectors;	    /* exception entries in vectors[] */
	uint64_t vectors[32];	    /* GVA of each exception entry stub */
	uint64_t syscall_entry;	    /* GVA of the 4K-aligned trampoline page in the kernel image */
	uint64_t boot_info;	    /* GVA of struct mv_boot_info in kernel data */
	uint64_t kstack_top;	    /* GVA, TSS.RSP0 */
	uint64_t ist_stack_top;	    /* GVA, TSS.IST1 (double fault) */
	uint64_t syscall_stack_top; /* GVA, TSS.IST2 (#UD: syscalls through the trampoline) */
};

#define MV_MAX_IMAGE_RANGES 8

/* Written by the VMM into the kernel's data before the vCPU starts. */
struct mv_boot_info {
	uint64_t mem_size;   /* bytes of guest physical memory */
	uint64_t pool_start; /* GPA: first free frame */
	uint64_t pool_end;   /* GPA: end of the frame pool */
	uint64_t root_pt;    /* GPA of the first process's PML4 */
	uint64_t msg_gpa;    /* GPA of the kernel's message buffer */
	uint64_t tsc_khz;
	uint32_t flags;	      /* none defined: 0 */
	uint32_t nr_pt_pages; /* page-table pages the VMM built for the first process */
	uint64_t ev_ring;     /* GVA (direct map) of struct mv_evring; 0: no event channel */
	uint64_t ev_mask;     /* ring slots - 1 (a power of two minus one) */
};

/*
 * The guest event channel: a single-producer ring in guest memory that the
 * kernel fills and the VMM drains from a host thread, without an exit per
 * event. The VMM places it at the end of guest memory (MV_EVRING_HDR bytes
 * of header, then the slots) and tells the kernel where in mv_boot_info.
 * Indices run freely; slot = index & ev_mask. The guest writes a record,
 * then publishes it by advancing prod; the VMM copies records out, then
 * advances cons. A full ring drops the record and counts it in drops. The
 * VMM trusts nothing here: it takes the ring's place and size from its own
 * configuration and checks every index and record (docs/guest.md).
 */
#define MV_EVRING_MAGIC 0x474e495256455650ULL /* "PVEVRING" */
#define MV_EVRING_HDR	0x1000ULL	      /* header page; slots follow */
#define MV_EV_SIZE	64		      /* bytes per record */

struct mv_evring {
	uint64_t magic;	    /* VMM: MV_EVRING_MAGIC */
	uint32_t nr_slots;  /* VMM: for readers of a memory dump; neither side relies on it */
	uint32_t slot_size; /* VMM: MV_EV_SIZE */
	uint64_t reserved0[6];
	uint64_t prod;	/* guest: records published (free-running) */
	uint64_t drops; /* guest: records lost because the ring was full */
	uint64_t reserved1[6];
	uint64_t cons; /* VMM: records consumed (free-running) */
	uint64_t reserved2[7];
};

/* Record types. Every record is MV_EV_SIZE bytes. */
enum mv_ev_type {
	MV_EV_FAULT = 1,     /* a[0] cr2, a[1] rip, a[2] GPA mapped (page base), a[3] cr3;
			      * arg = #PF error code; shift = page size mapped */
	MV_EV_MAP = 2,	     /* a[0] va, a[1] len, a[2] cr3; arg = MV_PROT_*; shift */
	MV_EV_UNMAP = 3,     /* as MAP, arg = 0 */
	MV_EV_PROTECT = 4,   /* as MAP, arg = the new MV_PROT_* */
	MV_EV_AS_CREATE = 5, /* a[0] new root, a[1] creator's root; arg = pid */
	MV_EV_AS_SWITCH = 6, /* a[0] root switched to, a[1] root switched from; arg = pid */
	MV_EV_TLB_FLUSH = 7, /* a[0] va (invlpg), a[1] cr3; arg = 0 invlpg, 1 CR3 reload */
	MV_EV__COUNT,
};

struct mv_ev {
	uint16_t type; /* enum mv_ev_type */
	uint8_t size;  /* MV_EV_SIZE */
	uint8_t shift; /* page size: 12, 21 or 30 (FAULT, MAP, UNMAP, PROTECT); else 0 */
	uint32_t arg;  /* see enum mv_ev_type */
	uint64_t tsc;  /* guest rdtsc when the event happened */
	uint64_t a[4]; /* see enum mv_ev_type */
	uint64_t reserved[2];
};

/* The first 8 bytes of a record as one word (x86 is little-endian). */
#define MV_EV_WORD0(type, shift, arg)                                                  \
	((uint64_t)(type) | ((uint64_t)MV_EV_SIZE << 16) | ((uint64_t)(shift) << 24) | \
	 ((uint64_t)(uint32_t)(arg) << 32))

/* Control-port messages, guest -> VMM. */
enum mv_msg_type {
	MV_MSG_RESULT = 1,   /* a workload result (struct mv_result) */
	MV_MSG_EXIT = 2,     /* the workload ended; args[0] = status, then kernel counters */
	MV_MSG_PANIC = 3,    /* the guest crashed (struct mv_panic) */
	MV_MSG_STARTED = 4,  /* the workload reached its first instruction; args[0] = tsc */
	MV_MSG_DISCARD = 5,  /* freed frames: args[0] = n, then n (gpa, bytes) pairs; the VMM
			      * drops their host pages so they read as zero when reused */
	MV_MSG_EVSYNC = 6,   /* drain the event ring now (test guests, tests/guest/) */
	MV_MSG_POPULATE = 7, /* map a range now (struct mv_populate); the VMM writes the entries */
};

#define MV_DISCARD_MAX 31

/*
 * MV_MSG_POPULATE: the kernel hands the VMM one virtually and physically
 * contiguous mapping to write into the page tables at @cr3, so that an
 * mmap(MV_MAP_POPULATE) costs the emulated kernel one message, not one
 * fault per page. The VMM checks every field (docs/guest.md), fills only
 * entries that are not present, takes new tables from the front of
 * [table_gpa, table_gpa + nr_tables * 4K) and zeroes them, then reports
 * how many it took in tables_used. A refused message ends the run.
 */
struct mv_populate {
	uint64_t cr3;	     /* the PML4: must be the vCPU's CR3 */
	uint64_t va;	     /* first GVA, aligned to page_size, in the mmap area */
	uint64_t len;	     /* bytes, a non-zero multiple of page_size */
	uint64_t page_size;  /* 4K, 2M or 1G */
	uint64_t leaf_flags; /* leaf bits: P and US, and RW, A, D, NX as wanted (PS is the VMM's) */
	uint64_t data_gpa;   /* the data frames: [data_gpa, data_gpa + len), zero-filled */
	uint64_t table_gpa;  /* zero or more 4K frames for new tables, contiguous */
	uint64_t nr_tables;  /* frames at table_gpa */
	uint64_t tables_used; /* VMM -> guest: tables taken from the front of that run */
};

struct mv_result {
	uint64_t checksum;
	uint64_t accesses;
	uint64_t cycles; /* rdtsc delta around the measured loop */
	uint64_t faults; /* guest page faults the kernel handled during the loop */
	uint64_t kind;
	uint64_t footprint;
};

/* Kernel counters reported with MV_MSG_EXIT. */
struct mv_kstats {
	uint64_t status;
	uint64_t page_faults; /* demand faults handled */
	uint64_t syscalls;
	uint64_t cr3_switches;
	uint64_t invlpg;
	uint64_t cr3_flushes; /* CR3 reloads to flush a range */
	uint64_t frames_used; /* 4K frames allocated from the pool */
	uint64_t pt_pages;    /* page-table pages allocated */
	uint64_t maps, unmaps, protects;
	uint64_t procs;
	uint64_t populated; /* pages mapped at mmap time (MV_MSG_POPULATE), not faulted */
};

enum mv_panic_reason {
	MV_PANIC_USER_FAULT = 1,   /* a user exception the kernel could not handle */
	MV_PANIC_KERNEL_FAULT = 2, /* an exception at CPL0 */
	MV_PANIC_OOM = 3,	   /* frame pool exhausted */
	MV_PANIC_ASSERT = 4,
};

/* The interrupted context as the entry stubs saved it. */
struct mv_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* hardware frame */
};

struct mv_panic {
	uint64_t reason;
	uint64_t cr2;
	uint64_t cr3;
	struct mv_regs regs;
};

struct mv_msg {
	uint32_t type;
	uint32_t len; /* bytes of payload */
	union {
		struct mv_result result;
		struct mv_kstats kstats;
		struct mv_panic panic;
		struct mv_populate populate;
		uint64_t args[64];
	} u;
};

/* Parameters the VMM places at the top of the user stack; RDI points at them. */
struct mv_params {
	uint32_t magic;
	uint32_t kind;
	uint32_t nproc;
	uint32_t flags; /* MV_PARAMS_* */
	uint64_t footprint, iters, page_size, seed, stride;
};

/* mv_params.flags */
#define MV_PARAMS_POPULATE (1u << 0) /* map data regions with MV_MAP_POPULATE (run --populate) */

/* Syscalls: number in rax, arguments in rdi, rsi, rdx, r10; result in rax (negative errno). */
enum mv_syscall {
	MV_SYS_EXIT = 0,     /* status */
	MV_SYS_WRITE = 1,    /* buf, len: to the console */
	MV_SYS_MMAP = 2,     /* len, page_size, prot | MV_MAP_* -> GVA */
	MV_SYS_MUNMAP = 3,   /* addr, len */
	MV_SYS_MPROTECT = 4, /* addr, len, prot */
	MV_SYS_REPORT = 5,   /* struct mv_result * */
	MV_SYS_SPAWN = 6,    /* entry, arg -> pid: a new process in a new address space */
	MV_SYS_SWITCH = 7,   /* pid: run that process (CR3 switch); returns when switched back */
	MV_SYS_GETPID = 8,
	MV_SYS_FAULTS = 9, /* -> page faults handled so far */
	MV_SYS__COUNT,
};

#define MV_PROT_READ  1
#define MV_PROT_WRITE 2
#define MV_PROT_EXEC  4
#define MV_PROT_MASK  7

/* mmap flags, or'ed into its prot argument. */
#define MV_MAP_POPULATE 0x100 /* map the whole range now, through the VMM (MV_MSG_POPULATE) */

#define MV_MAX_PROCS 16

#endif
