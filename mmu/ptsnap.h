/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table snapshot (pagetables.bin of a run directory, docs/ptsnap.md):
 * every table page reachable from the vCPU's CR3 at the end of the run, the
 * guest memory map and the workload. The format and its reader; the VMM's
 * writer (vmm/ptsnap.c) and the simulator's run input both use it.
 */
#ifndef MEMVIRT_MMU_PTSNAP_H
#define MEMVIRT_MMU_PTSNAP_H

#include <stddef.h>
#include <stdint.h>

#include "x86/x86.h"

#define PTSNAP_MAGIC   "MVPTSNAP"
#define PTSNAP_VERSION 1
#define PTSNAP_FILE    "pagetables.bin"
#define PTSNAP_MAX_MAP 16

/* File layout: header, nregions x struct ptsnap_region, npages x struct ptsnap_page. */
struct ptsnap_header {
	char magic[8];	      /* PTSNAP_MAGIC */
	uint32_t version;     /* PTSNAP_VERSION */
	uint32_t header_size; /* sizeof(struct ptsnap_header) */
	uint64_t cr3;	      /* the vCPU's CR3 (PCID bits included) */
	uint32_t levels;      /* 4, or 5 with CR4.LA57 */
	uint32_t maxphyaddr;
	uint32_t nregions; /* memory-map entries */
	uint32_t npages;   /* table pages */
	/* The workload, as run.json "config" records it. */
	uint32_t wl_kind, wl_nproc;
	uint64_t wl_footprint, wl_iters, wl_page_size, wl_seed, wl_stride;
	uint64_t data_gva; /* GVA of the workload's data region (its first mmap) */
	uint64_t reserved[4];
};

struct ptsnap_region {
	uint64_t gpa, size; /* guest RAM [gpa, gpa + size) */
	uint32_t type;	    /* 1: RAM */
	uint32_t reserved;
};

struct ptsnap_page {
	uint64_t gpa;	/* 4K aligned, inside a region */
	uint32_t level; /* 5 (PML5) .. 1 (page table) */
	uint32_t reserved;
	uint8_t data[X86_PAGE_SIZE];
};

/*
 * Read a snapshot: the header into *h, the memory map into @map (room for
 * PTSNAP_MAX_MAP regions), then @page for each table page. The file is
 * untrusted: every field is checked (sizes, counts, alignment, bounds,
 * levels). Returns 0, -EINVAL with "FILE: problem" in @err, @page's error, or
 * -errno with "FILE: reason" in @err when the file cannot be opened.
 */
int ptsnap_read(const char *path, struct ptsnap_header *h, struct ptsnap_region *map,
		int (*page)(void *ctx, const struct ptsnap_page *p), void *ctx, char *err,
		size_t errlen);

/*
 * A snapshot's tables held for walks: a read-only table memory addressed by
 * GPA (mmu/mmu.h's struct pt_mem) in which only the snapshot's pages exist.
 * A load from any other frame is -EFAULT, so a walk that leaves the copied
 * tables stops with WALK_FAULT_MEMORY instead of reading zeros; writes are
 * -EPERM. At most PTSNAP_MAX_PAGES pages, each GPA once (the writer copies
 * every frame once).
 */
#define PTSNAP_MAX_PAGES (1u << 18)

struct pt_mem;
struct ptsnap_tables;

/* ptsnap_read()'s checks and errors, then the pages; NULL with errno and "FILE: ..." in @err. */
struct ptsnap_tables *ptsnap_tables__load(const char *path, struct ptsnap_header *h,
					  struct ptsnap_region *map, char *err, size_t errlen);
void ptsnap_tables__free(struct ptsnap_tables *t);
const struct pt_mem *ptsnap_tables__mem(const struct ptsnap_tables *t);
/* The table pages held. */
uint32_t ptsnap_tables__pages(const struct ptsnap_tables *t);

#endif
