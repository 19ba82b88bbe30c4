// SPDX-License-Identifier: GPL-2.0
/* Access traces: .mvat round trips, encoded sizes, every reader error, and the lackey parser. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mmu/atrace.h"
#include "test.h"

#define MAXBUF (1 << 20)

/* Write @n records to a memory buffer; returns its length. */
static size_t write_trace(char *buf, size_t cap, const struct atrace_rec *r, size_t n)
{
	FILE *f = fmemopen(buf, cap, "w");
	struct atrace_writer *w;
	long len;

	setvbuf(f, NULL, _IONBF, 0);
	w = atrace_writer__new(f);
	CHECK(w != NULL);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_U64(atrace_writer__put(w, &r[i]), 0);
	CHECK_EQ_U64(atrace_writer__finish(w), 0);
	len = ftell(f);
	fclose(f);
	return (size_t)len;
}

/* Read a trace from memory: the number of records, or -1 with the error in @err. */
static long read_trace(const char *buf, size_t len, struct atrace_rec *out, size_t max, char *err,
		       size_t errlen)
{
	FILE *f = fmemopen((void *)buf, len ? len : 1, "r");
	struct atrace_reader *rd;
	struct atrace_rec r;
	long n = 0;
	int rc;

	if (!len) /* fmemopen needs a non-empty buffer */
		fgetc(f);
	rd = atrace_reader__new(f, "t.mvat", err, errlen);
	if (!rd) {
		fclose(f);
		return -1;
	}
	while ((rc = atrace_reader__next(rd, &r, err, errlen)) > 0) {
		if ((size_t)n < max)
			out[n] = r;
		n++;
	}
	atrace_reader__free(rd);
	fclose(f);
	return rc < 0 ? -1 : n;
}

static void test_round_trip(void)
{
	static struct atrace_rec in[20000], out[20000];
	static char buf[MAXBUF];
	uint64_t seed = 99;
	char err[256];
	size_t len;

	for (size_t i = 0; i < 20000; i++) {
		uint64_t x = xorshift64s(&seed);

		in[i].kind = (enum atrace_kind)(x % ATRACE_KINDS);
		in[i].size = (x >> 8) % 3 == 0 ? (uint32_t)(1 + (x >> 16) % 100000) : 8;
		/* every magnitude of delta, both signs, the extremes too */
		in[i].addr = i % 7 == 0 ? ~0ULL - (x % 3) : i % 5 == 0 ? x : (x >> (x % 64));
	}
	in[0].size = UINT32_MAX;
	in[1].size = 63;
	in[2].size = 64;
	len = write_trace(buf, sizeof(buf), in, 20000);
	CHECK_EQ_U64(read_trace(buf, len, out, 20000, err, sizeof(err)), 20000);
	for (size_t i = 0; i < 20000; i++) {
		CHECK_EQ_U64(out[i].kind, in[i].kind);
		CHECK_EQ_U64(out[i].size, in[i].size);
		CHECK_EQ_U64(out[i].addr, in[i].addr);
		if (test_failures)
			break;
	}
}

/* The encoding rule of docs/access-trace.md: sequential 8-byte loads take 2 bytes each. */
static void test_sizes(void)
{
	static struct atrace_rec in[1000];
	static char buf[MAXBUF];

	for (size_t i = 0; i < 1000; i++)
		in[i] = (struct atrace_rec){ATRACE_LOAD, 8, 0x10000 + 8 * i};
	/* header 16; first record: tag + varint(zigzag(0x10000)) = 1 + 3; then 2 each; end 1 + 2 */
	CHECK_EQ_U64(write_trace(buf, sizeof(buf), in, 1000), 16 + 4 + 999 * 2 + 3);
	CHECK_EQ_U64((unsigned char)buf[16 + 4], 0x20); /* size 8 in bits 7:2, kind load */
	CHECK_EQ_U64((unsigned char)buf[16 + 5], 0x10); /* zigzag(+8) */
}

static void expect_error(const char *what, const char *buf, size_t len, const char *msg)
{
	struct atrace_rec out[4];
	char err[256] = "";

	CHECK_EQ_U64(read_trace(buf, len, out, 4, err, sizeof(err)), (uint64_t)-1);
	if (!strstr(err, msg)) {
		fprintf(stderr, "%s: error '%s' lacks '%s'\n", what, err, msg);
		test_failures++;
	}
}

static void test_errors(void)
{
	struct atrace_rec in[3] = {
		{ATRACE_LOAD, 8, 0x1000}, {ATRACE_STORE, 4, 0x2000}, {ATRACE_FETCH, 3, 0x400000}};
	static char buf[4096], bad[4096];
	size_t len = write_trace(buf, sizeof(buf), in, 3);

	expect_error("empty", buf, 0, "not a memvirt access trace");
	memcpy(bad, buf, len);
	bad[4] = '\n'; /* text-mode damage */
	expect_error("magic", bad, len, "not a memvirt access trace");
	memcpy(bad, buf, len);
	bad[8] = 2;
	expect_error("version", bad, len, "version 2");
	memcpy(bad, buf, len);
	bad[10] = 8;
	expect_error("header size", bad, len, "header size 8");
	for (size_t cut = 16; cut < len; cut++) /* every truncation is found, none crashes */
		expect_error("truncated", buf, cut, "offset");
	expect_error("no end", buf, len - 2, "truncated");
	memcpy(bad, buf, len);
	bad[len - 1] = 9; /* end record counts 9 */
	expect_error("count", bad, len, "end record counts 9 records, the trace has 3");
	memcpy(bad, buf, len);
	bad[len] = 0;
	expect_error("trailing", bad, len + 1, "data after the end record");
	memcpy(bad, buf, 16);
	bad[16] = (char)(3 | 5 << 2); /* reserved record type */
	expect_error("reserved", bad, 17, "offset 16: unknown record type");
	memcpy(bad, buf, 16);
	bad[16] = 0x20;
	memset(bad + 17, 0xff, 9);
	bad[26] = 0x02; /* 10th byte above 1: more than 64 bits */
	expect_error("overlong", bad, 27, "offset 16: truncated or overlong address");
	memcpy(bad, buf, 16);
	bad[16] = 0x00; /* varint size */
	bad[17] = 5;	/* below 64: must be inline */
	bad[18] = 0;
	expect_error("size", bad, 19, "size not in 64..2^32-1");
}

static void test_lackey(void)
{
	struct atrace_rec r;
	char err[256];
	FILE *f;
	struct lackey_reader *lr;
	static const char text[] = "==1== hello\nI  04001000,3\n L 7ff000000,8\n S 10,4\r\n"
				   " M ffffffffffffffff,16 \n L 1,8\n X 2,8\n";

	CHECK_EQ_U64(lackey_parse_line("==12== Lackey", &r), 0);
	CHECK_EQ_U64(lackey_parse_line(" L 7ff000010,8", &r), 1);
	CHECK_EQ_U64(r.kind, ATRACE_LOAD);
	CHECK_EQ_U64(r.addr, 0x7ff000010ULL);
	CHECK_EQ_U64(r.size, 8);
	CHECK_EQ_U64(lackey_parse_line("I  0400,2", &r), 1);
	CHECK_EQ_U64(r.kind, ATRACE_FETCH);
	CHECK_EQ_U64(lackey_parse_line(" M 0000000000000000ff,4294967295", &r), 1);
	CHECK_EQ_U64(r.size, UINT32_MAX);
	CHECK_EQ_U64(lackey_parse_line(" L 10000000000000000,8", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line(" L 10,4294967296", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line(" L 10,0", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line(" L 10,", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line(" L ,8", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line(" L 10,8x", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line(" X 10,8", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line("", &r), (uint64_t)-EINVAL);
	CHECK_EQ_U64(lackey_parse_line(" L", &r), (uint64_t)-EINVAL);

	f = fmemopen((void *)text, sizeof(text) - 1, "r");
	lr = lackey_reader__new(f, "t.lackey");
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), 1);
	CHECK_EQ_U64(r.kind, ATRACE_FETCH);
	CHECK_EQ_U64(lackey_reader__lines(lr), 2);
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), 1);
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), 1);
	CHECK_EQ_U64(r.kind, ATRACE_STORE);
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), 1);
	CHECK_EQ_U64(r.addr, ~0ULL);
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), 1);
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK(strstr(err, "t.lackey:7: malformed lackey line ' X 2,8'") != NULL);
	lackey_reader__free(lr);
	fclose(f);
}

static void test_lackey_long_and_nul(void)
{
	static char text[6000];
	struct lackey_reader *lr;
	struct atrace_rec r;
	char err[256];
	FILE *f;

	memset(text, 'L', sizeof(text));
	f = fmemopen(text, sizeof(text), "r");
	lr = lackey_reader__new(f, "long");
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK(strstr(err, "long:1: line longer than 4096 bytes") != NULL);
	lackey_reader__free(lr);
	fclose(f);
	memcpy(text, " L 1\0,8\n", 8);
	f = fmemopen(text, 8, "r");
	lr = lackey_reader__new(f, "nul");
	CHECK_EQ_U64(lackey_reader__next(lr, &r, err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK(strstr(err, "nul:1: NUL byte") != NULL);
	lackey_reader__free(lr);
	fclose(f);
}

int main(void)
{
	test_round_trip();
	test_sizes();
	test_errors();
	test_lackey();
	test_lackey_long_and_nul();
	TEST_DONE();
}
