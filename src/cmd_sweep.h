/* SPDX-License-Identifier: GPL-2.0 */
/* memvirt sweep, private: its options, the points' command lines, the summary, emitted jobs. */
#ifndef MEMVIRT_CMD_SWEEP_H
#define MEMVIRT_CMD_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "sweep/sweep.h"

#define SWEEP_MAX_ARGS 256

struct sweep_opts {
	char out[1024]; /* DIR, absolute once the sweep starts */
	unsigned jobs;
	struct sweep_grid grid;
	bool resume;
	const char *emit_dir; /* --emit-jobs DIR */
	uint64_t point;	      /* --point K, 1-based; 0: every point */
	int ncmd;	      /* the command after '--' */
	char **cmd;
	char self[4096];  /* this binary */
	char grid_id[24]; /* hex hash of the command and the grid */
};

/* One point's command line and where its standard output goes (NULL: the log). */
struct point_cmd {
	char *argv[SWEEP_MAX_ARGS];
	int argc;
	const char *stdout_file;
	char conf[8192]; /* sim: the configuration file written for --set SECTION.KEY */
	bool has_conf;
	char store[SWEEP_MAX_PARAMS + 4][1400]; /* strings the argv points at */
	int nstore;
};

/* Point @k's directory, DIR/points/NAME. */
void sweep_point_dir(const struct sweep_opts *o, uint64_t k, char *buf, size_t len);
/* Point @k's command line (src/cmd_sweep.c); 0 or -EINVAL with one line in @err. */
int sweep_point_cmd(const struct sweep_opts *o, uint64_t k, const char *dir, struct point_cmd *pc,
		    char *err, size_t errlen);

/* DIR/summary.csv and DIR/summary.json from the points' directories; counts the states. */
struct sweep_counts {
	uint64_t ok, failed, not_run;
	char failed_names[600]; /* the first failed points' directories, comma-separated */
};
int sweep_summary_write(const struct sweep_opts *o, struct sweep_counts *c);
/* --emit-jobs: jobs.txt, sweep.sbatch and README in @o->emit_dir. */
int sweep_emit_jobs(const struct sweep_opts *o);
/* DIR/sweep.json and DIR/grid.txt (src/cmd_sweep_out.c). */
int sweep_write_state(const struct sweep_opts *o);
/* One argument quoted for a POSIX shell, appended to @buf. */
void sweep_shell_quote(const char *arg, char *buf, size_t len);

#endif
