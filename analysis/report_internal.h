/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by report_*.c: opening the output's files, CSV cells, gnuplot script pieces. */
#ifndef MEMVIRT_REPORT_INTERNAL_H
#define MEMVIRT_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis/report.h"

#define REPORT_MAX_SERIES 24 /* lines or bar groups in one plot; the CSV keeps every row */

/* OUT/@sub/@name opened for writing, or NULL with errno. */
FILE *report_open(const struct report_out *o, const char *sub, const char *name);
/* Close @f; 0, or -errno when anything written to it failed. */
int report_close(FILE *f);
/* ",value" with %.6g, or "," alone for NaN (unknown). */
void csv_num(FILE *f, double v);
/* ",text", quoted as RFC 4180 says when it holds a comma, quote or line break. */
void csv_str(FILE *f, const char *s);
/* One clause of a plot command: the rows of @csv whose "series" column is @series. */
void report_gp_clause(FILE *f, bool first, const char *csv, const char *series, const char *xcol,
		      const char *ycol, const char *style);
/* A data file: OUT/data/@name with @header as its first line; recorded in @o. */
FILE *report_csv(struct report_out *o, const char *name, const char *header);

/* A new plot entry (not drawn until report_gp_open succeeds). */
struct report_plot *report_plot_add(struct report_out *o, const char *name, const char *title,
				    const char *csv, bool main_plot);
__attribute__((format(printf, 2, 3))) void report_plot_skip(struct report_plot *p, const char *fmt,
							    ...);
/*
 * OUT/plots/NAME.gp with its preamble: terminal (svg, then png; gnuplot's dumb
 * terminal when the variable 'dumb' is defined), title, axis labels with units,
 * the CSV's separator and header. The caller writes settings and the plot
 * command, then report_gp_close().
 */
FILE *report_gp_open(struct report_out *o, struct report_plot *p, const char *xlabel,
		     const char *ylabel);
int report_gp_close(FILE *f, struct report_plot *p);
/* The commands that made the inputs of the kinds in @mask (1 << kind; 0: all), for a caption. */
void report_commands(const struct report_set *s, unsigned mask, char *buf, size_t len);
/* Whether an input is a sim of a synthetic workload with footprint, and its mode list. */
const char *report_sim_workload(const struct report_input *in);

/* The plots (report_sim.c, report_traced.c). 0 or -errno. */
int report_plots_sim(struct report_out *o);
int report_plots_traced(struct report_out *o);
int report_csv_inputs(struct report_out *o);
int report_plot_cycles(struct report_out *o); /* report_cost.c */

#endif
