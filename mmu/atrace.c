// SPDX-License-Identifier: GPL-2.0
/* Access traces: the .mvat binary format (docs/access-trace.md) and valgrind lackey text. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/instream.h"
#include "mmu/atrace.h"

/*
 * A record starts with a tag byte. Bits 1:0 are the kind of a data access
 * (0 load, 1 store, 2 modify) and bits 7:2 its size in bytes (1..63, or 0
 * when a varint size follows); then the address as a zigzag varint delta
 * from the previous data access. Bits 1:0 = 3 mark the other records, whose
 * type is bits 7:2: 0 end (varint: records before it), 1 fetch (varint size,
 * zigzag delta from the previous fetch address).
 */
#define TAG_OTHER     3u
#define OTHER_END     0u
#define OTHER_FETCH   1u
#define SIZE_INLINE   63u
#define VARINT_MAX    10 /* bytes of a 64-bit LEB128 value */
#define ATRACE_BUF    65536
#define LACKEY_MAXLEN 4096
#define LACKEY_BUF    (1u << 20) /* bytes of text scanned at once */

static inline uint64_t zigzag(uint64_t d)
{
	return (d << 1) ^ (uint64_t)((int64_t)d >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

/* ---- writer ---- */

struct atrace_writer {
	FILE *f;
	uint64_t prev_data, prev_fetch;
	struct atrace_counts n;
	size_t len;
	uint8_t buf[ATRACE_BUF];
};

static int aw_flush(struct atrace_writer *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
		return -EIO;
	w->len = 0;
	return 0;
}

static inline void aw_varint(struct atrace_writer *w, uint64_t v)
{
	while (v >= 0x80) {
		w->buf[w->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	w->buf[w->len++] = (uint8_t)v;
}

struct atrace_writer *atrace_writer__new(FILE *f)
{
	struct atrace_writer *w = calloc(1, sizeof(*w));
	uint8_t *h;

	if (!w)
		return NULL;
	w->f = f;
	h = w->buf;
	memcpy(h, ATRACE_MAGIC, 8);
	h[8] = ATRACE_VERSION & 0xff;
	h[9] = ATRACE_VERSION >> 8;
	h[10] = ATRACE_HEADER_SIZE;
	h[11] = 0;
	memset(h + 12, 0, 4); /* flags */
	w->len = ATRACE_HEADER_SIZE;
	return w;
}

int atrace_writer__put(struct atrace_writer *w, const struct atrace_rec *r)
{
	if (!r->size || (unsigned)r->kind >= ATRACE_KINDS)
		return -EINVAL;
	if (w->len > ATRACE_BUF - 2 * VARINT_MAX - 1 && aw_flush(w))
		return -EIO;
	if (r->kind == ATRACE_FETCH) {
		w->buf[w->len++] = (uint8_t)(TAG_OTHER | OTHER_FETCH << 2);
		aw_varint(w, r->size);
		aw_varint(w, zigzag(r->addr - w->prev_fetch));
		w->prev_fetch = r->addr;
	} else {
		unsigned s = r->size <= SIZE_INLINE ? r->size : 0;

		w->buf[w->len++] = (uint8_t)((unsigned)r->kind | s << 2);
		if (!s)
			aw_varint(w, r->size);
		aw_varint(w, zigzag(r->addr - w->prev_data));
		w->prev_data = r->addr;
	}
	w->n.kind[r->kind]++;
	w->n.records++;
	return 0;
}

const struct atrace_counts *atrace_writer__counts(const struct atrace_writer *w)
{
	return &w->n;
}

int atrace_writer__finish(struct atrace_writer *w)
{
	int err;

	if (w->len > ATRACE_BUF - VARINT_MAX - 1 && aw_flush(w)) {
		free(w);
		return -EIO;
	}
	w->buf[w->len++] = (uint8_t)(TAG_OTHER | OTHER_END << 2);
	aw_varint(w, w->n.records);
	err = aw_flush(w);
	if (!err && fflush(w->f))
		err = -EIO;
	free(w);
	return err;
}

void atrace_writer__free(struct atrace_writer *w)
{
	free(w);
}

/* ---- reader ---- */

struct atrace_reader {
	struct in_stream *s;
	bool own;
	int ioerr; /* the stream's -errno, 0 */
	const char *name;
	char serr[256]; /* the stream's error, kept */
	uint64_t prev_data, prev_fetch;
	uint64_t base; /* file offset of buf[0] */
	size_t pos, len;
	bool ended, eof;
	struct atrace_counts n;
	uint8_t buf[ATRACE_BUF];
};

/* Refill so that at least @want bytes are buffered if the file has them; false at EOF. */
static bool ar_fill(struct atrace_reader *rd, size_t want)
{
	ssize_t got;

	if (rd->len - rd->pos >= want)
		return true;
	memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
	rd->base += rd->pos;
	rd->len -= rd->pos;
	rd->pos = 0;
	while (!rd->eof && rd->len < want) {
		got = in_stream__read(rd->s, rd->buf + rd->len, sizeof(rd->buf) - rd->len);
		if (got < 0) {
			rd->ioerr = (int)got;
			snprintf(rd->serr, sizeof(rd->serr), "%s", in_stream__error(rd->s));
			got = 0;
		}
		rd->len += (size_t)got;
		if (!got)
			rd->eof = true;
	}
	return rd->len >= want;
}

static int ar_error(const struct atrace_reader *rd, uint64_t off, char *err, size_t errlen,
		    const char *what)
{
	if (rd->ioerr) {
		snprintf(err, errlen, "%s: offset %" PRIu64 ": %s", rd->name, off, rd->serr);
		return rd->ioerr;
	}
	snprintf(err, errlen, "%s: offset %" PRIu64 ": %s", rd->name, off, what);
	return -EINVAL;
}

/* A LEB128 value of at most 64 bits from the buffer (refilled as needed). */
static int ar_varint(struct atrace_reader *rd, uint64_t *v)
{
	uint64_t x = 0;

	ar_fill(rd, VARINT_MAX);
	for (unsigned i = 0; i < VARINT_MAX; i++) {
		uint8_t b;

		if (rd->pos >= rd->len)
			return -ENODATA;
		b = rd->buf[rd->pos++];
		if (i == VARINT_MAX - 1 && b > 1)
			return -ERANGE;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -ERANGE;
}

struct atrace_reader *atrace_reader__new(FILE *f, const char *name, char *err, size_t errlen)
{
	struct in_stream *s = in_stream__from_file(f, name, err, errlen);
	struct atrace_reader *rd;

	if (!s)
		return NULL;
	rd = atrace_reader__new_stream(s, name, err, errlen);
	if (!rd) {
		int e = errno;

		in_stream__close(s);
		errno = e;
		return NULL;
	}
	rd->own = true;
	return rd;
}

struct atrace_reader *atrace_reader__new_stream(struct in_stream *s, const char *name, char *err,
						size_t errlen)
{
	struct atrace_reader *rd = calloc(1, sizeof(*rd));
	unsigned version, hsize;

	if (!rd)
		return NULL;
	rd->s = s;
	rd->name = name;
	if (!ar_fill(rd, ATRACE_HEADER_SIZE) && rd->ioerr) {
		snprintf(err, errlen, "%s: %s", name, rd->serr);
		goto bad;
	}
	if (rd->len < ATRACE_HEADER_SIZE || memcmp(rd->buf, ATRACE_MAGIC, 8)) {
		snprintf(err, errlen,
			 "%s: not a memvirt access trace (no MVAT header): convert "
			 "lackey output with 'memvirt sim convert'",
			 name);
		goto bad;
	}
	version = rd->buf[8] | rd->buf[9] << 8;
	hsize = rd->buf[10] | rd->buf[11] << 8;
	if (version != ATRACE_VERSION) {
		snprintf(err, errlen, "%s: access trace version %u, this memvirt reads version %u",
			 name, version, ATRACE_VERSION);
		goto bad;
	}
	if (hsize < ATRACE_HEADER_SIZE) {
		snprintf(err, errlen, "%s: header size %u is below %u", name, hsize,
			 ATRACE_HEADER_SIZE);
		goto bad;
	}
	/* A longer header (a later minor addition) is skipped. */
	for (rd->pos = ATRACE_HEADER_SIZE; hsize > ATRACE_HEADER_SIZE; hsize--) {
		if (!ar_fill(rd, 1)) {
			snprintf(err, errlen, "%s: truncated header", name);
			goto bad;
		}
		rd->pos++;
	}
	return rd;
bad:
	free(rd);
	errno = EINVAL;
	return NULL;
}

static int ar_other(struct atrace_reader *rd, unsigned type, uint64_t off, struct atrace_rec *r,
		    char *err, size_t errlen)
{
	uint64_t v, d;

	if (type == OTHER_END) {
		if (ar_varint(rd, &v))
			return ar_error(rd, off, err, errlen, "truncated end record");
		if (v != rd->n.records) {
			char what[96];

			snprintf(what, sizeof(what),
				 "end record counts %" PRIu64 " records, the trace has %" PRIu64, v,
				 rd->n.records);
			return ar_error(rd, off, err, errlen, what);
		}
		if (ar_fill(rd, 1))
			return ar_error(rd, rd->base + rd->pos, err, errlen,
					"data after the end record");
		rd->ended = true;
		return 0;
	}
	if (type != OTHER_FETCH)
		return ar_error(rd, off, err, errlen, "unknown record type");
	if (ar_varint(rd, &v) || ar_varint(rd, &d))
		return ar_error(rd, off, err, errlen, "truncated or overlong fetch record");
	if (!v || v > UINT32_MAX)
		return ar_error(rd, off, err, errlen, "fetch size is 0 or above 2^32-1");
	r->kind = ATRACE_FETCH;
	r->size = (uint32_t)v;
	r->addr = rd->prev_fetch += unzigzag(d);
	return 1;
}

int atrace_reader__next(struct atrace_reader *rd, struct atrace_rec *r, char *err, size_t errlen)
{
	uint64_t off, v = 0, d;
	unsigned tag;
	int rc;

	if (rd->ended)
		return 0;
	off = rd->base + rd->pos;
	if (!ar_fill(rd, 1))
		return ar_error(rd, off, err, errlen,
				"truncated: the trace ends without its end record");
	tag = rd->buf[rd->pos++];
	if ((tag & 3) == TAG_OTHER) {
		rc = ar_other(rd, tag >> 2, off, r, err, errlen);
		if (rc <= 0)
			return rc;
	} else {
		if (!(tag >> 2) && ar_varint(rd, &v))
			return ar_error(rd, off, err, errlen, "truncated or overlong size");
		if (!(tag >> 2) && (v <= SIZE_INLINE || v > UINT32_MAX))
			return ar_error(rd, off, err, errlen, "size not in 64..2^32-1");
		if (ar_varint(rd, &d))
			return ar_error(rd, off, err, errlen, "truncated or overlong address");
		r->kind = (enum atrace_kind)(tag & 3);
		r->size = tag >> 2 ? tag >> 2 : (uint32_t)v;
		r->addr = rd->prev_data += unzigzag(d);
	}
	rd->n.kind[r->kind]++;
	rd->n.records++;
	return 1;
}

const struct atrace_counts *atrace_reader__counts(const struct atrace_reader *rd)
{
	return &rd->n;
}

void atrace_reader__free(struct atrace_reader *rd)
{
	if (rd && rd->own)
		in_stream__close(rd->s);
	free(rd);
}

/* ---- lackey ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lackey_parse_line(const char *s, struct atrace_rec *r)
{
	uint64_t addr = 0, size = 0;
	unsigned nd = 0;

	if (!strncmp(s, "==", 2))
		return 0;
	if (s[0] == 'I' && s[1] == ' ' && s[2] == ' ')
		r->kind = ATRACE_FETCH;
	else if (s[0] == ' ' && s[1] == 'L' && s[2] == ' ')
		r->kind = ATRACE_LOAD;
	else if (s[0] == ' ' && s[1] == 'S' && s[2] == ' ')
		r->kind = ATRACE_STORE;
	else if (s[0] == ' ' && s[1] == 'M' && s[2] == ' ')
		r->kind = ATRACE_MODIFY;
	else
		return -EINVAL;
	for (s += 3; hexval(*s) >= 0; s++, nd++) {
		if (addr >> 60)
			return -EINVAL; /* above 64 bits */
		addr = addr << 4 | (uint64_t)hexval(*s);
	}
	if (!nd || *s++ != ',' || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		size = size * 10 + (uint64_t)(*s - '0');
		if (size > UINT32_MAX)
			return -EINVAL;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (*s || !size)
		return -EINVAL;
	r->addr = addr;
	r->size = (uint32_t)size;
	return 1;
}

struct lackey_reader {
	struct in_stream *s;
	bool own;
	int serr; /* the stream's -errno once it failed */
	const char *name;
	uint64_t lines;
	char *line; /* the current line, NUL-terminated in buf */
	size_t pos, len;
	char buf[LACKEY_BUF + 1];
};

struct lackey_reader *lackey_reader__new(FILE *f, const char *name)
{
	char err[256];
	struct in_stream *s = in_stream__from_file(f, name, err, sizeof(err));
	struct lackey_reader *lr = s ? lackey_reader__new_stream(s, name) : NULL;

	if (lr)
		lr->own = true;
	else
		in_stream__close(s);
	return lr;
}

struct lackey_reader *lackey_reader__new_stream(struct in_stream *s, const char *name)
{
	struct lackey_reader *lr = malloc(sizeof(*lr));

	if (lr)
		*lr = (struct lackey_reader){.s = s, .name = name};
	return lr;
}

/* Keep the unread bytes and read after them; 0 at the end of the data, or -errno. */
static int lackey_refill(struct lackey_reader *lr)
{
	ssize_t n;

	memmove(lr->buf, lr->buf + lr->pos, lr->len - lr->pos);
	lr->len -= lr->pos;
	lr->pos = 0;
	n = in_stream__read(lr->s, lr->buf + lr->len, LACKEY_BUF - lr->len);
	if (n < 0)
		return lr->serr = (int)n;
	lr->len += (size_t)n;
	return n > 0;
}

/*
 * The next line into lr->line, found in the block read (one memchr, no copy): 1, 0 at the end,
 * -E2BIG if too long, -EILSEQ for a NUL byte, or the stream's -errno.
 */
static int lackey_getline(struct lackey_reader *lr)
{
	char *nl;
	size_t n;
	int rc;

	for (;;) {
		n = lr->len - lr->pos;
		nl = memchr(lr->buf + lr->pos, '\n', n);
		if (nl || n > LACKEY_MAXLEN)
			break;
		rc = lackey_refill(lr);
		if (rc < 0)
			return rc;
		if (!rc) {
			if (!n)
				return 0;
			nl = lr->buf + lr->len; /* a last line without its newline */
			break;
		}
	}
	lr->line = lr->buf + lr->pos;
	lr->lines++;
	if (!nl || nl - lr->line > LACKEY_MAXLEN) {
		lr->line[LACKEY_MAXLEN] = 0;
		return memchr(lr->line, 0, LACKEY_MAXLEN) ? -EILSEQ : -E2BIG;
	}
	*nl = 0;
	lr->pos = (size_t)(nl - lr->buf) + (nl < lr->buf + lr->len);
	return memchr(lr->line, 0, (size_t)(nl - lr->line)) ? -EILSEQ : 1;
}

int lackey_reader__next(struct lackey_reader *lr, struct atrace_rec *r, char *err, size_t errlen)
{
	int rc;

	for (;;) {
		rc = lackey_getline(lr);
		if (!rc)
			return 0;
		if (rc == -E2BIG || rc == -EILSEQ) {
			snprintf(err, errlen, "%s:%" PRIu64 ": %s: not lackey output", lr->name,
				 lr->lines,
				 rc == -E2BIG ? "line longer than 4096 bytes" : "NUL byte in line");
			return -EINVAL;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s:%" PRIu64 ": %s", lr->name, lr->lines + 1,
				 in_stream__error(lr->s));
			return rc;
		}
		rc = lackey_parse_line(lr->line, r);
		if (rc > 0)
			return 1;
		if (rc < 0) {
			for (char *p = lr->line; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
					*p = '?';
			snprintf(err, errlen,
				 "%s:%" PRIu64 ": malformed lackey line '%.60s': expected "
				 "' L|S|M ADDR,SIZE' or 'I  ADDR,SIZE' (valgrind --tool=lackey "
				 "--trace-mem=yes)",
				 lr->name, lr->lines, lr->line);
			return -EINVAL;
		}
	}
}

uint64_t lackey_reader__lines(const struct lackey_reader *lr)
{
	return lr->lines;
}

void lackey_reader__free(struct lackey_reader *lr)
{
	if (lr && lr->own)
		in_stream__close(lr->s);
	free(lr);
}

int atrace_from_lackey(struct in_stream *in, const char *inname, FILE *out, struct atrace_counts *n,
		       uint64_t *lines, char *err, size_t errlen)
{
	struct lackey_reader *lr = lackey_reader__new_stream(in, inname);
	struct atrace_writer *w = atrace_writer__new(out);
	struct atrace_rec r;
	int rc;

	if (!lr || !w) {
		lackey_reader__free(lr);
		atrace_writer__free(w);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while ((rc = lackey_reader__next(lr, &r, err, errlen)) > 0) {
		if (atrace_writer__put(w, &r)) {
			snprintf(err, errlen, "writing the trace: %s",
				 strerror(errno ? errno : EIO));
			rc = -EIO;
			break;
		}
	}
	*lines = lackey_reader__lines(lr);
	*n = *atrace_writer__counts(w);
	lackey_reader__free(lr);
	if (rc) {
		atrace_writer__free(w);
		return rc;
	}
	rc = atrace_writer__finish(w);
	if (rc)
		snprintf(err, errlen, "writing the trace: %s", strerror(-rc));
	return rc;
}
