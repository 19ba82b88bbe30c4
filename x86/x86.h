/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 paging facts, written once: address-space types and their conversions,
 * page sizes, the page-table entry format and index arithmetic, the CR0, CR4 and
 * EFER bits paging depends on, and the #PF error code. Freestanding (only
 * <stdint.h>), so the guest kernel, the VMM and the simulator share it.
 */
#ifndef MEMVIRT_X86_H
#define MEMVIRT_X86_H

#include <stdint.h>

/* ------------------------------------------------------------------------------------------ */
/* Address spaces: one integer type each, converted only through the helpers below. */

typedef uint64_t gva_t; /* guest virtual */
typedef uint64_t gpa_t; /* guest physical */
typedef uint64_t hva_t; /* host virtual (this process) */
typedef uint64_t hpa_t; /* host physical */
typedef uint64_t gfn_t; /* guest frame number: gpa_t >> X86_PAGE_SHIFT */
typedef uint64_t pfn_t; /* host frame number: hpa_t >> X86_PAGE_SHIFT */

/* ------------------------------------------------------------------------------------------ */
/* Page sizes and the page-table tree (SDM Vol. 3A §4.5). */

/* The three page sizes: 4K PTE, 2M PDE, 1G PDPTE leaves. */
#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define SZ_1G 0x40000000ULL

#define X86_PAGE_SHIFT 12
#define X86_PAGE_SIZE  SZ_4K		   /* 1 << X86_PAGE_SHIFT */
#define X86_PAGE_MASK  (X86_PAGE_SIZE - 1) /* offset bits of a 4K page */

#define PT_INDEX_BITS 9			    /* each level translates 9 address bits */
#define PT_ENTRIES    (1u << PT_INDEX_BITS) /* 512 eight-byte entries per 4K table */
#define PT_MAX_LEVELS 5			    /* levels are numbered 1 (PTE) .. 5 (PML5E) */

static inline gfn_t gpa_to_gfn(gpa_t gpa)
{
	return gpa >> X86_PAGE_SHIFT;
}

static inline gpa_t gfn_to_gpa(gfn_t gfn)
{
	return gfn << X86_PAGE_SHIFT;
}

static inline pfn_t hpa_to_pfn(hpa_t hpa)
{
	return hpa >> X86_PAGE_SHIFT;
}

static inline hpa_t pfn_to_hpa(pfn_t pfn)
{
	return pfn << X86_PAGE_SHIFT;
}

/* Shift of the address bits an entry at @level (1..5) translates: 12, 21, 30, 39, 48. */
static inline unsigned pt_level_shift(unsigned level)
{
	return X86_PAGE_SHIFT + PT_INDEX_BITS * (level - 1);
}

/* Bytes one entry at @level maps: 4K, 2M, 1G, 512G, 256T. */
static inline uint64_t pt_level_size(unsigned level)
{
	return 1ULL << pt_level_shift(level);
}

/* Index of the entry for @va in its table at @level (1..5): 0..511. */
static inline unsigned pt_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> pt_level_shift(level)) & (PT_ENTRIES - 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Page-table entry format (SDM Vol. 3A §4.5, Tables 4-14 to 4-20; AMD APM Vol. 2 §5.3). */

#define PTE_P	      (1ULL << 0)	    /* present */
#define PTE_RW	      (1ULL << 1)	    /* writable */
#define PTE_US	      (1ULL << 2)	    /* user-mode accessible */
#define PTE_PWT	      (1ULL << 3)	    /* page-level write-through */
#define PTE_PCD	      (1ULL << 4)	    /* page-level cache disable */
#define PTE_A	      (1ULL << 5)	    /* accessed */
#define PTE_D	      (1ULL << 6)	    /* dirty (leaf only) */
#define PTE_PS	      (1ULL << 7)	    /* page size (PDPTE: 1G, PDE: 2M) */
#define PTE_PAT_4K    (1ULL << 7)	    /* PAT bit of a 4K PTE */
#define PTE_G	      (1ULL << 8)	    /* global (leaf only) */
#define PTE_PAT_LARGE (1ULL << 12)	    /* PAT bit of a 2M or 1G leaf */
#define PTE_NX	      (1ULL << 63)	    /* execute-disable (needs EFER.NXE) */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL /* bits 51:12 */

/* ------------------------------------------------------------------------------------------ */
/* Page-fault error code (SDM Vol. 3A §4.7, Figure 4-12). */

#define PF_ERR_P    (1u << 0) /* 0: not present; 1: protection or reserved bit */
#define PF_ERR_W    (1u << 1) /* a write */
#define PF_ERR_U    (1u << 2) /* CPL 3 */
#define PF_ERR_RSVD (1u << 3) /* a reserved bit was set */
#define PF_ERR_I    (1u << 4) /* an instruction fetch */

/* ------------------------------------------------------------------------------------------ */
/* Control registers and EFER (SDM Vol. 3A §2.5, §4.1; Vol. 4 MSR 0xC0000080). */

#define CR0_PE (1ULL << 0)  /* protected mode */
#define CR0_MP (1ULL << 1)  /* monitor coprocessor */
#define CR0_ET (1ULL << 4)  /* extension type */
#define CR0_NE (1ULL << 5)  /* native FPU errors */
#define CR0_WP (1ULL << 16) /* supervisor writes honour read-only pages */
#define CR0_PG (1ULL << 31) /* paging */

#define CR4_PAE	       (1ULL << 5)  /* physical-address extension */
#define CR4_PGE	       (1ULL << 7)  /* global pages */
#define CR4_OSFXSR     (1ULL << 9)  /* FXSAVE/FXRSTOR and SSE */
#define CR4_OSXMMEXCPT (1ULL << 10) /* unmasked SIMD exceptions */
#define CR4_LA57       (1ULL << 12) /* 5-level paging */
#define CR4_SMEP       (1ULL << 20) /* supervisor-mode execution prevention */
#define CR4_SMAP       (1ULL << 21) /* supervisor-mode access prevention */

#define MSR_EFER 0xc0000080
#define EFER_SCE (1ULL << 0)  /* SYSCALL/SYSRET */
#define EFER_LME (1ULL << 8)  /* long mode enable */
#define EFER_LMA (1ULL << 10) /* long mode active */
#define EFER_NXE (1ULL << 11) /* execute-disable bit in entries */

#endif
