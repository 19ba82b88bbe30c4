// SPDX-License-Identifier: GPL-2.0
/* The event file: layout checks, names, and the buffered, thread-safe writer (reader: evread.c). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/tmpclean.h"
#include "trace/evfile.h"

#define EV_WBUF_SIZE (64 * 1024)
#define EV_CHECKED   256 /* descriptors validated, cached by id modulo this */

_Static_assert(sizeof(struct ev_file_header) == 64, "file header is 64 bytes");
_Static_assert(sizeof(struct ev_hdr) == EV_HDR_SIZE, "record header is 16 bytes");
_Static_assert(sizeof(struct ev_schema_body) == 40, "schema body is 40 bytes");
_Static_assert(sizeof(struct ev_schema_field) == 32, "schema field is 32 bytes");
_Static_assert(sizeof(struct ev_end_body) == 48, "end body is 48 bytes");
_Static_assert(sizeof(struct ev_dropped_body) == 16, "dropped body is 16 bytes");
_Static_assert(sizeof(struct ev_clock_body) == 24, "clock body is 24 bytes");
_Static_assert(sizeof(struct ev_note_body) == 120, "note body is 120 bytes");

const char *ev_source_name(unsigned src)
{
	static const char *const names[EV_SRC_COUNT] = {"meta", "guest", "vmm", "kvm", "host"};

	return src < EV_SRC_COUNT ? names[src] : "?";
}

unsigned ev_kind_size(unsigned kind)
{
	switch (kind) {
	case EV_K_U8:
	case EV_K_CHAR:
		return 1;
	case EV_K_U16:
		return 2;
	case EV_K_U32:
		return 4;
	case EV_K_U64:
	case EV_K_S64:
	case EV_K_X64:
		return 8;
	}
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- writer ---- */

struct ev_writer {
	pthread_mutex_t lock;
	int fd;
	int err; /* first error, sticky */
	bool streaming;
	char *path, *tmp;
	int tmp_slot; /* tmpclean's slot of tmp, -1 for none */
	uint8_t *buf;
	size_t len;
	uint64_t records;
	uint64_t dropped[EV_SRC_COUNT];
	uint64_t described[65536 / 64];		   /* type ids whose schema went out */
	const struct ev_type *checked[EV_CHECKED]; /* descriptors type_check() passed */
};

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int writer__flush_locked(struct ev_writer *w)
{
	int err;

	if (w->err)
		return w->err;
	err = write_all(w->fd, w->buf, w->len);
	w->len = 0;
	if (err)
		w->err = err;
	return err;
}

/* Append one record (header + body of @body_len bytes, padded to 8) to the buffer. */
static int writer__emit_locked(struct ev_writer *w, uint16_t type, uint16_t source, uint16_t cpu,
			       uint64_t ts, const void *body, size_t body_len)
{
	size_t size = EV_HDR_SIZE + ((body_len + 7) & ~(size_t)7);
	struct ev_hdr h = {
		.type = type, .size = (uint16_t)size, .source = source, .cpu = cpu, .ts = ts};

	if (w->err)
		return w->err;
	if (size > EV_MAX_RECORD)
		return -EINVAL;
	if (w->len + size > EV_WBUF_SIZE && writer__flush_locked(w))
		return w->err;
	memcpy(w->buf + w->len, &h, sizeof(h));
	memcpy(w->buf + w->len + EV_HDR_SIZE, body, body_len);
	memset(w->buf + w->len + EV_HDR_SIZE + body_len, 0, size - EV_HDR_SIZE - body_len);
	w->len += size;
	/* Atomic so that ev_writer_records() may read it without the lock. */
	__atomic_add_fetch(&w->records, 1, __ATOMIC_RELAXED);
	return 0;
}

static int type_check(const struct ev_type *t)
{
	if (!t || !t->name || !*t->name || strlen(t->name) > EV_NAME_LEN)
		return -EINVAL;
	if (t->id < 16 || t->source >= EV_SRC_COUNT || t->body_size % 8 ||
	    t->body_size > EV_MAX_RECORD - EV_HDR_SIZE || t->nfields > EV_MAX_FIELDS)
		return -EINVAL;
	for (unsigned i = 0; i < t->nfields; i++) {
		const struct ev_field *f = &t->fields[i];
		unsigned esz = ev_kind_size(f->kind);

		if (!f->name || !*f->name || strlen(f->name) > EV_FIELD_NAME_LEN || !esz ||
		    !f->count || (unsigned)f->offset + esz * f->count > t->body_size)
			return -EINVAL;
	}
	return 0;
}

static int writer__schema_locked(struct ev_writer *w, const struct ev_type *t)
{
	uint8_t body[sizeof(struct ev_schema_body) +
		     EV_MAX_FIELDS * sizeof(struct ev_schema_field)];
	struct ev_schema_body sb = {.type = t->id,
				    .source = t->source,
				    .body_size = t->body_size,
				    .nfields = (uint16_t)t->nfields};
	int err;

	memset(body, 0, sizeof(body));
	memcpy(sb.name, t->name, strlen(t->name));
	memcpy(body, &sb, sizeof(sb));
	for (unsigned i = 0; i < t->nfields; i++) {
		struct ev_schema_field sf = {.kind = t->fields[i].kind,
					     .offset = t->fields[i].offset,
					     .count = t->fields[i].count};

		memcpy(sf.name, t->fields[i].name, strlen(t->fields[i].name));
		memcpy(body + sizeof(sb) + i * sizeof(sf), &sf, sizeof(sf));
	}
	err = writer__emit_locked(w, EV_SCHEMA, EV_SRC_META, 0, clock_ns(CLOCK_MONOTONIC), body,
				  sizeof(sb) + t->nfields * sizeof(struct ev_schema_field));
	if (!err)
		w->described[t->id / 64] |= 1ULL << (t->id % 64);
	return err;
}

/* The temporary, made and registered with tmpclean; readable like any output file. */
static int writer__mktemp(struct ev_writer *w)
{
	int fd = tmpclean_mkstemp(w->tmp, &w->tmp_slot);

	if (fd < 0)
		return -1;
	if (fchmod(fd, 0644) || fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		int e = errno;

		close(fd);
		unlink(w->tmp);
		tmpclean_del(w->tmp_slot);
		w->tmp_slot = -1;
		errno = e;
		return -1;
	}
	return fd;
}

int ev_writer_open(struct ev_writer **wp, const char *path, uint64_t tsc_hz, uint32_t pid,
		   bool streaming)
{
	struct ev_file_header h = {.version = EV_VERSION, .header_size = sizeof(h)};
	struct ev_writer *w;
	int err;

	*wp = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->tmp_slot = -1;
	w->streaming = streaming;
	w->path = strdup(path);
	w->buf = malloc(EV_WBUF_SIZE);
	/* PATH.tmp.XXXXXX: a name no other writer of PATH shares; SIGINT/SIGTERM remove it. */
	if (!w->path || !w->buf || asprintf(&w->tmp, "%s.tmp.XXXXXX", path) < 0) {
		w->tmp = NULL;
		err = -ENOMEM;
		goto fail;
	}
	if (streaming)
		w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	else
		w->fd = writer__mktemp(w);
	if (w->fd < 0) {
		err = -errno;
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	memcpy(h.magic, EV_MAGIC, sizeof(h.magic));
	h.created_ns = clock_ns(CLOCK_REALTIME);
	h.mono_ns = clock_ns(CLOCK_MONOTONIC);
	h.tsc_hz = tsc_hz;
	h.pid = pid;
	memcpy(w->buf, &h, sizeof(h));
	w->len = sizeof(h);
	/* A streamed file is readable (header complete) as soon as it exists. */
	if (streaming) {
		err = writer__flush_locked(w);
		if (err) {
			pthread_mutex_destroy(&w->lock);
			goto fail_unlink;
		}
	}
	*wp = w;
	return 0;

fail_unlink:
	close(w->fd);
	unlink(streaming ? w->path : w->tmp);
	tmpclean_del(w->tmp_slot);
fail:
	free(w->tmp);
	free(w->buf);
	free(w->path);
	free(w);
	return err;
}

/*
 * Validate @t once: descriptors are static, so one that passed is cached by
 * pointer and later records of it skip the field checks. Then its schema goes
 * out if it has not yet. Called locked.
 */
static int writer__type_locked(struct ev_writer *w, const struct ev_type *t)
{
	int err;

	if (!t)
		return -EINVAL;
	if (w->checked[t->id % EV_CHECKED] != t) {
		err = type_check(t);
		if (err)
			return err;
		w->checked[t->id % EV_CHECKED] = t;
	}
	if (!(w->described[t->id / 64] & (1ULL << (t->id % 64))))
		return writer__schema_locked(w, t);
	return 0;
}

int ev_write(struct ev_writer *w, const struct ev_type *t, uint16_t cpu, uint64_t ts,
	     const void *body)
{
	int err;

	pthread_mutex_lock(&w->lock);
	err = writer__type_locked(w, t);
	if (!err)
		err = writer__emit_locked(w, t->id, t->source, cpu, ts, body, t->body_size);
	pthread_mutex_unlock(&w->lock);
	return err;
}

int ev_write_record(struct ev_writer *w, const struct ev_type *t, const void *rec)
{
	const struct ev_hdr *h = rec;
	size_t size = EV_HDR_SIZE + (t ? t->body_size : 0);
	int err;

	if (!t || h->type != t->id || h->source != t->source || h->size != size)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	err = writer__type_locked(w, t);
	if (!err)
		err = w->err;
	if (!err && w->len + size > EV_WBUF_SIZE)
		err = writer__flush_locked(w);
	if (!err) {
		memcpy(w->buf + w->len, rec, size);
		w->len += size;
		__atomic_add_fetch(&w->records, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&w->lock);
	return err;
}

int ev_write_dropped(struct ev_writer *w, enum ev_source source, uint64_t count)
{
	struct ev_dropped_body b = {.source = source, .count = count};
	int err;

	if ((unsigned)source >= EV_SRC_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	err = writer__emit_locked(w, EV_DROPPED, EV_SRC_META, 0, clock_ns(CLOCK_MONOTONIC), &b,
				  sizeof(b));
	if (!err)
		__atomic_add_fetch(&w->dropped[source], count, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&w->lock);
	return err;
}

int ev_write_clock(struct ev_writer *w, uint64_t guest_tsc, uint64_t mono_ns, uint64_t tsc_hz)
{
	struct ev_clock_body b = {.guest_tsc = guest_tsc, .mono_ns = mono_ns, .tsc_hz = tsc_hz};
	int err;

	pthread_mutex_lock(&w->lock);
	err = writer__emit_locked(w, EV_CLOCK, EV_SRC_META, 0, mono_ns, &b, sizeof(b));
	pthread_mutex_unlock(&w->lock);
	return err;
}

int ev_write_note(struct ev_writer *w, const char *fmt, ...)
{
	struct ev_note_body b;
	va_list ap;
	int err;

	memset(&b, 0, sizeof(b));
	va_start(ap, fmt);
	vsnprintf(b.text, sizeof(b.text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&w->lock);
	err = writer__emit_locked(w, EV_NOTE, EV_SRC_META, 0, clock_ns(CLOCK_MONOTONIC), &b,
				  sizeof(b));
	pthread_mutex_unlock(&w->lock);
	return err;
}

int ev_writer_flush(struct ev_writer *w)
{
	int err;

	pthread_mutex_lock(&w->lock);
	err = writer__flush_locked(w);
	pthread_mutex_unlock(&w->lock);
	return err;
}

uint64_t ev_writer_records(const struct ev_writer *w)
{
	return __atomic_load_n(&w->records, __ATOMIC_RELAXED);
}

uint64_t ev_writer_dropped(const struct ev_writer *w, enum ev_source source)
{
	if ((unsigned)source >= EV_SRC_COUNT)
		return 0;
	return __atomic_load_n(&w->dropped[source], __ATOMIC_RELAXED);
}

static void writer__free(struct ev_writer *w)
{
	pthread_mutex_destroy(&w->lock);
	free(w->tmp);
	free(w->buf);
	free(w->path);
	free(w);
}

/* fsync the directory holding @path, so that a rename survives a host crash. */
static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

int ev_writer_close(struct ev_writer *w, bool sync)
{
	struct ev_end_body b;
	int err;

	pthread_mutex_lock(&w->lock);
	b.records = w->records;
	memcpy(b.dropped, w->dropped, sizeof(b.dropped));
	err = writer__emit_locked(w, EV_END, EV_SRC_META, 0, clock_ns(CLOCK_MONOTONIC), &b,
				  sizeof(b));
	if (!err)
		err = writer__flush_locked(w);
	if (!err && sync && fsync(w->fd))
		err = -errno;
	pthread_mutex_unlock(&w->lock);
	if (close(w->fd) && !err)
		err = -errno;
	if (!err && !w->streaming && rename(w->tmp, w->path))
		err = -errno;
	if (!err && sync)
		err = sync_dir(w->path);
	if (err && !w->streaming)
		unlink(w->tmp);
	tmpclean_del(w->tmp_slot);
	writer__free(w);
	return err;
}

void ev_writer_abort(struct ev_writer *w)
{
	if (!w)
		return;
	close(w->fd);
	unlink(w->streaming ? w->path : w->tmp);
	tmpclean_del(w->tmp_slot);
	writer__free(w);
}
