// SPDX-License-Identifier: GPL-2.0
/*
 * 'memvirt trace stat': counts per type and vCPU, event rates over time, KVM
 * walk lengths, shadow page activity, latencies of paired events (in the
 * manner of perf kvm stat) and lost records. KVM and host types are found by
 * name through the file's schema, so any file the reader accepts works.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "analysis/analysis.h"
#include "trace/evfile.h"
#include "analysis/hist.h"
#include "analysis/pcthist.h"
#include "analysis/join.h"
#include "analysis/exits.h"

#define STAT_IDS	 65536
#define STAT_CPUS	 256	     /* vCPUs / CPUs counted one by one; the rest together */
#define STAT_BUCKET_NS	 10000000ULL /* 10 ms */
#define STAT_MAX_BUCKETS (1u << 20)  /* ~2.9 hours at 10 ms */
#define STAT_MAX_TYPES	 1100
#define STAT_RATE_ROWS	 20

enum role {
	ROLE_UNSEEN,
	ROLE_NONE,
	ROLE_GUEST_FAULT,
	ROLE_WALK,
	ROLE_SET_SPTE,
	ROLE_GET_PAGE,
	ROLE_SYNC,
	ROLE_UNSYNC,
	ROLE_ZAP,
	ROLE_HOST_FAULT,
	ROLE_EXIT,
	ROLE_ENTRY,
	ROLE_COUNTS,
	ROLE_GUP_FAULT,
	ROLE_MEMSLOT,
};

static const struct {
	const char *name;
	enum role role;
} role_names[] = {
	{"guest_fault", ROLE_GUEST_FAULT},
	{"kvm_mmu_walk", ROLE_WALK},
	{"kvm_mmu_set_spte", ROLE_SET_SPTE},
	{"kvm_mmu_get_page", ROLE_GET_PAGE},
	{"kvm_mmu_sync_page", ROLE_SYNC},
	{"kvm_mmu_unsync_page", ROLE_UNSYNC},
	{"kvm_mmu_prepare_zap_page", ROLE_ZAP},
	{"host_page_fault", ROLE_HOST_FAULT},
	{"kvm_exit", ROLE_EXIT},
	{"kvm_entry", ROLE_ENTRY},
	{"kvm_counts", ROLE_COUNTS},
	{"host_gup_fault", ROLE_GUP_FAULT},
	{"vmm_memslot", ROLE_MEMSLOT},
};

/* The kvm_counts fields summed over vCPUs (what the kernel counted instead of recording). */
static const char *const kcount_names[] = {"fault_walks", "emulator_walks", "emulate_insn",
					   "emulate_failed"};
#define KCOUNT_N      (sizeof(kcount_names) / sizeof(kcount_names[0]))
#define KCOUNT_LEVELS 6

/* Rate series: guest faults, KVM walks, host faults per bucket. */
enum { SER_FAULT, SER_WALK, SER_HOST, SER_COUNT };

struct stype {
	uint16_t id, source;
	char name[EV_NAME_LEN + 1];
};

struct ev_stat {
	uint64_t records;
	uint64_t *count; /* [STAT_IDS] */
	uint8_t *role;	 /* [STAT_IDS] */
	struct stype *types;
	unsigned ntypes;
	uint64_t cpu[EV_SRC_COUNT][STAT_CPUS + 1];
	uint64_t levels[EV_STAT_MAX_LEVELS + 1];
	struct ev_shadow_counts shadow;
	struct pct_hist lat[EV_PAIR_COUNT]; /* every sample, for percentiles */
	uint64_t *pending[EV_PAIR_COUNT];   /* [STAT_IDS] start ts + 1 per cpu, 0 = none */
	uint32_t *bucket[SER_COUNT];
	size_t nbuckets, bucket_cap;
	uint64_t late; /* events past the last bucket */
	bool have_t0;
	uint64_t t0, t_last;
	struct ev_clock clock;
	uint64_t dropped[EV_SRC_COUNT];
	bool have_kcounts;
	uint64_t kcount[KCOUNT_N];
	uint64_t kcount_levels[KCOUNT_LEVELS];
	bool have_join;
	uint64_t join_faults, join_walk, join_host;
	struct log2_hist hist[EV_HIST_COUNT];
	struct exit_table *exits;
	uint64_t memslots; /* vmm_memslot records: the VMM ran a VM */
	bool traced;	   /* the eBPF capture wrote its notes: KVM records were expected */
	char lab[200];	   /* the "lab: ..." note of a file written inside memvirt lab */
};

void ev_stat_free(struct ev_stat *s)
{
	if (!s)
		return;
	for (int p = 0; p < EV_PAIR_COUNT; p++)
		free(s->pending[p]);
	for (int i = 0; i < SER_COUNT; i++)
		free(s->bucket[i]);
	free(s->types);
	exit_table__free(s->exits);
	free(s->role);
	free(s->count);
	free(s);
}

static struct ev_stat *stat_new(void)
{
	struct ev_stat *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->count = calloc(STAT_IDS, sizeof(*s->count));
	s->role = calloc(STAT_IDS, sizeof(*s->role));
	s->types = calloc(STAT_MAX_TYPES, sizeof(*s->types));
	s->exits = exit_table__new();
	for (int p = 0; p < EV_PAIR_COUNT; p++)
		pct_hist__init(&s->lat[p]);
	for (int h = 0; h < EV_HIST_COUNT; h++)
		log2_hist__init(&s->hist[h]);
	if (!s->count || !s->role || !s->types || !s->exits)
		goto fail;
	return s;
fail:
	ev_stat_free(s);
	return NULL;
}

static void pair__start(struct ev_stat *s, enum ev_pair p, const struct ev_record *rec)
{
	/* Allocated on first use: most files have only some of the pairs. */
	if (!s->pending[p])
		s->pending[p] = calloc(STAT_IDS, sizeof(uint64_t));
	if (s->pending[p])
		s->pending[p][rec->cpu] = rec->ts + 1;
}

/* The pair's latency in ns, or -1 when no first half was pending. */
static int64_t pair__finish(struct ev_stat *s, enum ev_pair p, const struct ev_record *rec)
{
	uint64_t start = s->pending[p] ? s->pending[p][rec->cpu] : 0;

	if (!start)
		return -1;
	s->pending[p][rec->cpu] = 0;
	if (rec->ts < start - 1)
		return -1;
	pct_hist__add(&s->lat[p], rec->ts - (start - 1));
	log2_hist__add(&s->hist[p], rec->ts - (start - 1));
	return (int64_t)(rec->ts - (start - 1));
}

static enum role stat__role(struct ev_stat *s, const struct ev_record *rec)
{
	uint16_t id = rec->type->id;
	enum role role = ROLE_NONE;

	if (s->role[id] != ROLE_UNSEEN)
		return s->role[id];
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (!strcmp(rec->type->name, role_names[i].name))
			role = role_names[i].role;
	s->role[id] = (uint8_t)role;
	if (s->ntypes < STAT_MAX_TYPES) {
		struct stype *t = &s->types[s->ntypes++];

		t->id = id;
		t->source = rec->type->source;
		memcpy(t->name, rec->type->name, sizeof(t->name));
	}
	return role;
}

static void stat__bucket(struct ev_stat *s, int series, uint64_t t)
{
	uint64_t b = t > s->t0 ? (t - s->t0) / STAT_BUCKET_NS : 0;

	if (b >= STAT_MAX_BUCKETS) {
		s->late++;
		return;
	}
	if (b >= s->bucket_cap) {
		size_t cap = s->bucket_cap ? s->bucket_cap : 256;

		while (cap <= b)
			cap *= 2;
		for (int i = 0; i < SER_COUNT; i++) {
			uint32_t *v = realloc(s->bucket[i], cap * sizeof(*v));

			if (!v) {
				s->late++;
				return;
			}
			memset(v + s->bucket_cap, 0, (cap - s->bucket_cap) * sizeof(*v));
			s->bucket[i] = v;
		}
		s->bucket_cap = cap;
	}
	if (b >= s->nbuckets)
		s->nbuckets = b + 1;
	s->bucket[series][b]++;
}

static uint64_t field(const struct ev_record *rec, const char *name)
{
	return ev_field_u64(rec, ev_field_index(rec->type, name), 0);
}

static void stat__add(struct ev_stat *s, const struct ev_record *rec)
{
	uint64_t t;
	enum role role;

	s->records++;
	ev_clock_see(&s->clock, rec);
	t = ev_clock_ns(&s->clock, rec);
	if (rec->type->id == EV_NOTE && rec->body_len >= 7 &&
	    (!memcmp(rec->body, "probes:", 7) || !memcmp(rec->body, "tracing pid", 11)))
		s->traced = true;
	if (rec->type->id == EV_NOTE && rec->body_len > 5 && !memcmp(rec->body, "lab: ", 5))
		snprintf(s->lab, sizeof(s->lab), "%.*s",
			 (int)(rec->body_len - 5 < sizeof(s->lab) ? rec->body_len - 5
								  : sizeof(s->lab) - 1),
			 (const char *)rec->body + 5);
	if (rec->type->id <= EV_NOTE)
		return;
	if (!s->have_t0) {
		s->t0 = t;
		s->have_t0 = true;
	}
	if (t > s->t_last)
		s->t_last = t;
	s->count[rec->type->id]++;
	if (rec->source < EV_SRC_COUNT)
		s->cpu[rec->source][rec->cpu < STAT_CPUS ? rec->cpu : STAT_CPUS]++;
	role = stat__role(s, rec);
	switch (role) {
	case ROLE_GUEST_FAULT:
		stat__bucket(s, SER_FAULT, t);
		break;
	case ROLE_WALK: {
		uint64_t lv = field(rec, "levels");

		s->levels[lv < EV_STAT_MAX_LEVELS ? lv : EV_STAT_MAX_LEVELS]++;
		log2_hist__add(&s->hist[EV_HIST_WALK_LEVELS], lv);
		stat__bucket(s, SER_WALK, t);
		pair__start(s, EV_PAIR_WALK_SPTE, rec);
		break;
	}
	case ROLE_SET_SPTE:
		pair__finish(s, EV_PAIR_WALK_SPTE, rec);
		break;
	case ROLE_GET_PAGE:
		s->shadow.get_page++;
		if (field(rec, "created"))
			s->shadow.created++;
		break;
	case ROLE_SYNC:
		s->shadow.synced++;
		break;
	case ROLE_UNSYNC:
		s->shadow.unsynced++;
		break;
	case ROLE_ZAP:
		s->shadow.zapped++;
		break;
	case ROLE_HOST_FAULT:
	case ROLE_GUP_FAULT:
		stat__bucket(s, SER_HOST, t);
		break;
	case ROLE_COUNTS: {
		int fl = ev_field_index(rec->type, "emulator_walk_levels");

		s->have_kcounts = true;
		for (unsigned i = 0; i < KCOUNT_N; i++)
			s->kcount[i] += field(rec, kcount_names[i]);
		for (unsigned i = 0; fl >= 0 && i < KCOUNT_LEVELS && i < rec->type->field[fl].count;
		     i++)
			s->kcount_levels[i] += ev_field_u64(rec, fl, i);
		break;
	}
	case ROLE_MEMSLOT:
		s->memslots++;
		break;
	case ROLE_EXIT:
		pair__start(s, EV_PAIR_EXIT_ENTRY, rec);
		exit_table__exit(s->exits, rec);
		break;
	case ROLE_ENTRY:
		exit_table__entry(s->exits, rec->cpu, pair__finish(s, EV_PAIR_EXIT_ENTRY, rec));
		break;
	default:
		break;
	}
}

int ev_stat_read(struct ev_reader *r, struct ev_stat **sp)
{
	struct ev_stat *s = stat_new();
	struct ev_record rec;
	int ret;

	*sp = s;
	if (!s)
		return -ENOMEM;
	ev_clock_init(&s->clock, ev_reader_header(r));
	while ((ret = ev_read(r, &rec)) == 1)
		stat__add(s, &rec);
	for (unsigned src = 0; src < EV_SRC_COUNT; src++)
		s->dropped[src] = ev_reader_dropped(r, src);
	exit_table__sort(s->exits);
	return ret < 0 ? -1 : 0;
}

uint64_t ev_stat_count(const struct ev_stat *s, const char *type_name)
{
	for (unsigned i = 0; i < s->ntypes; i++)
		if (!strcmp(s->types[i].name, type_name))
			return s->count[s->types[i].id];
	return 0;
}

uint64_t ev_stat_cpu_count(const struct ev_stat *s, unsigned source, unsigned cpu)
{
	if (source >= EV_SRC_COUNT)
		return 0;
	return s->cpu[source][cpu < STAT_CPUS ? cpu : STAT_CPUS];
}

uint64_t ev_stat_walk_levels(const struct ev_stat *s, unsigned levels)
{
	return s->levels[levels < EV_STAT_MAX_LEVELS ? levels : EV_STAT_MAX_LEVELS];
}

void ev_stat_latency(const struct ev_stat *s, enum ev_pair pair, struct ev_latency *out)
{
	const struct pct_hist *l;

	memset(out, 0, sizeof(*out));
	if ((unsigned)pair >= EV_PAIR_COUNT || !s->lat[pair].s.count)
		return;
	l = &s->lat[pair];
	out->n = l->s.count;
	out->min = l->s.min;
	out->max = l->s.max;
	out->avg = l->s.sum / (double)l->s.count;
	out->p50 = pct_hist__percentile(l, 50);
	out->p99 = pct_hist__percentile(l, 99);
}

void ev_stat_shadow(const struct ev_stat *s, struct ev_shadow_counts *out)
{
	*out = s->shadow;
}

const struct ev_exit_stat *ev_stat_exits(const struct ev_stat *s, size_t *n)
{
	return exit_table__rows(s->exits, n);
}

uint64_t ev_stat_exits_unknown(const struct ev_stat *s)
{
	return exit_table__unknown(s->exits);
}

const struct log2_hist *ev_stat_hist(const struct ev_stat *s, enum ev_stat_hist which)
{
	return (unsigned)which < EV_HIST_COUNT ? &s->hist[which] : NULL;
}

uint64_t ev_stat_dropped(const struct ev_stat *s, enum ev_source source)
{
	return (unsigned)source < EV_SRC_COUNT ? s->dropped[source] : 0;
}

void ev_stat_set_join(struct ev_stat *s, uint64_t faults, uint64_t with_walk, uint64_t with_host)
{
	s->have_join = true;
	s->join_faults = faults;
	s->join_walk = with_walk;
	s->join_host = with_host;
}

static const char *const pair_names[EV_PAIR_COUNT] = {"kvm_exit -> kvm_entry",
						      "kvm_mmu_walk -> kvm_mmu_set_spte"};
static const char *const pair_keys[EV_PAIR_COUNT] = {"exit_to_entry", "walk_to_set_spte"};
static const char *const series_names[SER_COUNT] = {"guest_faults", "kvm_walks", "host_faults"};

/* Rate rows: at most STAT_RATE_ROWS, each a whole number of 10 ms buckets. */
static size_t rate_width(const struct ev_stat *s)
{
	return s->nbuckets ? (s->nbuckets + STAT_RATE_ROWS - 1) / STAT_RATE_ROWS : 1;
}

static double rate_at(const struct ev_stat *s, int series, size_t row, size_t width)
{
	uint64_t sum = 0;

	for (size_t b = row * width; b < (row + 1) * width && b < s->nbuckets; b++)
		sum += s->bucket[series][b];
	return (double)sum * 1e9 / (double)(width * STAT_BUCKET_NS);
}

static uint64_t total_dropped(const struct ev_stat *s)
{
	uint64_t n = 0;

	for (int i = 0; i < EV_SRC_COUNT; i++)
		n += s->dropped[i];
	return n;
}

static uint64_t source_records(const struct ev_stat *s, enum ev_source src)
{
	uint64_t n = 0;

	for (unsigned c = 0; c <= STAT_CPUS; c++)
		n += s->cpu[src][c];
	return n;
}

/*
 * A traced file in which a guest ran (guest channel records or a memory
 * slot) yet KVM wrote nothing: the KVM probes were not attached (KVM a
 * module whose BTF was not found, a program rejected, ...). Into @buf, or
 * false when there is nothing to say.
 */
static bool no_kvm_warning(const struct ev_stat *s, char *buf, size_t len)
{
	uint64_t guest = source_records(s, EV_SRC_GUEST);

	if (!s->traced || (!guest && !s->memslots) || source_records(s, EV_SRC_KVM))
		return false;
	snprintf(buf, len,
		 "a guest ran (%" PRIu64 " guest records, %" PRIu64
		 " memory slots) but the file has no KVM record: the KVM probes were not "
		 "attached (their reasons are the file's notes: memvirt trace dump FILE | grep "
		 "skipped)",
		 guest, s->memslots);
	return true;
}

static const char *const hist_titles[EV_HIST_COUNT] = {"kvm_exit -> kvm_entry, ns",
						       "kvm_mmu_walk -> kvm_mmu_set_spte, ns",
						       "KVM walk length, paging elements read"};
static const char *const hist_keys[EV_HIST_COUNT] = {"exit_to_entry_ns", "walk_to_set_spte_ns",
						     "walk_levels"};

static void write_hists_text(const struct ev_stat *s, FILE *out)
{
	for (int h = 0; h < EV_HIST_COUNT; h++) {
		if (!s->hist[h].s.count)
			continue;
		fprintf(out, "\nhistogram: %s (%" PRIu64 " samples, every one)\n", hist_titles[h],
			s->hist[h].s.count);
		log2_hist__print(&s->hist[h], out, 2);
	}
}

static void write_hists_json(const struct ev_stat *s, struct json *j)
{
	json_obj_begin(j, "histograms");
	for (int h = 0; h < EV_HIST_COUNT; h++)
		log2_hist__json(&s->hist[h], j, hist_keys[h]);
	json_obj_end(j);
}

static void write_text(const struct ev_stat *s, FILE *out, const char *error)
{
	char warn[320];
	size_t width = rate_width(s), rows;
	struct ev_latency l;
	uint64_t lost = total_dropped(s);

	fprintf(out, "records: %" PRIu64 " (%s)\n", s->records,
		error ? "file bad or truncated" : "complete file");
	/* Rates and latencies from the lab under TCG are an emulated CPU's; counts are KVM's. */
	if (s->lab[0])
		fprintf(out, "recorded in the lab: %s\n", s->lab);
	fprintf(out, "\nevents by type:\n  %-28s %-6s %12s\n", "type", "source", "count");
	for (unsigned i = 0; i < s->ntypes; i++)
		fprintf(out, "  %-28s %-6s %12" PRIu64 "\n", s->types[i].name,
			ev_source_name(s->types[i].source), s->count[s->types[i].id]);
	fprintf(out, "\nevents by cpu (vCPU for guest/vmm/kvm, host CPU for host):\n");
	for (unsigned src = 1; src < EV_SRC_COUNT; src++)
		for (unsigned c = 0; c <= STAT_CPUS; c++)
			if (s->cpu[src][c]) {
				if (c == STAT_CPUS)
					fprintf(out, "  %-6s cpu %-5s %12" PRIu64 "\n",
						ev_source_name(src), ">=256", s->cpu[src][c]);
				else
					fprintf(out, "  %-6s cpu %-5u %12" PRIu64 "\n",
						ev_source_name(src), c, s->cpu[src][c]);
			}
	if (s->nbuckets) {
		rows = (s->nbuckets + width - 1) / width;
		fprintf(out, "\nrate (events per second, %.0f ms rows, from the first event):\n",
			(double)(width * STAT_BUCKET_NS) / 1e6);
		fprintf(out, "  %10s %14s %14s %14s\n", "time_s", "guest_faults", "kvm_walks",
			"host_faults");
		for (size_t row = 0; row < rows; row++)
			fprintf(out, "  %10.3f %14.0f %14.0f %14.0f\n",
				(double)(row * width * STAT_BUCKET_NS) / 1e9,
				rate_at(s, SER_FAULT, row, width), rate_at(s, SER_WALK, row, width),
				rate_at(s, SER_HOST, row, width));
		if (s->late)
			fprintf(out, "  (%" PRIu64 " events too late to bucket)\n", s->late);
	}
	fprintf(out, "\nKVM guest page-table walks by paging elements read:\n");
	if (!ev_stat_count(s, "kvm_mmu_walk"))
		fprintf(out, "  (no kvm_mmu_walk records)\n");
	for (unsigned i = 0; i <= EV_STAT_MAX_LEVELS; i++)
		if (s->levels[i])
			fprintf(out, "  %s%u levels %12" PRIu64 "\n",
				i == EV_STAT_MAX_LEVELS ? ">=" : "  ", i, s->levels[i]);
	if (s->have_kcounts) {
		fprintf(out,
			"\ncounted in the kernel (kvm_counts): %" PRIu64 " fault walks, %" PRIu64
			" emulator walks, %" PRIu64 " emulated instructions (%" PRIu64 " failed)\n",
			s->kcount[0], s->kcount[1], s->kcount[2], s->kcount[3]);
		fprintf(out, "  emulator walks by paging elements read:");
		for (unsigned i = 0; i < KCOUNT_LEVELS; i++)
			fprintf(out, " %u: %" PRIu64 "%s", i, s->kcount_levels[i],
				i + 1 < KCOUNT_LEVELS ? "," : "\n");
	}
	if (ev_stat_count(s, "kvm_exit"))
		exit_table__print(s->exits, out);
	fprintf(out,
		"\nshadow pages: %" PRIu64 " created (of %" PRIu64 " kvm_mmu_get_page), %" PRIu64
		" synced, %" PRIu64 " unsynced, %" PRIu64 " zapped\n",
		s->shadow.created, s->shadow.get_page, s->shadow.synced, s->shadow.unsynced,
		s->shadow.zapped);
	fprintf(out, "\nlatency (ns)  %-34s %10s %10s %10s %10s %10s %10s\n", "pair", "count",
		"min", "avg", "p50", "p99", "max");
	for (int p = 0; p < EV_PAIR_COUNT; p++) {
		ev_stat_latency(s, p, &l);
		if (!l.n) {
			fprintf(out, "              %-34s %10d %10s %10s %10s %10s %10s\n",
				pair_names[p], 0, "-", "-", "-", "-", "-");
			continue;
		}
		fprintf(out,
			"              %-34s %10" PRIu64 " %10" PRIu64 " %10.0f %10" PRIu64
			" %10" PRIu64 " %10" PRIu64 "\n",
			pair_names[p], l.n, l.min, l.avg, l.p50, l.p99, l.max);
	}
	write_hists_text(s, out);
	fprintf(out, "\ndropped records:");
	for (unsigned src = 0; src < EV_SRC_COUNT; src++)
		fprintf(out, " %s %" PRIu64 "%s", ev_source_name(src), s->dropped[src],
			src + 1 < EV_SRC_COUNT ? "," : "\n");
	if (lost)
		fprintf(out,
			"warning: %" PRIu64 " records were lost; counts and rates above are low "
			"and pairs may be mismatched\n",
			lost);
	if (s->have_join)
		fprintf(out,
			"joined: %" PRIu64 " of %" PRIu64 " guest faults have a KVM walk, %" PRIu64
			" a host fault\n",
			s->join_walk, s->join_faults, s->join_host);
	if (no_kvm_warning(s, warn, sizeof(warn)))
		fprintf(out, "warning: %s\n", warn);
}

static void write_json(const struct ev_stat *s, FILE *out, const char *error)
{
	char warn[320];
	size_t width = rate_width(s), rows = s->nbuckets ? (s->nbuckets + width - 1) / width : 0;
	struct ev_latency l;
	struct json j;
	char key[16];

	json_init(&j, out);
	json_obj_begin(&j, NULL);
	json_u64(&j, "records", s->records);
	json_bool(&j, "complete", !error);
	if (error)
		json_str(&j, "error", error);
	if (s->lab[0])
		json_str(&j, "lab", s->lab);
	json_arr_begin(&j, "types");
	for (unsigned i = 0; i < s->ntypes; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "name", s->types[i].name);
		json_u64(&j, "id", s->types[i].id);
		json_str(&j, "source", ev_source_name(s->types[i].source));
		json_u64(&j, "count", s->count[s->types[i].id]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "cpus");
	for (unsigned src = 1; src < EV_SRC_COUNT; src++)
		for (unsigned c = 0; c <= STAT_CPUS; c++)
			if (s->cpu[src][c]) {
				json_obj_begin(&j, NULL);
				json_str(&j, "source", ev_source_name(src));
				if (c == STAT_CPUS)
					json_str(&j, "cpu", ">=256");
				else
					json_u64(&j, "cpu", c);
				json_u64(&j, "count", s->cpu[src][c]);
				json_obj_end(&j);
			}
	json_arr_end(&j);
	json_obj_begin(&j, "rates_per_s");
	json_double(&j, "row_ms", (double)(width * STAT_BUCKET_NS) / 1e6);
	for (int ser = 0; ser < SER_COUNT; ser++) {
		json_arr_begin(&j, series_names[ser]);
		for (size_t row = 0; row < rows; row++)
			json_double(&j, NULL, rate_at(s, ser, row, width));
		json_arr_end(&j);
	}
	json_u64(&j, "late_events", s->late);
	json_obj_end(&j);
	json_obj_begin(&j, "walk_levels");
	for (unsigned i = 0; i <= EV_STAT_MAX_LEVELS; i++)
		if (s->levels[i]) {
			snprintf(key, sizeof(key), "%s%u", i == EV_STAT_MAX_LEVELS ? ">=" : "", i);
			json_u64(&j, key, s->levels[i]);
		}
	json_obj_end(&j);
	if (s->have_kcounts) {
		json_obj_begin(&j, "kernel_counts");
		for (unsigned i = 0; i < KCOUNT_N; i++)
			json_u64(&j, kcount_names[i], s->kcount[i]);
		json_arr_begin(&j, "emulator_walk_levels");
		for (unsigned i = 0; i < KCOUNT_LEVELS; i++)
			json_u64(&j, NULL, s->kcount_levels[i]);
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_obj_begin(&j, "shadow_pages");
	json_u64(&j, "get_page", s->shadow.get_page);
	json_u64(&j, "created", s->shadow.created);
	json_u64(&j, "synced", s->shadow.synced);
	json_u64(&j, "unsynced", s->shadow.unsynced);
	json_u64(&j, "zapped", s->shadow.zapped);
	json_obj_end(&j);
	json_obj_begin(&j, "latency_ns");
	for (int p = 0; p < EV_PAIR_COUNT; p++) {
		ev_stat_latency(s, p, &l);
		json_obj_begin(&j, pair_keys[p]);
		json_u64(&j, "count", l.n);
		json_u64(&j, "min", l.min);
		json_double(&j, "avg", l.avg);
		json_u64(&j, "p50", l.p50);
		json_u64(&j, "p99", l.p99);
		json_u64(&j, "max", l.max);
		json_double(&j, "percentile_relative_error", PCT_HIST_REL_ERROR);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	exit_table__json(s->exits, &j);
	write_hists_json(s, &j);
	json_obj_begin(&j, "dropped");
	for (unsigned src = 0; src < EV_SRC_COUNT; src++)
		json_u64(&j, ev_source_name(src), s->dropped[src]);
	json_obj_end(&j);
	if (s->have_join) {
		json_obj_begin(&j, "join");
		json_u64(&j, "guest_faults", s->join_faults);
		json_u64(&j, "with_kvm_walk", s->join_walk);
		json_u64(&j, "with_host_fault", s->join_host);
		json_obj_end(&j);
	}
	json_arr_begin(&j, "warnings");
	if (no_kvm_warning(s, warn, sizeof(warn)))
		json_str(&j, NULL, warn);
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

void ev_stat_write(const struct ev_stat *s, FILE *out, bool json, const char *error)
{
	if (json)
		write_json(s, out, error);
	else
		write_text(s, out, error);
}

int ev_stat_print(const char *path, FILE *out, bool json)
{
	struct ev_reader *r = NULL;
	struct ev_stat *s = NULL;
	struct ev_join *j = NULL;
	uint64_t faults, walk, host;
	char error[256] = "", warn[320];
	int err;

	err = ev_reader_open(&r, path);
	if (err) {
		if (r)
			pr_err("trace stat: %s: %s: not a readable event file\n", path,
			       ev_reader_error(r));
		else
			pr_err("trace stat: %s: %s\n", path, strerror(-err));
		ev_reader_close(r);
		return err;
	}
	err = ev_stat_read(r, &s);
	if (err == -ENOMEM) {
		pr_err("trace stat: %s: out of memory\n", path);
		ev_reader_close(r);
		return err;
	}
	if (err)
		snprintf(error, sizeof(error), "%s", ev_reader_error(r));
	ev_reader_close(r);
	/* The join is a second pass over the file. */
	if (!ev_reader_open(&r, path) && ev_join_read(r, &j) != -ENOMEM && j) {
		ev_join_totals(j, &faults, &walk, &host);
		ev_stat_set_join(s, faults, walk, host);
	}
	ev_join_free(j);
	ev_reader_close(r);
	ev_stat_write(s, out, json, error[0] ? error : NULL);
	if (no_kvm_warning(s, warn, sizeof(warn)))
		pr_warn("trace stat: %s: %s\n", path, warn);
	ev_stat_free(s);
	if (error[0]) {
		pr_err("trace stat: %s: %s\n", path, error);
		return -EINVAL;
	}
	return fflush(out) ? -errno : 0;
}
