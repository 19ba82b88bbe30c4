/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt's one JSON reader, for the documents it writes (sim.json, run.json,
 * lab.json, validate's output, a sweep's sweep.json and status.json), read
 * back by 'memvirt report' and 'memvirt sweep'. Every input is untrusted:
 * sizes, nesting and the number of values are bounded, only regular files are
 * opened, and a bad document is one message naming the byte offset.
 */
#ifndef MEMVIRT_JSONVAL_H
#define MEMVIRT_JSONVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JV_MAX_DEPTH  64	  /* arrays and objects inside one another, at most */
#define JV_MAX_FILE   (64u << 20) /* bytes: the largest document read */
#define JV_MAX_VALUES (1u << 24)  /* values in one document, at most */

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	char *str;	  /* JV_STR, NUL-terminated (a NUL escape is refused) */
	size_t n;	  /* JV_ARR, JV_OBJ: items */
	struct jv *items; /* n values */
	char **keys;	  /* JV_OBJ: n keys */
};

/*
 * Parse @len bytes of @text into *@out. Returns 0, -EINVAL with a reason in
 * @err ("offset N: ..."), or -ENOMEM.
 */
int jv_parse(const char *text, size_t len, struct jv **out, char *err, size_t errlen);
/*
 * jv_parse of a whole regular file of at most @max bytes (a FIFO or device is
 * refused, never waited on). -EINVAL (not JSON, or not a regular file),
 * -EFBIG (over @max), -ENOMEM or -errno; the reason always in @err.
 */
int jv_parse_file_max(const char *path, size_t max, struct jv **out, char *err, size_t errlen);
/* jv_parse_file_max with JV_MAX_FILE. */
int jv_parse_file(const char *path, struct jv **out, char *err, size_t errlen);
void jv_free(struct jv *v);

/* Member @key of object @v, or NULL (also when @v is not an object). */
const struct jv *jv_get(const struct jv *v, const char *key);
/*
 * Members by a dotted path, "config.input.footprint", or NULL; within an
 * array a part of digits is an index: "results.0.tlb".
 */
const struct jv *jv_path(const struct jv *v, const char *path);
/* Element @i of array @v, or NULL. */
const struct jv *jv_at(const struct jv *v, size_t i);
/* A number into *@out: false when @v is missing or not a number. */
bool jv_num(const struct jv *v, double *out);
/*
 * An integer in [@min, @max] into *@out: false when @v is missing, not a
 * number, has a fraction or is out of range.
 */
bool jv_int(const struct jv *v, int64_t min, int64_t max, int64_t *out);
/* The string, or NULL. */
const char *jv_str(const struct jv *v);
/* jv_num of jv_path, @def when absent. */
double jv_path_num(const struct jv *v, const char *path, double def);
/* jv_str of jv_path, @def when absent. */
const char *jv_path_str(const struct jv *v, const char *path, const char *def);

#endif
