// SPDX-License-Identifier: GPL-2.0
/*
 * bench_hostloop: one workload generator run as an ordinary host process,
 * timed with rdtsc exactly as the guest program times it, for comparison
 * with `memvirt run WORKLOAD --json`.
 *
 * What is timed matches workloads/user/main.c: the footprint is mapped
 * (not touched) first, then rdtsc brackets wl_run() alone. So the host loop,
 * like the guest loop, pays its own first-touch page faults; compare runs
 * whose passes dominate that cost (see bench/guest_vs_host.sh).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <x86intrin.h>

#include "common/log.h"
#include "common/util.h"
#include "workloads/workload.h"
#include "x86/x86.h"

#define EXIT_USAGE 2

struct hostloop_config {
	struct wl_params wl;
};

/* Anonymous zero-filled memory with the requested page size, aligned to it. */
static void *host_map(void *ctx, uint64_t len, uint64_t page_size)
{
	uint64_t span = len + (page_size > SZ_4K ? page_size : 0);
	uint8_t *raw, *p;
	uint64_t head, tail;

	if (page_size == SZ_1G) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT), -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	if (page_size == SZ_4K)
		return raw;
	/* THP needs 2M-aligned ranges: trim the over-allocation on both sides. */
	p = (uint8_t *)(((uintptr_t)raw + page_size - 1) & ~(uintptr_t)(page_size - 1));
	head = (uint64_t)(p - raw);
	tail = span - head - len;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(p + len, tail);
	if (madvise(p, len, MADV_HUGEPAGE)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

static int host_unmap(void *ctx, void *addr, uint64_t len)
{
	return munmap(addr, len);
}

/* Bytes of the process's anonymous memory backed by transparent huge pages. */
static uint64_t thp_bytes(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "AnonHugePages: %" SCNu64 " kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb << 10;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_hostloop WORKLOAD [options]\n\n"
		"Runs WORKLOAD's generator as a host process, timed with rdtsc around wl_run()\n"
		"as the guest program does, and prints JSON: cycles, accesses, cycles_per_access,\n"
		"checksum (equal to the guest's for the same options).\n\n"
		"workloads: nop seq stride random chase gups churn\n\n"
		"options (as memvirt run):\n"
		"  --footprint SIZE   data region (default depends on the workload)\n"
		"  --iters N          passes (seq, stride, churn) or accesses (random, chase, "
		"gups)\n"
		"  --page-size SIZE   4k (default), 2m (THP via madvise) or 1g (reserved hugetlb)\n"
		"  --seed N           random seed (default 1)\n"
		"  --stride SIZE      stride workload: bytes between accesses (default 4K)\n"
		"  -h, --help         this text\n");
}

static uint64_t size_opt(const char *opt, const char *val)
{
	uint64_t v;

	if (parse_size(val, &v))
		die(EXIT_USAGE, "%s '%s': expected a size such as 4k, 64M or 1G\n", opt, val);
	return v;
}

static void parse(int argc, char **argv, struct hostloop_config *c)
{
	static const struct option opts[] = {
		{"footprint", required_argument, 0, 'f'},
		{"iters", required_argument, 0, 'i'},
		{"page-size", required_argument, 0, 'p'},
		{"seed", required_argument, 0, 's'},
		{"stride", required_argument, 0, 't'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *v[128] = {0};
	int opt, kind;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == '?')
			die(EXIT_USAGE,
			    "bench_hostloop: bad option '%s': run 'bench_hostloop --help'\n",
			    argv[optind - 1]);
		v[opt] = optarg;
	}
	if (optind + 1 != argc)
		die(EXIT_USAGE, "give one workload: run 'bench_hostloop --help'\n");
	kind = wl_from_name(argv[optind]);
	if (kind < 0 || kind == WL_PINGPONG || kind == WL_CRASH)
		die(EXIT_USAGE, "workload '%s' cannot run as a host loop: see --help\n",
		    argv[optind]);
	wl_defaults(&c->wl, (enum wl_kind)kind);
	if (v['f'])
		c->wl.footprint = size_opt("--footprint", v['f']);
	if (v['i'] && parse_u64(v['i'], &c->wl.iters))
		die(EXIT_USAGE, "--iters '%s': expected a non-negative integer\n", v['i']);
	if (v['p'])
		c->wl.page_size = size_opt("--page-size", v['p']);
	if (v['s'] && parse_u64(v['s'], &c->wl.seed))
		die(EXIT_USAGE, "--seed '%s': expected a non-negative integer\n", v['s']);
	if (v['t'])
		c->wl.stride = size_opt("--stride", v['t']);
}

static void validate(const struct wl_params *p)
{
	if (p->page_size != SZ_4K && p->page_size != SZ_2M && p->page_size != SZ_1G)
		die(EXIT_USAGE, "--page-size must be 4k, 2m or 1g\n");
	if (p->kind == WL_NOP)
		return;
	if (p->footprint == 0 || p->footprint % p->page_size)
		die(EXIT_USAGE, "--footprint must be a positive multiple of the page size\n");
	if (p->kind == WL_CHASE && p->footprint < 2 * SZ_4K)
		die(EXIT_USAGE, "chase needs a footprint of at least 8K (two pages)\n");
	if (p->kind == WL_STRIDE && (p->stride < 8 || p->stride % 8 || p->stride > p->footprint))
		die(EXIT_USAGE, "--stride must be a multiple of 8 between 8 and the footprint\n");
	if (p->iters == 0)
		die(EXIT_USAGE, "--iters must be at least 1\n");
}

int main(int argc, char **argv)
{
	struct hostloop_config c;
	struct wl_env env = {.map = host_map, .unmap = host_unmap};
	struct wl_result r = {0};
	void *buf = NULL;
	uint64_t t0, cycles;
	int err;

	parse(argc, argv, &c);
	validate(&c.wl);
	if (c.wl.kind != WL_NOP && c.wl.kind != WL_CHURN) {
		buf = host_map(NULL, c.wl.footprint, c.wl.page_size);
		if (!buf)
			die(3,
			    "cannot map the %" PRIu64 "-byte footprint with %" PRIu64
			    "-byte pages: %s (1g needs reserved hugetlb pages)\n",
			    c.wl.footprint, c.wl.page_size, strerror(errno));
	}
	t0 = __rdtsc();
	err = wl_run(&c.wl, buf, &env, &r);
	cycles = __rdtsc() - t0;
	if (err)
		die(4, "workload failed: mapping memory during the loop failed\n");
	printf("{\"workload\":\"%s\",\"footprint\":%" PRIu64 ",\"iters\":%" PRIu64
	       ",\"page_size\":%" PRIu64 ",\"cycles\":%" PRIu64 ",\"accesses\":%" PRIu64
	       ",\"cycles_per_access\":%.4f,\"checksum\":\"0x%" PRIx64 "\",\"thp_bytes\":%" PRIu64
	       "}\n",
	       wl_name(c.wl.kind), c.wl.footprint, c.wl.iters, c.wl.page_size, cycles, r.accesses,
	       r.accesses ? (double)cycles / (double)r.accesses : 0.0, r.checksum, thp_bytes());
	return 0;
}
