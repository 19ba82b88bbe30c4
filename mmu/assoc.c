// SPDX-License-Identifier: GPL-2.0
/* Set-associative tag store with LRU, tree-PLRU and random replacement. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mmu/mmu_internal.h"

/* LRU: a global use counter stamped on the entry; the victim has the oldest stamp. */

static int lru_init(struct assoc *a)
{
	a->stamp = calloc((size_t)a->sets * a->ways, sizeof(*a->stamp));
	return a->stamp ? 0 : -ENOMEM;
}

static unsigned lru_victim(struct assoc *a, unsigned set)
{
	const uint64_t *s = a->stamp + (size_t)set * a->ways;
	unsigned best = 0;

	for (unsigned w = 1; w < a->ways; w++)
		if (s[w] < s[best])
			best = w;
	return best;
}

static void lru_fini(struct assoc *a)
{
	free(a->stamp);
	a->stamp = NULL;
}

/*
 * Tree-PLRU generalised to any number of ways: a binary tree over the way range
 * [0, ways) where every node splits its range into a left half of
 * ceil(n/2) ways and a right half of floor(n/2). Nodes are numbered in
 * preorder, so a node n covering [lo, hi) with mid = lo + ceil((hi-lo)/2) has
 * its left child at n + 1 and its right child at n + (mid - lo); ways - 1 nodes
 * in all and every leaf is a real way. A node's bit names the half to evict
 * from (0 left, 1 right); a touch points every node on the way's path away
 * from it. For a power of two this is the textbook tree-PLRU.
 */

static int plru_init(struct assoc *a)
{
	size_t n = (size_t)a->sets * (a->ways > 1 ? a->ways - 1 : 1);

	a->plru = calloc(n, 1);
	return a->plru ? 0 : -ENOMEM;
}

unsigned plru_bits_victim(const uint8_t *bits, unsigned ways)
{
	unsigned n = 0, lo = 0, hi = ways;

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo + 1) / 2;
		unsigned m = 0u - (unsigned)(bits[n] == 0); /* all ones: evict from the left half */

		n += (1 & m) | ((mid - lo) & ~m);
		hi = (mid & m) | (hi & ~m);
		lo = (lo & m) | (mid & ~m);
	}
	return lo;
}

static unsigned plru_victim(struct assoc *a, unsigned set)
{
	return plru_bits_victim(a->plru + (size_t)set * (a->ways - 1), a->ways);
}

static void plru_fini(struct assoc *a)
{
	free(a->plru);
	a->plru = NULL;
}

/* Random: xorshift64* seeded from the configuration, so runs repeat exactly. */

static unsigned rand_victim(struct assoc *a, unsigned set)
{
	return (unsigned)(xorshift64s(&a->rng) % a->ways);
}

static const struct repl_policy_ops repl_ops[] = {
	[REPL_LRU] = {"lru", lru_init, lru_fini},
	[REPL_PLRU] = {"plru", plru_init, plru_fini},
	[REPL_RANDOM] = {"random", NULL, NULL}, /* state: the seeded generator in struct assoc */
};

const struct repl_policy_ops *repl_policy_ops_get(enum repl_policy p)
{
	if ((unsigned)p >= sizeof(repl_ops) / sizeof(repl_ops[0]))
		return NULL;
	return &repl_ops[p];
}

const char *repl_policy_name(enum repl_policy p)
{
	const struct repl_policy_ops *o = repl_policy_ops_get(p);

	return o ? o->name : "?";
}

int assoc__init(struct assoc *a, const struct assoc_config *cfg, uint64_t seed)
{
	size_t n;
	int err;

	memset(a, 0, sizeof(*a));
	if (!cfg->entries || !cfg->ways || cfg->entries % cfg->ways)
		return -EINVAL;
	a->ops = repl_policy_ops_get(cfg->policy);
	if (!a->ops)
		return -EINVAL;
	a->policy = cfg->policy;
	a->ways = cfg->ways;
	a->sets = cfg->entries / cfg->ways;
	a->set_mask = (a->sets & (a->sets - 1)) == 0 ? a->sets - 1 : 0;
	a->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
	n = (size_t)a->sets * a->ways;
	a->key = malloc(n * sizeof(*a->key));
	a->tag = calloc(n, sizeof(*a->tag));
	a->val = calloc(n, sizeof(*a->val));
	if (!a->key || !a->tag || !a->val) {
		err = -ENOMEM;
		goto err_free;
	}
	if (a->ways >= ASSOC_FP_WAYS) {
		a->fp_stride = (a->ways + 15) & ~15u;
		a->fp = aligned_alloc(16, (size_t)a->sets * a->fp_stride);
		if (!a->fp) {
			err = -ENOMEM;
			goto err_free;
		}
	}
	if (a->ops->init) {
		err = a->ops->init(a);
		if (err)
			goto err_free;
	}
	assoc__clear(a);
	return 0;
err_free:
	free(a->fp);
	free(a->val);
	free(a->tag);
	free(a->key);
	memset(a, 0, sizeof(*a));
	return err;
}

void assoc__fini(struct assoc *a)
{
	if (!a->key)
		return;
	if (a->ops->fini)
		a->ops->fini(a);
	free(a->fp);
	free(a->val);
	free(a->tag);
	free(a->key);
	memset(a, 0, sizeof(*a));
}

void assoc__clear(struct assoc *a)
{
	size_t n = (size_t)a->sets * a->ways;

	for (size_t i = 0; i < n; i++)
		a->key[i] = ASSOC_INVALID;
	if (a->fp)
		memset(a->fp, 0, (size_t)a->sets * a->fp_stride);
}

long assoc__find(const struct assoc *a, uint64_t key, uint32_t tag)
{
	unsigned set = assoc__set(a, key);

	return assoc_search(a, set, (size_t)set * a->ways, key, tag);
}

/* The first way whose key and tag equal exactly, else the first empty way; ways if neither. */
static unsigned assoc_fill_way(const struct assoc *a, unsigned set, size_t base, uint64_t key,
			       uint32_t tag)
{
	const uint64_t *keys = a->key + base;
	unsigned invalid = a->ways;

	if (a->fp) {
		const uint8_t *fp = a->fp + (size_t)set * a->fp_stride;
		uint8_t f = assoc_fp(key);

		for (unsigned c = 0; c < a->ways; c += 16)
			for (unsigned m = assoc_fp_match16(fp + c, f, a->ways - c); m; m &= m - 1) {
				unsigned w = c + (unsigned)__builtin_ctz(m);

				if (keys[w] == key && a->tag[base + w] == tag)
					return w;
			}
		for (unsigned c = 0; c < a->ways; c += 16) {
			unsigned m = assoc_fp_match16(fp + c, 0, a->ways - c);

			if (m)
				return c + (unsigned)__builtin_ctz(m);
		}
		return a->ways;
	}
	for (unsigned w = 0; w < a->ways; w++) {
		uint64_t k = keys[w];

		if (k == key && a->tag[base + w] == tag)
			return w;
		if (k == ASSOC_INVALID && invalid == a->ways)
			invalid = w;
	}
	return invalid;
}

static unsigned assoc_victim(struct assoc *a, unsigned set)
{
	switch (a->policy) {
	case REPL_LRU:
		return lru_victim(a, set);
	case REPL_PLRU:
		return plru_victim(a, set);
	case REPL_RANDOM:
		return rand_victim(a, set);
	}
	return 0;
}

size_t assoc__insert(struct assoc *a, uint64_t key, uint32_t tag, uint64_t val)
{
	unsigned set = assoc__set(a, key);
	size_t base = (size_t)set * a->ways;
	/*
	 * An entry with the same key and exact tag is replaced in place; otherwise
	 * the first invalid way, as hardware fills empty ways before evicting.
	 */
	unsigned way = assoc_fill_way(a, set, base, key, tag);

	if (way == a->ways)
		way = assoc_victim(a, set);
	a->key[base + way] = key;
	a->tag[base + way] = tag;
	a->val[base + way] = val;
	if (a->fp)
		a->fp[(size_t)set * a->fp_stride + way] = assoc_fp(key);
	assoc_touch(a, set, way);
	return base + way;
}

void assoc__invalidate(struct assoc *a, size_t idx)
{
	a->key[idx] = ASSOC_INVALID;
	if (a->fp)
		a->fp[idx / a->ways * a->fp_stride + idx % a->ways] = 0;
}
