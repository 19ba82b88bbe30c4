// SPDX-License-Identifier: GPL-2.0
/* Log-linear histograms: percentiles over every sample within a fixed relative error. */
#include <string.h>

#include "analysis/pcthist.h"

void pct_hist__init(struct pct_hist *h)
{
	memset(h, 0, sizeof(*h));
	sample_sum__init(&h->s);
}

/*
 * Below 2^SUB_BITS the value is its own bucket. Above, with e the top bit and
 * s = e - SUB_BITS, the top SUB_BITS + 1 bits m = v >> s (in [SUB, 2 SUB))
 * pick the bucket s * SUB + m: [SUB, 2 SUB) for s = 0 follows the exact ones,
 * and each further power of two takes the next SUB buckets.
 */
unsigned pct_hist_bucket(uint64_t v)
{
	unsigned s;

	if (v < PCT_HIST_SUB)
		return (unsigned)v;
	s = 63u - (unsigned)__builtin_clzll(v) - PCT_HIST_SUB_BITS;
	return s * PCT_HIST_SUB + (unsigned)(v >> s);
}

uint64_t pct_hist_lo(unsigned b)
{
	unsigned s;

	if (b < 2 * PCT_HIST_SUB)
		return b;
	s = b / PCT_HIST_SUB - 1;
	return (uint64_t)(b - s * PCT_HIST_SUB) << s;
}

uint64_t pct_hist_hi(unsigned b)
{
	unsigned s = b < 2 * PCT_HIST_SUB ? 0 : b / PCT_HIST_SUB - 1;

	/* The last bucket ends at UINT64_MAX: lo + 2^s - 1 does not wrap. */
	return pct_hist_lo(b) + ((1ULL << s) - 1);
}

void pct_hist__add(struct pct_hist *h, uint64_t v)
{
	sample_sum__add(&h->s, v);
	h->bucket[pct_hist_bucket(v)]++;
}

uint64_t pct_hist__percentile(const struct pct_hist *h, unsigned p)
{
	/* rank = ceil(count * p / 100), split so count * p cannot overflow. */
	uint64_t q = h->s.count / 100, r = h->s.count % 100, rank, seen = 0;

	if (!h->s.count)
		return 0;
	if (p > 100)
		p = 100;
	rank = q * p + (r * p + 99) / 100;
	if (!rank)
		rank = 1;
	for (unsigned b = pct_hist_bucket(h->s.min); b < PCT_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			uint64_t hi = pct_hist_hi(b);

			return hi < h->s.max ? hi : h->s.max;
		}
	}
	return h->s.max; /* not reached: the buckets sum to count */
}
