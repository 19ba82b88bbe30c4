// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the JSON reader (common/jsonval.c), which reads back
 * run.json, sim.json, lab.json, validate's output and a sweep's files. Any
 * bytes are refused with one "offset N: ..." line or give a tree whose every
 * member is well formed; an accepted tree, written out again, parses back to
 * the same tree, and path look-ups stay inside it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *b = realloc(o->buf, cap);

		if (!b)
			abort();
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static void put_str(struct out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c == '"' || c == '\\' || c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(o, esc, 6);
		} else {
			put(o, s, 1);
		}
	}
	put(o, "\"", 1);
}

/* The tree as JSON text; false when it holds a number that has no exact text form here. */
static bool write_tree(struct out *o, const struct jv *v, unsigned depth)
{
	char num[40];

	if (!v || depth > JV_MAX_DEPTH)
		abort();
	switch (v->type) {
	case JV_NULL:
		put(o, "null", 4);
		return true;
	case JV_BOOL:
		put(o, v->b ? "true" : "false", v->b ? 4 : 5);
		return true;
	case JV_NUM:
		if (!isfinite(v->num))
			return false;
		put(o, num, (size_t)snprintf(num, sizeof(num), "%.17g", v->num));
		return true;
	case JV_STR:
		if (!v->str)
			abort();
		put_str(o, v->str);
		return true;
	case JV_ARR:
	case JV_OBJ:
		if (v->n && !v->items)
			abort();
		put(o, v->type == JV_ARR ? "[" : "{", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				put(o, ",", 1);
			if (v->type == JV_OBJ) {
				if (!v->keys || !v->keys[i])
					abort();
				put_str(o, v->keys[i]);
				put(o, ":", 1);
				if (jv_get(v, v->keys[i]) == NULL)
					abort(); /* every key is found */
			} else if (jv_at(v, i) != &v->items[i]) {
				abort();
			}
			if (!write_tree(o, &v->items[i], depth + 1))
				return false;
		}
		if (v->type == JV_ARR && jv_at(v, v->n))
			abort();
		put(o, v->type == JV_ARR ? "]" : "}", 1);
		return true;
	}
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jv *v = NULL, *again = NULL;
	struct out o = {0}, o2 = {0};
	char err[256];

	err[0] = 0;
	if (jv_parse((const char *)data, size, &v, err, sizeof(err))) {
		/* A refusal is one line naming the offset (or the allocation that failed). */
		if ((strncmp(err, "offset ", 7) && !strstr(err, "memory")) || strchr(err, '\n'))
			abort();
		return 0;
	}
	/* Look-ups by path never leave the tree. */
	(void)jv_path(v, "results.0.tlb");
	(void)jv_path_num(v, "config.input.footprint", 0);
	(void)jv_path_str(v, "provenance.host.kernel", NULL);
	if (write_tree(&o, v, 0)) {
		if (jv_parse(o.buf, o.len, &again, err, sizeof(err)))
			abort(); /* what is written from a tree parses */
		if (!write_tree(&o2, again, 0) || o.len != o2.len || memcmp(o.buf, o2.buf, o.len))
			abort(); /* to the same tree */
		jv_free(again);
	}
	free(o.buf);
	free(o2.buf);
	jv_free(v);
	return 0;
}
