// SPDX-License-Identifier: GPL-2.0
/* Printing event files: text lines, long-format CSV, and Chrome trace-event JSON for Perfetto. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "trace/evfile.h"
#include "analysis/join.h"

#define DUMP_BUCKET_NS	 10000000ULL /* perfetto counter tracks: events per 10 ms */
#define DUMP_MAX_BUCKETS (1u << 20)
#define DUMP_CPUS	 65536

/* Append to a fixed buffer, never past its end. */
struct sbuf {
	char *p;
	size_t len, n;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->n + 1 >= b->len)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->p + b->n, b->len - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n = b->n + (size_t)k < b->len ? b->n + (size_t)k : b->len - 1;
}

/* How text is escaped inside double quotes. */
enum esc { ESC_TEXT, ESC_CSV, ESC_JSON };

/* A char[] field as text: printable ASCII kept, the rest escaped, up to the first NUL. */
static void sb_chars(struct sbuf *b, const struct ev_record *rec, int f, enum esc esc)
{
	unsigned count = rec->type->field[f].count;

	for (unsigned i = 0; i < count; i++) {
		unsigned c = (unsigned)ev_field_u64(rec, f, i);

		if (!c)
			break;
		if (c == '"')
			sb_printf(b, esc == ESC_CSV ? "\"\"" : "\\\"");
		else if (c == '\\')
			sb_printf(b, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			sb_printf(b, "%c", c);
		else if (esc == ESC_JSON)
			sb_printf(b, "\\u%04x", c);
		else
			sb_printf(b, "\\x%02x", c);
	}
}

static void sb_value(struct sbuf *b, const struct ev_record *rec, int f, unsigned i)
{
	uint64_t v = ev_field_u64(rec, f, i);

	switch (rec->type->field[f].kind) {
	case EV_K_X64:
		sb_printf(b, "0x%" PRIx64, v);
		break;
	case EV_K_S64:
		sb_printf(b, "%" PRId64, (int64_t)v);
		break;
	default:
		sb_printf(b, "%" PRIu64, v);
		break;
	}
}

/* The value of field @f: scalar, "[a,b,...]" array (@sep between elements), or quoted chars. */
static void sb_field(struct sbuf *b, const struct ev_record *rec, int f, const char *sep,
		     enum esc esc)
{
	unsigned count = rec->type->field[f].count;

	if (rec->type->field[f].kind == EV_K_CHAR) {
		sb_printf(b, "\"");
		sb_chars(b, rec, f, esc);
		sb_printf(b, "\"");
		return;
	}
	if (count == 1) {
		sb_value(b, rec, f, 0);
		return;
	}
	sb_printf(b, "[");
	for (unsigned i = 0; i < count; i++) {
		if (i)
			sb_printf(b, "%s", sep);
		sb_value(b, rec, f, i);
	}
	sb_printf(b, "]");
}

void ev_format_fields(const struct ev_record *rec, char *buf, size_t len)
{
	struct sbuf b = {.p = buf, .len = len};

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned f = 0; f < rec->type->nfields; f++) {
		sb_printf(&b, "%s%s=", f ? " " : "", rec->type->field[f].name);
		sb_field(&b, rec, (int)f, ",", ESC_TEXT);
	}
}

/* As ev_format_fields, with a decoded name after the values that have one: "error_code=0x6 (W|U)".
 */
static void format_fields_decoded(const struct ev_record *rec, char *buf, size_t len)
{
	struct sbuf b = {.p = buf, .len = len};
	char dec[256];

	buf[0] = '\0';
	for (unsigned f = 0; f < rec->type->nfields; f++) {
		sb_printf(&b, "%s%s=", f ? " " : "", rec->type->field[f].name);
		sb_field(&b, rec, (int)f, ",", ESC_TEXT);
		if (ev_decode_field(rec, (int)f, dec, sizeof(dec)))
			sb_printf(&b, " (%s)", dec);
	}
}

/* ---- text and CSV ---- */

static void dump_text(const struct ev_record *rec, uint64_t t, FILE *out)
{
	char line[8192];

	format_fields_decoded(rec, line, sizeof(line));
	fprintf(out, "%10" PRIu64 " %20" PRIu64 " %-5s %3u %-24s %s\n", rec->offset, t,
		ev_source_name(rec->source), rec->cpu, rec->type->name, line);
}

static void dump_csv(const struct ev_record *rec, uint64_t t, FILE *out)
{
	char val[8192];

	if (!rec->type->nfields)
		fprintf(out, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%u,%s,,\n", rec->offset,
			rec->ts, t, ev_source_name(rec->source), rec->cpu, rec->type->name);
	for (unsigned f = 0; f < rec->type->nfields; f++) {
		struct sbuf b = {.p = val, .len = sizeof(val)};
		/* Text comes quoted from sb_field (RFC 4180: quotes doubled); an array is quoted
		 * here. */
		bool array = rec->type->field[f].count > 1 && rec->type->field[f].kind != EV_K_CHAR;

		val[0] = '\0';
		sb_field(&b, rec, (int)f, ";", ESC_CSV);
		fprintf(out, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%u,%s,%s,%s%s%s\n",
			rec->offset, rec->ts, t, ev_source_name(rec->source), rec->cpu,
			rec->type->name, rec->type->field[f].name, array ? "\"" : "", val,
			array ? "\"" : "");
	}
}

/* ---- CSV, one wide table per record type ---- */

#define CSV_MAX_TABLES 256

/* Rows of one type, kept until the end: the file interleaves types, the output does not. */
struct csv_table {
	const struct ev_rtype *type;
	char *text;
	size_t len;
	FILE *rows; /* open_memstream into text */
};

struct csv_tables {
	struct csv_table t[CSV_MAX_TABLES];
	unsigned n;
	uint64_t lost; /* records of types past CSV_MAX_TABLES, or rows not buffered */
};

static bool csv_fixed_column(const char *name)
{
	static const char *const fixed[] = {"offset", "ts", "time_ns", "source", "cpu"};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(name, fixed[i]))
			return true;
	return false;
}

/* Columns: offset, ts, time_ns, source, cpu, then each field; array elements as NAME_I. */
static void csv_header(const struct ev_rtype *t, FILE *out)
{
	fprintf(out, "# type %s\noffset,ts,time_ns,source,cpu", t->name);
	for (unsigned f = 0; f < t->nfields; f++) {
		/* A field named like a fixed column (dropped's source) gets a prefix. */
		const char *pre = csv_fixed_column(t->field[f].name) ? "body_" : "";

		if (t->field[f].count > 1 && t->field[f].kind != EV_K_CHAR)
			for (unsigned i = 0; i < t->field[f].count; i++)
				fprintf(out, ",%s%s_%u", pre, t->field[f].name, i);
		else
			fprintf(out, ",%s%s", pre, t->field[f].name);
	}
	fprintf(out, "\n");
}

static void csv_row(const struct ev_record *rec, uint64_t t, FILE *out)
{
	char val[8192];

	fprintf(out, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%u", rec->offset, rec->ts, t,
		ev_source_name(rec->source), rec->cpu);
	for (unsigned f = 0; f < rec->type->nfields; f++) {
		unsigned count = rec->type->field[f].count;

		if (rec->type->field[f].kind == EV_K_CHAR || count == 1) {
			struct sbuf b = {.p = val, .len = sizeof(val)};

			val[0] = '\0';
			sb_field(&b, rec, (int)f, ";", ESC_CSV);
			fprintf(out, ",%s", val);
			continue;
		}
		for (unsigned i = 0; i < count; i++) {
			struct sbuf b = {.p = val, .len = sizeof(val)};

			val[0] = '\0';
			sb_value(&b, rec, (int)f, i);
			fprintf(out, ",%s", val);
		}
	}
	fprintf(out, "\n");
}

static void csv_tables_add(struct csv_tables *c, const struct ev_record *rec, uint64_t t)
{
	struct csv_table *tb = NULL;

	for (unsigned i = 0; i < c->n && !tb; i++)
		if (c->t[i].type == rec->type)
			tb = &c->t[i];
	if (!tb && c->n < CSV_MAX_TABLES) {
		tb = &c->t[c->n];
		tb->type = rec->type;
		tb->rows = open_memstream(&tb->text, &tb->len);
		if (!tb->rows) {
			c->lost++;
			return;
		}
		c->n++;
	}
	if (!tb) {
		c->lost++;
		return;
	}
	csv_row(rec, t, tb->rows);
}

/* Each table in order of the type's first record, a blank line between them; frees @c. */
static void csv_tables_write(struct csv_tables *c, FILE *out)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct csv_table *tb = &c->t[i];

		fclose(tb->rows);
		if (i)
			fprintf(out, "\n");
		csv_header(tb->type, out);
		fwrite(tb->text, 1, tb->len, out);
		free(tb->text);
	}
	if (c->lost)
		fprintf(out, "# %" PRIu64 " records not written: more than %d types\n", c->lost,
			CSV_MAX_TABLES);
	c->n = 0;
}

/* ---- Chrome trace-event JSON ---- */

enum { CNT_FAULT, CNT_WALK, CNT_COUNT };

struct perfetto {
	FILE *out;
	bool first_event;
	bool have_base;
	uint64_t base;	   /* CLOCK_MONOTONIC ns of the first record: time 0 */
	uint8_t *named;	   /* [EV_SRC_COUNT * DUMP_CPUS / 8] tracks named so far */
	uint64_t *exit_ts; /* [DUMP_CPUS] kvm_exit ts + 1 per cpu */
	uint64_t *walk_ts; /* [DUMP_CPUS] kvm_mmu_walk ts + 1 per cpu */
	uint32_t *bucket[CNT_COUNT];
	size_t nbuckets, cap;
};

static void pf_begin(struct perfetto *p)
{
	fprintf(p->out, "%s\n", p->first_event ? "" : ",");
	p->first_event = false;
}

/* Microseconds since the first record, as trace-event JSON wants them. */
static double pf_us(const struct perfetto *p, uint64_t t)
{
	return ((double)t - (double)p->base) / 1000.0;
}

static void pf_track(struct perfetto *p, unsigned src, unsigned cpu)
{
	size_t bit = (size_t)src * DUMP_CPUS + cpu;

	if (p->named[bit / 8] & (1u << (bit % 8)))
		return;
	p->named[bit / 8] |= (uint8_t)(1u << (bit % 8));
	pf_begin(p);
	fprintf(p->out,
		"{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,"
		"\"args\":{\"name\":\"%s %u\"}}",
		src + 1, cpu,
		src == EV_SRC_HOST   ? "CPU"
		: src == EV_SRC_META ? "meta"
				     : "vCPU",
		cpu);
}

static void pf_args(struct perfetto *p, const struct ev_record *rec)
{
	char val[8192];

	fprintf(p->out, "\"args\":{");
	for (unsigned f = 0; f < rec->type->nfields; f++) {
		struct sbuf b = {.p = val, .len = sizeof(val)};
		unsigned kind = rec->type->field[f].kind;

		val[0] = '\0';
		sb_field(&b, rec, (int)f, ",", ESC_JSON);
		/* Hex values and text are strings; plain integers and arrays of them are JSON. */
		if (kind == EV_K_X64 && rec->type->field[f].count > 1) {
			fprintf(p->out, "%s\"%s\":[", f ? "," : "", rec->type->field[f].name);
			for (unsigned i = 0; i < rec->type->field[f].count; i++)
				fprintf(p->out, "%s\"0x%" PRIx64 "\"", i ? "," : "",
					ev_field_u64(rec, (int)f, i));
			fprintf(p->out, "]");
		} else if (kind == EV_K_X64) {
			fprintf(p->out, "%s\"%s\":\"%s\"", f ? "," : "", rec->type->field[f].name,
				val);
		} else {
			fprintf(p->out, "%s\"%s\":%s", f ? "," : "", rec->type->field[f].name, val);
		}
	}
	fprintf(p->out, "}");
}

static void pf_bucket(struct perfetto *p, int series, uint64_t t)
{
	uint64_t b = t > p->base ? (t - p->base) / DUMP_BUCKET_NS : 0;

	if (b >= DUMP_MAX_BUCKETS)
		return;
	if (b >= p->cap) {
		size_t cap = p->cap ? p->cap : 256;

		while (cap <= b)
			cap *= 2;
		for (int i = 0; i < CNT_COUNT; i++) {
			uint32_t *v = realloc(p->bucket[i], cap * sizeof(*v));

			if (!v)
				return;
			memset(v + p->cap, 0, (cap - p->cap) * sizeof(*v));
			p->bucket[i] = v;
		}
		p->cap = cap;
	}
	if (b >= p->nbuckets)
		p->nbuckets = b + 1;
	p->bucket[series][b]++;
}

static void pf_complete(struct perfetto *p, const char *name, const struct ev_record *rec,
			uint64_t start)
{
	pf_begin(p);
	fprintf(p->out,
		"{\"ph\":\"X\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":%.3f,\"dur\":%.3f}",
		name, rec->source + 1, rec->cpu, pf_us(p, start),
		(double)(rec->ts - start) / 1000.0);
}

/* A pair's first half waits in @pending; the second half closes a duration slice. */
static void pf_pair(struct perfetto *p, uint64_t *pending, const struct ev_record *rec, bool first,
		    const char *name)
{
	uint64_t start;

	if (!pending)
		return;
	start = pending[rec->cpu];
	if (first) {
		pending[rec->cpu] = rec->ts + 1;
		return;
	}
	if (start && rec->ts >= start - 1)
		pf_complete(p, name, rec, start - 1);
	pending[rec->cpu] = 0;
}

static void dump_perfetto(struct perfetto *p, const struct ev_record *rec, uint64_t t)
{
	const char *name = rec->type->name;
	unsigned src = rec->source < EV_SRC_COUNT ? rec->source : EV_SRC_META;

	if (!p->have_base) {
		p->base = t;
		p->have_base = true;
	}
	if (!strcmp(name, "guest_fault"))
		pf_bucket(p, CNT_FAULT, t);
	else if (!strcmp(name, "kvm_mmu_walk"))
		pf_bucket(p, CNT_WALK, t);
	if (src == EV_SRC_KVM && !p->exit_ts) {
		/* Allocated with the first KVM record: most files without them are small. */
		p->exit_ts = calloc(DUMP_CPUS, sizeof(uint64_t));
		p->walk_ts = calloc(DUMP_CPUS, sizeof(uint64_t));
	}
	if (src == EV_SRC_KVM) {
		if (!strcmp(name, "kvm_exit") || !strcmp(name, "kvm_entry"))
			pf_pair(p, p->exit_ts, rec, !strcmp(name, "kvm_exit"), "in host (exit)");
		else if (!strcmp(name, "kvm_mmu_walk"))
			pf_pair(p, p->walk_ts, rec, true, NULL);
		else if (!strcmp(name, "kvm_mmu_set_spte"))
			pf_pair(p, p->walk_ts, rec, false, "shadow fault (walk to set_spte)");
	}
	pf_track(p, src, rec->cpu);
	pf_begin(p);
	fprintf(p->out,
		"{\"ph\":\"i\",\"s\":\"%s\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":%.3f,",
		rec->type->id <= EV_NOTE ? "p" : "t", name, src + 1, rec->cpu, pf_us(p, t));
	pf_args(p, rec);
	fprintf(p->out, "}");
}

static void pf_counters(struct perfetto *p)
{
	static const char *const names[CNT_COUNT] = {"guest faults per 10 ms",
						     "kvm walks per 10 ms"};
	static const unsigned pid[CNT_COUNT] = {EV_SRC_GUEST + 1, EV_SRC_KVM + 1};

	for (int c = 0; c < CNT_COUNT; c++)
		for (size_t b = 0; b < p->nbuckets; b++) {
			/* A sample per bucket that changes the value, and the last one. */
			if (b && b + 1 < p->nbuckets && p->bucket[c][b] == p->bucket[c][b - 1])
				continue;
			pf_begin(p);
			fprintf(p->out,
				"{\"ph\":\"C\",\"name\":\"%s\",\"pid\":%u,\"ts\":%.3f,"
				"\"args\":{\"count\":%u}}",
				names[c], pid[c], (double)(b * DUMP_BUCKET_NS) / 1000.0,
				p->bucket[c][b]);
		}
}

static int perfetto_init(struct perfetto *p, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->first_event = true;
	p->named = calloc(EV_SRC_COUNT * DUMP_CPUS / 8, 1);
	if (!p->named)
		return -ENOMEM;
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
	for (unsigned src = 0; src < EV_SRC_COUNT; src++) {
		pf_begin(p);
		fprintf(out,
			"{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,"
			"\"args\":{\"name\":\"%s\"}}",
			src + 1, ev_source_name(src));
	}
	return 0;
}

static void perfetto_free(struct perfetto *p)
{
	free(p->named);
	free(p->exit_ts);
	free(p->walk_ts);
	for (int i = 0; i < CNT_COUNT; i++)
		free(p->bucket[i]);
}

/* One slice per joined guest fault: guest fault to the last layer's work for it. */
static void pf_faults(struct perfetto *p, const struct ev_join *j)
{
	for (size_t i = 0; j && i < ev_join_count(j); i++) {
		const struct ev_joined *f = ev_join_get(j, i);
		uint64_t end = f->t_fault;

		if (f->has_walk && f->t_walk > end)
			end = f->t_walk;
		if (f->has_spte && f->t_spte > end)
			end = f->t_spte;
		if (f->has_host && f->t_host > end)
			end = f->t_host;
		if (end == f->t_fault || !p->have_base)
			continue;
		pf_track(p, EV_SRC_GUEST, f->cpu);
		pf_begin(p);
		fprintf(p->out,
			"{\"ph\":\"X\",\"name\":\"fault: guest map to shadow entry\","
			"\"pid\":%u,\"tid\":%u,\"ts\":%.3f,\"dur\":%.3f,\"args\":{"
			"\"cr2\":\"0x%" PRIx64 "\",\"gpa\":\"0x%" PRIx64
			"\",\"kvm_walk_levels\":%u,"
			"\"spte_level\":%u,\"hva\":\"0x%" PRIx64 "\",\"hpa\":\"0x%" PRIx64
			"\",\"host_fault\":\"%s\"}}",
			EV_SRC_GUEST + 1, f->cpu, pf_us(p, f->t_fault),
			(double)(end - f->t_fault) / 1000.0, f->cr2, f->gpa,
			f->has_walk ? f->walk_levels : 0, f->has_spte ? f->spte_level : 0,
			f->hva_known ? f->hva : 0, f->has_hpa ? f->hpa : 0,
			!f->has_host  ? "none"
			: f->host_gup ? "gup"
				      : "exception");
	}
}

int ev_dump(struct ev_reader *r, FILE *out, enum ev_dump_format fmt)
{
	return ev_dump_joined(r, out, fmt, NULL);
}

int ev_dump_joined(struct ev_reader *r, FILE *out, enum ev_dump_format fmt,
		   const struct ev_join *join)
{
	return ev_dump_filtered(r, out, fmt, join, NULL);
}

int ev_dump_filtered(struct ev_reader *r, FILE *out, enum ev_dump_format fmt,
		     const struct ev_join *join, const struct ev_dump_filter *filter)
{
	const struct ev_file_header *h = ev_reader_header(r);
	struct csv_tables *tables = NULL;
	struct perfetto pf;
	struct ev_record rec;
	struct ev_clock clock;
	int ret, err = 0;

	ev_clock_init(&clock, h);
	if (fmt == EV_DUMP_PERFETTO && perfetto_init(&pf, out)) {
		perfetto_free(&pf);
		return -ENOMEM;
	}
	if (fmt == EV_DUMP_CSV_TABLES && !(tables = calloc(1, sizeof(*tables))))
		return -ENOMEM;
	if (fmt == EV_DUMP_TEXT)
		fprintf(out,
			"# memvirt event file version %u, pid %u, guest tsc_hz %" PRIu64 "\n"
			"#   offset            time_ns source cpu type                     "
			"fields\n",
			h->version, h->pid, h->tsc_hz);
	else if (fmt == EV_DUMP_CSV)
		fprintf(out, "offset,ts,time_ns,source,cpu,type,field,value\n");
	while ((ret = ev_read(r, &rec)) == 1) {
		uint64_t t;

		ev_clock_see(&clock, &rec);
		t = ev_clock_ns(&clock, &rec);
		if (!ev_dump_filter_match(filter, &rec, t))
			continue;
		if (fmt == EV_DUMP_TEXT)
			dump_text(&rec, t, out);
		else if (fmt == EV_DUMP_CSV_TABLES)
			csv_tables_add(tables, &rec, t);
		else if (fmt == EV_DUMP_CSV)
			dump_csv(&rec, t, out);
		else
			dump_perfetto(&pf, &rec, t);
	}
	if (fmt == EV_DUMP_PERFETTO) {
		pf_faults(&pf, join);
		pf_counters(&pf);
		fprintf(out, "\n]}\n");
		perfetto_free(&pf);
	}
	if (tables) {
		csv_tables_write(tables, out);
		free(tables);
	}
	if (fflush(out) || ferror(out))
		err = -EIO;
	if (ret < 0)
		return -1;
	return err;
}
