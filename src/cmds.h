/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of the memvirt binary. Each returns the process exit status. */
#ifndef MEMVIRT_CMDS_H
#define MEMVIRT_CMDS_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses shared by every subcommand. */
#define EXIT_USAGE  2	/* bad option or argument */
#define EXIT_HOST   3	/* the host lacks something: /dev/kvm, permission, packages */
#define EXIT_GUEST  4	/* the guest crashed, timed out or failed its checksum */
#define EXIT_SIGNAL 130 /* SIGINT or SIGTERM stopped the run (128 + SIGINT) */

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_explain(int argc, char **argv);
/* 'memvirt trace': dump/stat read event files, anything else captures (trace -p, trace -- CMD). */
int cmd_trace(int argc, char **argv);
int cmd_trace_capture(int argc, char **argv);
/* 'memvirt lab': a command on real KVM in shadow and nested paging mode (lab/). */
int cmd_lab(int argc, char **argv);
/* 'memvirt validate': KVM's counters against the model's for the same runs (validate/). */
int cmd_validate(int argc, char **argv);
/* 'memvirt sweep': a command over a parameter grid, points in parallel (sweep/). */
int cmd_sweep(int argc, char **argv);
/* 'memvirt report': results as CSV, gnuplot plots, report.md and index.html (analysis/). */
int cmd_report(int argc, char **argv);

/* Option values (src/opts.c): a bad one is one error line and exit EXIT_USAGE. */
__attribute__((noreturn)) void opt_bad(const char *cmd, const char *opt, const char *val,
				       const char *what);
uint64_t opt_size(const char *cmd, const char *opt, const char *val);
uint64_t opt_u64(const char *cmd, const char *opt, const char *val);
/* An integer in [@min, @max]: nothing is truncated to fit a narrower field. */
uint64_t opt_u64_range(const char *cmd, const char *opt, const char *val, uint64_t min,
		       uint64_t max);
/* Seconds, finite, from 1 ms to OPT_SECONDS_MAX; 0 too if @zero_ok (none). */
#define OPT_SECONDS_MAX 31536000.0 /* a year */
double opt_seconds(const char *cmd, const char *opt, const char *val, bool zero_ok);
/* A file or directory name: @val itself, or one error line if it is empty. */
const char *opt_path(const char *cmd, const char *opt, const char *val);
/*
 * Where @cmd wrote its output when --out was left out, on stderr (stdout is the data's):
 * "memvirt: CMD: wrote WHATPATH (choose with --out DIR)".
 */
void opt_out_defaulted(const char *cmd, const char *what, const char *path);

/* Directory holding the guest kernel and workload images (src/about.c). */
const char *guest_dir(void);
/*
 * The sample run directory shipped with memvirt (docs/sample-run): beside the installed
 * binary (PREFIX/share/doc/memvirt/docs/sample-run), else in the source tree it was built
 * from; NULL when neither holds one. sample_run_looked() names the places looked in.
 */
const char *sample_run_dir(void);
const char *sample_run_looked(void);
/* memvirt --version: version, commit, the optional parts built in, the guest images. */
int cmd_version(void);

#endif
