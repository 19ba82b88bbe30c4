// SPDX-License-Identifier: GPL-2.0
/* A run's configuration: defaults per workload, and the checks before anything starts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "run/run.h"
#include "workloads/workload.h"

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

int run_config_validate(const struct run_config *c, char *err, size_t errlen)
{
	uint64_t need;
	char a[32], b[32], n[32];
	int ret = wl_params_check(&c->vm.wl, "--", err, errlen);

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
