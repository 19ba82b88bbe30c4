// SPDX-License-Identifier: GPL-2.0
/* Input files read in large blocks, gzip (zlib) and zstd (libzstd) decompressed on the way. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#ifdef MEMVIRT_HAVE_ZSTD
#include <zstd.h>
#endif

#include "common/instream.h"

#define IN_RAW_SIZE   (1u << 20) /* bytes of the file read at once */
#define IN_PEEK_MAX   65536u
#define IN_PIPE_SIZE  (1 << 20) /* a pipe's buffer, when the kernel allows it */
#define IN_PIPE_SHORT 65536u	/* a pipe read below this waits a little before the next */

struct in_stream {
	int fd; /* -1: read from f */
	FILE *f;
	bool own_fd, pipe, short_read, in_frame;
	enum in_codec codec;
	char name[256];
	uint8_t *raw; /* file bytes read, [in, in + avail) not yet decoded */
	const uint8_t *in;
	size_t avail;
	uint64_t raw_total, raw_size;
	uint8_t *pk; /* decoded bytes peeked, [pk_pos, pk_len) not yet read */
	size_t pk_pos, pk_len;
	z_stream z;
	bool z_init;
#ifdef MEMVIRT_HAVE_ZSTD
	ZSTD_DStream *zd;
#endif
	char err[256];
};

bool in_stream_have_zstd(void)
{
#ifdef MEMVIRT_HAVE_ZSTD
	return true;
#else
	return false;
#endif
}

const char *in_codec_name(enum in_codec c)
{
	return c == IN_GZIP ? "gzip" : c == IN_ZSTD ? "zstd" : "plain";
}

/*
 * More file bytes after the undecoded ones: 1, 0 at the end of the file, -EIO. A pipe that
 * gave little last time is left a millisecond to fill first (its buffer is raised to 1 MiB):
 * a writer such as valgrind, which writes a few hundred bytes at a time, then wakes this
 * reader a thousand times a second, not once per write.
 */
static int raw_more(struct in_stream *s)
{
	ssize_t n;

	if (s->avail && s->in != s->raw)
		memmove(s->raw, s->in, s->avail);
	s->in = s->raw;
	if (s->avail == IN_RAW_SIZE)
		return 1;
	if (s->fd < 0) {
		n = (ssize_t)fread(s->raw + s->avail, 1, IN_RAW_SIZE - s->avail, s->f);
		if (!n && ferror(s->f))
			return -EIO;
	} else {
		if (s->pipe && s->short_read)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
		do
			n = read(s->fd, s->raw + s->avail, IN_RAW_SIZE - s->avail);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -EIO;
		s->short_read = (size_t)n < IN_PIPE_SHORT;
	}
	s->avail += (size_t)n;
	s->raw_total += (uint64_t)n;
	return n > 0;
}

__attribute__((format(printf, 2, 3))) static ssize_t in_fail(struct in_stream *s, const char *fmt,
							     ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static ssize_t read_plain(struct in_stream *s, uint8_t *buf, size_t len)
{
	size_t got = 0;
	int rc;

	while (got < len) {
		if (!s->avail) {
			rc = raw_more(s);
			if (rc < 0)
				return -EIO;
			if (!rc)
				break;
		}
		size_t k = s->avail < len - got ? s->avail : len - got;

		memcpy(buf + got, s->in, k);
		s->in += k;
		s->avail -= k;
		got += k;
	}
	return (ssize_t)got;
}

/* gzip members one after the other (as 'cat a.gz b.gz' makes) are one stream. */
static ssize_t read_gzip(struct in_stream *s, uint8_t *buf, size_t len)
{
	size_t got = 0;
	int rc;

	while (got < len) {
		if (!s->avail && (rc = raw_more(s)) <= 0) {
			if (rc < 0)
				return -EIO;
			if (!s->in_frame)
				break;
		}
		if (!s->in_frame) {
			if (inflateReset(&s->z) != Z_OK)
				return in_fail(s, "gzip: cannot reset the decoder");
			s->in_frame = true;
		}
		s->z.next_in = (Bytef *)s->in;
		s->z.avail_in = (uInt)s->avail;
		s->z.next_out = buf + got;
		s->z.avail_out = (uInt)(len - got);
		rc = inflate(&s->z, Z_NO_FLUSH);
		got = len - s->z.avail_out;
		s->in = s->z.next_in;
		s->avail = s->z.avail_in;
		if (rc == Z_STREAM_END)
			s->in_frame = false;
		else if (rc == Z_BUF_ERROR && !s->avail && raw_more(s) == 0)
			return in_fail(s, "truncated gzip data (the compressed file is cut short)");
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return in_fail(s, "corrupt gzip data (%s)",
				       s->z.msg ? s->z.msg : "zlib error");
	}
	return (ssize_t)got;
}

#ifdef MEMVIRT_HAVE_ZSTD
static ssize_t read_zstd(struct in_stream *s, uint8_t *buf, size_t len)
{
	size_t got = 0, r;
	int rc;

	while (got < len) {
		rc = s->avail ? 1 : raw_more(s);
		if (rc < 0)
			return -EIO;
		ZSTD_inBuffer in = {s->in, s->avail, 0};
		ZSTD_outBuffer out = {buf + got, len - got, 0};

		r = ZSTD_decompressStream(s->zd, &out, &in);
		if (ZSTD_isError(r))
			return in_fail(s, "corrupt zstd data (%s)", ZSTD_getErrorName(r));
		s->in += in.pos;
		s->avail -= in.pos;
		got += out.pos;
		if (in.pos || out.pos) /* with no input left, a finished frame asks for a new one */
			s->in_frame = r != 0;
		if (!rc && !out.pos && !in.pos) {
			if (s->in_frame)
				return in_fail(s, "truncated zstd data (the compressed file is cut "
						  "short)");
			break;
		}
	}
	return (ssize_t)got;
}
#endif

static ssize_t codec_read(struct in_stream *s, uint8_t *buf, size_t len)
{
	switch (s->codec) {
	case IN_GZIP:
		return read_gzip(s, buf, len);
	case IN_ZSTD:
#ifdef MEMVIRT_HAVE_ZSTD
		return read_zstd(s, buf, len);
#endif
	case IN_PLAIN:
		break;
	}
	return read_plain(s, buf, len);
}

ssize_t in_stream__read(struct in_stream *s, void *buf, size_t len)
{
	size_t k = s->pk_len - s->pk_pos;
	ssize_t n;

	if (k) {
		k = k < len ? k : len;
		memcpy(buf, s->pk + s->pk_pos, k);
		s->pk_pos += k;
		if (k == len)
			return (ssize_t)k;
	}
	n = codec_read(s, (uint8_t *)buf + k, len - k);
	if (n < 0)
		return k ? (ssize_t)k : n; /* the error again at the next read */
	return (ssize_t)k + n;
}

ssize_t in_stream__peek(struct in_stream *s, const uint8_t **p, size_t want)
{
	ssize_t n;

	want = want < IN_PEEK_MAX ? want : IN_PEEK_MAX;
	if (!s->pk && !(s->pk = malloc(IN_PEEK_MAX)))
		return -ENOMEM;
	if (s->pk_pos) {
		memmove(s->pk, s->pk + s->pk_pos, s->pk_len - s->pk_pos);
		s->pk_len -= s->pk_pos;
		s->pk_pos = 0;
	}
	while (s->pk_len < want) {
		n = codec_read(s, s->pk + s->pk_len, want - s->pk_len);
		if (n < 0)
			return n;
		if (!n)
			break;
		s->pk_len += (size_t)n;
	}
	*p = s->pk;
	return (ssize_t)(s->pk_len < want ? s->pk_len : want);
}

/* The codec from the first bytes; other compressors are named, to be undone first. */
static int detect(struct in_stream *s, char *err, size_t errlen)
{
	static const struct {
		const char *magic, *name, *cmd;
		size_t len;
	} other[] = {{"\xfd\x37\x7a\x58\x5a\x00", "xz", "xz -dc", 6},
		     {"BZh", "bzip2", "bzip2 -dc", 3},
		     {"\x04\x22\x4d\x18", "lz4", "lz4 -dc", 4}};
	int rc = 1;

	while (s->avail < 6 && (rc = raw_more(s)) > 0)
		;
	if (rc < 0) {
		snprintf(err, errlen, "%s: read error", s->name);
		return -EIO;
	}
	if (s->avail >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
		s->codec = IN_GZIP;
		if (inflateInit2(&s->z, 15 + 16) != Z_OK)
			return -ENOMEM;
		s->z_init = true;
		return 0;
	}
	if (s->avail >= 4 && !memcmp(s->in, "\x28\xb5\x2f\xfd", 4)) {
		s->codec = IN_ZSTD;
#ifdef MEMVIRT_HAVE_ZSTD
		s->zd = ZSTD_createDStream();
		return s->zd ? 0 : -ENOMEM;
#else
		snprintf(err, errlen,
			 "%s: zstd-compressed, and this memvirt was built without zstd: "
			 "decompress it first (zstd -dc %s | memvirt ... -)",
			 s->name, s->name);
		return -ENOTSUP;
#endif
	}
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (s->avail >= other[i].len && !memcmp(s->in, other[i].magic, other[i].len)) {
			snprintf(err, errlen,
				 "%s: %s-compressed: memvirt reads gzip and zstd; decompress it "
				 "(%s FILE | memvirt ... -)",
				 s->name, other[i].name, other[i].cmd);
			return -EINVAL;
		}
	return 0;
}

static struct in_stream *in_stream_new(const char *name)
{
	struct in_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->raw = malloc(IN_RAW_SIZE);
	if (!s->raw) {
		free(s);
		return NULL;
	}
	s->in = s->raw;
	return s;
}

static struct in_stream *in_stream_start(struct in_stream *s, char *err, size_t errlen)
{
	int rc = detect(s, err, errlen);

	if (rc) {
		in_stream__close(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

struct in_stream *in_stream__open(const char *path, char *err, size_t errlen)
{
	bool std = !strcmp(path, "-");
	struct in_stream *s = in_stream_new(std ? "<stdin>" : path);
	struct stat sb;

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		s->fd = -1;
		in_stream__close(s);
		errno = e;
		return NULL;
	}
	s->own_fd = !std;
	if (!fstat(s->fd, &sb)) {
		s->raw_size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
		s->pipe = S_ISFIFO(sb.st_mode);
		if (s->pipe)
			(void)fcntl(s->fd, F_SETPIPE_SZ, IN_PIPE_SIZE); /* best effort */
		if (S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: is a directory", path);
			in_stream__close(s);
			errno = EISDIR;
			return NULL;
		}
	}
	return in_stream_start(s, err, errlen);
}

struct in_stream *in_stream__from_file(FILE *f, const char *name, char *err, size_t errlen)
{
	struct in_stream *s = in_stream_new(name);

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	s->f = f;
	return in_stream_start(s, err, errlen);
}

void in_stream__close(struct in_stream *s)
{
	if (!s)
		return;
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	if (s->z_init)
		inflateEnd(&s->z);
#ifdef MEMVIRT_HAVE_ZSTD
	ZSTD_freeDStream(s->zd);
#endif
	free(s->pk);
	free(s->raw);
	free(s);
}

const char *in_stream__error(const struct in_stream *s)
{
	return s->err[0] ? s->err : "read error";
}

const char *in_stream__name(const struct in_stream *s)
{
	return s->name;
}

enum in_codec in_stream__codec(const struct in_stream *s)
{
	return s->codec;
}

uint64_t in_stream__raw_pos(const struct in_stream *s)
{
	return s->raw_total - s->avail;
}

uint64_t in_stream__raw_size(const struct in_stream *s)
{
	return s->raw_size;
}
