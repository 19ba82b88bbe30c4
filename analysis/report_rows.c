// SPDX-License-Identifier: GPL-2.0
/* The headline values of each input: one row per simulated mode, run, lab boot or validated
 * workload. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/jsonval.h"
#include "analysis/report.h"

/* A run's KVM paging mode as the plots name it: nested paging (EPT/NPT) or shadow. */
static const char *run_mode(const char *paging_mode)
{
	if (!strcmp(paging_mode, "ept") || !strcmp(paging_mode, "npt") ||
	    !strcmp(paging_mode, "tdp"))
		return "nested";
	return paging_mode;
}

static void row_sim(const struct report_input *in, const struct jv *r, struct report_row *w)
{
	const struct jv *tlb = jv_get(r, "tlb");
	double v;

	snprintf(w->workload, sizeof(w->workload), "%s",
		 jv_path_str(in->doc, "config.input.workload",
			     jv_path_str(in->doc, "config.input.kind", "?")));
	snprintf(w->mode, sizeof(w->mode), "%s", jv_path_str(r, "mode", "?"));
	snprintf(w->source, sizeof(w->source), "sim");
	/* MPKI of the last TLB level: the misses that walk. */
	if (tlb && tlb->type == JV_ARR && tlb->n &&
	    jv_num(jv_get(jv_at(tlb, tlb->n - 1), "misses_per_1000_accesses"), &v))
		w->mpki = v;
	w->refs_per_walk = jv_path_num(r, "walks.refs_per_walk", NAN);
	w->cycles_per_access = jv_path_num(r, "cycles.per_access", NAN);
	w->faults = jv_path_num(r, "faults", NAN);
}

static void row_run(const struct report_input *in, struct report_row *w)
{
	snprintf(w->workload, sizeof(w->workload), "%s",
		 jv_path_str(in->doc, "config.workload", "?"));
	snprintf(w->mode, sizeof(w->mode), "%s",
		 run_mode(jv_path_str(in->doc, "paging_mode", "unknown")));
	snprintf(w->source, sizeof(w->source), "%s", in->accel[0] ? "lab run" : "run");
	w->cycles_per_access = jv_path_num(in->doc, "result.cycles_per_access", NAN);
	w->faults = jv_path_num(in->doc, "result.guest_faults", NAN);
}

static struct report_row *row_add(struct report_row **rows, size_t *n, size_t *cap,
				  const struct report_input *in)
{
	struct report_row *w;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct report_row *nr = realloc(*rows, nc * sizeof(*nr));

		if (!nr)
			return NULL;
		*rows = nr;
		*cap = nc;
	}
	w = &(*rows)[(*n)++];
	memset(w, 0, sizeof(*w));
	w->in = in;
	w->mpki = w->refs_per_walk = w->cycles_per_access = w->faults = NAN;
	return w;
}

static int rows_of(const struct report_input *in, struct report_row **rows, size_t *n, size_t *cap)
{
	const struct jv *list = jv_get(in->doc, in->kind == REPORT_SIM ? "results" : "workloads");
	struct report_row *w;

	if (in->kind == REPORT_SIM || in->kind == REPORT_VALIDATE) {
		for (size_t i = 0; jv_at(list, i); i++) {
			const struct jv *r = jv_at(list, i);

			if (!(w = row_add(rows, n, cap, in)))
				return -1;
			if (in->kind == REPORT_SIM) {
				row_sim(in, r, w);
				continue;
			}
			snprintf(w->workload, sizeof(w->workload), "%s",
				 jv_path_str(r, "workload", "?"));
			snprintf(w->mode, sizeof(w->mode), "%s", jv_path_str(in->doc, "mode", "?"));
			snprintf(w->source, sizeof(w->source), "validate");
			w->faults = jv_path_num(r, "guest_faults", NAN);
		}
		return 0;
	}
	if (in->kind == REPORT_SWEEP)
		return 0; /* its points are inputs of their own */
	if (!(w = row_add(rows, n, cap, in)))
		return -1;
	if (in->kind == REPORT_RUN) {
		row_run(in, w);
		return 0;
	}
	snprintf(w->workload, sizeof(w->workload), "-");
	snprintf(w->mode, sizeof(w->mode), "%s", run_mode(jv_path_str(in->doc, "lab.paging", "?")));
	snprintf(w->source, sizeof(w->source), "lab");
	return 0;
}

struct report_row *report_rows(const struct report_set *s, size_t *n)
{
	struct report_row *rows = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (rows_of(&s->in[i], &rows, n, &cap)) {
			free(rows);
			*n = 0;
			return NULL;
		}
	}
	return rows;
}
