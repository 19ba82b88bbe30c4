/* SPDX-License-Identifier: GPL-2.0 */
/* A streaming JSON writer: commas, nesting, escaping and indentation handled here. */
#ifndef MEMVIRT_JSON_H
#define MEMVIRT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool pending_key; /* a key was written; the next value follows it */
	bool error;	  /* nesting overflow or mismatch */
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_hex(struct json *j, const char *key, uint64_t val); /* "0x..." string */
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Ends the document; returns 0, or -EIO if the stream or the nesting failed. */
int json_finish(struct json *j);

#endif
