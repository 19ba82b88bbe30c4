/* SPDX-License-Identifier: GPL-2.0 */
/* Summary statistics of repeated measurements: count, mean, sample standard deviation, range. */
#ifndef MEMVIRT_STATS_H
#define MEMVIRT_STATS_H

#include <stdint.h>

/* Welford's running mean and sum of squared deviations: no cancellation on large values. */
struct stat_acc {
	uint64_t n;
	double mean, m2, min, max;
};

void stat_acc__add(struct stat_acc *s, double x);
/* The sample standard deviation (divisor n - 1); NaN below two values. */
double stat_acc__sd(const struct stat_acc *s);

#endif
