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
#define SIM_BATCH	1024

struct machine_spt;

/* A set of page numbers (open addressing), for pages mapped on demand. */
struct page_set {
	uint64_t *slot; /* page number + 1; 0 = empty */
	size_t cap, n;
};

/* One simulated machine for one paging mode. */
struct machine {
	const struct sim_machine_config *c;
	enum paging_mode mode;
	struct ptmem *guest, *host;
	uint64_t groot, hroot;
	gpa_t next_table, next_data;
	gpa_t host_table_end, host_data_end; /* GPAs mapped in the host tables so far */
	struct page_set gpages;
	struct machine_spt *spt; /* shadow mode: the shadow MMU model and its bookkeeping */
	struct sim *sim;
	struct ptsnap_header snap; /* run: the snapshot's header */
	gpa_t ram_end;		   /* end of guest RAM */
	int err;
	uint64_t accesses; /* counted for the progress callback only */
	FILE *in_file;	   /* file input being read, for the progress callback */
	uint64_t in_size;
	const char *buf; /* synthetic: the host buffer the workload runs over */
	gva_t data_gva;	 /* synthetic: the GVA of buf */
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
int machine__spt_new(struct machine *m, struct sim_tables *t);
int machine__spt_start(struct machine *m);
void machine__spt_free(struct machine *m);
int machine__spt_guest_fault(struct machine *m, gva_t va);
int machine__spt_map(struct machine *m, gva_t va, gpa_t pa, enum page_size ps);
int machine__spt_access(struct machine *m, gva_t va, bool write);
void machine__spt_result(struct machine *m, struct sim_shadow_result *out);
/*
 * Event-file replay in shadow mode (sim/input.c): the guest kernel's table updates, flushes
 * and address-space switches, as it makes them (workloads/kernel/mm.c, main.c).
 */
bool machine__spt_mapped(struct machine *m, gva_t va);
int machine__spt_set_leaf(struct machine *m, gva_t va, bool clear_all, uint64_t clear, uint64_t set,
			  gva_t *next);
int machine__spt_invlpg(struct machine *m, gva_t va);
int machine__spt_flush_guest(struct machine *m);
int machine__spt_as_seen(struct machine *m, uint64_t cr3);
int machine__spt_cr3_load(struct machine *m, uint64_t cr3);
/* Map the guest page of @va now (a guest fault in the current address space); 0 or -errno. */
int machine__fault_map(struct machine *m, gva_t va);

/* Progress: the input file being read and its size (0: unknown); NULL when done. */
void machine__set_input(struct machine *m, FILE *f, uint64_t size);

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
