// SPDX-License-Identifier: GPL-2.0
/* Summary statistics of repeated measurements (common/stats.h). */
#include <math.h>

#include "common/stats.h"

void stat_acc__add(struct stat_acc *s, double x)
{
	double d = x - s->mean;

	if (!s->n || x < s->min)
		s->min = x;
	if (!s->n || x > s->max)
		s->max = x;
	s->n++;
	s->mean += d / (double)s->n;
	s->m2 += d * (x - s->mean);
}

double stat_acc__sd(const struct stat_acc *s)
{
	if (s->n < 2)
		return NAN;
	return sqrt(s->m2 / (double)(s->n - 1));
}
