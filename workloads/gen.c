// SPDX-License-Identifier: GPL-2.0
/*
 * The workload generators. Freestanding C: the same file builds into the
 * guest program, into memvirt (checksum verification) and, with WL_TRACED,
 * into the simulator's traced variant.
 */
#include "workloads/workload.h"
#include "x86/x86.h"

#ifdef WL_TRACED
#define WL_FN(name) name##_traced
#define TRACE(p, w) env->trace(env->ctx, (const void *)(p), (w))
#define PHASE(ph)   (env->phase ? env->phase(env->ctx, (ph)) : (void)0)
#else
#define WL_FN(name) name
#define TRACE(p, w) ((void)0)
#define PHASE(ph)   ((void)0)
#endif

/* Loads and stores through volatile so the compiler keeps every access. */
#define LD(p)	 (TRACE(p, 0), *(volatile uint64_t *)(p))
#define ST(p, v) (TRACE(p, 1), *(volatile uint64_t *)(p) = (v))

static uint64_t mix(uint64_t sum, uint64_t v)
{
	return (sum ^ v) * 0x100000001b3ULL + 0x9e37ULL;
}

static uint64_t run_seq(const struct wl_params *p, uint64_t *buf, struct wl_env *env,
			uint64_t stride)
{
	uint64_t n = p->footprint / stride, step = stride / 8, sum = 0;

	for (uint64_t it = 0; it < p->iters; it++) {
		uint64_t *q = buf;

		for (uint64_t i = 0; i < n; i++, q += step) {
			uint64_t v = LD(q);

			ST(q, v + i + it);
			sum += v ^ i;
		}
	}
	return sum;
}

static uint64_t run_random(const struct wl_params *p, uint64_t *buf, struct wl_env *env, int rmw)
{
	uint64_t words = p->footprint / 8, state = p->seed, sum = 0;

	for (uint64_t i = 0; i < p->iters; i++) {
		uint64_t r = wl_rand(&state);
		uint64_t *q = buf + r % words;

		if (rmw) {
			ST(q, LD(q) ^ r);
		} else {
			sum = mix(sum, LD(q) + (uint64_t)(q - buf));
		}
	}
	if (rmw) {
		/* GUPS verifies the final table, as the HPCC benchmark does, sampled. */
		PHASE(WL_PHASE_CHECK);
		for (uint64_t i = 0; i < words; i += 509)
			sum = mix(sum, LD(buf + i));
	}
	return sum;
}

/*
 * One element per 4K page, at a line offset that varies with the page so
 * the chain does not sit in one cache set; the pages form one random cycle
 * (Sattolo's algorithm), so every page is visited once per lap.
 */
static uint64_t run_chase(const struct wl_params *p, uint64_t *buf, struct wl_env *env)
{
	uint64_t pages = p->footprint / X86_PAGE_SIZE, state = p->seed, sum = 0, cur;

	/* Word 1 of page k's element holds the permutation while it is built. */
#define ELEM(k) (buf + ((k)*X86_PAGE_SIZE + ((k)*WL_LINE) % X86_PAGE_SIZE) / 8)
	PHASE(WL_PHASE_SETUP);
	for (uint64_t k = 0; k < pages; k++)
		ST(ELEM(k) + 1, k);
	for (uint64_t k = pages - 1; k > 0; k--) {
		uint64_t j = wl_rand(&state) % k;
		uint64_t a = LD(ELEM(k) + 1), b = LD(ELEM(j) + 1);

		ST(ELEM(k) + 1, b);
		ST(ELEM(j) + 1, a);
	}
	for (uint64_t k = 0; k < pages; k++) {
		uint64_t from = LD(ELEM(k) + 1), to = LD(ELEM((k + 1) % pages) + 1);

		ST(ELEM(from), (uint64_t)ELEM(to));
	}
	cur = (uint64_t)ELEM(0);
	PHASE(WL_PHASE_MEASURED);
	for (uint64_t i = 0; i < p->iters; i++) {
		cur = LD((uint64_t *)cur);
		sum += cur - (uint64_t)buf;
	}
#undef ELEM
	return sum;
}

/*
 * Pass `it` stores it * pages + k + 1 to word 0 of 4K page k, pages in order,
 * and nothing is loaded before the passes end: the first touch of every page
 * is a write (one fault per page that needs no zero page, unlike a
 * read-modify-write). Then one load per page: the checksum is the sum of the
 * words read back, pages * (iters - 1) * pages + pages * (pages + 1) / 2
 * (0 without a pass: fresh memory reads as zero).
 */
static uint64_t run_touch(const struct wl_params *p, uint64_t *buf, struct wl_env *env)
{
	uint64_t pages = p->footprint / X86_PAGE_SIZE, sum = 0;

	for (uint64_t it = 0; it < p->iters; it++) {
		for (uint64_t k = 0; k < pages; k++)
			ST(buf + k * (X86_PAGE_SIZE / 8), it * pages + k + 1);
	}
	PHASE(WL_PHASE_CHECK);
	for (uint64_t k = 0; k < pages; k++)
		sum += LD(buf + k * (X86_PAGE_SIZE / 8));
	return sum;
}

static uint64_t run_churn(const struct wl_params *p, struct wl_env *env, int *err)
{
	uint64_t sum = 0, psize = p->page_size;

	for (uint64_t it = 0; it < p->iters; it++) {
		uint64_t *b = env->map(env->ctx, p->footprint, psize);

		if (!b) {
			*err = -1;
			return 0;
		}
		for (uint64_t off = 0; off < p->footprint; off += psize) {
			uint64_t *q = b + off / 8;

			/* Fresh mappings read as zero: the sum checks the zero fill. */
			sum += LD(q) + off;
			ST(q, it + off);
		}
		if (env->unmap(env->ctx, b, p->footprint)) {
			*err = -1;
			return 0;
		}
	}
	return sum;
}

#ifndef WL_TRACED
void *wl_map_data(const struct wl_params *p, struct wl_env *env)
{
	uint64_t big = wl_mixed_2m_bytes(p->footprint);
	char *a, *b;

	if (p->page_size != WL_PAGE_MIXED)
		return env->map(env->ctx, p->footprint, p->page_size);
	if (!big)
		return 0;
	a = env->map(env->ctx, big, 2ULL << 20);
	if (!a)
		return 0;
	if (big == p->footprint)
		return a;
	b = env->map(env->ctx, p->footprint - big, X86_PAGE_SIZE);
	if (b != a + big) {
		if (b)
			env->unmap(env->ctx, b, p->footprint - big);
		env->unmap(env->ctx, a, big);
		return 0;
	}
	return a;
}
#endif

/*
 * The 8-byte loads and stores @p makes to its data region, from its parameters alone: what
 * each generator above does (a pingpong round: one load and one store per 4K page of each
 * process's buffer). 0 for nop and for a kind that has no generator.
 */
static uint64_t accesses_of(const struct wl_params *p)
{
	uint64_t pages = p->footprint / X86_PAGE_SIZE;

	switch (p->kind) {
	case WL_SEQ:
		return 2 * p->iters * (p->footprint / WL_LINE);
	case WL_STRIDE:
		return 2 * p->iters * (p->footprint / p->stride);
	case WL_RANDOM:
		return p->iters;
	case WL_GUPS: /* and the check: one load every 509 words */
		return 2 * p->iters + (p->footprint / 8 + 508) / 509;
	case WL_CHASE: /* the cycle built (stores, swaps, links), then the chase */
		return pages + 4 * (pages - 1) + 3 * pages + p->iters;
	case WL_TOUCH: /* the passes, then one load per page */
		return (p->iters + 1) * pages;
	case WL_CHURN:
		return 2 * p->iters * (p->footprint / p->page_size);
	case WL_PINGPONG:
		return 2 * (uint64_t)p->nproc * p->iters * pages;
	default:
		return 0;
	}
}

#ifndef WL_TRACED
uint64_t wl_accesses(const struct wl_params *p)
{
	return accesses_of(p);
}
#endif

int WL_FN(wl_run)(const struct wl_params *p, void *buf, struct wl_env *env, struct wl_result *r)
{
	int err = 0;

	r->checksum = 0;
	r->accesses = 0;
	if (p->kind != WL_CHASE) /* the chase measures once its cycle is built */
		PHASE(WL_PHASE_MEASURED);
	switch (p->kind) {
	case WL_NOP:
		break;
	case WL_SEQ:
		r->checksum = run_seq(p, buf, env, WL_LINE);
		break;
	case WL_STRIDE:
		r->checksum = run_seq(p, buf, env, p->stride);
		break;
	case WL_RANDOM:
		r->checksum = run_random(p, buf, env, 0);
		break;
	case WL_GUPS:
		r->checksum = run_random(p, buf, env, 1);
		break;
	case WL_CHASE:
		r->checksum = run_chase(p, buf, env);
		break;
	case WL_TOUCH:
		r->checksum = run_touch(p, buf, env);
		break;
	case WL_CHURN:
		r->checksum = run_churn(p, env, &err);
		break;
	default:
		return -1;
	}
	r->accesses = accesses_of(p);
	return err;
}

uint64_t WL_FN(wl_pingpong_round)(const struct wl_params *p, uint32_t proc, uint64_t round,
				  void *buf
#ifdef WL_TRACED
				  ,
				  struct wl_env *env
#endif
)
{
	uint64_t *b = buf, sum = 0;

	/* Each round touches one word per 4K page of the process's buffer. */
	for (uint64_t off = 0; off < p->footprint; off += X86_PAGE_SIZE) {
		uint64_t *q = b + off / 8;
		uint64_t v = LD(q);

		ST(q, v + proc + round);
		sum += v;
	}
	return sum;
}
