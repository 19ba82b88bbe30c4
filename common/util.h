/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every subsystem: sizes, numbers, time, atomic files. */
#ifndef MEMVIRT_UTIL_H
#define MEMVIRT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * "4096", "4k", "2M", "1G", "1T" (binary units, case-insensitive, optional
 * trailing "B" or "iB") into bytes. Returns 0 or -EINVAL / -ERANGE.
 */
int parse_size(const char *s, uint64_t *out);
/* A decimal (or 0x hex) unsigned integer with nothing after it. */
int parse_u64(const char *s, uint64_t *out);
/* Bytes to "256M", "4K", "1G" when exact, else "12345 bytes". */
const char *format_size(uint64_t bytes, char *buf, size_t len);

/* xorshift64*: a small deterministic generator (random replacement, test and bench streams). */
static inline uint64_t xorshift64s(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

uint64_t now_ns(void); /* CLOCK_MONOTONIC */
/* now_ns() when main() started, 0 if the program did not record it. */
extern uint64_t util_main_ns;

/*
 * Write a file atomically: @fill writes the content to a temporary file in
 * the same directory, which is then flushed and renamed over @path. On any
 * failure the temporary is removed and @path is untouched, and SIGINT or
 * SIGTERM meanwhile removes it too (common/tmpclean.h). @sync also
 * fsyncs the data before the rename (durable across a host crash).
 */
int write_file_atomic(const char *path, int (*fill)(FILE *f, void *arg), void *arg, bool sync);

/* mkdir -p; returns 0 or -errno. */
int mkdir_p(const char *path);
/* Remove @path and everything under it, best effort (symbolic links are not followed). */
void rm_tree(const char *path);
/* @s without its leading and trailing white space (cut in place). */
char *str_trim(char *s);
/* One CSV field (RFC 4180): as it is, or in double quotes with quotes doubled when it holds a
 * comma, a quote or a line break. */
void csv_write_field(FILE *f, const char *s);
/*
 * Whether mkdir_p(@path) and files written in it could succeed, made nothing:
 * @path, or the nearest of its parents that exists, is a directory this
 * process may write. 0 or -errno (-ENOTDIR, -EACCES, -EROFS, ...).
 */
int dir_writable(const char *path);

/* Read a whole small text file (sysfs, procfs) into @buf, NUL-terminated, trailing newline cut. */
int read_text_file(const char *path, char *buf, size_t len);

#endif
