// SPDX-License-Identifier: GPL-2.0
/* Unit tests of common/stats.h: mean, sample standard deviation and range on known values. */
#include <math.h>

#include "common/stats.h"
#include "test.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1))

int main(void)
{
	static const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
	struct stat_acc s = {0}, one = {0}, big = {0}, two = {0};

	/* Sum 40, mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7. */
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		stat_acc__add(&s, v[i]);
	CHECK_EQ_U64(s.n, 8);
	CHECK(NEAR(s.mean, 5.0));
	CHECK(NEAR(stat_acc__sd(&s), 2.1380899352993950)); /* sqrt(32/7) */
	CHECK(s.min == 2 && s.max == 9);

	/* One value: its mean, min and max; no sample deviation. */
	stat_acc__add(&one, 3.5);
	CHECK(one.mean == 3.5 && one.min == 3.5 && one.max == 3.5);
	CHECK(isnan(stat_acc__sd(&one)));
	CHECK(isnan(stat_acc__sd(&(struct stat_acc){0})));

	/* Two values 10 and 13: mean 11.5, deviations +-1.5, variance 4.5/1. */
	stat_acc__add(&two, 13);
	stat_acc__add(&two, 10);
	CHECK(NEAR(two.mean, 11.5));
	CHECK(NEAR(stat_acc__sd(&two), 2.1213203435596424)); /* sqrt(4.5) */
	CHECK(two.min == 10 && two.max == 13);

	/* Cycle counts near 1e12: 1e12+1, +2, +3 have sd 1 exactly, without cancellation. */
	for (int i = 1; i <= 3; i++)
		stat_acc__add(&big, 1e12 + i);
	CHECK(NEAR(big.mean, 1e12 + 2));
	CHECK(fabs(stat_acc__sd(&big) - 1.0) < 1e-6);
	TEST_DONE();
}
