/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 'memvirt report': result directories found under the given paths (sim,
 * run, lab, sweep directories and validate's JSON), their data as tidy CSV
 * tables, gnuplot scripts and the plots they draw, report.md and index.html
 * (docs/report.md).
 */
#ifndef MEMVIRT_REPORT_H
#define MEMVIRT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/hist.h"

struct jv;

enum report_kind { REPORT_SIM, REPORT_RUN, REPORT_LAB, REPORT_VALIDATE, REPORT_SWEEP };

#define REPORT_PATH_MAX	 1024
#define REPORT_TL_BINS	 2000 /* fault timeline bins, at most */
#define REPORT_MAP_TBINS 48   /* fault map: time bins ... */
#define REPORT_MAP_ABINS 32   /* ... by address bins */

/* What a traced run's event file holds, for plots 5 to 7. */
struct report_trace {
	uint64_t t0_ns, t_end_ns; /* first and last record, CLOCK_MONOTONIC ns */
	uint64_t tl_bin_ns;	  /* width of a timeline bin: 1 ms, more for long files */
	unsigned tl_bins;	  /* bins used */
	/* per bin: guest faults, KVM faults (kvm_page_fault, else kvm_mmu_walk), host faults */
	uint32_t *tl[3];
	bool kvm_from_walks; /* no kvm_page_fault records: KVM walks counted instead */
	uint64_t faults[3];
	/* guest-fault map: time x GVA bins over [gva_lo, gva_hi) */
	uint64_t gva_lo, gva_hi;
	uint32_t map[REPORT_MAP_TBINS][REPORT_MAP_ABINS];
	struct log2_hist walk_levels;	/* paging elements read per KVM walk */
	struct log2_hist fault_latency; /* guest fault -> KVM SPTE installed, ns */
};

struct report_input {
	enum report_kind kind;
	char path[REPORT_PATH_MAX]; /* the JSON file */
	char dir[REPORT_PATH_MAX];  /* its directory */
	char label[96];		    /* short name for legends and tables */
	char command[1024];	    /* provenance.command_line, or lab.json's command */
	struct jv *doc;
	bool times_emulated;	    /* a lab run under TCG */
	char accel[16];		    /* "tcg", "kvm", or "" outside the lab */
	struct report_trace *trace; /* REPORT_RUN with an event file, else NULL */
};

struct report_set {
	struct report_input *in;
	size_t n, cap;
};

/*
 * Search @path (a directory, searched recursively, or one JSON file) and add
 * every result found to @s. Returns 0, -EINVAL with one line in @err naming
 * the bad file, or -errno.
 */
int report_scan(struct report_set *s, const char *path, char *err, size_t errlen);
/* Give each input a label unique in the set (its directory, shortened). */
void report_label(struct report_set *s);
void report_set_free(struct report_set *s);
/* Read a run's event file into @t (allocated). 0, or -EINVAL with the reader's error. */
int report_trace_read(const char *path, struct report_trace **t, char *err, size_t errlen);
void report_trace_free(struct report_trace *t);

/* ---- writing (report_data.c, report_plot.c, report_doc.c) ---- */

#define REPORT_MAX_PLOTS 16

struct report_plot {
	const char *name;  /* file stem: plots/NAME.gp, .svg, .png */
	char name_buf[48]; /* for names made up per input */
	char title_buf[160];
	const struct report_input *only; /* the one input it draws, or NULL */
	const char *title;		 /* as drawn */
	const char *csv;		 /* data/CSV it reads */
	bool main;			 /* drawn by --terminal */
	unsigned kinds;			 /* 1 << enum report_kind of the inputs it draws (0: any) */
	bool drawn;
	char why[200];	   /* why it was not drawn */
	char caption[600]; /* what it shows, beside the data and the commands */
};

struct report_out {
	const char *dir; /* the temporary directory being filled */
	const struct report_set *set;
	struct report_plot plot[REPORT_MAX_PLOTS];
	unsigned nplots;
	char csv[16][32]; /* data files written */
	unsigned ncsv;
};

/* data/NAME.csv and plots/NAME.gp for every plot whose data the inputs hold. 0 or -errno. */
int report_write_data(struct report_out *o);
/* Run gnuplot on each drawn plot's script in DIR/plots. 0, or -errno with @err set. */
int report_render(struct report_out *o, bool progress, char *err, size_t errlen);
/* gnuplot runs: 0, -ENOENT when it is not installed, else -errno. */
int report_gnuplot_check(void);
/* Draw the main plots on @out with gnuplot's dumb terminal. */
int report_terminal(const struct report_out *o, FILE *out);
/* report.md and index.html. 0 or -errno. */
int report_write_docs(const struct report_out *o);
/* The inputs' headline values, shared by the CSV and the documents. */
struct report_row {
	const struct report_input *in;
	char workload[32], mode[24], source[16];
	double mpki, refs_per_walk, cycles_per_access, faults; /* NAN: not known */
};
/* Rows of the headline table: *@n of them, to be freed. */
struct report_row *report_rows(const struct report_set *s, size_t *n);

#endif
