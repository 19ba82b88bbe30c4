// SPDX-License-Identifier: GPL-2.0
/*
 * The plots of simulated (and measured) translation costs: TLB MPKI against
 * footprint, references per walk, cycles per access by component, and shadow
 * against nested paging as the page-table update rate grows.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/jsonval.h"
#include "analysis/report_internal.h"

/* One point of a line plot: its series key, x and y. */
struct point {
	char series[160];
	const struct report_input *in;
	char mode[24];
	unsigned level;
	bool hidden;	   /* in the CSV, not drawn (an emulated CPU's cycles) */
	double x, y, a, b; /* a, b: the counts behind y */
};

static int point_cmp(const void *pa, const void *pb)
{
	const struct point *a = pa, *b = pb;
	int c = strcmp(a->series, b->series);

	return c ? c : (a->x > b->x) - (a->x < b->x);
}

struct points {
	struct point *p;
	size_t n, cap;
};

static struct point *points_add(struct points *ps)
{
	if (ps->n == ps->cap) {
		size_t nc = ps->cap ? ps->cap * 2 : 64;
		struct point *np = realloc(ps->p, nc * sizeof(*np));

		if (!np)
			return NULL;
		ps->p = np;
		ps->cap = nc;
	}
	memset(&ps->p[ps->n], 0, sizeof(ps->p[0]));
	return &ps->p[ps->n++];
}

/* One plot clause per series (points sorted by series): @filter_col holds the series key. */
static void gp_series_lines(FILE *f, const struct points *ps, const char *csv, const char *xcol,
			    const char *ycol, const char *style, unsigned *shown)
{
	const char *prev = NULL;

	*shown = 0;
	for (size_t i = 0; i < ps->n; i++) {
		char x[64], y[64];

		if (prev && !strcmp(prev, ps->p[i].series))
			continue;
		prev = ps->p[i].series;
		if (ps->p[i].hidden)
			continue;
		if (*shown == REPORT_MAX_SERIES)
			break;
		snprintf(x, sizeof(x), "column(\"%s\")", xcol);
		snprintf(y, sizeof(y), "\"%s\"", ycol);
		report_gp_clause(f, !*shown, csv, prev, x, y, style);
		(*shown)++;
	}
	fprintf(f, "\n");
}

static size_t series_count(const struct points *ps)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->n; i++)
		n += !i || strcmp(ps->p[i - 1].series, ps->p[i].series);
	return n;
}

static void caption_more(struct report_plot *p, size_t total, unsigned shown)
{
	size_t l = strlen(p->caption);

	if (total > shown)
		snprintf(p->caption + l, sizeof(p->caption) - l,
			 " The first %u of %zu series are drawn; the CSV holds them all.", shown,
			 total);
}

/* ---- 1: TLB misses per thousand accesses against footprint ---- */

static int mpki_points(const struct report_set *s, struct points *ps, unsigned *levels)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct report_input *in = &s->in[i];
		const struct jv *res = jv_get(in->doc, "results");
		double fp;

		if (!report_sim_workload(in) ||
		    !jv_num(jv_path(in->doc, "config.input.footprint"), &fp))
			continue;
		for (size_t r = 0; jv_at(res, r); r++) {
			const struct jv *tlb = jv_get(jv_at(res, r), "tlb");

			for (size_t l = 0; jv_at(tlb, l); l++) {
				struct point *p = points_add(ps);

				if (!p)
					return -ENOMEM;
				p->in = in;
				snprintf(p->mode, sizeof(p->mode), "%s",
					 jv_path_str(jv_at(res, r), "mode", "?"));
				p->level = (unsigned)l + 1;
				p->x = fp;
				p->y = jv_path_num(jv_at(tlb, l), "misses_per_1000_accesses", NAN);
				p->a = jv_path_num(jv_at(res, r), "accesses", NAN);
				p->b = jv_path_num(jv_at(tlb, l), "misses", NAN);
				*levels = p->level > *levels ? p->level : *levels;
			}
		}
	}
	return 0;
}

static int plot_mpki(struct report_out *o)
{
	struct report_plot *p = report_plot_add(o, "tlb_mpki", "TLB misses per 1000 accesses",
						"tlb_mpki.csv", true);
	struct points ps = {0};
	unsigned levels = 0, shown;
	double lo = INFINITY, hi = 0;
	FILE *f;
	int rc = p ? mpki_points(o->set, &ps, &levels) : -ENOMEM;

	if (p)
		p->kinds = 1u << REPORT_SIM;
	if (rc || !ps.n) {
		if (p)
			report_plot_skip(p, "no sim.json of a synthetic workload (--workload with "
					    "--footprint) among the inputs");
		free(ps.p);
		return rc;
	}
	for (size_t i = 0; i < ps.n; i++) {
		struct point *q = &ps.p[i];

		snprintf(q->series, sizeof(q->series), "%s %s%s%.0u", report_sim_workload(q->in),
			 q->mode, levels > 1 ? " L" : "", levels > 1 ? q->level : 0);
		lo = q->x < lo ? q->x : lo;
		hi = q->x > hi ? q->x : hi;
	}
	qsort(ps.p, ps.n, sizeof(ps.p[0]), point_cmp);
	f = report_csv(o, "tlb_mpki.csv",
		       "series,input,workload,mode,tlb_level,footprint_bytes,footprint_mib,"
		       "accesses,misses,mpki");
	if (!f) {
		free(ps.p);
		return -errno;
	}
	for (size_t i = 0; i < ps.n; i++) {
		struct point *q = &ps.p[i];

		fprintf(f, "%s,%s,%s,%s,%u,%.0f", q->series, q->in->label,
			report_sim_workload(q->in), q->mode, q->level, q->x);
		csv_num(f, q->x / 1048576.0);
		csv_num(f, q->a);
		csv_num(f, q->b);
		csv_num(f, q->y);
		fputc('\n', f);
	}
	rc = report_close(f);
	f = rc ? NULL
	       : report_gp_open(o, p, "footprint (MiB)", "TLB misses per 1000 accesses (MPKI)");
	if (f) {
		if (hi >= 8 * lo)
			fprintf(f, "set logscale x 2\n");
		gp_series_lines(f, &ps, "tlb_mpki.csv", "footprint_mib", "mpki", "linespoints lw 2",
				&shown);
		rc = report_gp_close(f, p);
		snprintf(p->caption, sizeof(p->caption),
			 "Misses of the %s TLB per 1000 accesses against the workload's footprint, "
			 "one line per workload and paging mode%s, from the simulator.",
			 levels > 1 ? "each" : "last-level", levels > 1 ? " and TLB level" : "");
		caption_more(p, series_count(&ps), shown);
	} else if (!rc) {
		rc = -errno;
	}
	free(ps.p);
	return rc;
}

/* ---- 2: memory references per walk ---- */

/* The point of @series at @x, made when new (the list is short: series times buckets). */
static struct point *point_at(struct points *ps, const char *series, double x)
{
	struct point *q;

	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].x == x && !strcmp(ps->p[i].series, series))
			return &ps->p[i];
	q = points_add(ps);
	if (q) {
		snprintf(q->series, sizeof(q->series), "%s", series);
		q->x = x;
	}
	return q;
}

/* Walks per table-load count, summed per workload and mode over the sims; b: the mode's walks. */
static int walk_refs_points(const struct report_set *s, struct points *ps)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct report_input *in = &s->in[i];
		const struct jv *res = jv_get(in->doc, "results");

		for (size_t r = 0; in->kind == REPORT_SIM && jv_at(res, r); r++) {
			const struct jv *h = jv_path(jv_at(res, r), "walks.refs_histogram");
			const char *mode = jv_path_str(jv_at(res, r), "mode", "?");
			char series[160];
			double c;

			snprintf(series, sizeof(series), "%s %s",
				 report_sim_workload(in)
					 ? report_sim_workload(in)
					 : jv_path_str(in->doc, "config.input.kind", "?"),
				 mode);
			for (size_t b = 0; jv_num(jv_at(h, b), &c); b++) {
				struct point *q = point_at(ps, series, (double)b);

				if (!q)
					return -ENOMEM;
				snprintf(q->mode, sizeof(q->mode), "%s", mode);
				q->in = in;
				q->a += c;
			}
		}
	}
	for (size_t i = 0; i < ps->n; i++) { /* fractions of each series' walks */
		double walks = 0;

		for (size_t k = 0; k < ps->n; k++)
			if (!strcmp(ps->p[k].series, ps->p[i].series))
				walks += ps->p[k].a;
		ps->p[i].b = walks;
		ps->p[i].y = walks > 0 ? ps->p[i].a / walks : 0;
	}
	return 0;
}

static void walk_refs_gp(FILE *f, const struct points *ps, unsigned *shown)
{
	size_t total = series_count(ps), n = total < REPORT_MAX_SERIES ? total : REPORT_MAX_SERIES;
	const char *prev = NULL;

	fprintf(f,
		"set yrange [0:*]\nset xtics 1\nset style fill solid 0.8 border -1\n"
		"set boxwidth %.3f\n",
		0.8 / n);
	*shown = 0;
	for (size_t i = 0; i < ps->n && *shown < n; i++) {
		char x[96];

		if (prev && !strcmp(prev, ps->p[i].series))
			continue;
		prev = ps->p[i].series;
		snprintf(x, sizeof(x), "column(\"refs\") + %.3f", 0.8 * *shown / n - 0.4 + 0.4 / n);
		report_gp_clause(f, !*shown, "walk_refs.csv", prev, x, "\"fraction\"", "boxes");
		(*shown)++;
	}
	fprintf(f, "\n");
}

static int plot_walk_refs(struct report_out *o)
{
	struct report_plot *p = report_plot_add(o, "walk_refs", "Memory references per page walk",
						"walk_refs.csv", false);
	struct points ps = {0};
	unsigned shown;
	FILE *f;
	int rc = p ? walk_refs_points(o->set, &ps) : -ENOMEM;

	if (rc || !ps.n) {
		if (p)
			report_plot_skip(p, "no sim.json with page walks (walks.refs_histogram) "
					    "among the inputs");
		free(ps.p);
		return rc;
	}
	p->kinds = 1u << REPORT_SIM;
	qsort(ps.p, ps.n, sizeof(ps.p[0]), point_cmp);
	f = report_csv(o, "walk_refs.csv", "series,workload,mode,refs,walks,walks_total,fraction");
	if (!f) {
		free(ps.p);
		return -errno;
	}
	for (size_t i = 0; i < ps.n; i++) {
		const struct point *q = &ps.p[i];

		fprintf(f, "%s,%.*s,%s,%.0f,%.0f,%.0f", q->series,
			(int)(strlen(q->series) - strlen(q->mode) - 1), q->series, q->mode, q->x,
			q->a, q->b);
		csv_num(f, q->y);
		fputc('\n', f);
	}
	rc = report_close(f);
	f = rc ? NULL
	       : report_gp_open(o, p, "memory references in one walk (table loads)",
				"fraction of walks");
	if (f) {
		walk_refs_gp(f, &ps, &shown);
		rc = report_gp_close(f, p);
		snprintf(
			p->caption, sizeof(p->caption),
			"How many table loads each page walk made (the last bucket holds that many "
			"or more) as a fraction of the walks, per workload and paging mode, summed "
			"over the simulations of that workload: a native 4-level walk makes up to "
			"4, a nested 2D walk up to 24, a shadow walk up to 4; page-walk caches and "
			"the nested TLB cut them (simulator).");
		caption_more(p, series_count(&ps), shown);
	} else if (!rc) {
		rc = -errno;
	}
	free(ps.p);
	return rc;
}

/* ---- 4: shadow against nested paging as the guest updates its tables ---- */

/* Updates per 1000 accesses of a synthetic guest OS sim (munmaps and switches). */
static int crossover_sim(const struct report_input *in, struct points *ps)
{
	const struct jv *res = jv_get(in->doc, "results");
	double updates;

	if (!jv_num(jv_path(in->doc, "config.input.updates"), &updates))
		return 0;
	for (size_t r = 0; jv_at(res, r); r++) {
		double acc = jv_path_num(jv_at(res, r), "accesses", 0);
		struct point *q;

		if (acc <= 0)
			continue;
		q = points_add(ps);
		if (!q)
			return -ENOMEM;
		q->in = in;
		snprintf(q->mode, sizeof(q->mode), "%s", jv_path_str(jv_at(res, r), "mode", "?"));
		snprintf(q->series, sizeof(q->series), "%s %s (modelled)",
			 report_sim_workload(in) ? report_sim_workload(in) : "?", q->mode);
		q->a = updates;
		q->b = acc;
		q->x = 1000 * updates / acc;
		q->y = jv_path_num(jv_at(res, r), "cycles.per_access", NAN);
	}
	return 0;
}

/* A measured run of the guest OS workloads: its kernel's munmaps and address-space switches. */
static int crossover_run(const struct report_input *in, struct points *ps)
{
	const char *wl = jv_path_str(in->doc, "config.workload", "");
	double acc = jv_path_num(in->doc, "result.accesses", 0), mu, sw;
	struct point *q;

	if ((strcmp(wl, "churn") && strcmp(wl, "pingpong")) || acc <= 0 ||
	    !jv_num(jv_path(in->doc, "guest_kernel.munmaps"), &mu) ||
	    !jv_num(jv_path(in->doc, "guest_kernel.cr3_switches"), &sw))
		return 0;
	q = points_add(ps);
	if (!q)
		return -ENOMEM;
	q->in = in;
	snprintf(q->mode, sizeof(q->mode), "%s",
		 !strcmp(jv_path_str(in->doc, "paging_mode", ""), "shadow") ? "shadow" : "nested");
	snprintf(q->series, sizeof(q->series), "%s %s (measured%s)", wl, q->mode,
		 in->times_emulated ? ", emulated" : "");
	q->a = mu + sw;
	q->b = acc;
	q->x = 1000 * (mu + sw) / acc;
	q->y = jv_path_num(in->doc, "result.cycles_per_access", NAN);
	q->hidden = in->times_emulated;
	return 0;
}

static int plot_crossover(struct report_out *o)
{
	struct report_plot *p =
		report_plot_add(o, "crossover", "Shadow against nested paging as tables change",
				"crossover.csv", true);
	struct points ps = {0};
	unsigned shown;
	FILE *f;
	int rc = p ? 0 : -ENOMEM;

	if (p)
		p->kinds = 1u << REPORT_SIM | 1u << REPORT_RUN;
	for (size_t i = 0; i < o->set->n && !rc; i++) {
		const struct report_input *in = &o->set->in[i];

		if (in->kind == REPORT_SIM)
			rc = crossover_sim(in, &ps);
		else if (in->kind == REPORT_RUN)
			rc = crossover_run(in, &ps);
	}
	if (rc || !ps.n) {
		if (p)
			report_plot_skip(p,
					 "no simulation or run of churn or pingpong (the workloads "
					 "whose guest updates its page tables) among the inputs");
		free(ps.p);
		return rc;
	}
	qsort(ps.p, ps.n, sizeof(ps.p[0]), point_cmp);
	f = report_csv(o, "crossover.csv",
		       "series,input,mode,source,updates,accesses,updates_per_1000_accesses,"
		       "cycles_per_access");
	if (!f) {
		free(ps.p);
		return -errno;
	}
	for (size_t i = 0; i < ps.n; i++) {
		const struct point *q = &ps.p[i];

		fprintf(f, "%s,%s,%s,%s,%.0f,%.0f", q->series, q->in->label, q->mode,
			q->in->kind == REPORT_SIM ? "modelled" : "measured", q->a, q->b);
		csv_num(f, q->x);
		csv_num(f, q->y);
		fputc('\n', f);
	}
	rc = report_close(f);
	f = rc ? NULL
	       : report_gp_open(o, p, "page-table updates per 1000 accesses (munmaps and switches)",
				"cycles per access");
	if (f) {
		gp_series_lines(f, &ps, "crossover.csv", "updates_per_1000_accesses",
				"cycles_per_access", "linespoints lw 2", &shown);
		rc = report_gp_close(f, p);
		snprintf(
			p->caption, sizeof(p->caption),
			"Cycles per access against the guest's page-table update rate (its munmaps "
			"and address-space switches per 1000 accesses): shadow paging pays an exit "
			"for each update, nested paging a longer walk for each TLB miss. Modelled "
			"points are sim results (modelled cycles); measured ones are runs' rdtsc "
			"cycles.");
		caption_more(p, series_count(&ps), shown);
	} else if (!rc) {
		rc = -errno;
	}
	free(ps.p);
	return rc;
}

int report_plots_sim(struct report_out *o)
{
	int rc = plot_mpki(o);

	if (!rc)
		rc = plot_walk_refs(o);
	if (!rc)
		rc = report_plot_cycles(o);
	if (!rc)
		rc = plot_crossover(o);
	return rc;
}
