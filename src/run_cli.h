/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the subcommands that run a workload (run, explain, demo) share on the
 * command line: the workload and VM options, the exit status of a run, and
 * its human summary. The run itself is run/run.h's.
 */
#ifndef MEMVIRT_RUN_CLI_H
#define MEMVIRT_RUN_CLI_H

#include <stdio.h>

#include "common/stats.h"
#include "run/run.h"

/*
 * The workload and VM options 'run' and 'explain' share: their getopt_long
 * values, and the entries of their option tables. A command numbers its own
 * options from RO__COUNT and keeps every value in one array indexed by them.
 */
enum run_common_opt {
	RO_FOOT,
	RO_ITERS,
	RO_PSIZE,
	RO_MEM,
	RO_SEED,
	RO_STRIDE,
	RO_NPROC,
	RO_OUT,
	RO_KERNEL,
	RO_PROGRAM,
	RO_PAGING,
	RO_BACKING,
	RO_RELOAD,
	RO__COUNT
};

/* clang-format off */
#define RUN_COMMON_LONG_OPTIONS \
	{"footprint", required_argument, 0, RO_FOOT}, \
	{"iters", required_argument, 0, RO_ITERS}, \
	{"page-size", required_argument, 0, RO_PSIZE}, \
	{"mem", required_argument, 0, RO_MEM}, \
	{"seed", required_argument, 0, RO_SEED}, \
	{"stride", required_argument, 0, RO_STRIDE}, \
	{"nproc", required_argument, 0, RO_NPROC}, \
	{"out", required_argument, 0, RO_OUT}, \
	{"kernel", required_argument, 0, RO_KERNEL}, \
	{"program", required_argument, 0, RO_PROGRAM}, \
	{"paging", required_argument, 0, RO_PAGING}, \
	{"backing", required_argument, 0, RO_BACKING}, \
	{"reload-kvm", no_argument, 0, RO_RELOAD}
/* clang-format on */

/* Apply the values @v[RO_*] (NULL: not given) to @c; a bad value is one error line naming
 * 'memvirt @cmd --help', exit 2. */
void run_apply_common(const char *cmd, struct run_config *c, const char *const *v);
/* The process exit status of a run that ended with @fail: 0, EXIT_HOST, EXIT_GUEST, 130. */
int run_exit_status(enum run_fail fail);
/*
 * Print the human summary of a finished run; its last line names OUT/run.json if @name_out
 * (a defaulted --out is named on stderr instead, as every command does).
 */
void run_print_summary(const struct run_config *c, const struct run_outcome *o, bool name_out);

/*
 * --repeat N of run and demo: the headline figures of N runs, each as mean, sample standard
 * deviation, minimum and maximum.
 */
#define RUN_REPEAT_MAX 1000
enum run_figure {
	RF_ACCESSES,
	RF_CYCLES,
	RF_CPA,
	RF_FAULTS,
	RF_WALL,
	RF_GUEST,
	RF_EXITS,
	RF_PF_TAKEN,
	RF_PF_FIXED,
	RF_PF_GUEST,
	RF__COUNT
};
struct run_repeat {
	struct stat_acc f[RF__COUNT];
};
struct json;
/* --repeat's value: 1 to RUN_REPEAT_MAX, else one error line and exit 2. */
unsigned run_repeat_arg(const char *cmd, const char *val);
/* Add a finished run's figures. */
void run_repeat__add(struct run_repeat *r, const struct run_outcome *o);
/* A table: figure, unit, n, mean, sd, min, max. */
void run_repeat_print(const struct run_repeat *r, FILE *f);
/* An object @key: per figure {"unit", "n", "mean", "sd", "min", "max"} (sd null below 2). */
void run_repeat_json(const struct run_repeat *r, struct json *j, const char *key);

#endif
