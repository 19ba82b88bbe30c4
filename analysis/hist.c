// SPDX-License-Identifier: GPL-2.0
/* Power-of-two histograms over every sample, printed like bpftrace's hist(). */
#include <inttypes.h>
#include <string.h>

#include "common/json.h"
#include "analysis/hist.h"

#define HIST_BAR_WIDTH 52

void log2_hist__init(struct log2_hist *h)
{
	memset(h, 0, sizeof(*h));
	sample_sum__init(&h->s);
}

unsigned log2_hist_bucket(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0;
}

uint64_t log2_hist_lo(unsigned k)
{
	return k ? 1ULL << (k - 1) : 0;
}

uint64_t log2_hist_hi(unsigned k)
{
	return k >= 64 ? UINT64_MAX : 1ULL << k;
}

void log2_hist__add(struct log2_hist *h, uint64_t v)
{
	sample_sum__add(&h->s, v);
	h->bucket[log2_hist_bucket(v)]++;
}

/* 1536 stays "1536"; exact powers of 1024 and their multiples get K, M, G, T, P, E. */
static void bound(char *buf, size_t len, uint64_t v)
{
	static const char suffix[] = "KMGTPE";
	unsigned s = 0;

	while (v >= 1024 && !(v % 1024) && s < sizeof(suffix) - 1) {
		v /= 1024;
		s++;
	}
	if (s)
		snprintf(buf, len, "%" PRIu64 "%c", v, suffix[s - 1]);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

void log2_hist__print(const struct log2_hist *h, FILE *out, unsigned indent)
{
	unsigned first = LOG2_HIST_BUCKETS, last = 0;
	uint64_t peak = 0;
	char lo[24], hi[24], label[64];

	for (unsigned k = 0; k < LOG2_HIST_BUCKETS; k++)
		if (h->bucket[k]) {
			if (first == LOG2_HIST_BUCKETS)
				first = k;
			last = k;
			if (h->bucket[k] > peak)
				peak = h->bucket[k];
		}
	if (first == LOG2_HIST_BUCKETS)
		return;
	for (unsigned k = first; k <= last; k++) {
		unsigned bar = (unsigned)(h->bucket[k] * HIST_BAR_WIDTH / peak);

		bound(lo, sizeof(lo), log2_hist_lo(k));
		if (k <= 1) /* [0] and [1]: one value each */
			snprintf(label, sizeof(label), "[%s]", lo);
		else if (k >= 64)
			snprintf(label, sizeof(label), "[%s, ...)", lo);
		else {
			bound(hi, sizeof(hi), log2_hist_hi(k));
			snprintf(label, sizeof(label), "[%s, %s)", lo, hi);
		}
		fprintf(out, "%*s%-16s %10" PRIu64 " |%.*s%*s|\n", (int)indent, "", label,
			h->bucket[k], (int)bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
			(int)(HIST_BAR_WIDTH - bar), "");
	}
}

void log2_hist__json(const struct log2_hist *h, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	json_u64(j, "count", h->s.count);
	json_u64(j, "min", h->s.count ? h->s.min : 0);
	json_double(j, "avg", h->s.count ? h->s.sum / (double)h->s.count : 0);
	json_u64(j, "max", h->s.max);
	json_arr_begin(j, "buckets");
	for (unsigned k = 0; k < LOG2_HIST_BUCKETS; k++) {
		if (!h->bucket[k])
			continue;
		json_obj_begin(j, NULL);
		json_u64(j, "lo", log2_hist_lo(k));
		if (k < 64)
			json_u64(j, "hi", log2_hist_hi(k));
		else
			json_null(j, "hi");
		json_u64(j, "count", h->bucket[k]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}
