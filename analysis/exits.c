// SPDX-License-Identifier: GPL-2.0
/* KVM exits by reason: counts, shares and exit-to-entry times, in the manner of perf kvm stat. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "analysis/exits.h"
#include "analysis/kvmdecode.h"

#define EXIT_MAX_REASONS 1024  /* distinct (isa, exit code) pairs; more are counted as unknown */
#define EXIT_CPUS	 65536 /* the record header's cpu is 16 bits */

struct exit_table {
	struct ev_exit_stat *rows; /* [EXIT_MAX_REASONS] */
	size_t n;
	uint64_t unknown;
	uint16_t *pending; /* [EXIT_CPUS] index + 1 into rows of the vCPU's open exit, 0 none */
};

struct exit_table *exit_table__new(void)
{
	struct exit_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->rows = calloc(EXIT_MAX_REASONS, sizeof(*t->rows));
	if (!t->rows) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void exit_table__free(struct exit_table *t)
{
	if (!t)
		return;
	free(t->pending);
	free(t->rows);
	free(t);
}

static void set_pending(struct exit_table *t, uint16_t cpu, uint16_t v)
{
	/* Allocated with the first exit: most files have none. */
	if (!t->pending)
		t->pending = calloc(EXIT_CPUS, sizeof(*t->pending));
	if (t->pending)
		t->pending[cpu] = v;
}

void exit_table__exit(struct exit_table *t, const struct ev_record *rec)
{
	int fc = ev_field_index(rec->type, "exit_code");
	int fk = ev_field_index(rec->type, "reason_known");
	int fi = ev_field_index(rec->type, "isa");
	unsigned isa = fi >= 0 ? (unsigned)ev_field_u64(rec, fi, 0) : 0;
	uint64_t code = fc >= 0 ? ev_field_u64(rec, fc, 0) : 0;
	size_t i;

	set_pending(t, rec->cpu, 0);
	if (fc < 0 || (fk >= 0 && !ev_field_u64(rec, fk, 0))) {
		t->unknown++;
		return;
	}
	for (i = 0; i < t->n; i++)
		if (t->rows[i].isa == isa && t->rows[i].code == code)
			break;
	if (i == t->n) {
		if (i == EXIT_MAX_REASONS) {
			t->unknown++;
			return;
		}
		t->rows[i] = (struct ev_exit_stat){.isa = isa, .code = code, .min_ns = UINT64_MAX};
		t->n++;
	}
	t->rows[i].count++;
	set_pending(t, rec->cpu, (uint16_t)(i + 1));
}

void exit_table__entry(struct exit_table *t, uint16_t cpu, int64_t ns)
{
	unsigned idx = t->pending ? t->pending[cpu] : 0;
	struct ev_exit_stat *r;

	if (!idx)
		return;
	t->pending[cpu] = 0;
	if (ns < 0)
		return;
	r = &t->rows[idx - 1];
	r->lat_n++;
	r->sum_ns += (double)ns;
	if ((uint64_t)ns < r->min_ns)
		r->min_ns = (uint64_t)ns;
	if ((uint64_t)ns > r->max_ns)
		r->max_ns = (uint64_t)ns;
}

/* Most frequent first, as perf kvm stat report; ties by vendor and code. */
static int cmp_reason(const void *a, const void *b)
{
	const struct ev_exit_stat *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->isa != y->isa)
		return x->isa < y->isa ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

void exit_table__sort(struct exit_table *t)
{
	qsort(t->rows, t->n, sizeof(*t->rows), cmp_reason);
	free(t->pending); /* its indices are the unsorted ones */
	t->pending = NULL;
}

const struct ev_exit_stat *exit_table__rows(const struct exit_table *t, size_t *n)
{
	*n = t->n;
	return t->rows;
}

uint64_t exit_table__unknown(const struct exit_table *t)
{
	return t->unknown;
}

static void totals(const struct exit_table *t, uint64_t *count, double *ns)
{
	*count = 0;
	*ns = 0;
	for (size_t i = 0; i < t->n; i++) {
		*count += t->rows[i].count;
		*ns += t->rows[i].sum_ns;
	}
}

/* The vendors in the exits: "vmx", "svm", "vmx+svm" or "?". */
static const char *vendor(const struct exit_table *t)
{
	bool vmx = false, svm = false;

	for (size_t i = 0; i < t->n; i++) {
		vmx |= t->rows[i].isa == KVM_DEC_ISA_VMX;
		svm |= t->rows[i].isa == KVM_DEC_ISA_SVM;
	}
	return vmx && svm ? "vmx+svm" : vmx ? "vmx" : svm ? "svm" : "?";
}

void exit_table__print(const struct exit_table *t, FILE *out)
{
	uint64_t total;
	double total_ns;
	char buf[24];

	totals(t, &total, &total_ns);
	fprintf(out, "\nKVM exits by reason (%s; time is kvm_exit to kvm_entry, ns):\n", vendor(t));
	if (t->n)
		fprintf(out, "  %-26s %10s %9s %9s %10s %10s %10s\n", "reason", "samples",
			"samples%", "time%", "min", "avg", "max");
	for (size_t i = 0; i < t->n; i++) {
		const struct ev_exit_stat *r = &t->rows[i];

		fprintf(out, "  %-26s %10" PRIu64 " %8.2f%% %8.2f%%",
			kvm_exit_format(r->isa, r->code, buf, sizeof(buf)), r->count,
			100.0 * (double)r->count / (double)total,
			total_ns > 0 ? 100.0 * r->sum_ns / total_ns : 0.0);
		if (r->lat_n)
			fprintf(out, " %10" PRIu64 " %10.0f %10" PRIu64 "\n", r->min_ns,
				r->sum_ns / (double)r->lat_n, r->max_ns);
		else
			fprintf(out, " %10s %10s %10s\n", "-", "-", "-");
	}
	if (t->unknown)
		fprintf(out,
			"  (%" PRIu64 " exits without a reason: the file predates exit_code or the "
			"vendor module's BTF was missing)\n",
			t->unknown);
}

void exit_table__json(const struct exit_table *t, struct json *j)
{
	uint64_t total;
	double total_ns;
	char buf[24];

	totals(t, &total, &total_ns);
	json_obj_begin(j, "exits");
	json_str(j, "vendor", vendor(t));
	json_u64(j, "without_reason", t->unknown);
	json_arr_begin(j, "reasons");
	for (size_t i = 0; i < t->n; i++) {
		const struct ev_exit_stat *r = &t->rows[i];

		json_obj_begin(j, NULL);
		json_str(j, "reason", kvm_exit_format(r->isa, r->code, buf, sizeof(buf)));
		json_str(j, "isa", kvm_isa_name(r->isa));
		json_hex(j, "code", r->code);
		json_u64(j, "count", r->count);
		json_double(j, "share", (double)r->count / (double)total);
		json_double(j, "time_share", total_ns > 0 ? r->sum_ns / total_ns : 0.0);
		json_u64(j, "timed", r->lat_n);
		json_u64(j, "min_ns", r->lat_n ? r->min_ns : 0);
		json_double(j, "avg_ns", r->lat_n ? r->sum_ns / (double)r->lat_n : 0.0);
		json_u64(j, "max_ns", r->max_ns);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}
