// SPDX-License-Identifier: GPL-2.0
/* Names, descriptions and default parameters of the workloads (hosted side). */
#include <string.h>

#include "workloads/workload.h"

static const struct {
	const char *name;
	const char *desc;
	uint64_t footprint, iters, stride;
} catalog[WL__COUNT] = {
	[WL_NOP] = {"nop", "returns at once (start-up cost)", 0, 0, 0},
	[WL_SEQ] = {"seq", "sequential scan, one read-modify-write per 64-byte line", 64 << 20, 4,
		    0},
	[WL_STRIDE] = {"stride", "one read-modify-write every STRIDE bytes (default 4K)", 64 << 20,
		       16, 4096},
	[WL_RANDOM] = {"random", "uniform random 8-byte reads", 64 << 20, 4 << 20, 0},
	[WL_CHASE] = {"chase", "pointer chase through one random cycle, one element per page",
		      64 << 20, 4 << 20, 0},
	[WL_GUPS] = {"gups", "random read-modify-write (xor), GUPS-style", 64 << 20, 4 << 20, 0},
	[WL_CHURN] = {"churn", "mmap, touch every page, munmap, repeated", 4 << 20, 64, 0},
	[WL_PINGPONG] = {"pingpong", "processes alternately touch private buffers (CR3 switches)",
			 1 << 20, 1000, 0},
	[WL_CRASH] = {"crash", "writes to an unmapped address: a guest crash on purpose", 0, 0, 0},
	[WL_TOUCH] = {"touch",
		      "one store per 4K page in order (first touch is a write), then reads",
		      64 << 20, 1, 0},
};

const char *wl_name(enum wl_kind kind)
{
	return (unsigned)kind < WL__COUNT ? catalog[kind].name : "unknown";
}

const char *wl_describe(enum wl_kind kind)
{
	return (unsigned)kind < WL__COUNT ? catalog[kind].desc : "";
}

int wl_from_name(const char *name)
{
	for (int i = 0; i < WL__COUNT; i++) {
		if (!strcmp(name, catalog[i].name))
			return i;
	}
	return -1;
}

const char *wl_page_size_name(uint64_t page_size)
{
	switch (page_size) {
	case 4096:
		return "4K";
	case 2ULL << 20:
		return "2M";
	case 1ULL << 30:
		return "1G";
	case WL_PAGE_MIXED:
		return "mixed";
	default:
		return "?";
	}
}

void wl_defaults(struct wl_params *p, enum wl_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->nproc = kind == WL_PINGPONG ? 2 : 0;
	p->footprint = catalog[kind].footprint;
	p->iters = catalog[kind].iters;
	p->stride = catalog[kind].stride;
	p->page_size = 4096;
	p->seed = 1;
}
