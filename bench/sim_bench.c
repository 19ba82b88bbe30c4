// SPDX-License-Identifier: GPL-2.0
/*
 * Simulator throughput: translations per second of sim__access against two
 * ceilings measured on the same in-memory stream in the same run: the input
 * loop alone (read the stream, sum the addresses) and a bare two-level
 * set-associative LRU TLB written here (64-entry 4-way L1, 1536-entry 12-way
 * L2; hits and misses only).
 *   a-seq:  sequential 8-byte accesses over 64 KiB, repeated (native, zen4)
 *   a-rand: random 8-byte accesses within 16 pages (native, zen4)
 *   b:      uniform random over 4 GiB, 4K guest and host pages, nested with
 *           PWCs and the nested TLB (zen4)
 * Usage: sim_bench [-n accesses] [-p preset | -c config-file] [-f b-footprint[K|M|G]]
 *                  [-s streams: any of "a", "r", "b"]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "mmu/mmu.h"

#define GIB  (1ULL << 30)
#define FOOT foot

static uint64_t foot = 4 * GIB; /* -f: footprint of stream b */

#define BATCH 4096

static struct sim_req *req;  /* the stream as requests, built before the timed loop */
static const char *cfg_file; /* -c: a configuration file instead of a preset */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- the bare TLB ceiling ---- */
struct bare_lvl {
	unsigned sets, ways;
	uint64_t *key, *stamp;
};

struct bare_tlb {
	struct bare_lvl l1, l2;
	uint64_t clock, hits1, hits2, misses;
};

static void bare_init(struct bare_lvl *l, unsigned entries, unsigned ways)
{
	l->sets = entries / ways;
	l->ways = ways;
	l->key = malloc(entries * sizeof(*l->key));
	l->stamp = calloc(entries, sizeof(*l->stamp));
	for (unsigned i = 0; i < entries; i++)
		l->key[i] = ~0ULL;
}

static inline int bare_probe(struct bare_lvl *l, uint64_t vpn, uint64_t clock)
{
	uint64_t *k = l->key + (vpn % l->sets) * l->ways;

	for (unsigned w = 0; w < l->ways; w++)
		if (k[w] == vpn) {
			l->stamp[(vpn % l->sets) * l->ways + w] = clock;
			return 1;
		}
	return 0;
}

static inline void bare_fill(struct bare_lvl *l, uint64_t vpn, uint64_t clock)
{
	size_t base = (vpn % l->sets) * l->ways;
	unsigned v = 0;

	for (unsigned w = 1; w < l->ways; w++)
		if (l->stamp[base + w] < l->stamp[base + v])
			v = w;
	l->key[base + v] = vpn;
	l->stamp[base + v] = clock;
}

static inline void bare_access(struct bare_tlb *t, uint64_t va)
{
	uint64_t vpn = va >> 12, c = ++t->clock;

	if (bare_probe(&t->l1, vpn, c)) {
		t->hits1++;
		return;
	}
	if (bare_probe(&t->l2, vpn, c)) {
		t->hits2++;
	} else {
		t->misses++;
		bare_fill(&t->l2, vpn, c);
	}
	bare_fill(&t->l1, vpn, c);
}

/* ---- tables ---- */
struct env {
	struct ptmem *g, *h;
	struct sim_tables t;
	enum paging_mode mode;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "sim_bench: %s failed (%d)\n", what, err);
	exit(1);
}

static void env_native(struct env *e, uint64_t len)
{
	int err;

	memset(e, 0, sizeof(*e));
	e->g = ptmem__new(1ULL << 40, 1ULL << 39);
	if (!e->g || (err = pt__new_root(e->g, &e->t.root)))
		die("native tables", -1);
	err = pt__map_range(e->g, e->t.root, 0x7f0000000000ULL, 1ULL << 30, len, PAGE_4K,
			    PTE_RW | PTE_US, 4);
	if (err)
		die("native map", err);
	e->t.mem = ptmem__mem(e->g);
	e->mode = PAGING_NATIVE;
}

static void env_nested(struct env *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	/* Guest data at GPA [0, 4G), guest tables allocated from 4G. */
	e->g = ptmem__new(8 * GIB, FOOT);
	e->h = ptmem__new(1ULL << 40, 1ULL << 39);
	if (!e->g || !e->h || pt__new_root(e->g, &e->t.root) || pt__new_root(e->h, &e->t.host_root))
		die("nested tables", -1);
	err = pt__map_range(e->g, e->t.root, 0x7f0000000000ULL, 0, FOOT, PAGE_4K, PTE_RW | PTE_US,
			    4);
	if (err)
		die("guest map", err);
	/* Host: GPA [0, 4G + guest tables) -> HPA + 64G. */
	err = pt__map_range(e->h, e->t.host_root, 0, 64 * GIB, FOOT + 64 * (1ULL << 20), PAGE_4K,
			    PTE_RW | PTE_US, 4);
	if (err)
		die("host map", err);
	e->t.mem = ptmem__mem(e->g);
	e->t.host_mem = ptmem__mem(e->h);
	e->mode = PAGING_NESTED;
}

static void env_free(struct env *e)
{
	ptmem__free(e->g);
	ptmem__free(e->h);
}

/* ---- one stream ---- */
static void run(const char *name, const uint64_t *va, size_t n, struct env *e, const char *preset,
		unsigned reps)
{
	struct sim_config cfg;
	struct sim_result r;
	struct bare_tlb bt;
	struct sim *s;
	char err[256];
	volatile uint64_t sink;
	uint64_t sum = 0;
	double t0, t_in, t_bare, t_sim, total = (double)n * reps;

	if (cfg_file ? sim_config__load(&cfg, cfg_file, err, sizeof(err))
		     : sim_config__preset(&cfg, preset, err, sizeof(err)))
		die(err, -1);
	s = sim__new(&cfg, e->mode, &e->t);
	if (!s)
		die("sim__new", -1);
	memset(&bt, 0, sizeof(bt));
	bare_init(&bt.l1, 64, 4);
	bare_init(&bt.l2, 1536, 12);

	/* warm-up pass for the simulator (page-faults the host arrays, fills the TLBs) */
	for (size_t i = 0; i < n && i < (1u << 20); i++)
		sim__access(s, va[i], false);
	sim__reset_stats(s);

	t0 = now();
	for (unsigned k = 0; k < reps; k++)
		for (size_t i = 0; i < n; i++)
			sum += va[i];
	t_in = now() - t0;
	sink = sum;
	(void)sink;

	t0 = now();
	for (unsigned k = 0; k < reps; k++)
		for (size_t i = 0; i < n; i++)
			bare_access(&bt, va[i]);
	t_bare = now() - t0;

	/* The stream in batches, as memvirt sim feeds it (sim__access_batch reads ahead). */
	for (size_t i = 0; i < n; i++)
		req[i] = (struct sim_req){va[i], WALK_ACC_USER};
	t0 = now();
	for (unsigned k = 0; k < reps; k++)
		for (size_t i = 0; i < n; i += BATCH)
			sim__access_batch(s, req + i, n - i < BATCH ? n - i : BATCH);
	t_sim = now() - t0;
	sim__result(s, &r);

	printf("%-7s %-8s %6.0fM  input %8.1f M/s  bare-tlb %7.1f M/s  sim %7.2f M/s  "
	       "bare/sim %6.2fx  input/sim %6.1fx  (walks %.3f%%, refs/walk %.1f, bare miss "
	       "%.3f%%)\n",
	       name, preset, total / 1e6, total / t_in / 1e6, total / t_bare / 1e6,
	       total / t_sim / 1e6, t_sim / t_bare, t_sim / t_in, 100.0 * r.walks / r.accesses,
	       r.refs_per_walk, 100.0 * bt.misses / total);
	fflush(stdout);
	sim__free(s);
	free(bt.l1.key);
	free(bt.l1.stamp);
	free(bt.l2.key);
	free(bt.l2.stamp);
}

int main(int argc, char **argv)
{
	size_t n = 1u << 22;
	const char *preset = "zen4", *streams = "arb";
	uint64_t seed = 0x1234567ULL;
	uint64_t *va;
	struct env e;
	int o;

	while ((o = getopt(argc, argv, "c:f:n:p:s:")) != -1) {
		switch (o) {
		case 'f': {
			char *end;

			foot = strtoull(optarg, &end, 0);
			foot <<= *end == 'G' ? 30 : *end == 'M' ? 20 : *end == 'K' ? 10 : 0;
			foot &= ~0xfffULL;
			if (!foot || foot > 4 * GIB)
				foot = 4 * GIB;
			break;
		}
		case 'c':
			cfg_file = optarg;
			preset = optarg;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			preset = optarg;
			break;
		case 's':
			streams = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n accesses] [-p preset | -c file] [-f bytes] [-s "
				"arb]\n",
				argv[0]);
			return 2;
		}
	}
	va = malloc(n * sizeof(*va));
	req = malloc(n * sizeof(*req));
	if (!va || !req)
		die("malloc", -1);
	if (strchr(streams, 'a') || strchr(streams, 'r')) {
		env_native(&e, 64 * 1024);
		if (strchr(streams, 'a')) {
			for (size_t i = 0; i < n; i++)
				va[i] = 0x7f0000000000ULL + (i * 8) % (64 * 1024);
			run("a-seq", va, n, &e, preset, 8);
		}
		if (strchr(streams, 'r')) {
			for (size_t i = 0; i < n; i++)
				va[i] = 0x7f0000000000ULL +
					(xorshift64s(&seed) % (64 * 1024) & ~7ULL);
			run("a-rand", va, n, &e, preset, 4);
		}
		env_free(&e);
	}
	if (strchr(streams, 'b')) {
		env_nested(&e);
		for (size_t i = 0; i < n; i++)
			va[i] = 0x7f0000000000ULL + (xorshift64s(&seed) % FOOT & ~7ULL);
		run("b-rand", va, n, &e, preset, 1);
		env_free(&e);
	}
	free(va);
	free(req);
	return 0;
}
