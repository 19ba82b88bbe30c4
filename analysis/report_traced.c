// SPDX-License-Identifier: GPL-2.0
/*
 * The plots of traced runs (run directories with events.mvev): faults per
 * millisecond at each layer, a map of guest faults over address and time, and
 * the distributions of KVM walk lengths and fault latencies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analysis/report_internal.h"

#define MAX_MAPS 4 /* fault maps drawn, one per traced run */

static const char *const layer_name[3] = {"guest faults", "KVM faults", "host faults"};

static const char *layer_of(const struct report_trace *t, int l)
{
	return l == 1 && t->kvm_from_walks ? "KVM walks" : layer_name[l];
}

static bool any_traced(const struct report_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->in[i].trace)
			return true;
	return false;
}

/* Appends to @buf which traced runs' times are emulated (@only: that run alone), if any. */
static void times_note(const struct report_set *s, const struct report_input *only, char *buf,
		       size_t len)
{
	size_t n = strlen(buf);
	unsigned k = 0;

	for (size_t i = 0; i < s->n && n < len; i++) {
		const struct report_input *in = &s->in[i];

		if (!in->trace || !in->times_emulated || (only && in != only))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", k++ ? ", " : " Times of ",
				      in->label);
	}
	if (k && n < len)
		snprintf(buf + n, len - n,
			 " are emulated (a lab run under TCG): the order and counts are KVM's, the "
			 "durations are not a real CPU's.");
}

/* ---- 5: faults per millisecond ---- */

static int timeline_csv(struct report_out *o)
{
	FILE *f = report_csv(o, "fault_timeline.csv",
			     "series,input,layer,t_ms,bin_ms,faults,faults_per_ms");

	if (!f)
		return -errno;
	for (size_t i = 0; i < o->set->n; i++) {
		const struct report_input *in = &o->set->in[i];
		const struct report_trace *t = in->trace;
		double bin_ms = t ? (double)t->tl_bin_ns / 1e6 : 0;

		for (int l = 0; t && l < 3; l++) {
			if (!t->faults[l])
				continue;
			for (unsigned b = 0; b < t->tl_bins; b++) {
				fprintf(f, "%s %s,%s,%s", in->label, layer_of(t, l), in->label,
					layer_of(t, l));
				csv_num(f, b * bin_ms);
				csv_num(f, bin_ms);
				fprintf(f, ",%u", t->tl[l][b]);
				csv_num(f, t->tl[l][b] / bin_ms);
				fputc('\n', f);
			}
		}
	}
	return report_close(f);
}

static int plot_timeline(struct report_out *o)
{
	struct report_plot *p = report_plot_add(o, "fault_timeline", "Faults per millisecond",
						"fault_timeline.csv", true);
	unsigned n = 0;
	FILE *f;
	int rc;

	if (!p)
		return -ENOMEM;
	if (!any_traced(o->set)) {
		report_plot_skip(p, "no run directory with an event file (events.mvev) among the "
				    "inputs");
		return 0;
	}
	rc = timeline_csv(o);
	f = rc ? NULL : report_gp_open(o, p, "time since the first record (ms)", "faults per ms");
	if (!f)
		return rc ? rc : -errno;
	fprintf(f, "set yrange [0:*]\nset offsets 0, 0, graph 0.05, 0\n");
	for (size_t i = 0; i < o->set->n; i++) {
		const struct report_input *in = &o->set->in[i];
		char series[160];

		for (int l = 0; in->trace && l < 3; l++) {
			if (!in->trace->faults[l] || n == REPORT_MAX_SERIES)
				continue;
			snprintf(series, sizeof(series), "%s %s", in->label,
				 layer_of(in->trace, l));
			report_gp_clause(f, !n++, "fault_timeline.csv", series, "column(\"t_ms\")",
					 "\"faults_per_ms\"", "steps lw 2");
		}
	}
	fprintf(f, "%s\n", n ? "" : "plot NaN title \"no faults\"");
	rc = report_gp_close(f, p);
	snprintf(p->caption, sizeof(p->caption),
		 "Faults per millisecond in each traced run, from its event file: the guest "
		 "kernel's page faults (guest_fault), KVM's (kvm_page_fault, or its guest "
		 "page-table walks, kvm_mmu_walk, when the file has no kvm_page_fault) and the "
		 "host's (host_page_fault, host_gup_fault).");
	times_note(o->set, NULL, p->caption, sizeof(p->caption));
	return rc;
}

/* ---- 6: guest faults over address and time ---- */

static int map_csv(struct report_out *o)
{
	FILE *f = report_csv(o, "fault_map.csv",
			     "series,input,t_ms,t_width_ms,gva_start,gva_offset_mib,gva_width_mib,"
			     "faults");

	if (!f)
		return -errno;
	for (size_t i = 0; i < o->set->n; i++) {
		const struct report_trace *t = o->set->in[i].trace;
		double tw, aw;

		if (!t || !t->faults[0] || t->gva_hi <= t->gva_lo)
			continue;
		tw = (double)((t->t_end_ns - t->t0_ns) / REPORT_MAP_TBINS + 1) / 1e6;
		aw = (double)((t->gva_hi - t->gva_lo) / REPORT_MAP_ABINS + 1);
		for (unsigned tb = 0; tb < REPORT_MAP_TBINS; tb++)
			for (unsigned ab = 0; ab < REPORT_MAP_ABINS; ab++) {
				fprintf(f, "%s guest faults,%s", o->set->in[i].label,
					o->set->in[i].label);
				csv_num(f, tb * tw);
				csv_num(f, tw);
				fprintf(f, ",0x%llx",
					(unsigned long long)(t->gva_lo + (uint64_t)(ab * aw)));
				csv_num(f, ab * aw / 1048576.0);
				csv_num(f, aw / 1048576.0);
				fprintf(f, ",%u\n", t->map[tb][ab]);
			}
	}
	return report_close(f);
}

static int map_plot(struct report_out *o, const struct report_input *in, unsigned k)
{
	struct report_plot *p = report_plot_add(o, NULL, "Guest faults over address and time",
						"fault_map.csv", false);
	char ylabel[128], series[160];
	FILE *f;

	if (!p)
		return 0; /* no room: the CSV still has it */
	snprintf(p->name_buf, sizeof(p->name_buf), "fault_map_%u", k);
	p->name = p->name_buf;
	p->kinds = 1u << REPORT_RUN;
	p->only = in;
	snprintf(p->title_buf, sizeof(p->title_buf), "Guest faults over address and time: %s",
		 in->label);
	p->title = p->title_buf;
	snprintf(ylabel, sizeof(ylabel), "guest virtual address - 0x%llx (MiB)",
		 (unsigned long long)in->trace->gva_lo);
	f = report_gp_open(o, p, "time since the first record (ms)", ylabel);
	if (!f)
		return -errno;
	snprintf(series, sizeof(series), "%s guest faults", in->label);
	fprintf(f,
		"set palette defined (0 \"white\", 1 \"#fdd49e\", 2 \"#ef6548\", 3 \"#7f0000\")\n"
		"set cbrange [0:*]\nset cblabel \"guest faults per cell\"\nset grid front\n");
	report_gp_clause(f, true, "fault_map.csv", series,
			 "column(\"t_ms\") + column(\"t_width_ms\") / 2",
			 "(column(\"gva_offset_mib\") + column(\"gva_width_mib\") / 2):"
			 "(column(\"t_width_ms\") / 2):(column(\"gva_width_mib\") / 2):\"faults\"",
			 "boxxyerror fc palette fs solid 1.0 noborder");
	fprintf(f, "\n");
	snprintf(p->caption, sizeof(p->caption),
		 "Guest page faults of %s by guest virtual address (%u regions from 0x%llx to "
		 "0x%llx) and time (%u intervals), colour = faults in the cell.",
		 in->label, REPORT_MAP_ABINS, (unsigned long long)in->trace->gva_lo,
		 (unsigned long long)in->trace->gva_hi, REPORT_MAP_TBINS);
	times_note(o->set, in, p->caption, sizeof(p->caption));
	return report_gp_close(f, p);
}

static int plot_maps(struct report_out *o)
{
	unsigned k = 0;
	int rc = 0;

	for (size_t i = 0; i < o->set->n; i++) {
		const struct report_trace *t = o->set->in[i].trace;

		if (!t || !t->faults[0] || t->gva_hi <= t->gva_lo)
			continue;
		if (!k)
			rc = map_csv(o);
		if (rc || k == MAX_MAPS)
			break;
		rc = map_plot(o, &o->set->in[i], k++);
	}
	if (!k) {
		struct report_plot *p = report_plot_add(o, "fault_map",
							"Guest faults over address "
							"and time",
							"fault_map.csv", false);

		if (p)
			report_plot_skip(p,
					 "no traced run with guest_fault records among the inputs");
	}
	return rc;
}

/* ---- 7: walk lengths and fault latencies ---- */

static const struct log2_hist *hist_of(const struct report_trace *t, bool latency)
{
	return latency ? &t->fault_latency : &t->walk_levels;
}

static int hist_csv(struct report_out *o)
{
	FILE *f = report_csv(o, "trace_hist.csv",
			     "series,input,metric,unit,bucket,lo,hi,range,count");

	if (!f)
		return -errno;
	for (size_t i = 0; i < o->set->n; i++) {
		const struct report_input *in = &o->set->in[i];

		for (int m = 0; in->trace && m < 2; m++) {
			const struct log2_hist *h = hist_of(in->trace, m);
			unsigned first = LOG2_HIST_BUCKETS, last = 0;

			for (unsigned b = 0; b < LOG2_HIST_BUCKETS; b++)
				if (h->bucket[b]) {
					first = first < b ? first : b;
					last = b;
				}
			for (unsigned b = first; b <= last && h->s.count; b++)
				fprintf(f, "%s,%s,%s,%s,%u,%llu,%llu,[%llu-%llu),%llu\n", in->label,
					in->label, m ? "fault_latency" : "walk_levels",
					m ? "ns" : "paging elements", b,
					(unsigned long long)log2_hist_lo(b),
					(unsigned long long)log2_hist_hi(b),
					(unsigned long long)log2_hist_lo(b),
					(unsigned long long)log2_hist_hi(b),
					(unsigned long long)h->bucket[b]);
		}
	}
	return report_close(f);
}

/* One tic per bucket from the first to the last non-empty one of any run: "[lo-hi)". */
static void hist_xtics(FILE *f, const struct report_set *s, bool latency)
{
	unsigned first = LOG2_HIST_BUCKETS, last = 0;

	for (size_t i = 0; i < s->n; i++)
		for (unsigned b = 0; s->in[i].trace && b < LOG2_HIST_BUCKETS; b++)
			if (hist_of(s->in[i].trace, latency)->bucket[b]) {
				first = b < first ? b : first;
				last = b > last ? b : last;
			}
	fprintf(f, "set xrange [%.1f:%.1f]\nset xtics rotate by -30 left (", first - 0.6,
		last + 0.6);
	for (unsigned b = first; b <= last; b++)
		fprintf(f, "%s\"[%llu-%llu)\" %u", b > first ? ", " : "",
			(unsigned long long)log2_hist_lo(b), (unsigned long long)log2_hist_hi(b),
			b);
	fprintf(f, ")\n");
}

static int hist_plot(struct report_out *o, bool latency)
{
	struct report_plot *p = report_plot_add(o, latency ? "fault_latency" : "walk_levels",
						latency ? "Guest fault to KVM entry latency"
							: "KVM guest page-table walk lengths",
						"trace_hist.csv", false);
	unsigned n = 0, total = 0;
	FILE *f;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < o->set->n; i++)
		total += o->set->in[i].trace && hist_of(o->set->in[i].trace, latency)->s.count;
	if (!total) {
		report_plot_skip(p, latency ? "no traced run whose guest faults join a KVM SPTE "
					      "(kvm_mmu_set_spte after guest_fault)"
					    : "no traced run with kvm_mmu_walk records");
		return 0;
	}
	f = report_gp_open(
		o, p, latency ? "latency, log2 bucket (ns)" : "paging elements read, log2 bucket",
		"samples");
	if (!f)
		return -errno;
	fprintf(f, "set style fill solid 0.8 border -1\nset boxwidth %.3f\nset yrange [0:*]\n",
		0.8 / (total > REPORT_MAX_SERIES ? REPORT_MAX_SERIES : total));
	hist_xtics(f, o->set, latency);
	for (size_t i = 0; i < o->set->n && n < REPORT_MAX_SERIES; i++) {
		const struct report_input *in = &o->set->in[i];
		char x[128];

		if (!in->trace || !hist_of(in->trace, latency)->s.count)
			continue;
		snprintf(x, sizeof(x),
			 "(strcol(\"metric\") eq \"%s\" ? column(\"bucket\") + %.3f : NaN)",
			 latency ? "fault_latency" : "walk_levels",
			 0.8 * n / total - 0.4 + 0.4 / total);
		report_gp_clause(f, !n++, "trace_hist.csv", in->label, x, "\"count\"", "boxes");
	}
	fprintf(f, "\n");
	snprintf(p->caption, sizeof(p->caption), "%s",
		 latency ? "Time from each guest fault to the KVM entry (SPTE, or NPT/EPT entry "
			   "under nested paging) installed for its frame, per traced run, in log2 "
			   "buckets: every joined fault is counted."
			 : "Paging elements KVM read in each guest page-table walk (kvm_mmu_walk), "
			   "per traced run, in log2 buckets: every walk is counted.");
	if (latency)
		times_note(o->set, NULL, p->caption, sizeof(p->caption));
	return report_gp_close(f, p);
}

int report_plots_traced(struct report_out *o)
{
	int rc = plot_timeline(o);

	if (!rc)
		rc = plot_maps(o);
	if (!rc && any_traced(o->set))
		rc = hist_csv(o);
	if (!rc)
		rc = hist_plot(o, false);
	if (!rc)
		rc = hist_plot(o, true);
	return rc;
}
