/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON reader for the documents memvirt writes (sim.json, run.json,
 * lab.json, validate's output), read back by 'memvirt report'. Every input is
 * untrusted: sizes and nesting are bounded, and a bad document is one message
 * naming the byte offset.
 */
#ifndef MEMVIRT_JSONVAL_H
#define MEMVIRT_JSONVAL_H

#include <stdbool.h>
#include <stddef.h>

#define JV_MAX_DEPTH 64		 /* arrays and objects inside one another, at most */
#define JV_MAX_FILE  (64u << 20) /* bytes: the largest document read */

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
/* jv_parse of a whole file (at most JV_MAX_FILE bytes); -errno when it cannot be read. */
int jv_parse_file(const char *path, struct jv **out, char *err, size_t errlen);
void jv_free(struct jv *v);

/* Member @key of object @v, or NULL (also when @v is not an object). */
const struct jv *jv_get(const struct jv *v, const char *key);
/* Members by a dotted path, "config.input.footprint", or NULL. */
const struct jv *jv_path(const struct jv *v, const char *path);
/* Element @i of array @v, or NULL. */
const struct jv *jv_at(const struct jv *v, size_t i);
/* A number into *@out: false when @v is missing or not a number. */
bool jv_num(const struct jv *v, double *out);
/* The string, or NULL. */
const char *jv_str(const struct jv *v);
/* jv_num of jv_path, @def when absent. */
double jv_path_num(const struct jv *v, const char *path, double def);
/* jv_str of jv_path, @def when absent. */
const char *jv_path_str(const struct jv *v, const char *path, const char *def);

#endif
