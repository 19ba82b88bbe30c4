/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streaming power-of-two histograms, as bpftrace's hist(): every sample is
 * counted in O(1) and no sample is kept, so a distribution covers the whole
 * file however long it is.
 */
#ifndef MEMVIRT_HIST_H
#define MEMVIRT_HIST_H

#include <stdint.h>
#include <stdio.h>

struct json;

/* Bucket 0 holds the value 0; bucket k >= 1 holds [2^(k-1), 2^k). */
#define LOG2_HIST_BUCKETS 65

/* What a histogram knows exactly of its samples: how many, the least, the largest, their sum. */
struct sample_sum {
	uint64_t count, min, max; /* min is UINT64_MAX while empty */
	double sum;
};

static inline void sample_sum__init(struct sample_sum *s)
{
	*s = (struct sample_sum){.min = UINT64_MAX};
}

static inline void sample_sum__add(struct sample_sum *s, uint64_t v)
{
	s->count++;
	s->sum += (double)v;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
}

struct log2_hist {
	struct sample_sum s;
	uint64_t bucket[LOG2_HIST_BUCKETS];
};

void log2_hist__init(struct log2_hist *h);
void log2_hist__add(struct log2_hist *h, uint64_t v);
/* Bucket of @v, and the bounds [lo, hi) of bucket @k (hi of the last is UINT64_MAX). */
unsigned log2_hist_bucket(uint64_t v);
uint64_t log2_hist_lo(unsigned k);
uint64_t log2_hist_hi(unsigned k);
/*
 * Rows from the first to the last non-empty bucket, bpftrace style:
 * "[4, 8)   123 |@@@@@      |", K/M/G for powers of 1024. @indent spaces first.
 */
void log2_hist__print(const struct log2_hist *h, FILE *out, unsigned indent);
/* {"count","min","avg","max","buckets":[{"lo","hi","count"},...]} under @key. */
void log2_hist__json(const struct log2_hist *h, struct json *j, const char *key);

#endif
