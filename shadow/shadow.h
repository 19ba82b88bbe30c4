/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A software model of KVM's shadow MMU (Linux 6.1: arch/x86/kvm/mmu/mmu.c, paging_tmpl.h,
 * spte.c) for a 64-bit guest with 4- or 5-level paging, EFER.NXE=1 and CR0.WP=1, one vCPU.
 * It keeps shadow pages keyed by guest table and role, write-protects and write-tracks the
 * guest tables it shadows, lets last-level shadow pages go unsync, prefetches, zaps, recycles,
 * caches roots per CR3, and counts what KVM counts, under KVM's names. It reads guest page
 * tables through a small callback table and knows nothing else of the simulator. The rules
 * and the simplifications: docs/shadow-model.md.
 */
#ifndef MEMVIRT_SHADOW_H
#define MEMVIRT_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/x86.h"

/* KVM's constants, checked in Linux 6.1 (the file each comes from in the comment). */
#define SHADOW_PTE_PREFETCH_NUM	      8	   /* PTE_PREFETCH_NUM, mmu/mmu.c */
#define SHADOW_NUM_PREV_ROOTS	      3	   /* KVM_MMU_NUM_PREV_ROOTS, asm/kvm_host.h */
#define SHADOW_MIN_FREE_PAGES	      5	   /* KVM_MIN_FREE_MMU_PAGES, asm/kvm_host.h */
#define SHADOW_REFILL_PAGES	      25   /* KVM_REFILL_PAGES, asm/kvm_host.h */
#define SHADOW_MIN_ALLOC_PAGES	      64   /* KVM_MIN_ALLOC_MMU_PAGES, asm/kvm_host.h */
#define SHADOW_PAGES_RATIO	      50   /* KVM_MEMSLOT_PAGES_TO_MMU_PAGES_RATIO */
#define SHADOW_HASH_SHIFT	      12   /* KVM_MMU_HASH_SHIFT, asm/kvm_host.h; grown */
#define SHADOW_FLOOD_WRITES	      3	   /* detect_write_flooding(), mmu/mmu.c */
#define SHADOW_RMAP_RECYCLE_THRESHOLD 1000 /* RMAP_RECYCLE_THRESHOLD, mmu/mmu.c */

/* ------------------------------------------------------------------------------------------ */
/* What the model needs from its environment. */

/*
 * How the model asks for the host page behind a guest frame (KVM 6.1, virt/kvm/kvm_main.c):
 * QUERY only asks whether the gfn is guest RAM (a memslot lookup; nothing is faulted in);
 * READ and WRITE are kvm_faultin_pfn() for a read or a write fault (hva_to_pfn() with
 * write_fault false or true); ATOMIC is the prefetchers' gfn_to_pfn_memslot_atomic(), which
 * only finds a page the host maps writable already.
 */
enum shadow_host_access {
	SHADOW_HOST_QUERY,
	SHADOW_HOST_READ,
	SHADOW_HOST_WRITE,
	SHADOW_HOST_ATOMIC,
};

/*
 * host_page's return when faulting the page in changed the host's mapping of the gfn (a
 * write that breaks copy-on-write of the zero page): the MMU notifier's invalidation ran
 * during the fault, so the model drops the gfn's SPTEs as kvm_unmap_gfn_range() does and the
 * fault is retried (is_page_fault_stale(): RET_PF_RETRY).
 */
#define SHADOW_HOST_INVALIDATED 1

/*
 * Guest memory and its host backing. @read loads the 8-byte entry at @gpa (8-aligned) and
 * returns 0, or -EFAULT when @gpa is not guest RAM. @cmpxchg, when set, lets the model set
 * accessed and dirty bits in guest entries as KVM's walker does (write @new if the entry still
 * holds @old: 0, -EAGAIN if it changed, -EFAULT); when NULL the model decides as if it had set
 * them and leaves guest memory alone. @host_page says whether @gfn is guest RAM (0) or not
 * (-ENOENT: MMIO), and if it is, its host frame, the level (1: 4K, 2: 2M, 3: 1G) of the host
 * page that backs it (a huge level needs @pfn congruent to @gfn modulo that page) and whether
 * the host maps it writable (a read of never-written anonymous memory maps the shared zero
 * page read-only); for ATOMIC it returns -EAGAIN when the host maps no writable page now,
 * and for a fault it may return SHADOW_HOST_INVALIDATED.
 */
struct shadow_guest_ops {
	int (*read)(void *ctx, gpa_t gpa, uint64_t *val);
	int (*cmpxchg)(void *ctx, gpa_t gpa, uint64_t old, uint64_t new);
	int (*host_page)(void *ctx, gfn_t gfn, enum shadow_host_access acc, pfn_t *pfn,
			 unsigned *level, bool *writable);
};

struct shadow_config {
	unsigned levels;	 /* guest paging levels: 4, or 5 (CR4.LA57) */
	uint64_t ram_pages;	 /* 4K pages in the guest's memslots: KVM's default page limit */
	uint64_t max_mmu_pages;	 /* KVM_SET_NR_MMU_PAGES; 0 for KVM's default */
	unsigned maxphyaddr;	 /* guest MAXPHYADDR: entry bits above it are reserved */
	unsigned max_huge_level; /* largest SPTE: 3 (1G) if the host has GBPAGES, else 2 */
	bool gbpages;		 /* guest CPUID has 1G pages (else PS in a PDPTE is reserved) */
	hpa_t spt_base;		 /* host address of the model's first shadow page (4K each) */
};

/* Defaults: 4 levels, 1 GiB of RAM, KVM's page limit, MAXPHYADDR 46, 1G SPTEs and pages. */
void shadow_config__default(struct shadow_config *cfg);

/* ------------------------------------------------------------------------------------------ */
/* KVM's statistics and tracepoint counts for this VM and its vCPU, under KVM's names. */

struct shadow_stats {
	/* vCPU statistics (struct kvm_vcpu_stat) */
	uint64_t pf_taken;    /* kvm_mmu_do_page_fault() calls */
	uint64_t pf_fixed;    /* faults that returned RET_PF_FIXED */
	uint64_t pf_guest;    /* #PF injected into the guest (kvm_inject_page_fault) */
	uint64_t pf_emulate;  /* faults that returned RET_PF_EMULATE */
	uint64_t pf_spurious; /* faults that returned RET_PF_SPURIOUS */
	uint64_t invlpg;      /* kvm_mmu_invlpg() */
	uint64_t tlb_flush;   /* vCPU TLB flushes serviced before entry */
	/* VM statistics (struct kvm_vm_stat) */
	uint64_t mmu_cache_miss;    /* shadow page looked up and not found */
	uint64_t mmu_pte_write;	    /* emulated writes seen by kvm_mmu_pte_write() */
	uint64_t mmu_flooded;	    /* pages zapped as flooded or misaligned-written */
	uint64_t mmu_pde_zapped;    /* upper-level entries zapped by a non-zero guest write */
	uint64_t mmu_shadow_zapped; /* __kvm_mmu_prepare_zap_page() calls */
	uint64_t mmu_recycled;	    /* pages zapped to refill the free pool */
	uint64_t mmu_unsync;	    /* gauge: shadow pages now unsync */
	uint64_t pages_4k;	    /* gauge: leaf SPTEs mapping 4K */
	uint64_t pages_2m;	    /* gauge: leaf SPTEs mapping 2M */
	uint64_t pages_1g;	    /* gauge: leaf SPTEs mapping 1G */
	/* tracepoints (arch/x86/kvm/mmu/mmutrace.h), counted */
	uint64_t kvm_mmu_get_page_created;
	uint64_t kvm_mmu_get_page_found;
	uint64_t kvm_mmu_sync_page;
	uint64_t kvm_mmu_unsync_page;
	uint64_t kvm_mmu_prepare_zap_page;
};

/* One counter: its KVM name, where it lives in struct shadow_stats, and what it is. */
struct shadow_stat_desc {
	const char *name;
	size_t offset;
	bool gauge;	    /* a current value rather than a running count */
	const char *source; /* "vcpu", "vm" or "tracepoint" */
};

/* The counters in declaration order; *n receives their number. */
const struct shadow_stat_desc *shadow_stat_table(size_t *n);

/* The counter called @name: 0, or -ENOENT. */
int shadow_stat_get(const struct shadow_stats *st, const char *name, uint64_t *val);

/* ------------------------------------------------------------------------------------------ */
/* The model. */

struct shadow;

/* What a fault came to (KVM's RET_PF_* and the injection of a guest #PF). */
enum shadow_pf {
	SHADOW_PF_FIXED,    /* an SPTE was installed or changed: retry the access */
	SHADOW_PF_SPURIOUS, /* the SPTE already allowed the access */
	SHADOW_PF_EMULATE,  /* the access is emulated; a store to RAM: call shadow__guest_write */
	SHADOW_PF_GUEST,    /* the guest's own tables refuse it: #PF injected */
	SHADOW_PF_RETRY,    /* nothing done, the access will fault again */
};

/* One SPTE read by a shadow walk. */
struct shadow_walk_step {
	unsigned level; /* 5 (PML5E) .. 1 (PTE) */
	hpa_t table;	/* host address of the shadow page */
	hpa_t entry;	/* host address of the SPTE */
	uint64_t spte;
};

/* The hardware's 1D walk over the shadow tables for one access. */
struct shadow_xlate {
	unsigned nsteps; /* SPTEs read, root first */
	struct shadow_walk_step step[PT_MAX_LEVELS];
	bool ok;	     /* the leaf allows the access */
	bool mmio;	     /* the walk ended at an MMIO SPTE */
	unsigned leaf_level; /* level of the leaf when one was found */
	uint32_t error_code; /* the #PF error code when !ok (PF_ERR_*) */
	gpa_t gpa;	     /* when ok: the guest physical address shadowed */
	hpa_t hpa;	     /* when ok: the host physical address */
};

#define SHADOW_XLATE_SET_AD 1u /* set A (and D on a write) in the SPTEs, as the walker does */

/*
 * A model for one vCPU. @ops and @ctx give guest memory; @cfg is copied. NULL with errno
 * EINVAL for a bad configuration or ENOMEM.
 */
struct shadow *shadow__new(const struct shadow_config *cfg, const struct shadow_guest_ops *ops,
			   void *ctx);
void shadow__delete(struct shadow *s);

/*
 * The guest loads CR3 (MOV to CR3, CR4.PCIDE=0): a cached root for @cr3 is reused, otherwise
 * one is found or created; the root's unsync pages are synced and the TLB flushed. 0, or
 * -EFAULT when @cr3 is not guest RAM (KVM makes that a triple fault).
 */
int shadow__cr3_load(struct shadow *s, gpa_t cr3);

/*
 * A guest access to @gva that faulted in hardware; @access holds PF_ERR_W, PF_ERR_U and
 * PF_ERR_I. The model adds PF_ERR_P itself from its shadow tables. Returns an enum shadow_pf
 * (for SHADOW_PF_GUEST the guest's error code goes to *pf_error if not NULL) or -errno:
 * -EINVAL before the first CR3 load, -ENOSPC when no shadow page can be freed.
 */
int shadow__fault(struct shadow *s, gva_t gva, unsigned access, uint32_t *pf_error);

/*
 * The emulator stored @bytes bytes (1..8) of @value at @gpa in guest RAM, after a fault that
 * returned SHADOW_PF_EMULATE; guest memory must already hold the new value.
 */
void shadow__guest_write(struct shadow *s, gpa_t gpa, uint64_t value, unsigned bytes);

/*
 * The host unmapped guest frames [@gfn, @gfn + @n) (an MMU-notifier invalidation:
 * MADV_DONTNEED, a hole punched, copy-on-write) while the vCPU is outside the guest (the VMM
 * handling an exit): every leaf SPTE mapping one of them is dropped as kvm_unmap_gfn_range()
 * drops them, and a TLB flush is requested if any was (kvm_flush_remote_tlbs). Requests made
 * during one exit are serviced once, when the vCPU enters: at shadow__vcpu_enter or the
 * model's next call. Returns how many SPTEs were dropped.
 */
uint64_t shadow__host_unmap(struct shadow *s, gfn_t gfn, uint64_t n);

/* The vCPU enters the guest after an exit the model did not see: pending requests are served. */
void shadow__vcpu_enter(struct shadow *s);

/* The guest executes INVLPG @gva. */
void shadow__invlpg(struct shadow *s, gva_t gva);

/* The guest flushes its whole TLB (CR4.PGE toggle, INVPCID all-context). */
void shadow__flush_guest_tlb(struct shadow *s);

/*
 * The guest page at @gfn, a page table until now, is reused: its shadow pages are zapped as
 * kvm_mmu_unprotect_page() does. Returns how many shadow pages were zapped.
 */
unsigned shadow__table_freed(struct shadow *s, gfn_t gfn);

/*
 * The walk the hardware makes over the shadow tables for @gva and @access (PF_ERR_* bits),
 * with SHADOW_XLATE_SET_AD in @flags to set accessed/dirty bits in the SPTEs. 0, or -EINVAL
 * when no root is loaded.
 */
int shadow__translate(struct shadow *s, gva_t gva, unsigned access, unsigned flags,
		      struct shadow_xlate *out);

/* Host address of the current root's shadow page (the hardware's CR3), 0 when none is loaded. */
hpa_t shadow__root_hpa(const struct shadow *s);

/*
 * The 8-byte SPTE at host address @hpa (8-aligned) in the model's shadow pages, as the
 * hardware walker reads it; 0 where no shadow page is. Lets a caller walk the shadow tables
 * with its own walker.
 */
uint64_t shadow__read_spte(const struct shadow *s, hpa_t hpa);

/* Shadow pages allocated and not yet freed (KVM's n_used_mmu_pages). */
uint64_t shadow__live_pages(const struct shadow *s);

/* The page limit in force (KVM's n_max_mmu_pages). */
uint64_t shadow__max_pages(const struct shadow *s);

/* A copy of the counters. */
void shadow__stats(const struct shadow *s, struct shadow_stats *out);

#endif
