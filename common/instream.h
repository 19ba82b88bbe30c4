/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One way to read an input file: a path, '-' for standard input, or an open FILE; gzip and
 * zstd data are decompressed on the way, found by their magic bytes, never by the name.
 * Reads are large blocks (pipes are drained a megabyte at a time), so a reader built on it
 * costs one system call per block, not per line.
 */
#ifndef MEMVIRT_INSTREAM_H
#define MEMVIRT_INSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum in_codec { IN_PLAIN, IN_GZIP, IN_ZSTD };

struct in_stream;

/*
 * Open @path ('-': standard input, named "<stdin>" in messages). NULL and errno on failure,
 * with one line in @err: the file cannot be opened (its errno), or it is compressed in a way
 * this build does not read (EINVAL for xz, bzip2; ENOTSUP for zstd in a build without
 * libzstd).
 */
struct in_stream *in_stream__open(const char *path, char *err, size_t errlen);
/* Read from @f, named @name in messages (not closed by the stream); as in_stream__open. */
struct in_stream *in_stream__from_file(FILE *f, const char *name, char *err, size_t errlen);
void in_stream__close(struct in_stream *s);

/*
 * Up to @len decompressed bytes into @buf: fewer only at the end of the data. Returns the
 * count (0 at the end), or -EIO (a read error) or -EINVAL (corrupt or truncated compressed
 * data) with the reason in in_stream__error(). A plain file read to its end may be read
 * again later: bytes appended since are returned (a file being written can be followed).
 */
ssize_t in_stream__read(struct in_stream *s, void *buf, size_t len);
/*
 * The next decompressed bytes without consuming them: *p points at up to @want (at most
 * 64 KiB) of them; returns how many (fewer at the end of the data), or -errno as for a read.
 */
ssize_t in_stream__peek(struct in_stream *s, const uint8_t **p, size_t want);
const char *in_stream__error(const struct in_stream *s);
const char *in_stream__name(const struct in_stream *s);
enum in_codec in_stream__codec(const struct in_stream *s);
const char *in_codec_name(enum in_codec c);
/* Bytes of the file itself consumed so far, and its size (0: not a regular file): progress. */
uint64_t in_stream__raw_pos(const struct in_stream *s);
uint64_t in_stream__raw_size(const struct in_stream *s);
/* Whether zstd data can be read by this build. */
bool in_stream_have_zstd(void);

#endif
