// SPDX-License-Identifier: GPL-2.0
/* Event file tests: writer round trip, hand-built files (good and corrupt), threads, stat, join. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "test.h"
#include "analysis/analysis.h"
#include "trace/evfile.h"
#include "analysis/join.h"

/* ---- hand-built files, byte by byte, independent of the writer ---- */

struct buf {
	uint8_t b[1 << 16];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->b))
		abort();
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void p8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void p16(struct buf *b, uint16_t v)
{
	p8(b, v & 0xff);
	p8(b, v >> 8);
}

static void p32(struct buf *b, uint32_t v)
{
	p16(b, v & 0xffff);
	p16(b, v >> 16);
}

static void p64(struct buf *b, uint64_t v)
{
	p32(b, (uint32_t)v);
	p32(b, (uint32_t)(v >> 32));
}

static void pstr(struct buf *b, const char *s, size_t width)
{
	for (size_t i = 0; i < width; i++)
		p8(b, i < strlen(s) ? (uint8_t)s[i] : 0);
}

/* The 64-byte file header: magic, version, header_size, flags, times, tsc_hz, pid. */
static void file_hdr_v(struct buf *b, const char *magic, uint16_t version, uint16_t hsize)
{
	b->n = 0;
	pstr(b, magic, 8);
	p16(b, version);
	p16(b, hsize);
	p32(b, 0);
	p64(b, 1700000000000000000ULL); /* created */
	p64(b, 1000000);		/* mono_ns */
	p64(b, 1000000000);		/* tsc_hz: 1 GHz, guest ticks are ns */
	p32(b, 1234);
	p32(b, 0);
	p64(b, 0);
	p64(b, 0);
	while (b->n < hsize)
		p8(b, 0);
}

static void file_hdr(struct buf *b)
{
	file_hdr_v(b, "MVEVENTS", 1, 64);
}

static void rec_hdr(struct buf *b, uint16_t type, uint16_t size, uint16_t src, uint16_t cpu,
		    uint64_t ts)
{
	p16(b, type);
	p16(b, size);
	p16(b, src);
	p16(b, cpu);
	p64(b, ts);
}

struct tfield {
	const char *name;
	uint16_t kind, offset, count;
};

static void schema(struct buf *b, uint16_t type, uint16_t src, uint16_t body_size, const char *name,
		   unsigned nfields, const struct tfield *f)
{
	rec_hdr(b, 1, (uint16_t)(16 + 40 + 32 * nfields), 0, 0, 0);
	p16(b, type);
	p16(b, src);
	p16(b, body_size);
	p16(b, (uint16_t)nfields);
	pstr(b, name, 32);
	for (unsigned i = 0; i < nfields; i++) {
		pstr(b, f[i].name, 24);
		p16(b, f[i].kind);
		p16(b, f[i].offset);
		p16(b, f[i].count);
		p16(b, 0);
	}
}

static void end_rec(struct buf *b, uint64_t records, uint64_t dropped_kvm)
{
	rec_hdr(b, 2, 16 + 48, 0, 0, 0);
	p64(b, records);
	for (int s = 0; s < 5; s++)
		p64(b, s == 3 ? dropped_kvm : 0);
}

/* A small KVM-like type: a u64, a u32, a u16 and a u8 in a 16-byte body. */
static const struct tfield simple_fields[] = {
	{"a", 4, 0, 1}, {"b", 3, 8, 1}, {"c", 2, 12, 1}, {"d", 1, 14, 1}};

static void simple_schema(struct buf *b)
{
	schema(b, 60, 3, 16, "kvm_simple", 4, simple_fields);
}

static void simple_rec(struct buf *b, uint64_t a, uint64_t ts)
{
	rec_hdr(b, 60, 32, 3, 1, ts);
	p64(b, a);
	p32(b, 0xdeadbeef);
	p16(b, 0x1234);
	p8(b, 0x56);
	p8(b, 0);
}

static struct ev_reader *open_buf(const struct buf *b)
{
	struct ev_reader *r = NULL;
	int err = ev_reader_open_mem(&r, b->b, b->n);

	CHECK_EQ_U64(err, 0);
	if (err)
		fprintf(stderr, "  %s\n", ev_reader_error(r));
	return r;
}

static void test_good_minimal(void)
{
	struct buf *b = calloc(1, sizeof(*b));
	struct ev_reader *r;
	struct ev_record rec;
	const struct ev_rtype *t;

	file_hdr(b);
	simple_schema(b);
	simple_rec(b, 0x1122334455667788ULL, 5000);
	end_rec(b, 2, 0);
	r = open_buf(b);
	if (!r)
		goto out;
	CHECK_EQ_U64(ev_reader_header(r)->pid, 1234);
	CHECK_EQ_U64(ev_read(r, &rec), 1);
	t = ev_reader_type(r, "kvm_simple");
	CHECK(t && rec.type == t);
	CHECK_EQ_U64(rec.offset, 64 + 16 + 40 + 4 * 32);
	CHECK_EQ_U64(rec.cpu, 1);
	CHECK_EQ_U64(rec.ts, 5000);
	CHECK_EQ_U64(rec.source, EV_SRC_KVM);
	CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "a"), 0), 0x1122334455667788ULL);
	CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "b"), 0), 0xdeadbeef);
	CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "c"), 0), 0x1234);
	CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "d"), 0), 0x56);
	CHECK_EQ_U64(ev_field_index(t, "nope"), (uint64_t)-1);
	CHECK_EQ_U64(ev_field_u64(&rec, 7, 0), 0);
	CHECK_EQ_U64(ev_field_u64(&rec, 0, 1), 0);
	CHECK_EQ_U64(ev_read(r, &rec), 1);
	CHECK(rec.type && rec.type->id == EV_END);
	CHECK_EQ_U64(ev_read(r, &rec), 0);
	CHECK_EQ_U64(ev_read(r, &rec), 0);
	ev_reader_close(r);
out:
	free(b);
}

/* Read until the end or an error; return the last ev_read result. */
static int drain(struct ev_reader *r, unsigned *records)
{
	struct ev_record rec;
	int ret;

	*records = 0;
	while ((ret = ev_read(r, &rec)) == 1)
		(*records)++;
	return ret;
}

enum corrupt {
	C_SIZE_SMALL,
	C_SIZE_ODD,
	C_SIZE_BIG,
	C_BODY_MISMATCH,
	C_FIELD_OUTSIDE,
	C_NFIELDS,
	C_KIND,
	C_NO_SCHEMA,
	C_DUP_SCHEMA,
	C_DUP_NAME,
	C_SCHEMA_BUILTIN,
	C_SCHEMA_SHORT,
	C_BAD_SOURCE,
	C_END_COUNT,
	C_AFTER_END,
	C_TRUNC_MID,
	C_TRUNC_HDR,
	C_NO_END,
	C_BAD_DROPPED,
	C_COUNT
};

static const struct {
	const char *name;
	const char *reason; /* part of the message */
	bool truncation;
} corruptions[C_COUNT] = {
	[C_SIZE_SMALL] = {"size-small", "bad record size 8"},
	[C_SIZE_ODD] = {"size-odd", "bad record size 36"},
	[C_SIZE_BIG] = {"size-big", "bad record size 4104"},
	[C_BODY_MISMATCH] = {"body-mismatch", "schema says 16"},
	[C_FIELD_OUTSIDE] = {"field-outside", "outside"},
	[C_NFIELDS] = {"nfields", "33 fields"},
	[C_KIND] = {"kind", "unknown kind 9"},
	[C_NO_SCHEMA] = {"no-schema", "no schema"},
	[C_DUP_SCHEMA] = {"dup-schema", "different layout"},
	[C_DUP_NAME] = {"dup-name", "already used"},
	[C_SCHEMA_BUILTIN] = {"schema-builtin", "built-in"},
	[C_SCHEMA_SHORT] = {"schema-short", "does not hold"},
	[C_BAD_SOURCE] = {"bad-source", "source"},
	[C_END_COUNT] = {"end-count", "end record counts"},
	[C_AFTER_END] = {"after-end", "after the end"},
	[C_TRUNC_MID] = {"trunc-mid", "truncated record", true},
	[C_TRUNC_HDR] = {"trunc-hdr", "truncated record header", true},
	[C_NO_END] = {"no-end", "no end record", true},
	[C_BAD_DROPPED] = {"bad-dropped", "unknown source 9"},
};

/* Build corruption @c; *off is the offset the reader must report, *good the records before it. */
static void build_corrupt(struct buf *b, enum corrupt c, uint64_t *off, unsigned *good)
{
	struct tfield f[EV_MAX_FIELDS + 1];

	memset(f, 0, sizeof(f));
	file_hdr(b);
	simple_schema(b);
	simple_rec(b, 1, 100);
	*good = 1;
	*off = b->n;
	switch (c) {
	case C_SIZE_SMALL:
		rec_hdr(b, 60, 8, 3, 0, 0);
		break;
	case C_SIZE_ODD:
		rec_hdr(b, 60, 36, 3, 0, 0);
		p64(b, 0);
		p64(b, 0);
		p32(b, 0);
		break;
	case C_SIZE_BIG:
		rec_hdr(b, 60, EV_MAX_RECORD + 8, 3, 0, 0);
		for (int i = 0; i < EV_MAX_RECORD; i++)
			p8(b, 0);
		break;
	case C_BODY_MISMATCH:
		rec_hdr(b, 60, 24, 3, 0, 0);
		p64(b, 0);
		break;
	case C_FIELD_OUTSIDE:
		f[0] = (struct tfield){"x", 4, 12, 1};
		schema(b, 61, 3, 16, "kvm_bad", 1, f);
		break;
	case C_NFIELDS:
		for (int i = 0; i <= EV_MAX_FIELDS; i++)
			f[i] = (struct tfield){"x", 1, 0, 1};
		schema(b, 61, 3, 16, "kvm_bad", EV_MAX_FIELDS + 1, f);
		break;
	case C_KIND:
		f[0] = (struct tfield){"x", 9, 0, 1};
		schema(b, 61, 3, 16, "kvm_bad", 1, f);
		break;
	case C_NO_SCHEMA:
		rec_hdr(b, 61, 16, 3, 0, 0);
		break;
	case C_DUP_SCHEMA:
		f[0] = (struct tfield){"a", 4, 0, 1};
		schema(b, 60, 3, 16, "kvm_simple", 1, f);
		break;
	case C_DUP_NAME:
		schema(b, 61, 3, 16, "kvm_simple", 4, simple_fields);
		break;
	case C_SCHEMA_BUILTIN:
		schema(b, EV_END, 0, 16, "end2", 0, f);
		break;
	case C_SCHEMA_SHORT:
		/* nfields says 2, the record holds 1 */
		rec_hdr(b, 1, 16 + 40 + 32, 0, 0, 0);
		p16(b, 61);
		p16(b, 3);
		p16(b, 16);
		p16(b, 2);
		pstr(b, "kvm_short", 32);
		pstr(b, "x", 24);
		p16(b, 4);
		p16(b, 0);
		p16(b, 1);
		p16(b, 0);
		break;
	case C_BAD_SOURCE:
		rec_hdr(b, 60, 32, 2, 0, 0); /* kvm_simple is a kvm (3) type */
		p64(b, 0);
		p64(b, 0);
		break;
	case C_END_COUNT:
		end_rec(b, 5, 0);
		break;
	case C_AFTER_END:
		end_rec(b, 2, 0);
		*off = b->n;
		*good = 2;
		simple_rec(b, 2, 200);
		break;
	case C_TRUNC_MID:
		simple_rec(b, 2, 200);
		b->n -= 5;
		break;
	case C_TRUNC_HDR:
		simple_rec(b, 2, 200);
		b->n -= 20;
		break;
	case C_NO_END:
		simple_rec(b, 2, 200);
		*off = b->n;
		*good = 2;
		break;
	case C_BAD_DROPPED:
		rec_hdr(b, 3, 32, 0, 0, 0);
		p32(b, 9);
		p32(b, 0);
		p64(b, 1);
		break;
	case C_COUNT:
		break;
	}
}

static void test_corruptions(void)
{
	struct buf *b = calloc(1, sizeof(*b));

	for (int c = 0; c < C_COUNT; c++) {
		struct ev_reader *r;
		char want[64];
		uint64_t off;
		unsigned good, got;
		int ret;

		build_corrupt(b, c, &off, &good);
		r = open_buf(b);
		if (!r)
			continue;
		ret = drain(r, &got);
		snprintf(want, sizeof(want), "offset %" PRIu64 ": ", off);
		if (ret != -1 || got != good || strncmp(ev_reader_error(r), want, strlen(want)) ||
		    !strstr(ev_reader_error(r), corruptions[c].reason)) {
			fprintf(stderr, "corruption %s: ret %d, %u records (want %u), error '%s'\n",
				corruptions[c].name, ret, got, good, ev_reader_error(r));
			test_failures++;
		}
		/* Errors are final, except truncation, which a second call reports again. */
		CHECK_EQ_U64(drain(r, &got), -1);
		CHECK(!strncmp(ev_reader_error(r), want, strlen(want)));
		ev_reader_close(r);
	}
	free(b);
}

static void test_bad_headers(void)
{
	static const struct {
		const char *magic;
		uint16_t version, hsize;
		size_t cut;
		const char *want;
	} cases[] = {
		{"MVEVENTX", 1, 64, 0, "offset 0: bad magic"},
		{"MVEVENTS", 2, 64, 0, "offset 8: version 2 not supported"},
		{"MVEVENTS", 1, 32, 0, "offset 10: bad header_size 32"},
		{"MVEVENTS", 1, 68, 0, "offset 10: bad header_size 68"},
		{"MVEVENTS", 1, 64, 40, "offset 0: file too short"},
	};
	struct buf *b = calloc(1, sizeof(*b));
	struct ev_reader *r;
	struct ev_record rec;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		file_hdr_v(b, cases[i].magic, cases[i].version, cases[i].hsize);
		if (cases[i].cut)
			b->n = cases[i].cut;
		r = NULL;
		CHECK_EQ_U64(ev_reader_open_mem(&r, b->b, b->n), -EINVAL);
		CHECK(r != NULL);
		CHECK(!strncmp(ev_reader_error(r), cases[i].want, strlen(cases[i].want)));
		if (r)
			CHECK_EQ_U64(ev_read(r, &rec), -1);
		ev_reader_close(r);
	}
	/* A longer header (a newer writer's) is skipped. */
	file_hdr_v(b, "MVEVENTS", 1, 128);
	end_rec(b, 0, 0);
	r = open_buf(b);
	CHECK(r && ev_read(r, &rec) == 1 && rec.offset == 128);
	ev_reader_close(r);
	free(b);
}

/* A type this program has never heard of is still readable and printable by its schema. */
static void test_unknown_type(void)
{
	static const struct tfield f[] = {
		{"gfn", 6, 0, 1}, {"flags", 3, 8, 1}, {"tag", 7, 12, 4}, {"ent", 6, 16, 2}};
	struct buf *b = calloc(1, sizeof(*b));
	struct ev_reader *r;
	struct ev_record rec;
	char line[512];

	file_hdr(b);
	schema(b, 120, 3, 32, "kvm_future_event", 4, f);
	rec_hdr(b, 120, 48, 3, 2, 777);
	p64(b, 0xabc);
	p32(b, 7);
	pstr(b, "hi", 4);
	p64(b, 1);
	p64(b, 0xff);
	end_rec(b, 2, 0);
	r = open_buf(b);
	if (r && ev_read(r, &rec) == 1) {
		CHECK_STR(rec.type->name, "kvm_future_event");
		ev_format_fields(&rec, line, sizeof(line));
		CHECK_STR(line, "gfn=0xabc flags=7 tag=\"hi\" ent=[0x1,0xff]");
	} else {
		CHECK(0);
	}
	ev_reader_close(r);
	free(b);
}

/* ---- the writer ---- */

static void tmp_path(char *p, size_t n, const char *name)
{
	snprintf(p, n, "/tmp/memvirt-test-evfile-%d-%s", (int)getpid(), name);
}

static bool exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

/* Files whose name starts with @prefix (PATH.tmp.): the writer's unique temporaries. */
static int tmp_count(const char *prefix)
{
	char dir[160], *slash;
	const char *base;
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s", prefix);
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	base = prefix + (slash - dir) + 1;
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, base, strlen(base));
	closedir(d);
	return n;
}

static void test_roundtrip(void)
{
	struct ev_guest_fault gf = {.cr2 = 0x400123,
				    .rip = 0x401000,
				    .gpa = 0x5000,
				    .cr3 = 0x9000,
				    .error_code = 6,
				    .page_shift = 12};
	struct ev_vmm_chain ch = {.gva = 0x400000,
				  .gpa = 0x5000,
				  .hva = 0x7f0000005000,
				  .entry = {1, 2, 3, 4, 5},
				  .levels = 4,
				  .flags = 3};
	struct ev_writer *w;
	struct ev_reader *r;
	struct ev_record rec;
	struct ev_clock clock;
	char path[128], tmp[160];
	const struct ev_rtype *t;
	int n = 0;

	tmp_path(path, sizeof(path), "rt");
	snprintf(tmp, sizeof(tmp), "%s.tmp.", path);
	CHECK_EQ_U64(ev_writer_open(&w, path, 2600000000ULL, 42, false), 0);
	CHECK(tmp_count(tmp) == 1 && !exists(path));
	CHECK_EQ_U64(ev_write_clock(w, 1000, 2000, 2600000000ULL), 0);
	CHECK_EQ_U64(ev_write(w, &ev_type_guest_fault, 1, 5000, &gf), 0);
	gf.cr2 += 0x1000;
	CHECK_EQ_U64(ev_write(w, &ev_type_guest_fault, 1, 6000, &gf), 0);
	CHECK_EQ_U64(ev_write(w, &ev_type_vmm_chain, 0, 7000, &ch), 0);
	CHECK_EQ_U64(ev_write_note(w, "probe %s skipped", "x"), 0);
	CHECK_EQ_U64(ev_write_dropped(w, EV_SRC_KVM, 17), 0);
	CHECK_EQ_U64(ev_writer_records(w), 8); /* 2 schema + clock, 2 faults, chain, note, drop */
	CHECK_EQ_U64(ev_writer_dropped(w, EV_SRC_KVM), 17);
	CHECK_EQ_U64(ev_writer_close(w, true), 0);
	CHECK(tmp_count(tmp) == 0 && exists(path));

	CHECK_EQ_U64(ev_reader_open(&r, path), 0);
	CHECK_EQ_U64(ev_reader_header(r)->tsc_hz, 2600000000ULL);
	ev_clock_init(&clock, ev_reader_header(r));
	CHECK_EQ_U64(ev_reader_header(r)->pid, 42);
	while (ev_read(r, &rec) == 1) {
		t = rec.type;
		ev_clock_see(&clock, &rec);
		switch (n++) {
		case 0:
			CHECK_STR(t->name, "clock");
			CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "mono_ns"), 0), 2000);
			break;
		case 1:
		case 2:
			CHECK_STR(t->name, "guest_fault");
			CHECK_EQ_U64(rec.source, EV_SRC_GUEST);
			CHECK_EQ_U64(rec.cpu, 1);
			CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "cr2"), 0),
				     n == 2 ? 0x400123 : 0x401123);
			CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "error_code"), 0), 6);
			CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "page_shift"), 0), 12);
			/* TSC 5000 is 4000 ticks at 2.6 GHz after the clock pair (1000, 2000 ns).
			 */
			CHECK_EQ_U64(ev_clock_ns(&clock, &rec), n == 2 ? 2000 + 1538 : 2000 + 1923);
			break;
		case 3:
			CHECK_STR(t->name, "vmm_chain");
			CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "entry"), 4), 5);
			CHECK_EQ_U64(ev_field_u64(&rec, ev_field_index(t, "hva"), 0),
				     0x7f0000005000);
			break;
		case 4:
			CHECK_STR(t->name, "note");
			CHECK_STR((const char *)rec.body, "probe x skipped");
			break;
		case 5:
			CHECK_STR(t->name, "dropped");
			break;
		case 6:
			CHECK_STR(t->name, "end");
			CHECK_EQ_U64(ev_field_u64(&rec, 0, 0), 8);
			break;
		}
	}
	CHECK_EQ_U64(n, 7);
	CHECK_EQ_U64(ev_read(r, &rec), 0);
	CHECK_EQ_U64(ev_reader_dropped(r, EV_SRC_KVM), 17);
	ev_reader_close(r);
	unlink(path);

	/* Bad descriptors are refused. */
	{
		struct ev_type bad = ev_type_guest_fault;

		bad.body_size = 12;
		CHECK_EQ_U64(ev_writer_open(&w, path, 0, 0, false), 0);
		CHECK_EQ_U64(ev_write(w, &bad, 0, 0, &gf), -EINVAL);
		ev_writer_abort(w);
		CHECK(!exists(tmp) && !exists(path));
	}
}

/* A streamed file can be read while it grows: truncation is reported, then reading resumes. */
static void test_streaming(void)
{
	struct ev_guest_fault gf = {.cr2 = 1};
	struct ev_writer *w;
	struct ev_reader *r;
	struct ev_record rec;
	char path[128];
	unsigned got;

	tmp_path(path, sizeof(path), "stream");
	CHECK_EQ_U64(ev_writer_open(&w, path, 0, 0, true), 0);
	CHECK_EQ_U64(ev_reader_open(&r, path), 0);
	CHECK_EQ_U64(ev_read(r, &rec), -1);
	CHECK(strstr(ev_reader_error(r), "no end record"));
	ev_write(w, &ev_type_guest_fault, 0, 1, &gf);
	ev_writer_flush(w);
	CHECK_EQ_U64(drain(r, &got), -1);
	CHECK_EQ_U64(got, 1);
	ev_write(w, &ev_type_guest_fault, 0, 2, &gf);
	CHECK_EQ_U64(ev_writer_close(w, false), 0);
	CHECK_EQ_U64(drain(r, &got), 0);
	CHECK_EQ_U64(got, 2); /* the second fault and the end record */
	ev_reader_close(r);
	unlink(path);
}

#define THREAD_RECORDS 100000

struct thread_arg {
	struct ev_writer *w;
	uint16_t cpu;
	int err;
};

static void *writer_thread(void *p)
{
	struct thread_arg *a = p;

	for (uint64_t i = 0; i < THREAD_RECORDS && !a->err; i++) {
		struct ev_guest_fault gf = {.cr2 = i, .rip = a->cpu};

		a->err = ev_write(a->w, &ev_type_guest_fault, a->cpu, i, &gf);
	}
	return NULL;
}

static void test_threads(void)
{
	struct thread_arg a[2];
	pthread_t th[2];
	struct ev_writer *w;
	struct ev_reader *r;
	struct ev_record rec;
	uint64_t next[2] = {0, 0}, bad = 0, other = 0;
	char path[128];
	int ret;

	tmp_path(path, sizeof(path), "threads");
	CHECK_EQ_U64(ev_writer_open(&w, path, 0, 0, false), 0);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct thread_arg){.w = w, .cpu = (uint16_t)i};
		pthread_create(&th[i], NULL, writer_thread, &a[i]);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_U64(a[i].err, 0);
	}
	CHECK_EQ_U64(ev_writer_records(w), 2 * THREAD_RECORDS + 1);
	CHECK_EQ_U64(ev_writer_close(w, false), 0);
	CHECK_EQ_U64(ev_reader_open(&r, path), 0);
	while ((ret = ev_read(r, &rec)) == 1) {
		if (rec.type->id != EV_GUEST_FAULT || rec.cpu > 1) {
			other++;
			continue;
		}
		/* Each thread's records arrive whole and in its order. */
		if (ev_field_u64(&rec, 0, 0) != next[rec.cpu] ||
		    ev_field_u64(&rec, 1, 0) != rec.cpu)
			bad++;
		next[rec.cpu]++;
	}
	CHECK_EQ_U64(ret, 0);
	CHECK_EQ_U64(next[0], THREAD_RECORDS);
	CHECK_EQ_U64(next[1], THREAD_RECORDS);
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(other, 1); /* the end record */
	ev_reader_close(r);
	unlink(path);
}

/* ---- stat and join on a hand-built file with known numbers ---- */

enum { T_EXIT = 48, T_ENTRY, T_WALK, T_SPTE, T_GETPAGE, T_SYNC, T_UNSYNC, T_ZAP, T_HOSTPF };

static const struct tfield exit_f[] = {{"reason", 3, 0, 1}};
static const struct tfield walk_f[] = {{"addr", 6, 0, 1},
				       {"pferr", 3, 8, 1},
				       {"levels", 3, 12, 1},
				       {"pte", 6, 16, 5},
				       {"error", 3, 56, 1}};
static const struct tfield spte_f[] = {{"gfn", 6, 0, 1}, {"spte", 6, 8, 1}, {"level", 3, 16, 1}};
static const struct tfield page_f[] = {{"gfn", 6, 0, 1}, {"role", 3, 8, 1}, {"created", 3, 12, 1}};
static const struct tfield hostpf_f[] = {
	{"address", 6, 0, 1}, {"ip", 6, 8, 1}, {"error_code", 3, 16, 1}};
static const struct tfield gfault_f[] = {{"cr2", 6, 0, 1},	   {"rip", 6, 8, 1},
					 {"gpa", 6, 16, 1},	   {"cr3", 6, 24, 1},
					 {"error_code", 3, 32, 1}, {"page_shift", 3, 36, 1}};
static const struct tfield memslot_f[] = {{"gpa", 6, 0, 1},
					  {"size", 4, 8, 1},
					  {"hva", 6, 16, 1},
					  {"slot", 3, 24, 1},
					  {"flags", 3, 28, 1}};

#define N_EXIT 101 /* kvm_exit/kvm_entry pairs, alternating cpus 0 and 1 */
#define N_WALK 40  /* walk/set_spte pairs on cpu 2 */

static uint64_t exit_lat(int i)
{
	return (uint64_t)((i * 37) % 101) * 10 + 5;
}

static uint64_t walk_lat(int i)
{
	return (uint64_t)((i * 7) % 40) * 100 + 50;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of the samples at or below it. */
static uint64_t pct(uint64_t *v, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;

	qsort(v, n, sizeof(*v), cmp_u64);
	return v[rank ? rank - 1 : 0];
}

/*
 * trace stat's percentiles (docs/trace-format.md): never below the exact
 * nearest-rank value, above it by less than 2^-7 of it.
 */
static bool pct_close(uint64_t got, uint64_t exact)
{
	return got == exact || (got > exact && (got - exact) * 128 < exact);
}

static void walk_rec(struct buf *b, uint64_t addr, uint32_t levels, uint64_t ts)
{
	rec_hdr(b, T_WALK, 16 + 64, 3, 2, ts);
	p64(b, addr);
	p32(b, 0);
	p32(b, levels);
	for (int i = 0; i < 5; i++)
		p64(b, 0x1000 * (i + 1) | 0x67);
	p32(b, 0);
	p32(b, 0);
}

static void spte_rec(struct buf *b, uint64_t gfn, uint64_t ts)
{
	rec_hdr(b, T_SPTE, 16 + 24, 3, 2, ts);
	p64(b, gfn);
	p64(b, (gfn << 12) | 0x867);
	p32(b, 1);
	p32(b, 0);
}

static void page_rec(struct buf *b, uint16_t type, uint32_t created)
{
	rec_hdr(b, type, 32, 3, 0, 0);
	p64(b, 0x77);
	p32(b, 0x400);
	p32(b, created);
}

/* Known counts: 101 exit/entry pairs, 40 walks (30 of 4 levels, 10 of 3), 2 guest faults. */
static void build_stat_file(struct buf *b, unsigned *nrec)
{
	uint64_t ts = 1000000;
	unsigned n = 0;

	file_hdr(b);
	schema(b, T_EXIT, 3, 8, "kvm_exit", 1, exit_f);
	schema(b, T_ENTRY, 3, 8, "kvm_entry", 1, exit_f);
	schema(b, T_WALK, 3, 64, "kvm_mmu_walk", 5, walk_f);
	schema(b, T_SPTE, 3, 24, "kvm_mmu_set_spte", 3, spte_f);
	schema(b, T_GETPAGE, 3, 16, "kvm_mmu_get_page", 3, page_f);
	schema(b, T_SYNC, 3, 16, "kvm_mmu_sync_page", 3, page_f);
	schema(b, T_UNSYNC, 3, 16, "kvm_mmu_unsync_page", 3, page_f);
	schema(b, T_ZAP, 3, 16, "kvm_mmu_prepare_zap_page", 3, page_f);
	schema(b, T_HOSTPF, 4, 24, "host_page_fault", 3, hostpf_f);
	schema(b, 16, 1, 40, "guest_fault", 6, gfault_f);
	schema(b, 33, 2, 32, "vmm_memslot", 5, memslot_f);
	n += 11;
	rec_hdr(b, 33, 48, 2, 0, ts);
	p64(b, 0);
	p64(b, 0x100000);
	p64(b, 0x7f0000000000ULL);
	p32(b, 0);
	p32(b, 0);
	n++;
	/* Guest fault at guest TSC 2,000,000 = mono 1,000,000 (first guest record, 1 GHz). */
	rec_hdr(b, 16, 56, 1, 2, 2000000);
	p64(b, 0x400123);
	p64(b, 0x401000);
	p64(b, 0x5000);
	p64(b, 0x9000);
	p32(b, 6);
	p32(b, 12);
	rec_hdr(b, 16, 56, 1, 2, 2000010); /* a second fault with nothing after it */
	p64(b, 0x800000);
	p64(b, 0x401000);
	p64(b, 0x6000);
	p64(b, 0x9000);
	p32(b, 2);
	p32(b, 12);
	n += 2;
	for (int i = 0; i < N_EXIT; i++) {
		rec_hdr(b, T_EXIT, 24, 3, (uint16_t)(i % 2), ts);
		p64(b, 0);
		rec_hdr(b, T_ENTRY, 24, 3, (uint16_t)(i % 2), ts + exit_lat(i));
		p64(b, 0);
		ts += 2000;
		n += 2;
	}
	for (int i = 0; i < N_WALK; i++) {
		/* walk 0 is the first touch of the faulting page, its frame and its host fault */
		walk_rec(b, i ? 0x10000000 + i * 0x1000ULL : 0x400abc, i < 30 ? 4 : 3, ts);
		if (!i) {
			rec_hdr(b, T_HOSTPF, 40, 4, 0, ts + 1);
			p64(b, 0x7f0000005010ULL);
			p64(b, 0x1234);
			p32(b, 6);
			p32(b, 0);
			n++;
		}
		spte_rec(b, i ? 0x100 + i : 5, ts + walk_lat(i));
		ts += 10000;
		n += 2;
	}
	for (int i = 0; i < 3; i++)
		page_rec(b, T_GETPAGE, i < 2);
	page_rec(b, T_SYNC, 0);
	page_rec(b, T_UNSYNC, 0);
	page_rec(b, T_UNSYNC, 0);
	page_rec(b, T_ZAP, 0);
	n += 7;
	rec_hdr(b, 3, 32, 0, 0, ts);
	p32(b, 3);
	p32(b, 0);
	p64(b, 9);
	n++;
	end_rec(b, n, 9);
	*nrec = n;
}

static void test_stat(void)
{
	struct buf *b = calloc(1, sizeof(*b));
	uint64_t lat[N_EXIT];
	struct ev_latency l;
	struct ev_shadow_counts sc;
	struct ev_reader *r;
	struct ev_stat *s = NULL;
	unsigned nrec;
	FILE *devnull = fopen("/dev/null", "w");

	build_stat_file(b, &nrec);
	r = open_buf(b);
	CHECK_EQ_U64(ev_stat_read(r, &s), 0);
	if (!s)
		goto out;
	CHECK_EQ_U64(ev_stat_count(s, "kvm_exit"), N_EXIT);
	CHECK_EQ_U64(ev_stat_count(s, "kvm_entry"), N_EXIT);
	CHECK_EQ_U64(ev_stat_count(s, "kvm_mmu_walk"), N_WALK);
	CHECK_EQ_U64(ev_stat_count(s, "guest_fault"), 2);
	CHECK_EQ_U64(ev_stat_count(s, "nothing"), 0);
	CHECK_EQ_U64(ev_stat_cpu_count(s, EV_SRC_KVM, 0),
		     N_EXIT + 1 + 7); /* exits, entries, pages */
	CHECK_EQ_U64(ev_stat_cpu_count(s, EV_SRC_KVM, 1), N_EXIT - 1);
	CHECK_EQ_U64(ev_stat_cpu_count(s, EV_SRC_KVM, 2), 2 * N_WALK);
	CHECK_EQ_U64(ev_stat_cpu_count(s, EV_SRC_GUEST, 2), 2);
	CHECK_EQ_U64(ev_stat_walk_levels(s, 4), 30);
	CHECK_EQ_U64(ev_stat_walk_levels(s, 3), 10);
	CHECK_EQ_U64(ev_stat_walk_levels(s, 5), 0);
	CHECK_EQ_U64(ev_stat_dropped(s, EV_SRC_KVM), 9);

	for (int i = 0; i < N_EXIT; i++)
		lat[i] = exit_lat(i);
	ev_stat_latency(s, EV_PAIR_EXIT_ENTRY, &l);
	CHECK_EQ_U64(l.n, N_EXIT);
	CHECK_EQ_U64(l.min, 5);
	CHECK_EQ_U64(l.max, 1005);
	CHECK(pct_close(l.p50, pct(lat, N_EXIT, 50)));
	CHECK(pct_close(l.p99, pct(lat, N_EXIT, 99)));
	CHECK(l.avg > 504.9 && l.avg < 505.1); /* (0 + ... + 100) * 10 / 101 + 5 */
	for (int i = 0; i < N_WALK; i++)
		lat[i] = walk_lat(i);
	ev_stat_latency(s, EV_PAIR_WALK_SPTE, &l);
	CHECK_EQ_U64(l.n, N_WALK);
	CHECK(pct_close(l.p50, pct(lat, N_WALK, 50)));
	CHECK(pct_close(l.p99, pct(lat, N_WALK, 99)));
	CHECK_EQ_U64(l.max, 3950);
	ev_stat_shadow(s, &sc);
	CHECK_EQ_U64(sc.get_page, 3);
	CHECK_EQ_U64(sc.created, 2);
	CHECK_EQ_U64(sc.synced, 1);
	CHECK_EQ_U64(sc.unsynced, 2);
	CHECK_EQ_U64(sc.zapped, 1);
	ev_stat_write(s, devnull, false, NULL);
	ev_stat_write(s, devnull, true, NULL);
out:
	ev_stat_free(s);
	ev_reader_close(r);
	fclose(devnull);
	free(b);
}

static void test_join(void)
{
	struct buf *b = calloc(1, sizeof(*b));
	struct ev_reader *r;
	struct ev_join *j = NULL;
	const struct ev_joined *f;
	uint64_t faults, walk, host;
	unsigned nrec;

	build_stat_file(b, &nrec);
	r = open_buf(b);
	CHECK_EQ_U64(ev_join_read(r, &j), 0);
	if (!j)
		goto out;
	ev_join_totals(j, &faults, &walk, &host);
	CHECK_EQ_U64(faults, 2);
	CHECK_EQ_U64(walk, 1);
	CHECK_EQ_U64(host, 1);
	CHECK_EQ_U64(ev_join_count(j), 2);
	f = ev_join_get(j, 0);
	CHECK(f && f->cr2 == 0x400123 && f->gpa == 0x5000);
	CHECK(f && f->has_walk && f->walk_levels == 4 && f->walk_addr == 0x400abc);
	CHECK(f && f->has_spte && f->spte_level == 1 && f->spte == 0x5867);
	CHECK(f && f->hva_known && f->hva == 0x7f0000005000ULL);
	CHECK(f && f->has_host && f->host_addr == 0x7f0000005010ULL);
	CHECK(f && f->t_fault == 1000000 && f->t_walk > f->t_fault);
	f = ev_join_get(j, 1);
	CHECK(f && !f->has_walk && !f->has_host && !f->has_spte);
	CHECK(ev_join_get(j, 2) == NULL);
out:
	ev_join_free(j);
	ev_reader_close(r);
	free(b);
}

/*
 * A first-touch read then write of GPA 0x5000: KVM first maps the host zero
 * page (pfn 0x3b), then get_user_pages breaks COW (host_gup_fault, pfn 0xabc)
 * and the retried fault maps that frame: the join names the gup fault and the
 * frame KVM got, not the zero page.
 */
static void test_join_gup(void)
{
	static const struct tfield req_f[] = {
		{"gfn", 6, 0, 1}, {"pfn", 6, 8, 1}, {"level", 3, 16, 1}};
	static const struct tfield gup_f[] = {
		{"hva", 6, 0, 1}, {"gfn", 6, 8, 1}, {"pfn", 6, 16, 1}, {"member", 3, 24, 1}};
	struct buf *b = calloc(1, sizeof(*b));
	struct ev_reader *r;
	struct ev_join *j = NULL;
	const struct ev_joined *f;

	file_hdr(b);
	schema(b, 52, 3, 24, "kvm_mmu_spte_requested", 3, req_f);
	schema(b, 97, 4, 32, "host_gup_fault", 4, gup_f);
	schema(b, 16, 1, 40, "guest_fault", 6, gfault_f);
	schema(b, 33, 2, 32, "vmm_memslot", 5, memslot_f);
	rec_hdr(b, 33, 48, 2, 0, 1000);
	p64(b, 0);
	p64(b, 0x100000);
	p64(b, 0x7f0000000000ULL);
	p32(b, 0);
	p32(b, 0);
	rec_hdr(b, 16, 56, 1, 0, 2000000);
	p64(b, 0x400000);
	p64(b, 0x401000);
	p64(b, 0x5000);
	p64(b, 0x9000);
	p32(b, 4);
	p32(b, 12);
	for (int i = 0; i < 2; i++) {
		if (i) {
			rec_hdr(b, 97, 48, 4, 0, 1000300);
			p64(b, 0x7f0000005000ULL);
			p64(b, 5);
			p64(b, 0xabc);
			p32(b, 1);
			p32(b, 0);
		}
		rec_hdr(b, 52, 40, 3, 0, 1000100 + 300 * (uint64_t)i);
		p64(b, 5);
		p64(b, i ? 0xabc : 0x3b);
		p32(b, 1);
		p32(b, 0);
	}
	end_rec(b, 9, 0);
	r = open_buf(b);
	CHECK_EQ_U64(ev_join_read(r, &j), 0);
	if (!j)
		goto out;
	f = ev_join_get(j, 0);
	CHECK(f && f->hva_known && f->hva == 0x7f0000005000ULL);
	CHECK(f && f->has_host && f->host_gup && f->host_addr == 0x7f0000005000ULL);
	CHECK(f && f->has_hpa && f->hpa == 0xabc000);
out:
	ev_join_free(j);
	ev_reader_close(r);
	free(b);
}

/*
 * Nested paging (TDP): no KVM walk; the guest fault's frame 0x205 lies in a
 * 2M NPT mapping (gfn 0x200, level 2) set before the fault by the request
 * of frame 0x201 (pfn 0x1201): the join finds that entry as "mapped
 * before", and the HPA from the 2M mapping's first frame.
 */
static void test_join_tdp(void)
{
	static const struct tfield req_f[] = {
		{"gfn", 6, 0, 1}, {"pfn", 6, 8, 1}, {"level", 3, 16, 1}};
	static const struct tfield tdp_f[] = {{"gfn", 6, 0, 1}, {"level", 3, 8, 1}};
	struct buf *b = calloc(1, sizeof(*b));
	struct ev_reader *r;
	struct ev_join *j = NULL;
	const struct ev_joined *f;

	file_hdr(b);
	schema(b, 52, 3, 24, "kvm_mmu_spte_requested", 3, req_f);
	schema(b, T_SPTE, 3, 24, "kvm_mmu_set_spte", 3, spte_f);
	schema(b, 58, 3, 16, "kvm_tdp_mmu_spte_changed", 2, tdp_f);
	schema(b, 16, 1, 40, "guest_fault", 6, gfault_f);
	rec_hdr(b, 52, 40, 3, 0, 500);
	p64(b, 0x201);
	p64(b, 0x1201);
	p32(b, 2);
	p32(b, 0);
	rec_hdr(b, 58, 32, 3, 0, 550);
	p64(b, 0x200);
	p32(b, 2);
	p32(b, 0);
	rec_hdr(b, T_SPTE, 40, 3, 0, 600);
	p64(b, 0x200);
	p64(b, 0x1200000 | 0x8e7);
	p32(b, 2);
	p32(b, 0);
	rec_hdr(b, 16, 56, 1, 0, 2000000); /* mono 1,000,000: after the mapping */
	p64(b, 0x400000);
	p64(b, 0x401000);
	p64(b, 0x205000);
	p64(b, 0x9000);
	p32(b, 6);
	p32(b, 12);
	end_rec(b, 8, 0);
	r = open_buf(b);
	CHECK_EQ_U64(ev_join_read(r, &j), 0);
	if (!j)
		goto out;
	CHECK(ev_join_tdp(j));
	CHECK_EQ_U64(ev_join_with_spte(j), 1);
	f = ev_join_get(j, 0);
	CHECK(f && !f->has_walk && f->has_spte && f->spte_before && f->spte_level == 2);
	CHECK(f && f->has_hpa && f->hpa == 0x1205000);
out:
	ev_join_free(j);
	ev_reader_close(r);
	free(b);
}

/* ---- files for the CLI test and the fuzzer ---- */

static int write_buf(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "wb");
	size_t n = f ? fwrite(b->b, 1, b->n, f) : 0;

	if (!f || fclose(f) || n != b->n) {
		perror(path);
		return 1;
	}
	return 0;
}

/* test_evfile --write FILE: the stat test's file (known counts; see build_stat_file). */
static int write_sample(const char *path)
{
	struct buf *b = calloc(1, sizeof(*b));
	unsigned n;
	int ret;

	build_stat_file(b, &n);
	ret = write_buf(path, b);
	free(b);
	return ret;
}

/* Every guest and VMM type, a clock, a note and a drop, through the writer. */
static int write_with_writer(const char *path)
{
	struct ev_guest_fault gf = {.cr2 = 0x400123, .gpa = 0x5000, .page_shift = 12};
	struct ev_guest_map gm = {.va = 0x400000, .len = 0x2000, .prot = 3, .page_shift = 12};
	struct ev_guest_as as = {.cr3 = 0x9000, .prev_cr3 = 0x8000, .pid = 2};
	struct ev_guest_tlb_flush fl = {.va = 0x400000, .kind = EV_FLUSH_INVLPG};
	struct ev_vmm_chain ch = {.gva = 0x400000, .gpa = 0x5000, .levels = 4};
	struct ev_vmm_memslot ms = {.size = 0x100000, .hva = 0x7f0000000000ULL};
	struct ev_writer *w;
	int err = ev_writer_open(&w, path, 2600000000ULL, 1, false);

	if (err)
		return 1;
	ev_write(w, &ev_type_vmm_memslot, 0, 10, &ms);
	ev_write_clock(w, 1000, 20, 2600000000ULL);
	ev_write(w, &ev_type_guest_as_create, 0, 1100, &as);
	ev_write(w, &ev_type_guest_as_switch, 0, 1200, &as);
	ev_write(w, &ev_type_guest_map, 0, 1300, &gm);
	ev_write(w, &ev_type_guest_protect, 0, 1400, &gm);
	ev_write(w, &ev_type_guest_fault, 0, 1500, &gf);
	ev_write(w, &ev_type_vmm_chain, 0, 30, &ch);
	ev_write(w, &ev_type_guest_tlb_flush, 0, 1600, &fl);
	ev_write(w, &ev_type_guest_unmap, 0, 1700, &gm);
	ev_write_note(w, "a \"quoted\", note\twith a tab");
	ev_write_dropped(w, EV_SRC_GUEST, 3);
	return ev_writer_close(w, false) ? 1 : 0;
}

/* test_evfile --write-many FILE N: N guest faults through the writer, a file that is slow to dump.
 */
static int write_many(const char *path, const char *count)
{
	struct ev_guest_fault gf = {.cr2 = 0x400000, .gpa = 0x5000, .page_shift = 12};
	unsigned long n = strtoul(count, NULL, 10);
	struct ev_writer *w;

	if (ev_writer_open(&w, path, 2600000000ULL, 1, false))
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		gf.cr2 = 0x400000 + 4096 * i;
		if (ev_write(w, &ev_type_guest_fault, 0, 1000 + i, &gf))
			break;
	}
	return ev_writer_close(w, false) ? 1 : 0;
}

/* test_evfile --write-corpus DIR: seeds for tests/fuzz/fuzz_evfile.c. */
static int write_corpus(const char *dir)
{
	struct buf *b = calloc(1, sizeof(*b));
	char path[4096];
	uint64_t off;
	unsigned n;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/writer.ev", dir);
	ret |= write_with_writer(path);
	build_stat_file(b, &n);
	snprintf(path, sizeof(path), "%s/stat.ev", dir);
	ret |= write_buf(path, b);
	file_hdr(b);
	simple_schema(b);
	simple_rec(b, 1, 1);
	end_rec(b, 2, 0);
	snprintf(path, sizeof(path), "%s/minimal.ev", dir);
	ret |= write_buf(path, b);
	for (int c = 0; c < C_COUNT; c += 3) {
		build_corrupt(b, c, &off, &n);
		if (b->n > 2048)
			continue;
		snprintf(path, sizeof(path), "%s/%s.ev", dir, corruptions[c].name);
		ret |= write_buf(path, b);
	}
	free(b);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write"))
		return write_sample(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--write-writer"))
		return write_with_writer(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "--write-many"))
		return write_many(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	test_good_minimal();
	test_corruptions();
	test_bad_headers();
	test_unknown_type();
	test_roundtrip();
	test_streaming();
	test_threads();
	test_stat();
	test_join();
	test_join_gup();
	test_join_tdp();
	TEST_DONE();
}
