// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sweep/: value lists and ranges, the cross product and its points' names, grid
 * files, bad input, and the JSON reader. Expected values are written out by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep.h"
#include "test.h"

static char err[400];

/* @list as parameter "k" of a fresh grid; its values joined by spaces, or "ERR". */
static const char *expand(const char *list)
{
	static char out[4096];
	struct sweep_grid g;
	size_t at = 0;

	sweep_grid__init(&g);
	if (sweep_grid__add(&g, "k", list, err, sizeof(err)))
		return "ERR";
	out[0] = 0;
	for (unsigned i = 0; i < g.p[0].n; i++)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s", i ? " " : "",
				       g.p[0].values[i]);
	sweep_grid__free(&g);
	return out;
}

static void test_ranges(void)
{
	/* 64K * 4^i up to 1G: 2^16, 2^18, ..., 2^30, eight values. */
	CHECK_STR(expand("64K..1G:x4"), "64K 256K 1M 4M 16M 64M 256M 1G");
	CHECK_STR(expand("1..5"), "1 2 3 4 5");
	CHECK_STR(expand("0..100:+25"), "0 25 50 75 100");
	CHECK_STR(expand("0..99:+25"), "0 25 50 75");
	CHECK_STR(expand("4K..16K:+4K"), "4K 8K 12K 16K");
	CHECK_STR(expand("1..10:x3"), "1 3 9");
	CHECK_STR(expand("7..7"), "7");
	CHECK_STR(expand("1m..4m:x2"), "1M 2M 4M");
	/* Sizes that are not whole units are written in bytes' words by format_size. */
	CHECK_STR(expand("1536..4K:x2"), "1536 3K");
	CHECK_STR(expand("native, nested ,shadow"), "native nested shadow");
	CHECK_STR(expand("seq,1..3,gups"), "seq 1 2 3 gups");
	CHECK_STR(expand("4k,2m"), "4k 2m");
	/* The largest values do not wrap around. */
	CHECK_STR(expand("18446744073709551614..18446744073709551615"),
		  "18446744073709551614 18446744073709551615");
	CHECK_STR(expand("1..18446744073709551615:x4294967296"), "1 4294967296");
}

static void test_bad_values(void)
{
	static const char *const bad[] = {
		"5..1",
		"1..5:x1",
		"0..8:x2",
		"1..5:+0",
		"a..b",
		"1..5:y2",
		"",
		"a,,b",
		"1..",
		"..5",
		"1..5:+",
		"1..5:x",
		"4Q..8Q",
		"a#b",
		"it's",
		"1..2000",
		"1..99999999999999999999",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (strcmp(expand(bad[i]), "ERR") || !err[0]) {
			fprintf(stderr, "accepted bad value list '%s'\n", bad[i]);
			test_failures++;
		}
	}
}

static void test_keys(void)
{
	struct sweep_grid g;

	sweep_grid__init(&g);
	CHECK(sweep_grid__add(&g, "footprint", "1K", err, sizeof(err)) == 0);
	CHECK(sweep_grid__add(&g, "footprint", "2K", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(sweep_grid__add(&g, "1abc", "1", err, sizeof(err)) == -EINVAL);
	CHECK(sweep_grid__add(&g, "a b", "1", err, sizeof(err)) == -EINVAL);
	CHECK(sweep_grid__add(&g, "tlb2.4k+2m.entries", "512", err, sizeof(err)) == 0);
	for (int i = 2; i < SWEEP_MAX_PARAMS; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		CHECK(sweep_grid__add(&g, key, "1", err, sizeof(err)) == 0);
	}
	CHECK(sweep_grid__add(&g, "onemore", "1", err, sizeof(err)) == -EINVAL);
	CHECK_EQ_U64(g.nparams, SWEEP_MAX_PARAMS);
	sweep_grid__free(&g);
}

static void test_cross_product(void)
{
	struct sweep_grid g;
	char name[SWEEP_NAME_MAX + 1];

	sweep_grid__init(&g);
	CHECK_EQ_U64(sweep_grid__points(&g), 1);
	CHECK(sweep_grid__add(&g, "footprint", "64K..1G:x4", err, sizeof(err)) == 0);
	CHECK(sweep_grid__add(&g, "paging", "native,nested,shadow", err, sizeof(err)) == 0);
	CHECK(sweep_grid__add(&g, "seed", "1..5", err, sizeof(err)) == 0);
	/* 8 footprints x 3 modes x 5 seeds. */
	CHECK_EQ_U64(sweep_grid__points(&g), 120);
	/* The last parameter varies fastest: point k = 15 f + 5 p + s. */
	CHECK_STR(sweep_grid__value(&g, 0, 0), "64K");
	CHECK_STR(sweep_grid__value(&g, 1, 2), "2");
	CHECK_STR(sweep_grid__value(&g, 5, 1), "nested");
	CHECK_STR(sweep_grid__value(&g, 5, 2), "1");
	CHECK_STR(sweep_grid__value(&g, 15, 0), "256K");
	CHECK_STR(sweep_grid__value(&g, 15, 1), "native");
	CHECK_STR(sweep_grid__value(&g, 44, 0), "1M"); /* 44 = 2*15 + 2*5 + 4 */
	CHECK_STR(sweep_grid__value(&g, 44, 1), "shadow");
	CHECK_STR(sweep_grid__value(&g, 44, 2), "5");
	CHECK_STR(sweep_grid__value(&g, 119, 0), "1G");
	CHECK_STR(sweep_grid__value(&g, 119, 1), "shadow");
	CHECK_STR(sweep_grid__value(&g, 119, 2), "5");
	sweep_grid__point_name(&g, 0, name, sizeof(name));
	CHECK_STR(name, "0001-footprint=64K,paging=native,seed=1");
	sweep_grid__point_name(&g, 119, name, sizeof(name));
	CHECK_STR(name, "0120-footprint=1G,paging=shadow,seed=5");
	/* 1000 x 1000 x 2 is over the limit of a million points. */
	CHECK(sweep_grid__add(&g, "a", "1..1000", err, sizeof(err)) == 0);
	CHECK(sweep_grid__add(&g, "b", "1..1000", err, sizeof(err)) == 0);
	CHECK_EQ_U64(sweep_grid__points(&g), 0);
	sweep_grid__free(&g);

	/* Names: five digits from 10000 points on; '/' and ':' are not kept. */
	sweep_grid__init(&g);
	CHECK(sweep_grid__add(&g, "a", "1..100", err, sizeof(err)) == 0);
	CHECK(sweep_grid__add(&g, "b", "x/y,p:q,1..98", err, sizeof(err)) == 0);
	CHECK_EQ_U64(sweep_grid__points(&g), 10000);
	sweep_grid__point_name(&g, 0, name, sizeof(name));
	CHECK_STR(name, "00001-a=1,b=x_y");
	sweep_grid__point_name(&g, 1, name, sizeof(name));
	CHECK_STR(name, "00002-a=1,b=p_q");
	sweep_grid__free(&g);
}

static void test_grid_file(void)
{
	char path[] = "/tmp/memvirt-test-grid-XXXXXX", text[512], small[10];
	struct sweep_grid g, h;
	FILE *f;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# a sweep\n\nfootprint = 64K..256K:x2   # three\n  paging=native, shadow\n"
	      "seed = 3\n",
	      f);
	fclose(f);
	sweep_grid__init(&g);
	CHECK(sweep_grid__load(&g, path, err, sizeof(err)) == 0);
	CHECK_EQ_U64(g.nparams, 3);
	CHECK_EQ_U64(sweep_grid__points(&g), 6); /* 3 x 2 x 1 */
	CHECK_STR(g.p[1].key, "paging");
	CHECK_STR(g.p[1].values[1], "shadow");
	CHECK(sweep_grid__text(&g, text, sizeof(text)) == 0);
	CHECK_STR(text, "footprint = 64K, 128K, 256K\npaging = native, shadow\nseed = 3\n");
	CHECK(sweep_grid__text(&g, small, sizeof(small)) == -ENOSPC);

	/* Its text read back is the same grid, and so hashes the same. */
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	sweep_grid__init(&h);
	CHECK(sweep_grid__load(&h, path, err, sizeof(err)) == 0);
	CHECK_EQ_U64(sweep_grid__points(&h), 6);
	CHECK(sweep_hash(text, strlen(text), SWEEP_HASH_INIT) !=
	      sweep_hash("seed = 4\n", 9, SWEEP_HASH_INIT));
	sweep_grid__free(&h);
	sweep_grid__free(&g);

	f = fopen(path, "w");
	fputs("footprint = 64K\nthis line has no equals sign\n", f);
	fclose(f);
	sweep_grid__init(&g);
	CHECK(sweep_grid__load(&g, path, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":2: ") != NULL);
	sweep_grid__free(&g);
	f = fopen(path, "w");
	fputs("seed = 5..1\n", f);
	fclose(f);
	sweep_grid__init(&g);
	CHECK(sweep_grid__load(&g, path, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":1: seed: range") != NULL);
	sweep_grid__free(&g);
	unlink(path);
	sweep_grid__init(&g);
	CHECK(sweep_grid__load(&g, path, err, sizeof(err)) == -ENOENT);
}

static void test_json_reader(void)
{
	const char *doc =
		"{\"schema\": \"x/1\", \"results\": [{\"mode\": \"native\", \"n\": 12,"
		" \"tlb\": [{\"m\": 1.5}, {\"m\": -2e3}]}, {\"mode\": \"s\\\"q\\u0041\"}],"
		" \"ok\": true, \"none\": null, \"e\": {}, \"a\": []}";
	const struct jnode *n;
	struct jdoc d;
	char deep[300];

	CHECK(jdoc_parse(&d, doc, strlen(doc), err, sizeof(err)) == 0);
	n = jdoc_path(&d, "results/0/tlb/1/m");
	CHECK(n && n->type == J_NUM && n->num == -2000.0);
	n = jdoc_path(&d, "results/0/n");
	CHECK(n && n->num == 12.0);
	n = jdoc_path(&d, "results/1/mode");
	CHECK(n && n->type == J_STR && !strcmp(n->str, "s\"qA"));
	CHECK(jdoc_path(&d, "results/2") == NULL);
	CHECK(jdoc_path(&d, "results/0/nothere") == NULL);
	n = jdoc_path(&d, "ok");
	CHECK(n && n->type == J_BOOL && n->num == 1);
	CHECK(jdoc_path(&d, "none")->type == J_NULL);
	CHECK_EQ_U64(jdoc_path(&d, "results")->len, 2);
	CHECK_EQ_U64(jdoc_path(&d, "e")->len, 0);
	CHECK_EQ_U64(jdoc_path(&d, "a")->len, 0);
	jdoc_free(&d);

	static const char *const bad[] = {"",
					  "{",
					  "{\"a\" 1}",
					  "[1,]",
					  "[1 2]",
					  "\"abc",
					  "{\"a\":tru}",
					  "[1] x",
					  "{\"a\":\"\\q\"}",
					  "[-]",
					  "{1:2}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!jdoc_parse(&d, bad[i], strlen(bad[i]), err, sizeof(err))) {
			fprintf(stderr, "accepted bad JSON '%s'\n", bad[i]);
			test_failures++;
			jdoc_free(&d);
		}
	}
	/* 150 nested arrays: over the depth limit, refused, not a stack overflow. */
	memset(deep, '[', 150);
	memset(deep + 150, ']', 150);
	CHECK(jdoc_parse(&d, deep, 300, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "deeply") != NULL);
}

int main(void)
{
	test_ranges();
	test_bad_values();
	test_keys();
	test_cross_product();
	test_grid_file();
	test_json_reader();
	TEST_DONE();
}
