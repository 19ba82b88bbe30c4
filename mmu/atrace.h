/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory-access traces for the simulator: memvirt's compact binary format
 * (".mvat", docs/access-trace.md), streamed in both directions with bounded
 * memory, and the text output of valgrind's lackey tool it is converted from.
 */
#ifndef MEMVIRT_ATRACE_H
#define MEMVIRT_ATRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct in_stream; /* common/instream.h */

#define ATRACE_MAGIC	   "MVAT\r\n\032\n" /* 8 bytes; catches text-mode and 7-bit damage */
#define ATRACE_VERSION	   1
#define ATRACE_HEADER_SIZE 16

enum atrace_kind {
	ATRACE_LOAD,
	ATRACE_STORE,
	ATRACE_MODIFY, /* a load then a store of the same bytes */
	ATRACE_FETCH,  /* an instruction fetch */
	ATRACE_KINDS,
};

struct atrace_rec {
	enum atrace_kind kind;
	uint32_t size; /* bytes, 1..2^32-1 */
	uint64_t addr;
};

/* Records per kind, and all of them. */
struct atrace_counts {
	uint64_t kind[ATRACE_KINDS];
	uint64_t records;
};

/* ---- writer ---- */

struct atrace_writer;

/* Write the header to @f (not closed by the writer). NULL and errno on failure. */
struct atrace_writer *atrace_writer__new(FILE *f);
/* Append one record (buffered). Returns 0, -EINVAL (size 0 or bad kind) or -EIO. */
int atrace_writer__put(struct atrace_writer *w, const struct atrace_rec *r);
const struct atrace_counts *atrace_writer__counts(const struct atrace_writer *w);
/* Write the end record (the record count) and flush; frees @w. Returns 0 or -EIO. */
int atrace_writer__finish(struct atrace_writer *w);
/* Free @w without ending the trace (error paths). */
void atrace_writer__free(struct atrace_writer *w);

/* ---- reader ---- */

struct atrace_reader;

/*
 * Read a trace from @f (not closed by the reader); @name names it in errors.
 * The header is checked here: NULL with errno EINVAL and a message in @err
 * for a bad one, or another errno.
 */
struct atrace_reader *atrace_reader__new(FILE *f, const char *name, char *err, size_t errlen);
/* The same over @s (common/instream.h: a path, '-', gzip or zstd), not closed by the reader. */
struct atrace_reader *atrace_reader__new_stream(struct in_stream *s, const char *name, char *err,
						size_t errlen);
/*
 * Next record: 1 and *r, 0 after the end record (its count matched), or
 * -EINVAL with "NAME: offset N: problem" in @err (bad record, truncated trace,
 * count mismatch, corrupt compressed data), -EIO on a read error.
 */
int atrace_reader__next(struct atrace_reader *rd, struct atrace_rec *r, char *err, size_t errlen);
const struct atrace_counts *atrace_reader__counts(const struct atrace_reader *rd);
void atrace_reader__free(struct atrace_reader *rd);

/* ---- valgrind lackey text (valgrind --tool=lackey --trace-mem=yes) ---- */

/*
 * One line without its newline: "I  ADDR,SIZE" (fetch), " L ADDR,SIZE",
 * " S ...", " M ..." (ADDR hex, SIZE decimal), or a "==PID==" message.
 * Returns 1 and *r for an access, 0 for a message line, -EINVAL otherwise.
 */
int lackey_parse_line(const char *line, struct atrace_rec *r);

/* A lackey file read line by line with bounded memory (lines up to 4 KiB). */
struct lackey_reader;

struct lackey_reader *lackey_reader__new(FILE *f, const char *name);
/* The same over @s (not closed by the reader); lines are found in 1 MiB blocks. */
struct lackey_reader *lackey_reader__new_stream(struct in_stream *s, const char *name);
/*
 * Next access: 1 and *r, 0 at the end, -EINVAL with "NAME:LINE: problem" in
 * @err for a malformed or overlong line, -EIO on a read error. Message lines
 * are skipped.
 */
int lackey_reader__next(struct lackey_reader *lr, struct atrace_rec *r, char *err, size_t errlen);
uint64_t lackey_reader__lines(const struct lackey_reader *lr);

/*
 * Convert lackey text from @in (named @inname in messages) into an access
 * trace written to @out: the records' counts in *n, the lines read in *lines.
 * 0, or -errno with one line in @err (the caller removes a partial @out).
 */
int atrace_from_lackey(struct in_stream *in, const char *inname, FILE *out, struct atrace_counts *n,
		       uint64_t *lines, char *err, size_t errlen);
void lackey_reader__free(struct lackey_reader *lr);

#endif
