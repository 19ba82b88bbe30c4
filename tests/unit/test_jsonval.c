// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON reader (common/jsonval.c) of report and sweep: what common/json.h writes reads
 * back the same, RFC 8259 escapes decode to UTF-8, paths reach into arrays, integers are
 * range-checked, every malformed document is refused with the offset of the fault, nesting
 * and sizes are bounded, and only regular files are read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/jsonval.h"
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
		/* the sweep reader's set */
		{"{", "offset 1: expected a member name"},
		{"[1 2]", "offset 3: expected ',' or ']'"},
		{"{\"a\":tru}", "offset 5: unexpected character"},
		{"[1] x", "offset 4: text after the document"},
		{"{\"a\":\"\\q\"}", "bad escape"},
		{"[-]", "bad number '-'"},
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
	/* 150 nested arrays, far over the limit: refused at the 65th, not a stack overflow */
	char far[300];

	memset(far, '[', 150);
	memset(far + 150, ']', 150);
	CHECK(jv_parse(far, sizeof(far), &v, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "offset 64: nested deeper than 64");
}

/* Dotted paths through objects and arrays, as sweep reads a point's sim.json. */
static void test_paths(void)
{
	const char *doc =
		"{\"schema\": \"x/1\", \"results\": [{\"mode\": \"native\", \"n\": 12,"
		" \"tlb\": [{\"m\": 1.5}, {\"m\": -2e3}]}, {\"mode\": \"s\\\"q\\u0041\"}],"
		" \"ok\": true, \"none\": null, \"e\": {}, \"a\": [], \"7\": 3}";
	char err[200];
	struct jv *v;
	double d;

	CHECK(parse(doc, &v, err, sizeof(err)) == 0);
	CHECK(jv_num(jv_path(v, "results.0.tlb.1.m"), &d) && d == -2000.0);
	CHECK(jv_path_num(v, "results.0.tlb.0.m", 0) == 1.5);
	CHECK(jv_path_num(v, "results.0.n", 0) == 12.0);
	CHECK_STR(jv_path_str(v, "results.1.mode", NULL), "s\"qA");
	CHECK(jv_path(v, "results.2") == NULL);
	CHECK(jv_path(v, "results.99999999999999999999999") == NULL);
	CHECK(jv_path(v, "results.x") == NULL && jv_path(v, "results.-1") == NULL);
	CHECK(jv_path(v, "results.1x") == NULL && jv_path(v, "results..0") == NULL);
	CHECK(jv_path(v, "results.0.nothere") == NULL);
	CHECK(jv_path_num(v, "7", 0) == 3); /* a key of digits in an object is a key */
	CHECK(jv_path(v, "ok")->type == JV_BOOL && jv_path(v, "ok")->b);
	CHECK(jv_path(v, "none")->type == JV_NULL);
	CHECK(jv_path(v, "results")->type == JV_ARR && jv_path(v, "results")->n == 2);
	CHECK(jv_path(v, "e")->type == JV_OBJ && jv_path(v, "e")->n == 0);
	CHECK(jv_path(v, "a")->type == JV_ARR && jv_path(v, "a")->n == 0);
	jv_free(v);
}

/* jv_int: whole numbers in range only. */
static void test_int(void)
{
	char err[200];
	struct jv *v;
	int64_t i = 42;

	CHECK(parse("[0, 255, 256, -1, 1.5, \"7\", 1e19, -9007199254740992]", &v, err,
		    sizeof(err)) == 0);
	CHECK(jv_int(jv_at(v, 0), 0, 255, &i) && i == 0);
	CHECK(jv_int(jv_at(v, 1), 0, 255, &i) && i == 255);
	i = 42;
	CHECK(!jv_int(jv_at(v, 2), 0, 255, &i) && i == 42);
	CHECK(!jv_int(jv_at(v, 3), 0, 255, &i) && i == 42);
	CHECK(jv_int(jv_at(v, 3), -1, 0, &i) && i == -1);
	CHECK(!jv_int(jv_at(v, 4), 0, 255, &i));
	CHECK(!jv_int(jv_at(v, 5), 0, 255, &i));
	CHECK(!jv_int(jv_at(v, 6), INT64_MIN, INT64_MAX, &i));
	CHECK(jv_int(jv_at(v, 7), INT64_MIN, 0, &i) && i == -9007199254740992LL);
	CHECK(!jv_int(jv_at(v, 8), INT64_MIN, INT64_MAX, &i) && !jv_int(NULL, 0, 1, &i));
	jv_free(v);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

/* Files: the size bound, regular files only (a FIFO is refused, not waited on), errors. */
static void test_files(void)
{
	char dir[] = "/tmp/test_jsonval.XXXXXX", path[128], fifo[128], err[200];
	struct jv *v = (struct jv *)1;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	write_file(path, "{\"grid_id\": \"00ff\"}\n"); /* 20 bytes */
	CHECK(jv_parse_file_max(path, 20, &v, err, sizeof(err)) == 0);
	CHECK_STR(jv_path_str(v, "grid_id", NULL), "00ff");
	jv_free(v);
	CHECK(jv_parse_file(path, &v, err, sizeof(err)) == 0);
	jv_free(v);
	CHECK(jv_parse_file_max(path, 19, &v, err, sizeof(err)) == -EFBIG && v == NULL);
	CHECK_STR(err, "larger than 19 bytes");
	/* a bound of whole MiB is named in MiB: 1 MiB of spaces and "0" is one byte over */
	char *big = malloc((1u << 20) + 2);

	CHECK(big != NULL);
	memset(big, ' ', 1u << 20);
	strcpy(big + (1u << 20), "0");
	write_file(path, big);
	free(big);
	CHECK(jv_parse_file_max(path, 1u << 20, &v, err, sizeof(err)) == -EFBIG);
	CHECK_STR(err, "larger than 1 MiB");
	CHECK(jv_parse_file_max(path, (1u << 20) + 1, &v, err, sizeof(err)) == 0);
	CHECK(v && v->type == JV_NUM && v->num == 0);
	jv_free(v);
	write_file(path, "{\"a\": [1,}");
	CHECK(jv_parse_file_max(path, 100, &v, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "offset 9: unexpected character");
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(jv_parse_file(fifo, &v, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "not a regular file");
	CHECK(jv_parse_file(dir, &v, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "not a regular file");
	CHECK(unlink(fifo) == 0 && unlink(path) == 0);
	CHECK(jv_parse_file(path, &v, err, sizeof(err)) == -ENOENT);
	CHECK_STR(err, "No such file or directory");
	CHECK(rmdir(dir) == 0);
}

int main(void)
{
	test_round_trip();
	test_unicode();
	test_refused();
	test_paths();
	test_int();
	test_files();
	TEST_DONE();
}
