/* SPDX-License-Identifier: GPL-2.0 */
/* sim/, private: the inputs the machine runs and the run-directory loader. */
#ifndef MEMVIRT_SIM_INTERNAL_H
#define MEMVIRT_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

/* Guest physical memory the machine simulates: [0, 64G), below the host's copy at 64G. */
#define SIM_GUEST_LIMIT SIM_HOST_OFFSET
/* Guest tables beyond [SIM_TABLE_BASE, SIM_DATA_BASE) go on here, up to SIM_GUEST_LIMIT. */
#define SIM_TABLE_HIGH_BASE (48ULL << 30)
/* What -ENOSPC from mapping a page means: the limit of the machine's guest-physical space. */
#define SIM_FULL_MSG                                                                           \
	"the simulated machine's guest-physical memory is full (64G: page tables in [1M, 1G) " \
	"and [48G, 64G), data pages from 1G up: at most about 4.2 million table pages and 12 " \
	"million data pages; shadow mode keeps its tables in the first GiB: about 260,000)"
/* -ENOSPC in shadow mode once its tables have filled [1M, 1G): machine__full_msg(). */
#define SIM_FULL_SHADOW_MSG                                                                   \
	"the guest's page tables fill its first GiB, where shadow mode keeps them (at most "  \
	"261,888 table pages; a scattered trace takes about one per 2M region touched): use " \
	"--paging native or nested (tables up to 64G), or a trace over fewer 2M regions"
#define SIM_BATCH  1024
#define SIM_MAX_AS 16 /* guest address spaces an event file may switch between */
/* The host's shared zero page (host_anon), at an HPA no guest frame is backed by. */
#define SIM_HOST_ZERO_PAGE (SIM_HOST_OFFSET - X86_PAGE_SIZE)

struct machine_spt;

/* A set of page numbers, for pages mapped on demand: bitmaps of 512 pages, hashed. */
#define PAGE_SET_BITS 512
struct page_region {
	uint64_t key; /* region number + 1; 0 = empty */
	uint64_t bits[PAGE_SET_BITS / 64];
};

struct page_set {
	struct page_region *slot; /* open addressing, linear probing, at most half full */
	size_t cap, n;
	struct page_region *last; /* the region of the last page added */
};

/* One simulated machine for one paging mode. */
struct machine {
	const struct sim_machine_config *c;
	enum paging_mode mode;
	struct ptmem *guest, *host;
	uint64_t groot, hroot;
	gpa_t next_table, next_data;
	gpa_t host_table_end, host_data_end; /* GPAs mapped in the host tables so far */
	gpa_t host_table_hi_end;	     /* the same, tables from SIM_TABLE_HIGH_BASE */
	struct page_set gpages;
	struct machine_spt *spt; /* shadow mode: the shadow MMU model and its bookkeeping */
	struct sim *sim;
	struct ptsnap_header snap; /* run: the snapshot's header */
	gpa_t ram_end;		   /* end of guest RAM */
	int err;
	uint64_t accesses;	    /* counted for the progress callback only */
	uint64_t total;		    /* a workload's accesses in all, for it too (0: unknown) */
	const struct in_stream *in; /* file input being read, for the progress callback */
	/* host_anon: per guest frame, the host page's state and, nested, KVM's TDP entry */
	uint8_t *hstate;
	uint64_t hstate_n;
	struct sim_tdp_result tdp;
	uint64_t xgen;	  /* bumped by every change to the guest tables or the host's mappings */
	uint64_t dm_size; /* shadow mode: bytes of GPA the guest's direct map covers */
	uint64_t tdp_exits_pending; /* nested: NPT faults taken before the simulator existed */
	/* the run's memslot (replay: its vmm_memslot record), for host_thp's alignment */
	bool slot_known;
	uint64_t slot_gpa, slot_size, slot_hva;
	/* a synthetic workload's buffer, mapped linearly: GVA lin_gva + x is GPA lin_gpa + x */
	gva_t lin_gva;
	gpa_t lin_gpa;
	uint64_t lin_len;
	gva_t tdp_memo_page; /* nested: the page last given a TDP entry, while xgen holds */
	uint64_t tdp_memo_gen;
	bool tdp_memo_write;
	/* address spaces an event file names: the guest's CR3 values and the machine's roots */
	uint64_t as_cr3[SIM_MAX_AS];
	gpa_t as_root[SIM_MAX_AS];
	unsigned nas;
	const char *buf; /* synthetic: the host buffer the workload runs over */
	gva_t data_gva;	 /* synthetic: the GVA of buf */
	/* The region of interest: the workload's phase, warm-up left, the counters' baselines */
	int phase; /* enum wl_phase */
	uint64_t warm_left;
	struct sim_roi_result roi;
	struct sim_shadow_result spt_base; /* shadow mode: the model's counters at the reset */
	/* Accesses not yet simulated: sim__access_batch reads ahead in them. */
	struct sim_req batch[SIM_BATCH];
	size_t nbatch;
};

/* Simulate the pending accesses (before any table change, so the order is kept). */
void machine__flush(struct machine *m);
/* Add one user, writable leaf of @ps from @va to @pa to the tables at @root (the table builder). */
int machine_map(struct ptmem *mem, uint64_t root, uint64_t va, uint64_t pa, enum page_size ps,
		unsigned levels);

/*
 * Shadow mode (sim/spt.c): the machine runs KVM's shadow MMU model (shadow/) over its guest
 * tables. machine__spt_new builds it (the guest's direct map of its tables, the first CR3
 * load) and gives the tables the simulator walks; the others are called where the machine
 * touches a page for the first time, maps a guest page, or accesses memory.
 */
const char *machine__full_msg(const struct machine *m);
int machine__spt_new(struct machine *m, struct sim_tables *t);
int machine__spt_start(struct machine *m);
void machine__spt_free(struct machine *m);
int machine__spt_guest_fault(struct machine *m, gva_t va);
int machine__spt_map(struct machine *m, gva_t va, gpa_t pa, enum page_size ps);
int machine__spt_access(struct machine *m, gva_t va, bool write);
void machine__spt_result(struct machine *m, struct sim_shadow_result *out);
/*
 * Event-file replay in shadow mode: the guest kernel's flushes and address-space switches as
 * the model takes them (the machine__* versions below call them in shadow mode).
 */
int machine__spt_invlpg(struct machine *m, gva_t va);
int machine__spt_flush_guest(struct machine *m);
int machine__spt_cr3_load(struct machine *m, gpa_t root);
/* Map the guest page of @va now (a guest fault in the current address space); 0 or -errno. */
int machine__fault_map(struct machine *m, gva_t va);

int machine__spt_table_store(struct machine *m, gpa_t gpa);
int machine__spt_kernel_write(struct machine *m, gpa_t gpa);
/* The guest kernel stores to its memory at @gpa (through its direct map); 0 or -errno. */
int machine__kernel_write(struct machine *m, gpa_t gpa);
/* Whether @va lies in the guest kernel's direct map (shadow mode), which no input may map. */
bool machine__in_direct_map(const struct machine *m, gva_t va);
void machine__spt_host_unmap(struct machine *m, gfn_t gfn, uint64_t n);
int machine__spt_vcpu_enter(struct machine *m);

/*
 * The guest OS's table updates, in every mode (shadow mode: through the model). The guest
 * walk for @va in the current address space: entries' GPAs and values, root first, down to
 * the first entry not present or the leaf; returns how many were read.
 */
unsigned machine__guest_walk(struct machine *m, gva_t va, gpa_t *entry, uint64_t *val);
/* Whether the current address space maps @va (a present leaf); its GPA in *gpa if so. */
bool machine__guest_mapped(struct machine *m, gva_t va, gpa_t *gpa);
/*
 * Rewrite the leaf mapping @va (munmap: @clear_all; mprotect: @clear off, @set on): 1 when
 * it stored (the old leaf's frame in *old_pa, its size in *old_size), 0 when no leaf maps
 * @va, or -errno. *next: the first address past the leaf or the unmapped region.
 */
int machine__set_leaf(struct machine *m, gva_t va, bool clear_all, uint64_t clear, uint64_t set,
		      gva_t *next, gpa_t *old_pa, uint64_t *old_size);
int machine__invlpg(struct machine *m, gva_t va);
int machine__flush_guest(struct machine *m);
int machine__cr3_load(struct machine *m, uint64_t cr3);
int machine__as_seen(struct machine *m, uint64_t cr3);
/* The machine's root for guest CR3 @cr3, a new one when first seen (*created). */
int machine__as_root(struct machine *m, uint64_t cr3, gpa_t *root, bool *created);
/* Map the guest page of @va to @gpa (page size @ps): a guest fault's mapping; 0 or -errno. */
int machine__fault_map_at(struct machine *m, gva_t va, gpa_t gpa, enum page_size ps);

/* Nested mode: back GPAs [*end, gpa_end) with host pages in the host tables. */
int machine__host_cover(struct machine *m, gpa_t *end, gpa_t gpa_end);

/* Host memory (sim/hostmem.c), with host_anon. */
int machine__host_init(struct machine *m);
void machine__host_free(struct machine *m);
void machine__host_written(struct machine *m, gfn_t gfn);
int machine__host_fault(struct machine *m, gfn_t gfn, enum shadow_host_access acc, pfn_t *pfn,
			bool *writable);
void machine__tdp_access(struct machine *m, gfn_t gfn, bool write);
int machine__host_discard(struct machine *m, const gpa_t *start, const uint64_t *len, unsigned n);

/* The guest kernel's update records in an event file, found by name as they appear. */
struct ev_reader;
struct ev_record;
struct ev_rtype;
enum ev_update { UPD_MAP, UPD_UNMAP, UPD_PROTECT, UPD_AS_CREATE, UPD_AS_SWITCH, UPD_FLUSH, UPD_N };

struct ev_update_type {
	const char *type;
	const struct ev_rtype *t;
	int fva, flen, fcr3, fprot, fkind;
};

/* Frames an unmap freed, as the guest kernel batches them for the VMM's discard. */
struct ev_range {
	gpa_t start;
	uint64_t len;
};

struct ev_discards {
	struct ev_range *v;
	unsigned n, cap;
};

void ev_update_types_init(struct ev_update_type upd[UPD_N]);
/* The update type of @rec, or UPD_N. */
enum ev_update ev_update_of(struct ev_reader *r, const struct ev_record *rec,
			    struct ev_update_type *upd);
/* Replay one update record of type @k (an unmap's freed frames go to @d); 0 or -errno. */
int ev_replay(struct machine *m, const struct ev_record *rec, const struct ev_update_type *u,
	      enum ev_update k, struct ev_discards *d);
int ev_discard_add(struct ev_discards *d, gpa_t pa, uint64_t size);
/* The VMM discards what @d holds (host_anon: the host drops the pages). */
int ev_discard_apply(struct machine *m, struct ev_discards *d);

/* The run's event file with the workload's every access (sim/replay.c). */
int sim_input_replay(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen);
/*
 * churn and pingpong on the synthetic guest OS: the memvirt kernel's demand faults, munmap
 * and switches, made up as the workload goes (sim/replay.c).
 */
int sim_input_guest_os(struct machine *m, struct sim_input_stats *st, char *err, size_t errlen);
/* The synthetic guest OS's CR3 for address space @i (0: pingpong's driver, or the only one). */
#define SIM_SYNTH_CR3(i) (0x10000ULL + (uint64_t)(i)*0x1000ULL)
/* Pages an munmap flushes one INVLPG each; more take a CR3 reload (workloads/kernel/mm.c). */
#define SIM_GUEST_FLUSH_CEILING 33

/* Progress: the input file being read (its position and size); NULL when done. */
struct in_stream;
void machine__set_input(struct machine *m, const struct in_stream *s);
/* How messages name the input at @path (the config's in_name when set). */
const char *machine__input_name(const struct machine *m, const char *path);

/*
 * File inputs (sim/input.c): each maps pages on first touch and accesses
 * them. Returns 0, -EINVAL for bad input (message in @err), or -errno.
 */
int sim_input_lackey(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen);
int sim_input_atrace(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen);
int sim_input_events(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen);

/*
 * A run directory's page-table snapshot (sim/rundir.c): checked, and loaded
 * into @guest at its GPAs unless @guest is NULL; *mem_end is the end of guest
 * RAM.
 */
int sim_run_load(const char *dir, struct ptmem *guest, struct ptsnap_header *h, uint64_t *mem_end,
		 char *err, size_t errlen);
/*
 * Distinct page tables (level 1) that map [gva, gva + len) in the tables at
 * @root, and in *large the 2M/1G leaves there: where a run's data lives.
 */
uint64_t sim_run_leaf_tables(struct ptmem *guest, uint64_t root, unsigned levels,
			     unsigned maxphyaddr, gva_t gva, uint64_t len, uint64_t *large);

#endif
