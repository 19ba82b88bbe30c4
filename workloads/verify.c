// SPDX-License-Identifier: GPL-2.0
/*
 * Hosted replay of a workload: the same generator over host memory gives
 * the checksum a correct guest run must report.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#include "workloads/workload.h"

static void *host_map(void *ctx, uint64_t len, uint64_t page_size)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int host_unmap(void *ctx, void *addr, uint64_t len)
{
	return munmap(addr, len);
}

int wl_expected(const struct wl_params *p, struct wl_result *r)
{
	struct wl_env env = {.map = host_map, .unmap = host_unmap};
	void *buf = NULL;
	int ret = 0;

	r->checksum = r->accesses = 0;
	if (p->kind == WL_CRASH || p->kind == WL_NOP || p->kind == WL_CHURN)
		return p->kind == WL_CHURN ? wl_run(p, NULL, &env, r) : 0;
	/* Checksums do not depend on the page size: one host mapping stands for a mixed region. */
	buf = host_map(NULL, p->footprint, p->page_size);
	if (!buf)
		return -ENOMEM;
	if (p->kind == WL_PINGPONG) {
		for (uint32_t proc = 1; proc <= p->nproc; proc++) {
			for (uint64_t round = 0; round < p->iters; round++)
				r->checksum += wl_pingpong_round(p, proc, round, buf);
			/* The next process starts from zeroed memory, as in the guest. */
			munmap(buf, p->footprint);
			buf = host_map(NULL, p->footprint, p->page_size);
			if (!buf)
				return -ENOMEM;
		}
		r->accesses = wl_accesses(p);
	} else {
		ret = wl_run(p, buf, &env, r);
	}
	munmap(buf, p->footprint);
	return ret;
}
