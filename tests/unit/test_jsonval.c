// SPDX-License-Identifier: GPL-2.0
/*
 * The report's JSON reader (analysis/jsonval.c): what common/json.h writes reads back the
 * same, RFC 8259 escapes decode to UTF-8, and every malformed document is refused with the
 * offset of the fault, nesting and sizes bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/jsonval.h"
#include "common/json.h"
#include "test.h"

static int parse(const char *text, struct jv **v, char *err, size_t len)
{
	return jv_parse(text, strlen(text), v, err, len);
}

/* A document written with common/json.h comes back value for value. */
static void test_round_trip(void)
{
	char *buf = NULL, err[200];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jv *v;
	struct json j;
	double d;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-sim/1");
	json_obj_begin(&j, "config");
	json_obj_begin(&j, "input");
	json_u64(&j, "footprint", 4194304);
	json_obj_end(&j);
	json_obj_end(&j);
	json_arr_begin(&j, "h");
	json_u64(&j, NULL, 0);
	json_u64(&j, NULL, 7);
	json_arr_end(&j);
	json_double(&j, "x", 2.5);
	json_str(&j, "esc", "a\"b\\c\n\t");
	json_bool(&j, "t", true);
	json_null(&j, "n");
	json_obj_end(&j);
	json_finish(&j);
	fclose(f);
	CHECK(jv_parse(buf, len, &v, err, sizeof(err)) == 0);
	CHECK_STR(jv_path_str(v, "schema", NULL), "memvirt-sim/1");
	CHECK(jv_num(jv_path(v, "config.input.footprint"), &d) && d == 4194304);
	CHECK(jv_num(jv_at(jv_get(v, "h"), 1), &d) && d == 7);
	CHECK(jv_at(jv_get(v, "h"), 2) == NULL);
	CHECK(jv_path_num(v, "x", 0) == 2.5);
	CHECK_STR(jv_path_str(v, "esc", NULL), "a\"b\\c\n\t");
	CHECK(jv_get(v, "t")->type == JV_BOOL && jv_get(v, "t")->b);
	CHECK(jv_get(v, "n")->type == JV_NULL);
	CHECK(jv_path(v, "config.nothing") == NULL && jv_path_num(v, "t", -1) == -1);
	jv_free(v);
	free(buf);
}

/* \\u escapes: 2- and 3-byte UTF-8, and a surrogate pair to 4 bytes (U+1F600). */
static void test_unicode(void)
{
	char err[200];
	struct jv *v;

	CHECK(parse("[\"\\u00e9\\u20ac\\ud83d\\ude00\"]", &v, err, sizeof(err)) == 0);
	CHECK_STR(jv_str(jv_at(v, 0)), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	jv_free(v);
}

static void test_refused(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"", "offset 0: unexpected end"},
		{"{\"a\": 1", "offset 7: expected ',' or '}'"},
		{"{\"a\" 1}", "offset 5: expected ':'"},
		{"[1, 2", "offset 5: expected ',' or ']'"},
		{"[1,]", "offset 3: unexpected character"},
		{"\"abc", "unterminated string"},
		{"\"a\\x\"", "bad escape"},
		{"\"\\u12\"", "short \\u escape"},
		{"\"\\u12zz\"", "bad \\u escape"},
		{"\"\\ud83d\"", "lone surrogate"},
		{"\"\\u0000\"", "NUL in a string"},
		{"\"a\nb\"", "control character"},
		{"[1e999]", "bad number"},
		{"[--1]", "bad number"},
		{"{} x", "text after the document"},
		{"{1: 2}", "expected a member name"},
		{"nul", "unexpected character"},
	};
	char err[200], deep[2 * JV_MAX_DEPTH + 8];
	struct jv *v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = (struct jv *)1;
		CHECK(parse(bad[i].text, &v, err, sizeof(err)) == -EINVAL);
		CHECK(v == NULL);
		if (!strstr(err, bad[i].why)) {
			fprintf(stderr, "%s: error '%s', expected '%s'\n", bad[i].text, err,
				bad[i].why);
			test_failures++;
		}
	}
	/* 65 nested arrays: one more than JV_MAX_DEPTH allows */
	memset(deep, '[', JV_MAX_DEPTH + 1);
	memset(deep + JV_MAX_DEPTH + 1, ']', JV_MAX_DEPTH + 1);
	deep[2 * (JV_MAX_DEPTH + 1)] = 0;
	CHECK(parse(deep, &v, err, sizeof(err)) == -EINVAL && strstr(err, "nested deeper"));
	/* 64, with a number in the innermost */
	memset(deep, '[', JV_MAX_DEPTH);
	deep[JV_MAX_DEPTH] = '1';
	memset(deep + JV_MAX_DEPTH + 1, ']', JV_MAX_DEPTH);
	deep[2 * JV_MAX_DEPTH + 1] = 0;
	CHECK(parse(deep, &v, err, sizeof(err)) == 0);
	jv_free(v);
	/* A NUL byte inside the text is not whitespace: the document stops being valid there. */
	CHECK(jv_parse("{} \0", 4, &v, err, sizeof(err)) == -EINVAL);
}

int main(void)
{
	test_round_trip();
	test_unicode();
	test_refused();
	TEST_DONE();
}
