/* SPDX-License-Identifier: GPL-2.0 */
/* memvirt sim, private: the simulated machine the inputs drive, and the file inputs. */
#ifndef MEMVIRT_CMD_SIM_H
#define MEMVIRT_CMD_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/mmu.h"
#include "x86/x86.h"
#include "mmu/ptsnap.h"
#include "workloads/workload.h"

#define SIM_GUEST_BASE 0x8000000000ULL /* GVA of a synthetic workload's buffer */
#define SIM_MODES      3

/* The options of one 'memvirt sim', validated once. */
struct sim_opts {
	bool modes[SIM_MODES];
	bool all;
	const char *paging; /* as given */
	struct sim_config cfg;
	const char *config_src; /* preset name or file */
	bool config_is_file;
	enum page_size gps, hps;
	enum sim_input { IN_WORKLOAD, IN_LACKEY, IN_ATRACE, IN_EVENTS, IN_RUN } input;
	const char *in_path;	   /* file inputs, run directory */
	struct ptsnap_header snap; /* --run: the snapshot's header */
	bool synthetic;
	struct wl_params wl;
	char out_dir[512];
	bool json;
};

/* The result of one paging mode. */
struct mode_run {
	struct sim_result res;
	uint64_t guest_frames, host_frames, shadow_frames;
};

struct sim_input_stats;

/* Output (src/cmd_sim_report.c). */
struct report {
	const struct sim_opts *o;
	const struct mode_run *runs;
	const struct sim_input_stats *st;
};

/* sim.json into @f (write_file_atomic's fill callback with a struct report). */
int sim_report_fill_json(FILE *f, void *rep);
void sim_report_json(const struct report *rep, FILE *f);
/* The table of the human output. */
void sim_report_table(const struct report *rep);

/* One simulated machine for one paging mode (src/cmd_sim.c). */
struct machine;

/* Map the guest page holding @va on its first touch (next sequential frame); 0 or -errno. */
int machine__demand_map(struct machine *m, gva_t va);
/* One user data access; faults are counted in the results, table errors kept for the end. */
void machine__access(struct machine *m, gva_t va, bool write);
/* Progress on stderr: the input file being read and its size (0: unknown). */
void machine__set_input(struct machine *m, FILE *f, uint64_t size);

/* What a file input held. */
struct sim_input_stats {
	uint64_t lines;				   /* lackey: lines read */
	uint64_t records;			   /* access trace / event file: records */
	uint64_t loads, stores, modifies, fetches; /* fetches are not simulated */
	uint64_t guest_faults, kvm_walks;	   /* event file: address records used */
	uint64_t other;				   /* event file: records of other types */
	/* run directory: snapshot table pages, page tables and large leaves mapping the data */
	uint64_t table_pages, data_leaf_tables, data_large_leaves;
};

/* Inputs (src/cmd_sim_input.c): each returns 0, -EINVAL for bad input (message in @err), or
 * -errno. */
int sim_input_lackey(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen);
int sim_input_atrace(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen);
int sim_input_events(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen);

struct ptmem;
struct ptsnap_header;

/*
 * A run directory's page-table snapshot (DIR/pagetables.bin, mmu/ptsnap.h):
 * checked, and loaded into @guest at its GPAs unless @guest is NULL; *mem_end is the end of
 * guest RAM.
 */
int sim_run_load(const char *dir, struct ptmem *guest, struct ptsnap_header *h, uint64_t *mem_end,
		 char *err, size_t errlen);
/*
 * Distinct page tables (level 1) that map [gva, gva + len) in the tables at
 * @root, and in *large the 2M/1G leaves there: where a run's data lives.
 */
uint64_t sim_run_leaf_tables(struct ptmem *guest, uint64_t root, unsigned levels,
			     unsigned maxphyaddr, gva_t gva, uint64_t len, uint64_t *large);

/* 'memvirt sim convert': lackey text to an access trace. */
int cmd_sim_convert(int argc, char **argv);

#endif
