// SPDX-License-Identifier: GPL-2.0
/* A run's configuration: defaults per workload, and the checks before anything starts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "run/run.h"

#define MEM_MIN (32ULL << 20)
#define MEM_MAX (64ULL << 30)

void run_config_defaults(struct run_config *c, enum wl_kind kind)
{
	memset(c, 0, sizeof(*c));
	wl_defaults(&c->vm.wl, kind);
	c->vm.mem_size = 256ULL << 20;
	c->verify = true;
	c->vm.ev_ring_bytes = 1ULL << 20;
	snprintf(c->out_dir, sizeof(c->out_dir), "memvirt-out/%s", wl_name(kind));
}

static int check_sizes(const struct wl_params *p, char *err, size_t errlen)
{
	char a[32], b[32];
	bool needs_data = p->kind != WL_NOP && p->kind != WL_CRASH;
	bool mixed = p->page_size == WL_PAGE_MIXED;
	uint64_t unit = mixed ? SZ_4K : p->page_size; /* a mixed region ends in 4K pages */

	if (!mixed && p->page_size != SZ_4K && p->page_size != SZ_2M && p->page_size != SZ_1G) {
		snprintf(err, errlen, "--page-size must be 4k, 2m or 1g, or mixed");
		return -EINVAL;
	}
	if (!needs_data)
		return 0;
	if (p->footprint == 0 || p->footprint % unit) {
		snprintf(err, errlen,
			 "--footprint %s is not a positive multiple of the page size %s",
			 format_size(p->footprint, a, sizeof(a)), format_size(unit, b, sizeof(b)));
		return -EINVAL;
	}
	if (mixed && (p->kind == WL_CHURN || !wl_mixed_2m_bytes(p->footprint))) {
		snprintf(err, errlen,
			 p->kind == WL_CHURN
				 ? "--page-size mixed applies to one data region: not to churn"
				 : "--page-size mixed needs a footprint of 4M or more (its first "
				   "half, rounded down to 2M, takes 2M pages)");
		return -EINVAL;
	}
	if (p->kind == WL_CHASE && p->footprint < 2 * SZ_4K) {
		snprintf(err, errlen, "chase needs a footprint of at least 8K (two pages)");
		return -EINVAL;
	}
	if (p->kind == WL_STRIDE && (p->stride < 8 || p->stride % 8 || p->stride > p->footprint)) {
		snprintf(err, errlen,
			 "--stride must be a multiple of 8 between 8 and the footprint");
		return -EINVAL;
	}
	if (p->iters == 0) {
		snprintf(err, errlen, "--iters must be at least 1");
		return -EINVAL;
	}
	if (p->kind == WL_PINGPONG && (p->nproc < 1 || p->nproc >= MV_MAX_PROCS)) {
		snprintf(err, errlen, "--nproc must be between 1 and %d", MV_MAX_PROCS - 1);
		return -EINVAL;
	}
	return 0;
}

int run_config_validate(const struct run_config *c, char *err, size_t errlen)
{
	uint64_t need;
	char a[32], b[32], n[32];
	int ret = check_sizes(&c->vm.wl, err, errlen);

	if (ret)
		return ret;
	if (c->vm.mem_size < MEM_MIN || c->vm.mem_size > MEM_MAX || c->vm.mem_size % SZ_2M) {
		snprintf(err, errlen, "--mem %s must be a multiple of 2M between 32M and 64G",
			 format_size(c->vm.mem_size, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->vm.ev_ring_bytes && (c->vm.ev_ring_bytes < VM_EV_RING_MIN_BYTES ||
				    c->vm.ev_ring_bytes > VM_EV_RING_MAX_BYTES ||
				    (c->vm.ev_ring_bytes & (c->vm.ev_ring_bytes - 1)))) {
		snprintf(err, errlen, "--ring-size %s must be a power of two between 4K and 256M",
			 format_size(c->vm.ev_ring_bytes, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->vm.ev_chains && !c->vm.ev_ring_bytes) {
		snprintf(err, errlen, "--chains needs the event channel: drop --no-events");
		return -EINVAL;
	}
	need = vm_mem_needed(&c->vm.wl) +
	       (c->vm.ev_ring_bytes ? c->vm.ev_ring_bytes + MV_EVRING_HDR : 0);
	need = (need + SZ_2M - 1) & ~(SZ_2M - 1);
	if (need > c->vm.mem_size) {
		snprintf(
			err, errlen,
			"guest memory %s is too small for footprint %s with %s pages: use --mem %s "
			"or more",
			format_size(c->vm.mem_size, a, sizeof(a)),
			format_size(c->vm.wl.footprint, b, sizeof(b)),
			wl_page_size_name(c->vm.wl.page_size), format_size(need, n, sizeof(n)));
		return -EINVAL;
	}
	/* Each fills a chain in the outcome's array of 2 * RUN_MAX_TRANSLATE. */
	if (c->nr_translate > RUN_MAX_TRANSLATE || c->translate_sample > RUN_MAX_TRANSLATE) {
		snprintf(err, errlen, "--translate and --translate-sample take at most %d each",
			 RUN_MAX_TRANSLATE);
		return -EINVAL;
	}
	if (c->vm.timeout_s < 0) {
		snprintf(err, errlen, "--timeout must be 0 (none) or a positive number of seconds");
		return -EINVAL;
	}
	return 0;
}
