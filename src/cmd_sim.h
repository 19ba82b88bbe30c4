/* SPDX-License-Identifier: GPL-2.0 */
/* memvirt sim, private: its options, and the output of its results (the machine is in sim/). */
#ifndef MEMVIRT_CMD_SIM_H
#define MEMVIRT_CMD_SIM_H

#include <stdbool.h>
#include <stdio.h>

#include "mmu/ptsnap.h"
#include "sim/sim.h"

/* The options of one 'memvirt sim', validated once. */
struct sim_opts {
	bool modes[SIM_MODES];
	bool all;
	const char *paging;	/* as given */
	const char *config_src; /* preset name or file */
	bool config_is_file;
	struct sim_machine_config mc; /* configuration, page sizes, input, workload */
	struct ptsnap_header snap;    /* --run, --replay: the snapshot's header */
	char replay_events[600];      /* --replay: DIR/events.mvev */
	char out_dir[512];
	bool json;
	bool print_config;		 /* --print-config: the configuration, then exit */
	struct sim_config_warnings warn; /* what the configuration file did that may surprise */
	struct tlb_sweep_config sweep;	 /* --tlb-sizes (mc.sweep points here when given) */
	char spool[64];			 /* a file input of several modes given as '-': its copy */
};

/* Output (src/cmd_sim_report.c). */
struct report {
	const struct sim_opts *o;
	const struct sim_mode_result *runs;
	const struct sim_input_stats *st;
};

/* sim.json into @f (write_file_atomic's fill callback with a struct report). */
int sim_report_fill_json(FILE *f, void *rep);
void sim_report_json(const struct report *rep, FILE *f);
/* The table of the human output. */
void sim_report_table(const struct report *rep);

/* File inputs (src/cmd_sim_input.c); each dies with one line on a usage error. */
/* The option that reads @path, a FILE given alone, from its first bytes. */
const char *sim_file_option(const char *path);
/* @opt given with a file of another kind: what it is and the option that reads it. */
void sim_file_check(const char *opt, const char *path);
/* Standard input copied to an unlinked temporary file: a path that reads it in @path. */
void sim_stdin_spool(char *path, size_t len);

/* 'memvirt sim convert': lackey text to an access trace (src/cmd_sim_convert.c). */
int cmd_sim_convert(int argc, char **argv);

#endif
