// SPDX-License-Identifier: GPL-2.0
/*
 * The workload generators on the host: access counts checked against a
 * trace of every access, the seq checksum against its closed form, the
 * chase against the rule "one cycle through all pages".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "test.h"
#include "workloads/workload.h"

struct trace {
	uint8_t *base;
	uint64_t len;
	uint64_t loads, stores, outside;
	uint64_t *pages; /* page index of each load, when recording */
	uint64_t npages, cap;
	uint64_t maps, unmaps;
};

static void on_access(void *ctx, const void *addr, int is_write)
{
	struct trace *t = ctx;
	const uint8_t *a = addr;

	if (is_write) {
		t->stores++;
	} else {
		t->loads++;
		if (t->pages && t->npages < t->cap)
			t->pages[t->npages++] = (uint64_t)(a - t->base) / 4096;
	}
	if (t->base && (a < t->base || a + 8 > t->base + t->len || ((uintptr_t)a & 7)))
		t->outside++;
}

static void *map(void *ctx, uint64_t len, uint64_t page_size)
{
	struct trace *t = ctx;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	t->maps++;
	return p == MAP_FAILED ? NULL : p;
}

static int unmap(void *ctx, void *addr, uint64_t len)
{
	((struct trace *)ctx)->unmaps++;
	return munmap(addr, len);
}

/* Run kind traced and untraced over fresh buffers: same checksum, counts match the trace. */
static void check_kind(enum wl_kind kind, uint64_t footprint, uint64_t iters)
{
	struct wl_params p;
	struct wl_result a, b;
	struct trace t = {0};
	struct wl_env env = {.ctx = &t, .map = map, .unmap = unmap, .trace = on_access};
	uint8_t *buf1 = calloc(1, footprint ? footprint : 8),
		*buf2 = calloc(1, footprint ? footprint : 8);

	wl_defaults(&p, kind);
	p.footprint = footprint;
	p.iters = iters;
	p.stride = 4096;
	t.base = kind == WL_CHURN ? NULL : buf2;
	t.len = footprint;
	CHECK(wl_run(&p, buf1, &env, &a) == 0);
	CHECK(wl_run_traced(&p, buf2, &env, &b) == 0);
	CHECK_EQ_U64(a.checksum, b.checksum);
	CHECK_EQ_U64(a.accesses, b.accesses);
	CHECK_EQ_U64(t.loads + t.stores, b.accesses);
	CHECK_EQ_U64(t.outside, 0);
	if (kind == WL_CHURN)
		CHECK(t.maps == 2 * iters && t.unmaps == 2 * iters);
	free(buf1);
	free(buf2);
}

/* seq: word i of pass `it` holds it*i + it*(it-1)/2 before the pass writes it. */
static void test_seq_closed_form(void)
{
	const uint64_t footprint = 64 * 1024, iters = 5, lines = footprint / 64;
	struct wl_params p;
	struct wl_result r;
	struct wl_env env = {0};
	uint64_t *buf = calloc(1, footprint), want = 0;

	wl_defaults(&p, WL_SEQ);
	p.footprint = footprint;
	p.iters = iters;
	CHECK(wl_run(&p, buf, &env, &r) == 0);
	for (uint64_t it = 0; it < iters; it++)
		for (uint64_t i = 0; i < lines; i++)
			want += (it * i + it * (it - 1) / 2) ^ i;
	CHECK_EQ_U64(r.checksum, want);
	CHECK_EQ_U64(r.accesses, 2 * iters * lines);
	free(buf);
}

/* chase: the last 2*pages loads walk one cycle through every page, twice. */
static void test_chase_cycle(void)
{
	const uint64_t pages = 257, footprint = pages * 4096;
	struct wl_params p;
	struct wl_result r;
	struct trace t = {0};
	struct wl_env env = {.ctx = &t, .trace = on_access};
	uint8_t *buf = calloc(1, footprint);
	uint8_t *seen = calloc(pages, 1);
	uint64_t *lap;

	t.base = buf;
	t.len = footprint;
	t.cap = 16 * pages;
	t.pages = calloc(t.cap, sizeof(uint64_t));
	wl_defaults(&p, WL_CHASE);
	p.footprint = footprint;
	p.iters = 2 * pages;
	CHECK(wl_run_traced(&p, buf, &env, &r) == 0);
	CHECK(t.npages >= 2 * pages);
	lap = t.pages + t.npages - 2 * pages;
	for (uint64_t i = 0; i < pages; i++) {
		CHECK(lap[i] < pages);
		if (lap[i] < pages)
			seen[lap[i]]++;
		CHECK_EQ_U64(lap[i], lap[i + pages]);
	}
	for (uint64_t i = 0; i < pages; i++)
		CHECK_EQ_U64(seen[i], 1);
	free(t.pages);
	free(seen);
	free(buf);
}

/* Different seeds give different random streams; the same seed the same checksum. */
static void test_seeds(void)
{
	struct wl_params p;
	struct wl_result a, b, c;
	struct wl_env env = {0};
	uint64_t *buf = calloc(1, 1 << 20);

	wl_defaults(&p, WL_RANDOM);
	p.footprint = 1 << 20;
	p.iters = 10000;
	memset(buf, 0x5a, 1 << 20);
	CHECK(wl_run(&p, buf, &env, &a) == 0);
	CHECK(wl_run(&p, buf, &env, &b) == 0);
	p.seed = 2;
	CHECK(wl_run(&p, buf, &env, &c) == 0);
	CHECK_EQ_U64(a.checksum, b.checksum);
	CHECK(a.checksum != c.checksum);
	free(buf);
}

/*
 * touch: every store before any load, pass after pass over word 0 of each 4K
 * page in order, then one load per page in order; the checksum is the sum of
 * the last pass's values, it * pages + k + 1 for it = iters - 1.
 */
struct touch_log {
	const uint8_t *base;
	uint64_t pages, n, stores, loads, bad;
};

static void on_touch(void *ctx, const void *addr, int is_write)
{
	struct touch_log *t = ctx;
	uint64_t off = (uint64_t)((const uint8_t *)addr - t->base), i = t->n++;

	if (is_write) {
		t->bad += t->loads != 0 || off != (i % t->pages) * 4096;
		t->stores++;
	} else {
		t->bad += off != t->loads * 4096;
		t->loads++;
	}
}

static void check_touch(uint64_t pages, uint64_t iters)
{
	struct wl_params p;
	struct wl_result r;
	uint8_t *buf = calloc(pages, 4096);
	struct touch_log t = {.base = buf, .pages = pages};
	struct wl_env env = {.ctx = &t, .trace = on_touch};
	uint64_t want = 0;

	for (uint64_t k = 0; iters && k < pages; k++)
		want += (iters - 1) * pages + k + 1;
	wl_defaults(&p, WL_TOUCH);
	p.footprint = pages * 4096;
	p.iters = iters;
	CHECK(wl_run_traced(&p, buf, &env, &r) == 0);
	CHECK_EQ_U64(t.stores, iters * pages);
	CHECK_EQ_U64(t.loads, pages);
	CHECK_EQ_U64(t.bad, 0);
	CHECK_EQ_U64(r.checksum, want);
	CHECK_EQ_U64(r.accesses, (iters + 1) * pages);
	CHECK_EQ_U64(((uint64_t *)buf)[(pages - 1) * 512], iters ? iters * pages : 0);
	free(buf);
}

static void test_names(void)
{
	for (int k = 0; k < WL__COUNT; k++)
		CHECK(wl_from_name(wl_name(k)) == k);
	CHECK(wl_from_name("nosuch") == -1);
}

/* @p is refused naming @words, in one line. */
static void expect_refused(const struct wl_params *p, const char *words)
{
	char err[256] = "";

	CHECK(wl_params_check(p, "--", err, sizeof(err)) == -EINVAL);
	if (!strstr(err, words))
		fprintf(stderr, "error '%s' does not say '%s'\n", err, words);
	CHECK(strstr(err, words) != NULL);
	CHECK(strchr(err, '\n') == NULL);
}

/*
 * What each generator divides by or indexes with: seq and random divide the
 * footprint into lines and words, stride by its stride, chase into two or
 * more pages; anything smaller would fault or divide by zero.
 */
static void test_params_check(void)
{
	struct wl_params p;
	char err[256];

	for (int k = 0; k < WL__COUNT; k++) {
		wl_defaults(&p, (enum wl_kind)k);
		CHECK(wl_params_check(&p, "--", err, sizeof(err)) == 0);
	}
	wl_defaults(&p, WL_SEQ);
	p.footprint = 4;
	expect_refused(&p, "--footprint 4 bytes is not a positive multiple of the page size 4K");
	wl_defaults(&p, WL_CHASE);
	p.footprint = 4096;
	expect_refused(&p, "at least 8K");
	wl_defaults(&p, WL_STRIDE);
	p.stride = 0;
	expect_refused(&p, "--stride 0 bytes must be a multiple of 8");
	p.stride = p.footprint + 8;
	expect_refused(&p, "between 8 and the footprint");
	wl_defaults(&p, WL_RANDOM);
	p.iters = 0;
	expect_refused(&p, "--iters must be at least 1");
	p.iters = 1;
	p.footprint = 1ULL << 62;
	expect_refused(&p, "above the largest guest memory, 64G");
	p.footprint = WL_FOOTPRINT_MAX;
	CHECK(wl_params_check(&p, "--", err, sizeof(err)) == 0);
	p.page_size = 8192;
	expect_refused(&p, "--page-size must be 4k, 2m or 1g");
	wl_defaults(&p, WL_PINGPONG);
	p.nproc = 0;
	expect_refused(&p, "--nproc must be between 1 and 15");
	p.kind = WL__COUNT;
	expect_refused(&p, "not one of memvirt's");
	wl_defaults(&p, WL_GUPS);
	p.iters = 0;
	CHECK(wl_params_check(&p, "", err, sizeof(err)) == -EINVAL);
	CHECK(strncmp(err, "iters must", 10) == 0);
}

int main(void)
{
	check_kind(WL_SEQ, 256 * 1024, 3);
	check_kind(WL_STRIDE, 256 * 1024, 3);
	check_kind(WL_RANDOM, 256 * 1024, 5000);
	check_kind(WL_GUPS, 256 * 1024, 5000);
	check_kind(WL_CHASE, 256 * 1024, 5000);
	check_kind(WL_CHURN, 64 * 1024, 4);
	check_kind(WL_TOUCH, 256 * 1024, 3);
	check_touch(37, 3);
	check_touch(64, 1);
	check_touch(5, 0);
	test_seq_closed_form();
	test_chase_cycle();
	test_seeds();
	test_names();
	test_params_check();
	TEST_DONE();
}
