// SPDX-License-Identifier: GPL-2.0
/*
 * A traced run's event file as the report plots it: faults per time bin at
 * each layer (guest, KVM, host), guest faults over address and time, and the
 * distributions of KVM walk lengths and guest-fault-to-SPTE latencies with
 * every sample counted (log2 histograms, analysis/hist.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/hist.h"
#include "analysis/join.h"
#include "analysis/report.h"
#include "trace/evfile.h"

enum { TL_GUEST, TL_KVM, TL_HOST };

/* Field indexes of the record types the report reads, per file (-1: absent). */
struct trace_types {
	const struct ev_rtype *gf, *kpf, *walk, *hpf, *gup;
	int gf_cr2, walk_levels;
	uint8_t seen[65536 / 8]; /* type ids looked up already */
};

/*
 * Look the types up by name again only when a record of a type id not seen
 * before comes: its schema record came first, so the lookup finds it.
 */
static void types_find(struct ev_reader *r, struct trace_types *t, const struct ev_record *rec)
{
	uint16_t id;

	if (!rec->type)
		return;
	id = rec->type->id;
	if (t->seen[id / 8] & (1u << (id % 8)))
		return;
	t->seen[id / 8] |= (uint8_t)(1u << (id % 8));
	t->gf = ev_reader_type(r, "guest_fault");
	t->kpf = ev_reader_type(r, "kvm_page_fault");
	t->walk = ev_reader_type(r, "kvm_mmu_walk");
	t->hpf = ev_reader_type(r, "host_page_fault");
	t->gup = ev_reader_type(r, "host_gup_fault");
	t->gf_cr2 = t->gf ? ev_field_index(t->gf, "cr2") : -1;
	t->walk_levels = t->walk ? ev_field_index(t->walk, "levels") : -1;
}

/* The layer a record counts for on the timeline, or -1. */
static int layer_of(const struct trace_types *t, const struct ev_record *rec, bool walks_as_kvm)
{
	if (rec->type == t->gf && t->gf)
		return TL_GUEST;
	if ((rec->type == t->kpf && t->kpf) || (walks_as_kvm && t->walk && rec->type == t->walk))
		return TL_KVM;
	if ((t->hpf && rec->type == t->hpf) || (t->gup && rec->type == t->gup))
		return TL_HOST;
	return -1;
}

static int open_reader(const char *path, struct ev_reader **r, char *err, size_t errlen)
{
	int rc = ev_reader_open(r, path);

	if (rc == -EINVAL)
		snprintf(err, errlen, "%s", ev_reader_error(*r));
	else if (rc)
		snprintf(err, errlen, "cannot be read: %s", strerror(-rc));
	if (rc) {
		ev_reader_close(*r);
		*r = NULL;
	}
	return rc ? -EINVAL : 0;
}

/* The first pass: time and guest-address ranges, which layers are there, walk lengths. */
static int pass_ranges(struct ev_reader *r, struct report_trace *t, char *err, size_t errlen)
{
	struct ev_record rec;
	struct ev_clock clk;
	struct trace_types ty = {0};
	bool any = false, any_gf = false;
	int rc;

	ev_clock_init(&clk, ev_reader_header(r));
	t->gva_lo = UINT64_MAX;
	while ((rc = ev_read(r, &rec)) == 1) {
		uint64_t ns;

		ev_clock_see(&clk, &rec);
		if (rec.source == EV_SRC_META)
			continue;
		types_find(r, &ty, &rec);
		ns = ev_clock_ns(&clk, &rec);
		if (!any || ns < t->t0_ns)
			t->t0_ns = ns;
		if (!any || ns > t->t_end_ns)
			t->t_end_ns = ns;
		any = true;
		if (ty.kpf && rec.type == ty.kpf)
			t->kvm_from_walks = false;
		if (ty.walk && rec.type == ty.walk && ty.walk_levels >= 0)
			log2_hist__add(&t->walk_levels, ev_field_u64(&rec, ty.walk_levels, 0));
		if (ty.gf && rec.type == ty.gf && ty.gf_cr2 >= 0) {
			uint64_t a = ev_field_u64(&rec, ty.gf_cr2, 0) & ~0xfffull;

			t->gva_lo = a < t->gva_lo ? a : t->gva_lo;
			t->gva_hi = a + 4096 > t->gva_hi ? a + 4096 : t->gva_hi;
			any_gf = true;
		}
	}
	if (!any_gf)
		t->gva_lo = t->gva_hi = 0;
	if (rc < 0)
		snprintf(err, errlen, "%s", ev_reader_error(r));
	return rc < 0 ? -EINVAL : 0;
}

static unsigned bin_of(uint64_t v, uint64_t lo, uint64_t width, unsigned nbins)
{
	uint64_t b = v > lo && width ? (v - lo) / width : 0;

	return b >= nbins ? nbins - 1 : (unsigned)b;
}

/* The second pass: every fault into its time bin, guest faults into the map. */
static int pass_bins(struct ev_reader *r, struct report_trace *t, char *err, size_t errlen)
{
	uint64_t span = t->t_end_ns - t->t0_ns, map_tw, map_aw;
	struct ev_record rec;
	struct ev_clock clk;
	struct trace_types ty = {0};
	int rc;

	map_tw = span / REPORT_MAP_TBINS + 1;
	map_aw = (t->gva_hi - t->gva_lo) / REPORT_MAP_ABINS + 1;
	ev_clock_init(&clk, ev_reader_header(r));
	while ((rc = ev_read(r, &rec)) == 1) {
		uint64_t ns;
		int layer;

		ev_clock_see(&clk, &rec);
		if (rec.source == EV_SRC_META)
			continue;
		types_find(r, &ty, &rec);
		layer = layer_of(&ty, &rec, t->kvm_from_walks);
		if (layer < 0)
			continue;
		ns = ev_clock_ns(&clk, &rec);
		t->tl[layer][bin_of(ns, t->t0_ns, t->tl_bin_ns, t->tl_bins)]++;
		t->faults[layer]++;
		if (layer == TL_GUEST && ty.gf_cr2 >= 0) {
			uint64_t a = ev_field_u64(&rec, ty.gf_cr2, 0);

			t->map[bin_of(ns, t->t0_ns, map_tw, REPORT_MAP_TBINS)]
			      [bin_of(a, t->gva_lo, map_aw, REPORT_MAP_ABINS)]++;
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", ev_reader_error(r));
	return rc < 0 ? -EINVAL : 0;
}

/* The third pass: each guest fault joined to the SPTE KVM installed for it (analysis/join.h). */
static int pass_latency(struct ev_reader *r, struct report_trace *t, char *err, size_t errlen)
{
	struct ev_join *j = NULL;
	int rc = ev_join_read(r, &j);

	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		snprintf(err, errlen, "%s", ev_reader_error(r));
		ev_join_free(j);
		return -EINVAL;
	}
	for (size_t i = 0; i < ev_join_count(j); i++) {
		const struct ev_joined *f = ev_join_get(j, i);

		if (f->has_spte && !f->spte_before && f->t_spte >= f->t_fault)
			log2_hist__add(&t->fault_latency, f->t_spte - f->t_fault);
	}
	ev_join_free(j);
	return 0;
}

static int trace_alloc(struct report_trace *t)
{
	uint64_t span = t->t_end_ns - t->t0_ns;

	t->tl_bin_ns = 1000000;
	while (span / t->tl_bin_ns + 1 > REPORT_TL_BINS)
		t->tl_bin_ns *= 2;
	t->tl_bins = (unsigned)(span / t->tl_bin_ns + 1);
	for (int l = 0; l < 3; l++) {
		t->tl[l] = calloc(t->tl_bins, sizeof(*t->tl[l]));
		if (!t->tl[l])
			return -ENOMEM;
	}
	return 0;
}

int report_trace_read(const char *path, struct report_trace **out, char *err, size_t errlen)
{
	int (*const pass[])(struct ev_reader *, struct report_trace *, char *,
			    size_t) = {pass_ranges, pass_bins, pass_latency};
	struct report_trace *t = calloc(1, sizeof(*t));
	int rc = t ? 0 : -ENOMEM;

	if (t) {
		t->kvm_from_walks = true;
		log2_hist__init(&t->walk_levels);
		log2_hist__init(&t->fault_latency);
	}
	for (size_t p = 0; !rc && p < sizeof(pass) / sizeof(pass[0]); p++) {
		struct ev_reader *r;

		if (p == 1)
			rc = trace_alloc(t);
		if (!rc)
			rc = open_reader(path, &r, err, errlen);
		if (rc)
			break;
		rc = pass[p](r, t, err, errlen);
		ev_reader_close(r);
	}
	if (rc) {
		report_trace_free(t);
		t = NULL;
	}
	*out = t;
	return rc;
}

void report_trace_free(struct report_trace *t)
{
	if (!t)
		return;
	for (int l = 0; l < 3; l++)
		free(t->tl[l]);
	free(t);
}
