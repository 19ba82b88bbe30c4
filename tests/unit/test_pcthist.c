// SPDX-License-Identifier: GPL-2.0
/*
 * The log-linear histogram behind trace stat's percentiles: bucket layout, and
 * percentiles against the exact nearest-rank ones of the same samples sorted.
 */
#include <stdbool.h>

#include "test.h"
#include "analysis/pcthist.h"

#define N_RANDOM 200000

static uint64_t samples[N_RANDOM], sorted[N_RANDOM];
static struct pct_hist hist;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile: the ceil(n p / 100)-th smallest (the 1st for p = 0). */
static uint64_t exact_pct(const uint64_t *v, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

/* The documented bound: never below the exact value, above it by less than 2^-7 of it. */
static bool within(uint64_t got, uint64_t exact)
{
	if (got == exact)
		return true;
	/* got - exact < exact / 128, written so that nothing overflows near UINT64_MAX */
	return got > exact && got - exact <= (exact - 1) / 128;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Put @n samples in the histogram and check every percentile 0..100 against the sorted copy. */
static void check_all(const uint64_t *v, size_t n, bool exact, const char *what)
{
	unsigned bad = 0;

	pct_hist__init(&hist);
	for (size_t i = 0; i < n; i++)
		pct_hist__add(&hist, v[i]);
	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	CHECK_EQ_U64(hist.s.count, n);
	CHECK_EQ_U64(hist.s.min, sorted[0]);
	CHECK_EQ_U64(hist.s.max, sorted[n - 1]);
	for (unsigned p = 0; p <= 100; p++) {
		uint64_t got = pct_hist__percentile(&hist, p), want = exact_pct(sorted, n, p);

		if (exact ? got != want : !within(got, want)) {
			if (!bad++)
				fprintf(stderr, "%s: p%u = %" PRIu64 ", exact %" PRIu64 "\n", what,
					p, got, want);
		}
	}
	CHECK_EQ_U64(bad, 0);
	/* p100 is the maximum itself. */
	CHECK_EQ_U64(pct_hist__percentile(&hist, 100), sorted[n - 1]);
}

static void test_layout(void)
{
	/* Below 2^7 each value has its own bucket. */
	for (uint64_t v = 0; v < 128; v++) {
		CHECK_EQ_U64(pct_hist_bucket(v), v);
		CHECK_EQ_U64(pct_hist_lo((unsigned)v), v);
		CHECK_EQ_U64(pct_hist_hi((unsigned)v), v);
	}
	/* In [2^e, 2^(e+1)), e >= 7, buckets are 2^(e-7) wide: 128 per power of two. */
	CHECK_EQ_U64(pct_hist_hi(pct_hist_bucket(128)), 128);
	CHECK_EQ_U64(pct_hist_hi(pct_hist_bucket(256)), 257);
	CHECK_EQ_U64(pct_hist_lo(pct_hist_bucket(1950)), 1944); /* 2^10: 8 wide */
	CHECK_EQ_U64(pct_hist_hi(pct_hist_bucket(1950)), 1951);
	CHECK_EQ_U64(pct_hist_bucket(256) - pct_hist_bucket(128), 128);
	CHECK_EQ_U64(pct_hist_bucket(1ULL << 40) - pct_hist_bucket(1ULL << 39), 128);
	CHECK_EQ_U64(pct_hist_lo(pct_hist_bucket(UINT64_MAX)), 0xffULL << 56);
	CHECK_EQ_U64(pct_hist_hi(pct_hist_bucket(UINT64_MAX)), UINT64_MAX);
	CHECK_EQ_U64(pct_hist_bucket(UINT64_MAX), PCT_HIST_BUCKETS - 1);
	/* The buckets tile [0, UINT64_MAX] in order, each at most lo / 128 wide above 2^7. */
	CHECK_EQ_U64(pct_hist_lo(0), 0);
	for (unsigned b = 0; b < PCT_HIST_BUCKETS; b++) {
		uint64_t lo = pct_hist_lo(b), hi = pct_hist_hi(b);

		CHECK(lo <= hi);
		CHECK_EQ_U64(pct_hist_bucket(lo), b);
		CHECK_EQ_U64(pct_hist_bucket(hi), b);
		if (lo >= 128)
			CHECK(hi - lo < lo / 128);
		if (b + 1 < PCT_HIST_BUCKETS)
			CHECK_EQ_U64(pct_hist_lo(b + 1), hi + 1);
	}
}

static void test_edges(void)
{
	uint64_t v[300];

	pct_hist__init(&hist);
	CHECK_EQ_U64(pct_hist__percentile(&hist, 50), 0); /* empty */
	CHECK_EQ_U64(hist.s.count, 0);

	v[0] = 1000; /* one sample: every percentile is it */
	check_all(v, 1, true, "one sample");
	v[0] = 0;
	check_all(v, 1, true, "one zero");
	v[0] = UINT64_MAX;
	check_all(v, 1, true, "one UINT64_MAX");

	for (int i = 0; i < 300; i++) /* all equal: exact, the maximum clamps the bucket */
		v[i] = 123456789;
	check_all(v, 300, true, "all equal");
	for (int i = 0; i < 300; i++)
		v[i] = 0;
	check_all(v, 300, true, "all zero");

	for (int i = 0; i < 300; i++) /* below 2^7: exact */
		v[i] = (uint64_t)(i * 37 % 128);
	check_all(v, 300, true, "below 128");
	for (int i = 0; i < 300; i++) /* zeros among large values */
		v[i] = i % 3 ? 0 : 1000000 + (uint64_t)i;
	check_all(v, 300, false, "zeros and large");

	for (int i = 0; i < 300; i++) /* near UINT64_MAX, and around 2^63 */
		v[i] = i % 2 ? UINT64_MAX - (uint64_t)i * 977 : (1ULL << 63) + (uint64_t)i * 12345;
	check_all(v, 300, false, "near UINT64_MAX");
	v[0] = UINT64_MAX;
	v[1] = UINT64_MAX - 1;
	v[2] = 0;
	check_all(v, 3, false, "0, UINT64_MAX - 1, UINT64_MAX");

	/* 1950 lies in [1944, 1951]: p50 of 1950 below a larger max is the bucket's top. */
	v[0] = 1950;
	v[1] = 5000;
	pct_hist__init(&hist);
	pct_hist__add(&hist, v[0]);
	pct_hist__add(&hist, v[1]);
	CHECK_EQ_U64(pct_hist__percentile(&hist, 50), 1951);
	CHECK_EQ_U64(pct_hist__percentile(&hist, 51), 5000);
	CHECK_EQ_U64(pct_hist__percentile(&hist, 0), 1951);
}

static void test_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	/* Uniform over [0, 2^20): latencies of a few hundred microseconds. */
	for (size_t i = 0; i < N_RANDOM; i++)
		samples[i] = xorshift(&x) & ((1u << 20) - 1);
	check_all(samples, N_RANDOM, false, "uniform 2^20");
	/* Spread over every power of two: a random top bit, then random bits below it. */
	for (size_t i = 0; i < N_RANDOM; i++) {
		unsigned e = (unsigned)(xorshift(&x) % 64);

		samples[i] = (1ULL << e) | (xorshift(&x) & ((1ULL << e) - 1));
	}
	check_all(samples, N_RANDOM, false, "every power of two");
	/* Few distinct values, many repeats (exit latencies cluster). */
	for (size_t i = 0; i < N_RANDOM; i++)
		samples[i] = 1000 + 250 * (xorshift(&x) % 7);
	check_all(samples, N_RANDOM, false, "clustered");
}

int main(void)
{
	test_layout();
	test_edges();
	test_random();
	TEST_DONE();
}
