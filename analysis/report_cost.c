// SPDX-License-Identifier: GPL-2.0
/*
 * Cycles per access by component (the simulator's cost model, sim.json
 * "cycles"), measured runs as one bar beside them; and the tables that are
 * not plots: the inputs' headline values and validate's comparisons.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/jsonval.h"
#include "analysis/report_internal.h"

enum part { P_TLB, P_LOADS, P_PWC, P_NTLB, P_EXITS, P_SYNCS, P_MEASURED, P__COUNT };

static const struct {
	const char *col, *title;
} parts[P__COUNT] = {
	[P_TLB] = {"tlb", "TLB lookups"},
	[P_LOADS] = {"walk_loads", "walk table loads"},
	[P_PWC] = {"pwc", "page-walk caches"},
	[P_NTLB] = {"nested_tlb", "nested TLB"},
	[P_EXITS] = {"exits", "VM exits"},
	[P_SYNCS] = {"syncs", "shadow syncs"},
	[P_MEASURED] = {"measured", "measured (run, rdtsc)"},
};

/* Which component a key of sim.json's "cycles" object belongs to, or -1. */
static int part_of(const char *key)
{
	if (!strncmp(key, "tlb", 3))
		return P_TLB;
	if (!strncmp(key, "loads_", 6))
		return P_LOADS;
	if (!strcmp(key, "pwc") || !strcmp(key, "host_pwc"))
		return P_PWC;
	if (!strcmp(key, "nested_tlb"))
		return P_NTLB;
	if (!strcmp(key, "shadow_sync"))
		return P_SYNCS;
	if (!strncmp(key, "shadow_", 7))
		return P_EXITS;
	return -1;
}

static void write_bar(FILE *f, const struct report_input *in, const char *wl, const char *mode,
		      const double *v, double total)
{
	fprintf(f, "%s %s,%s,%s,%s,%s", in->label, mode, in->label, wl, mode,
		v[P_MEASURED] > 0 ? "measured" : "modelled");
	for (int k = 0; k < P__COUNT; k++)
		csv_num(f, v[k]);
	csv_num(f, total);
	fprintf(f, ",%s\n", in->times_emulated ? "true" : "false");
}

/*
 * The bars of the plot (@emulated false: sims and runs on real CPUs), or the
 * rows of lab runs under TCG (true), which go last in the CSV and are not
 * drawn: an emulated CPU's cycles would only squash the scale.
 */
static unsigned cycles_rows(const struct report_set *s, FILE *f, bool emulated)
{
	unsigned bars = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct report_input *in = &s->in[i];
		const struct jv *res = jv_get(in->doc, "results");
		double v[P__COUNT];

		for (size_t r = 0; !emulated && in->kind == REPORT_SIM && jv_at(res, r); r++) {
			const struct jv *c = jv_get(jv_at(res, r), "cycles");
			double acc = jv_path_num(jv_at(res, r), "accesses", 0), x;

			if (!c || c->type != JV_OBJ || acc <= 0)
				continue;
			memset(v, 0, sizeof(v));
			for (size_t k = 0; k < c->n; k++)
				if (part_of(c->keys[k]) >= 0 && jv_num(&c->items[k], &x))
					v[part_of(c->keys[k])] += x / acc;
			if (f)
				write_bar(f, in,
					  report_sim_workload(in) ? report_sim_workload(in) : "-",
					  jv_path_str(jv_at(res, r), "mode", "?"), v,
					  jv_path_num(c, "per_access", NAN));
			bars++;
		}
		if (in->kind == REPORT_RUN && in->times_emulated == emulated &&
		    jv_num(jv_path(in->doc, "result.cycles_per_access"), &v[P_MEASURED])) {
			const char *pm = jv_path_str(in->doc, "paging_mode", "");
			double m = v[P_MEASURED];

			memset(v, 0, sizeof(v));
			v[P_MEASURED] = m;
			if (f)
				write_bar(f, in, jv_path_str(in->doc, "config.workload", "?"),
					  !strcmp(pm, "shadow") ? "shadow" : "nested", v, m);
			bars++;
		}
	}
	return bars;
}

int report_plot_cycles(struct report_out *o)
{
	struct report_plot *p =
		report_plot_add(o, "cycles", "Cycles per access by component", "cycles.csv", true);
	unsigned bars, tcg;
	FILE *f;
	int rc;

	if (!p)
		return -ENOMEM;
	p->kinds = 1u << REPORT_SIM | 1u << REPORT_RUN;
	bars = cycles_rows(o->set, NULL, false);
	tcg = cycles_rows(o->set, NULL, true);
	if (!bars) {
		report_plot_skip(p,
				 tcg ? "only lab runs under TCG, whose cycles are an emulated "
				       "CPU's (data/cycles.csv has them)"
				     : "no sim.json with a \"cycles\" object and no run.json with "
				       "result.cycles_per_access among the inputs");
		if (!tcg)
			return 0;
	}
	f = report_csv(o, "cycles.csv",
		       "label,input,workload,mode,source,tlb,walk_loads,pwc,nested_tlb,exits,"
		       "syncs,measured,total,times_emulated");
	if (!f)
		return -errno;
	cycles_rows(o->set, f, false);
	cycles_rows(o->set, f, true);
	rc = report_close(f);
	if (rc || !bars)
		return rc;
	f = report_gp_open(o, p, "input and paging mode", "cycles per access (modelled cycles)");
	if (!f)
		return -errno;
	fprintf(f, "set style data histograms\nset style histogram rowstacked\n"
		   "set style fill solid 0.85 border -1\nset boxwidth 0.7\nset yrange [0:*]\n"
		   "set xtics rotate by -30 left\n");
	for (int k = 0; k < P__COUNT; k++)
		fprintf(f, "%s\"../data/cycles.csv\" every ::0::%u using \"%s\"%s title \"%s\"",
			k ? ", \\\n     " : "plot ", bars - 1, parts[k].col,
			k ? "" : ":xtic(strcol(\"label\"))", parts[k].title);
	fprintf(f, "\n");
	rc = report_gp_close(f, p);
	snprintf(p->caption, sizeof(p->caption),
		 "Modelled cycles per access from the simulator's cost model (sim.json "
		 "\"cycles\" over \"accesses\"), stacked by component: TLB lookups, page-walk "
		 "table loads, page-walk caches, the nested TLB, VM exits (shadow faults, "
		 "emulated stores, CR3 and INVLPG exits, NPT faults) and shadow syncs. The model "
		 "charges nothing for the data access itself. A measured run is one bar of its "
		 "rdtsc cycles per access.%s",
		 tcg ? " Lab runs under TCG are not drawn: their times are emulated, an emulated "
		       "CPU's cycles (data/cycles.csv has them, times_emulated true)."
		     : "");
	return rc;
}

/* ---- the headline table as data, and validate's comparisons ---- */

static int csv_validate(struct report_out *o)
{
	FILE *f = NULL;

	for (size_t i = 0; i < o->set->n; i++) {
		const struct report_input *in = &o->set->in[i];
		const struct jv *cmp = jv_get(in->doc, "comparisons");

		if (in->kind != REPORT_VALIDATE)
			continue;
		if (!f)
			f = report_csv(
				o, "validate.csv",
				"input,mode,workload,counter,scope,kvm,model,rel_err,claim,ok");
		if (!f)
			return -errno;
		for (size_t r = 0; jv_at(cmp, r); r++) {
			const struct jv *c = jv_at(cmp, r), *ok = jv_get(c, "ok");

			fprintf(f, "%s,%s,%s,%s,%s", in->label, jv_path_str(in->doc, "mode", ""),
				jv_path_str(c, "workload", ""), jv_path_str(c, "counter", ""),
				jv_path_str(c, "scope", ""));
			csv_num(f, jv_path_num(c, "kvm", NAN));
			csv_num(f, jv_path_num(c, "model", NAN));
			csv_num(f, jv_path_num(c, "rel_err", NAN));
			fprintf(f, ",%s,%s\n", jv_path_str(c, "claim", ""),
				ok && ok->type == JV_BOOL ? (ok->b ? "true" : "false") : "");
		}
	}
	return f ? report_close(f) : 0;
}

int report_csv_inputs(struct report_out *o)
{
	size_t n;
	struct report_row *rows = report_rows(o->set, &n);
	FILE *f = report_csv(o, "inputs.csv",
			     "input,kind,source,workload,mode,mpki,refs_per_walk,cycles_per_access,"
			     "faults,times_emulated,path");
	int rc;

	if (!f) {
		free(rows);
		return -errno;
	}
	for (size_t i = 0; i < n; i++) {
		const struct report_row *w = &rows[i];

		fprintf(f, "%s,%s,%s,%s,%s", w->in->label,
			w->in->kind == REPORT_SIM   ? "sim"
			: w->in->kind == REPORT_RUN ? "run"
			: w->in->kind == REPORT_LAB ? "lab"
						    : "validate",
			w->source, w->workload, w->mode);
		csv_num(f, w->mpki);
		csv_num(f, w->refs_per_walk);
		csv_num(f, w->cycles_per_access);
		csv_num(f, w->faults);
		fprintf(f, ",%s", w->in->times_emulated ? "true" : "false");
		csv_str(f, w->in->path);
		fputc('\n', f);
	}
	free(rows);
	rc = report_close(f);
	return rc ? rc : csv_validate(o);
}
