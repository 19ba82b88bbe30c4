/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulated machine behind 'memvirt sim' (docs/sim-command.md): guest,
 * host and shadow page tables over the mmu/ simulator, pages mapped on first
 * touch, fed by a synthetic workload, a valgrind lackey trace, an access
 * trace, an event file or a run directory's page-table snapshot. Needs no
 * KVM and no VMM.
 */
#ifndef MEMVIRT_SIM_H
#define MEMVIRT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu/mmu.h"
#include "mmu/ptsnap.h"
#include "shadow/shadow.h"
#include "workloads/workload.h"
#include "x86/x86.h"

/*
 * Address layout of the machine. A synthetic workload's buffer is at GVA
 * SIM_GUEST_BASE. Guest tables sit at GPA SIM_TABLE_BASE and up (bump
 * allocated), guest data frames at GPA SIM_DATA_BASE and up (sequential, in
 * first-touch order), and every GPA is backed at HPA = GPA + SIM_HOST_OFFSET.
 * Host (and shadow) tables live at HPA SIM_TABLE_BASE and up in their own
 * sparse memory.
 */
#define SIM_GUEST_BASE	0x8000000000ULL
#define SIM_TABLE_BASE	0x100000ULL
#define SIM_DATA_BASE	0x40000000ULL
#define SIM_HOST_OFFSET (1ULL << 36)
/*
 * Shadow mode: the guest kernel's direct map of its page tables, one 1G leaf mapping GPA
 * [0, 1G) at this GVA (PML4 slot 508, which neither the memvirt guest nor user space uses).
 * The guest writes its tables through it, so a write to a shadowed table faults in the
 * shadow tables as on KVM. An input address in it cannot be mapped (-EADDRINUSE).
 */
#define SIM_DIRECT_MAP 0xfffffe0000000000ULL
#define SIM_MODES      3 /* enum paging_mode */

enum sim_input {
	SIM_IN_WORKLOAD, /* wl, over tables mapping its whole footprint */
	SIM_IN_LACKEY,	 /* in_path: valgrind --tool=lackey --trace-mem=yes output */
	SIM_IN_ATRACE,	 /* in_path: an access trace (mmu/atrace.h) */
	SIM_IN_EVENTS,	 /* in_path: an event file; its fault addresses */
	SIM_IN_RUN,	 /* in_path: a run directory; wl over the guest's own tables */
	/*
	 * in_path: a run's event file; wl, the run's workload: every access of the workload's
	 * generator, with the guest kernel's faults, maps, unmaps, flushes and address-space
	 * switches from the file where they fall between them (sim/replay.c)
	 */
	SIM_IN_REPLAY,
};

/* Where a long simulation is, for a progress line. */
struct sim_progress {
	enum paging_mode mode;
	uint64_t accesses;
	uint64_t in_pos, in_size; /* file inputs: bytes read and the file's size (0: unknown) */
	/*
	 * Accesses the input makes in all, the set-up and the check of a workload too (and so
	 * the last @accesses, counted outside the region of interest as well): a workload's,
	 * from its parameters (wl_accesses), with --workload, --run or --replay (which adds a
	 * few: the guest kernel's faults outside the data). 0: not known in advance (a trace
	 * or event file: its bytes tell the progress, when it has a size).
	 */
	uint64_t total;
};

/* Which of a workload's accesses the counters see (docs/sim-command.md, region of interest). */
enum sim_roi {
	SIM_ROI_ALL,	  /* every access, and the machine's set-up (tables, first CR3 load) */
	SIM_ROI_MEASURED, /* a synthetic workload's measured region only (enum wl_phase) */
};

/* Where a mode's accesses went: counted, or outside the counted region. */
struct sim_roi_result {
	uint64_t setup;	 /* accesses of the workload's set-up (counted with SIM_ROI_ALL) */
	uint64_t check;	 /* accesses of its check after the region (SIM_ROI_MEASURED: not run) */
	uint64_t warmup; /* accesses that warmed the machine before the counters started */
	bool reset;	 /* the counters were reset at least once (region start or warm-up end) */
};

/* What a machine simulates. The caller checks it first ('memvirt sim' validates its options). */
struct sim_machine_config {
	struct sim_config cfg;
	enum page_size gps; /* guest (or native) pages; a run's: what its tables map */
	enum page_size hps; /* host pages, nested and shadow */
	enum sim_input input;
	const char *in_path; /* '-': standard input; gzip and zstd files are read too */
	const char *in_name; /* how messages name in_path (a copy of standard input), or NULL */
	struct wl_params wl; /* SIM_IN_WORKLOAD and SIM_IN_RUN */
	/* Shadow mode: guest RAM in the memslots, which sets KVM's page limit (0: the machine's) */
	uint64_t shadow_ram_bytes;
	/*
	 * Guest RAM is the host's anonymous private memory, faulted in on first touch (a VMM's
	 * default): a read of a page never written maps the host's zero page read-only, the
	 * first write breaks copy-on-write, and a discarded page reads as zero again. Off: every
	 * page is present and writable from the start. KVM's shadow and TDP faults follow it.
	 */
	bool host_anon;
	/*
	 * With host_anon: transparent huge pages "always": a write fault in a 2M-aligned host
	 * range that lies inside the memslot and has no page yet allocates all 2M at once (so
	 * its other 4K pages are present for KVM's prefetch). The memslot's host address comes
	 * from a replayed file's vmm_memslot record; otherwise host and guest are taken aligned.
	 */
	bool host_thp;
	/*
	 * Replay: the guest event channel in the run's guest memory (its header page at this
	 * GPA, then 64-byte slots): the kernel writes one slot per record of the file and the
	 * header's producer index, so their pages are touched as on KVM. 0: not modelled.
	 */
	gpa_t ev_ring_gpa;
	uint64_t ev_ring_bytes;
	/*
	 * SIM_ROI_MEASURED: the counters restart where a synthetic workload's measured region
	 * begins, and its check after the region is not simulated; the machine's state (tables,
	 * TLBs, PWCs, caches, pages seen) carries over. Inputs without phases (files, replays,
	 * churn, pingpong) are measured whole either way.
	 */
	enum sim_roi roi;
	/* Then so many counted accesses more warm the machine before the counters restart. */
	uint64_t warmup;
	/* One TLB level's sizes in the same pass (mmu.h, tlb_sweep_check first), or NULL. */
	const struct tlb_sweep_config *sweep;
	/* Called every 65536 accesses when set; the callee paces its output. */
	void (*progress)(void *ctx, const struct sim_progress *p);
	void *progress_ctx;
};

/* What an input held. */
struct sim_input_stats {
	uint64_t lines;				   /* lackey: lines read */
	uint64_t records;			   /* access trace / event file: records */
	uint64_t loads, stores, modifies, fetches; /* fetches are not simulated */
	uint64_t guest_faults, kvm_walks;	   /* event file: address records used */
	uint64_t other;				   /* event file: records of other types */
	uint64_t accesses;			   /* replay: the generator's accesses */
	/* event file, shadow mode: guest map, unmap, protect, AS and flush records replayed */
	uint64_t replayed;
	/* run directory: snapshot table pages, page tables and large leaves mapping the data */
	uint64_t table_pages, data_leaf_tables, data_large_leaves;
};

/*
 * Shadow mode: what KVM's shadow MMU model (shadow/) counted, the VM exits the machine took
 * through it, and their cycles (counts times the configuration's [shadow] costs).
 */
struct sim_shadow_result {
	struct shadow_stats st;		  /* KVM's counters, by KVM's names */
	uint64_t live_pages, max_pages;	  /* n_used_mmu_pages, n_max_mmu_pages at the end */
	uint64_t fault_exits;		  /* #PF exits the model fixed, or spurious/retried */
	uint64_t guest_fault_exits;	  /* #PF exits reinjected into the guest */
	uint64_t emulate_exits;		  /* stores to write-protected guest tables, emulated */
	uint64_t cr3_exits, invlpg_exits; /* MOV CR3, INVLPG */
	uint64_t syncs;			  /* shadow pages synced (kvm_mmu_sync_page) */
	uint64_t table_stores;		  /* guest table entries written while the model ran */
	uint64_t fault_cycles, guest_fault_cycles, emulate_cycles;
	uint64_t cr3_cycles, invlpg_cycles, sync_cycles, total_cycles;
};

/*
 * Nested mode over anonymous host memory (host_anon): KVM's TDP MMU faults and entries, one
 * 4K entry per guest frame the guest touched (its tables and data), under KVM's names.
 */
struct sim_tdp_result {
	uint64_t pf_taken, pf_fixed; /* NPT/EPT violations handled, and those that mapped */
	uint64_t tlb_flush;	     /* flushes after an invalidation dropped entries */
	uint64_t pages_4k, pages_2m; /* gauges: present 4K and 2M entries */
	uint64_t zero_maps;	     /* reads that mapped the host's zero page */
	uint64_t cow_breaks;	     /* writes that replaced it (an invalidation, then a retry) */
	uint64_t discarded;	     /* guest frames the host dropped (freed by the guest) */
	uint64_t thp_allocs;	     /* host_thp: huge pages the host allocated */
};

/* The result of one paging mode. */
struct sim_mode_result {
	struct sim_result res;
	uint64_t guest_frames, host_frames, shadow_frames; /* table frames each memory holds */
	/*
	 * 4K guest frames the machine used, its tables and its data pages: what a host that maps
	 * guest memory on first touch with 4K pages takes as faults (nested paging's pf_fixed).
	 */
	uint64_t guest_pages_used;
	struct sim_shadow_result shadow; /* shadow mode only */
	bool tdp_valid;			 /* nested mode with host_anon */
	struct sim_tdp_result tdp;
	struct sim_roi_result roi;
};

/*
 * Simulate @c's input on a fresh machine in @mode: results in *out, what the
 * input held in *st. Returns 0, -EINVAL for bad input, or -errno; on error a
 * one-line message is in @err.
 */
int sim_machine_run(const struct sim_machine_config *c, enum paging_mode mode,
		    struct sim_mode_result *out, struct sim_input_stats *st, char *err,
		    size_t errlen);

/*
 * The kind of input at @path, from its first bytes (gzip and zstd decompressed): SIM_IN_EVENTS
 * (the event file's magic), SIM_IN_ATRACE (MVAT), SIM_IN_LACKEY (its first line other than a
 * "==PID==" message is an access), SIM_IN_RUN (a directory holding run.json); or -errno with
 * one line in @err (-EINVAL: none of these). Reads no more than 64 KiB.
 */
int sim_input_detect(const char *path, char *err, size_t errlen);

/*
 * A run directory's page-table snapshot (DIR/pagetables.bin), read whole and
 * checked; its header in *h. Returns 0, or -ENOENT (no snapshot), -EINVAL
 * (a bad one) or -errno, with a one-line message in @err.
 */
int sim_run_check(const char *dir, struct ptsnap_header *h, char *err, size_t errlen);
/* The same, and the end of the run's guest RAM in *mem_end. */
int sim_run_check_ram(const char *dir, struct ptsnap_header *h, uint64_t *mem_end, char *err,
		      size_t errlen);

/*
 * One machine, driven access by access (what sim_machine_run does for an
 * input). @c must outlive it. The constructor returns NULL and sets errno.
 */
struct machine;

struct machine *machine__new(const struct sim_machine_config *c, enum paging_mode mode);
void machine__free(struct machine *m);
/* Simulate @c's input (sim_machine_run's messages). */
int machine__run_input(struct machine *m, struct sim_input_stats *st, char *err, size_t errlen);
/* Map the guest page holding @va on its first touch (next sequential frame); 0 or -errno. */
int machine__demand_map(struct machine *m, gva_t va);
/* One user data access; faults are counted in the results, table errors kept for the end. */
void machine__access(struct machine *m, gva_t va, bool write);
/* Simulate what is pending and fill *out; returns the first table error kept, or 0. */
int machine__finish(struct machine *m, struct sim_mode_result *out);

#endif
