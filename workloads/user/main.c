// SPDX-License-Identifier: GPL-2.0
/* The guest workload program: runs one workload generator and reports to the VMM. */
#include "sys.h"
#include "workloads/workload.h"

void user_main(const struct mv_params *pp);
void *memset(void *s, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

static struct wl_params params;
static uint64_t child_sum[MV_MAX_PROCS];

void *memset(void *s, int c, unsigned long n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static __attribute__((noreturn)) void exit_guest(uint64_t status)
{
	sys3(MV_SYS_EXIT, status, 0, 0);
	__builtin_unreachable();
}

static void say(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	sys3(MV_SYS_WRITE, (uint64_t)s, n, 0);
}

/* With --populate every data mapping (churn's too) is mapped at mmap time, not on first touch. */
static void *env_map(void *ctx, uint64_t len, uint64_t page_size)
{
	uint64_t prot = MV_PROT_READ | MV_PROT_WRITE | (params.populate ? MV_MAP_POPULATE : 0);
	long r = sys3(MV_SYS_MMAP, len, page_size, prot);

	return r < 0 ? 0 : (void *)r;
}

static int env_unmap(void *ctx, void *addr, uint64_t len)
{
	return sys3(MV_SYS_MUNMAP, (uint64_t)addr, len, 0) < 0 ? -1 : 0;
}

static struct wl_env env = {.map = env_map, .unmap = env_unmap};

/*
 * crash --populate: two populated pages, both written (KVM has shadowed
 * them), unmapped, then the second written again: a guest crash at exactly
 * that address (tests/kvm/test_populate.c).
 */
static void crash_after_unmap(void)
{
	uint64_t ps = params.page_size == WL_PAGE_MIXED ? 4096 : params.page_size;
	char *b = env_map(0, 2 * ps, ps);

	if (!b)
		exit_guest(3);
	*(volatile uint64_t *)b = 1;
	*(volatile uint64_t *)(b + ps) = 2;
	if (env_unmap(0, b, 2 * ps))
		exit_guest(3);
	*(volatile uint64_t *)(b + ps + 8) = 3;
}

/* A pingpong process: one round over its private buffer per turn, then back to the driver. */
static __attribute__((noreturn)) void pingpong_child(uint64_t proc)
{
	void *buf = wl_map_data(&params, &env);
	uint64_t sum = 0;

	if (!buf)
		exit_guest(3);
	for (uint64_t r = 0; r < params.iters; r++) {
		sum += wl_pingpong_round(&params, (uint32_t)proc, r, buf);
		child_sum[proc] = sum;
		sys3(MV_SYS_SWITCH, 0, 0, 0);
	}
	for (;;)
		sys3(MV_SYS_SWITCH, 0, 0, 0);
}

static int run_pingpong(struct wl_result *r)
{
	long pid[MV_MAX_PROCS];
	uint32_t n = params.nproc;

	if (n < 1 || n >= MV_MAX_PROCS)
		return -1;
	for (uint32_t i = 1; i <= n; i++) {
		pid[i] = sys3(MV_SYS_SPAWN, (uint64_t)pingpong_child, i, 0);
		if (pid[i] < 0)
			return -1;
	}
	for (uint64_t round = 0; round < params.iters; round++) {
		for (uint32_t i = 1; i <= n; i++) {
			if (sys3(MV_SYS_SWITCH, (uint64_t)pid[i], 0, 0) < 0)
				return -1;
		}
	}
	r->checksum = 0;
	for (uint32_t i = 1; i <= n; i++)
		r->checksum += child_sum[i];
	r->accesses = wl_accesses(&params);
	return 0;
}

void user_main(const struct mv_params *pp)
{
	struct mv_result res = {0};
	struct wl_result r = {0};
	void *buf = 0;
	uint64_t t0, f0;
	int err;

	if (pp->magic != MV_PARAMS_MAGIC || pp->kind >= WL__COUNT) {
		say("workload: bad parameter block\n");
		exit_guest(2);
	}
	params = (struct wl_params){.kind = pp->kind,
				    .nproc = pp->nproc,
				    .footprint = pp->footprint,
				    .iters = pp->iters,
				    .page_size = pp->page_size,
				    .seed = pp->seed,
				    .stride = pp->stride,
				    .populate = (pp->flags & MV_PARAMS_POPULATE) != 0};
	if (params.kind == WL_CRASH && params.populate)
		crash_after_unmap();
	if (params.kind == WL_CRASH)
		*(volatile uint64_t *)0xdead000ULL = 1;
	if (params.kind != WL_NOP && params.kind != WL_CHURN && params.kind != WL_PINGPONG &&
	    params.kind != WL_CRASH) {
		buf = wl_map_data(&params, &env);
		if (!buf) {
			say("workload: mmap of the footprint failed\n");
			exit_guest(3);
		}
	}
	f0 = (uint64_t)sys3(MV_SYS_FAULTS, 0, 0, 0);
	t0 = rdtsc();
	if (params.kind == WL_PINGPONG)
		err = run_pingpong(&r);
	else
		err = wl_run(&params, buf, &env, &r);
	res.cycles = rdtsc() - t0;
	res.faults = (uint64_t)sys3(MV_SYS_FAULTS, 0, 0, 0) - f0;
	res.checksum = r.checksum;
	res.accesses = r.accesses;
	res.kind = params.kind;
	res.footprint = params.footprint;
	sys3(MV_SYS_REPORT, (uint64_t)&res, 0, 0);
	exit_guest(err ? 1 : 0);
}
