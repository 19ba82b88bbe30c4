// SPDX-License-Identifier: GPL-2.0
/* The event file reader: streamed through a fixed buffer, every length and descriptor checked. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/instream.h"
#include "trace/evfile.h"

#define EV_RBUF_SIZE  (64 * 1024)
#define EV_HDR_MAX    4096 /* largest header_size a reader accepts */
#define EV_MAX_TYPES  1024 /* distinct types one file may describe */
#define EV_DIRECT_IDS 256  /* ids below this are looked up directly */

#define BF(n, k, o, c)                                        \
	{                                                     \
		.name = n, .kind = k, .offset = o, .count = c \
	}

static const struct ev_rtype rt_end = {
	.id = EV_END,
	.source = EV_SRC_META,
	.body_size = sizeof(struct ev_end_body),
	.nfields = 6,
	.name = "end",
	.field = {BF("records", EV_K_U64, 0, 1), BF("dropped_meta", EV_K_U64, 8, 1),
		  BF("dropped_guest", EV_K_U64, 16, 1), BF("dropped_vmm", EV_K_U64, 24, 1),
		  BF("dropped_kvm", EV_K_U64, 32, 1), BF("dropped_host", EV_K_U64, 40, 1)}};
static const struct ev_rtype rt_dropped = {
	.id = EV_DROPPED,
	.source = EV_SRC_META,
	.body_size = sizeof(struct ev_dropped_body),
	.nfields = 2,
	.name = "dropped",
	.field = {BF("source", EV_K_U32, 0, 1), BF("count", EV_K_U64, 8, 1)}};
static const struct ev_rtype rt_clock = {.id = EV_CLOCK,
					 .source = EV_SRC_META,
					 .body_size = sizeof(struct ev_clock_body),
					 .nfields = 3,
					 .name = "clock",
					 .field = {BF("guest_tsc", EV_K_U64, 0, 1),
						   BF("mono_ns", EV_K_U64, 8, 1),
						   BF("tsc_hz", EV_K_U64, 16, 1)}};
static const struct ev_rtype rt_note = {.id = EV_NOTE,
					.source = EV_SRC_META,
					.body_size = sizeof(struct ev_note_body),
					.nfields = 1,
					.name = "note",
					.field = {BF("text", EV_K_CHAR, 0, 120)}};

static const struct ev_rtype *const builtin[] = {&rt_end, &rt_dropped, &rt_clock, &rt_note};

enum rstate { RS_OK, RS_ENDED, RS_DONE, RS_FAILED };

struct ev_reader {
	int fd;		      /* -1 for a memory or stream reader */
	struct in_stream *st; /* a pipe or compressed file: read once, in order */
	const uint8_t *mem;   /* memory reader: the whole input */
	size_t mem_len;
	uint8_t *buf; /* file reader: a window of the file */
	size_t buf_len;
	uint64_t buf_off; /* file offset of buf[0] */
	uint64_t off;	  /* offset of the next record */
	enum rstate state;
	struct ev_file_header hdr;
	uint64_t records; /* records read, schema included */
	uint64_t dropped[EV_SRC_COUNT];
	bool end_seen;
	struct ev_rtype *direct[EV_DIRECT_IDS];
	struct ev_rtype **types; /* every described type, in order */
	unsigned ntypes;
	char err[192];
};

__attribute__((format(printf, 3, 4))) static int fail(struct ev_reader *r, uint64_t off,
						      const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof(r->err), "offset %" PRIu64 ": ", off);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	r->state = RS_FAILED;
	return -1;
}

/* Truncation: reported, but the next ev_read retries from the same offset. */
__attribute__((format(printf, 3, 4))) static int truncated(struct ev_reader *r, uint64_t off,
							   const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof(r->err), "offset %" PRIu64 ": ", off);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Make @need bytes at offset @off readable; *p points at them. Returns how
 * many are available (less than @need at end of data), or -errno.
 */
static ssize_t reader__peek(struct ev_reader *r, uint64_t off, size_t need, const uint8_t **p)
{
	size_t have;

	*p = NULL; /* on every return, a read error's included */
	if (r->fd < 0 && !r->st) {
		if (off >= r->mem_len)
			return 0;
		*p = r->mem + off;
		return (ssize_t)(r->mem_len - off < need ? r->mem_len - off : need);
	}
	if (off < r->buf_off || off > r->buf_off + r->buf_len) {
		if (r->st)
			return -ESPIPE; /* a stream has no way back, nor a gap */
		r->buf_off = off;
		r->buf_len = 0;
	}
	have = r->buf_off + r->buf_len - off;
	if (have < need) {
		/* Slide what is left to the front and fill the rest of the buffer. */
		memmove(r->buf, r->buf + (off - r->buf_off), have);
		r->buf_off = off;
		r->buf_len = have;
		while (r->buf_len < need) {
			ssize_t k =
				r->st ? in_stream__read(r->st, r->buf + r->buf_len,
							EV_RBUF_SIZE - r->buf_len)
				      : pread(r->fd, r->buf + r->buf_len, EV_RBUF_SIZE - r->buf_len,
					      (off_t)(r->buf_off + r->buf_len));

			if (k < 0 && !r->st && errno == EINTR)
				continue;
			if (k < 0)
				return r->st ? (int)k : -errno;
			if (k == 0)
				break;
			r->buf_len += (size_t)k;
		}
		have = r->buf_len;
	}
	*p = r->buf + (off - r->buf_off);
	return (ssize_t)(have < need ? have : need);
}

/* What a failed read says: the stream's reason (corrupt compressed data), or errno's. */
static const char *reader__ioerr(const struct ev_reader *r, ssize_t n)
{
	static __thread char msg[160];

	if (r->st && n != -ESPIPE)
		return in_stream__error(r->st);
	snprintf(msg, sizeof(msg), "read error: %s", strerror((int)-n));
	return msg;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static int reader__header(struct ev_reader *r)
{
	const uint8_t *p;
	ssize_t n = reader__peek(r, 0, sizeof(r->hdr), &p);

	if (n < 0)
		return fail(r, 0, "%s", reader__ioerr(r, n));
	if ((size_t)n < sizeof(r->hdr))
		return fail(r, 0, "file too short for a header (%zd of %zu bytes)", n,
			    sizeof(r->hdr));
	memcpy(&r->hdr, p, sizeof(r->hdr));
	if (memcmp(r->hdr.magic, EV_MAGIC, sizeof(r->hdr.magic)))
		return fail(r, 0, "bad magic: not a memvirt event file");
	if (r->hdr.version != EV_VERSION)
		return fail(r, 8, "version %u not supported (this reader reads version %u)",
			    r->hdr.version, EV_VERSION);
	if (r->hdr.header_size < sizeof(r->hdr) || r->hdr.header_size > EV_HDR_MAX ||
	    r->hdr.header_size % 8)
		return fail(r, 10, "bad header_size %u (want a multiple of 8, %zu..%u)",
			    r->hdr.header_size, sizeof(r->hdr), EV_HDR_MAX);
	r->off = r->hdr.header_size;
	return 0;
}

static struct ev_reader *reader__alloc(void)
{
	struct ev_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->types = calloc(EV_MAX_TYPES, sizeof(*r->types));
	if (!r->types) {
		free(r);
		return NULL;
	}
	return r;
}

/*
 * Standard input, read whole the first time '-' is opened and kept: every later open of '-'
 * reads the same bytes (a second pass, several paging modes).
 */
static struct {
	bool read;
	int err;
	uint8_t *buf;
	size_t len;
	char msg[256];
} ev_stdin;

static int ev_stdin_load(void)
{
	struct in_stream *s;
	size_t cap = 0;
	ssize_t k;

	if (ev_stdin.read)
		return ev_stdin.err;
	ev_stdin.read = true;
	s = in_stream__open("-", ev_stdin.msg, sizeof(ev_stdin.msg));
	if (!s)
		return ev_stdin.err = errno == ENOTSUP ? -EINVAL : -errno;
	do {
		if (cap - ev_stdin.len < EV_RBUF_SIZE) {
			uint8_t *nb = realloc(ev_stdin.buf, cap = cap ? 2 * cap : 4 * EV_RBUF_SIZE);

			if (!nb) {
				ev_stdin.err = -ENOMEM;
				break;
			}
			ev_stdin.buf = nb;
		}
		k = in_stream__read(s, ev_stdin.buf + ev_stdin.len, cap - ev_stdin.len);
		if (k < 0) {
			snprintf(ev_stdin.msg, sizeof(ev_stdin.msg), "%s", in_stream__error(s));
			ev_stdin.err = (int)k;
		} else {
			ev_stdin.len += (size_t)k;
		}
	} while (k > 0 && !ev_stdin.err);
	in_stream__close(s);
	return ev_stdin.err;
}

/* '-': the copy of standard input; a failure to read it is a reader with its reason. */
static int ev_reader_open_stdin(struct ev_reader **rp)
{
	int err = ev_stdin_load();

	if (err == -ENOMEM)
		return err;
	if (err) {
		*rp = reader__alloc();
		if (!*rp)
			return -ENOMEM;
		snprintf((*rp)->err, sizeof((*rp)->err), "%.180s", ev_stdin.msg);
		(*rp)->state = RS_FAILED;
		return -EINVAL;
	}
	return ev_reader_open_mem(rp, ev_stdin.buf ? ev_stdin.buf : (const uint8_t *)"",
				  ev_stdin.len);
}

int ev_reader_open(struct ev_reader **rp, const char *path)
{
	struct ev_reader *r;
	char msg[256];
	struct stat sb;
	int err;

	*rp = NULL;
	if (!strcmp(path, "-"))
		return ev_reader_open_stdin(rp);
	r = reader__alloc();
	if (!r)
		return -ENOMEM;
	r->buf = malloc(EV_RBUF_SIZE);
	if (!r->buf) {
		ev_reader_close(r);
		return -ENOMEM;
	}
	r->st = in_stream__open(path, msg, sizeof(msg));
	if (!r->st) {
		err = -errno;
		if (err == -EINVAL || err == -ENOTSUP) {
			size_t skip = strlen(path) + 2; /* the message starts "PATH: " */

			snprintf(r->err, sizeof(r->err), "%.180s",
				 strlen(msg) > skip ? msg + skip : msg);
			*rp = r;
			return -EINVAL;
		}
		ev_reader_close(r);
		return err;
	}
	/* A plain regular file is read where it is (pread): it may be followed as it grows. */
	if (in_stream__codec(r->st) == IN_PLAIN && !stat(path, &sb) && S_ISREG(sb.st_mode)) {
		in_stream__close(r->st);
		r->st = NULL;
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			err = -errno;
			ev_reader_close(r);
			return err;
		}
	}
	*rp = r;
	return reader__header(r) ? -EINVAL : 0;
}

int ev_reader_open_mem(struct ev_reader **rp, const void *buf, size_t len)
{
	struct ev_reader *r;

	*rp = NULL;
	r = reader__alloc();
	if (!r)
		return -ENOMEM;
	r->mem = buf;
	r->mem_len = len;
	*rp = r;
	return reader__header(r) ? -EINVAL : 0;
}

void ev_reader_close(struct ev_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	in_stream__close(r->st);
	for (unsigned i = 0; i < r->ntypes; i++)
		free(r->types[i]);
	free(r->types);
	free(r->buf);
	free(r);
}

const struct ev_file_header *ev_reader_header(const struct ev_reader *r)
{
	return &r->hdr;
}

const char *ev_reader_error(const struct ev_reader *r)
{
	if (!r)
		return "no reader";
	return r->err[0] ? r->err : "no error";
}

const struct ev_rtype *ev_reader_type_id(const struct ev_reader *r, uint16_t id)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (builtin[i]->id == id)
			return builtin[i];
	if (id < EV_DIRECT_IDS)
		return r->direct[id];
	for (unsigned i = 0; i < r->ntypes; i++)
		if (r->types[i]->id == id)
			return r->types[i];
	return NULL;
}

const struct ev_rtype *ev_reader_type(const struct ev_reader *r, const char *name)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(builtin[i]->name, name))
			return builtin[i];
	for (unsigned i = 0; i < r->ntypes; i++)
		if (!strcmp(r->types[i]->name, name))
			return r->types[i];
	return NULL;
}

static bool rtype_same(const struct ev_rtype *a, const struct ev_rtype *b)
{
	if (a->source != b->source || a->body_size != b->body_size || a->nfields != b->nfields ||
	    strcmp(a->name, b->name))
		return false;
	for (unsigned i = 0; i < a->nfields; i++)
		if (strcmp(a->field[i].name, b->field[i].name) ||
		    a->field[i].kind != b->field[i].kind ||
		    a->field[i].offset != b->field[i].offset ||
		    a->field[i].count != b->field[i].count)
			return false;
	return true;
}

/* Decode and check one EV_SCHEMA body; on success the type is known from now on. */
static int reader__schema(struct ev_reader *r, uint64_t off, const uint8_t *body, size_t len)
{
	struct ev_schema_body sb;
	struct ev_rtype t, *nt;
	const struct ev_rtype *old;

	if (len < sizeof(sb))
		return fail(r, off, "schema record too short (%zu bytes of body)", len);
	memcpy(&sb, body, sizeof(sb));
	if (sb.nfields > EV_MAX_FIELDS)
		return fail(r, off, "schema of type %u has %u fields (at most %u)", sb.type,
			    sb.nfields, EV_MAX_FIELDS);
	if (len != sizeof(sb) + sb.nfields * sizeof(struct ev_schema_field))
		return fail(r, off, "schema of type %u: body of %zu bytes does not hold %u fields",
			    sb.type, len, sb.nfields);
	if (sb.type <= EV_NOTE)
		return fail(r, off, "schema for built-in type %u", sb.type);
	if (sb.source >= EV_SRC_COUNT)
		return fail(r, off, "schema of type %u: unknown source %u", sb.type, sb.source);
	if (sb.body_size % 8 || sb.body_size > EV_MAX_RECORD - EV_HDR_SIZE)
		return fail(r, off, "schema of type %u: bad body_size %u", sb.type, sb.body_size);
	memset(&t, 0, sizeof(t));
	t.id = sb.type;
	t.source = sb.source;
	t.body_size = sb.body_size;
	t.nfields = sb.nfields;
	memcpy(t.name, sb.name, EV_NAME_LEN);
	if (!name_ok(t.name))
		return fail(r, off, "schema of type %u: bad type name", sb.type);
	for (unsigned i = 0; i < sb.nfields; i++) {
		struct ev_schema_field sf;
		unsigned esz;

		memcpy(&sf, body + sizeof(sb) + i * sizeof(sf), sizeof(sf));
		memcpy(t.field[i].name, sf.name, EV_FIELD_NAME_LEN);
		if (!name_ok(t.field[i].name))
			return fail(r, off, "schema of %s: field %u has a bad name", t.name, i);
		esz = ev_kind_size(sf.kind);
		if (!esz)
			return fail(r, off, "schema of %s: field %s has unknown kind %u", t.name,
				    t.field[i].name, sf.kind);
		if (!sf.count || (uint32_t)sf.offset + esz * sf.count > sb.body_size)
			return fail(r, off,
				    "schema of %s: field %s (offset %u, %u x %u bytes) is outside "
				    "the %u-byte body",
				    t.name, t.field[i].name, sf.offset, sf.count, esz,
				    sb.body_size);
		t.field[i].kind = sf.kind;
		t.field[i].offset = sf.offset;
		t.field[i].count = sf.count;
	}
	old = ev_reader_type_id(r, t.id);
	if (old) {
		if (!rtype_same(old, &t))
			return fail(r, off, "type %u (%s) described again with a different layout",
				    t.id, t.name);
		return 0;
	}
	old = ev_reader_type(r, t.name);
	if (old)
		return fail(r, off, "type name %s already used by type %u", t.name, old->id);
	if (r->ntypes >= EV_MAX_TYPES)
		return fail(r, off, "more than %u types described", EV_MAX_TYPES);
	nt = malloc(sizeof(*nt));
	if (!nt)
		return fail(r, off, "out of memory");
	*nt = t;
	r->types[r->ntypes++] = nt;
	if (t.id < EV_DIRECT_IDS)
		r->direct[t.id] = nt;
	return 0;
}

/* Check a built-in record's body and account for it. */
static int reader__builtin(struct ev_reader *r, uint64_t off, const struct ev_rtype *t,
			   const uint8_t *body, size_t len)
{
	if (len < t->body_size)
		return fail(r, off, "%s record too short (%zu bytes of body, want %u)", t->name,
			    len, t->body_size);
	if (t->id == EV_DROPPED) {
		struct ev_dropped_body b;

		memcpy(&b, body, sizeof(b));
		if (b.source >= EV_SRC_COUNT)
			return fail(r, off, "dropped record for unknown source %u", b.source);
		r->dropped[b.source] += b.count;
	} else if (t->id == EV_END) {
		struct ev_end_body b;

		memcpy(&b, body, sizeof(b));
		if (b.records != r->records)
			return fail(r, off,
				    "end record counts %" PRIu64 " records, file has %" PRIu64,
				    b.records, r->records);
		/* The end record's totals are authoritative (they include drops never recorded
		 * as EV_DROPPED, for instance on a write error). */
		for (unsigned s = 0; s < EV_SRC_COUNT; s++)
			if (b.dropped[s] > r->dropped[s])
				r->dropped[s] = b.dropped[s];
	}
	return 0;
}

int ev_read(struct ev_reader *r, struct ev_record *rec)
{
	for (;;) {
		const uint8_t *p;
		struct ev_hdr h;
		const struct ev_rtype *t;
		uint64_t off = r->off;
		ssize_t n;

		if (r->state == RS_FAILED)
			return -1;
		if (r->state == RS_DONE)
			return 0;
		n = reader__peek(r, off, EV_HDR_SIZE, &p);
		if (n < 0)
			return fail(r, off, "%s", reader__ioerr(r, n));
		if (r->state == RS_ENDED) {
			if (n > 0)
				return fail(r, off, "data after the end record");
			r->state = RS_DONE;
			return 0;
		}
		if (n == 0)
			return truncated(r, off, "truncated: no end record (file cut short?)");
		if (n < EV_HDR_SIZE)
			return truncated(r, off, "truncated record header (%zd of %d bytes)", n,
					 EV_HDR_SIZE);
		memcpy(&h, p, sizeof(h));
		if (h.size < EV_HDR_SIZE || h.size % 8 || h.size > EV_MAX_RECORD)
			return fail(r, off, "bad record size %u (type %u)", h.size, h.type);
		n = reader__peek(r, off, h.size, &p);
		if (n < 0)
			return fail(r, off, "%s", reader__ioerr(r, n));
		if (n < h.size)
			return truncated(r, off, "truncated record (%zd of %u bytes)", n, h.size);
		if (h.type == EV_SCHEMA) {
			if (reader__schema(r, off, p + EV_HDR_SIZE, h.size - EV_HDR_SIZE))
				return -1;
			r->off += h.size;
			r->records++;
			continue;
		}
		t = ev_reader_type_id(r, h.type);
		if (!t)
			return fail(r, off, "record of type %u, which no schema describes", h.type);
		if (h.type > EV_NOTE) {
			if ((size_t)h.size - EV_HDR_SIZE != t->body_size)
				return fail(r, off,
					    "record of %s has %u bytes of body, schema says %u",
					    t->name, h.size - EV_HDR_SIZE, t->body_size);
			if (h.source != t->source)
				return fail(r, off, "record of %s has source %u, schema says %u",
					    t->name, h.source, t->source);
		} else if (reader__builtin(r, off, t, p + EV_HDR_SIZE, h.size - EV_HDR_SIZE)) {
			return -1;
		}
		rec->type = t;
		rec->source = h.source;
		rec->cpu = h.cpu;
		rec->ts = h.ts;
		rec->offset = off;
		rec->body = p + EV_HDR_SIZE;
		rec->body_len = h.size - EV_HDR_SIZE;
		r->off += h.size;
		r->records++;
		r->err[0] = '\0';
		if (h.type == EV_END)
			r->state = RS_ENDED;
		return 1;
	}
}

int ev_field_index(const struct ev_rtype *t, const char *name)
{
	if (!t)
		return -1;
	for (unsigned i = 0; i < t->nfields && i < EV_MAX_FIELDS; i++)
		if (!strcmp(t->field[i].name, name))
			return (int)i;
	return -1;
}

uint64_t ev_field_u64(const struct ev_record *rec, int f, unsigned i)
{
	const struct ev_rtype *t = rec->type;
	unsigned esz, at;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	if (!t || f < 0 || (unsigned)f >= t->nfields || i >= t->field[f].count)
		return 0;
	esz = ev_kind_size(t->field[f].kind);
	at = t->field[f].offset + i * esz;
	if (!esz || at + esz > rec->body_len)
		return 0;
	switch (esz) {
	case 1:
		memcpy(&u8, rec->body + at, 1);
		return u8;
	case 2:
		memcpy(&u16, rec->body + at, 2);
		return u16;
	case 4:
		memcpy(&u32, rec->body + at, 4);
		return u32;
	default:
		memcpy(&u64, rec->body + at, 8);
		return u64;
	}
}

uint64_t ev_reader_dropped(const struct ev_reader *r, enum ev_source source)
{
	return (unsigned)source < EV_SRC_COUNT ? r->dropped[source] : 0;
}

/* ---- guest clock ---- */

void ev_clock_init(struct ev_clock *c, const struct ev_file_header *h)
{
	memset(c, 0, sizeof(*c));
	c->hdr_mono = h->mono_ns;
	c->hdr_hz = h->tsc_hz;
	c->hz = h->tsc_hz;
}

void ev_clock_see(struct ev_clock *c, const struct ev_record *rec)
{
	if (rec->type && rec->type->id == EV_CLOCK &&
	    rec->body_len >= sizeof(struct ev_clock_body)) {
		struct ev_clock_body b;

		memcpy(&b, rec->body, sizeof(b));
		if (!b.tsc_hz)
			return; /* no frequency: the pair cannot convert anything */
		c->tsc = b.guest_tsc;
		c->mono = b.mono_ns;
		c->hz = b.tsc_hz;
		c->have_clock = true;
	} else if (rec->source == EV_SRC_GUEST && !c->have_clock && !c->have_first) {
		c->tsc = rec->ts;
		c->mono = c->hdr_mono;
		c->have_first = true;
	}
}

uint64_t ev_clock_ns(const struct ev_clock *c, const struct ev_record *rec)
{
	__int128 d, ns;
	uint64_t hz = c->hz ? c->hz : 1000000000ULL;

	if (rec->source != EV_SRC_GUEST)
		return rec->ts;
	if (!c->have_clock && !c->have_first)
		return c->hdr_mono;
	d = (__int128)rec->ts - (__int128)c->tsc;
	ns = (__int128)c->mono + d * 1000000000 / (__int128)hz;
	if (ns < 0)
		return 0;
	if (ns > (__int128)UINT64_MAX)
		return UINT64_MAX;
	return (uint64_t)ns;
}
