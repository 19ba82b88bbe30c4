// SPDX-License-Identifier: GPL-2.0
/*
 * The one check of a workload's parameters, hosted side: the options of
 * 'memvirt run' and 'memvirt sim --workload', and the workload recorded in a
 * run's page-table snapshot, which is read back from a file and not trusted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "workloads/abi.h"
#include "workloads/workload.h"
#include "x86/x86.h"

/* "4K", "64M", "1G" when exact, else the bytes (common/ is not this folder's to use). */
static const char *size_text(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";

	for (int i = 3; i >= 0; i--) {
		uint64_t unit = 1ULL << (10 * (i + 1));

		if (v && v % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v / unit, units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64 " bytes", v);
	return buf;
}

__attribute__((format(printf, 3, 4))) static int wl_bad(char *err, size_t errlen, const char *fmt,
							...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_data(const struct wl_params *p, const char *pre, char *err, size_t errlen)
{
	bool mixed = p->page_size == WL_PAGE_MIXED;
	uint64_t unit = mixed ? SZ_4K : p->page_size; /* a mixed region ends in 4K pages */
	char a[32], b[32];

	if (p->footprint == 0 || p->footprint % unit)
		return wl_bad(err, errlen,
			      "%sfootprint %s is not a positive multiple of the page size %s", pre,
			      size_text(p->footprint, a, sizeof(a)), size_text(unit, b, sizeof(b)));
	if (p->footprint > WL_FOOTPRINT_MAX)
		return wl_bad(err, errlen, "%sfootprint %s is above the largest guest memory, %s",
			      pre, size_text(p->footprint, a, sizeof(a)),
			      size_text(WL_FOOTPRINT_MAX, b, sizeof(b)));
	if (mixed && p->kind == WL_CHURN)
		return wl_bad(err, errlen,
			      "%spage-size mixed applies to one data region: not to churn", pre);
	if (mixed && !wl_mixed_2m_bytes(p->footprint))
		return wl_bad(err, errlen,
			      "%spage-size mixed needs a footprint of 4M or more (its first half, "
			      "rounded down to 2M, takes 2M pages)",
			      pre);
	if (p->kind == WL_CHASE && p->footprint < 2 * SZ_4K)
		return wl_bad(err, errlen, "chase needs a footprint of at least 8K (two pages)");
	if (p->kind == WL_STRIDE && (p->stride < 8 || p->stride % 8 || p->stride > p->footprint))
		return wl_bad(err, errlen,
			      "%sstride %s must be a multiple of 8 between 8 and the footprint %s",
			      pre, size_text(p->stride, a, sizeof(a)),
			      size_text(p->footprint, b, sizeof(b)));
	if (p->iters == 0)
		return wl_bad(err, errlen, "%siters must be at least 1", pre);
	if (p->kind == WL_PINGPONG && (p->nproc < 1 || p->nproc >= MV_MAX_PROCS))
		return wl_bad(err, errlen, "%snproc must be between 1 and %d", pre,
			      MV_MAX_PROCS - 1);
	return 0;
}

int wl_params_check(const struct wl_params *p, const char *pre, char *err, size_t errlen)
{
	bool mixed = p->page_size == WL_PAGE_MIXED;

	if (p->kind >= WL__COUNT)
		return wl_bad(err, errlen, "workload kind %" PRIu32 " is not one of memvirt's",
			      p->kind);
	if (!mixed && p->page_size != SZ_4K && p->page_size != SZ_2M && p->page_size != SZ_1G)
		return wl_bad(err, errlen, "%spage-size must be 4k, 2m or 1g, or mixed", pre);
	if (p->kind == WL_NOP || p->kind == WL_CRASH)
		return 0;
	return check_data(p, pre, err, errlen);
}
