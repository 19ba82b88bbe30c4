/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces of the guest kernel. */
#ifndef MV_KERNEL_H
#define MV_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "workloads/abi.h"
#include "x86/x86.h"

#define ENOMEM 12
#define EINVAL 22
#define EFAULT 14
#define ESRCH  3
#define ENOSYS 38

#define MAX_VMAS 64

struct vma {
	uint64_t start, end; /* GVA, end exclusive; start == end when the slot is free */
	uint64_t page_size;
	uint32_t prot;
};

struct proc {
	int used;
	uint64_t cr3; /* GPA of the PML4 */
	uint64_t mmap_next;
	int nr_vmas;
	struct vma vmas[MAX_VMAS];
	struct mv_regs regs; /* saved user context while not running */
};

extern struct mv_boot_info boot_info;
extern struct mv_kstats kstats;
extern struct proc procs[MV_MAX_PROCS];
extern struct proc *current;

static inline void *phys_to_virt(uint64_t gpa)
{
	return (void *)(MV_DIRECT_BASE + gpa);
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

/* mm.c */
uint64_t frame_alloc(uint64_t size);
uint64_t frame_alloc_aligned(uint64_t size, uint64_t align);
void frame_free(uint64_t gpa, uint64_t size);
void frame_discard_flush(void);
int pt_map(uint64_t cr3, uint64_t va, uint64_t gpa, uint64_t page_size, uint64_t flags);
uint64_t *pt_lookup(uint64_t cr3, uint64_t va, uint64_t *page_size);
int handle_page_fault(struct mv_regs *regs, uint64_t cr2);
long sys_mmap(uint64_t len, uint64_t page_size, uint64_t prot);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot);
int user_range_ok(uint64_t addr, uint64_t len, int write);
uint64_t new_address_space(void);

/* main.c; the handlers are called from entry.S */
void trap_handler(struct mv_regs *regs);
void syscall_handler(struct mv_regs *regs);
__attribute__((noreturn)) void panic(uint64_t reason, struct mv_regs *regs, uint64_t cr2);
void console_write(const char *s, uint64_t len);
void send_discard(const uint64_t *pairs, int n);
/* MV_MSG_POPULATE: the VMM maps @req; returns the tables it took (the run ends if it refuses). */
uint64_t send_populate(const struct mv_populate *req);
/*
 * Log one event into the ring the VMM drains (abi.h, docs/guest.md); @w0 is
 * MV_EV_WORD0(type, shift, arg). Every kernel instruction is emulated on PVM
 * hosts, so this is inlined into its callers (no argument shuffling) and
 * stays a handful of loads and stores: no lock (one vCPU, no interrupts),
 * nothing read from the ring but the indices.
 */
static inline __attribute__((always_inline)) void ev_emit(uint64_t w0, uint64_t a0, uint64_t a1,
							  uint64_t a2, uint64_t a3)
{
	typedef uint32_t __attribute__((may_alias)) u32_alias;
	typedef uint64_t __attribute__((may_alias)) u64_alias;
	struct mv_evring *r = (struct mv_evring *)boot_info.ev_ring;
	uint64_t p, mask = boot_info.ev_mask;
	struct mv_ev *e;
	uint32_t lo, hi;

	if (!r)
		return;
	p = r->prod;
	if (p - *(volatile uint64_t *)&r->cons > mask) {
		r->drops++;
		return;
	}
	e = (struct mv_ev *)((char *)r + MV_EVRING_HDR) + (p & mask);
	*(u64_alias *)e = w0; /* type, size, shift, arg in one store */
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	((u32_alias *)&e->tsc)[0] = lo;
	((u32_alias *)&e->tsc)[1] = hi;
	e->a[0] = a0;
	e->a[1] = a1;
	e->a[2] = a2;
	e->a[3] = a3;
	/* x86 keeps stores in order (SDM Vol. 3A, 9.2.2): the compiler must too. */
	__asm__ volatile("" ::: "memory");
	*(volatile uint64_t *)&r->prod = p + 1;
}

/* The page-table level whose entries map pages of @page_size: 1 (4K), 2 (2M), 3 (1G). */
static inline unsigned leaf_level(uint64_t page_size)
{
	return page_size == SZ_1G ? 3 : page_size == SZ_2M ? 2 : 1;
}

static inline uint32_t page_shift(uint64_t page_size)
{
	return pt_level_shift(leaf_level(page_size));
}

#endif
