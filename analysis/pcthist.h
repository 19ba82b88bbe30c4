/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear histograms for percentiles over every sample: each power of two
 * is split into 2^PCT_HIST_SUB_BITS equal buckets, so memory is fixed, an
 * insert is O(1), and a percentile read from it is within a known relative
 * error of the exact one (HDR-histogram style).
 */
#ifndef MEMVIRT_PCTHIST_H
#define MEMVIRT_PCTHIST_H

#include <stdint.h>

#include "analysis/hist.h"

/*
 * Values below 2^PCT_HIST_SUB_BITS have a bucket each (exact); a value v in
 * [2^e, 2^(e+1)), e >= PCT_HIST_SUB_BITS, falls in a bucket 2^(e - SUB_BITS)
 * wide, at most v / 2^SUB_BITS.
 */
#define PCT_HIST_SUB_BITS 7
#define PCT_HIST_SUB	  (1u << PCT_HIST_SUB_BITS)
#define PCT_HIST_BUCKETS  ((64 - PCT_HIST_SUB_BITS + 1) * PCT_HIST_SUB) /* 7424: 58 KiB */
/*
 * A percentile is reported as the largest value of the bucket holding the
 * exact (nearest-rank) percentile, clamped to the exact maximum: never below
 * the exact value, and above it by less than this fraction of it (2^-7).
 */
#define PCT_HIST_REL_ERROR (1.0 / PCT_HIST_SUB)

struct pct_hist {
	struct sample_sum s; /* exact */
	uint64_t bucket[PCT_HIST_BUCKETS];
};

void pct_hist__init(struct pct_hist *h);
void pct_hist__add(struct pct_hist *h, uint64_t v);
/*
 * The nearest-rank @p-th percentile (0 to 100): the smallest sample with at
 * least @p percent of the samples at or below it, within PCT_HIST_REL_ERROR
 * (see above); p = 100 gives the exact maximum. 0 when empty.
 */
uint64_t pct_hist__percentile(const struct pct_hist *h, unsigned p);
/* Bucket of @v, and the smallest and largest value of bucket @b. */
unsigned pct_hist_bucket(uint64_t v);
uint64_t pct_hist_lo(unsigned b);
uint64_t pct_hist_hi(unsigned b);

#endif
