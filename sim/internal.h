/* SPDX-License-Identifier: GPL-2.0 */
/* sim/, private: the inputs the machine runs and the run-directory loader. */
#ifndef MEMVIRT_SIM_INTERNAL_H
#define MEMVIRT_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

/* Guest physical memory the machine simulates: [0, 64G), below the host's copy at 64G. */
#define SIM_GUEST_LIMIT SIM_HOST_OFFSET

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
